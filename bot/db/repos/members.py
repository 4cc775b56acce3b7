"""SQL for what the bot keeps per member: waiting notices and contact preferences."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.privacy import neutralise_text
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


_TOUCH = """
    INSERT INTO member_activity (guild_id, user_id, last_active_at) VALUES (:guild_id, :user_id, :now)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET last_active_at = excluded.last_active_at"""

_QUIET = """
    SELECT user_id FROM member_activity
    WHERE guild_id = :guild_id AND last_active_at < :before
      AND user_id IN (SELECT value FROM json_each(:ids))"""

_PURGE_DELIVERED = """
    DELETE FROM member_notices WHERE delivered_at IS NOT NULL AND delivered_at < :before"""

_EXPORT: dict[str, str] = {
    "notices": """
        SELECT key, params, created_at, delivered_at FROM member_notices
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY id""",
    "preferences": """
        SELECT dm_opt_in, updated_at FROM member_prefs
        WHERE guild_id = :guild_id AND user_id = :user_id""",
    "activity": """
        SELECT last_active_at FROM member_activity
        WHERE guild_id = :guild_id AND user_id = :user_id""",
}

_FORGET: tuple[str, ...] = (
    "DELETE FROM member_notices WHERE guild_id = :guild_id AND user_id = :user_id",
    "DELETE FROM member_prefs WHERE guild_id = :guild_id AND user_id = :user_id",
    "DELETE FROM member_activity WHERE guild_id = :guild_id AND user_id = :user_id",
)


class MembersRepo:
    """Notices and preferences, per server and member."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_notice(
        self, tx: Transaction, guild_id: int, user_id: int, key: str, params: dict[str, Any], now: datetime
    ) -> int:
        """Queue a notice for a member, inside the use case's transaction."""
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

    async def mark_delivered(self, tx: Transaction, notice_ids: list[int], now: datetime) -> int:
        """Mark notices delivered; returns how many were still undelivered (so each goes out once)."""
        count = 0
        for notice_id in notice_ids:
            count += await tx.execute_rowcount(_DELIVERED, {"id": notice_id, "now": to_iso(now)})
        return count

    async def touch(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> None:
        """Record that a member used a command now."""
        await tx.execute(_TOUCH, {"guild_id": guild_id, "user_id": user_id, "now": to_iso(now)})

    async def last_active(self, guild_id: int, user_id: int) -> str | None:
        """When the member last used a command (ISO text), or None."""
        sql = "SELECT last_active_at FROM member_activity WHERE guild_id = :guild_id AND user_id = :user_id"
        value = await self._db.fetch_value(sql, {"guild_id": guild_id, "user_id": user_id})
        return None if value is None else str(value)

    async def quiet_among(self, tx: Reader, guild_id: int, user_ids: Iterable[int], before: datetime) -> set[int]:
        """Which of these members were last seen before ``before`` (never seen: not counted as quiet)."""
        params = {"guild_id": guild_id, "before": to_iso(before), "ids": json.dumps(sorted(set(user_ids)))}
        return {int(r[0]) for r in await tx.fetch_all(_QUIET, params)}

    async def purge_delivered(self, tx: Transaction, before: datetime) -> int:
        """Delete notices delivered before ``before``; returns how many."""
        return await tx.execute_rowcount(_PURGE_DELIVERED, {"before": to_iso(before)})

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's notices and preferences in one server."""
        params = {"guild_id": guild_id, "user_id": user_id}
        return {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's notices and preferences; mask their id in other members' notices."""
        params = {"guild_id": guild_id, "user_id": user_id}
        touched = 0
        for sql in _FORGET:
            touched += await tx.execute_rowcount(sql, params)
        return touched + len(await neutralise_text(tx, "member_notices", ("params",), guild_id, user_id))

    async def dm_opt_in(self, guild_id: int, user_id: int) -> bool:
        """Whether the member agreed to direct messages from this server's bot."""
        return bool(await self._db.fetch_value(_GET_DM, {"guild_id": guild_id, "user_id": user_id}))

    async def set_dm_opt_in(self, tx: Transaction, guild_id: int, user_id: int, value: bool, now: datetime) -> None:
        """Store the member's choice."""
        await tx.execute(_SET_DM, {"guild_id": guild_id, "user_id": user_id, "dm": int(value), "now": to_iso(now)})
