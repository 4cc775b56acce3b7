"""SQL for the operators' consistency check: SQLite's own integrity checks and the full-text index's."""

from __future__ import annotations

import sqlite3

from bot.db.database import Database, Transaction

_FTS_INTEGRITY = """
    INSERT INTO knowledge_fts (knowledge_fts, rank) VALUES ('integrity-check', 1)"""

_SCOPE_COUNTS = """
    SELECT guild_id, documents, indexed FROM (
        SELECT s.guild_id, s.documents,
               (SELECT count(*) FROM knowledge_documents AS d
                WHERE d.guild_id = s.guild_id AND d.terms IS NOT NULL) AS indexed
        FROM knowledge_scopes AS s)
    WHERE documents <> indexed"""


class MaintenanceRepo:
    """Integrity checks of the whole database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def integrity_problems(self) -> list[str]:
        """What ``PRAGMA integrity_check`` reports (empty when the file is sound)."""
        rows = await self._db.fetch_all("PRAGMA integrity_check")
        return [str(r[0]) for r in rows if str(r[0]) != "ok"]

    async def foreign_key_problems(self) -> list[str]:
        """Rows whose foreign key points at nothing, as ``table rowid → parent``."""
        rows = await self._db.fetch_all("PRAGMA foreign_key_check")
        return [f"{r[0]} row {r[1]} → {r[2]}" for r in rows]

    async def fts_problems(self, tx: Transaction) -> list[str]:
        """Whether the full-text index is sound; what is wrong with it.

        FTS5's own 'integrity-check' of its structure (the index is contentless, so it cannot compare itself
        with any text), and each server's count of indexed documents. FTS5 runs its check as a write
        statement, so it needs the caller's transaction (it changes nothing).
        """
        try:
            await tx.execute(_FTS_INTEGRITY)
        except sqlite3.DatabaseError as exc:
            return [f"knowledge_fts: {exc}"]
        rows = await tx.fetch_all(_SCOPE_COUNTS)
        return [
            f"knowledge_scopes: server {r['guild_id']} counts {r['documents']} indexed documents, has {r['indexed']}"
            for r in rows
        ]
