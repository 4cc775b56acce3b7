"""``steunpunt digest render``, run as a real subprocess on a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_newsletter import parse

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
GUILD = "7"


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


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose server 7 got the 58 starter resources just now (this week's new resources)."""
    db = tmp_path_factory.mktemp("digest") / "db.sqlite3"
    imported = run("import", str(ROOT / "bot" / "data" / "resources.toml"), "--guild", GUILD, db=db)
    assert imported.returncode == 0, imported.stderr
    return db


def test_markdown_to_standard_output(stocked: Path) -> None:
    """The server's digest as Markdown, in the server's language, with a neutral name unless --name is given."""
    result = run("digest", "render", "--guild", GUILD, "--format", "md", db=stocked)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# Weekoverzicht van onze community"
    assert "## Nieuwe bronnen" in lines
    assert any(line.startswith("- [") and "](<https://" in line for line in lines)  # a resource, linked
    named = run("digest", "render", "--guild", GUILD, "--format", "md", "--name", "Erfgoed *Noord*", db=stocked)
    assert named.stdout.startswith("# Weekoverzicht van Erfgoed \\*Noord\\*\n")


def test_html_to_a_file_and_a_personal_digest(stocked: Path) -> None:
    """--output writes one complete, well-formed document; --member renders that member's personal digest."""
    out = stocked.parent / "digest.html"
    result = run(
        "digest", "render", "--guild", GUILD, "--format", "html", "--output", str(out), "--name", "<b>X</b>", db=stocked
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and f"to {out}" in result.stderr
    text = out.read_text(encoding="utf-8")
    document = parse(text)
    assert document.errors == [] and document.tags[0] == ("html", {"lang": "nl", "dir": "ltr"})
    assert "<script" not in text and "&lt;b&gt;X&lt;/b&gt;" in text
    assert "Nieuwe bronnen" in document.text
    personal = run("digest", "render", "--guild", GUILD, "--member", "42", "--format", "md", db=stocked)
    assert personal.returncode == 0, personal.stderr
    assert personal.stdout.startswith("# Jouw overzicht van onze community\n")


def test_an_empty_digest_writes_nothing(tmp_path: Path) -> None:
    """A week with nothing new: one line on standard error, nothing on standard output, no file, exit 0."""
    db = tmp_path / "db.sqlite3"
    assert run("db", "migrate", db=db).returncode == 0
    out = tmp_path / "digest.md"
    for extra in ((), ("--output", str(out))):
        result = run("digest", "render", "--guild", GUILD, "--format", "md", *extra, db=db)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("Nothing to render: the digest of server 7 for ") and "empty" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--guild", "0", "--format", "md"), "not a Discord id"),
        (("--guild", "abc", "--format", "md"), "not a Discord id"),
        (("--guild", GUILD, "--member", "-1", "--format", "md"), "not a Discord id"),
        (("--guild", GUILD, "--format", "pdf"), "invalid choice"),
        (("--guild", GUILD), "--format"),
        (("--guild", GUILD, "--format", "md", "--output", "."), "is a directory"),
        (("--guild", GUILD, "--format", "md", "--output", "missing/x.md"), "does not exist"),
    ],
)
def test_bad_input_is_one_message_and_exit_2(stocked: Path, args: tuple[str, ...], says: str) -> None:
    """Operator mistakes end with one message naming the problem and exit status 2, never a traceback."""
    result = run("digest", "render", *args, db=stocked)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_database_is_refused_not_created(tmp_path: Path) -> None:
    """Rendering only reads: without a database it says so (exit 2) and creates none."""
    db = tmp_path / "none.sqlite3"
    result = run("digest", "render", "--guild", GUILD, "--format", "html", db=db)
    assert result.returncode == 2 and result.stderr.strip() and "Traceback" not in result.stderr
    assert not db.exists()


def test_help() -> None:
    """--help documents every option, without settings."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "digest", "render", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for option in ("--guild", "--member", "--format", "--output", "--name"):
        assert option in result.stdout
