"""SQL for the knowledge-gap ledger: gaps and who asked each of them (once per member, in their own words).

Also the terms that find the gaps a new document may answer, the re-checks waiting, and the answers askers rejected.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
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

_IS_OPEN = "SELECT 1 FROM gaps WHERE id = :id AND status = 'open'"

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

_OPEN_SIGNATURES_AFTER = """
    SELECT id, signature FROM gaps
    WHERE guild_id = :guild_id AND status = 'open' AND id > :after
    ORDER BY id"""

_LAST_ID = "SELECT coalesce(max(id), 0) FROM gaps"

_INSERT = """
    INSERT INTO gaps (guild_id, question, signature, created_at, last_asked_at)
    VALUES (:guild_id, :question, :signature, :now, :now)"""

_INSERT_TERM = "INSERT OR IGNORE INTO gap_terms (term, guild_id, gap_id) VALUES (:term, :guild_id, :gap_id)"

_DROP_TERMS = "DELETE FROM gap_terms WHERE gap_id = :id"

_ADD_ASKER = """
    INSERT INTO gap_askers (gap_id, guild_id, user_id, question, signal, forum, routing, asked_at)
    VALUES (:gap_id, :guild_id, :user_id, :question, :signal, :forum, :routing, :now)
    ON CONFLICT (gap_id, user_id) DO UPDATE SET
        forum = max(forum, excluded.forum),
        routing = max(routing, excluded.routing)"""

_ADD_REJECTION = "INSERT OR IGNORE INTO gap_rejections (gap_id, document_id) VALUES (:gap_id, :document_id)"

_REJECTED = "SELECT document_id FROM gap_rejections WHERE gap_id = :gap_id"

_RECOUNT = """
    UPDATE gaps SET
        askers = (SELECT count(*) FROM gap_askers AS a WHERE a.gap_id = gaps.id),
        escalations = (SELECT coalesce(sum(a.forum + a.routing), 0) FROM gap_askers AS a WHERE a.gap_id = gaps.id),
        weight = (SELECT count(*) + :bonus * coalesce(sum(a.forum + a.routing), 0)
                  FROM gap_askers AS a WHERE a.gap_id = gaps.id),
        last_asked_at = coalesce(:now, last_asked_at),
        version = version + 1
    WHERE id = :id"""

_GAPS_WITH_TERMS = """
    SELECT t.gap_id, t.guild_id, t.term FROM gap_terms AS t
    WHERE t.term IN (SELECT value FROM json_each(:terms))"""

_GAPS_WITH_TERMS_IN = """
    SELECT t.gap_id, t.guild_id, t.term FROM gap_terms AS t
    WHERE t.term IN (SELECT value FROM json_each(:terms))
        AND t.guild_id IN (SELECT value FROM json_each(:guilds))"""

_ADD_RECHECK = """
    INSERT OR IGNORE INTO gap_rechecks (gap_id, guild_id, document_id) VALUES (:gap_id, :guild_id, :document_id)"""

_PENDING = """
    SELECT gap_id, document_id FROM gap_rechecks
    WHERE guild_id = :guild_id AND gap_id IN (
        SELECT DISTINCT gap_id FROM gap_rechecks WHERE guild_id = :guild_id ORDER BY gap_id LIMIT :limit
    )"""

_CLEAR_RECHECK = "DELETE FROM gap_rechecks WHERE gap_id = :gap_id AND document_id = :document_id"

_DROP_RECHECKS = "DELETE FROM gap_rechecks WHERE gap_id = :id"

_CLOSE = """
    UPDATE gaps SET status = 'closed', closed_at = :now, closed_source = :source, closed_source_key = :source_key,
        document_id = :document_id, version = version + 1
    WHERE guild_id = :guild_id AND id = :id AND status = 'open' AND version = :version"""

_DISMISS = """
    UPDATE gaps SET status = 'dismissed', closed_at = :now, dismissed_by = :user_id, reason = :reason,
        version = version + 1
    WHERE guild_id = :guild_id AND id = :id AND status = 'open'"""

_EXPORT_ASKED = """
    SELECT a.gap_id, a.question, g.status, a.signal, a.forum, a.routing, a.asked_at
    FROM gap_askers AS a JOIN gaps AS g ON g.id = a.gap_id
    WHERE a.guild_id = :guild_id AND a.user_id = :user_id
    ORDER BY a.asked_at, a.gap_id"""

_EXPORT_DISMISSED = """
    SELECT id AS gap_id, reason, closed_at AS dismissed_at FROM gaps
    WHERE guild_id = :guild_id AND dismissed_by = :user_id
    ORDER BY id"""

_ASKED_BY = "SELECT gap_id, question FROM gap_askers WHERE guild_id = :guild_id AND user_id = :user_id"

_FORGET_ASKER = "DELETE FROM gap_askers WHERE guild_id = :guild_id AND user_id = :user_id"

_WORDINGS = "SELECT question FROM gap_askers WHERE gap_id = :id ORDER BY asked_at, user_id"

_DELETE = "DELETE FROM gaps WHERE guild_id = :guild_id AND id = :id"

_REWORD = """
    UPDATE gaps SET question = :question, signature = :signature, version = version + 1
    WHERE guild_id = :guild_id AND id = :id"""

_FORGET_DISMISSER = """
    UPDATE gaps SET dismissed_by = :forgotten, version = version + 1
    WHERE guild_id = :guild_id AND dismissed_by = :user_id"""

_PURGE = """
    DELETE FROM gaps
    WHERE (status <> 'open' AND closed_at < :before) OR (status = 'open' AND last_asked_at < :before)"""


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

    async def recently_closed(self, guild_id: int, limit: int) -> list[Gap]:
        """Gaps closed by an indexed document, newest first."""
        rows = await self._db.fetch_all(_RECENTLY_CLOSED, {"guild_id": guild_id, "limit": limit})
        return [_to_gap(r) for r in rows]

    # --- grouping ---------------------------------------------------------------------------------------------

    async def grouping_candidates(
        self, guild_id: int, limit: int, tx: Reader | None = None
    ) -> tuple[list[tuple[int, Signature]], int]:
        """The signatures of the server's open gaps (most recently asked first), and the highest gap id then.

        Without ``tx`` both are read in one snapshot, outside any write transaction.
        """
        params = {"guild_id": guild_id, "limit": limit}
        if tx is not None:
            rows = await tx.fetch_all(_OPEN_SIGNATURES, params)
            last = await tx.fetch_value(_LAST_ID)
        else:
            async with self._db.snapshot() as read:
                rows = await read.fetch_all(_OPEN_SIGNATURES, params)
                last = await read.fetch_value(_LAST_ID)
        return [(int(r["id"]), _to_signature(r["signature"])) for r in rows], int(last or 0)

    async def open_signatures_after(self, tx: Reader, guild_id: int, after: int) -> list[tuple[int, Signature]]:
        """The signatures of the server's open gaps with an id above ``after`` (opened since a grouping read)."""
        rows = await tx.fetch_all(_OPEN_SIGNATURES_AFTER, {"guild_id": guild_id, "after": after})
        return [(int(r["id"]), _to_signature(r["signature"])) for r in rows]

    async def is_open(self, tx: Reader, gap_id: int) -> bool:
        """Whether the gap is (still) open."""
        return await tx.fetch_one(_IS_OPEN, {"id": gap_id}) is not None

    # --- recording --------------------------------------------------------------------------------------------

    async def insert(self, tx: Transaction, guild_id: int, question: str, signature: Signature, now: datetime) -> int:
        """A new open gap (no askers yet) with its signature terms; returns its id."""
        params = {"guild_id": guild_id, "question": question, "signature": _encode(signature), "now": to_iso(now)}
        gap_id = await tx.execute(_INSERT, params)
        await self._set_terms(tx, guild_id, gap_id, signature)
        return gap_id

    @staticmethod
    async def _set_terms(tx: Transaction, guild_id: int, gap_id: int, signature: Signature) -> None:
        terms = sorted(set().union(*signature))
        await tx.executemany(_INSERT_TERM, [{"term": t, "guild_id": guild_id, "gap_id": gap_id} for t in terms])

    async def add_asker(
        self, tx: Transaction, gap_id: int, guild_id: int, user_id: int, question: str, signal: str, now: datetime
    ) -> None:
        """Record the member as an asker in their own words (once; a later escalation only sets its flag)."""
        params = {
            "gap_id": gap_id,
            "guild_id": guild_id,
            "user_id": user_id,
            "question": question,
            "signal": signal,
            "forum": int(signal == "forum"),
            "routing": int(signal == "routing"),
            "now": to_iso(now),
        }
        await tx.execute(_ADD_ASKER, params)

    async def add_rejections(self, tx: Transaction, gap_id: int, document_ids: Iterable[int]) -> None:
        """Documents an asker called not useful: they never close this gap."""
        await tx.executemany(_ADD_REJECTION, [{"gap_id": gap_id, "document_id": d} for d in sorted(set(document_ids))])

    async def rejected(self, gap_id: int, tx: Reader | None = None) -> set[int]:
        """The documents askers of this gap called not useful."""
        rows = await (tx or self._db).fetch_all(_REJECTED, {"gap_id": gap_id})
        return {int(r["document_id"]) for r in rows}

    async def recount(self, tx: Transaction, gap_id: int, bonus: int, now: datetime | None) -> None:
        """Askers, escalations and weight from the asker rows; ``now`` (if given) is the last time it was asked."""
        await tx.execute(_RECOUNT, {"id": gap_id, "bonus": bonus, "now": None if now is None else to_iso(now)})

    # --- closing itself ---------------------------------------------------------------------------------------

    async def open_gaps_with_terms(
        self, tx: Reader, guild_ids: Sequence[int] | None, terms: Iterable[str]
    ) -> list[tuple[int, int, str]]:
        """``(gap_id, guild_id, term)`` of the open gaps (of these servers; None: of every server) with these terms."""
        params: dict[str, object] = {"terms": json.dumps(sorted(set(terms)), ensure_ascii=False)}
        sql = _GAPS_WITH_TERMS
        if guild_ids is not None:
            params["guilds"] = json.dumps(sorted(set(guild_ids)))
            sql = _GAPS_WITH_TERMS_IN
        rows = await tx.fetch_all(sql, params)
        return [(int(r["gap_id"]), int(r["guild_id"]), str(r["term"])) for r in rows]

    async def add_rechecks(self, tx: Transaction, pending: Iterable[tuple[int, int, int]]) -> None:
        """Queue ``(gap_id, guild_id, document_id)``: the gap is searched again for this freshly written document."""
        rows = [{"gap_id": g, "guild_id": s, "document_id": d} for g, s, d in sorted(set(pending))]
        await tx.executemany(_ADD_RECHECK, rows)

    async def pending_rechecks(self, guild_id: int, limit: int) -> dict[int, set[int]]:
        """Up to ``limit`` gaps of the server waiting for a re-check (by id), each with its fresh documents."""
        rows = await self._db.fetch_all(_PENDING, {"guild_id": guild_id, "limit": limit})
        pending: dict[int, set[int]] = {}
        for row in rows:
            pending.setdefault(int(row["gap_id"]), set()).add(int(row["document_id"]))
        return dict(sorted(pending.items()))

    async def clear_rechecks(self, tx: Transaction, done: Iterable[tuple[int, int]]) -> None:
        """Drop the ``(gap_id, document_id)`` re-checks that ran (ones queued meanwhile stay)."""
        await tx.executemany(_CLEAR_RECHECK, [{"gap_id": g, "document_id": d} for g, d in sorted(set(done))])

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
        if await tx.execute_rowcount(_CLOSE, params) != 1:
            return False
        await self._settled(tx, gap.id)
        return True

    async def dismiss(
        self, tx: Transaction, guild_id: int, gap_id: int, user_id: int, reason: str, now: datetime
    ) -> bool:
        """Dismiss an open gap; False if it is not open (any more)."""
        params = {"guild_id": guild_id, "id": gap_id, "user_id": user_id, "reason": reason, "now": to_iso(now)}
        if await tx.execute_rowcount(_DISMISS, params) != 1:
            return False
        await self._settled(tx, gap_id)
        return True

    @staticmethod
    async def _settled(tx: Transaction, gap_id: int) -> None:
        """A gap no longer open: nothing needs to find it or re-check it."""
        await tx.execute(_DROP_TERMS, {"id": gap_id})
        await tx.execute(_DROP_RECHECKS, {"id": gap_id})

    # --- privacy and retention --------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The gaps the member asked (in their own words, with how), and the gaps they dismissed as a moderator."""
        params = {"guild_id": guild_id, "user_id": user_id}
        asked = [dict(r) for r in await self._db.fetch_all(_EXPORT_ASKED, params)]
        dismissed = [dict(r) for r in await self._db.fetch_all(_EXPORT_DISMISSED, params)]
        out: dict[str, list[dict[str, Any]]] = {}
        if asked:
            out["knowledge_gaps_asked"] = asked
        if dismissed:
            out["knowledge_gaps_dismissed"] = dismissed
        return out

    async def asked_by(self, tx: Reader, guild_id: int, user_id: int) -> list[tuple[int, str]]:
        """``(gap_id, their wording)`` of every gap the member asked in this server."""
        rows = await tx.fetch_all(_ASKED_BY, {"guild_id": guild_id, "user_id": user_id})
        return [(int(r["gap_id"]), str(r["question"])) for r in rows]

    async def forget_asker(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's asker rows in this server; returns how many."""
        return await tx.execute_rowcount(_FORGET_ASKER, {"guild_id": guild_id, "user_id": user_id})

    async def wordings(self, tx: Reader, gap_id: int) -> list[str]:
        """The askers' own wordings of a gap, first asked first."""
        return [str(r["question"]) for r in await tx.fetch_all(_WORDINGS, {"id": gap_id})]

    async def delete(self, tx: Transaction, guild_id: int, gap_id: int) -> bool:
        """Delete a gap with its askers, terms and re-checks."""
        return await tx.execute_rowcount(_DELETE, {"guild_id": guild_id, "id": gap_id}) == 1

    async def reword(self, tx: Transaction, gap: Gap, question: str, signature: Signature) -> None:
        """Show the gap in another asker's words (and find it by them, while it is open)."""
        params = {"guild_id": gap.guild_id, "id": gap.id, "question": question, "signature": _encode(signature)}
        await tx.execute(_REWORD, params)
        await tx.execute(_DROP_TERMS, {"id": gap.id})
        if gap.status == "open":
            await self._set_terms(tx, gap.guild_id, gap.id, signature)

    async def forget_dismisser(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Gaps the member dismissed keep their reason, without the member's id."""
        params = {"guild_id": guild_id, "user_id": user_id, "forgotten": FORGOTTEN}
        return await tx.execute_rowcount(_FORGET_DISMISSER, params)

    async def purge(self, tx: Transaction, before: datetime) -> int:
        """Delete gaps closed or set aside before ``before``, and open ones not asked since; returns how many."""
        return await tx.execute_rowcount(_PURGE, {"before": to_iso(before)})


def _encode(signature: Signature) -> str:
    return json.dumps([sorted(keys) for keys in signature], ensure_ascii=False)


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
