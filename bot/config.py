"""The one frozen settings object, loaded from the environment and `.env` and validated at start-up."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "data" / "steunpunt.sqlite3"
DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
SUPPORTED_LOCALES = ("nl", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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

    @classmethod
    def from_env(cls, env_file: Path | str | None = ".env", environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) over the values in ``env_file``.

        Raises one :class:`ConfigError` that lists every missing or invalid key.
        """
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        """Validate and convert raw string values; collect every problem before failing."""
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

        if raw := env.get("DATABASE_PATH", "").strip():
            kwargs["database_path"] = Path(raw).expanduser()

        locale = env.get("DEFAULT_LOCALE", "nl").strip() or "nl"
        if locale not in SUPPORTED_LOCALES:
            problems.append(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)} (got {locale!r}).")
        kwargs["default_locale"] = locale

        level = (env.get("LOG_LEVEL", "INFO").strip() or "INFO").upper()
        if level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {level!r}).")
        kwargs["log_level"] = level

        kwargs["dev_guild_id"] = _optional_int(env, "DEV_GUILD_ID", problems, minimum=1)
        retention = _optional_int(env, "GUILD_RETENTION_DAYS", problems, minimum=0)
        if retention is not None:
            kwargs["guild_retention_days"] = retention

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
        base = cls(discord_token="fake-token-for-tests-0000000000")  # noqa: S106 - not a secret
        return replace(base, **overrides)

    @property
    def log_level_number(self) -> int:
        """The numeric logging level."""
        return logging.getLevelName(self.log_level)  # type: ignore[no-any-return]


ENV_KEYS = {
    "DISCORD_TOKEN": "discord_token",
    "DATABASE_PATH": "database_path",
    "DEFAULT_LOCALE": "default_locale",
    "LOG_LEVEL": "log_level",
    "DEV_GUILD_ID": "dev_guild_id",
    "DISCORD_API_BASE_URL": "discord_api_base_url",
    "DISCORD_GATEWAY_URL": "discord_gateway_url",
    "GUILD_RETENTION_DAYS": "guild_retention_days",
}
"""Environment key → Settings field; a meta-test keeps this, the dataclass and .env.example in step."""


def _optional_int(env: Mapping[str, str], key: str, problems: list[str], *, minimum: int) -> int | None:
    raw = env.get(key, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{key} must be a whole number (got {raw!r}).")
        return None
    if value < minimum:
        problems.append(f"{key} must be at least {minimum} (got {value}).")
        return None
    return value
