"""``steunpunt health`` as a real subprocess: healthy, stale, disconnected, and unusable databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.wiring import open_services

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "health", *args],
        cwd=db.parent if db.parent.is_dir() else db.parent.parent,
        env={**clean, "DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def beat(db: Path, *, ago: timedelta, connected: bool) -> None:
    """Record a heartbeat as the running bot would have, ``ago`` before now."""

    async def write() -> None:
        clock = FixedClock(datetime.now(UTC) - ago)
        async with open_services(Settings.for_tests(database_path=db), clock=clock) as services:
            await services.system.heartbeat(connected=connected)

    asyncio.run(write())


@pytest.mark.parametrize(
    ("ago", "connected", "code", "says"),
    [
        (timedelta(seconds=5), True, 0, "healthy: running and connected"),
        (timedelta(minutes=10), True, 1, "unhealthy: no heartbeat for"),
        (timedelta(seconds=5), False, 1, "unhealthy: running, but not connected to Discord"),
    ],
)
def test_the_heartbeat_decides(tmp_path: Path, ago: timedelta, connected: bool, code: int, says: str) -> None:
    """Exit 0 for a recent connected beat, 1 with the reason for a stale or disconnected one; one line."""
    db = tmp_path / "db.sqlite3"
    beat(db, ago=ago, connected=connected)
    result = run(db=db)
    assert result.returncode == code, result.stderr
    assert result.stdout.startswith(says)
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""


def test_max_age_widens_the_window(tmp_path: Path) -> None:
    """A ten-minute-old beat is healthy with --max-age 900."""
    db = tmp_path / "db.sqlite3"
    beat(db, ago=timedelta(minutes=10), connected=True)
    assert run("--max-age", "900", db=db).returncode == 0


def test_a_database_no_bot_ran_on_is_unhealthy(tmp_path: Path) -> None:
    """Migrated but never run: unhealthy, saying why."""
    db = tmp_path / "db.sqlite3"
    asyncio.run(_migrate(db))
    result = run(db=db)
    assert result.returncode == 1
    assert "no heartbeat yet" in result.stdout


async def _migrate(db: Path) -> None:
    async with open_services(Settings.for_tests(database_path=db)):
        pass


@pytest.mark.parametrize("value", ["10", "abc", "999999"])
def test_a_bad_max_age_is_exit_2(tmp_path: Path, value: str) -> None:
    """Outside 60 s to a day, or not a number: argparse's one message, exit 2."""
    result = run("--max-age", value, db=tmp_path / "db.sqlite3")
    assert result.returncode == 2
    assert "--max-age" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_database_is_exit_2_and_not_created(tmp_path: Path) -> None:
    """Health only reads: a wrong DATABASE_PATH is one message, exit 2, and no file appears."""
    db = tmp_path / "nowhere" / "db.sqlite3"
    result = run(db=db)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert not db.exists()
