"""The ``steunpunt`` command line: run the bot, check the set-up, manage the database, sync commands.

Every failure an operator can cause (settings, the database path, Discord refusing or unreachable) ends with
one message on stderr and exit status 2, never a traceback. The command line speaks English.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import functools
import logging
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import discord

from bot import __version__
from bot.app import build_intents, required_permissions
from bot.cli_check import add_check_command
from bot.cli_content import add_content_commands
from bot.cli_digest import add_digest_commands
from bot.cli_health import add_health_command
from bot.cli_stats import add_stats_commands
from bot.config import DEFAULT_ENV_FILE, Settings
from bot.db.database import Database
from bot.db.inspect import database_problem
from bot.db.migrate import apply_migrations, discover
from bot.errors import ConfigError
from bot.log import setup_logging
from bot.wiring import running_app

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
PACKAGE_DIR = Path(__file__).resolve().parent
"""Where this Steunpunt is installed (logged at start, so an operator sees which copy runs)."""
PROBE_TIMEOUT = 10.0
"""Seconds one reachability check of Discord's REST API may take."""


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


# --- reaching Discord -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retry:
    """How often, and how patiently, start-up tries to reach Discord before giving up."""

    attempts: int = 5
    first_delay: float = 2.0
    factor: float = 2.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_delay, self.first_delay * self.factor ** (attempt - 1))


RUN_RETRY = Retry()
ONCE = Retry(attempts=1)


async def _probe(base_url: str) -> None:
    """One GET of Discord's public ``/gateway`` route; any HTTP answer means Discord is reachable."""
    timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(f"{base_url}/gateway") as response:
        await response.read()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


async def reach_discord(base_url: str, retry: Retry = ONCE, *, stopping: asyncio.Event | None = None) -> bool:
    """Wait until Discord's REST API answers, retrying with backoff; False if ``stopping`` was set meanwhile.

    Raises :class:`ConfigError` naming the URL tried once every attempt has failed.
    """
    for attempt in range(1, retry.attempts + 1):
        try:
            await _probe(base_url)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            if attempt == retry.attempts:
                tries = f" (tried {attempt} times)" if attempt > 1 else ""
                raise ConfigError(f"Cannot reach Discord at {base_url}: {_reason(exc)}{tries}.") from None
            delay = retry.delay(attempt)
            log.warning(
                "Cannot reach Discord at %s (%s); retrying in %.0f s (attempt %d of %d)",
                base_url,
                _reason(exc),
                delay,
                attempt + 1,
                retry.attempts,
            )
            if stopping is None:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)
                if stopping.is_set():
                    return False
        else:
            return True
    return False  # attempts < 1: never tried


