"""Server settings on a real database: validation before storage, one row per non-default value, a setting
declared only in the schema is stored without a migration, and migration 0008 carries the old columns over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.db.repos.guild_settings import GuildSettingsRepo
from bot.domain.guild_settings import THEMES, GuildSettings, GuildSettingsService
from bot.domain.settings_schema import Kind, setting
from bot.errors import Invalid
from bot.services import Services, build_services


@dataclass(frozen=True, slots=True)
class WithDigest(GuildSettings):
    """The real settings plus two declared-only settings, as a later issue would add them."""

    digest_hour: int = setting(Kind.HOUR, "digest_hour", default=9, wizard=True)
    weekly_ask_cap: int = setting(Kind.INTEGER, "weekly_ask_cap", default=3, minimum=1, maximum=20)


async def _rows(db: Database, guild_id: int) -> dict[str, str]:
    rows = await db.fetch_all(
        "SELECT key, value FROM guild_setting_values WHERE guild_id = :g ORDER BY key", {"g": guild_id}
    )
    return {row["key"]: row["value"] for row in rows}


async def test_invalid_changes_store_nothing(services: Services, db: Database) -> None:
    """An unknown key or a wrong type is refused before anything is written, even alongside valid changes."""
    with pytest.raises(Invalid) as info:
        await services.guild_settings.update(1, locale="en", colour="blue")
    assert info.value.key == "setup.setting.unknown"
    with pytest.raises(Invalid) as info:
        await services.guild_settings.update(1, moderator_channel_id="#mods")
    assert info.value.key == "setup.setting.invalid.reference"
    assert await _rows(db, 1) == {}
    assert (await services.guild_settings.get(1)).locale is None


async def test_only_values_that_differ_from_the_default_are_stored(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Choosing the default again removes the row, so the server follows the default (e.g. new themes)."""
    await services.guild_settings.update(1, timezone="UTC", themes=("skills",), help_forum_id=30)
    assert await _rows(db, 1) == {"help_forum_id": "30", "themes": '["skills"]', "timezone": '"UTC"'}
    await services.guild_settings.update(1, timezone="Europe/Amsterdam", themes=THEMES, help_forum_id=None)
    assert await _rows(db, 1) == {}
    stored = await build_services(db, clock).guild_settings.get(1)
    assert (stored.timezone, stored.themes, stored.help_forum_id) == ("Europe/Amsterdam", THEMES, None)


async def test_a_declared_setting_is_stored_without_a_migration(db: Database, clock: FixedClock) -> None:
    """A setting added to the schema alone is validated, stored, and read back after a restart."""
    service = GuildSettingsService(db, GuildSettingsRepo(db), clock, settings_type=WithDigest)
    assert (await service.get(1)).digest_hour == 9  # type: ignore[attr-defined]
    await service.update(1, digest_hour=18, weekly_ask_cap=5, locale="en")
    with pytest.raises(Invalid):
        await service.update(1, weekly_ask_cap=50)
    fresh = GuildSettingsService(db, GuildSettingsRepo(db), clock, settings_type=WithDigest)
    stored = await fresh.get(1)
    assert isinstance(stored, WithDigest)
    assert (stored.digest_hour, stored.weekly_ask_cap, stored.locale) == (18, 5, "en")
    # the real schema ignores values it does not declare (e.g. after a setting was removed)
    plain = await GuildSettingsService(db, GuildSettingsRepo(db), clock).get(1)
    assert type(plain) is GuildSettings and plain.locale == "en"


async def test_a_stored_value_that_no_longer_fits_falls_back_to_the_default(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A row the schema now refuses (a removed time zone, a narrowed range) reads as the default, not a crash."""
    await services.guild_settings.update(1, timezone="UTC")
    async with db.transaction() as tx:
        await tx.execute("UPDATE guild_setting_values SET value = '\"Atlantis/Capital\"' WHERE key = 'timezone'")
    assert (await build_services(db, clock).guild_settings.get(1)).timezone == "Europe/Amsterdam"


async def test_migration_carries_the_old_columns_over(tmp_path: Path, clock: FixedClock) -> None:
    """Settings stored in the columns of version 7 read back the same after migration 0008."""
    async with Database.open(tmp_path / "old.sqlite3") as db:
        await apply_migrations(db, target=7)
        async with db.transaction() as tx:
            await tx.execute(
                """INSERT INTO guild_settings (guild_id, locale, timezone, moderator_role_id, moderator_channel_id,
                                               help_forum_id, digest_channel_id, themes, left_at, created_at,
                                               updated_at)
                   VALUES (1, 'en', 'Europe/London', 10, 20, 30, 21, '["skills", "strategy"]', NULL, 'x', 'x'),
                          (2, NULL, 'Europe/Amsterdam', NULL, NULL, NULL, NULL, NULL, '2026-01-01T00:00:00Z',
                           'x', 'x')"""
            )
        assert 8 in await apply_migrations(db)
        service = build_services(db, clock).guild_settings
        one, two = await service.get(1), await service.get(2)
        assert one == GuildSettings(
            guild_id=1,
            locale="en",
            timezone="Europe/London",
            moderator_role_id=10,
            moderator_channel_id=20,
            help_forum_id=30,
            digest_channel_id=21,
            themes=("skills", "strategy"),
        )
        assert two == GuildSettings(guild_id=2, left_at="2026-01-01T00:00:00Z")
        assert await _rows(db, 2) == {}
        assert await service.count_configured() == 1
