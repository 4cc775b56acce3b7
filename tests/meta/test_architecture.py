"""Architecture fitness: the layering rules of design.md, enforced."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

from bot.app import EXTENSIONS
from bot.config import ENV_KEYS, Settings

ROOT = Path(__file__).resolve().parents[2]
DISCORD_FREE = [ROOT / "bot" / "domain", ROOT / "bot" / "db", ROOT / "bot" / "i18n"]
DISCORD_FREE_FILES = [ROOT / "bot" / name for name in ("clock.py", "errors.py", "config.py", "services.py")]
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|VIEW|TRIGGER)\s"
    r"|DROP\s|ALTER\s+TABLE\s|PRAGMA\s|WITH\s+\w+\s+AS\s)",
    re.DOTALL,
)
"""SQL as the house style writes it (upper-case keywords); case-sensitive, so prose ("Drop the job…") is no SQL."""


def _python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in (root.rglob("*.py") if root.is_dir() else [root]))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_discord_below_the_cogs() -> None:
    """Nothing under bot/domain, bot/db or bot/i18n (nor the core modules) imports discord."""
    offenders = [
        str(p.relative_to(ROOT)) for p in _python_files(*DISCORD_FREE, *DISCORD_FREE_FILES) if "discord" in _imports(p)
    ]
    assert offenders == []


def test_no_sql_outside_bot_db() -> None:
    """No string literal outside bot/db (cogs, services, the composition root, the CLI) is SQL."""
    offenders: list[str] = []
    outside = [p for p in _python_files(ROOT / "cogs", ROOT / "bot") if ROOT / "bot" / "db" not in p.parents]
    for path in outside:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_repositories_never_open_a_transaction() -> None:
    """A repository writes through the transaction its service opened (one use case, one transaction)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _python_files(ROOT / "bot" / "db" / "repos")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ".transaction()" in line
    ]
    assert offenders == []


def test_cogs_do_not_import_the_database() -> None:
    """Cogs reach storage only through services."""
    offenders = []
    for path in _python_files(ROOT / "cogs"):
        source = path.read_text(encoding="utf-8")
        if "bot.db" in source or "aiosqlite" in source or "sqlite3" in source:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_extensions_list_every_cog() -> None:
    """EXTENSIONS names every module (or package) in cogs/, and nothing else."""
    cogs = ROOT / "cogs"
    found = {f"cogs.{p.stem}" for p in cogs.glob("*.py") if p.stem != "__init__"}
    found |= {f"cogs.{p.name}" for p in cogs.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert set(EXTENSIONS) == found
    assert len(EXTENSIONS) == len(set(EXTENSIONS))


def test_env_example_matches_settings() -> None:
    """Every Settings field has an environment key, and .env.example lists every key with a comment."""
    assert set(ENV_KEYS.values()) == {f.name for f in fields(Settings)}
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    keys = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    assert sorted(keys) == sorted(ENV_KEYS)
    for key in ENV_KEYS:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}="))
        assert lines[index - 1].startswith("#"), f"{key} has no comment above it"


def test_no_print_or_fstring_logging_in_bot() -> None:
    """Library code logs lazily and never prints."""
    offenders = []
    for path in _python_files(ROOT / "bot", ROOT / "cogs"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} print")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"debug", "info", "warning", "error", "exception", "critical"}
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "log"
                and node.args
                and isinstance(node.args[0], ast.JoinedStr)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} f-string log")
    assert offenders == []
