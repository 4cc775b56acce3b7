"""The bot's own bookkeeping: uptime, database figures, the last synced command tree, and the heartbeat.

``steunpunt health`` (the container's health check) reads the heartbeat.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, from_iso, to_iso

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


HEARTBEAT_KEY = "heartbeat"
HEARTBEAT_EVERY = timedelta(seconds=60)
"""How often the running bot records that it is alive (from its jobs loop)."""
HEALTHY_WITHIN = timedelta(seconds=180)
"""``steunpunt health``'s default: a heartbeat older than this means the bot is not running or is stuck."""


@dataclass(frozen=True, slots=True)
class Health:
    """What the last heartbeat says: whether the bot runs, is connected to Discord, and how old the news is."""

    healthy: bool
    reason: str
    """One line for operators (English, like the rest of the command line)."""
    age: timedelta | None = None
    connected: bool | None = None


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

    async def heartbeat(self, *, connected: bool) -> None:
        """Record that this process is alive, and whether it is connected to Discord's gateway."""
        value = json.dumps({"at": to_iso(self._clock.now()), "connected": connected})
        async with self._uow.transaction() as tx:
            await self._state.set(tx, HEARTBEAT_KEY, value, self._clock.now())

    async def health(self, within: timedelta = HEALTHY_WITHIN) -> Health:
        """Healthy when a heartbeat from the last ``within`` says the bot is connected to Discord."""
        raw = await self._state.get(HEARTBEAT_KEY)
        if raw is None:
            return Health(False, "no heartbeat yet: the bot has not run (or not connected) with this database")
        try:
            beat = json.loads(raw)
            at, connected = from_iso(str(beat["at"])), bool(beat["connected"])
        except (ValueError, KeyError, TypeError):
            return Health(False, "the stored heartbeat is unreadable; it is rewritten within a minute by a running bot")
        age = max(self._clock.now() - at, timedelta(0))
        seconds = int(age.total_seconds())
        if age > within:
            return Health(False, f"no heartbeat for {seconds} s: the bot is not running or is stuck", age, connected)
        if not connected:
            return Health(False, f"running, but not connected to Discord (heartbeat {seconds} s ago)", age, connected)
        return Health(True, f"running and connected to Discord (heartbeat {seconds} s ago)", age, connected)
