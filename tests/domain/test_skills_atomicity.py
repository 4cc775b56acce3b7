"""Every skills use case commits whole or not at all: a fault after any of its statements leaves nothing behind.

The same method as tests/domain/test_atomicity.py: the database's step hook raises after the n-th statement,
for n = 1, 2, ... until the use case completes; after each fault the database equals its state before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.skills.expiry import EXPIRE_JOB, job_key
from bot.domain.skills.models import ProfileChanges
from bot.services import Services
from tests.domain.faults import fault_after_every_step

GUILD = 10
ALICE, MOD = 1, 9
Act = Callable[[Services, dict[str, Any]], Awaitable[Any]]
Check = Callable[[Database, dict[str, Any]], Awaitable[None]]


async def _count(db: Database, sql: str, *params: Any) -> int:
    return int(await db.fetch_value(sql, params) or 0)


async def _nothing(services: Services, clock: FixedClock) -> dict[str, Any]:
    return {}


async def _offered(services: Services, clock: FixedClock) -> dict[str, Any]:
    offer, _ = await services.skills.listings.offer(GUILD, ALICE, "iiif", level="basic")
    return {"offer": offer}


async def _reminded(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _offered(services, clock)
    clock.advance(timedelta(days=53))
    return ctx


async def _due(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _offered(services, clock)
    offer = ctx["offer"]
    ctx["job"] = await services.jobs.find_active(job_key(EXPIRE_JOB, offer.id, offer.expires_at))
    clock.advance(timedelta(days=60))
    return ctx


async def _offer_done(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM skill_listings") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind LIKE 'skills.%' AND status = 'pending'") == 2


async def _extended(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM skill_listings WHERE expires_at > ?", ctx["offer"].expires_at) == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind LIKE 'skills.%' AND status = 'pending'") == 2


async def _removed(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM skill_listings") == 0
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind LIKE 'skills.%' AND status = 'pending'") == 0


async def _expired(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM skill_listings") == 0
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'skills.remind' AND status = 'pending'") == 0
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'skills.notice.expired_offer'") == 1


async def _skill_added(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM skills_custom") == 1
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'skill.add'") == 1


async def _profile_saved(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM member_profiles WHERE visible = 1") == 1


CASES: list[tuple[str, Callable[[Services, FixedClock], Awaitable[dict[str, Any]]], Act, Check]] = [
    ("offer", _nothing, lambda s, c: s.skills.listings.offer(GUILD, ALICE, "iiif", level="basic"), _offer_done),
    (
        "offer again",
        _offered,
        lambda s, c: s.skills.listings.offer(GUILD, ALICE, "iiif", level="expert"),
        _offer_done,
    ),
    ("still valid", _reminded, lambda s, c: s.skills.expiry.extend(GUILD, ALICE, c["offer"].id), _extended),
    ("remove", _offered, lambda s, c: s.skills.listings.remove(GUILD, ALICE, c["offer"].id), _removed),
    ("expire", _due, lambda s, c: s.skills.expiry.expire(c["job"]), _expired),
    (
        "add skill",
        _nothing,
        lambda s, c: s.skills.catalog.add_skill(GUILD, MOD, "digitisation", "Microfilm scannen", "Microfilm scanning"),
        _skill_added,
    ),
    (
        "profile",
        _nothing,
        lambda s, c: s.skills.profiles.update(GUILD, ALICE, ProfileChanges(visible=True, region="utrecht")),
        _profile_saved,
    ),
]


@pytest.mark.parametrize(("name", "arrange", "act", "done"), CASES, ids=[c[0] for c in CASES])
async def test_a_fault_after_any_step_leaves_nothing(
    name: str, arrange: Any, act: Act, done: Check, services: Services, db: Database, clock: FixedClock
) -> None:
    """Raise after statement 1, 2, ... of the use case: each time nothing changed; in the end all of it is there."""
    ctx = await arrange(services, clock)
    await fault_after_every_step(db, name, lambda: act(services, ctx))
    await done(db, ctx)
