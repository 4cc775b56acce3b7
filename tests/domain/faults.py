"""Fault injection for "one use case, one transaction": raise after every statement, check nothing stayed.

Used by every ``test_*_atomicity.py``: the database's step hook raises after the n-th statement of a
transaction, for n = 1, 2, ... until the use case completes within n statements. After each fault the whole
database (every table, the full-text index's own tables included) must be byte-for-byte what it was before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.db.database import Database

MAX_STEPS = 200


class InjectedFault(Exception):
    """Raised by the step hook in place of a crash."""


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (ordinary and FTS5 shadow tables), in a stable order."""
    names = [
        r["name"]
        for r in await db.fetch_all("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        if not str(r["name"]).startswith("sqlite_") and r["name"] != "knowledge_fts"
    ]
    found: dict[str, list[tuple[Any, ...]]] = {}
    for name in names:
        rows = await db.fetch_all(f'SELECT * FROM "{name}"')
        found[name] = sorted((tuple(r) for r in rows), key=repr)
    return found


async def fault_after_every_step(db: Database, name: str, act: Callable[[], Awaitable[Any]]) -> int:
    """Run ``act`` with a fault after statement 1, 2, ...; each time nothing may change. Then run it whole.

    Returns how many statements the use case took (at least one).
    """
    before = await snapshot(db)
    steps = 0
    for n in range(1, MAX_STEPS):
        seen = 0

        def hook(_sql: str, n: int = n) -> None:
            nonlocal seen
            seen += 1
            if seen == n:
                raise InjectedFault(n)

        db.step_hook = hook
        try:
            await act()
        except InjectedFault:
            db.step_hook = None
            assert await snapshot(db) == before, f"{name}: a fault after step {n} left a change behind"
            steps = n
            continue
        finally:
            db.step_hook = None
        break
    else:  # pragma: no cover - a use case with this many statements would itself be a finding
        pytest.fail(f"{name} did not finish within {MAX_STEPS} statements")
    assert steps >= 1, f"{name} wrote nothing through a transaction"
    return steps
