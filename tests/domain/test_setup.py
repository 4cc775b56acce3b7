"""Set-up services on a real database: settings, scoping, alerts, leaving and purging."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.db.database import Database
from bot.services import Services, build_services


async def test_settings_survive_a_new_service(services: Services, db: Database, clock: FixedClock) -> None:
    """What is saved is read back by a fresh service (as after a restart)."""
    await services.guild_settings.update(1, locale="en", timezone="Europe/London", moderator_role_id=5)
    fresh = build_services(db, clock)
    stored = await fresh.guild_settings.get(1)
    assert (stored.locale, stored.timezone, stored.moderator_role_id) == ("en", "Europe/London", 5)


async def test_update_changes_only_what_is_given(services: Services) -> None:
    """Running setup again for one field keeps the others."""
    await services.guild_settings.update(1, locale="en", digest_channel_id=7)
    await services.guild_settings.update(1, timezone="UTC")
    stored = await services.guild_settings.get(1)
    assert (stored.locale, stored.digest_channel_id, stored.timezone) == ("en", 7, "UTC")


async def test_servers_are_isolated(services: Services, db: Database, clock: FixedClock) -> None:
    """One server's changes never show up in, or alter, another's settings."""
    await services.guild_settings.update(1, locale="en", moderator_role_id=11)
    await services.guild_settings.update(2, locale="nl", moderator_role_id=22)
    await services.guild_settings.update(2, timezone="UTC")
    fresh = build_services(db, clock)
    one, two = await fresh.guild_settings.get(1), await fresh.guild_settings.get(2)
    assert (one.locale, one.moderator_role_id, one.timezone) == ("en", 11, "Europe/Amsterdam")
    assert (two.locale, two.moderator_role_id, two.timezone) == ("nl", 22, "UTC")
    await services.setup.remember_forum_tags(1, 100, {"solved": 5})
    assert await services.setup.forum_tags(2, 100) == {}


async def test_alert_is_news_once_per_problem(services: Services) -> None:
    """The same problem is reported once; a different one, or one that returns after a fix, again."""
    assert await services.setup.is_news(1, "permissions", "abc")
    assert not await services.setup.is_news(1, "permissions", "abc")
    assert await services.setup.is_news(1, "permissions", "def")
    await services.setup.resolved(1, "permissions")
    assert await services.setup.is_news(1, "permissions", "def")
    assert await services.setup.is_news(2, "permissions", "def")


async def test_departed_server_is_purged_by_its_job_after_retention(
    services: Services, clock: FixedClock, db: Database
) -> None:
    """Removal schedules a durable purge job: nothing goes within the retention, then every row of that server."""
    await services.guild_settings.update(1, locale="en")
    await services.guild_settings.update(2, locale="nl")
    await services.setup.remember_forum_tags(1, 100, {"solved": 5})
    await services.setup.left(1)
    clock.advance(timedelta(days=29))
    await services.job_runner.run_due()
    assert (await services.guild_settings.get(1)).locale == "en"
    clock.advance(timedelta(days=2))
    await services.job_runner.run_due()
    services.guild_settings.forget_cached(1)
    assert (await services.guild_settings.get(1)).locale is None
    assert await services.setup.forum_tags(1, 100) == {}
    assert (await services.guild_settings.get(2)).locale == "nl"
    assert await db.fetch_value("SELECT count(*) FROM jobs WHERE guild_id = 1") == 0


async def test_rejoining_cancels_the_purge(services: Services, clock: FixedClock, db: Database) -> None:
    """A server that adds the bot back before the deadline keeps its data; its purge job is gone."""
    await services.guild_settings.update(1, locale="en")
    await services.setup.left(1)
    assert await db.fetch_value("SELECT count(*) FROM jobs WHERE kind = 'guild.purge'") == 1
    await services.setup.joined(1)
    assert await db.fetch_value("SELECT count(*) FROM jobs WHERE kind = 'guild.purge'") == 0
    clock.advance(timedelta(days=90))
    await services.job_runner.run_due()
    assert await services.setup.purge_departed() == []
    assert (await services.guild_settings.get(1)).locale == "en"


async def test_daily_cleanup_enforces_every_retention(services: Services, clock: FixedClock, db: Database) -> None:
    """The recurring clean-up deletes old searches, delivered notices and finished jobs, and purges old departures."""
    await services.qa.ask(10, "beeldbank opzetten")
    async with db.transaction() as tx:
        await services.members.add_notice(tx, 10, 7, "resources.notice.approved", {"title": "x", "note": ""})
    await services.members.take_notices(10, 7)

    async def nothing(_job: object) -> None:
        return None

    services.job_runner.register("test.nothing", nothing)
    await services.jobs.submit("test.nothing")
    async with db.transaction() as tx:  # a departure from before purge jobs existed (no job of its own)
        await tx.execute(
            "INSERT INTO guild_settings (guild_id, left_at, created_at, updated_at) VALUES (3, :t, :t, :t)",
            {"t": "2026-01-01T00:00:00+00:00"},
        )
    clock.advance(timedelta(days=200))
    await services.job_runner.run_due()  # the test job finishes; the clean-up is seeded and runs
    clock.advance(timedelta(days=40))
    await services.job_runner.run_due()
    assert await db.fetch_value("SELECT count(*) FROM search_log") == 0
    assert await db.fetch_value("SELECT count(*) FROM member_notices") == 0
    assert await db.fetch_value("SELECT count(*) FROM jobs WHERE kind = 'test.nothing'") == 0
    assert await db.fetch_value("SELECT count(*) FROM guild_settings WHERE guild_id = 3") == 0
    pending = "SELECT count(*) FROM jobs WHERE kind = 'retention.cleanup' AND status = 'pending'"
    assert await db.fetch_value(pending) == 1
