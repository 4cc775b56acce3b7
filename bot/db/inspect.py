"""Looking at a database file without opening it for the bot: is it usable, and at a schema version we know.

Used before anything is created or migrated (``steunpunt check``, the read-only commands), so it creates
nothing and opens an existing file read-only.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from bot.db.migrate import discover


def database_problem(path: Path, *, must_exist: bool = False, exact_version: bool = False) -> str | None:
    """Why the database at ``path`` cannot be used, or None. Creates nothing; opens an existing file read-only.

    A missing file is fine when its directory can be created and written (``must_exist`` refuses it). A file
    must be an SQLite database no newer than this code (``exact_version``: exactly as new, for read-only use).
    """
    newest = discover()[-1].version
    if not path.exists():
        if must_exist:
            return f"There is no database at {path} (DATABASE_PATH); `steunpunt db migrate` creates it."
        return _creatable_problem(path)
    if not path.is_file():
        return f"DATABASE_PATH {path} exists but is not a file."
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    if not writable and not exact_version:
        return (
            f"The database {path} or its directory is not writable (a read-only file system?); "
            "SQLite also writes its -wal and -shm files next to it."
        )
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if not writable:
            return f"Cannot read the database {path}: its directory is not writable, and SQLite needs to ({exc})."
        return f"DATABASE_PATH {path} is not a readable SQLite database ({exc})."
    if version > newest:
        return f"The database {path} is at schema version {version}, newer than this Steunpunt ({newest})."
    if exact_version and version < newest:
        return f"The database {path} is at schema version {version}; run `steunpunt db migrate` to upgrade it."
    return None


def _creatable_problem(path: Path) -> str | None:
    """Why a new database cannot be created at ``path``: tried by making (and removing) a scratch entry."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"Cannot create the database at {path}: {parent} is not a directory."
    try:
        tempfile.TemporaryDirectory(dir=parent, prefix=".steunpunt-check-").cleanup()
    except OSError as exc:
        return f"Cannot create the database at {path}: {parent} is not writable ({exc.strerror or exc})."
    return None
