"""SQL for per-server settings."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Database
from bot.domain.guild_settings import THEMES, GuildSettings

_GET = """
    SELECT guild_id, locale, timezone, moderator_role_id, moderator_channel_id,
           help_forum_id, digest_channel_id, themes, left_at
    FROM guild_settings
    WHERE guild_id = :guild_id"""

_UPSERT = """
    INSERT INTO guild_settings (guild_id, locale, timezone, moderator_role_id, moderator_channel_id,
                                help_forum_id, digest_channel_id, themes, left_at, created_at, updated_at)
    VALUES (:guild_id, :locale, :timezone, :moderator_role_id, :moderator_channel_id,
            :help_forum_id, :digest_channel_id, :themes, :left_at, :now, :now)
    ON CONFLICT (guild_id) DO UPDATE SET
        locale = excluded.locale,
        timezone = excluded.timezone,
        moderator_role_id = excluded.moderator_role_id,
        moderator_channel_id = excluded.moderator_channel_id,
        help_forum_id = excluded.help_forum_id,
        digest_channel_id = excluded.digest_channel_id,
        themes = excluded.themes,
        left_at = excluded.left_at,
        updated_at = excluded.updated_at"""

_COUNT = """
    SELECT count(*) FROM guild_settings WHERE left_at IS NULL"""


class GuildSettingsRepo:
    """Stores :class:`GuildSettings` rows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings | None:
        """Load one server's settings, or None if it has none stored."""
        row = await self._db.fetch_one(_GET, {"guild_id": guild_id})
        return None if row is None else _to_settings(row)

    async def save(self, settings: GuildSettings, now: datetime) -> None:
        """Insert or replace one server's settings."""
        params = {
            "guild_id": settings.guild_id,
            "locale": settings.locale,
            "timezone": settings.timezone,
            "moderator_role_id": settings.moderator_role_id,
            "moderator_channel_id": settings.moderator_channel_id,
            "help_forum_id": settings.help_forum_id,
            "digest_channel_id": settings.digest_channel_id,
            "themes": None if settings.themes == THEMES else json.dumps(list(settings.themes)),
            "left_at": settings.left_at,
            "now": to_iso(now),
        }
        async with self._db.transaction() as tx:
            await tx.execute(_UPSERT, params)

    async def count(self) -> int:
        """How many servers (still present) have stored settings."""
        return int(await self._db.fetch_value(_COUNT) or 0)


def _to_settings(row: sqlite3.Row) -> GuildSettings:
    defaults = GuildSettings(guild_id=row["guild_id"])
    themes = tuple(json.loads(row["themes"])) if row["themes"] else defaults.themes
    return GuildSettings(
        guild_id=row["guild_id"],
        locale=row["locale"],
        timezone=row["timezone"] or defaults.timezone,
        moderator_role_id=row["moderator_role_id"],
        moderator_channel_id=row["moderator_channel_id"],
        help_forum_id=row["help_forum_id"],
        digest_channel_id=row["digest_channel_id"],
        themes=themes,
        left_at=row["left_at"],
    )
