"""A real, non-editable install runs outside the source tree (issue 9: "`pip install .` in a fresh venv, then
`steunpunt run` against the fake Discord from another directory, answers /help").

The wheel is built from a copy of the project (so the shared tree gets no `build/`), installed with
``pip install --no-deps --target``; its dependencies come from the test's own environment, so nothing is
downloaded. The bot then runs from another directory, with no ``.env`` and no ``DATABASE_PATH``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
SOURCES = ("pyproject.toml", "README.md", "bot", "cogs")


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel and install it into a private directory; return that directory (the "site")."""
    if int(version("setuptools").split(".")[0]) < 77:
        pytest.fail("the wheel is built offline with the dev extra's setuptools>=77: run pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    dist = base / "dist"
    _pip("wheel", str(source), "--no-deps", "--no-index", "--no-build-isolation", "-w", str(dist))
    (wheel,) = dist.glob("steunpunt-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    for data in ("bot/data/glossary.toml", "bot/data/resources.toml", "bot/db/migrations/0001_core.sql"):
        assert data in names, f"{data} is not in the wheel"
    assert any(n.startswith("bot/i18n/locales/en/") for n in names)
    assert "License-Expression: MIT" in metadata  # the SPDX form, not the deprecated table
    site = base / "site"
    _pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    return site


def _environment(site: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_", "PYTHON"))}
    return {**keep, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def test_the_installed_package_is_the_one_imported(installed: Path, tmp_path: Path) -> None:
    """From another directory, `import bot` finds the installed copy, with its data inside it."""
    probe = (
        "import bot, importlib.resources as r; "
        "print(bot.__file__); print((r.files('bot') / 'data' / 'resources.toml').is_file())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=_environment(installed),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    where, has_data = result.stdout.split()
    assert Path(where).is_relative_to(installed), where
    assert has_data == "True"


async def _read_until(stream: asyncio.StreamReader, needle: str, seen: list[str], within: float = 30) -> None:
    async def scan() -> None:
        while True:
            line = (await stream.readline()).decode(errors="replace")
            if not line:
                raise AssertionError("the bot exited early:\n" + "".join(seen))
            seen.append(line)
            if needle in line:
                return

    await asyncio.wait_for(scan(), within)


async def test_installed_bot_runs_elsewhere_and_answers_help(
    installed: Path, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """`python -m bot run` from the install, in a directory without .env: default database there, /help answers."""
    fake = fake_discord
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _environment(
        installed,
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        LOG_LEVEL="INFO",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=elsewhere, env=env, stderr=asyncio.subprocess.PIPE
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        await _read_until(process.stderr, "Connected as", seen)
        started = next(line for line in seen if "Steunpunt" in line and " from " in line)
        assert str(installed / "bot") in started, started  # the installed copy runs, not the source tree
        assert str(ROOT) not in "".join(seen)
        answer = await fake.slash("help", user=fake.bob)
        assert answer.message.embeds[0]["title"] == "Steunpunt — what I can do"
        process.send_signal(signal.SIGTERM)
        drain = asyncio.ensure_future(process.stderr.read())
        code = await asyncio.wait_for(process.wait(), 15)
        rest = (await drain).decode(errors="replace")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log_text = "".join(seen) + rest
    assert code == 0, log_text
    assert "Traceback" not in log_text, log_text
    database = elsewhere / "data" / "steunpunt.sqlite3"  # the default, next to where it started (no .env)
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


INSTALLED_BIN = os.environ.get("STEUNPUNT_INSTALLED_BIN")
"""The ``steunpunt`` script of a fresh virtual environment made by ``.ci/run`` from the wheel (``pip install``)."""


@pytest.mark.skipif(not INSTALLED_BIN, reason="CI's fresh venv only: .ci/run sets STEUNPUNT_INSTALLED_BIN")
async def test_console_script_of_a_fresh_venv_answers_help(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """`steunpunt run` of the wheel pip-installed into a fresh venv, from another directory, answers /help."""
    assert INSTALLED_BIN is not None
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_", "PYTHON"))}
    env = {
        **keep,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": fake_discord.api_base,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        INSTALLED_BIN, "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        await _read_until(process.stderr, "Connected as", seen)
        assert str(ROOT) not in "".join(seen)
        answer = await fake_discord.slash("help", user=fake_discord.alice)
        assert answer.message.embeds[0]["title"] == "Steunpunt — wat ik kan"
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0
