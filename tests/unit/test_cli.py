"""The steunpunt command line, run as a real subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import application_id_from_token, invite_url
from bot.db.migrate import discover

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEFAULT_LOCALE"))}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_without_env_names_the_token(tmp_path: Path) -> None:
    """With no .env, check exits 2, names DISCORD_TOKEN with a hint, and prints no traceback."""
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "developer portal" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_check_prints_invite_and_intents(tmp_path: Path) -> None:
    """A valid .env gives the invite URL with the app id from the token, and the intents advice."""
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH={tmp_path / 'db.sqlite3'}\n")
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "client_id=123456789012345678" in result.stdout
    assert "scope=bot+applications.commands" in result.stdout
    assert "No privileged intents" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # check creates nothing


def test_migrate_creates_then_changes_nothing(tmp_path: Path) -> None:
    """db migrate creates a new database; a second run reports it up to date and changes nothing."""
    db = tmp_path / "data" / "db.sqlite3"
    env = {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db)}
    first = run_cli("db", "migrate", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "Migrated" in first.stdout
    with sqlite3.connect(db) as conn:
        schema = conn.execute("SELECT sql FROM sqlite_schema ORDER BY name").fetchall()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == discover()[-1].version
    second = run_cli("db", "migrate", cwd=tmp_path, env=env)
    assert second.returncode == 0
    assert "up to date" in second.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT sql FROM sqlite_schema ORDER BY name").fetchall() == schema


def test_newer_database_is_refused_clearly(tmp_path: Path) -> None:
    """A database from a newer Steunpunt is refused with a clear message and exit 2, for migrate and check."""
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    env = {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db)}
    for args in (("db", "migrate"), ("check",)):
        result = run_cli(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2
        assert "999" in result.stderr
        assert "newer" in result.stderr
        assert "Traceback" not in result.stderr


def test_backup_copies_the_database(tmp_path: Path) -> None:
    """db backup writes a readable copy at the given path."""
    env = {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    assert run_cli("db", "migrate", cwd=tmp_path, env=env).returncode == 0
    result = run_cli("db", "backup", str(tmp_path / "b" / "copy.sqlite3"), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "b" / "copy.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == discover()[-1].version


@pytest.mark.parametrize(
    "args", [(), ("run",), ("check",), ("sync",), ("db",), ("db", "migrate"), ("db", "backup"), ("db", "check")]
)
def test_every_command_has_help(args: tuple[str, ...], tmp_path: Path) -> None:
    """--help works on every command, without settings."""
    result = run_cli(*args, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: steunpunt" in result.stdout


def test_invite_url_helpers() -> None:
    """The application id is read from the token; the URL carries a permissions integer."""
    assert application_id_from_token(TOKEN) == 123456789012345678
    assert application_id_from_token("not-a-token") is None
    assert "permissions=" in invite_url(None)
    assert "YOUR_APPLICATION_ID" in invite_url(None)


def test_db_check_reports_index_drift_and_fix_repairs_it(tmp_path: Path) -> None:
    """db check exits 0 on a sound database, 1 naming a stale index entry, and --fix repairs it (then 0)."""
    db = tmp_path / "db.sqlite3"
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH={db}\n")
    starter = Path(__file__).resolve().parents[2] / "bot" / "data" / "resources.toml"
    assert run_cli("import", str(starter), "--guild", "5", cwd=tmp_path).returncode == 0
    clean = run_cli("db", "check", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "58 documents checked, 0 differences" in clean.stdout
    with sqlite3.connect(db) as conn:  # an index write that was lost: the entry still has the old title
        conn.execute("UPDATE resources SET title = 'Nieuwe titel' WHERE id = 1")
    found = run_cli("db", "check", cwd=tmp_path)
    assert found.returncode == 1
    assert "1 differences (1 stale)" in found.stdout and "server 5 resource:1" in found.stdout
    fixed = run_cli("db", "check", "--fix", cwd=tmp_path)
    assert fixed.returncode == 0 and "fixed 1 differences" in fixed.stdout
    assert run_cli("db", "check", cwd=tmp_path).returncode == 0
