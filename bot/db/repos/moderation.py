"""SQL for moderation: the queues the overview reads (other themes' tables), claims, decisions, reports, runs.

Each queue is one SELECT with the same columns (``item_key, title, since, channel_id, message_id, jump_url,
address, detail``); the overview's counts, oldest items and single items are built on it. A claim counts only
while its item is in the queue and was claimed after the item entered it (``claimed_at >= since``), so a claim
on an item that left (and perhaps came back) is ignored, and :meth:`ModerationRepo.clean_claims` deletes it. A
moderator's decision on an item (``moderation_decisions``: a solved post "not for the FAQ") keeps it out of its
queue for good.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Final

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.moderation.models import Claim, QueueItem, Report, Run
from bot.domain.privacy import FORGOTTEN

_QUEUE_SQL: Final[dict[str, str]] = {
    "suggestions": """
        SELECT CAST(id AS TEXT) AS item_key, title, created_at AS since, queue_channel_id AS channel_id,
               queue_message_id AS message_id, NULL AS jump_url, url AS address, NULL AS detail
        FROM resources
        WHERE guild_id = :guild_id AND status = 'pending' AND coalesce(link_status, '') <> 'broken'""",
    "broken_links": """
        SELECT CAST(id AS TEXT) AS item_key, title, coalesce(last_verified, updated_at) AS since,
               queue_channel_id AS channel_id, queue_message_id AS message_id, NULL AS jump_url, url AS address,
               link_detail AS detail
        FROM resources
        WHERE guild_id = :guild_id AND status = 'pending' AND link_status = 'broken'""",
    "faq_proposals": """
        SELECT CAST(p.thread_id AS TEXT) AS item_key, p.title, coalesce(p.solved_at, p.created_at) AS since,
               p.thread_id AS channel_id, p.answer_message_id AS message_id, NULL AS jump_url, NULL AS address,
               NULL AS detail
        FROM help_posts AS p
        WHERE p.guild_id = :guild_id AND p.status = 'solved'
          AND NOT EXISTS (
              SELECT 1 FROM faq_entries AS f WHERE f.guild_id = p.guild_id AND f.thread_id = p.thread_id)
          AND NOT EXISTS (
              SELECT 1 FROM moderation_decisions AS d
              WHERE d.guild_id = p.guild_id AND d.queue = 'faq_proposals'
                AND d.item_key = CAST(p.thread_id AS TEXT))""",
    "unanswered": """
        SELECT CAST(p.thread_id AS TEXT) AS item_key, p.title, p.created_at AS since, p.thread_id AS channel_id,
               NULL AS message_id, NULL AS jump_url, NULL AS address, NULL AS detail
        FROM help_posts AS p
        WHERE p.guild_id = :guild_id AND p.status = 'open'
          AND NOT EXISTS (
              SELECT 1 FROM moderation_decisions AS d
              WHERE d.guild_id = p.guild_id AND d.queue = 'unanswered'
                AND d.item_key = CAST(p.thread_id AS TEXT))""",
    "reports": """
        SELECT CAST(id AS TEXT) AS item_key, '' AS title, created_at AS since, channel_id, message_id, jump_url,
               NULL AS address, reason AS detail
        FROM moderation_reports
        WHERE guild_id = :guild_id AND status = 'open'""",
    "unrouted": """
        SELECT CAST(r.id AS TEXT) AS item_key, coalesce(p.title, '') AS title, r.created_at AS since,
               r.thread_id AS channel_id, NULL AS message_id, NULL AS jump_url, NULL AS address, NULL AS detail
        FROM routing_requests AS r LEFT JOIN help_posts AS p ON p.thread_id = r.thread_id
        WHERE r.guild_id = :guild_id AND r.status = 'unmatched'""",
}
"""Each queue's items (the names come from this closed list; the SQL below is assembled from it at import)."""

_CLAIM_JOIN = """
    LEFT JOIN moderation_claims AS c
      ON c.guild_id = :guild_id AND c.queue = :queue AND c.item_key = q.item_key AND c.claimed_at >= q.since"""


def _around(queue_sql: str, before: str, after: str) -> str:
    """A statement over one queue's SELECT (from :data:`_QUEUE_SQL`, a closed set of our own constants)."""
    return before + "(" + queue_sql + ")" + after


