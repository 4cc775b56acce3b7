"""Durable jobs through the wire: a job that gives up is reported once in the moderators' channel."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.domain.jobs import DEAD_ALERT, Job
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


async def _always_fails(job: Job) -> None:
    raise ConnectionError("the remote site is down")


async def _bury_one_job(bot: SteunpuntBot, clock: FixedClock, guild_id: int) -> int:
    """Enqueue a job that always fails, and run it until it is dead (two attempts)."""
    bot.services.job_runner.register("test.always_fails", _always_fails, max_attempts=2)
    job_id = await bot.services.jobs.submit("test.always_fails", {"resource_id": 1}, guild_id=guild_id)
    assert job_id is not None
    await bot.run_jobs()
    clock.advance(timedelta(hours=1))
    await bot.run_jobs()
    return job_id


async def test_dead_job_is_reported_once_in_the_moderators_channel(steunpunt: Env, clock: FixedClock) -> None:
    """When a job goes dead, exactly one short alert appears in the moderators' channel, pinging nobody."""
    fake, bot = steunpunt
    await bot.services.guild_settings.update(fake.guild.id, moderator_channel_id=fake.world.moderators.id)
    job_id = await _bury_one_job(bot, clock, fake.guild.id)
    alert = await fake.wait_until(lambda: next(iter(fake.messages(fake.world.moderators)), None), what="the alert")
    assert "test.always_fails" in alert.content and str(job_id) in alert.content
    assert "ConnectionError" in alert.content and "remote site" not in alert.content
    assert "achtergrondtaak" in alert.content  # the server's language is not set: the default (nl)
    assert alert.pings == []
    clock.advance(timedelta(days=1))
    await bot.run_jobs()
    assert len(fake.messages(fake.world.moderators)) == 1
    dead = await bot.services.jobs.get(job_id)
    assert dead is not None and dead.status == "dead"


async def test_alert_follows_the_server_language(steunpunt: Env, clock: FixedClock) -> None:
    """A server set to English gets the alert in English."""
    fake, bot = steunpunt
    await bot.services.guild_settings.update(fake.guild.id, moderator_channel_id=fake.world.moderators.id, locale="en")
    await _bury_one_job(bot, clock, fake.guild.id)
    alert = await fake.wait_until(lambda: next(iter(fake.messages(fake.world.moderators)), None), what="the alert")
    assert "background task" in alert.content


async def test_alert_without_moderators_channel_is_done_quietly(steunpunt: Env, clock: FixedClock) -> None:
    """A server without a moderators' channel gets no message; the alert job still finishes (done, no retries)."""
    fake, bot = steunpunt
    job_id = await _bury_one_job(bot, clock, fake.guild.id)
    alert = await bot.services.jobs.find_active(f"dead:{job_id}")
    assert alert is None
    counts = {(c.kind, c.status): c.count for c in await bot.services.jobs.counts()}
    assert counts[(DEAD_ALERT, "done")] == 1
    assert fake.messages(fake.world.moderators) == []
