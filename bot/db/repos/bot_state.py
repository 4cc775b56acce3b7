"""SQL for the bot's own small key/value state (e.g. the last synced command hash)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Database, Transaction

_GET = """
    SELECT value FROM bot_state WHERE key = :key"""

_SET = """
    INSERT INTO bot_state (key, value, updated_at) VALUES (:key, :value, :now)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"""


class BotStateRepo:
    """Key/value state that must survive restarts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        value = await self._db.fetch_value(_GET, {"key": key})
        return None if value is None else str(value)

    async def set(self, tx: Transaction, key: str, value: str, now: datetime) -> None:
        """Store a value."""
        await tx.execute(_SET, {"key": key, "value": value, "now": to_iso(now)})

    async def schema_version(self) -> int:
        """The database's schema version."""
        return int(await self._db.fetch_value("PRAGMA user_version") or 0)

    async def database_size(self) -> int:
        """Size of the database file in bytes (pages × page size)."""
        pages = int(await self._db.fetch_value("PRAGMA page_count") or 0)
        size = int(await self._db.fetch_value("PRAGMA page_size") or 0)
        return pages * size
