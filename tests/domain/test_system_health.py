"""The heartbeat the running bot records and ``steunpunt health`` reads: healthy only when recent and connected."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.repos.bot_state import BotStateRepo
from bot.domain.system import HEALTHY_WITHIN, HEARTBEAT_KEY
from bot.services import Services


async def test_no_heartbeat_is_unhealthy(services: Services) -> None:
    """A database no bot has run on says so."""
    health = await services.system.health()
    assert not health.healthy
    assert "no heartbeat yet" in health.reason


async def test_a_recent_connected_heartbeat_is_healthy_until_it_grows_old(
    services: Services, clock: FixedClock
) -> None:
    """Healthy right after the beat and up to the limit; past it, the bot is taken for stopped or stuck."""
    await services.system.heartbeat(connected=True)
    clock.advance(timedelta(seconds=42))
    health = await services.system.health()
    assert health.healthy and health.connected
    assert health.age == timedelta(seconds=42)
    assert "42 s ago" in health.reason
    clock.advance(HEALTHY_WITHIN - timedelta(seconds=42))
    assert (await services.system.health()).healthy  # exactly at the limit
    clock.advance(timedelta(seconds=1))
    stale = await services.system.health()
    assert not stale.healthy
    assert "not running or is stuck" in stale.reason
    assert not (await services.system.health(timedelta(minutes=2))).healthy
    assert (await services.system.health(timedelta(minutes=10))).healthy


async def test_a_disconnected_bot_is_unhealthy_and_a_new_beat_replaces_the_old(
    services: Services, clock: FixedClock
) -> None:
    """Running but not connected to Discord is not healthy; the next connected beat is."""
    await services.system.heartbeat(connected=False)
    health = await services.system.health()
    assert not health.healthy and health.connected is False
    assert "not connected to Discord" in health.reason
    clock.advance(timedelta(minutes=1))
    await services.system.heartbeat(connected=True)
    assert (await services.system.health()).healthy


async def test_an_unreadable_heartbeat_is_unhealthy_not_an_error(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Whatever is stored under the key, the answer is a reason, never an exception."""
    for garbage in ("not json", "{}", '{"at": "yesterday", "connected": true}', "[1, 2]"):
        async with db.transaction() as tx:
            await BotStateRepo(db).set(tx, HEARTBEAT_KEY, garbage, clock.now())
        health = await services.system.health()
        assert not health.healthy
        assert "unreadable" in health.reason
