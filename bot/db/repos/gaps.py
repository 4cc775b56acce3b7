"""SQL for the knowledge-gap ledger: gaps, and who asked each of them (once per member)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.gaps import Gap, GapsWeek, Signature
from bot.domain.privacy import FORGOTTEN

_COLUMNS = """
    id, guild_id, question, status, weight, askers, escalations, created_at, last_asked_at, closed_at,
    closed_source, closed_source_key, document_id, dismissed_by, reason, version"""

_SELECT = "SELECT" + _COLUMNS + " FROM gaps"

_GET = _SELECT + " WHERE guild_id = :guild_id AND id = :id"

_OPEN_PAGE = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND status = 'open'
    ORDER BY weight DESC, last_asked_at DESC, id DESC
    LIMIT :limit OFFSET :offset"""
)

_OPEN_COUNT = "SELECT count(*) FROM gaps WHERE guild_id = :guild_id AND status = 'open'"

_HAS_OPEN = "SELECT 1 FROM gaps WHERE guild_id = :guild_id AND status = 'open' LIMIT 1"

_OPEN_AFTER = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND status = 'open' AND id > :after
    ORDER BY id
    LIMIT :limit"""
)

_RECENTLY_CLOSED = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND status = 'closed'
    ORDER BY closed_at DESC, id DESC
    LIMIT :limit"""
)

_WEEK_COUNTS = """
    SELECT
        coalesce(sum(status = 'open'), 0) AS open,
        coalesce(sum(created_at >= :since AND created_at < :until), 0) AS opened,
        coalesce(sum(status = 'closed' AND closed_at >= :since AND closed_at < :until), 0) AS closed,
        coalesce(sum(status = 'dismissed' AND closed_at >= :since AND closed_at < :until), 0) AS dismissed
    FROM gaps WHERE guild_id = :guild_id"""

_OPEN_SIGNATURES = """
    SELECT id, signature FROM gaps
    WHERE guild_id = :guild_id AND status = 'open'
    ORDER BY last_asked_at DESC, id DESC
    LIMIT :limit"""

_INSERT = """
    INSERT INTO gaps (guild_id, question, signature, created_at, last_asked_at)
    VALUES (:guild_id, :question, :signature, :now, :now)"""

_ADD_ASKER = """
    INSERT INTO gap_askers (gap_id, guild_id, user_id, signal, forum, routing, asked_at)
    VALUES (:gap_id, :guild_id, :user_id, :signal, :forum, :routing, :now)
    ON CONFLICT (gap_id, user_id) DO UPDATE SET
        forum = max(forum, excluded.forum),
        routing = max(routing, excluded.routing)"""

_RECOUNT = """
    UPDATE gaps SET
        askers = (SELECT count(*) FROM gap_askers AS a WHERE a.gap_id = gaps.id),
        escalations = (SELECT coalesce(sum(a.forum + a.routing), 0) FROM gap_askers AS a WHERE a.gap_id = gaps.id),
        weight = (SELECT count(*) + :bonus * coalesce(sum(a.forum + a.routing), 0)
                  FROM gap_askers AS a WHERE a.gap_id = gaps.id),
        last_asked_at = coalesce(:now, last_asked_at),
        version = version + 1
    WHERE id = :id"""

_CLOSE = """
    UPDATE gaps SET status = 'closed', closed_at = :now, closed_source = :source, closed_source_key = :source_key,
        document_id = :document_id, version = version + 1
    WHERE guild_id = :guild_id AND id = :id AND status = 'open' AND version = :version"""

_DISMISS = """
    UPDATE gaps SET status = 'dismissed', closed_at = :now, dismissed_by = :user_id, reason = :reason,
        version = version + 1
    WHERE guild_id = :guild_id AND id = :id AND status = 'open'"""

_EXPORT_ASKED = """
    SELECT g.id AS gap_id, g.question, g.status, a.signal, a.forum, a.routing, a.asked_at
    FROM gap_askers AS a JOIN gaps AS g ON g.id = a.gap_id
    WHERE a.guild_id = :guild_id AND a.user_id = :user_id
    ORDER BY a.asked_at, g.id"""

