"""SQL for introductions: match requests, the offerers asked for them, blocks between members, no-show streaks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.introductions.models import Introduction, MatchRequest
from bot.domain.matching import Reason
from bot.domain.privacy import FORGOTTEN
from bot.domain.skills.models import MatchFigures

_REQUEST = """
    SELECT id, guild_id, need_id, requester_id, status, created_at, updated_at FROM match_requests"""

_INTRO = """
    SELECT id, guild_id, request_id, requester_id, offerer_id, offer_id, reasons, score, status, asked_at, answer_due,
           notified_at, answered_at, opened_at, thread_id, opening_message_id, nudge_checked_at, nudged, checkin_at,
           requester_outcome, offerer_outcome
    FROM introductions"""

_LIVE_REQUEST = """
    SELECT id, guild_id, need_id, requester_id, status, created_at, updated_at FROM match_requests r
    WHERE guild_id = :guild_id AND need_id = :need_id
      AND (status = 'open' OR (status = 'matched' AND EXISTS (
          SELECT 1 FROM introductions i
          WHERE i.request_id = r.id AND i.status = 'accepted' AND i.checkin_at IS NULL)))"""

_OPEN_COUNTS = """
    SELECT offerer_id, count(*) AS n FROM introductions
    WHERE guild_id = :guild_id AND (status = 'asked' OR (status = 'accepted' AND checkin_at IS NULL))
    GROUP BY offerer_id"""

_OUTCOMES = """
    SELECT offerer_id, sum(outcome = 'helped') AS helped, sum(outcome = 'not_helped') AS not_helped
    FROM (SELECT offerer_id, coalesce(requester_outcome, offerer_outcome) AS outcome FROM introductions
          WHERE guild_id = :guild_id AND status = 'accepted')
    WHERE outcome IS NOT NULL
    GROUP BY offerer_id"""

_FIGURES = """
    SELECT (SELECT count(*) FROM match_requests WHERE guild_id = :guild_id) AS requested,
           count(*) AS asked,
           sum(status = 'accepted') AS accepted,
           sum(status = 'accepted' AND checkin_at IS NOT NULL) AS completed,
           sum(status = 'accepted' AND coalesce(requester_outcome, offerer_outcome) = 'helped') AS helped
    FROM introductions WHERE guild_id = :guild_id"""

_STREAK = """
    INSERT INTO match_members (guild_id, user_id, expired_in_row, updated_at) VALUES (:guild_id, :user_id, 1, :now)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET expired_in_row = expired_in_row + 1, updated_at = excluded.updated_at
    RETURNING expired_in_row"""

_RESET = """
    UPDATE match_members SET expired_in_row = 0, updated_at = :now
    WHERE guild_id = :guild_id AND user_id = :user_id AND expired_in_row > 0"""

_PAUSED = """
    UPDATE match_members SET expired_in_row = 0, paused_at = :now, updated_at = :now
    WHERE guild_id = :guild_id AND user_id = :user_id"""

_EXPORT: dict[str, str] = {
    "match_requests": """
        SELECT id, need_id, status, created_at, updated_at FROM match_requests
        WHERE guild_id = :guild_id AND requester_id = :user_id ORDER BY id""",
    # Whom a requester's declined or expired ask went to is never shown to the requester, not even here.
    "introductions": """
        SELECT id, request_id, CASE WHEN requester_id = :user_id THEN 'requester' ELSE 'offerer' END AS role,
               CASE WHEN status = 'accepted'
                    THEN CASE WHEN requester_id = :user_id THEN offerer_id ELSE requester_id END END AS other_member_id,
               CASE WHEN status = 'accepted' OR offerer_id = :user_id THEN offer_id END AS offer_id,
               status, asked_at, answer_due, answered_at, opened_at, thread_id, checkin_at,
               CASE WHEN requester_id = :user_id THEN requester_outcome ELSE offerer_outcome END AS outcome
        FROM introductions
        WHERE guild_id = :guild_id AND (requester_id = :user_id OR offerer_id = :user_id) ORDER BY id""",
    "match_blocks": """
        SELECT blocked_user_id, created_at FROM match_blocks
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY created_at""",
    "match_standing": """
        SELECT expired_in_row, paused_at, updated_at FROM match_members
        WHERE guild_id = :guild_id AND user_id = :user_id""",
}

_FORGET: tuple[str, ...] = (
    # the member's own open requests end, and so do the asks made for them
    """UPDATE introductions SET status = 'withdrawn', updated_at = :now
       WHERE guild_id = :guild_id AND requester_id = :user_id AND status = 'asked'""",
    """UPDATE match_requests SET status = 'cancelled', updated_at = :now
       WHERE guild_id = :guild_id AND requester_id = :user_id AND status = 'open'""",
    "UPDATE match_requests SET requester_id = :forgotten WHERE guild_id = :guild_id AND requester_id = :user_id",
    "UPDATE introductions SET requester_id = :forgotten WHERE guild_id = :guild_id AND requester_id = :user_id",
    "UPDATE introductions SET offerer_id = :forgotten WHERE guild_id = :guild_id AND offerer_id = :user_id",
    """DELETE FROM match_blocks
       WHERE guild_id = :guild_id AND (user_id = :user_id OR blocked_user_id = :user_id)""",
    "DELETE FROM match_members WHERE guild_id = :guild_id AND user_id = :user_id",
)

_WITHDRAW_ASKS_TO = """
    UPDATE introductions SET status = 'withdrawn', updated_at = :now
    WHERE guild_id = :guild_id AND offerer_id = :user_id AND status = 'asked'
    RETURNING request_id"""


class IntroductionsRepo:
    """Match requests, introductions, blocks and no-show streaks of one database. Writes take the caller's tx."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- requests ---------------------------------------------------------------------------------------------

    async def insert_request(
        self, tx: Transaction, guild_id: int, need_id: int, requester_id: int, now: datetime
    ) -> int:
        """Store a new open request; returns its id."""
        sql = """
            INSERT INTO match_requests (guild_id, need_id, requester_id, status, created_at, updated_at)
            VALUES (:guild_id, :need_id, :requester_id, 'open', :now, :now)"""
        params = {"guild_id": guild_id, "need_id": need_id, "requester_id": requester_id, "now": to_iso(now)}
        return await tx.execute(sql, params)

    async def request(self, guild_id: int, request_id: int, tx: Reader | None = None) -> MatchRequest | None:
        """One request of this server, or None."""
        row = await (tx or self._db).fetch_one(
            _REQUEST + " WHERE guild_id = :guild_id AND id = :id", _gid(guild_id, request_id)
        )
        return None if row is None else _to_request(row)

    async def live_request(self, tx: Reader, guild_id: int, need_id: int) -> MatchRequest | None:
        """The need's request that is still asking, or matched and not yet checked in."""
        row = await tx.fetch_one(_LIVE_REQUEST, {"guild_id": guild_id, "need_id": need_id})
        return None if row is None else _to_request(row)

    async def set_request_status(
        self, tx: Transaction, guild_id: int, request_id: int, status: str, now: datetime
    ) -> None:
        """Move a request on (matched, exhausted, cancelled)."""
        sql = "UPDATE match_requests SET status = :status, updated_at = :now WHERE guild_id = :guild_id AND id = :id"
        await tx.execute(sql, {**_gid(guild_id, request_id), "status": status, "now": to_iso(now)})

    async def requests_of(self, guild_id: int, user_id: int) -> list[MatchRequest]:
        """The member's requests that are asking or matched, newest first."""
        sql = (
            _REQUEST
            + """
            WHERE guild_id = :guild_id AND requester_id = :user_id AND status IN ('open', 'matched')
            ORDER BY id DESC LIMIT 10"""
        )
        return [_to_request(r) for r in await self._db.fetch_all(sql, _member(guild_id, user_id))]

    # --- introductions ----------------------------------------------------------------------------------------

    async def insert_introduction(
        self,
        tx: Transaction,
        request: MatchRequest,
        offerer_id: int,
        offer_id: int,
        reasons: Sequence[Reason],
        score: float,
        now: datetime,
        answer_due: datetime,
    ) -> int:
        """Ask an offerer for a request; returns the introduction's id."""
        sql = """
            INSERT INTO introductions (guild_id, request_id, requester_id, offerer_id, offer_id, reasons, score, status,
                                       asked_at, answer_due, created_at, updated_at)
            VALUES (:guild_id, :request_id, :requester_id, :offerer_id, :offer_id, :reasons, :score, 'asked',
                    :now, :answer_due, :now, :now)"""
        params = {
            "guild_id": request.guild_id,
            "request_id": request.id,
            "requester_id": request.requester_id,
            "offerer_id": offerer_id,
            "offer_id": offer_id,
            "reasons": json.dumps([list(r) for r in reasons]),
            "score": score,
            "now": to_iso(now),
            "answer_due": to_iso(answer_due),
        }
        return await tx.execute(sql, params)

    async def introduction(self, guild_id: int, intro_id: int, tx: Reader | None = None) -> Introduction | None:
        """One introduction of this server, or None."""
        row = await (tx or self._db).fetch_one(
            _INTRO + " WHERE guild_id = :guild_id AND id = :id", _gid(guild_id, intro_id)
        )
        return None if row is None else _to_introduction(row)

    async def move(
        self, tx: Transaction, intro: Introduction, to: str, now: datetime, *, answered: bool = False
    ) -> bool:
        """Change an introduction's status if it still has the one it was read with; False if it changed meanwhile."""
        sql = """
            UPDATE introductions
            SET status = :to, updated_at = :now, answered_at = CASE WHEN :answered THEN :now ELSE answered_at END
            WHERE guild_id = :guild_id AND id = :id AND status = :status"""
        params = {**_gid(intro.guild_id, intro.id), "to": to, "status": intro.status, "now": to_iso(now)}
        return await tx.execute_rowcount(sql, {**params, "answered": int(answered)}) == 1

    async def mark(self, tx: Transaction, intro: Introduction, step: str, now: datetime, **values: Any) -> bool:
        """Record a one-time step (``notified``, ``opened``, ``nudge_checked``, ``checkin``) once; False if done."""
        sql = _MARKS[step]
        params = {**_gid(intro.guild_id, intro.id), "now": to_iso(now), **values}
        return await tx.execute_rowcount(sql, params) == 1

    async def set_outcome(
        self, tx: Transaction, intro: Introduction, user_id: int, outcome: str, now: datetime
    ) -> bool:
        """Store one member's check-in answer (the requester's or the offerer's side)."""
        sql = _OUTCOME_REQUESTER if user_id == intro.requester_id else _OUTCOME_OFFERER
        return (
            await tx.execute_rowcount(sql, {**_gid(intro.guild_id, intro.id), "outcome": outcome, "now": to_iso(now)})
            == 1
        )

    async def of_request(self, request_id: int, tx: Reader | None = None) -> list[Introduction]:
        """Every introduction of one request, oldest first."""
        rows = await (tx or self._db).fetch_all(_INTRO + " WHERE request_id = :id ORDER BY id", {"id": request_id})
        return [_to_introduction(r) for r in rows]

    async def asks_to(self, guild_id: int, user_id: int) -> list[Introduction]:
        """Requests waiting for this member's answer, oldest first."""
        sql = _INTRO + " WHERE guild_id = :guild_id AND offerer_id = :user_id AND status = 'asked' ORDER BY id LIMIT 10"
        return [_to_introduction(r) for r in await self._db.fetch_all(sql, _member(guild_id, user_id))]

    async def accepted_with(self, guild_id: int, user_id: int) -> list[Introduction]:
        """Accepted introductions of this member (either side), newest first."""
        sql = (
            _INTRO
            + """
            WHERE guild_id = :guild_id AND status = 'accepted' AND (requester_id = :user_id OR offerer_id = :user_id)
            ORDER BY id DESC LIMIT 25"""
        )
        return [_to_introduction(r) for r in await self._db.fetch_all(sql, _member(guild_id, user_id))]

    # --- what matching needs ----------------------------------------------------------------------------------

    async def open_counts(self, tx: Reader, guild_id: int) -> dict[int, int]:
        """Per offerer: requests waiting for their answer plus accepted introductions not yet checked in."""
        return {int(r["offerer_id"]): int(r["n"]) for r in await tx.fetch_all(_OPEN_COUNTS, {"guild_id": guild_id})}

    async def declined_offerers(self, tx: Reader, guild_id: int, requester_id: int) -> set[int]:
        """Offerers who declined an introduction with this requester."""
        sql = """
            SELECT DISTINCT offerer_id FROM introductions
            WHERE guild_id = :guild_id AND requester_id = :user_id AND status = 'declined'"""
        return {int(r[0]) for r in await tx.fetch_all(sql, _member(guild_id, requester_id))}

    async def outcomes(self, tx: Reader, guild_id: int) -> dict[int, tuple[int, int]]:
        """Per offerer: check-ins that said it helped, and that said it did not."""
        rows = await tx.fetch_all(_OUTCOMES, {"guild_id": guild_id})
        return {int(r["offerer_id"]): (int(r["helped"] or 0), int(r["not_helped"] or 0)) for r in rows}

    async def blocks(self, tx: Reader, guild_id: int) -> list[tuple[int, int]]:
        """Every (blocker, blocked) pair of the server."""
        sql = "SELECT user_id, blocked_user_id FROM match_blocks WHERE guild_id = :guild_id"
        return [(int(r[0]), int(r[1])) for r in await tx.fetch_all(sql, {"guild_id": guild_id})]

    async def figures(self, guild_id: int) -> MatchFigures:
        """How many requests, asks, acceptances, check-ins and helped outcomes the server had."""
        row = await self._db.fetch_one(_FIGURES, {"guild_id": guild_id})
        if row is None:
            return MatchFigures()
        return MatchFigures(*(int(row[k] or 0) for k in ("requested", "asked", "accepted", "completed", "helped")))

    # --- blocks and streaks -----------------------------------------------------------------------------------

    async def block(self, tx: Transaction, guild_id: int, user_id: int, other_id: int, now: datetime) -> bool:
        """Record that the member blocked another; False if they had already."""
        sql = """
            INSERT INTO match_blocks (guild_id, user_id, blocked_user_id, created_at)
            VALUES (:guild_id, :user_id, :other, :now) ON CONFLICT DO NOTHING"""
        return (
            await tx.execute_rowcount(sql, {**_member(guild_id, user_id), "other": other_id, "now": to_iso(now)}) == 1
        )

    async def unblock(self, tx: Transaction, guild_id: int, user_id: int, other_id: int) -> bool:
        """Remove a block; False if there was none."""
        sql = "DELETE FROM match_blocks WHERE guild_id = :guild_id AND user_id = :user_id AND blocked_user_id = :other"
        return await tx.execute_rowcount(sql, {**_member(guild_id, user_id), "other": other_id}) == 1

    async def bump_streak(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> int:
        """One more request to this member expired unanswered; returns how many in a row now."""
        rows = await tx.execute_returning(_STREAK, {**_member(guild_id, user_id), "now": to_iso(now)})
        return int(rows[0][0])

    async def reset_streak(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> None:
        """The member answered a request: the run of expired ones ends."""
        await tx.execute(_RESET, {**_member(guild_id, user_id), "now": to_iso(now)})

    async def mark_paused(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> None:
        """The member's offers were paused for expired requests: record when, and start counting afresh."""
        await tx.execute(_PAUSED, {**_member(guild_id, user_id), "now": to_iso(now)})

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's requests, introductions (never who declined them), blocks and standing."""
        params = _member(guild_id, user_id)
        return {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> tuple[int, list[int]]:
        """Withdraw asks to and from the member, end their open requests, anonymise them in the rest, drop blocks.

        Returns the rows touched and the open requests whose ask to the member was withdrawn (they move on).
        """
        params = {**_member(guild_id, user_id), "now": to_iso(now), "forgotten": FORGOTTEN}
        moved = [int(r[0]) for r in await tx.execute_returning(_WITHDRAW_ASKS_TO, params)]
        touched = len(moved)
        for sql in _FORGET:
            touched += await tx.execute_rowcount(sql, params)
        return touched, moved


_MARKS: dict[str, str] = {
    "notified": """
        UPDATE introductions SET notified_at = :now, updated_at = :now
        WHERE guild_id = :guild_id AND id = :id AND status = 'asked' AND notified_at IS NULL""",
    "opened": """
        UPDATE introductions SET opened_at = :now, thread_id = :thread_id, opening_message_id = :message_id,
               updated_at = :now
        WHERE guild_id = :guild_id AND id = :id AND status = 'accepted' AND opened_at IS NULL""",
    "nudge_checked": """
        UPDATE introductions SET nudge_checked_at = :now, nudged = :nudged, updated_at = :now
        WHERE guild_id = :guild_id AND id = :id AND status = 'accepted' AND nudge_checked_at IS NULL""",
    "checkin": """
        UPDATE introductions SET checkin_at = :now, updated_at = :now
        WHERE guild_id = :guild_id AND id = :id AND status = 'accepted' AND checkin_at IS NULL""",
}

_OUTCOME_REQUESTER = """
    UPDATE introductions SET requester_outcome = :outcome, updated_at = :now
    WHERE guild_id = :guild_id AND id = :id AND status = 'accepted' AND checkin_at IS NOT NULL"""
_OUTCOME_OFFERER = """
    UPDATE introductions SET offerer_outcome = :outcome, updated_at = :now
    WHERE guild_id = :guild_id AND id = :id AND status = 'accepted' AND checkin_at IS NOT NULL"""


def _gid(guild_id: int, row_id: int) -> dict[str, Any]:
    return {"guild_id": guild_id, "id": row_id}


def _member(guild_id: int, user_id: int) -> dict[str, Any]:
    return {"guild_id": guild_id, "user_id": user_id}


def _to_request(row: sqlite3.Row) -> MatchRequest:
    return MatchRequest(
        id=row["id"],
        guild_id=row["guild_id"],
        need_id=row["need_id"],
        requester_id=row["requester_id"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _to_introduction(row: sqlite3.Row) -> Introduction:
    reasons: tuple[Reason, ...] = tuple((str(r[0]), *r[1:]) for r in json.loads(row["reasons"]) if r)
    return Introduction(
        id=row["id"],
        guild_id=row["guild_id"],
        request_id=row["request_id"],
        requester_id=row["requester_id"],
        offerer_id=row["offerer_id"],
        offer_id=row["offer_id"],
        reasons=reasons,
        score=float(row["score"]),
        status=row["status"],
        asked_at=row["asked_at"],
        answer_due=row["answer_due"],
        notified_at=row["notified_at"],
        answered_at=row["answered_at"],
        opened_at=row["opened_at"],
        thread_id=row["thread_id"],
        opening_message_id=row["opening_message_id"],
        nudge_checked_at=row["nudge_checked_at"],
        nudged=bool(row["nudged"]),
        checkin_at=row["checkin_at"],
        requester_outcome=row["requester_outcome"],
        offerer_outcome=row["offerer_outcome"],
    )
