"""SQL for what the bot keeps per member: waiting notices and contact preferences."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database
from bot.domain.resources import Notice

_ADD_NOTICE = """
    INSERT INTO member_notices (guild_id, user_id, key, params, created_at)
    VALUES (:guild_id, :user_id, :key, :params, :now)"""

_PENDING = """
    SELECT id, guild_id, user_id, key, params FROM member_notices
    WHERE guild_id = :guild_id AND user_id = :user_id AND delivered_at IS NULL
    ORDER BY id
    LIMIT 10"""

_DELIVERED = """
    UPDATE member_notices SET delivered_at = :now WHERE id = :id AND delivered_at IS NULL"""

_GET_DM = """
    SELECT dm_opt_in FROM member_prefs WHERE guild_id = :guild_id AND user_id = :user_id"""

_SET_DM = """
    INSERT INTO member_prefs (guild_id, user_id, dm_opt_in, updated_at) VALUES (:guild_id, :user_id, :dm, :now)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET dm_opt_in = excluded.dm_opt_in, updated_at = excluded.updated_at"""


class MembersRepo:
    """Notices and preferences, per server and member."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_notice(self, guild_id: int, user_id: int, key: str, params: dict[str, Any], now: datetime) -> int:
        """Queue a notice for a member."""
        async with self._db.transaction() as tx:
            return await tx.execute(
                _ADD_NOTICE,
                {
                    "guild_id": guild_id,
                    "user_id": user_id,
                    "key": key,
                    "params": json.dumps(params),
                    "now": to_iso(now),
                },
            )

    async def pending(self, guild_id: int, user_id: int) -> list[Notice]:
        """Undelivered notices, oldest first (at most ten)."""
        rows = await self._db.fetch_all(_PENDING, {"guild_id": guild_id, "user_id": user_id})
        return [Notice(r["id"], r["guild_id"], r["user_id"], r["key"], json.loads(r["params"])) for r in rows]

    async def mark_delivered(self, notice_ids: list[int], now: datetime) -> int:
        """Mark notices delivered; returns how many were still undelivered (so each goes out once)."""
        count = 0
        async with self._db.transaction() as tx:
            for notice_id in notice_ids:
                count += await tx.execute_rowcount(_DELIVERED, {"id": notice_id, "now": to_iso(now)})
        return count

    async def dm_opt_in(self, guild_id: int, user_id: int) -> bool:
        """Whether the member agreed to direct messages from this server's bot."""
        return bool(await self._db.fetch_value(_GET_DM, {"guild_id": guild_id, "user_id": user_id}))

    async def set_dm_opt_in(self, guild_id: int, user_id: int, value: bool, now: datetime) -> None:
        """Store the member's choice."""
        async with self._db.transaction() as tx:
            await tx.execute(_SET_DM, {"guild_id": guild_id, "user_id": user_id, "dm": int(value), "now": to_iso(now)})
