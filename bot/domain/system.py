"""The bot's own bookkeeping: uptime, database figures and the hash of the last synced command tree."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.db.database import UnitOfWork
    from bot.db.repos.bot_state import BotStateRepo
    from bot.domain.guild_settings import GuildSettingsService


@dataclass(frozen=True, slots=True)
class About:
    """Figures for /about."""

    version: str
    uptime: timedelta
    schema_version: int
    database_bytes: int
    configured_servers: int


def command_tree_hash(payload: list[dict[str, Any]]) -> str:
    """A stable hash of the translated command payload, so a sync happens only when something changed."""
    canonical = json.dumps(sorted(payload, key=lambda c: (c.get("type", 1), c["name"])), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SystemService:
    """Start time, database figures, and the command-sync bookkeeping."""

    def __init__(
        self, uow: UnitOfWork, state: BotStateRepo, guild_settings: GuildSettingsService, clock: Clock, version: str
    ) -> None:
        self._uow = uow
        self._state = state
        self._guild_settings = guild_settings
        self._clock = clock
        self._version = version
        self.started_at: datetime = clock.now()

    async def about(self) -> About:
        """Version, uptime and a few database figures."""
        return About(
            version=self._version,
            uptime=self._clock.now() - self.started_at,
            schema_version=await self._state.schema_version(),
            database_bytes=await self._state.database_size(),
            configured_servers=await self._guild_settings.count_configured(),
        )

    @staticmethod
    def _sync_key(guild_id: int | None) -> str:
        return "command_hash:global" if guild_id is None else f"command_hash:guild:{guild_id}"

    async def needs_sync(self, guild_id: int | None, tree_hash: str) -> bool:
        """Whether the tree differs from the one last synced to this scope."""
        return await self._state.get(self._sync_key(guild_id)) != tree_hash

    async def record_sync(self, guild_id: int | None, tree_hash: str) -> None:
        """Remember the hash of the tree just synced to this scope."""
        async with self._uow.transaction() as tx:
            await self._state.set(tx, self._sync_key(guild_id), tree_hash, self._clock.now())
