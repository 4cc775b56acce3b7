"""SQL for the audit log.

Writers call :func:`insert_audit` inside their own transaction, so an action and its record are stored
together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Transaction
from bot.db.repos.privacy import neutralise_text
from bot.domain.privacy import FORGOTTEN
from bot.domain.resources import AuditEntry

_INSERT = """
    INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, before, after, reason, created_at)
    VALUES (:guild_id, :actor_id, :action, :target_type, :target_id, :before, :after, :reason, :now)"""

_RECENT = """
    SELECT id, guild_id, actor_id, action, target_type, target_id, before, after, reason, created_at
    FROM audit_log
    WHERE guild_id = :guild_id
    ORDER BY id DESC
    LIMIT :limit OFFSET :offset"""

_COUNT = """
    SELECT count(*) FROM audit_log WHERE guild_id = :guild_id"""

_ALL = """
    SELECT id, guild_id, actor_id, action, target_type, target_id, before, after, reason, created_at
    FROM audit_log
    WHERE guild_id = :guild_id
    ORDER BY id"""


async def insert_audit(
    tx: Transaction,
    *,
    guild_id: int,
    actor_id: int,
    action: str,
    target_type: str,
    target_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None,
    now: datetime,
) -> int:
    """Record one curation action inside the caller's transaction."""
    return await tx.execute(
        _INSERT,
        {
            "guild_id": guild_id,
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "before": None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
            "after": None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
            "reason": reason,
            "now": to_iso(now),
        },
    )


_EXPORT_ACTIONS = """
    SELECT id, action, target_type, target_id, reason, created_at FROM audit_log
    WHERE guild_id = :guild_id AND actor_id = :user_id ORDER BY id"""

_FORGET_ACTOR = """
    UPDATE audit_log SET actor_id = :forgotten WHERE guild_id = :guild_id AND actor_id = :user_id"""


class AuditRepo:
    """Reads the audit log; writers add entries with :func:`insert_audit` inside their own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, tx: Transaction, **entry: Any) -> int:
        """Record one action inside the caller's transaction."""
        return await insert_audit(tx, **entry)

    async def export_member(self, guild_id: int, user_id: int) -> list[dict[str, Any]]:
        """The curation actions the member took in one server."""
        rows = await self._db.fetch_all(_EXPORT_ACTIONS, {"guild_id": guild_id, "user_id": user_id})
        return [dict(r) for r in rows]

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Anonymise the member's actions and mask their id inside every entry's details."""
        params = {"guild_id": guild_id, "user_id": user_id, "forgotten": FORGOTTEN}
        touched = await tx.execute_rowcount(_FORGET_ACTOR, params)
        text = ("target_id", "before", "after", "reason")
        return touched + len(await neutralise_text(tx, "audit_log", text, guild_id, user_id, key="id"))

    async def recent(self, guild_id: int, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
        """Newest first, one page; plus the total."""
        async with self._db.snapshot() as read:
            rows = await read.fetch_all(_RECENT, {"guild_id": guild_id, "offset": offset, "limit": limit})
            total = int(await read.fetch_value(_COUNT, {"guild_id": guild_id}) or 0)
        return [_to_entry(r) for r in rows], total

    async def all(self, guild_id: int) -> list[AuditEntry]:
        """Every entry of a server, oldest first (for export)."""
        return [_to_entry(r) for r in await self._db.fetch_all(_ALL, {"guild_id": guild_id})]


def _to_entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=None if row["after"] is None else json.loads(row["after"]),
        reason=row["reason"],
        created_at=row["created_at"],
    )
