"""Operator mistakes on the command line end with one clear message and exit 2, fast: never a hang or a traceback.

Regression tests for issue 10, defects 3, 6, 7 and 12 (the Discord-facing ones are in tests/e2e/test_process.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import Retry, reach_discord
from bot.errors import ConfigError

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
STARTER = Path(__file__).resolve().parents[2] / "bot" / "data" / "resources.toml"
FAST = 10.0
"""Seconds a failing command may take at most (it takes well under one; a hang is stopped by the timeout)."""


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, wrap: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` with a clean Steunpunt environment; fails the test on a hang."""
    steunpunt = ("DISCORD_", "DATABASE_", "DEFAULT_", "DEV_", "LOG_LEVEL")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(steunpunt)}
    clean.update(env or {})
    started = time.monotonic()
    try:
        result = subprocess.run(
            [*(wrap or []), sys.executable, "-m", "bot", *args],
            cwd=cwd,
            env=clean,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`steunpunt {' '.join(args)}` hung")
    assert time.monotonic() - started < FAST, f"`steunpunt {' '.join(args)}` was slow"
    return result


def assert_one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2 with one line on stderr that contains every needle, and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def env_for(db: Path | str) -> dict[str, str]:
    """Settings for one database; `run` logs only warnings, so stderr holds just the message."""
    return {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db), "LOG_LEVEL": "WARNING"}


def _read_only_wrapper(directory: Path) -> list[str] | None:
    """A command prefix that runs the rest with ``directory`` on a read-only bind mount, or None if impossible."""
    if shutil.which("unshare") is None or sys.platform != "linux":
        return None
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    wrap = ["unshare", "-rm", "sh", "-c", script, str(directory)]
    probe = subprocess.run([*wrap, "true"], capture_output=True, check=False, timeout=10)
    return wrap if probe.returncode == 0 else None


@pytest.fixture
def read_only(tmp_path: Path) -> tuple[Path, list[str]]:
    """A directory (holding a migrated database) and the wrapper that makes it read-only for one command."""
    directory = tmp_path / "ro"
    directory.mkdir()
    wrap = _read_only_wrapper(directory)
    if wrap is None:
        pytest.skip("needs `unshare -rm` (user and mount namespaces) for a read-only file system")
    return directory, wrap


# --- defect 3: a file that is not a database ---------------------------------------------------------------

DB_COMMANDS = [
    ("run",),
    ("db", "migrate"),
    ("db", "backup", "{tmp}/copy.sqlite3"),
    ("search", "creative commons"),
    ("import", str(STARTER), "--guild", "1"),
    ("export", "resources", "--guild", "1"),
]


@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_not_a_database_is_one_message_and_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    """Every database command refuses a file that is not SQLite at once (it used to hang for ever)."""
    bogus = tmp_path / "notes.txt"
    text = "These are my notes, not a database.\n" * 200
    bogus.write_text(text)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = run_cli(*argv, cwd=tmp_path, env=env_for(bogus))
    assert_one_line(result, str(bogus), "not a")
    assert bogus.read_text() == text  # untouched


# --- defect 6: paths that cannot be used --------------------------------------------------------------------


@pytest.mark.parametrize("args", [("run",), ("db", "migrate"), ("check",), ("import", str(STARTER), "--guild", "1")])
def test_database_in_an_impossible_place(args: tuple[str, ...], tmp_path: Path) -> None:
    """DATABASE_PATH under /proc cannot be created: one message, exit 2 (check used to call it valid)."""
    if not Path("/proc/self").exists():
        pytest.skip("needs Linux /proc")
    result = run_cli(*args, cwd=tmp_path, env=env_for("/proc/nope/x.sqlite3"))
    assert_one_line(result, "/proc/nope")


