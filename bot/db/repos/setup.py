"""SQL for /setup: remembered forum tags, once-only alerts, and purging a departed server's data."""

from __future__ import annotations

import re
from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Database, Transaction
from bot.db.repos.knowledge import KnowledgeRepo

_TAGS = """
    SELECT purpose, tag_id FROM forum_tags WHERE guild_id = :guild_id AND forum_id = :forum_id"""

_SAVE_TAG = """
    INSERT INTO forum_tags (guild_id, forum_id, purpose, tag_id) VALUES (:guild_id, :forum_id, :purpose, :tag_id)
    ON CONFLICT (guild_id, purpose) DO UPDATE SET forum_id = excluded.forum_id, tag_id = excluded.tag_id"""

_ALERT = """
    SELECT fingerprint FROM guild_alerts WHERE guild_id = :guild_id AND kind = :kind"""

_SAVE_ALERT = """
    INSERT INTO guild_alerts (guild_id, kind, fingerprint, reported_at) VALUES (:guild_id, :kind, :fingerprint, :now)
    ON CONFLICT (guild_id, kind) DO UPDATE SET fingerprint = excluded.fingerprint, reported_at = excluded.reported_at"""

_CLEAR_ALERT = """
    DELETE FROM guild_alerts WHERE guild_id = :guild_id AND kind = :kind"""

_GUILD_TABLES = """
    SELECT m.name
    FROM sqlite_schema AS m
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'
      AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'guild_id')
    ORDER BY m.name"""

_LEFT_BEFORE = """
    SELECT guild_id FROM guild_settings WHERE left_at IS NOT NULL AND left_at <= :cutoff"""

_LEFT_AT = """
    SELECT left_at FROM guild_settings WHERE guild_id = :guild_id"""

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class SetupRepo:
    """Forum-tag ids, alert fingerprints and per-server data removal."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def forum_tags(self, guild_id: int, forum_id: int) -> dict[str, int]:
        """The remembered tag id per purpose for this forum."""
        rows = await self._db.fetch_all(_TAGS, {"guild_id": guild_id, "forum_id": forum_id})
        return {row["purpose"]: row["tag_id"] for row in rows}

    async def save_forum_tags(self, tx: Transaction, guild_id: int, forum_id: int, tags: dict[str, int]) -> None:
        """Remember tag ids (replacing earlier ones for the same purposes)."""
        await tx.executemany(
            _SAVE_TAG,
            [{"guild_id": guild_id, "forum_id": forum_id, "purpose": p, "tag_id": t} for p, t in tags.items()],
        )

    async def swap_alert(self, tx: Transaction, guild_id: int, kind: str, fingerprint: str, now: datetime) -> bool:
        """Record the fingerprint; return True if it differs from the stored one (i.e. this is news)."""
        row = await tx.fetch_one(_ALERT, {"guild_id": guild_id, "kind": kind})
        if row is not None and row["fingerprint"] == fingerprint:
            return False
        await tx.execute(
            _SAVE_ALERT, {"guild_id": guild_id, "kind": kind, "fingerprint": fingerprint, "now": to_iso(now)}
        )
        return True

    async def clear_alert(self, tx: Transaction, guild_id: int, kind: str) -> None:
        """Forget an alert, so the problem is reported again if it comes back."""
        await tx.execute(_CLEAR_ALERT, {"guild_id": guild_id, "kind": kind})

    async def departed_before(self, cutoff: datetime) -> list[int]:
        """Servers the bot left at or before ``cutoff``."""
        rows = await self._db.fetch_all(_LEFT_BEFORE, {"cutoff": to_iso(cutoff)})
        return [row["guild_id"] for row in rows]

    async def left_at(self, tx: Transaction, guild_id: int) -> str | None:
        """When the bot left this server (None: it is there, or never was), read inside the purge's transaction."""
        value = await tx.fetch_value(_LEFT_AT, {"guild_id": guild_id})
        return None if value is None else str(value)

    async def purge_guild(self, tx: Transaction, guild_id: int) -> int:
        """Delete every row of this server from every table that has a ``guild_id`` column; return rows deleted.

        The knowledge base goes first, through its owner: its contentless index keeps no text, so its entries must
        be removed with the terms each document was indexed with.
        """
        deleted = await KnowledgeRepo.purge_guild(tx, guild_id)
        tables = [row["name"] for row in await tx.fetch_all(_GUILD_TABLES)]
        for table in tables:
            if not _IDENTIFIER.match(table):  # names come from the schema; refuse anything odd
                continue
            # identifiers cannot be bound; the name is from sqlite_schema and checked above
            deleted += await tx.execute_rowcount(
                f"DELETE FROM {table} WHERE guild_id = :guild_id",  # noqa: S608
                {"guild_id": guild_id},
            )
        return deleted