_SUMMARY = {
    name: _around(sql, "SELECT count(*) AS n, min(since) AS oldest FROM ", "") for name, sql in _QUEUE_SQL.items()
}
_OLDEST = {
    name: _around(
        sql,
        "SELECT q.*, c.claimed_by, c.claimed_at FROM ",
        " AS q" + _CLAIM_JOIN + " ORDER BY q.since, q.item_key LIMIT :limit",
    )
    for name, sql in _QUEUE_SQL.items()
}
_ITEM = {
    name: _around(
        sql, "SELECT q.*, c.claimed_by, c.claimed_at FROM ", " AS q" + _CLAIM_JOIN + " WHERE q.item_key = :key"
    )
    for name, sql in _QUEUE_SQL.items()
}
# a claim stays while its item is in the queue and was claimed after the item entered it
_CLEAN = {
    name: _around(
        sql,
        """
    DELETE FROM moderation_claims
    WHERE guild_id = :guild_id AND queue = :queue
      AND NOT EXISTS (SELECT 1 FROM """,
        " AS q WHERE q.item_key = moderation_claims.item_key AND q.since <= moderation_claims.claimed_at)",
    )
    for name, sql in _QUEUE_SQL.items()
}
_CLEAN_UNKNOWN = """
    DELETE FROM moderation_claims WHERE guild_id = :guild_id AND queue NOT IN (SELECT value FROM json_each(:queues))"""

_CLAIM_GET = """
    SELECT claimed_by, claimed_at FROM moderation_claims
    WHERE guild_id = :guild_id AND queue = :queue AND item_key = :key"""

_CLAIM = """
    INSERT INTO moderation_claims (guild_id, queue, item_key, claimed_by, claimed_at)
    VALUES (:guild_id, :queue, :key, :moderator_id, :now)
    ON CONFLICT (guild_id, queue, item_key) DO NOTHING"""

_UNCLAIM = """
    DELETE FROM moderation_claims WHERE guild_id = :guild_id AND queue = :queue AND item_key = :key"""

_CLAIM_GUILDS = "SELECT DISTINCT guild_id FROM moderation_claims ORDER BY guild_id"

_DECIDED = """
    SELECT 1 FROM moderation_decisions
    WHERE guild_id = :guild_id AND queue = :queue AND item_key = :key AND outcome = :outcome"""

_UNDECIDE = """
    DELETE FROM moderation_decisions
    WHERE guild_id = :guild_id AND queue = :queue AND item_key = :key AND outcome = :outcome"""

_DECIDE = """
    INSERT INTO moderation_decisions (guild_id, queue, item_key, decided_by, decided_at, outcome)
    VALUES (:guild_id, :queue, :key, :moderator_id, :now, :outcome)
    ON CONFLICT (guild_id, queue, item_key) DO NOTHING"""

# --- reports ---------------------------------------------------------------------------------------------------

_REPORT_COLUMNS = """
    id, guild_id, channel_id, message_id, jump_url, reporter_id, reason, status, resolved_by, resolved_at,
    created_at"""

_REPORT_GET = "SELECT" + _REPORT_COLUMNS + " FROM moderation_reports WHERE guild_id = :guild_id AND id = :id"

_REPORT_OPEN_BY = (
    "SELECT"
    + _REPORT_COLUMNS
    + """ FROM moderation_reports
    WHERE guild_id = :guild_id AND message_id = :message_id AND reporter_id = :reporter_id AND status = 'open'"""
)

_REPORT_INSERT = """
    INSERT INTO moderation_reports (guild_id, channel_id, message_id, jump_url, reporter_id, reason, created_at)
    VALUES (:guild_id, :channel_id, :message_id, :jump_url, :reporter_id, :reason, :now)
    ON CONFLICT DO NOTHING
    RETURNING id"""

_REPORTS_OPEN_BY = """
    SELECT count(*) FROM moderation_reports
    WHERE guild_id = :guild_id AND reporter_id = :reporter_id AND status = 'open'"""

