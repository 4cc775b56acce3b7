"""Migrations: contiguous numbering, idempotent, forward-only, and all-at-once equals one-by-one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db.database import Database
from bot.db.migrate import MigrationError, apply_migrations, discover


async def _schema(db: Database) -> list[tuple[str, str, str]]:
    rows = await db.fetch_all(
        "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    )
    return [(r["type"], r["name"], r["sql"] or "") for r in rows]


def test_files_are_contiguous_and_headed() -> None:
    """Files are numbered 0001.. without gaps and start with the Migration/Reason header."""
    migrations = discover()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    for mig in migrations:
        lines = mig.sql().splitlines()
        assert lines[0].startswith(f"-- Migration {mig.version:04d}:")
        assert lines[1].startswith("-- Reason:")
        # the runner wraps each file in its own transaction; a file must not manage one itself
        statements = [line.strip().upper() for line in lines if not line.strip().startswith("--")]
        assert not any(s.startswith(("BEGIN", "COMMIT", "ROLLBACK")) for s in statements)


async def test_all_at_once_equals_one_by_one(tmp_path: Path) -> None:
    """Applying every migration in one go gives the same schema as applying them one at a time."""
    async with Database.open(tmp_path / "a.sqlite3") as at_once:
        await apply_migrations(at_once)
        expected = await _schema(at_once)
        version = await at_once.fetch_value("PRAGMA user_version")
    async with Database.open(tmp_path / "b.sqlite3") as stepwise:
        for mig in discover():
            assert await apply_migrations(stepwise, target=mig.version) == [mig.version]
        assert await _schema(stepwise) == expected
        assert await stepwise.fetch_value("PRAGMA user_version") == version == discover()[-1].version


async def test_second_run_changes_nothing(db: Database) -> None:
    """Migrating an up-to-date database applies nothing and leaves the schema alone."""
    before = await _schema(db)
    assert await apply_migrations(db) == []
    assert await _schema(db) == before


async def test_newer_database_is_refused(db: Database) -> None:
    """A database whose version is above the newest migration is refused with a clear message."""
    newest = discover()[-1].version
    await db.executescript_raw(f"PRAGMA user_version = {newest + 1}")
    with pytest.raises(MigrationError, match="newer version"):
        await apply_migrations(db)


async def test_failing_migration_is_rolled_back(tmp_path: Path) -> None:
    """A broken migration file leaves the database at the previous version with nothing half-applied."""
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_first.sql").write_text("-- Migration 0001: first\n-- Reason: t\nCREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_broken.sql").write_text(
        "-- Migration 0002: broken\n-- Reason: t\nCREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);\n"
    )
    async with Database.open(tmp_path / "c.sqlite3") as db:
        with pytest.raises(MigrationError, match="0002_broken"):
            await apply_migrations(db, migrations)
        assert await db.fetch_value("PRAGMA user_version") == 1
        names = {r["name"] for r in await db.fetch_all("SELECT name FROM sqlite_schema WHERE type = 'table'")}
        assert "a" in names
        assert "b" not in names


def test_gap_in_numbering_is_refused(tmp_path: Path) -> None:
    """A missing number stops discovery."""
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="not contiguous"):
        discover(tmp_path)
