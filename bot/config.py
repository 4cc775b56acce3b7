"""The one frozen settings object, loaded from the environment and `.env` and validated at start-up."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.errors import ConfigError

DEFAULT_DATABASE_PATH = Path("data") / "steunpunt.sqlite3"
"""Relative to the directory of the ``.env`` file in use, or to the current directory when there is none."""
DEFAULT_ENV_FILE = ".env"
DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
SUPPORTED_LOCALES = ("nl", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_SNOWFLAKE = 2**63 - 1
"""The largest id SQLite (and Discord's signed 64-bit snowflakes) can hold."""
MAX_RETENTION_DAYS = 36_500
MAX_SEARCH_WORKERS = 8
DEFAULT_SEARCH_WORKERS = 2
MAX_PORT = 65_535
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class Settings:
    """Process-wide settings. Per-server settings live in the database, not here."""

    discord_token: str = field(repr=False)
    database_path: Path = DEFAULT_DATABASE_PATH
    default_locale: str = "nl"
    log_level: str = "INFO"
    dev_guild_id: int | None = None
    discord_api_base_url: str = DISCORD_API_BASE_URL
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    guild_retention_days: int = 30
    search_log_retention_days: int = 180
    search_workers: int = DEFAULT_SEARCH_WORKERS
    """Worker processes that answer searches and analyse imports (0: the bot's own process does it)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on 127.0.0.1 at this port (None: no metrics at all)."""

    @classmethod
    def from_env(
        cls,
        env_file: Path | str | None = DEFAULT_ENV_FILE,
        environ: Mapping[str, str] | None = None,
        *,
        required: bool = False,
    ) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) over the values in ``env_file``.

        A missing ``env_file`` is skipped, unless ``required`` (it was named explicitly). A relative
        ``DATABASE_PATH`` is resolved against the directory of the ``.env`` file that set it (the current
        directory when it came from the environment); so is the default, when a ``.env`` file is in use.
        Raises one :class:`ConfigError` that lists every missing or invalid key.
        """
        environment = os.environ if environ is None else environ
        values: dict[str, str] = {}
        base = Path.cwd()
        if env_file is not None:
            path = Path(env_file).expanduser()
            if path.is_file():
                try:
                    values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
                except (OSError, UnicodeDecodeError) as exc:
                    raise ConfigError(f"Cannot read the settings file {path}: {exc}") from None
                base = path.absolute().parent
            elif required:
                what = "is not a file" if path.exists() else "does not exist"
                raise ConfigError(f"The settings file {path} (--env-file) {what}.")
        values.update(environment)
        database_base = Path.cwd() if environment.get("DATABASE_PATH", "").strip() else base
        return cls.from_mapping(values, base_dir=database_base)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str], *, base_dir: Path | None = None) -> Settings:
        """Validate and convert raw string values; collect every problem before failing.

        A relative ``DATABASE_PATH`` (and the default) is made absolute against ``base_dir`` (default: the
        current directory), so the database stays the same file whatever the process's directory later is.
        """
        problems: list[str] = []
        kwargs: dict[str, Any] = {}

        token = env.get("DISCORD_TOKEN", "").strip()
        if not token:
            problems.append(
                "DISCORD_TOKEN is missing. Create a bot in the Discord developer portal "
                "(https://discord.com/developers/applications → your app → Bot → Reset Token) "
                "and put DISCORD_TOKEN=... in .env (see .env.example)."
            )
        elif any(c.isspace() for c in token) or len(token) < 20:
            problems.append("DISCORD_TOKEN does not look like a bot token (too short or contains spaces).")
        kwargs["discord_token"] = token

        base = base_dir if base_dir is not None else Path.cwd()
        raw_path = env.get("DATABASE_PATH", "").strip()
        kwargs["database_path"] = base / (Path(raw_path).expanduser() if raw_path else DEFAULT_DATABASE_PATH)

        locale = env.get("DEFAULT_LOCALE", "nl").strip() or "nl"
        if locale not in SUPPORTED_LOCALES:
            problems.append(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)} (got {locale!r}).")
        kwargs["default_locale"] = locale

        level = (env.get("LOG_LEVEL", "INFO").strip() or "INFO").upper()
        if level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {level!r}).")
        kwargs["log_level"] = level

        kwargs["dev_guild_id"] = _optional_int(env, "DEV_GUILD_ID", problems, minimum=1, maximum=MAX_SNOWFLAKE)
        retention = _optional_int(env, "GUILD_RETENTION_DAYS", problems, minimum=0, maximum=MAX_RETENTION_DAYS)
        if retention is not None:
            kwargs["guild_retention_days"] = retention
        searches = _optional_int(env, "SEARCH_LOG_RETENTION_DAYS", problems, minimum=1, maximum=MAX_RETENTION_DAYS)
        if searches is not None:
            kwargs["search_log_retention_days"] = searches
        workers = _optional_int(env, "SEARCH_WORKERS", problems, minimum=0, maximum=MAX_SEARCH_WORKERS)
        if workers is not None:
            kwargs["search_workers"] = workers
        kwargs["metrics_port"] = _optional_int(env, "METRICS_PORT", problems, minimum=1, maximum=MAX_PORT)

        for key, schemes, attr in (
            ("DISCORD_API_BASE_URL", ("http", "https"), "discord_api_base_url"),
            ("DISCORD_GATEWAY_URL", ("ws", "wss"), "discord_gateway_url"),
        ):
            if raw := env.get(key, "").strip():
                parsed = urlparse(raw)
                if parsed.scheme not in schemes or not parsed.netloc:
                    problems.append(f"{key} must be a {' or '.join(schemes)} URL (got {raw!r}).")
                kwargs[attr] = raw.rstrip("/") if attr == "discord_api_base_url" else raw

        if problems:
            raise ConfigError("Steunpunt cannot start; fix these settings:\n" + "\n".join(f"  - {p}" for p in problems))
        return cls(**kwargs)

    @classmethod
    def for_tests(cls, **overrides: Any) -> Settings:
        """Settings with a dummy token, for tests and benchmarks."""
        # no worker processes: tests and benchmarks search in their own process unless they ask for workers
        base = cls(discord_token="fake-token-for-tests-0000000000", search_workers=0)  # noqa: S106 - not a secret
        return replace(base, **overrides)

    @property
    def log_level_number(self) -> int:
        """The numeric logging level."""
        return logging.getLevelNamesMapping()[self.log_level]


ENV_KEYS = {
    "DISCORD_TOKEN": "discord_token",
    "DATABASE_PATH": "database_path",
    "DEFAULT_LOCALE": "default_locale",
    "LOG_LEVEL": "log_level",
    "DEV_GUILD_ID": "dev_guild_id",
    "DISCORD_API_BASE_URL": "discord_api_base_url",
    "DISCORD_GATEWAY_URL": "discord_gateway_url",
    "GUILD_RETENTION_DAYS": "guild_retention_days",
    "SEARCH_LOG_RETENTION_DAYS": "search_log_retention_days",
    "SEARCH_WORKERS": "search_workers",
    "METRICS_PORT": "metrics_port",
}
"""Environment key → Settings field; a meta-test keeps this, the dataclass and .env.example in step."""


def _optional_int(env: Mapping[str, str], key: str, problems: list[str], *, minimum: int, maximum: int) -> int | None:
    raw = env.get(key, "").strip()
    if not raw:
        return None
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    if not _INTEGER.fullmatch(raw):
        problems.append(f"{key} must be a whole number (got {shown!r}).")
        return None
    value = int(raw) if len(raw) <= 40 else (maximum + 1 if raw[0] != "-" else minimum - 1)  # no 4,300-digit parse
    if not minimum <= value <= maximum:
        problems.append(f"{key} must be between {minimum} and {maximum} (got {shown}).")
        return None
    return value
