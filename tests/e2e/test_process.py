"""The real process: `steunpunt run` as a subprocess against the fake Discord, then SIGTERM.

Also the start-up failures that involve Discord (issue 10, defect 6): a server the bot is not in, and Discord
unreachable. Each is one line on stderr and exit 2.
"""

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


def _env(db: Path, api_base: str, gateway_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_GUILD_ID"))}
    return {
        **env,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_PATH": str(db),
        "DISCORD_API_BASE_URL": api_base,
        "DISCORD_GATEWAY_URL": gateway_url,
        "LOG_LEVEL": "INFO",
        **extra,
    }


async def _steunpunt(*args: str, env: dict[str, str], cwd: Path, within: float = 20) -> tuple[int, str, str]:
    """Run the CLI to the end (no hang allowed); return exit status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), within)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _problem_lines(stderr: str) -> list[str]:
    """The non-empty lines of stderr (the failure tests log at WARNING, so only problems are there)."""
    return [line for line in stderr.splitlines() if line.strip()]


async def test_run_answers_in_both_languages_and_stops_cleanly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """`steunpunt run` syncs once, answers /help in Dutch and English, and exits 0 on SIGTERM with a sound database."""
    fake = fake_discord
    db = tmp_path / "steunpunt.sqlite3"
    env = _env(db, fake.api_base, fake.gateway_url)
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
    assert "voice will NOT be supported" not in log_text  # the bot has no voice; discord.py's warnings are dropped
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM bot_state WHERE key = 'command_hash:global'").fetchone()[0] == 1


async def test_sync_to_a_server_the_bot_is_not_in(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """`sync --guild` with a server the bot is not in: Discord's 404 10004 becomes one line and exit 2."""
    fake = fake_discord
    env = _env(tmp_path / "db.sqlite3", fake.api_base, fake.gateway_url, LOG_LEVEL="WARNING")
    code, _out, err = await _steunpunt("sync", "--guild", "424242", env=env, cwd=tmp_path)
    assert code == 2, err
    assert "Traceback" not in err
    lines = _problem_lines(err)
    assert len(lines) == 1, err
    assert "424242" in lines[0] and "10004" in lines[0] and "--guild" in lines[0]


async def test_run_with_a_dev_guild_the_bot_is_not_in(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """`run` with DEV_GUILD_ID of a server the bot is not in: one line naming DEV_GUILD_ID, exit 2, no hang."""
    fake = fake_discord
    env = _env(tmp_path / "db.sqlite3", fake.api_base, fake.gateway_url, DEV_GUILD_ID="424242", LOG_LEVEL="WARNING")
    code, _out, err = await _steunpunt("run", env=env, cwd=tmp_path)
    assert code == 2, err
    assert "Traceback" not in err
    lines = _problem_lines(err)
    assert len(lines) == 1, err
    assert "424242" in lines[0] and "DEV_GUILD_ID" in lines[0]


async def test_discord_unreachable_is_one_line_naming_the_url(tmp_path: Path, unused_tcp_port: int) -> None:
    """Nothing listens at the API URL: `sync` and `run` say which URL they tried, in one line, and exit 2."""
    api = f"http://127.0.0.1:{unused_tcp_port}/api/v10"
    env = _env(tmp_path / "db.sqlite3", api, f"ws://127.0.0.1:{unused_tcp_port}/gateway", LOG_LEVEL="WARNING")
    for args in (("sync",), ("run", "--connect-attempts", "1")):
        code, _out, err = await _steunpunt(*args, env=env, cwd=tmp_path)
        assert code == 2, err
        assert "Traceback" not in err
        lines = _problem_lines(err)
        assert len(lines) == 1, err
        assert lines[0].startswith(f"Cannot reach Discord at {api}: "), lines[0]


async def test_run_retries_an_unreachable_discord_and_stops_on_sigterm(tmp_path: Path, unused_tcp_port: int) -> None:
    """`run` waits for Discord with backoff, logging each retry; SIGTERM during the wait exits 0 at once."""
    api = f"http://127.0.0.1:{unused_tcp_port}/api/v10"
    env = _env(tmp_path / "db.sqlite3", api, f"ws://127.0.0.1:{unused_tcp_port}/gateway")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        await _wait_for_line(process.stderr, "retrying in", seen)
        assert api in seen[-1] and "attempt 2 of 5" in seen[-1]
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
        rest = (await process.stderr.read()).decode(errors="replace")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, "".join(seen) + rest
    assert "Traceback" not in rest


async def test_sync_while_the_bot_holds_the_metrics_port_says_nothing_about_metrics(
    fake_discord: FakeDiscord, tmp_path: Path, unused_tcp_port: int
) -> None:
    """`sync` is a one-off command: with METRICS_PORT set and the port held (as by the running bot), it syncs and
    neither serves metrics nor logs that it could not."""
    fake = fake_discord
    held = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", unused_tcp_port)
    try:
        env = _env(
            tmp_path / "db.sqlite3",
            fake.api_base,
            fake.gateway_url,
            LOG_LEVEL="WARNING",
            METRICS_PORT=str(unused_tcp_port),
        )
        code, _out, err = await _steunpunt("sync", "--guild", str(fake.guild.id), env=env, cwd=tmp_path)
    finally:
        held.close()
        await held.wait_closed()
    assert code == 0, err
    assert "Metrics" not in err and "Traceback" not in err
