"""The running bot's heartbeat (what ``steunpunt health`` and the container's health check read)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


def _jobs_cog(bot: SteunpuntBot) -> object:
    cog = bot.get_cog("JobsCog")
    assert cog is not None
    return cog


async def test_the_connected_bot_beats_once_a_minute_and_health_follows(steunpunt: Env, clock: FixedClock) -> None:
    """Connected to the (fake) gateway, the jobs loop's beat makes the database say healthy; a second beat within
    the minute writes nothing new; once beats stop, health turns unhealthy after three minutes."""
    _fake, bot = steunpunt
    cog = _jobs_cog(bot)
    await cog.beat()  # type: ignore[attr-defined]
    health = await bot.services.system.health()
    assert health.healthy and health.connected, health.reason
    clock.advance(timedelta(seconds=30))
    await cog.beat()  # type: ignore[attr-defined]  # within the minute: the old beat stays
    assert (await bot.services.system.health()).age == timedelta(seconds=30)
    clock.advance(timedelta(minutes=3))
    assert not (await bot.services.system.health()).healthy


async def test_a_closed_bot_is_not_reported_as_connected(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """After the bot closed its gateway connection, its last beat says not connected."""
    async with launch() as bot:
        cog = _jobs_cog(bot)
        await bot.close()
        cog._last_beat = None  # type: ignore[attr-defined]  # as if a minute had passed
        await cog.beat()  # type: ignore[attr-defined]
        health = await bot.services.system.health()
    assert not health.healthy and health.connected is False
