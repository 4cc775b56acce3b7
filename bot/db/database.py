"""SQLite storage: one writer connection with a single write path, and a small pool of read-only connections.

The seams a service sees are the protocols at the top of this module: :class:`UnitOfWork` opens one
transaction per use case, and the :class:`Transaction` it yields is passed, unopened, to every repository
the use case calls. Reads that need not be consistent with a write use :class:`Reader` (a read-only
connection of the pool), so a half-written, uncommitted change is never visible to them. A second backend would
implement the same three protocols and its own repositories; services would not change.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from bot.errors import ConfigError

log = logging.getLogger(__name__)

Params = Mapping[str, Any] | tuple[Any, ...]
Row = sqlite3.Row

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 32 * 1024
PAGE_SIZE = 16384
READERS = 2
"""Read-only connections in the pool: one per core, so concurrent searches use both cores."""


class Reader(Protocol):
    """Something SQL reads can run on: the read-only connection, or a transaction (which sees its own writes)."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        ...

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        ...


class Snapshots(Protocol):
    """Something that gives a consistent view for several reads: ``async with db.snapshot() as r: ...``."""

    def snapshot(self) -> AbstractAsyncContextManager[Reader]:
        """Reads inside the block all see the same committed state (a read transaction)."""
        ...


class UnitOfWork(Protocol):
    """What a service holds to run a use case atomically: ``async with uow.transaction() as tx: ...``."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One transaction: everything written through it commits together, or nothing does."""
        ...


StepHook = Callable[[str], None]
"""Called after every statement a transaction executes (a fault-injection seam for tests)."""

ReadHook = Callable[[str], Awaitable[None]]
"""Awaited after every statement on the read connection (lets a test write between two reads)."""


class _Connection:
    """Reads on one aiosqlite connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


async def _configure(conn: aiosqlite.Connection, *, read_only: bool) -> None:
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    # 32 MiB of page cache (the default is 2 MiB): the full-text index is read on every search.
    await conn.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
    if read_only:
        await conn.execute("PRAGMA query_only = ON")
        return
    await conn.execute("PRAGMA foreign_keys = ON")
    # A new database gets 16 KiB pages (an existing one keeps its size): knowledge rows of ~1.3 KiB left a fifth
    # of every 4 KiB page empty, and full-text doclists are read in fewer, larger pages.
    await conn.execute(f"PRAGMA page_size = {PAGE_SIZE:d}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")


async def _connect(path: Path, *, read_only: bool) -> aiosqlite.Connection:
    """Open and configure one connection; a connection whose set-up fails is closed before raising."""
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        await _configure(conn, read_only=read_only)
    except BaseException:
        await conn.close()
        raise
    return conn


class _FairPool:
    """Idle read connections handed out first come, first served.

    ``asyncio.Queue`` lets a newly arriving ``get`` take a returned connection before the waiter it was meant
    for wakes up, which then queues again at the back: under 20 concurrent searches (each taking a connection
    several times) some waited seconds. Here a returned connection goes straight to the longest waiter.
    """

    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self._idle: collections.deque[aiosqlite.Connection] = collections.deque(connections)
        self._waiters: collections.deque[asyncio.Future[aiosqlite.Connection]] = collections.deque()

    async def get(self) -> aiosqlite.Connection:
        """An idle connection, or the next one returned after every earlier waiter got theirs."""
        if self._idle and not self._waiters:
            return self._idle.popleft()
        waiter: asyncio.Future[aiosqlite.Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over just as we were cancelled: pass it on
                self.put_nowait(waiter.result())
            elif waiter in self._waiters:  # (a give-back may already have skipped it as cancelled)
                self._waiters.remove(waiter)
            raise

    def put_nowait(self, conn: aiosqlite.Connection) -> None:
        """Give a connection back: to the longest waiter if there is one, else to the idle ones."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)


