"""Every collaboration use case commits whole or not at all: a fault after any statement leaves nothing behind.

The method of tests/domain/test_atomicity.py: the database's step hook raises after the n-th statement, for
n = 1, 2, ... until the use case completes; after each fault the database equals its state before. Then the
completed use case left everything it writes (row, job, audit entry, notice) together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.collab.models import Draft
from bot.services import Services
from tests.domain.faults import fault_after_every_step

GUILD = 10
ANNA, BEN, MOD = 1, 2, 9
DRAFT = Draft("Samen digitaliseren", "Een gedeelde scanstraat.", "Een archief", ("collaboration",), "2026-12-01")
LATER = replace(DRAFT, deadline="2026-12-20")
Arrange = Callable[[Services, FixedClock], Awaitable[dict[str, Any]]]
Act = Callable[[Services, dict[str, Any]], Awaitable[Any]]
Check = Callable[[Database], Awaitable[None]]


async def _count(db: Database, sql: str) -> int:
    return int(await db.fetch_value(sql) or 0)


async def _nothing(services: Services, clock: FixedClock) -> dict[str, Any]:
    return {}


async def _proposed(services: Services, clock: FixedClock) -> dict[str, Any]:
    return {"proposal": await services.collab.propose(GUILD, ANNA, DRAFT)}


async def _joined(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _proposed(services, clock)
    ctx["partner"] = await services.collab.join(GUILD, BEN, ctx["proposal"].id)
    return ctx


async def _accepted(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _joined(services, clock)
    await services.collab.answer(GUILD, ANNA, ctx["partner"].id, accept=True)
    return ctx


async def _past_deadline(services: Services, clock: FixedClock) -> dict[str, Any]:
    ctx = await _accepted(services, clock)
    ctx["job"] = await services.jobs.find_active(f"collab.expire:{ctx['proposal'].id}:{ctx['proposal'].deadline_at}")
    clock.advance(timedelta(days=9))
    return ctx


async def _proposed_done(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_proposals WHERE status = 'open'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'collab.expire' AND status = 'pending'") == 1


async def _edited(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_proposals WHERE deadline_date = '2026-12-20'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'collab.expire' AND status = 'pending'") == 1


async def _join_done(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_partners WHERE status = 'pending'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'collab.ask'") == 1


async def _answered(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_partners WHERE status = 'accepted'") == 1
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'collab.notice.accepted'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'collab.tell'") == 1


async def _closed(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_proposals WHERE status = 'closed'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'collab.expire' AND status = 'pending'") == 0
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'collab.notice.closed_done'") == 1


async def _removed(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_proposals WHERE status = 'removed'") == 1
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'collab.remove'") == 1
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key = 'collab.notice.removed'") == 1
    assert await _count(db, "SELECT count(*) FROM jobs WHERE kind = 'collab.expire' AND status = 'pending'") == 0


async def _expired(db: Database) -> None:
    assert await _count(db, "SELECT count(*) FROM collab_proposals WHERE status = 'expired'") == 1
    assert await _count(db, "SELECT count(*) FROM member_notices WHERE key LIKE 'collab.notice.expired%'") == 2


CASES: list[tuple[str, Arrange, Act, Check]] = [
    ("propose", _nothing, lambda s, c: s.collab.propose(GUILD, ANNA, DRAFT), _proposed_done),
    (
        "edit",
        _proposed,
        lambda s, c: s.collab.edit(GUILD, ANNA, c["proposal"].id, LATER, c["proposal"].version),
        _edited,
    ),
    ("join", _proposed, lambda s, c: s.collab.join(GUILD, BEN, c["proposal"].id), _join_done),
    ("answer", _joined, lambda s, c: s.collab.answer(GUILD, ANNA, c["partner"].id, accept=True), _answered),
    ("close", _accepted, lambda s, c: s.collab.close(GUILD, ANNA, c["proposal"].id, "done", "Klaar"), _closed),
    ("remove", _proposed, lambda s, c: s.collab.remove(GUILD, MOD, c["proposal"].id, "Dubbel"), _removed),
    ("expire", _past_deadline, lambda s, c: s.collab.expire(c["job"]), _expired),
]


@pytest.mark.parametrize(("name", "arrange", "act", "check"), CASES, ids=[c[0] for c in CASES])
async def test_use_case_is_atomic(
    services: Services, db: Database, clock: FixedClock, name: str, arrange: Arrange, act: Act, check: Check
) -> None:
    """No statement of the use case is ever left on its own; the whole of it lands together."""
    ctx = await arrange(services, clock)
    steps = await fault_after_every_step(db, name, lambda: act(services, ctx))
    assert steps >= 2
    await check(db)
