"""Read-only health facts of a database file for ``steunpunt doctor``: its schema version and a quick check.

Like :mod:`bot.db.inspect`, this opens the file read-only and changes nothing, so it is safe while the bot runs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.db.migrate import discover

QUICK_CHECK_LINES = 10
"""At most this many problems are read from ``PRAGMA quick_check``."""
BUSY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SchemaState:
    """The database's schema version next to the migrations this Steunpunt ships."""

    version: int
    shipped: tuple[int, ...]

    @property
    def newest(self) -> int:
        """The newest migration shipped."""
        return self.shipped[-1] if self.shipped else 0

    @property
    def pending(self) -> tuple[int, ...]:
        """Shipped migrations the database has not had yet."""
        return tuple(v for v in self.shipped if v > self.version)

    @property
    def too_new(self) -> bool:
        """Whether a newer Steunpunt wrote the database."""
        return self.version > self.newest


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)


def schema_state(path: Path) -> SchemaState:
    """The schema version of the database at ``path`` (read-only); raises :class:`sqlite3.Error`."""
    conn = _connect(path)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()
    return SchemaState(version, tuple(m.version for m in discover()))


def quick_check(path: Path) -> list[str]:
    """What ``PRAGMA quick_check`` finds (empty when sound), read-only; raises :class:`sqlite3.Error`."""
    conn = _connect(path)
    try:
        rows = conn.execute(f"PRAGMA quick_check({QUICK_CHECK_LINES:d})").fetchall()
    finally:
        conn.close()
    return [str(row[0]) for row in rows if str(row[0]) != "ok"]