def test_database_on_a_read_only_file_system(tmp_path: Path, read_only: tuple[Path, list[str]]) -> None:
    """An existing database on a read-only file system: check calls it unusable; migrate and run refuse it."""
    directory, wrap = read_only
    db = directory / "steunpunt.sqlite3"
    assert run_cli("db", "migrate", cwd=tmp_path, env=env_for(db)).returncode == 0
    for args in (("check",), ("db", "migrate"), ("run",)):
        result = run_cli(*args, cwd=tmp_path, env=env_for(db), wrap=wrap)
        assert_one_line(result, str(db))
        if args == ("check",):
            assert "not writable" in result.stderr
    fresh = directory / "new" / "db.sqlite3"
    assert_one_line(run_cli("check", cwd=tmp_path, env=env_for(fresh), wrap=wrap), str(fresh), "not writable")
    assert_one_line(run_cli("db", "migrate", cwd=tmp_path, env=env_for(fresh), wrap=wrap), str(fresh))


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    db = tmp_path / "db.sqlite3"
    assert run_cli("db", "migrate", cwd=tmp_path, env=env_for(db)).returncode == 0
    return db


def test_backup_to_a_directory(tmp_path: Path, migrated: Path) -> None:
    """`db backup DIR` explains that it wants a file path."""
    target = tmp_path / "backups"
    target.mkdir()
    assert_one_line(run_cli("db", "backup", str(target), cwd=tmp_path, env=env_for(migrated)), "is a directory")
    assert list(target.iterdir()) == []


def test_backup_to_an_impossible_path(tmp_path: Path, migrated: Path) -> None:
    """`db backup` to a path that cannot be written: one message, exit 2."""
    if not Path("/proc/self").exists():
        pytest.skip("needs Linux /proc")
    result = run_cli("db", "backup", "/proc/nope/copy.sqlite3", cwd=tmp_path, env=env_for(migrated))
    assert_one_line(result, "/proc/nope/copy.sqlite3")


def test_backup_and_export_to_a_read_only_file_system(
    tmp_path: Path, migrated: Path, read_only: tuple[Path, list[str]]
) -> None:
    """`db backup` and `export --output` into a read-only file system: one message each, exit 2."""
    directory, wrap = read_only
    backup = run_cli("db", "backup", str(directory / "copy.sqlite3"), cwd=tmp_path, env=env_for(migrated), wrap=wrap)
    assert_one_line(backup, str(directory / "copy.sqlite3"))
    out = directory / "export.json"
    export = run_cli(
        "export", "resources", "--guild", "1", "--output", str(out), cwd=tmp_path, env=env_for(migrated), wrap=wrap
    )
    assert_one_line(export, str(out))


def test_export_to_an_impossible_path(tmp_path: Path, migrated: Path) -> None:
    """`export --output` to a path that cannot be written (or a directory): one message, exit 2."""
    assert_one_line(
        run_cli("export", "resources", "--guild", "1", "--output", str(tmp_path), cwd=tmp_path, env=env_for(migrated)),
        "is a directory",
    )
    if Path("/proc/self").exists():
        result = run_cli(
            "export", "resources", "--guild", "1", "--output", "/proc/nope.json", cwd=tmp_path, env=env_for(migrated)
        )
        assert_one_line(result, "/proc/nope.json")


