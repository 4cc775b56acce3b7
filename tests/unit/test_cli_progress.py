"""Progress of long CLI work: import, db check, db reindex, every member's digest.

Output that is not a terminal gets plain lines on standard error (a line at the start, every few seconds, at
the end); standard output keeps only the command's own result. Subprocesses see a pipe, as a log or CI would;
the in-process test moves a fake time source instead of waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from itertools import count
from pathlib import Path

import pytest

import bot.progress
from bot.cli import build_parser
from bot.cli_content import cmd_import
from bot.config import Settings
from bot.wiring import open_services

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
GUILD = 7


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEFAULT_LOCALE"))}
    env = {**clean, "DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db), "SEARCH_WORKERS": "0"}
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


def corpus(path: Path, n: int) -> Path:
    """A knowledge import file of ``n`` small documents."""
    docs = [
        {
            "id": f"doc-{i}",
            "kind": "faq",
            "lang": "nl",
            "theme": "skills",
            "title": f"Vraag {i} over digitaliseren van collectie {i % 17}",
            "body": f"Antwoord {i}: scan op 600 dpi, bewaar TIFF-masters en noteer de metadata van object {i}.",
            "tags": ["digitalisering"],
        }
        for i in range(n)
    ]
    path.write_text(json.dumps(docs), encoding="utf-8")
    return path


def test_import_prints_plain_progress_on_stderr_and_only_the_result_on_stdout(tmp_path: Path) -> None:
    """Through a pipe: no carriage returns, a start and a done line on stderr; stdout is the summary alone."""
    db = tmp_path / "db.sqlite3"
    result = run("import", str(corpus(tmp_path / "docs.json", 300)), db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Indexed 300 knowledge documents (shared with every server).\n"
    lines = result.stderr.splitlines()
    assert lines[0] == "Indexing documents: 300 to do"
    assert lines[-1].startswith("Indexing documents: done, 300 in ")
    assert "\r" not in result.stderr


def test_import_writes_a_line_every_few_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow import (time moves 5 s per reading) gets periodic lines with rate and time left, then done."""
    ticks = count()
    monkeypatch.setattr(bot.progress, "monotonic", lambda: 5.0 * next(ticks))
    settings = Settings.for_tests(database_path=tmp_path / "db.sqlite3")
    args = build_parser().parse_args(["import", str(corpus(tmp_path / "docs.json", 1200))])
    assert cmd_import(settings, args) == 0
    out, err = capsys.readouterr()
    assert out == "Indexed 1200 knowledge documents (shared with every server).\n"
    lines = err.splitlines()
    periodic = [line for line in lines if line.startswith("Indexing documents: ") and "/s" in line]
    assert lines[0] == "Indexing documents: 1,200 to do"
    assert any(line.startswith("Indexing documents: 500/1,200 (41%), ") and "left" in line for line in periodic)
    assert any(line.startswith("Indexing documents: 1,000/1,200 (83%), ") for line in periodic)
    assert lines[-1].startswith("Indexing documents: done, 1,200 in ")


def test_db_check_and_reindex_report_their_phases(tmp_path: Path) -> None:
    """db check reports each phase on stderr (its report stays on stdout); db reindex re-analyses stale documents."""
    db = tmp_path / "db.sqlite3"
    assert run("import", str(corpus(tmp_path / "docs.json", 40)), db=db).returncode == 0
    checked = run("db", "check", db=db)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("integrity_check: ok\n")
    phases = [line.split(":")[0] for line in checked.stderr.splitlines() if ": done," in line]
    assert phases == ["Reading indexed sources", "Comparing the search index", "Checking the database"]

    with sqlite3.connect(db) as conn:  # documents analysed by an older version of the analyser
        conn.execute("UPDATE knowledge_documents SET analyzer = 'an older lexicon' WHERE source_key < 'doc-2'")
        stale = conn.execute("SELECT count(*) FROM knowledge_documents WHERE analyzer = 'an older lexicon'")
        waiting = stale.fetchone()[0]
    assert waiting > 1
    reindexed = run("db", "reindex", db=db)
    assert reindexed.returncode == 0, reindexed.stderr
    assert reindexed.stdout == f"Re-indexed {waiting} of 40 stored documents; the others were already current.\n"
    assert reindexed.stderr.splitlines()[0] == f"Re-indexing stored documents: {waiting} to do"
    assert reindexed.stderr.splitlines()[-1].startswith(f"Re-indexing stored documents: done, {waiting} in ")
    again = run("db", "reindex", db=db)
    assert again.stdout.startswith("Re-indexed 0 of 40")


async def _subscribe(db: Path, members: range) -> None:
    async with open_services(Settings.for_tests(database_path=db)) as services:
        for member in members:
            locale = "en" if member % 2 else "nl"
            await services.digest.subscribe(GUILD, member, themes=(), frequency="weekly", locale=locale)


def test_every_members_digest_one_file_each_with_progress(tmp_path: Path) -> None:
    """--all-members --output-dir: a file per subscriber in their language, paths on stdout, progress on stderr."""
    db = tmp_path / "db.sqlite3"
    starter = ROOT / "bot" / "data" / "resources.toml"
    assert run("import", str(starter), "--guild", str(GUILD), db=db).returncode == 0
    members = range(1001, 1026)
    asyncio.run(_subscribe(db, members))
    out_dir = tmp_path / "digests"
    out_dir.mkdir()
    result = run(
        "digest",
        "render",
        "--guild",
        str(GUILD),
        "--format",
        "md",
        "--all-members",
        "--output-dir",
        str(out_dir),
        db=db,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(out_dir / f"{m}.md") for m in members]
    assert (out_dir / "1002.md").read_text(encoding="utf-8").startswith("# Jouw overzicht van onze community\n")
    assert (out_dir / "1001.md").read_text(encoding="utf-8").startswith("# Your ")
    lines = result.stderr.splitlines()
    assert lines[0] == "Rendering personal digests: 25 to do"
    assert lines[-2].startswith("Rendering personal digests: done, 25 in ")
    assert lines[-1].startswith(f"Wrote 25 personal digests of server {GUILD} for ")


@pytest.mark.parametrize(
    "extra",
    [
        ("--all-members",),
        ("--output-dir", "DIR"),
        ("--all-members", "--output-dir", "DIR", "--output", "x.md"),
        ("--all-members", "--output-dir", "missing"),
    ],
)
def test_all_members_misuse_is_one_line_and_exit_2(tmp_path: Path, extra: tuple[str, ...]) -> None:
    """--all-members needs an existing --output-dir, and neither --output nor --member."""
    (tmp_path / "DIR").mkdir()
    db = tmp_path / "db.sqlite3"
    assert run("db", "migrate", db=db).returncode == 0
    args = [str(tmp_path / a) if a in ("DIR", "missing") else a for a in extra]
    result = run("digest", "render", "--guild", str(GUILD), "--format", "md", *args, db=db)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_member_and_all_members_exclude_each_other() -> None:
    """argparse refuses both at once (exit 2 with its usage message)."""
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(
            ["digest", "render", "--guild", "7", "--format", "md", "--member", "5", "--all-members"]
        )
    assert exit_.value.code == 2
    assert isinstance(build_parser().parse_args(["db", "reindex"]), argparse.Namespace)
