"""``steunpunt doctor``: is everything in place, and if not, what to fix.

It checks, one line each, what ``steunpunt check`` validates (the settings and the database path), the
database (schema version against the migrations shipped, ``PRAGMA quick_check``), and Discord through its REST
API only (no gateway session, so it is safe while the bot runs): the token, and for every server with stored
settings, the bot's effective permissions in each configured channel against what that setting needs (the same
audit the bot runs at start-up, :func:`bot.permissions.audit_guild`). Every problem comes with what to fix.

Exit status: 0 when all is well, 1 when it found something to fix, 2 when it cannot run (bad settings, no
usable database at DATABASE_PATH). It never waits on Discord longer than a few timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import discord

from bot import __version__
from bot.app import build_intents
from bot.cli import EXIT_CONFIG, discord_problem, privileged_intents, reach_discord
from bot.config import Settings
from bot.db.health import SchemaState, quick_check, schema_state
from bot.db.inspect import database_problem
from bot.domain.guild_settings import GuildSettings
from bot.domain.settings_schema import label_key
from bot.errors import ConfigError
from bot.i18n import I18n
from bot.permissions import ChannelProblem, audit_guild
from bot.wiring import apply_discord_endpoints, open_services

log = logging.getLogger(__name__)

EXIT_PROBLEMS = 1
LOGIN_SECONDS = 30.0
"""At most this long for logging in with the token."""
SERVER_SECONDS = 30.0
"""At most this long for fetching one server (the server, its channels, the bot's member)."""
RATE_LIMIT_SECONDS = 30.0
"""A rate limit longer than this fails the request instead of waiting (discord.py's minimum)."""
CLI_LOCALE = "en"
INTENT_FLAGS = {
    "members": ("gateway_members", "gateway_members_limited"),
    "presences": ("gateway_presence", "gateway_presence_limited"),
    "message_content": ("gateway_message_content", "gateway_message_content_limited"),
}
"""Privileged intent → the application flags that say it is switched on (verified or not)."""


Status = Literal["ok", "PROBLEM", "skipped"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: what was checked, how it is, and (for a problem) what to do about it."""

    subject: str
    text: str
    status: Status = "ok"
    fix: str | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing needs fixing here."""
        return self.status != "PROBLEM"

    def lines(self) -> list[str]:
        """The finding as printed: its status, subject and text, then the fix indented on its own line."""
        head = f"{self.status:8} {self.subject}: {self.text}"
        return [head] if self.fix is None else [head, f"{'':8} fix: {self.fix}"]


def problem(subject: str, text: str, fix: str | None = None) -> Finding:
    """A finding that needs fixing."""
    return Finding(subject, text, "PROBLEM", fix)


def join_names(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- settings and database --------------------------------------------------------------------------------


def settings_findings(settings: Settings) -> list[Finding]:
    """What ``steunpunt check`` validates: the settings (already loaded) and the intents the bot uses."""
    found = [
        Finding(
            "settings",
            f"valid (Steunpunt {__version__}; database {settings.database_path}; "
            f"default language {settings.default_locale}; Discord API {settings.discord_api_base_url})",
        )
    ]
    privileged = privileged_intents()
    text = f"privileged intents used: {', '.join(privileged)}" if privileged else "no privileged intents needed"
    found.append(Finding("intents", text))
    return found


def _schema(path: Path) -> SchemaState | None:
    try:
        return schema_state(path)
    except sqlite3.Error:
        return None


def database_findings(path: Path, state: SchemaState) -> list[Finding]:
    """The schema version against the migrations shipped, and SQLite's quick check."""
    found: list[Finding] = []
    if state.too_new:
        found.append(
            problem(
                "database",
                f"schema version {state.version} is newer than this Steunpunt ({__version__}) knows ({state.newest})",
                "upgrade Steunpunt to the version that wrote it (or restore a backup made by this version)",
            )
        )
    elif state.pending:
        found.append(
            problem(
                "database",
                f"schema version {state.version}; this Steunpunt ships {state.newest} "
                f"({len(state.pending)} migration{'s' if len(state.pending) != 1 else ''} pending)",
                "run `steunpunt db migrate` (`steunpunt db backup FILE` first keeps a copy)",
            )
        )
    else:
        found.append(Finding("database", f"{path} at schema version {state.version} (current)"))
    try:
        broken = quick_check(path)
    except sqlite3.Error as exc:
        broken = [str(exc)]
    if broken:
        found.append(
            problem(
                "database integrity",
                "quick_check: " + "; ".join(broken[:3]),
                "stop the bot and restore the latest backup; `steunpunt db check` gives details",
            )
        )
    else:
        found.append(Finding("database integrity", "quick_check ok"))
    return found


async def configured_servers(settings: Settings) -> list[GuildSettings]:
    """The settings of every server the bot has not left (read-only; the database must be current)."""
    async with open_services(settings, read_only=True) as services:
        ids = await services.guild_settings.configured_guilds()
        return [await services.guild_settings.get(guild_id) for guild_id in ids]


# --- Discord, through REST only ---------------------------------------------------------------------------


def _discord_failure(exc: BaseException, settings: Settings) -> Finding:
    if isinstance(exc, discord.LoginFailure):
        return problem("discord", "Discord refused the token", "check DISCORD_TOKEN in .env (Bot → Reset Token)")
    if isinstance(exc, TimeoutError):
        return problem(
            "discord",
            f"Discord at {settings.discord_api_base_url} did not answer within {LOGIN_SECONDS:.0f} s",
            "try again later; check the network or DISCORD_API_BASE_URL",
        )
    text = discord_problem(exc, settings, None, "") or type(exc).__name__
    return problem("discord", text.rstrip("."), "try again later; check the network or DISCORD_API_BASE_URL")


def intent_findings(privileged: list[str], flags: discord.ApplicationFlags) -> list[Finding]:
    """Each privileged intent the bot uses must be switched on for the application."""
    return [
        problem(
            "intents",
            f"the {name} intent is off for this application",
            "switch it on in the developer portal (Bot → Privileged Gateway Intents)",
        )
        for name in privileged
        if not any(getattr(flags, flag) for flag in INTENT_FLAGS[name])
    ]


async def _rest_guild(client: discord.Client, guild_id: int) -> discord.Guild:
    """The server as the gateway would cache it, from REST: roles, channels and the bot's own member.

    ``audit_guild`` looks channels up with ``guild.get_channel`` and the bot with ``guild.me``; both read the
    guild's cache, which discord.py fills from gateway events, so the fetched channels and member are put there.
    """
    assert client.user is not None  # logged in
    guild = await client.fetch_guild(guild_id, with_counts=False)
    for channel in await guild.fetch_channels():
        guild._add_channel(channel)
    guild._add_member(await guild.fetch_member(client.user.id))
    return guild


def channel_finding(server: str, problem_: ChannelProblem, i18n: I18n) -> Finding:
    """A configured channel where the bot lacks something, with what to change."""
    label = i18n.t(label_key(problem_.purpose), CLI_LOCALE)
    if problem_.channel_name is None:
        return problem(
            f"{server}, {label.lower()}",
            f"channel {problem_.channel_id} no longer exists, or the bot cannot see it",
            "choose another channel with `/setup start`, or give the bot View Channel in it",
        )
    channel = f"#{problem_.channel_name}"
    names = join_names([i18n.t(f"perms.name.{name}", CLI_LOCALE) for name in problem_.missing])
    how = i18n.t("perms.fix", CLI_LOCALE, channel=channel, permissions=names).removeprefix("Fix: ")
    return problem(f"{server}, {label.lower()} {channel}", f"give the bot {names}", how)


async def server_findings(client: discord.Client, settings: GuildSettings, i18n: I18n) -> list[Finding]:
    """One server: whether the bot is there, and has what each configured channel needs."""
    guild_id = settings.guild_id
    try:
        async with asyncio.timeout(SERVER_SECONDS):
            guild = await _rest_guild(client, guild_id)
    except discord.HTTPException as exc:
        if exc.code in (10004, 10007, 50001) or exc.status in (403, 404):
            return [
                problem(
                    f"server {guild_id}",
                    f"the bot is not in this server (Discord answered {exc.status} {exc.text or 'Missing Access'})",
                    "invite it again with the URL from `steunpunt check` (if it was removed on purpose, ignore this)",
                )
            ]
        return [problem(f"server {guild_id}", f"Discord answered {exc.status} (code {exc.code})", "try again later")]
    except (TimeoutError, aiohttp.ClientError) as exc:
        reason = f"no answer within {SERVER_SECONDS:.0f} s" if isinstance(exc, TimeoutError) else str(exc)
        return [problem(f"server {guild_id}", f"could not fetch it from Discord ({reason})", "try again later")]
    except discord.DiscordException as exc:  # e.g. RateLimited: a wait longer than discord.py will sit out
        reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        return [problem(f"server {guild_id}", f"could not fetch it from Discord ({reason[:200]})", "try again later")]
    server = f"server {guild.name} ({guild_id})"
    channels = [spec for spec in type(settings).schema().channels() if getattr(settings, spec.key) is not None]
    problems = audit_guild(guild, settings)
    if problems:
        return [channel_finding(server, p, i18n) for p in problems]
    if not channels:
        return [Finding(server, "the bot is there; no channels configured yet (`/setup start` sets them up)")]
    return [Finding(server, f"the bot has what it needs in all {len(channels)} configured channels")]


async def discord_findings(settings: Settings, servers: list[GuildSettings] | None) -> list[Finding]:
    """Reach Discord, log in with the token (REST only) and check every server (None: skip the servers)."""
    apply_discord_endpoints(settings)
    try:
        await reach_discord(settings.discord_api_base_url)
    except ConfigError as exc:
        return [problem("discord", str(exc).rstrip("."), "check the network, a firewall, or DISCORD_API_BASE_URL")]
    i18n = I18n.load(CLI_LOCALE)
    client = discord.Client(intents=build_intents(), max_ratelimit_timeout=RATE_LIMIT_SECONDS)
    async with client:
        try:
            async with asyncio.timeout(LOGIN_SECONDS):
                await client.login(settings.discord_token)
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
            log.debug("Login failed", exc_info=exc)
            return [_discord_failure(exc, settings)]
        assert client.user is not None
        found = [Finding("discord", f"logged in as {client.user} (id {client.user.id})")]
        if client.application is not None:
            found += intent_findings(privileged_intents(), client.application.flags)
        if servers is None:
            found.append(Finding("servers", "not checked until the database is current (see above)", "skipped"))
            return found
        if not servers:
            found.append(Finding("servers", "no server has run `/setup` yet; nothing to check"))
        for settings_ in servers:
            found += await server_findings(client, settings_, i18n)
    return found


# --- the command ------------------------------------------------------------------------------------------


async def _diagnose(settings: Settings, state: SchemaState) -> list[Finding]:
    found = database_findings(settings.database_path, state)
    servers: list[GuildSettings] | None = None
    if not state.pending and not state.too_new:
        try:
            servers = await configured_servers(settings)
        except (sqlite3.Error, ConfigError) as exc:
            found.append(problem("servers", f"cannot read the server settings: {exc}", "run `steunpunt db check`"))
    return found + await discord_findings(settings, servers)


def cmd_doctor(settings: Settings, _args: argparse.Namespace) -> int:
    """Check settings, database and every server's channel permissions (REST only); print what to fix.

    Exit status 0 when everything is fine, 1 when something needs fixing, 2 when the settings or the database
    path are unusable. Safe while the bot runs: it reads the database and only reads from Discord.
    """
    path = settings.database_path
    state = _schema(path) if path.is_file() else None
    unusable = database_problem(path, must_exist=True)
    if unusable and not (state is not None and state.too_new):
        sys.stderr.write(unusable + "\n")
        return EXIT_CONFIG
    if state is None:
        sys.stderr.write(f"DATABASE_PATH {path} is not a readable SQLite database.\n")
        return EXIT_CONFIG
    findings = settings_findings(settings) + asyncio.run(_diagnose(settings, state))
    for finding in findings:
        for line in finding.lines():
            sys.stdout.write(line + "\n")
    problems = sum(not f.ok for f in findings)
    if problems:
        sys.stdout.write(f"{problems} problem{'s' if problems != 1 else ''} to fix.\n")
        return EXIT_PROBLEMS
    sys.stdout.write("Everything looks fine.\n")
    return 0


def add_doctor_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``doctor``."""
    sub.add_parser(
        "doctor",
        help="check settings, database and channel permissions; say what to fix",
        description=cmd_doctor.__doc__,
    ).set_defaults(handler=cmd_doctor)
