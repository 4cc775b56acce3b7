"""Importing resources: the whole file is validated first, every problem named; a bad file changes nothing.

Regression tests for issue 10, defect 4 (the first record used to be stored before an OverflowError
traceback on the second; non-text fields gave tracebacks).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.domain.resource_import import parse_records
from bot.errors import Invalid
from bot.i18n import I18n
from bot.interaction_errors import error_text

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"


def good(n: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "title": f"Gids {n}",
        "url": f"https://example.org/gids-{n}",
        "summary": "Over beeldbanken.",
        "theme": "skills",
        "type": "guide",
        "language": "nl",
    }
    record.update(changes)
    return record


def problems(records: list[Any]) -> list[str]:
    with pytest.raises(Invalid) as caught:
        parse_records(records)
    i18n = I18n.load("en")
    return error_text(i18n, caught.value, "en").splitlines()


def test_every_problem_is_named_with_record_and_field() -> None:
    """Three bad records give three lines, each with its record number and field; nothing is returned."""
    lines = problems(
        [
            good(1),
            good(2, suggested_by="999999999999999999999999"),
            good(3, tags=5, licence=5),
            good(4, seed_key={"a": 1}),
            "abc",
            good(6, url="not a web address"),
        ]
    )
    assert lines[0].startswith("Nothing was imported: the file has 6 problem(s).")
    text = "\n".join(lines)
    for needle in (
        "record 2, field suggested_by: must be a whole number",
        "record 3, field tags: must be a list of words",
        "record 3, field licence: must be text",
        "record 4, field seed_key: must be text",
        "record 5, field -: not a record",
        "record 6:",
    ):
        assert needle in text


def test_valid_records_keep_their_exported_fields() -> None:
    """Flags, numbers and dates as a CSV writes them are read back."""
    (parsed,) = parse_records(
        [good(1, featured="true", helpful="3", suggested_by="412345678901234567", created_at="2026-01-02T03:04:05Z")]
    )
    assert parsed.featured and parsed.suggested_by == 412345678901234567
    assert parsed.restored["helpful"] == 3 and parsed.restored["created_at"] == "2026-01-02T03:04:05+00:00"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEFAULT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "overflow.json",
            json.dumps({"steunpunt_resources": 1, "resources": [good(1), good(2, suggested_by="9" * 24)]}),
        ),
        ("seed.json", json.dumps({"steunpunt_resources": 1, "resources": [good(1), good(2, seed_key={"x": 1})]})),
        ("tags.json", json.dumps({"steunpunt_resources": 1, "resources": [good(1), good(2, tags=5)]})),
        ("licence.json", json.dumps({"steunpunt_resources": 1, "resources": [good(1), good(2, licence=5)]})),
        ("broken.toml", '[[resource]]\ntitle = "x"\nurl = '),
        ("latin1.toml", b'[[resource]]\ntitle = "caf\xe9"\n'),
        ("scalar.toml", 'resource = "abc"\n'),
    ],
)
def test_a_bad_file_changes_nothing_and_exits_2(name: str, content: str | bytes, tmp_path: Path) -> None:
    """Each reported bad file: exit 2, a message without traceback, and not even its good first record stored."""
    db = tmp_path / "db.sqlite3"
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH={db}\n")
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = run_cli("import", str(path), "--guild", "5", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr and result.stderr.strip()
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM resources").fetchone()[0] == 0