# resolved and dismissed reports go after the retention period (their reporter's id and reason with them)
_PURGE_CLOSED_REPORT_CLAIMS = """
    DELETE FROM moderation_claims
    WHERE queue = 'reports'
      AND EXISTS (SELECT 1 FROM moderation_reports AS r
                  WHERE r.guild_id = moderation_claims.guild_id AND CAST(r.id AS TEXT) = moderation_claims.item_key
                    AND r.status <> 'open' AND r.resolved_at < :before)"""
_PURGE_CLOSED_REPORTS = "DELETE FROM moderation_reports WHERE status <> 'open' AND resolved_at < :before"

_REPORT_CLOSE = """
    UPDATE moderation_reports SET status = :status, resolved_by = :moderator_id, resolved_at = :now
    WHERE guild_id = :guild_id AND id = :id AND status = 'open'"""

_EXPORT_REPORTS = """
    SELECT id, channel_id, message_id, jump_url, reason, status, created_at, resolved_at
    FROM moderation_reports WHERE guild_id = :guild_id AND reporter_id = :user_id ORDER BY id"""

_EXPORT_DECIDED = """
    SELECT id, status, resolved_at FROM moderation_reports
    WHERE guild_id = :guild_id AND resolved_by = :user_id ORDER BY id"""

_EXPORT_CLAIMS = """
    SELECT queue, item_key, claimed_at FROM moderation_claims
    WHERE guild_id = :guild_id AND claimed_by = :user_id ORDER BY claimed_at, queue, item_key"""

# a forgotten member's reports go (their reason is their own words), with any claim on them
_FORGET_REPORT_CLAIMS = """
    DELETE FROM moderation_claims
    WHERE guild_id = :guild_id AND queue = 'reports'
      AND item_key IN (SELECT CAST(id AS TEXT) FROM moderation_reports
                       WHERE guild_id = :guild_id AND reporter_id = :user_id)"""
_FORGET_REPORTS = "DELETE FROM moderation_reports WHERE guild_id = :guild_id AND reporter_id = :user_id"
_FORGET_DECIDED = """
    UPDATE moderation_reports SET resolved_by = :forgotten WHERE guild_id = :guild_id AND resolved_by = :user_id"""
_FORGET_CLAIMS = "DELETE FROM moderation_claims WHERE guild_id = :guild_id AND claimed_by = :user_id"

_EXPORT_QUEUE_DECISIONS = """
    SELECT queue, item_key, outcome, decided_at FROM moderation_decisions
    WHERE guild_id = :guild_id AND decided_by = :user_id ORDER BY decided_at, queue, item_key"""
# a decision stays (the item stays out of its queue), without the moderator's id
_FORGET_QUEUE_DECISIONS = """
    UPDATE moderation_decisions SET decided_by = :forgotten WHERE guild_id = :guild_id AND decided_by = :user_id"""

# --- weekly runs -----------------------------------------------------------------------------------------------

_RUN_COLUMNS = " id, guild_id, period, slot, status, channel_id, message_id, claimed_at, posted_at, attempted_at"

_RUN_GET = "SELECT" + _RUN_COLUMNS + " FROM moderation_runs WHERE id = :id"
_RUN_BY_PERIOD = "SELECT" + _RUN_COLUMNS + " FROM moderation_runs WHERE guild_id = :guild_id AND period = :period"

_RUN_INSERT = """
    INSERT INTO moderation_runs (guild_id, period, slot, channel_id, claimed_at)
    VALUES (:guild_id, :period, :slot, :channel_id, :now)
    ON CONFLICT (guild_id, period) DO NOTHING
    RETURNING id"""

_RUN_CLAIM_POST = """
    UPDATE moderation_runs SET status = 'posting', attempted_at = coalesce(attempted_at, :now)
    WHERE id = :id AND status IN ('planned', 'posting')"""

_RUN_FINISH = """
    UPDATE moderation_runs SET status = :status, message_id = :message_id, error = :error, posted_at = :now
    WHERE id = :id AND status IN ('planned', 'posting')"""

_RUNS_PURGE = "DELETE FROM moderation_runs WHERE slot < :before"

