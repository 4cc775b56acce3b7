"""``steunpunt stats``, run as a real subprocess on a real database: the CSV and JSON hold the figures StatsService
returns, which are the rows the /stats embed shows; operator mistakes end with one message and exit 2."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.clock import SystemClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.domain.qa_models import HelpPost
from bot.domain.stats import Figures, snowflake_at
from bot.i18n import I18n
from bot.render.stats import figure_rows, stats_embed
from bot.services import build_services

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
GUILD = 7
I18N = I18n.load("nl")


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEFAULT_LOCALE"))}
    env = {**clean, "DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=db.parent,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


async def _seed(path: Path) -> None:
    """Searches (one without results) and two help posts, one solved after 90 minutes, just now."""
    async with Database.open(path) as db:
        await apply_migrations(db)
        services = build_services(db, SystemClock())
        async with services.search.log_writer():
            for query, found in (("dia's scannen", 2), ("zeldzaam", 0), ("iiif", 1)):
                await services.search.log(GUILD, query, found)
        now = SystemClock().now()
        thread = snowflake_at(now.replace(microsecond=0)) - (90 * 60 * 1000 << 22)
        await services.qa.post_opened(HelpPost(thread, GUILD, 50, 1, "Hoe scan ik dia's?"))
        await services.qa.post_opened(HelpPost(thread + 1, GUILD, 50, 1, "Welke licentie?"))
        await services.qa.mark_solution(
            GUILD,
            thread,
            marker_id=1,
            is_moderator=False,
            answer_message_id=snowflake_at(now.replace(microsecond=0)),
            answer_author_id=2,
            answer_text="Met een diascanner.",
        )


async def _figures(path: Path, days: int) -> Figures:
    async with Database.open(path) as db:
        return await build_services(db, SystemClock()).stats.for_days(GUILD, days)


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a little activity of server 7, just now."""
    path = tmp_path_factory.mktemp("stats") / "db.sqlite3"
    asyncio.run(_seed(path))
    return path


def _rows(text: str) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(text))]


def _without_period(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("start", "end")}  # "now" moved on a little in between


def test_the_csv_holds_the_figures_of_the_service_and_the_embed(stocked: Path) -> None:
    """Header, then one row per figure (key, machine value, Dutch label) and per week, as StatsService and the
    embed have them; the answer time is 1.5 hours."""
    result = run("stats", "--guild", str(GUILD), "--lang", "nl", db=stocked)
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    figures = asyncio.run(_figures(stocked, 30))
    expected = [(r.key, r.value, r.label) for r in figure_rows(figures, I18N, "nl", weekly=True)]
    assert rows[0] == ("key", "value", "label") and rows[1:] == expected
    values = {key: value for key, value, _ in rows[1:]}
    assert (values["searches"], values["zero_result_searches"], values["zero_result_share"]) == ("3", "1", "0.3333")
    assert (values["posts_opened"], values["posts_solved"], values["solve_rate"]) == ("2", "1", "0.5000")
    assert values["answer_time_median_hours"] == "1.50" and values["acceptance_share"] == ""  # no data
    assert ("searches", "3", "Zoekvragen") in rows
    assert any(key.startswith("week.") and key.endswith(".searches") for key, _, _ in rows)
    embed = stats_embed(figures, I18N, "nl")
    text = "\n".join(f"{field.name}\n{field.value}" for field in embed.fields)
    for row in figure_rows(figures, I18N, "nl"):  # the same figures, as the embed shows them
        if row.section != "resources":
            assert f"{row.label}: **{row.shown}**" in text, row.key
    assert (
        "Aandeel zonder resultaat: **33%**" in text
        and "Tijd tot geaccepteerd antwoord (mediaan): **1 u 30 min**" in text
    )


def test_english_labels_and_another_period(stocked: Path) -> None:
    """--lang en writes English labels; --days 7 the figures of 7 days (the same values here)."""
    result = run("stats", "--guild", str(GUILD), "--days", "7", "--lang", "en", db=stocked)
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert ("searches", "3", "Searches") in rows and ("solve_rate", "0.5000", "Solve rate") in rows
    assert ("acceptance_share", "", "Acceptance share") in rows


def test_the_json_is_the_figures_object(stocked: Path) -> None:
    """--format json: the figures dataclass as one object, moments and weeks as ISO-8601 text."""
    result = run("stats", "--guild", str(GUILD), "--format", "json", "--days", "90", db=stocked)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    figures = asyncio.run(_figures(stocked, 90))
    expected = json.loads(json.dumps(dataclasses.asdict(figures), default=lambda v: v.isoformat()))
    assert _without_period(data) == _without_period(expected)
    assert data["searches"] == 3 and data["zero_result_share"] == pytest.approx(1 / 3)
    assert data["acceptance_share"] is None and data["answer_hours_median"] == 1.5 and data["days"] == 90
    assert data["weeks"][-1]["start"] <= data["end"][:10]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--guild", "8"), "Server 8 is unknown"),
        (("--guild", "abc"), "not a Discord id"),
        (("--guild", str(GUILD), "--days", "14"), "choose one of 7, 30, 90, 365"),
        (("--guild", str(GUILD), "--days", "x"), "not a number of days"),
        (("--guild", str(GUILD), "--format", "xml"), "invalid choice"),
        (("--guild", str(GUILD), "--lang", "de"), "invalid choice"),
        ((), "--guild"),
    ],
)
def test_bad_input_is_one_message_and_exit_2(stocked: Path, args: tuple[str, ...], says: str) -> None:
    """Operator mistakes, and a server the database knows nothing of: one message, exit 2, no output."""
    result = run("stats", *args, db=stocked)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_database_is_refused_not_created(tmp_path: Path) -> None:
    """Statistics only read: without a database it says so (exit 2) and creates none."""
    db = tmp_path / "none.sqlite3"
    result = run("stats", "--guild", str(GUILD), db=db)
    assert result.returncode == 2 and result.stderr.strip() and "Traceback" not in result.stderr
    assert not db.exists()
