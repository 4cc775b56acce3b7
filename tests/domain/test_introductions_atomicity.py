"""Every introductions use case commits whole or not at all: a fault after any of its statements leaves nothing.

The method of tests/domain/test_atomicity.py: the step hook raises after the n-th statement, for n = 1, 2, ...
until the use case completes; after each fault the database equals its state before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.introductions.common import CHECKIN_JOB, EXPIRE_JOB, OPEN_JOB, job_key
from bot.services import Services
from tests.domain.faults import fault_after_every_step

GUILD = 10
ALICE, BOB, CAROL = 1, 2, 3
Act = Callable[[Services, dict[str, Any]], Awaitable[Any]]
Check = Callable[[Database, dict[str, Any]], Awaitable[None]]


async def _count(db: Database, sql: str) -> int:
    return int(await db.fetch_value(sql) or 0)


async def _offers(services: Services, clock: FixedClock) -> dict[str, Any]:
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="basic")
    need, _ = await services.skills.listings.need(GUILD, BOB, "iiif")
    return {"need": need.id}


async def _requested(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _offers(services, clock)
    ctx["intro"] = (await services.match.requests.request(GUILD, BOB, ctx["need"])).asked.id
    return ctx


async def _due(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _requested(services, clock)
    ctx["job"] = await services.jobs.find_active(job_key(EXPIRE_JOB, ctx["intro"]))
    clock.advance(ctx["job"].run_at - clock.now())
    return ctx


async def _accepted(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _requested(services, clock)
    await services.match.requests.answer(GUILD, ALICE, ctx["intro"], True)
    job = await services.jobs.find_active(job_key(OPEN_JOB, ctx["intro"]))
    ctx["opening"] = await services.match.followup.due_opening(job)  # type: ignore[arg-type]
    return ctx


async def _opened(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _accepted(services, clock)
    await services.match.followup.opened(ctx["opening"], 900, 901)
    job = await services.jobs.find_active(job_key(CHECKIN_JOB, ctx["intro"]))
    clock.advance(job.run_at - clock.now())  # type: ignore[union-attr]
    ctx["checkin"] = await services.match.followup.due_checkin(job)  # type: ignore[arg-type]
    return ctx


async def _checked_in(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _opened(services, clock)
    await services.match.followup.checked_in(ctx["checkin"], reached=(True, True))
    return ctx


async def _asked(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM introductions WHERE status = 'asked'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind IN ('match.ask', 'match.expire')") == 2


async def _moved_on(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM introductions WHERE status = 'asked' AND offerer_id = 3") == 1
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'match.notice.next'") == 1


async def _matched(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM match_requests WHERE status = 'matched'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'match.open' AND status = 'pending'") == 1


async def _introduced(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'match.notice.introduced'") == 2
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'match.checkin'") == 1


async def _checkin_done(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM introductions WHERE checkin_at IS NOT NULL") == 1
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'match.notice.checkin'") == 1


async def _outcome(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM introductions WHERE requester_outcome = 'helped'") == 1


async def _blocked(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM match_blocks") == 1


async def _forgotten(db: Database, ctx: dict[str, Any]) -> None:
    assert await _count(db, "SELECT count(*) FROM introductions WHERE offerer_id = -1 AND status = 'withdrawn'") == 1


CASES: list[tuple[str, Callable[[Services, FixedClock], Awaitable[dict[str, Any]]], Act, Check]] = [
    ("request", _offers, lambda s, c: s.match.requests.request(GUILD, BOB, c["need"]), _asked),
    ("decline", _requested, lambda s, c: s.match.requests.answer(GUILD, ALICE, c["intro"], False), _moved_on),
    ("accept", _requested, lambda s, c: s.match.requests.answer(GUILD, ALICE, c["intro"], True), _matched),
    ("expire", _due, lambda s, c: s.match.requests.expire(c["job"]), _moved_on),
    ("introduce", _accepted, lambda s, c: s.match.followup.opened_without_thread(c["opening"]), _introduced),
    ("check in", _opened, lambda s, c: s.match.followup.checked_in(c["checkin"], reached=(True, False)), _checkin_done),
    ("outcome", _checked_in, lambda s, c: s.match.followup.record_outcome(GUILD, BOB, c["intro"], "helped"), _outcome),
    ("block", _offers, lambda s, c: s.match.people.block(GUILD, BOB, ALICE), _blocked),
    ("forget", _requested, lambda s, c: s.privacy.forget(GUILD, ALICE), _forgotten),
]


@pytest.mark.parametrize(("name", "arrange", "act", "done"), CASES, ids=[c[0] for c in CASES])
async def test_a_fault_after_any_step_leaves_nothing(
    name: str, arrange: Any, act: Act, done: Check, services: Services, db: Database, clock: FixedClock
) -> None:
    """Raise after statement 1, 2, ... of the use case: each time nothing changed; in the end all of it is there."""
    ctx = await arrange(services, clock)
    await fault_after_every_step(db, name, lambda: act(services, ctx))
    await done(db, ctx)