class Database(_Connection):
    """The SQLite database: a writer connection (all writes, through :meth:`transaction`) and a read pool.

    aiosqlite runs every call for a connection on one worker thread, so coroutines would interleave
    statements; :meth:`transaction` therefore holds an asyncio lock and issues ``BEGIN IMMEDIATE``.
    Reads through :meth:`fetch_one` and friends take an idle connection of a small pool of read-only
    connections (each with its own thread, so concurrent reads run in parallel, also while a transaction
    holds the write lock): in WAL mode they see the last committed state, never a transaction in progress.
    """

    def __init__(
        self,
        writer: aiosqlite.Connection,
        readers: Sequence[aiosqlite.Connection],
        path: Path,
        snapshots: aiosqlite.Connection | None = None,
    ) -> None:
        pool = list(readers) or [writer]  # in memory: reads share the writer's connection, as before
        super().__init__(pool[0])
        self._writer = writer
        self._readers = list(readers)
        self._pool = pool
        self._idle = _FairPool(pool)
        self._snapshots = snapshots
        self.path = path
        self._lock = asyncio.Lock()
        self._snapshot_lock = asyncio.Lock()
        self.step_hook: StepHook | None = None
        self.read_hook: ReadHook | None = None

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str, *, readers: int = READERS) -> AsyncIterator[Database]:
        """Open (creating if needed) the database at ``path`` and close it on exit."""
        db = await cls.connect(path, readers=readers)
        try:
            yield db
        finally:
            await db.close()

    @classmethod
    async def connect(cls, path: Path | str, *, readers: int = READERS) -> Database:
        """Connect the writer (WAL, foreign keys, busy timeout), the read pool and the snapshot connection.

        Raises :class:`ConfigError` (with every connection closed) when the file is not an SQLite
        database or cannot be opened or created.
        """
        if readers < 1:
            raise ValueError("the read pool needs at least one connection")
        p = Path(path)
        memory = str(p) == ":memory:"
        try:
            if not memory:
                p.parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(p, read_only=False)
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"Cannot open the database {p}: {exc}") from None
        if memory:  # a second connection would see a different, empty database
            return cls(writer, (), p)
        opened: list[aiosqlite.Connection] = [writer]
        try:
            for _ in range(readers):
                opened.append(await _connect(p, read_only=True))
            snapshots = await _connect(p, read_only=True)
        except (sqlite3.Error, OSError) as exc:
            for conn in opened:
                await conn.close()
            raise ConfigError(f"Cannot open the database {p}: {exc}") from None
        return cls(writer, opened[1:], p, snapshots)

    @property
    def readers(self) -> int:
        """How many read connections the pool holds."""
        return len(self._pool)

    async def close(self) -> None:
        """Close every connection (waits for a running transaction, snapshot and every read in progress)."""
        async with self._lock, self._snapshot_lock:
            for _ in self._pool:  # every connection back in the pool: no read runs any more
                await self._idle.get()
            for conn in (self._snapshots, *self._readers):
                if conn is not None:
                    await conn.close()
            await self._writer.close()
            for conn in self._pool:  # a read after closing fails at once instead of waiting for a connection
                self._idle.put_nowait(conn)

    @asynccontextmanager
    async def _read_connection(self) -> AsyncIterator[_Connection]:
        """An idle connection of the read pool for one statement; back in the pool afterwards, also on errors."""
        conn = await self._idle.get()
        try:
            yield _Connection(conn)
        finally:
            self._idle.put_nowait(conn)

    async def create_read_function(self, name: str, arity: int, func: Callable[..., Any]) -> None:
        """Register a Python SQL function on every read connection (and the snapshot one)."""
        for conn in {id(c): c for c in (*self._pool, self._snapshots) if c is not None}.values():
            await conn.create_function(name, arity, func)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run a use case's writes atomically: commit on success, roll back on any exception.

        Also when the task is cancelled: aiosqlite runs each statement to its end on its own thread even
        if the awaiting task was cancelled, so a BEGIN, a write or the COMMIT may still happen after the
        cancellation. :func:`_settle` waits for that before deciding; a transaction left open is rolled back
        before the lock is released, and the original exception (the cancellation) is what propagates.
        """
        async with self._lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield Transaction(self._writer, self.step_hook)
                await self._writer.execute("COMMIT")
            except BaseException:
                await _settle(self._writer)
                raise

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query on a read connection of the pool (committed data only), or None."""
        async with self._read_connection() as conn:
            row = await conn.fetch_one(sql, params)
        if self.read_hook is not None:
            await self.read_hook(sql)
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query on a read connection of the pool (committed data only)."""
        async with self._read_connection() as conn:
            rows = await conn.fetch_all(sql, params)
        if self.read_hook is not None:
            await self.read_hook(sql)
        return rows

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reader]:
        """Several reads that must agree (a page and its total): one read transaction, on its own connection.

        In WAL mode a read transaction sees one committed state throughout, whatever commits meanwhile. It
        has a connection of its own, so other reads never see its older state, and one snapshot runs at a
        time.
        """
        if self._snapshots is None:  # in-memory: the writer's lock gives the same guarantee
            async with self._lock:
                yield _Connection(self._writer)
            return
        async with self._snapshot_lock:
            try:
                await self._snapshots.execute("BEGIN")
                yield _Hooked(self._snapshots, self)
                await self._snapshots.execute("COMMIT")
            except BaseException:
                await _settle(self._snapshots)
                raise

    async def executescript_raw(self, script: str) -> None:
        """Run a script on the writer; only the migration runner uses this (it manages BEGIN itself)."""
        async with self._lock:
            await self._writer.executescript(script)

    async def rollback_if_open(self) -> None:
        """Roll back a transaction a failed script left open (no-op otherwise)."""
        async with self._lock:
            if self._writer.in_transaction:
                await self._writer.execute("ROLLBACK")

    async def backup_to(self, target: Path) -> None:
        """Copy the live database to ``target`` with SQLite's online backup API (consistent while running)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._lock:
            dest = await aiosqlite.connect(str(target))
            try:
                await self._writer.backup(dest)
            finally:
                await dest.close()


