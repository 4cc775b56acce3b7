"""The composition root: settings → database and migrations → services → bot. Nothing else wires things."""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import yarl

from bot.app import SteunpuntBot
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.database import Database
from bot.db.migrate import apply_migrations, discover
from bot.domain.retention import Retention
from bot.errors import ConfigError
from bot.i18n import I18n
from bot.services import Services, build_services

log = logging.getLogger(__name__)


def apply_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST and gateway URLs (a proxy, or the fake Discord in tests).

    discord.py 2.7 builds every REST, webhook and interaction URL from ``Route.BASE`` and connects to
    ``DiscordWebSocket.DEFAULT_GATEWAY``; a canary test checks both still exist.
    """
    discord.http.Route.BASE = settings.discord_api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


@asynccontextmanager
async def open_services(
    settings: Settings, *, clock: Clock | None = None, read_only: bool = False
) -> AsyncIterator[Services]:
    """Open the database and yield the services on it; close everything on exit.

    Normally the database is created or upgraded first and a stale search index re-analysed (after a
    glossary or analyser change). With ``read_only`` (``steunpunt search``) nothing is created, migrated or
    re-indexed: a missing, foreign or out-of-date database is refused with a :class:`ConfigError`.
    Both the bot (:func:`running_app`) and the command line get their services here.
    """
    if read_only and (problem := database_problem(settings.database_path, must_exist=True, exact_version=True)):
        raise ConfigError(problem)
    async with Database.open(settings.database_path) as db:
        if not read_only:
            applied = await apply_migrations(db)
            if applied:
                log.info("Database %s migrated to version %d", settings.database_path, applied[-1])
        retention = Retention(
            guild_days=settings.guild_retention_days, search_log_days=settings.search_log_retention_days
        )
        services = build_services(db, clock or SystemClock(), retention=retention)
        if not read_only:
            await services.search.reindex_stale()  # after a glossary or analyser change; one query otherwise
        yield services


@asynccontextmanager
async def running_app(
    settings: Settings, *, clock: Clock | None = None, **bot_options: Any
) -> AsyncIterator[SteunpuntBot]:
    """Open everything the bot needs and yield it, not yet started; close it all on exit."""
    apply_discord_endpoints(settings)
    i18n = I18n.load(settings.default_locale)
    async with open_services(settings, clock=clock) as services:
        bot = SteunpuntBot(settings=settings, services=services, i18n=i18n, **bot_options)
        async with bot:
            yield bot


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
