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


async def test_departed_server_is_purged_after_retention(services: Services, clock: FixedClock, db: Database) -> None:
    """Data is kept while within the retention period, then every row of that server goes; others stay."""
    await services.guild_settings.update(1, locale="en")
    await services.guild_settings.update(2, locale="nl")
    await services.setup.remember_forum_tags(1, 100, {"solved": 5})
    await services.setup.left(1)
    clock.advance(timedelta(days=29))
    assert await services.setup.purge_departed(30) == []
    clock.advance(timedelta(days=2))
    assert await services.setup.purge_departed(30) == [1]
    assert (await services.guild_settings.get(1)).locale is None
    assert await services.setup.forum_tags(1, 100) == {}
    assert (await services.guild_settings.get(2)).locale == "nl"


async def test_rejoining_cancels_the_purge(services: Services, clock: FixedClock) -> None:
    """A server that adds the bot back before the deadline keeps its data."""
    await services.guild_settings.update(1, locale="en")
    await services.setup.left(1)
    await services.setup.joined(1)
    clock.advance(timedelta(days=90))
    assert await services.setup.purge_departed(30) == []
    assert (await services.guild_settings.get(1)).locale == "en"