def discord_problem(exc: BaseException, settings: Settings, guild_id: int | None, guild_source: str) -> str | None:
    """One line for a failure talking to Discord at start-up, or None when ``exc`` is not one."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord refused the token. Check DISCORD_TOKEN in .env."
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "Discord refused a privileged intent; see `steunpunt check` for the intents to switch on."
    if isinstance(exc, discord.HTTPException) and exc.code in (10004, 50001) and guild_id is not None:
        what = "Unknown Guild" if exc.code == 10004 else "Missing Access"
        return (
            f"Steunpunt is not in server {guild_id} ({guild_source}); Discord answered {exc.status} {exc.code} "
            f"{what}. Invite the bot with the URL from `steunpunt check`, or change {guild_source}."
        )
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status} (code {exc.code}): {_reason(Exception(exc.text))}"
    if isinstance(exc, discord.ConnectionClosed):
        return f"Discord closed the gateway connection (code {exc.code}): {_reason(Exception(exc.reason))}"
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return f"Cannot reach Discord at {settings.discord_api_base_url}: {_reason(exc)}."
    return None


def _talk_to_discord(settings: Settings, guild_id: int | None, guild_source: str, run: Callable[[], None]) -> int:
    """Run ``run`` (an ``asyncio.run`` of something that talks to Discord); map its failures to exit 2."""
    try:
        run()
    except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
        problem = discord_problem(exc, settings, guild_id, guild_source)
        if problem is None:
            raise
        log.debug("Discord failure", exc_info=exc)
        _err(problem)
        return EXIT_CONFIG
    return 0


# --- commands -----------------------------------------------------------------------------------------


def privileged_intents() -> list[str]:
    """The privileged gateway intents Steunpunt uses (each must be switched on in the developer portal)."""
    intents = build_intents()
    return [name for name in ("members", "presences", "message_content") if getattr(intents, name)]


def cmd_check(settings: Settings, _args: argparse.Namespace) -> int:
    """Validate settings and the database path without connecting to Discord; print the invite URL."""
    problem = database_problem(settings.database_path)
    if problem:
        _err(problem)
        return EXIT_CONFIG
    intents = build_intents()
    privileged = privileged_intents()
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
    target = Path(args.path).expanduser().absolute()
    if target.resolve() == settings.database_path.resolve():
        _err("The backup path must differ from DATABASE_PATH.")
        return EXIT_CONFIG
    if target.is_dir():
        _err(f"{target} is a directory; give the path of the backup file to write, e.g. {target / 'backup.sqlite3'}.")
        return EXIT_CONFIG
    if not settings.database_path.exists():
        _err(f"There is no database at {settings.database_path} yet; nothing to back up.")
        return EXIT_CONFIG
    try:
        asyncio.run(_backup(settings, target))
    except (sqlite3.Error, OSError) as exc:
        _err(f"Cannot write the backup to {target}: {_reason(exc)}.")
        return EXIT_CONFIG
    _out(f"Backed up {settings.database_path} to {target}.")
    return 0


async def _sync(settings: Settings, guild_id: int | None) -> None:
    # a one-off command: the running bot may hold METRICS_PORT, and sync has nothing to report there
    async with running_app(settings, auto_sync=False, serve_metrics_port=False) as bot:
        await reach_discord(settings.discord_api_base_url)
        await bot.login(settings.discord_token)
        await bot.sync_commands(guild_id)


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    """Register the slash commands with Discord, globally or in one server."""
    guild_id = args.guild if args.guild is not None else settings.dev_guild_id
    source = "--guild" if args.guild is not None else "DEV_GUILD_ID"
    code = _talk_to_discord(settings, guild_id, source, lambda: asyncio.run(_sync(settings, guild_id)))
    if code:
        return code
    where = f"server {guild_id} (visible at once)" if guild_id else "all servers (may take up to an hour to appear)"
    _out(f"Commands synced to {where}.")
    return 0


async def _run(settings: Settings, retry: Retry = RUN_RETRY) -> None:
    """Open everything, wait for Discord (with backoff), then run until SIGTERM/SIGINT closes the bot."""
    log.info("Steunpunt %s from %s; database %s", __version__, PACKAGE_DIR, settings.database_path)
    async with running_app(settings) as bot:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still raises KeyboardInterrupt
                loop.add_signal_handler(sig, functools.partial(_shutdown, bot, stopping, sig))
        if await reach_discord(settings.discord_api_base_url, retry, stopping=stopping):
            await bot.start(settings.discord_token)
    log.info("Steunpunt stopped cleanly")


def _shutdown(bot: discord.Client, stopping: asyncio.Event, sig: signal.Signals) -> None:
    log.info("Received %s; closing", sig.name)
    stopping.set()
    asyncio.get_running_loop().create_task(bot.close())


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Start the bot and run until stopped (SIGTERM or Ctrl+C stop it cleanly)."""
    retry = Retry(attempts=args.connect_attempts)
    try:
        return _talk_to_discord(
            settings, settings.dev_guild_id, "DEV_GUILD_ID", lambda: asyncio.run(_run(settings, retry))
        )
    except KeyboardInterrupt:
        return 0


Handler = Callable[[Settings, argparse.Namespace], int]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100 (got {value})")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with --help on every command."""
    parser = argparse.ArgumentParser(
        prog="steunpunt", description="Steunpunt, the knowledge bot for the heritage sector."
    )
    parser.add_argument("--version", action="version", version=f"steunpunt {__version__}")
    parser.add_argument(
        "--env-file",
        default=None,
        metavar="PATH",
        help=f"settings file to read (default: {DEFAULT_ENV_FILE} in the current directory, if there is one)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the bot", description=cmd_run.__doc__)
    run.add_argument(
        "--connect-attempts",
        type=_positive,
        default=RUN_RETRY.attempts,
        metavar="N",
        help=f"tries to reach Discord at start-up, with growing pauses in between (default {RUN_RETRY.attempts})",
    )
    run.set_defaults(handler=cmd_run)
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
    add_digest_commands(sub)
    add_stats_commands(sub)
    add_health_command(sub)
    from bot.cli_doctor import add_doctor_command  # here: cli_doctor imports this module's Discord helpers

    add_doctor_command(sub)

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser(
        "migrate", help="create or upgrade the database", description=cmd_db_migrate.__doc__
    ).set_defaults(handler=cmd_db_migrate)
    backup = db_sub.add_parser(
        "backup", help="copy the database safely, even while the bot runs", description=cmd_db_backup.__doc__
    )
    backup.add_argument("path", help="the backup file to write")
    backup.set_defaults(handler=cmd_db_backup)
    add_check_command(db_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``steunpunt`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(args.env_file or DEFAULT_ENV_FILE, required=args.env_file is not None)
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
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    raise SystemExit(code)
