"""The real process: `steunpunt run` as a subprocess against the fake Discord, then SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from tests.fakediscord import FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
ROOT = Path(__file__).resolve().parents[2]


async def _wait_for_line(stream: asyncio.StreamReader, needle: str, seen: list[str], within: float = 20) -> None:
    async def scan() -> None:
        while True:
            line = (await stream.readline()).decode(errors="replace")
            if not line:
                raise AssertionError("the bot exited early:\n" + "".join(seen))
            seen.append(line)
            if needle in line:
                return

    await asyncio.wait_for(scan(), within)


async def test_run_answers_in_both_languages_and_stops_cleanly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """`steunpunt run` syncs once, answers /help in Dutch and English, and exits 0 on SIGTERM with a sound database."""
    fake = fake_discord
    db = tmp_path / "steunpunt.sqlite3"
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_PATH": str(db),
        "DISCORD_API_BASE_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        await _wait_for_line(process.stderr, "Connected as", seen)
        assert any("Synced" in line for line in seen), "the first start registers the commands"
        dutch = await fake.slash("help", user=fake.alice)
        english = await fake.slash("help", user=fake.bob)
        assert dutch.message.embeds[0]["title"] == "Steunpunt — wat ik kan"
        assert english.message.embeds[0]["title"] == "Steunpunt — what I can do"
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
    assert TOKEN not in log_text
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM bot_state WHERE key = 'command_hash:global'").fetchone()[0] == 1