_EXPORT_DISMISSED = """
    SELECT id AS gap_id, reason, closed_at AS dismissed_at FROM gaps
    WHERE guild_id = :guild_id AND dismissed_by = :user_id
    ORDER BY id"""

_GAPS_OF = "SELECT gap_id FROM gap_askers WHERE guild_id = :guild_id AND user_id = :user_id"

_FORGET_ASKER = "DELETE FROM gap_askers WHERE guild_id = :guild_id AND user_id = :user_id"

_DROP_UNASKED = """
    DELETE FROM gaps
    WHERE guild_id = :guild_id AND id = :id AND NOT EXISTS (SELECT 1 FROM gap_askers AS a WHERE a.gap_id = gaps.id)"""

_FORGET_DISMISSER = """
    UPDATE gaps SET dismissed_by = :forgotten, version = version + 1
    WHERE guild_id = :guild_id AND dismissed_by = :user_id"""


class GapsRepo:
    """Reads and writes the gap ledger; writes take the service's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, gap_id: int, tx: Reader | None = None) -> Gap | None:
        """One gap of this server, or None."""
        row = await (tx or self._db).fetch_one(_GET, {"guild_id": guild_id, "id": gap_id})
        return None if row is None else _to_gap(row)

    async def open_page(self, guild_id: int, offset: int, limit: int) -> tuple[list[Gap], int]:
        """Open gaps, heaviest first (then most recently asked); plus how many are open."""
        async with self._db.snapshot() as read:
            params = {"guild_id": guild_id, "offset": offset, "limit": limit}
            rows = await read.fetch_all(_OPEN_PAGE, params)
            total = int(await read.fetch_value(_OPEN_COUNT, {"guild_id": guild_id}) or 0)
        return [_to_gap(r) for r in rows], total

    async def week(self, guild_id: int, since: datetime, until: datetime, limit: int) -> GapsWeek:
        """The heaviest open gaps and how many are open; how many opened, closed and were dismissed in the week."""
        async with self._db.snapshot() as read:
            rows = await read.fetch_all(_OPEN_PAGE, {"guild_id": guild_id, "offset": 0, "limit": limit})
            params = {"guild_id": guild_id, "since": to_iso(since), "until": to_iso(until)}
            counts = await read.fetch_one(_WEEK_COUNTS, params)
        assert counts is not None
        return GapsWeek(
            top=tuple(_to_gap(r) for r in rows),
            open=int(counts["open"]),
            opened=int(counts["opened"]),
            closed=int(counts["closed"]),
            dismissed=int(counts["dismissed"]),
        )

    async def has_open(self, tx: Reader, guild_id: int) -> bool:
        """Whether the server has any open gap."""
        return await tx.fetch_one(_HAS_OPEN, {"guild_id": guild_id}) is not None

    async def open_after(self, guild_id: int, after: int, limit: int) -> list[Gap]:
        """Open gaps with an id above ``after``, by id (the re-check walks them in batches)."""
        rows = await self._db.fetch_all(_OPEN_AFTER, {"guild_id": guild_id, "after": after, "limit": limit})
        return [_to_gap(r) for r in rows]

    async def recently_closed(self, guild_id: int, limit: int) -> list[Gap]:
        """Gaps closed by an indexed document, newest first."""
        rows = await self._db.fetch_all(_RECENTLY_CLOSED, {"guild_id": guild_id, "limit": limit})
        return [_to_gap(r) for r in rows]

    async def open_signatures(self, tx: Reader, guild_id: int, limit: int) -> list[tuple[int, Signature]]:
        """The grouping signatures of the server's open gaps, most recently asked first."""
        rows = await tx.fetch_all(_OPEN_SIGNATURES, {"guild_id": guild_id, "limit": limit})
        return [(int(r["id"]), _to_signature(r["signature"])) for r in rows]

    async def insert(self, tx: Transaction, guild_id: int, question: str, signature: Signature, now: datetime) -> int:
        """A new open gap (no askers yet); returns its id."""
        encoded = json.dumps([sorted(keys) for keys in signature], ensure_ascii=False)
        params = {"guild_id": guild_id, "question": question, "signature": encoded, "now": to_iso(now)}
        return await tx.execute(_INSERT, params)

    async def add_asker(
        self, tx: Transaction, gap_id: int, guild_id: int, user_id: int, signal: str, now: datetime
    ) -> None:
        """Record the member as an asker (once; a later escalation only sets its flag) and recount nothing."""
        params = {
            "gap_id": gap_id,
            "guild_id": guild_id,
            "user_id": user_id,
            "signal": signal,
            "forum": int(signal == "forum"),
            "routing": int(signal == "routing"),
            "now": to_iso(now),
        }
        await tx.execute(_ADD_ASKER, params)

    async def recount(self, tx: Transaction, gap_id: int, bonus: int, now: datetime | None) -> None:
        """Askers, escalations and weight from the asker rows; ``now`` (if given) is the last time it was asked."""
        await tx.execute(_RECOUNT, {"id": gap_id, "bonus": bonus, "now": None if now is None else to_iso(now)})

    async def close(
        self,
        tx: Transaction,
        gap: Gap,
        *,
        source: str,
        source_key: str,
        document_id: int,
        now: datetime,
    ) -> bool:
        """Close an open gap by the document that answers it; False if it changed or closed meanwhile."""
        params = {
            "guild_id": gap.guild_id,
            "id": gap.id,
            "version": gap.version,
            "source": source,
            "source_key": source_key,
            "document_id": document_id,
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_CLOSE, params) == 1

    async def dismiss(
        self, tx: Transaction, guild_id: int, gap_id: int, user_id: int, reason: str, now: datetime
    ) -> bool:
        """Dismiss an open gap; False if it is not open (any more)."""
        params = {"guild_id": guild_id, "id": gap_id, "user_id": user_id, "reason": reason, "now": to_iso(now)}
        return await tx.execute_rowcount(_DISMISS, params) == 1

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The gaps the member asked (with how), and the gaps they dismissed as a moderator."""
        params = {"guild_id": guild_id, "user_id": user_id}
        asked = [dict(r) for r in await self._db.fetch_all(_EXPORT_ASKED, params)]
        dismissed = [dict(r) for r in await self._db.fetch_all(_EXPORT_DISMISSED, params)]
        out: dict[str, list[dict[str, Any]]] = {}
        if asked:
            out["knowledge_gaps_asked"] = asked
        if dismissed:
            out["knowledge_gaps_dismissed"] = dismissed
        return out

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int, bonus: int) -> int:
        """Remove the member's asker rows, drop the gaps nobody else asked (their wording), recount the rest.

        A gap the member dismissed keeps its reason, without the member's id.
        """
        params = {"guild_id": guild_id, "user_id": user_id}
        gap_ids = [int(r["gap_id"]) for r in await tx.fetch_all(_GAPS_OF, params)]
        touched = await tx.execute_rowcount(_FORGET_ASKER, params)
        for gap_id in gap_ids:
            if await tx.execute_rowcount(_DROP_UNASKED, {"guild_id": guild_id, "id": gap_id}):
                touched += 1
            else:
                await self.recount(tx, gap_id, bonus, None)
        touched += await tx.execute_rowcount(_FORGET_DISMISSER, {**params, "forgotten": FORGOTTEN})
        return touched


def _to_signature(raw: str) -> Signature:
    return tuple(frozenset(str(k) for k in keys) for keys in json.loads(raw))


def _to_gap(row: sqlite3.Row) -> Gap:
    return Gap(
        id=row["id"],
        guild_id=row["guild_id"],
        question=row["question"],
        status=row["status"],
        weight=row["weight"],
        askers=row["askers"],
        escalations=row["escalations"],
        created_at=row["created_at"],
        last_asked_at=row["last_asked_at"],
        closed_at=row["closed_at"],
        closed_source=row["closed_source"],
        closed_source_key=row["closed_source_key"],
        document_id=row["document_id"],
        dismissed_by=row["dismissed_by"],
        reason=row["reason"],
        version=row["version"],
    )
