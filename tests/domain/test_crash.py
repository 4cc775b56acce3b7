"""SIGKILL during a burst of mixed writes loses no confirmed write, and leaves the index equal to its sources."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.services import build_services

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5


async def _kill_after(path: Path, round_no: int, lines: int) -> list[str]:
    """Run the writer, read ``lines`` confirmations, then SIGKILL it mid-burst; return what it confirmed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.domain.burst_writer",
        str(path),
        str(round_no),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    confirmed: list[str] = []
    try:
        while len(confirmed) < lines:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
            assert line, "the writer stopped before it was killed"
            confirmed.append(line.decode().strip())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        rest = await proc.stdout.read()  # a confirmation printed just before the kill counts too
        await proc.wait()
    confirmed += [x for x in rest.decode().splitlines() if x.strip()]
    return confirmed


async def test_sigkill_during_write_bursts_loses_no_confirmed_write(tmp_path: Path, clock: FixedClock) -> None:
    """5 rounds of SIGKILL mid-burst: confirmed writes and their audit entries stay; db check finds no difference."""
    path = tmp_path / "crash.sqlite3"
    rng = random.Random(20261130)
    confirmed: list[str] = []
    for round_no in range(ROUNDS):
        confirmed += await _kill_after(path, round_no, rng.randint(4, 30))
    async with Database.open(path) as db:
        await apply_migrations(db)
        services = build_services(db, clock)
        audit = await db.fetch_all("SELECT action, target_id FROM audit_log")
        actions = {(r["action"], r["target_id"]) for r in audit}
        faq_versions: dict[int, int] = {}
        for line in confirmed:
            kind, key, *rest = line.split()
            if kind == "resource":
                row = await db.fetch_one("SELECT status FROM resources WHERE id = ?", (int(key),))
                assert row is not None and row["status"] == "approved", line
                assert {("resource.suggest", key), ("resource.approve", key)} <= actions, line
            elif kind == "faq":
                faq_versions[int(key)] = max(faq_versions.get(int(key), 0), int(rest[0]))
                assert ("faq.add", key) in actions, line
            else:
                row = await db.fetch_one("SELECT status FROM help_posts WHERE thread_id = ?", (int(key),))
                assert row is not None and row["status"] == "solved", line
                assert ("qa.solve", key) in actions, line
        for entry_id, version in faq_versions.items():
            stored = await db.fetch_value("SELECT version FROM faq_entries WHERE id = ?", (entry_id,))
            assert stored is not None and stored >= version
            edits = sum(1 for action, target in actions if action == "faq.edit" and target == str(entry_id))
            assert edits == (1 if stored == 2 else 0)
        report = await services.maintenance.check()
    assert len(confirmed) >= ROUNDS * 4
    assert report.integrity == [] and report.foreign_keys == [] and report.fts == []
    assert report.differences == [], report.differences
    assert report.clean
