"""The Database wrapper: pragmas, transactions, backup."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bot.db.database import Database


async def test_connection_pragmas(db: Database) -> None:
    """WAL, foreign keys and a busy timeout on the writer; the reader is read-only with the same timeout."""
    async with db.transaction() as tx:
        assert await tx.fetch_value("PRAGMA journal_mode") == "wal"
        assert await tx.fetch_value("PRAGMA foreign_keys") == 1
        assert await tx.fetch_value("PRAGMA busy_timeout") == 5000
    assert await db.fetch_value("PRAGMA busy_timeout") == 5000
    assert await db.fetch_value("PRAGMA query_only") == 1


async def test_reads_never_see_an_uncommitted_write(db: Database) -> None:
    """A read outside the transaction sees the last committed state, not a write that is later rolled back."""
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('a', '1', 't')")
            assert await tx.fetch_value("SELECT count(*) FROM bot_state") == 1
            assert await db.fetch_value("SELECT count(*) FROM bot_state") == 0
            raise RuntimeError("rolled back")
    assert await db.fetch_value("SELECT count(*) FROM bot_state") == 0


async def test_reader_refuses_writes(db: Database) -> None:
    """The read connection cannot write, so no write can bypass transaction()."""
    import sqlite3

    with pytest.raises(sqlite3.OperationalError):
        await db.fetch_all("INSERT INTO bot_state (key, value, updated_at) VALUES ('a', '1', 't')")


async def test_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    """A file that is not SQLite gives ConfigError (connections closed), not a hang or a raw sqlite3 error."""
    from bot.errors import ConfigError

    path = tmp_path / "x.sqlite3"
    path.write_bytes(b"x" * 100)
    with pytest.raises(ConfigError, match="Cannot open the database"):
        await Database.connect(path)


async def test_failing_write_leaves_nothing_behind(db: Database) -> None:
    """An exception inside transaction() rolls back every write made in it."""
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES ('a', '1', '2026-01-01T00:00:00+00:00')"
            )
            assert await tx.fetch_one("SELECT value FROM bot_state WHERE key = 'a'") is not None
            raise RuntimeError("boom")
    assert await db.fetch_value("SELECT count(*) FROM bot_state") == 0


async def test_constraint_violation_rolls_back_earlier_statements(db: Database) -> None:
    """A failing statement after a successful one undoes both."""
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', 't')")
            await tx.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v2', 't')")
    assert await db.fetch_value("SELECT count(*) FROM bot_state") == 0


async def test_successful_transaction_commits(db: Database) -> None:
    """Writes are visible after the block ends."""
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', 't')")
    assert await db.fetch_value("SELECT value FROM bot_state WHERE key = 'k'") == "v"


async def test_online_backup_is_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    """backup_to() writes a readable copy with the same rows and schema version."""
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', 't')")
    target = tmp_path / "backups" / "copy.sqlite3"
    await db.backup_to(target)
    async with Database.open(target) as copy:
        assert await copy.fetch_value("SELECT value FROM bot_state WHERE key = 'k'") == "v"
        assert await copy.fetch_value("PRAGMA user_version") == await db.fetch_value("PRAGMA user_version")


async def test_a_cancelled_use_case_never_leaves_a_transaction_open(db: Database) -> None:
    """Cancelled at any moment (also mid-BEGIN or mid-COMMIT), the writer ends outside a transaction and works on."""
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE t (v INTEGER)")
        await tx.execute("INSERT INTO t VALUES (0)")

    async def use_case() -> None:
        async with db.transaction() as tx:
            await tx.execute("UPDATE t SET v = v + 1")

    outcomes: set[str] = set()
    for steps in range(400):
        if "finished:committed" in outcomes and steps > 40:
            break
        before = await db.fetch_value("SELECT v FROM t")
        task = asyncio.create_task(use_case())
        for _ in range(steps):
            await asyncio.sleep(0)  # let the use case get this far, then cancel it
        task.cancel()
        try:
            await task
            outcome = "finished"
        except asyncio.CancelledError:
            outcome = "cancelled"
        async with db.transaction() as tx:  # the next use case starts: no "transaction within a transaction"
            assert await tx.fetch_value("SELECT 1") == 1
        after = await db.fetch_value("SELECT v FROM t")
        assert after in (before, before + 1)
        outcomes.add(f"{outcome}:{'committed' if after != before else 'not committed'}")
    assert {"cancelled:not committed", "finished:committed"} <= outcomes


async def test_a_snapshot_neither_freezes_other_reads_nor_survives_cancellation(db: Database) -> None:
    """While a snapshot is open, ordinary reads see new commits; a cancelled snapshot leaves nothing open."""
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE t (v INTEGER)")
        await tx.execute("INSERT INTO t VALUES (1)")
    async with db.snapshot() as read:
        assert await read.fetch_value("SELECT v FROM t") == 1
        async with db.transaction() as tx:
            await tx.execute("UPDATE t SET v = 2")
        assert await read.fetch_value("SELECT v FROM t") == 1  # the snapshot keeps its state
        assert await db.fetch_value("SELECT v FROM t") == 2  # other reads are not frozen by it

    async def snap() -> None:
        async with db.snapshot() as read:
            await read.fetch_value("SELECT v FROM t")

    for steps in range(10):
        task = asyncio.create_task(snap())
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with db.transaction() as tx:
            await tx.execute("UPDATE t SET v = v + 1")
        expected = await db.fetch_value("SELECT v FROM t")
        async with db.snapshot() as read:  # the next snapshot starts fresh and sees the last commit
            assert await read.fetch_value("SELECT v FROM t") == expected
