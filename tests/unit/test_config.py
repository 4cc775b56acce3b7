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


def test_ids_and_days_out_of_range_are_settings_problems() -> None:
    """A DEV_GUILD_ID beyond SQLite's 64-bit integers, or absurd retention, is reported like any bad value."""
    bad = [("DEV_GUILD_ID", str(2**63)), ("DEV_GUILD_ID", "9" * 5000), ("GUILD_RETENTION_DAYS", "1000000000")]
    for key, value in bad:
        with pytest.raises(ConfigError) as info:
            Settings.from_mapping({"DISCORD_TOKEN": TOKEN, key: value})
        assert key in str(info.value)
    assert Settings.from_mapping({"DISCORD_TOKEN": TOKEN, "DEV_GUILD_ID": str(2**63 - 1)}).dev_guild_id == 2**63 - 1


def test_relative_database_path_is_relative_to_its_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABASE_PATH from a .env is relative to that file's directory; from the environment, to the current one."""
    home = tmp_path / "home"
    home.mkdir()
    env = home / ".env"
    env.write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH=db/x.sqlite3\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert Settings.from_env(env, environ={}).database_path == home / "db" / "x.sqlite3"
    from_environment = Settings.from_env(env, environ={"DATABASE_PATH": "y.sqlite3"})
    assert from_environment.database_path == elsewhere / "y.sqlite3"
    env.write_text(f"DISCORD_TOKEN={TOKEN}\n")
    assert Settings.from_env(env, environ={}).database_path == home / "data" / "steunpunt.sqlite3"
    no_file = Settings.from_env(tmp_path / "absent.env", environ={"DISCORD_TOKEN": TOKEN})
    assert no_file.database_path == elsewhere / "data" / "steunpunt.sqlite3"
    assert Settings.from_env(env, environ={"DATABASE_PATH": "/abs/db.sqlite3"}).database_path == Path("/abs/db.sqlite3")


def test_a_named_env_file_must_exist(tmp_path: Path) -> None:
    """An env file named explicitly (--env-file) that is missing is an error, not silently skipped."""
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.from_env(tmp_path / "absent.env", environ={"DISCORD_TOKEN": TOKEN}, required=True)
    with pytest.raises(ConfigError, match="not a file"):
        Settings.from_env(tmp_path, environ={"DISCORD_TOKEN": TOKEN}, required=True)
