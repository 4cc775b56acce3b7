"""The read pool: concurrent reads on different connections, a failed read returns its connection, clean closing.

Concurrency is proved without timing: a SQL function blocks every read inside SQLite until the test releases
it, and the test only releases it once all the reads it expects are inside at the same time (which one shared
connection, running one statement at a time on one thread, could never reach).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.db.database import READERS, Database

WAIT = 10  # seconds a blocked read or the test waits at most; only reached when the pool is broken


class Gate:
    """A SQL function ``gate(x)`` that returns ``x`` once the test opens the gate."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.entered = 0
        self._count = threading.Lock()
        self.all_inside = threading.Event()
        self.release = threading.Event()

    def __call__(self, value: object) -> object:
        with self._count:
            self.entered += 1
            if self.entered >= self.expected:
                self.all_inside.set()
        self.release.wait(WAIT)
        return value

    async def wait_until_all_inside(self) -> bool:
        """True when ``expected`` reads are inside the function at the same time."""
        return await asyncio.to_thread(self.all_inside.wait, WAIT)


class Gates:
    """The SQL function ``gate(x)`` registered once per database; each use sets a fresh :class:`Gate`."""

    def __init__(self) -> None:
        self.current = Gate(1)

    def __call__(self, value: object) -> object:
        return self.current(value)

    def next(self, expected: int) -> Gate:
        self.current = Gate(expected)
        return self.current


async def _gates(db: Database) -> Gates:
    """Register ``gate(x)`` on every read connection, once per database (SQLite refuses to redefine a function
    while a statement, such as a cancelled read's, may still be open)."""
    gates = Gates()
    await db.create_read_function("gate", 1, gates)
    return gates


async def _concurrent_reads(db: Database, gates: Gates, n: int) -> list[object]:
    """Run ``n`` blocking reads at once; fail unless all of them are inside SQLite together."""
    gate = gates.next(n)
    reads = [asyncio.create_task(db.fetch_value("SELECT gate(?)", (i,))) for i in range(n)]
    try:
        assert await gate.wait_until_all_inside(), f"only {gate.entered} of {n} reads ran at the same time"
    finally:
        gate.release.set()
    return list(await asyncio.gather(*reads))


async def test_two_slow_reads_run_at_the_same_time(db: Database) -> None:
    """By default the pool has one connection per core, and two reads run on two of them concurrently."""
    assert db.readers == READERS == 2
    assert sorted(await _concurrent_reads(db, await _gates(db), 2)) == [0, 1]  # type: ignore[type-var]


async def test_pool_size_is_configurable(tmp_path: Path) -> None:
    """With three read connections, three reads run concurrently; each connection is read-only."""
    async with Database.open(tmp_path / "three.sqlite3", readers=3) as db:
        assert db.readers == 3
        assert sorted(await _concurrent_reads(db, await _gates(db), 3)) == [0, 1, 2]  # type: ignore[type-var]
        for _ in range(3):
            with pytest.raises(sqlite3.OperationalError):
                await db.fetch_all("CREATE TABLE t (v INTEGER)")


async def test_reads_run_while_a_transaction_holds_the_write_lock(db: Database) -> None:
    """A read needs no lock of ours: it runs (and sees the last commit) while a transaction is open."""
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', 't')")
        assert sorted(await _concurrent_reads(db, await _gates(db), 2)) == [0, 1]  # type: ignore[type-var]
        assert await db.fetch_value("SELECT count(*) FROM bot_state") == 0


async def test_the_pool_survives_failed_queries(db: Database) -> None:
    """A failing read gives its connection back: after more failures than connections, reads still run in parallel."""
    for _ in range(db.readers * 3):
        with pytest.raises(sqlite3.OperationalError):
            await db.fetch_one("SELECT * FROM no_such_table")
    assert await db.fetch_value("SELECT 41 + 1") == 42
    assert sorted(await _concurrent_reads(db, await _gates(db), 2)) == [0, 1]  # type: ignore[type-var]


async def test_a_cancelled_read_gives_its_connection_back(db: Database) -> None:
    """A read cancelled while SQLite runs it still returns the connection once the statement ends."""
    gates = await _gates(db)
    gate = gates.next(1)
    read = asyncio.create_task(db.fetch_value("SELECT gate(1)"))
    try:
        assert await gate.wait_until_all_inside()
        read.cancel()
    finally:
        gate.release.set()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert sorted(await _concurrent_reads(db, gates, 2)) == [0, 1]  # type: ignore[type-var]


async def test_closing_waits_for_reads_and_closes_every_connection(tmp_path: Path) -> None:
    """close() waits for a read in progress, then closes every connection; a later read fails at once."""
    db = await Database.connect(tmp_path / "close.sqlite3")
    gates = await _gates(db)
    gate = gates.next(1)
    read = asyncio.create_task(db.fetch_value("SELECT gate(7)"))
    try:
        assert await gate.wait_until_all_inside()
        closing = asyncio.create_task(db.close())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not closing.done()  # the read still holds its connection
    finally:
        gate.release.set()
    assert await read == 7
    await closing
    with pytest.raises(ValueError, match="no active connection"):
        await db.fetch_value("SELECT 1")
    with pytest.raises(ValueError, match="no active connection"):
        await db.fetch_value("SELECT 1")  # the connections went back to the pool: no read waits for ever


async def test_connections_go_to_waiters_first_come_first_served() -> None:
    """A returned connection goes to the longest waiter, not to a newer arrival (no read waits for ever), and a
    cancelled waiter neither loses a connection nor blocks the ones behind it."""
    from bot.db.database import _FairPool

    conn = object()
    pool = _FairPool([conn])  # type: ignore[list-item]
    held = await pool.get()
    order: list[str] = []

    async def reader(name: str) -> None:
        got = await pool.get()
        order.append(name)
        pool.put_nowait(got)

    first = asyncio.create_task(reader("first"))
    cancelled = asyncio.create_task(reader("cancelled"))
    second = asyncio.create_task(reader("second"))
    await asyncio.sleep(0)
    cancelled.cancel()
    pool.put_nowait(held)
    late = asyncio.create_task(reader("late"))  # arrives after the give-back: must queue behind the others
    await asyncio.gather(first, second, late, return_exceptions=False)
    assert order == ["first", "second", "late"]
    assert await pool.get() is conn
