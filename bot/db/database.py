"""One aiosqlite connection per process, with a single write path through `transaction()`."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Params = Mapping[str, Any] | tuple[Any, ...]

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 32 * 1024


class Database:
    """A thin wrapper around one aiosqlite connection.

    aiosqlite runs every call for a connection on one worker thread, so coroutines interleave statements.
    All writes therefore go through :meth:`transaction`, which holds an asyncio lock and issues
    ``BEGIN IMMEDIATE``; reads outside a transaction are fine.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str) -> AsyncIterator[Database]:
        """Open (creating if needed) the database at ``path`` and close it on exit."""
        db = await cls.connect(path)
        try:
            yield db
        finally:
            await db.close()

    @classmethod
    async def connect(cls, path: Path | str) -> Database:
        """Connect with WAL, foreign keys and a busy timeout; the driver never opens transactions itself."""
        p = Path(path)
        if str(p) != ":memory:":
            p.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(p), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # 32 MiB of page cache (the default is 2 MiB): the full-text index is read on every search.
        await conn.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
        return cls(conn, p)

    async def close(self) -> None:
        """Close the connection (waits for a running transaction)."""
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run a block of writes atomically: commit on success, roll back on any exception."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or None."""
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Return every row of a query."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def executescript_raw(self, script: str) -> None:
        """Run a script outside the lock; only the migration runner uses this (it manages BEGIN itself)."""
        async with self._lock:
            await self._conn.executescript(script)

    async def rollback_if_open(self) -> None:
        """Roll back a transaction a failed script left open (no-op otherwise)."""
        async with self._lock:
            if self._conn.in_transaction:
                await self._conn.execute("ROLLBACK")

    async def backup_to(self, target: Path) -> None:
        """Copy the live database to ``target`` with SQLite's online backup API (consistent while running)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._lock:
            dest = await aiosqlite.connect(str(target))
            try:
                await self._conn.backup(dest)
            finally:
                await dest.close()


class Transaction:
    """The handle given inside :meth:`Database.transaction`; every write goes through it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Execute one statement; return the last inserted rowid (0 if none)."""
        async with self._conn.execute(sql, params) as cur:
            return cur.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Execute one statement; return the number of rows it changed."""
        async with self._conn.execute(sql, params) as cur:
            return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Execute one statement for many parameter sets."""
        await self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Read inside the transaction (sees its own writes)."""
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Read every row inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())