async def _settle(conn: aiosqlite.Connection) -> None:
    """After an exception or a cancellation inside a transaction: finish what runs, roll back what is open.

    aiosqlite queues statements in order, so once a no-op has run, any BEGIN or COMMIT sent before it has
    completed and ``in_transaction`` tells the truth. Errors here are logged, never raised: the caller
    re-raises the original exception.
    """
    try:
        await asyncio.shield(conn.execute("SELECT 1"))
        if conn.in_transaction:
            await asyncio.shield(conn.execute("ROLLBACK"))
    except Exception:
        log.exception("Could not roll back an interrupted transaction")


class _Hooked(_Connection):
    """Reads on a snapshot connection that also call the database's read hook (for tests)."""

    def __init__(self, conn: aiosqlite.Connection, owner: Database) -> None:
        super().__init__(conn)
        self._owner = owner

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query in the snapshot."""
        rows = await super().fetch_all(sql, params)
        if self._owner.read_hook is not None:
            await self._owner.read_hook(sql)
        return rows

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query in the snapshot, or None."""
        row = await super().fetch_one(sql, params)
        if self._owner.read_hook is not None:
            await self._owner.read_hook(sql)
        return row


class Transaction(_Connection):
    """The handle given inside :meth:`Database.transaction`; every write goes through it.

    Repositories receive it from the service that opened it; they never open transactions themselves.
    Reads through it see the transaction's own writes.
    """

    def __init__(self, conn: aiosqlite.Connection, step_hook: StepHook | None = None) -> None:
        super().__init__(conn)
        self._step_hook = step_hook

    def _step(self, sql: str) -> None:
        if self._step_hook is not None:
            self._step_hook(sql)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Execute one statement; return the last inserted rowid (0 if none)."""
        async with self._conn.execute(sql, params) as cur:
            rowid = cur.lastrowid or 0
        self._step(sql)
        return rowid

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Execute one statement; return the number of rows it changed."""
        async with self._conn.execute(sql, params) as cur:
            count = cur.rowcount
        self._step(sql)
        return count

    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Execute one statement with a RETURNING clause; return the rows it returned."""
        async with self._conn.execute(sql, params) as cur:
            rows = list(await cur.fetchall())
        self._step(sql)
        return rows

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Execute one statement for many parameter sets."""
        await self._conn.executemany(sql, rows)
        self._step(sql)


class DirectReader:
    """One read-only connection used without a thread, for a search worker process.

    A worker does one search at a time and has nothing to overlap with it, so its reads run directly: no
    connection thread that would keep the process alive after its pool stops it. It offers the reads of
    :class:`Database` (and refuses transactions), which is all a search needs.
    """

    def __init__(self, path: Path | str) -> None:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ConfigError(f"Cannot open the database {path}: {exc}") from None
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        self._conn.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
        self._conn.execute("PRAGMA query_only = ON")
        self.path = Path(path)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        return list(self._conn.execute(sql, params).fetchall())

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Never: a worker only reads."""
        raise RuntimeError("a search worker's connection is read-only")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
