"""Settings: validation collects every problem, and the token never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"


def test_minimal_environment_uses_defaults() -> None:
    """Only a token is needed; everything else has a default."""
    s = Settings.from_mapping({"DISCORD_TOKEN": TOKEN})
    assert s.default_locale == "nl"
    assert s.log_level == "INFO"
    assert s.dev_guild_id is None
    assert s.database_path.name == "steunpunt.sqlite3"
    assert s.discord_api_base_url == "https://discord.com/api/v10"


def test_every_problem_is_listed_at_once() -> None:
    """Missing token, bad locale, bad level and bad ids are all reported in one error."""
    with pytest.raises(ConfigError) as info:
        Settings.from_mapping(
            {"DEFAULT_LOCALE": "fr", "LOG_LEVEL": "LOUD", "DEV_GUILD_ID": "abc", "DISCORD_GATEWAY_URL": "http://x"}
        )
    text = str(info.value)
    for key in ("DISCORD_TOKEN", "DEFAULT_LOCALE", "LOG_LEVEL", "DEV_GUILD_ID", "DISCORD_GATEWAY_URL"):
        assert key in text
    assert "developer portal" in text


def test_token_never_in_repr_or_errors() -> None:
    """repr() of the settings hides the token, and so do validation errors."""
    s = Settings.from_mapping({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(s)
    assert TOKEN not in str(s)
    with pytest.raises(ConfigError) as info:
        Settings.from_mapping({"DISCORD_TOKEN": TOKEN, "DEFAULT_LOCALE": "xx"})
    assert TOKEN not in str(info.value)


def test_settings_are_frozen() -> None:
    """Nothing can change the settings after start-up."""
    s = Settings.for_tests()
    with pytest.raises(AttributeError):
        s.default_locale = "en"  # type: ignore[misc]


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    """Values come from .env, and real environment variables override them."""
    env = tmp_path / ".env"
    env.write_text(f"DISCORD_TOKEN={TOKEN}\nDEFAULT_LOCALE=en\nDEV_GUILD_ID=42\n")
    s = Settings.from_env(env, environ={"DEFAULT_LOCALE": "nl"})
    assert s.dev_guild_id == 42
    assert s.default_locale == "nl"
