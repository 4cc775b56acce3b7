"""The ``steunpunt`` command line: run the bot, check the set-up, manage the database, sync commands."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import logging
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import discord

from bot import __version__
from bot.app import build_intents, required_permissions
from bot.cli_content import add_content_commands
from bot.config import Settings
from bot.db.database import Database
from bot.db.migrate import apply_migrations, discover
from bot.errors import ConfigError
from bot.log import setup_logging
from bot.wiring import running_app

log = logging.getLogger(__name__)

EXIT_CONFIG = 2


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def application_id_from_token(token: str) -> int | None:
    """A bot token's first part is the base64 of the bot's user id (which is its application id)."""
    head = token.split(".", 1)[0]
    try:
        value = base64.b64decode(head + "=" * (-len(head) % 4), validate=False).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(value) if value.isdigit() else None


def invite_url(application_id: int | None) -> str:
    """The OAuth2 invite URL with exactly the permissions the bot needs."""
    client_id = str(application_id) if application_id else "YOUR_APPLICATION_ID"
    perms = required_permissions().value
    return (
        "https://discord.com/oauth2/authorize"
        f"?client_id={client_id}&scope=bot+applications.commands&permissions={perms}"
    )


def _database_problem(path: Path) -> str | None:
    """Why the database path cannot be used, or None. Opens an existing file read-only, creates nothing."""
    newest = discover()[-1].version
    if path.exists():
        if not path.is_file():
            return f"DATABASE_PATH {path} exists but is not a file."
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            return f"DATABASE_PATH {path} is not a readable SQLite database ({exc})."
        if version > newest:
            return f"The database {path} is at schema version {version}, newer than this Steunpunt ({newest})."
        return None
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not _writable(parent):
        return f"Cannot create the database at {path}: {parent} is not writable."
    return None


def _writable(directory: Path) -> bool:
    import os

    return os.access(directory, os.W_OK)


def cmd_check(settings: Settings, _args: argparse.Namespace) -> int:
    """Validate settings and the database path without connecting to Discord; print the invite URL."""
    problem = _database_problem(settings.database_path)
    if problem:
        _err(problem)
        return EXIT_CONFIG
    intents = build_intents()
    privileged = [name for name in ("members", "presences", "message_content") if getattr(intents, name)]
    _out(f"Steunpunt {__version__}: settings are valid.")
    _out(f"Database: {settings.database_path}")
    _out(f"Default language: {settings.default_locale}")
    _out("")
    _out("Invite the bot with this URL (it asks for exactly the permissions Steunpunt uses):")
    _out("  " + invite_url(application_id_from_token(settings.discord_token)))
    _out("")
    enabled = [name for name, on in intents if on]
    _out(f"Gateway intents used: {', '.join(enabled)}.")
    if privileged:
        _out("Switch these on in the developer portal (Bot → Privileged Gateway Intents): " + ", ".join(privileged))
    else:
        _out("No privileged intents are needed: leave Presence, Server Members and Message Content off.")
    return 0


async def _migrate(settings: Settings) -> list[int]:
    async with Database.open(settings.database_path) as db:
        return await apply_migrations(db)


def cmd_db_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """Create the database if needed and apply any new migrations."""
    applied = asyncio.run(_migrate(settings))
    newest = discover()[-1].version
    if applied:
        _out(f"Migrated {settings.database_path} to version {newest} (applied {', '.join(map(str, applied))}).")
    else:
        _out(f"{settings.database_path} is up to date (version {newest}); nothing changed.")
    return 0


async def _backup(settings: Settings, target: Path) -> None:
    async with Database.open(settings.database_path) as db:
        await db.backup_to(target)


def cmd_db_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup (consistent even while the bot runs)."""
    target = Path(args.path).expanduser()
    if target.resolve() == settings.database_path.resolve():
        _err("The backup path must differ from DATABASE_PATH.")
        return EXIT_CONFIG
    if not settings.database_path.exists():
        _err(f"There is no database at {settings.database_path} yet; nothing to back up.")
        return EXIT_CONFIG
    asyncio.run(_backup(settings, target))
    _out(f"Backed up {settings.database_path} to {target}.")
    return 0


async def _sync(settings: Settings, guild_id: int | None) -> None:
    async with running_app(settings, auto_sync=False) as bot:
        await bot.login(settings.discord_token)
        await bot.sync_commands(guild_id)


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    """Register the slash commands with Discord, globally or in one server."""
    guild_id = args.guild if args.guild is not None else settings.dev_guild_id
    try:
        asyncio.run(_sync(settings, guild_id))
    except discord.LoginFailure:
        _err("Discord refused the token. Check DISCORD_TOKEN in .env.")
        return EXIT_CONFIG
    where = f"server {guild_id} (visible at once)" if guild_id else "all servers (may take up to an hour to appear)"
    _out(f"Commands synced to {where}.")
    return 0


async def _run(settings: Settings) -> None:
    async with running_app(settings) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still raises KeyboardInterrupt
                loop.add_signal_handler(sig, lambda s=sig: _shutdown(bot, s))
        await bot.start(settings.discord_token)
    log.info("Steunpunt stopped cleanly")


def _shutdown(bot: discord.Client, sig: signal.Signals) -> None:
    log.info("Received %s; closing", sig.name)
    asyncio.get_running_loop().create_task(bot.close())


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """Start the bot and run until stopped (SIGTERM or Ctrl+C stop it cleanly)."""
    try:
        asyncio.run(_run(settings))
    except discord.LoginFailure:
        _err("Discord refused the token. Check DISCORD_TOKEN in .env.")
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        _err("Discord refused a privileged intent; see `steunpunt check` for the intents to switch on.")
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0


Handler = Callable[[Settings, argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with --help on every command."""
    parser = argparse.ArgumentParser(
        prog="steunpunt", description="Steunpunt, the knowledge bot for the heritage sector."
    )
    parser.add_argument("--version", action="version", version=f"steunpunt {__version__}")
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="start the bot", description=cmd_run.__doc__).set_defaults(handler=cmd_run)
    sub.add_parser(
        "check", help="validate settings and database; print the invite URL", description=cmd_check.__doc__
    ).set_defaults(handler=cmd_check)
    sync = sub.add_parser("sync", help="register slash commands with Discord", description=cmd_sync.__doc__)
    sync.add_argument(
        "--guild",
        type=int,
        default=None,
        metavar="ID",
        help="sync to this server only (default: DEV_GUILD_ID, else global)",
    )
    sync.set_defaults(handler=cmd_sync)

    add_content_commands(sub)

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser(
        "migrate", help="create or upgrade the database", description=cmd_db_migrate.__doc__
    ).set_defaults(handler=cmd_db_migrate)
    backup = db_sub.add_parser(
        "backup", help="copy the database safely, even while the bot runs", description=cmd_db_backup.__doc__
    )
    backup.add_argument("path", help="where to write the copy")
    backup.set_defaults(handler=cmd_db_backup)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``steunpunt`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(args.env_file)
    except ConfigError as exc:
        _err(str(exc))
        raise SystemExit(EXIT_CONFIG) from None
    quiet = args.handler is not cmd_run and settings.log_level in ("INFO",)
    setup_logging("WARNING" if quiet else settings.log_level, secret=settings.discord_token)
    handler: Handler = args.handler
    try:
        code = handler(settings, args)
    except ConfigError as exc:
        _err(str(exc))
        code = EXIT_CONFIG
    raise SystemExit(code)
