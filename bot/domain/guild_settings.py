"""Per-server settings: language, time zone, moderator role and channels, with defaults in one place."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.db.repos.guild_settings import GuildSettingsRepo

log = logging.getLogger(__name__)

THEMES: tuple[str, ...] = ("revenue-and-rights", "skills", "collective", "strategy", "collaboration")
"""The five themes, in the order members see them."""

DEFAULT_TIMEZONE = "Europe/Amsterdam"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's settings. ``None`` means "not configured"; the defaults below apply."""

    guild_id: int
    locale: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    moderator_role_id: int | None = None
    moderator_channel_id: int | None = None
    help_forum_id: int | None = None
    digest_channel_id: int | None = None
    themes: tuple[str, ...] = THEMES
    left_at: str | None = None

    def theme_enabled(self, theme: str) -> bool:
        """Whether a theme is switched on in this server."""
        return theme in self.themes


class GuildSettingsService:
    """Reads and changes server settings; reads are cached because every reply needs the language."""

    def __init__(self, repo: GuildSettingsRepo, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self._cache: dict[int, GuildSettings] = {}
        self._lock = asyncio.Lock()

    async def get(self, guild_id: int) -> GuildSettings:
        """The settings of a server, or the defaults if it never ran /setup."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        found = await self._repo.get(guild_id) or GuildSettings(guild_id=guild_id)
        self._cache[guild_id] = found
        return found

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some fields of a server's settings and return the result.

        Serialised, so two changes at once (the wizard and /setup timezone) never overwrite each other.
        """
        async with self._lock:
            current = await self.get(guild_id)
            updated = replace(current, **changes)
            await self._repo.save(updated, self._clock.now())
            self._cache[guild_id] = updated
            return updated

    def forget_cached(self, guild_id: int) -> None:
        """Drop a cached entry (after its rows were deleted)."""
        self._cache.pop(guild_id, None)

    async def count_configured(self) -> int:
        """How many servers have stored settings."""
        return await self._repo.count()
