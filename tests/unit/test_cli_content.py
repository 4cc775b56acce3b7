"""The content commands of the CLI, as real subprocesses: import, search, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "search-eval" / "corpus.json"
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=db.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _corpus(tmp_path: Path) -> Path:
    docs = [
        {
            "id": "k1",
            "kind": "faq",
            "lang": "nl",
            "theme": "revenue-and-rights",
            "title": "Wat is auteursrecht op foto's?",
            "body": "Een fotograaf heeft auteursrecht op zijn foto's.",
            "tags": ["auteursrecht"],
            "url": None,
        },
        {
            "id": "k2",
            "kind": "resource",
            "lang": "en",
            "theme": "skills",
            "title": "Guide to digitising photographs",
            "body": "Scanning resolution and TIFF masters.",
            "tags": ["digitisation"],
            "url": "https://example.org/scan",
        },
    ]
    path = CORPUS if CORPUS.is_file() else tmp_path / "corpus.json"
    if path != CORPUS:
        path.write_text(json.dumps(docs))
    return path


def test_import_is_idempotent_and_search_finds(tmp_path: Path) -> None:
    """Importing twice keeps one copy of each document; search prints ranked ids, also as JSON."""
    db = tmp_path / "db.sqlite3"
    corpus = _corpus(tmp_path)
    assert run("import", str(corpus), db=db).returncode == 0
    second = run("import", str(corpus), db=db)
    assert second.returncode == 0, second.stderr
    count = len(json.loads(corpus.read_text()))
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM knowledge_documents").fetchone()[0] == count
    found = run("search", "auteursrecht foto", "--limit", "3", "--json", db=db)
    rows = json.loads(found.stdout)
    assert 1 <= len(rows) <= 3
    assert rows[0]["rank"] == 1 and rows[0]["title"]
    plain = run("search", "auteursrecht foto", db=db)
    assert plain.stdout.startswith(" 1. ")


def test_resources_need_a_server_and_round_trip(tmp_path: Path) -> None:
    """Starter resources import into one server; export → import into an empty database keeps every row."""
    db = tmp_path / "db.sqlite3"
    starter = ROOT / "bot" / "data" / "resources.toml"
    refused = run("import", str(starter), db=db)
    assert refused.returncode == 2 and "--guild" in refused.stderr
    assert run("import", str(starter), "--guild", "7", db=db).returncode == 0
    out = tmp_path / "export.json"
    assert run("export", "resources", "--guild", "7", "--format", "json", "--output", str(out), db=db).returncode == 0
    fresh = tmp_path / "fresh" / "db.sqlite3"
    fresh.parent.mkdir()
    assert run("import", str(out), "--guild", "7", db=fresh).returncode == 0
    again = tmp_path / "again.json"
    run("export", "resources", "--guild", "7", "--output", str(again), db=fresh)
    assert json.loads(out.read_text())["resources"] == json.loads(again.read_text())["resources"]


def test_bad_file_is_refused_clearly(tmp_path: Path) -> None:
    """A file that is neither documents nor resources exits 2 with a message, no traceback."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}')
    result = run("import", str(bad), db=tmp_path / "db.sqlite3")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()
