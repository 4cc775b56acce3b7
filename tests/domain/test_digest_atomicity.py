"""Digest use cases commit whole or not at all: a fault after any statement leaves the database as it was.

The method of tests/domain/test_atomicity.py (tests/domain/faults.py): the step hook raises after statement 1, 2,
... until the use case completes; after each fault every table equals its state before.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.digest.models import FANOUT_JOB, POST_JOB
from bot.services import Services
from tests.domain.faults import fault_after_every_step
from tests.domain.test_digest import ANNA, BEN, CAS, GUILD, MOD, NEXT_SLOT, configure, count, question, resource


async def _world(services: Services, clock: FixedClock) -> None:
    await configure(services)
    await resource(services, 1)
    await resource(services, 2, theme="strategy")
    await question(services, 500, "Hoe zetten we een IIIF-server op?")
    await services.skills.listings.offer(GUILD, BEN, "iiif", level="expert")
    await services.digest.subscribe(GUILD, ANNA, themes=("skills",), frequency="weekly", locale=None)
    await services.digest.subscribe(GUILD, BEN, themes=("collective",), frequency="weekly", locale="en")
    await services.digest.subscribe(GUILD, CAS, themes=("collective",), frequency="monthly", locale=None)
    clock.advance(timedelta(minutes=1))


async def test_planning_a_run_is_all_or_nothing(services: Services, db: Database, clock: FixedClock) -> None:
    """send-now: run, snapshot, deliveries, jobs and audit entry commit together, or none of them."""
    await _world(services, clock)
    steps = await fault_after_every_step(db, "send now", lambda: services.digest.send_now(GUILD, MOD))
    assert steps >= 5
    assert await count(db, "SELECT count(*) FROM digest_runs") == 1
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 2  # the monthly member is not due
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind IN (?, ?)", POST_JOB, FANOUT_JOB) == 2
    assert await count(db, "SELECT count(*) FROM audit_log WHERE action = 'digest.send_now'") == 1


async def test_the_scheduled_run_is_all_or_nothing(services: Services, db: Database, clock: FixedClock) -> None:
    """The digest.run job's planning transaction is just as atomic (the job itself is retried by the runner)."""
    await _world(services, clock)
    clock.advance(NEXT_SLOT - clock.now())
    settings = await services.guild_settings.get(GUILD)
    plan = services.digest._plan  # the job's use case, without the runner's own bookkeeping around it

    async def act() -> None:
        await plan(settings, "2026-W49", NEXT_SLOT)

    await fault_after_every_step(db, "scheduled run", act)
    assert await count(db, "SELECT count(*) FROM digest_runs WHERE period = '2026-W49'") == 1
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 2


async def test_recording_sends_is_atomic(services: Services, db: Database, clock: FixedClock) -> None:
    """A sent DM and the member's DM channel; closed DMs and the subscription's mark; each together or not at all."""
    await _world(services, clock)
    run, _ = await services.digest.send_now(GUILD, MOD)
    assert run is not None
    first, second = await services.digest.claim_deliveries(run.id, "w", 5)
    await fault_after_every_step(db, "delivered", lambda: services.digest.delivered(first, 1, 2))
    await fault_after_every_step(db, "unreachable", lambda: services.digest.unreachable(second))
    assert await count(db, "SELECT count(*) FROM digest_subscriptions WHERE dm_channel_id = 2") == 1
    assert await count(db, "SELECT count(*) FROM digest_subscriptions WHERE unreachable_at IS NOT NULL") == 1
