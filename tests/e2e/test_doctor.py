"""`steunpunt doctor` as a real subprocess against the fake Discord (REST only: no gateway session is opened).

A channel where the bot may not post, a server the bot left, a refused token and an unusable database path
each give one clear line (with what to fix) and the documented exit status; a sound set-up exits 0.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from bot.config import Settings
from bot.wiring import open_services
from tests.fakediscord import FakeDiscord
from tests.fakediscord.constants import SEND_MESSAGES
from tests.fakediscord.state import Overwrite

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
GONE_GUILD = 424242


def _env(db: Path, api_base: str, gateway_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_GUILD_ID"))}
    return {
        **env,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_PATH": str(db),
        "DISCORD_API_BASE_URL": api_base,
        "DISCORD_GATEWAY_URL": gateway_url,
        "LOG_LEVEL": "WARNING",
    }


async def _doctor(env: dict[str, str], cwd: Path, within: float = 30) -> tuple[int, str, str]:
    """Run `steunpunt doctor` to the end (a hang fails the test); exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
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


async def _configure(db: Path, fake: FakeDiscord, *extra_guilds: int) -> None:
    """A current database where the fake's server set its digest and moderator channels."""
    async with open_services(Settings.for_tests(database_path=db)) as services:
        await services.guild_settings.update(
            fake.guild.id,
            digest_channel_id=fake.world.general.id,
            moderator_channel_id=fake.world.moderators.id,
        )
        for guild_id in extra_guilds:
            await services.guild_settings.update(guild_id, timezone="UTC")


def _problems(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("PROBLEM")]


async def test_all_fine_exits_0(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """Settings, database, token and both configured channels in order: every line ok, exit 0."""
    fake = fake_discord
    db = tmp_path / "db.sqlite3"
    await _configure(db, fake)
    code, out, err = await _doctor(_env(db, fake.api_base, fake.gateway_url), tmp_path)
    assert code == 0, out + err
    assert _problems(out) == []
    assert "ok       database: " in out and "(current)" in out
    assert "ok       database integrity: quick_check ok" in out
    assert "ok       discord: logged in as " in out
    assert f"ok       server Steunpunt Testserver ({fake.guild.id}): the bot has what it needs in all 2" in out
    assert out.rstrip().endswith("Everything looks fine.")
    assert "Traceback" not in err and TOKEN not in out + err
    assert not fake.gateway.sessions, "doctor must not open a gateway session"


async def test_a_channel_denying_send_messages_is_named_with_the_fix(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """The digest channel denies the bot's role Send Messages: one problem naming server, channel and permission."""
    fake = fake_discord
    db = tmp_path / "db.sqlite3"
    await _configure(db, fake)
    bot_role = next(r for r in fake.guild.roles.values() if r.managed)
    fake.world.general.overwrites.append(Overwrite(bot_role.id, 0, deny=SEND_MESSAGES))
    code, out, err = await _doctor(_env(db, fake.api_base, fake.gateway_url), tmp_path)
    assert code == 1, out + err
    problems = _problems(out)
    # without Send Messages Discord takes away Embed Links and Attach Files too (discord.py computes it alike)
    wanted = "Send Messages, Embed Links and Attach Files"
    assert problems == [
        f"PROBLEM  server Steunpunt Testserver ({fake.guild.id}), digest channel #general: give the bot {wanted}"
    ], out
    fix = out.splitlines()[out.splitlines().index(problems[0]) + 1]
    assert fix.strip().startswith("fix: Edit Channel → Permissions") and f"allow {wanted}" in fix
    assert out.rstrip().endswith("1 problem to fix.")
    assert "Traceback" not in err


async def test_a_server_the_bot_left_and_a_missing_channel(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """A stored server Discord does not know, and a configured channel that was deleted: a line each."""
    fake = fake_discord
    db = tmp_path / "db.sqlite3"
    await _configure(db, fake, GONE_GUILD)
    general = fake.world.general
    fake.guild.channel_ids.remove(general.id)
    code, out, err = await _doctor(_env(db, fake.api_base, fake.gateway_url), tmp_path)
    assert code == 1, out + err
    problems = _problems(out)
    assert len(problems) == 2, out
    gone, missing = sorted(problems, key=lambda line: str(GONE_GUILD) not in line)
    assert gone == f"PROBLEM  server {GONE_GUILD}: the bot is not in this server (Discord answered 404 Unknown Guild)"
    assert f"digest channel: channel {general.id} no longer exists, or the bot cannot see it" in missing
    assert "URL from `steunpunt check`" in out
    assert "Traceback" not in err


async def test_a_refused_token_is_one_clear_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """Discord answers 401 to the login: the report says so and what to change; exit 1, no traceback."""
    fake = fake_discord
    db = tmp_path / "db.sqlite3"
    await _configure(db, fake)
    fake.fail_next("GET", r"^/users/@me$", status=401)
    code, out, err = await _doctor(_env(db, fake.api_base, fake.gateway_url), tmp_path)
    assert code == 1, out + err
    assert _problems(out) == ["PROBLEM  discord: Discord refused the token"], out
    assert "fix: check DISCORD_TOKEN in .env" in out
    assert "Traceback" not in err and TOKEN not in out + err


async def test_discord_unreachable_is_one_line(tmp_path: Path, unused_tcp_port: int) -> None:
    """Nothing listens at the API URL: one problem naming the URL, exit 1, within the probe's timeout."""
    db = tmp_path / "db.sqlite3"
    async with open_services(Settings.for_tests(database_path=db)):
        pass
    api = f"http://127.0.0.1:{unused_tcp_port}/api/v10"
    code, out, err = await _doctor(_env(db, api, f"ws://127.0.0.1:{unused_tcp_port}/gateway"), tmp_path)
    assert code == 1, out + err
    problems = _problems(out)
    assert len(problems) == 1 and problems[0].startswith(f"PROBLEM  discord: Cannot reach Discord at {api}: "), out
    assert "fix: check the network" in out
    assert "Traceback" not in err


async def test_pending_migrations_and_a_wrong_database_path(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """An old schema says to migrate (exit 1, servers skipped); no database at DATABASE_PATH is exit 2, one line."""
    fake = fake_discord
    db = tmp_path / "db.sqlite3"
    await _configure(db, fake)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 1")
    code, out, err = await _doctor(_env(db, fake.api_base, fake.gateway_url), tmp_path)
    assert code == 1, out + err
    assert "run `steunpunt db migrate`" in out
    assert "skipped  servers: not checked until the database is current" in out

    code, out, err = await _doctor(_env(tmp_path / "nowhere" / "db.sqlite3", fake.api_base, fake.gateway_url), tmp_path)
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "There is no database at" in lines[0] and "steunpunt db migrate" in lines[0]


async def test_a_rate_limit_longer_than_doctor_waits_is_a_finding_not_a_traceback(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """Discord asks to wait longer than doctor will (discord.py raises RateLimited): one line for that server."""
    fake = fake_discord
    db = tmp_path / "db.sqlite3"
    await _configure(db, fake)
    fake.rate_limit("GET", rf"^/guilds/{fake.guild.id}$", retry_after=3600)
    code, out, err = await _doctor(_env(db, fake.api_base, fake.gateway_url), tmp_path)
    assert code == 1, out + err
    [line] = _problems(out)
    assert f"server {fake.guild.id}: could not fetch it from Discord (RateLimited" in line
    assert "Traceback" not in err