def test_out_of_range_dev_guild_id(tmp_path: Path) -> None:
    """A DEV_GUILD_ID beyond 64 bits is a settings problem (it used to crash later with OverflowError)."""
    env = {**env_for(tmp_path / "db.sqlite3"), "DEV_GUILD_ID": str(2**63)}
    for args in (("check",), ("run",)):
        result = run_cli(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2
        assert "DEV_GUILD_ID" in result.stderr and "Traceback" not in result.stderr


# --- defect 7: which .env, which database --------------------------------------------------------------------


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    """An --env-file that does not exist stops with one message (it used to be ignored silently)."""
    result = run_cli("--env-file", str(tmp_path / "missing.env"), "check", cwd=tmp_path, env={"DISCORD_TOKEN": TOKEN})
    assert_one_line(result, "missing.env", "does not exist")


def test_relative_database_path_follows_the_env_file(tmp_path: Path) -> None:
    """DATABASE_PATH=db/x.sqlite3 in /a/.env means /a/db/x.sqlite3, from whatever directory Steunpunt starts."""
    home = tmp_path / "deploy"
    home.mkdir()
    (home / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH=db/x.sqlite3\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("--env-file", str(home / ".env"), "db", "migrate", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (home / "db" / "x.sqlite3").is_file()
    assert not (elsewhere / "db").exists()
    default = tmp_path / "default"
    default.mkdir()
    (default / "settings.env").write_text(f"DISCORD_TOKEN={TOKEN}\n")
    assert run_cli("--env-file", str(default / "settings.env"), "db", "migrate", cwd=elsewhere).returncode == 0
    assert (default / "data" / "steunpunt.sqlite3").is_file()
    assert not (elsewhere / "data").exists()


# --- defect 12: search does not create, the CLI speaks English -----------------------------------------------


def test_search_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    """`steunpunt search` without a database says so (exit 2) instead of creating an empty one."""
    db = tmp_path / "none" / "db.sqlite3"
    result = run_cli("search", "auteursrecht", cwd=tmp_path, env=env_for(db))
    assert_one_line(result, str(db), "no database")
    assert not db.exists() and not db.parent.exists()


def test_export_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    """`steunpunt export` only reads: without a database it says so instead of creating an empty one."""
    db = tmp_path / "none" / "db.sqlite3"
    assert_one_line(run_cli("export", "resources", "--guild", "1", cwd=tmp_path, env=env_for(db)), "no database")
    assert not db.parent.exists()


def test_search_writes_nothing(tmp_path: Path, migrated: Path) -> None:
    """Searching leaves the database file exactly as it was (no search log, no re-index)."""
    assert run_cli("import", str(STARTER), "--guild", "1", cwd=tmp_path, env=env_for(migrated)).returncode == 0
    before = migrated.read_bytes()
    result = run_cli("search", "creative commons", "--guild", "1", cwd=tmp_path, env=env_for(migrated))
    assert result.returncode == 0, result.stderr
    assert " 1. " in result.stdout
    wal = migrated.with_name(migrated.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert migrated.read_bytes() == before
    with sqlite3.connect(migrated) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_cli_speaks_english_whatever_the_default_locale(tmp_path: Path) -> None:
    """With DEFAULT_LOCALE=nl, a domain error on the command line is still in English."""
    env = {**env_for(tmp_path / "db.sqlite3"), "DEFAULT_LOCALE": "nl"}
    result = run_cli("import", str(STARTER), cwd=tmp_path, env=env)
    assert_one_line(result, "Resources belong to one server: add --guild ID.")


# --- reaching Discord (in-process: no real waiting) ----------------------------------------------------------


def test_backoff_grows_and_is_capped() -> None:
    """The pauses between start-up attempts double and stop growing at the cap."""
    assert [Retry().delay(n) for n in range(1, 7)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


async def test_unreachable_discord_is_retried_then_named(unused_tcp_port: int) -> None:
    """Each attempt is made; the final error is one line naming the URL tried."""
    url = f"http://127.0.0.1:{unused_tcp_port}/api/v10"
    with pytest.raises(ConfigError) as info:
        await reach_discord(url, Retry(attempts=3, first_delay=0.0))
    assert str(info.value).startswith(f"Cannot reach Discord at {url}: ")
    assert "(tried 3 times)" in str(info.value)
    assert "\n" not in str(info.value)


async def test_a_stop_during_the_backoff_ends_the_wait(unused_tcp_port: int) -> None:
    """SIGTERM while waiting to retry stops at once, without an error."""
    stopping = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, stopping.set)
    started = time.monotonic()
    reached = await reach_discord(
        f"http://127.0.0.1:{unused_tcp_port}/api/v10", Retry(attempts=5, first_delay=60.0), stopping=stopping
    )
    assert reached is False
    assert time.monotonic() - started < 5
