"""SQL for the digital-maturity self-scan: members' scans, their answers as given, and completed results."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.scan.models import Scan

_COLUMNS = """
    id, guild_id, user_id, instrument, status, answers, means, organisation, started_at, updated_at, completed_at"""

_SELECT = "SELECT" + _COLUMNS + " FROM maturity_scans"

_GET = _SELECT + " WHERE guild_id = :guild_id AND id = :id"

_OPEN = _SELECT + " WHERE guild_id = :guild_id AND user_id = :user_id AND status = 'open'"

_COMPLETED = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND user_id = :user_id AND status = 'completed'
    ORDER BY completed_at DESC, id DESC
    LIMIT :limit"""
)

_INSERT = """
    INSERT INTO maturity_scans (guild_id, user_id, instrument, started_at, updated_at)
    VALUES (:guild_id, :user_id, :instrument, :now, :now)
    RETURNING id"""

_SET_ANSWERS = """
    UPDATE maturity_scans SET answers = :answers, updated_at = :now WHERE id = :id AND status = 'open'"""

_COMPLETE = """
    UPDATE maturity_scans
    SET status = 'completed', means = :means, organisation = :organisation, organisation_key = :organisation_key,
        completed_at = :now, updated_at = :now
    WHERE id = :id AND status = 'open'"""

# The latest completed scan of every member who named this organisation (one row per member).
_ORGANISATION = """
    SELECT user_id, means FROM (
        SELECT user_id, means,
               row_number() OVER (PARTITION BY user_id ORDER BY completed_at DESC, id DESC) AS n
        FROM maturity_scans
        WHERE guild_id = :guild_id AND status = 'completed' AND organisation_key = :organisation_key)
    WHERE n = 1
    ORDER BY user_id"""

_EXPORT = """
    SELECT id, instrument, status, answers, means, organisation, started_at, updated_at, completed_at
    FROM maturity_scans WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY id"""

_FORGET = "DELETE FROM maturity_scans WHERE guild_id = :guild_id AND user_id = :user_id"


class ScanRepo:
    """Members' self-scans. Writes run in the caller's transaction; it never opens one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, scan_id: int, tx: Reader | None = None) -> Scan | None:
        """One scan of this server, or None."""
        row = await (tx or self._db).fetch_one(_GET, {"guild_id": guild_id, "id": scan_id})
        return None if row is None else _to_scan(row)

    async def open_scan(self, guild_id: int, user_id: int, tx: Reader | None = None) -> Scan | None:
        """The member's unfinished scan in this server, or None."""
        row = await (tx or self._db).fetch_one(_OPEN, {"guild_id": guild_id, "user_id": user_id})
        return None if row is None else _to_scan(row)

    async def completed(self, guild_id: int, user_id: int, limit: int = 2, tx: Reader | None = None) -> list[Scan]:
        """The member's completed scans, newest first."""
        params = {"guild_id": guild_id, "user_id": user_id, "limit": limit}
        return [_to_scan(r) for r in await (tx or self._db).fetch_all(_COMPLETED, params)]

    async def insert(self, tx: Transaction, guild_id: int, user_id: int, instrument: str, now: datetime) -> int:
        """Start a scan; returns its id."""
        params = {"guild_id": guild_id, "user_id": user_id, "instrument": instrument, "now": to_iso(now)}
        rows = await tx.execute_returning(_INSERT, params)
        return int(rows[0]["id"])

    async def set_answers(self, tx: Transaction, scan_id: int, answers: dict[str, int], now: datetime) -> bool:
        """Store an open scan's answers; False if it is no longer open."""
        params = {"id": scan_id, "answers": json.dumps(answers, sort_keys=True), "now": to_iso(now)}
        return await tx.execute_rowcount(_SET_ANSWERS, params) == 1

    async def complete(
        self,
        tx: Transaction,
        scan_id: int,
        means: dict[str, float],
        organisation: str | None,
        organisation_key: str | None,
        now: datetime,
    ) -> bool:
        """Mark an open scan completed with its means and the member's organisation; False if it was not open."""
        params = {
            "id": scan_id,
            "means": json.dumps(means, sort_keys=True),
            "organisation": organisation,
            "organisation_key": organisation_key,
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_COMPLETE, params) == 1

    async def organisation_means(self, guild_id: int, organisation_key: str) -> dict[int, dict[str, float]]:
        """The latest completed means of every member who named this organisation, by member."""
        rows = await self._db.fetch_all(_ORGANISATION, {"guild_id": guild_id, "organisation_key": organisation_key})
        return {int(r["user_id"]): _means(r["means"]) or {} for r in rows}

    async def export_member(self, guild_id: int, user_id: int) -> list[dict[str, Any]]:
        """Every scan of the member in this server, answers and means included."""
        rows = await self._db.fetch_all(_EXPORT, {"guild_id": guild_id, "user_id": user_id})
        found = []
        for row in rows:
            item = dict(row)
            item["answers"] = json.loads(item["answers"])
            item["means"] = _means(item["means"])
            found.append(item)
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete every scan of the member in this server."""
        return await tx.execute_rowcount(_FORGET, {"guild_id": guild_id, "user_id": user_id})


def _means(raw: str | None) -> dict[str, float] | None:
    return None if raw is None else {str(k): float(v) for k, v in json.loads(raw).items()}


def _to_scan(row: sqlite3.Row) -> Scan:
    return Scan(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        user_id=int(row["user_id"]),
        instrument=str(row["instrument"]),
        status="completed" if row["status"] == "completed" else "open",
        answers={str(k): int(v) for k, v in json.loads(row["answers"]).items()},
        means=_means(row["means"]),
        organisation=row["organisation"],
        started_at=str(row["started_at"]),
        updated_at=str(row["updated_at"]),
        completed_at=row["completed_at"],
    )
