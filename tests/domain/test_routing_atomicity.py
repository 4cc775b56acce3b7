"""Every routing use case commits whole or not at all: a fault after any of its statements leaves nothing behind.

The method of tests/domain/test_atomicity.py: the database's step hook raises after the n-th statement, for
n = 1, 2, ... until the use case completes; after each fault the database equals its state before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.db.database import Database
from bot.domain.qa_models import HelpPost
from bot.domain.skills.models import ProfileChanges
from bot.services import Services
from tests.domain.faults import fault_after_every_step

GUILD, THREAD = 10, 500
ASKER, ANNA, BEN, MOD = 1, 2, 3, 9
Act = Callable[[Services, dict[str, Any]], Awaitable[Any]]
Check = Callable[[Database, dict[str, Any]], Awaitable[None]]


async def _count(db: Database, sql: str, *params: Any) -> int:
    return int(await db.fetch_value(sql, params) or 0)


async def _posted(services: Services, db: Database) -> dict[str, Any]:
    for user in (ANNA, BEN):
        await services.skills.profiles.update(GUILD, user, ProfileChanges(askable=True))
        await services.skills.listings.offer(GUILD, user, "iiif", level="expert")
    await services.qa.post_opened(HelpPost(THREAD, GUILD, 50, ASKER, "Hoe zetten we een IIIF-server op?"))
    return {"post": await services.qa.post(GUILD, THREAD)}


async def _routed(services: Services, db: Database) -> dict[str, Any]:
    ctx = await _posted(services, db)
    await services.routing.flow.start(ctx["post"], "forum")
    row = await db.fetch_one("SELECT id, helper_id FROM routing_asks WHERE status = 'pending'")
    assert row is not None
    return {**ctx, "ask": int(row["id"]), "helper": int(row["helper_id"])}


async def _started(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM routing_asks WHERE status = 'pending'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind IN ('routing.deliver', 'routing.expire')") == 2


async def _passed(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM routing_asks WHERE status = 'declined'") == 1
    assert await _count(db, "SELECT count(*) FROM routing_asks WHERE status = 'pending'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'routing.deliver'") == 2


async def _taken(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM routing_requests WHERE status = 'taken'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'routing.announce'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'routing.expire' AND status = 'pending'") == 0


async def _coach_set(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM routing_coaches") == 1
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'coach.set'") == 1


async def _nothing(services: Services, db: Database) -> dict[str, Any]:
    return {}


CASES: list[tuple[str, Callable[[Services, Database], Awaitable[dict[str, Any]]], Act, Check]] = [
    ("start", _posted, lambda s, c: s.routing.flow.start(c["post"], "forum"), _started),
    ("not now", _routed, lambda s, c: s.routing.flow.decline(GUILD, c["helper"], c["ask"]), _passed),
    ("take", _routed, lambda s, c: s.routing.flow.take(GUILD, c["helper"], c["ask"]), _taken),
    (
        "coach",
        _nothing,
        lambda s, c: s.routing.coaches.set(GUILD, MOD, "zeeland", "Erfgoed Zeeland", "https://erfgoedzeeland.nl/"),
        _coach_set,
    ),
]


@pytest.mark.parametrize(("name", "arrange", "act", "done"), CASES, ids=[c[0] for c in CASES])
async def test_a_fault_after_any_step_leaves_nothing(
    name: str, arrange: Any, act: Act, done: Check, services: Services, db: Database
) -> None:
    """Raise after statement 1, 2, ... of the use case: each time nothing changed; in the end all of it is there."""
    ctx = await arrange(services, db)
    await fault_after_every_step(db, name, lambda: act(services, ctx))
    await done(db, ctx)