_CHANNEL_GUILDS = """
    SELECT v.guild_id FROM guild_setting_values AS v JOIN guild_settings AS g ON g.guild_id = v.guild_id
    WHERE v.key = 'moderator_channel_id' AND json_extract(v.value, '$') IS NOT NULL AND g.left_at IS NULL
    ORDER BY v.guild_id"""


class ModerationRepo:
    """Queues, claims, reports and weekly runs of the moderation overview."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- queues --------------------------------------------------------------------------------------------------

    async def summary(self, guild_id: int, queue: str, read: Reader | None = None) -> tuple[int, str | None]:
        """How many items wait in a queue, and since when the oldest."""
        row = await (read or self._db).fetch_one(_SUMMARY[queue], {"guild_id": guild_id})
        return (int(row["n"]), row["oldest"]) if row is not None else (0, None)

    async def oldest(self, guild_id: int, queue: str, limit: int, read: Reader | None = None) -> list[QueueItem]:
        """A queue's oldest items, each with its claim (if it still counts)."""
        params = {"guild_id": guild_id, "queue": queue, "limit": limit}
        rows = await (read or self._db).fetch_all(_OLDEST[queue], params)
        return [_to_item(queue, row) for row in rows]

    async def item(self, guild_id: int, queue: str, key: str, read: Reader | None = None) -> QueueItem | None:
        """One item, if it is (still) in the queue."""
        row = await (read or self._db).fetch_one(_ITEM[queue], {"guild_id": guild_id, "queue": queue, "key": key})
        return _to_item(queue, row) if row is not None else None

    async def overview(
        self, guild_id: int, queues: tuple[str, ...], limit: int
    ) -> list[tuple[str, int, str | None, list[QueueItem]]]:
        """Every queue's count, oldest moment and oldest items, read from one snapshot (consistent figures)."""
        found: list[tuple[str, int, str | None, list[QueueItem]]] = []
        async with self._db.snapshot() as read:
            for queue in queues:
                count, oldest = await self.summary(guild_id, queue, read)
                items = await self.oldest(guild_id, queue, limit, read) if count else []
                found.append((queue, count, oldest, items))
        return found

    # --- claims --------------------------------------------------------------------------------------------------

    async def claim_row(self, tx: Transaction, guild_id: int, queue: str, key: str) -> Claim | None:
        """The stored claim on an item (whether or not it still counts)."""
        row = await tx.fetch_one(_CLAIM_GET, {"guild_id": guild_id, "queue": queue, "key": key})
        return Claim(int(row["claimed_by"]), str(row["claimed_at"])) if row is not None else None

    async def claim(
        self, tx: Transaction, guild_id: int, queue: str, key: str, moderator_id: int, now: datetime
    ) -> bool:
        """Claim an item for a moderator unless someone holds it; True if this call made the claim."""
        params = {"guild_id": guild_id, "queue": queue, "key": key, "moderator_id": moderator_id, "now": to_iso(now)}
        return await tx.execute_rowcount(_CLAIM, params) > 0

    async def unclaim(self, tx: Transaction, guild_id: int, queue: str, key: str) -> bool:
        """Delete the claim on an item; True if there was one."""
        return await tx.execute_rowcount(_UNCLAIM, {"guild_id": guild_id, "queue": queue, "key": key}) > 0

    async def clean_claims(self, tx: Transaction, guild_id: int, queues: tuple[str, ...]) -> int:
        """Delete the claims on items that left these queues (or came back after the claim); returns how many."""
        deleted = 0
        for queue in queues:
            deleted += await tx.execute_rowcount(_CLEAN[queue], {"guild_id": guild_id, "queue": queue})
        return deleted

    async def clean_unknown_queues(self, tx: Transaction, guild_id: int, known: tuple[str, ...]) -> int:
        """Delete claims of queues that no longer exist (a later version dropped one)."""
        return await tx.execute_rowcount(_CLEAN_UNKNOWN, {"guild_id": guild_id, "queues": json.dumps(known)})

    async def guilds_with_claims(self) -> list[int]:
        """Servers with any claim (the sweep cleans them)."""
        return [int(r["guild_id"]) for r in await self._db.fetch_all(_CLAIM_GUILDS)]

    # --- decisions -----------------------------------------------------------------------------------------------

    async def decide(
        self,
        tx: Transaction,
        guild_id: int,
        queue: str,
        key: str,
        outcome: str,
        moderator_id: int | None,
        now: datetime,
    ) -> bool:
        """Record a moderator's decision on an item (it leaves its queue); False if it had one.

        ``moderator_id`` is None only for a help post locked in Discord (``locked``: nobody known).
        """
        params = {"guild_id": guild_id, "queue": queue, "key": key, "outcome": outcome, "moderator_id": moderator_id}
        return await tx.execute_rowcount(_DECIDE, {**params, "now": to_iso(now)}) > 0

    async def decided(self, guild_id: int, queue: str, key: str, outcome: str) -> bool:
        """Whether the item has a decision with this outcome."""
        params = {"guild_id": guild_id, "queue": queue, "key": key, "outcome": outcome}
        return await self._db.fetch_one(_DECIDED, params) is not None

    async def undecide(self, tx: Transaction, guild_id: int, queue: str, key: str, outcome: str) -> bool:
        """Delete a decision with this outcome (the item may wait in its queue again); False if there was none."""
        params = {"guild_id": guild_id, "queue": queue, "key": key, "outcome": outcome}
        return await tx.execute_rowcount(_UNDECIDE, params) > 0

    # --- reports -------------------------------------------------------------------------------------------------

    async def report(self, guild_id: int, report_id: int, read: Reader | None = None) -> Report | None:
        """A report of this server."""
        row = await (read or self._db).fetch_one(_REPORT_GET, {"guild_id": guild_id, "id": report_id})
        return _to_report(row) if row is not None else None

    async def open_report_by(self, guild_id: int, message_id: int, reporter_id: int) -> Report | None:
        """The member's open report of this message, if any."""
        params = {"guild_id": guild_id, "message_id": message_id, "reporter_id": reporter_id}
        row = await self._db.fetch_one(_REPORT_OPEN_BY, params)
        return _to_report(row) if row is not None else None

    async def insert_report(
        self,
        tx: Transaction,
        *,
        guild_id: int,
        channel_id: int,
        message_id: int,
        jump_url: str,
        reporter_id: int,
        reason: str | None,
        now: datetime,
    ) -> int | None:
        """Store a report; None when the member already has an open report of this message."""
        rows = await tx.execute_returning(
            _REPORT_INSERT,
            {
                "guild_id": guild_id,
                "channel_id": channel_id,
                "message_id": message_id,
                "jump_url": jump_url,
                "reporter_id": reporter_id,
                "reason": reason,
                "now": to_iso(now),
            },
        )
        return int(rows[0]["id"]) if rows else None

    async def open_reports_of(self, guild_id: int, reporter_id: int, read: Reader | None = None) -> int:
        """How many open reports the member has in this server."""
        params = {"guild_id": guild_id, "reporter_id": reporter_id}
        return int(await (read or self._db).fetch_value(_REPORTS_OPEN_BY, params) or 0)

    async def purge_closed_reports(self, tx: Transaction, before: datetime) -> int:
        """Delete reports resolved or dismissed before ``before`` (and any claim left on them); returns how many."""
        params = {"before": to_iso(before)}
        await tx.execute_rowcount(_PURGE_CLOSED_REPORT_CLAIMS, params)
        return await tx.execute_rowcount(_PURGE_CLOSED_REPORTS, params)

    async def close_report(
        self, tx: Transaction, guild_id: int, report_id: int, status: str, moderator_id: int, now: datetime
    ) -> bool:
        """Resolve or dismiss an open report; False if it was not open (any more)."""
        params = {"guild_id": guild_id, "id": report_id, "status": status, "moderator_id": moderator_id}
        return await tx.execute_rowcount(_REPORT_CLOSE, {**params, "now": to_iso(now)}) > 0

    # --- privacy -------------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's reports, the reports they decided and their claims."""
        params = {"guild_id": guild_id, "user_id": user_id}
        async with self._db.snapshot() as read:
            filed = [dict(r) for r in await read.fetch_all(_EXPORT_REPORTS, params)]
            decided = [dict(r) for r in await read.fetch_all(_EXPORT_DECIDED, params)]
            claims = [dict(r) for r in await read.fetch_all(_EXPORT_CLAIMS, params)]
            queue_decisions = [dict(r) for r in await read.fetch_all(_EXPORT_QUEUE_DECISIONS, params)]
        return {
            "moderation_reports": filed,
            "moderation_decisions": decided,
            "moderation_claims": claims,
            "moderation_queue_decisions": queue_decisions,
        }

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's reports (and claims on them) and claims; anonymise their decisions."""
        params = {"guild_id": guild_id, "user_id": user_id}
        touched = await tx.execute_rowcount(_FORGET_REPORT_CLAIMS, params)
        touched += await tx.execute_rowcount(_FORGET_REPORTS, params)
        touched += await tx.execute_rowcount(_FORGET_DECIDED, {**params, "forgotten": FORGOTTEN})
        touched += await tx.execute_rowcount(_FORGET_QUEUE_DECISIONS, {**params, "forgotten": FORGOTTEN})
        return touched + await tx.execute_rowcount(_FORGET_CLAIMS, params)

    # --- weekly runs ---------------------------------------------------------------------------------------------

    async def run(self, run_id: int, read: Reader | None = None) -> Run | None:
        """A weekly run by id."""
        row = await (read or self._db).fetch_one(_RUN_GET, {"id": run_id})
        return _to_run(row) if row is not None else None

    async def run_by_period(self, guild_id: int, period: str, read: Reader | None = None) -> Run | None:
        """A server's run of one period, if it has one."""
        row = await (read or self._db).fetch_one(_RUN_BY_PERIOD, {"guild_id": guild_id, "period": period})
        return _to_run(row) if row is not None else None

    async def insert_run(
        self, tx: Transaction, *, guild_id: int, period: str, slot: datetime, channel_id: int, now: datetime
    ) -> int | None:
        """Claim a period for a server; None when it has a run already (another planner was first)."""
        params = {"guild_id": guild_id, "period": period, "slot": to_iso(slot), "channel_id": channel_id}
        rows = await tx.execute_returning(_RUN_INSERT, {**params, "now": to_iso(now)})
        return int(rows[0]["id"]) if rows else None

    async def claim_post(self, tx: Transaction, run_id: int, now: datetime) -> bool:
        """Mark a run ``posting`` before sending (noting the first attempt); False when it was finished meanwhile."""
        return await tx.execute_rowcount(_RUN_CLAIM_POST, {"id": run_id, "now": to_iso(now)}) > 0

    async def finish_run(
        self,
        tx: Transaction,
        run_id: int,
        status: str,
        now: datetime,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> bool:
        """Record a run's outcome (posted, empty or failed) once."""
        params = {"id": run_id, "status": status, "message_id": message_id, "error": error, "now": to_iso(now)}
        return await tx.execute_rowcount(_RUN_FINISH, params) > 0

    async def purge_runs(self, tx: Transaction, before: datetime) -> int:
        """Delete runs whose slot is older than ``before``."""
        return await tx.execute_rowcount(_RUNS_PURGE, {"before": to_iso(before)})

    async def guilds_with_channel(self) -> list[int]:
        """Servers the bot is in that have a moderators' channel."""
        return [int(r["guild_id"]) for r in await self._db.fetch_all(_CHANNEL_GUILDS)]


def _to_item(queue: str, row: sqlite3.Row) -> QueueItem:
    claim = Claim(int(row["claimed_by"]), str(row["claimed_at"])) if row["claimed_by"] is not None else None
    return QueueItem(
        queue=queue,
        key=str(row["item_key"]),
        title=str(row["title"] or ""),
        since=str(row["since"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        jump_url=row["jump_url"],
        address=row["address"],
        detail=row["detail"],
        claim=claim,
    )


def _to_report(row: sqlite3.Row) -> Report:
    return Report(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        jump_url=row["jump_url"],
        reporter_id=row["reporter_id"],
        reason=row["reason"],
        status=row["status"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
        created_at=row["created_at"],
    )


def _to_run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"],
        guild_id=row["guild_id"],
        period=row["period"],
        slot=row["slot"],
        status=row["status"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        claimed_at=row["claimed_at"],
        posted_at=row["posted_at"],
        attempted_at=row["attempted_at"],
    )
