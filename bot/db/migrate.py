"""Numbered, forward-only SQL migrations; the schema version lives in ``PRAGMA user_version``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from bot.db.database import Database
from bot.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path

    def sql(self) -> str:
        """The file's SQL text."""
        return self.path.read_text(encoding="utf-8")


class MigrationError(ConfigError):
    """The migrations or the database version are inconsistent; start-up must stop."""


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """List the migration files in order, refusing gaps, duplicates and badly named files."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"Migration file {path.name!r} is not named NNNN_description.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise MigrationError(f"Migrations are not contiguous: expected {expected:04d}, found {mig.path.name}")
    return found


async def current_version(db: Database) -> int:
    """The schema version recorded in the database."""
    return int(await db.fetch_value("PRAGMA user_version") or 0)


async def apply_migrations(db: Database, directory: Path = MIGRATIONS_DIR, *, target: int | None = None) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction; return the versions applied.

    A database whose version is higher than the newest file (written by newer code) is refused.
    """
    migrations = discover(directory)
    newest = migrations[-1].version if migrations else 0
    version = await current_version(db)
    if version > newest:
        raise MigrationError(
            f"The database {db.path} is at schema version {version}, but this Steunpunt only knows up to "
            f"{newest}. It was written by a newer version: upgrade Steunpunt or restore a backup."
        )
    applied: list[int] = []
    for mig in migrations:
        if mig.version <= version or (target is not None and mig.version > target):
            continue
        # executescript() commits first and ignores isolation_level, so the transaction is written into
        # the script. PRAGMA takes no bound parameters; the version is an int parsed from the file name.
        script = f"BEGIN;\n{mig.sql()}\n;PRAGMA user_version = {mig.version:d};\nCOMMIT;"
        try:
            await db.executescript_raw(script)
        except Exception as exc:
            await db.rollback_if_open()
            raise MigrationError(f"Migration {mig.path.name} failed: {exc}") from exc
        log.info("Applied migration %04d_%s", mig.version, mig.name)
        applied.append(mig.version)
    return applied
