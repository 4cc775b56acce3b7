"""SQL for routing: questions being routed, the members asked, and the offers of members who may be asked."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.privacy import FORGOTTEN
from bot.domain.routing.models import Ask, Candidate, RoutingRequest

_REQUEST_COLUMNS = """
    id, guild_id, thread_id, asker_id, origin, status, skills, helper_id, told_at, created_at, updated_at"""

_INSERT_REQUEST = """
    INSERT INTO routing_requests (guild_id, thread_id, asker_id, origin, skills, created_at, updated_at)
    VALUES (:guild_id, :thread_id, :asker_id, :origin, :skills, :now, :now)
    ON CONFLICT (guild_id, thread_id) DO NOTHING
    RETURNING id"""

_SELECT_REQUEST = "SELECT" + _REQUEST_COLUMNS + " FROM routing_requests"

_REQUEST = _SELECT_REQUEST + " WHERE guild_id = :guild_id AND id = :id"

_REQUEST_BY_THREAD = _SELECT_REQUEST + " WHERE guild_id = :guild_id AND thread_id = :thread_id"

_SET_STATUS = """
    UPDATE routing_requests SET status = :status, helper_id = :helper_id, updated_at = :now
    WHERE id = :id AND status = :expected"""

_CLAIM_TOLD = "UPDATE routing_requests SET told_at = :now WHERE id = :id AND told_at IS NULL"

_RELEASE_TOLD = "UPDATE routing_requests SET told_at = NULL WHERE id = :id AND told_at = :at"

_ASK_COLUMNS = """
    id, guild_id, request_id, helper_id, offer_id, position, status, channel, delivered_at, asked_at, expires_at,
    answered_at"""

_SELECT_ASK = "SELECT" + _ASK_COLUMNS + " FROM routing_asks"

_ASKS_OF = _SELECT_ASK + " WHERE request_id = :request_id ORDER BY position"

_ASK = _SELECT_ASK + " WHERE guild_id = :guild_id AND id = :id"

_PENDING_FOR = (
    _SELECT_ASK
    + """
    WHERE guild_id = :guild_id AND helper_id = :helper_id AND status = 'pending'
    ORDER BY asked_at, id"""
)

_INSERT_ASK = """
    INSERT INTO routing_asks (guild_id, request_id, helper_id, offer_id, position, asked_at, expires_at)
    VALUES (:guild_id, :request_id, :helper_id, :offer_id, :position, :now, :expires_at)"""

_ANSWER_ASK = """
    UPDATE routing_asks SET status = :status, answered_at = :now WHERE id = :id AND status = 'pending'"""

_WITHDRAW = """
    UPDATE routing_asks SET status = 'withdrawn', answered_at = :now
    WHERE request_id = :request_id AND status = 'pending'
    RETURNING id"""

_CLAIM_DELIVERY = """
    UPDATE routing_asks SET channel = :channel, delivered_at = :now
    WHERE id = :id AND status = 'pending' AND (delivered_at IS NULL OR (:switch AND channel = 'dm'))"""

_RELEASE_DELIVERY = """
    UPDATE routing_asks SET channel = NULL, delivered_at = NULL WHERE id = :id AND channel = 'dm'"""

# Offers members may be asked about: active (not expired), of members who opted in to being asked; paused
# offers are returned too (the matcher leaves them out, and says so in tests).
_CANDIDATES = """
    SELECT l.id AS offer_id, l.user_id, l.skill, l.skill_text, l.level, l.format, l.mentor, l.capacity,
           l.paused_until, p.org_type, p.org_size, p.region, p.languages
    FROM skill_listings AS l
    JOIN member_profiles AS p ON p.guild_id = l.guild_id AND p.user_id = l.user_id
    WHERE l.guild_id = :guild_id AND l.kind = 'offer' AND l.expires_at > :now AND p.askable = 1
      AND l.user_id <> :asker_id
    ORDER BY l.id"""

_WEEKLY = """
    SELECT helper_id, count(*) AS n FROM routing_asks
    WHERE guild_id = :guild_id AND asked_at > :since
    GROUP BY helper_id"""

# A member's open load: questions waiting for their answer, and questions they took recently that are still open.
_LOADS = """
    SELECT helper_id, count(*) AS n FROM (
        SELECT helper_id FROM routing_asks WHERE guild_id = :guild_id AND status = 'pending'
        UNION ALL
        SELECT r.helper_id FROM routing_requests AS r
        JOIN help_posts AS h ON h.thread_id = r.thread_id AND h.guild_id = r.guild_id
        WHERE r.guild_id = :guild_id AND r.status = 'taken' AND h.status = 'open' AND r.updated_at > :since)
    GROUP BY helper_id"""

_OFFER_SKILL = "SELECT skill, skill_text FROM skill_listings WHERE guild_id = :guild_id AND id = :id"

_EXPORT: dict[str, str] = {
    "routing_questions": """
        SELECT thread_id, origin, status, created_at, updated_at FROM routing_requests
        WHERE guild_id = :guild_id AND asker_id = :user_id ORDER BY id""",
    "routing_asked": """
        SELECT r.thread_id, a.status, a.channel, a.asked_at, a.expires_at, a.answered_at
        FROM routing_asks AS a JOIN routing_requests AS r ON r.id = a.request_id
        WHERE a.guild_id = :guild_id AND a.helper_id = :user_id ORDER BY a.id""",
    "routing_taken": """
        SELECT thread_id, status, updated_at FROM routing_requests
        WHERE guild_id = :guild_id AND helper_id = :user_id ORDER BY id""",
}

_STALLED_BY = """
    SELECT DISTINCT request_id FROM routing_asks
    WHERE guild_id = :guild_id AND helper_id = :user_id AND status = 'pending'"""

_FORGET: tuple[str, ...] = (
    "DELETE FROM routing_requests WHERE guild_id = :guild_id AND asker_id = :user_id",
    "DELETE FROM routing_asks WHERE guild_id = :guild_id AND helper_id = :user_id",
    "UPDATE routing_requests SET helper_id = :forgotten WHERE guild_id = :guild_id AND helper_id = :user_id",
)


class RoutingRepo:
    """Routing requests and asks. Writes run in the caller's transaction; it never opens one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- requests -----------------------------------------------------------------------------------------

    async def insert_request(
        self,
        tx: Transaction,
        *,
        guild_id: int,
        thread_id: int,
        asker_id: int,
        origin: str,
        skills: Sequence[str],
        now: datetime,
    ) -> int | None:
        """Store a new request; None (nothing stored) if the thread is routed already."""
        params = {
            "guild_id": guild_id,
            "thread_id": thread_id,
            "asker_id": asker_id,
            "origin": origin,
            "skills": json.dumps(list(skills)),
            "now": to_iso(now),
        }
        rows = await tx.execute_returning(_INSERT_REQUEST, params)
        return int(rows[0]["id"]) if rows else None

    async def request(self, guild_id: int, request_id: int, tx: Reader | None = None) -> RoutingRequest | None:
        """One request of this server, or None."""
        row = await (tx or self._db).fetch_one(_REQUEST, {"guild_id": guild_id, "id": request_id})
        return None if row is None else _to_request(row)

    async def request_by_thread(self, guild_id: int, thread_id: int, tx: Reader | None = None) -> RoutingRequest | None:
        """The request of a help post, or None if it was never routed."""
        row = await (tx or self._db).fetch_one(_REQUEST_BY_THREAD, {"guild_id": guild_id, "thread_id": thread_id})
        return None if row is None else _to_request(row)

    async def set_status(
        self, tx: Transaction, request_id: int, expected: str, status: str, helper_id: int | None, now: datetime
    ) -> bool:
        """Move a request from ``expected`` to ``status``; False if it was no longer ``expected``."""
        params = {"id": request_id, "expected": expected, "status": status, "helper_id": helper_id, "now": to_iso(now)}
        return await tx.execute_rowcount(_SET_STATUS, params) == 1

    async def claim_told(self, tx: Transaction, request_id: int, now: datetime) -> bool:
        """Record that the thread is being told the outcome; False if that was recorded already."""
        return await tx.execute_rowcount(_CLAIM_TOLD, {"id": request_id, "now": to_iso(now)}) == 1

    async def release_told(self, tx: Transaction, request_id: int, at: datetime) -> None:
        """Undo :meth:`claim_told` of moment ``at`` (telling failed and will be tried again)."""
        await tx.execute(_RELEASE_TOLD, {"id": request_id, "at": to_iso(at)})

    # --- asks ---------------------------------------------------------------------------------------------

    async def asks_of(self, request_id: int, tx: Reader | None = None) -> list[Ask]:
        """Every member asked for a request, in order."""
        return [_to_ask(r) for r in await (tx or self._db).fetch_all(_ASKS_OF, {"request_id": request_id})]

    async def ask(self, guild_id: int, ask_id: int, tx: Reader | None = None) -> Ask | None:
        """One ask of this server, or None."""
        row = await (tx or self._db).fetch_one(_ASK, {"guild_id": guild_id, "id": ask_id})
        return None if row is None else _to_ask(row)

    async def pending_for(self, guild_id: int, helper_id: int) -> list[Ask]:
        """The questions waiting for this member's answer, oldest first."""
        rows = await self._db.fetch_all(_PENDING_FOR, {"guild_id": guild_id, "helper_id": helper_id})
        return [_to_ask(r) for r in rows]

    async def insert_ask(
        self,
        tx: Transaction,
        *,
        request: RoutingRequest,
        helper_id: int,
        offer_id: int,
        position: int,
        now: datetime,
        expires_at: datetime,
    ) -> int:
        """Store that a member is asked now; returns the ask's id."""
        params = {
            "guild_id": request.guild_id,
            "request_id": request.id,
            "helper_id": helper_id,
            "offer_id": offer_id,
            "position": position,
            "now": to_iso(now),
            "expires_at": to_iso(expires_at),
        }
        return await tx.execute(_INSERT_ASK, params)

    async def answer_ask(self, tx: Transaction, ask_id: int, status: str, now: datetime) -> bool:
        """Close a pending ask as taken, declined or expired; False if it was no longer pending."""
        return await tx.execute_rowcount(_ANSWER_ASK, {"id": ask_id, "status": status, "now": to_iso(now)}) == 1

    async def withdraw(self, tx: Transaction, request_id: int, now: datetime) -> list[int]:
        """Withdraw a request's pending ask (the question ended meanwhile); returns the withdrawn asks' ids."""
        rows = await tx.execute_returning(_WITHDRAW, {"request_id": request_id, "now": to_iso(now)})
        return [int(r["id"]) for r in rows]

    async def claim_delivery(
        self, tx: Transaction, ask_id: int, channel: str, now: datetime, *, switch: bool = False
    ) -> bool:
        """Record how the member is asked, before asking: False if that was recorded already (or it is not pending).

        With ``switch`` a recorded DM may become a notice (the DM was refused).
        """
        params = {"id": ask_id, "channel": channel, "now": to_iso(now), "switch": int(switch)}
        return await tx.execute_rowcount(_CLAIM_DELIVERY, params) == 1

    async def release_delivery(self, tx: Transaction, ask_id: int) -> None:
        """Forget a recorded DM that could not be sent (it is tried again)."""
        await tx.execute(_RELEASE_DELIVERY, {"id": ask_id})

    # --- choosing whom to ask ---------------------------------------------------------------------------------

    async def candidates(self, tx: Reader, guild_id: int, asker_id: int, now: datetime) -> list[Candidate]:
        """Active offers of members who opted in to being asked (never the asker's own)."""
        params = {"guild_id": guild_id, "asker_id": asker_id, "now": to_iso(now)}
        return [_to_candidate(r) for r in await tx.fetch_all(_CANDIDATES, params)]

    async def weekly_counts(self, tx: Reader, guild_id: int, since: datetime) -> dict[int, int]:
        """How often each member was asked since ``since``."""
        rows = await tx.fetch_all(_WEEKLY, {"guild_id": guild_id, "since": to_iso(since)})
        return {int(r["helper_id"]): int(r["n"]) for r in rows}

    async def loads(self, tx: Reader, guild_id: int, taken_since: datetime) -> dict[int, int]:
        """Each member's open load: pending asks, plus open questions they took since ``taken_since``."""
        rows = await tx.fetch_all(_LOADS, {"guild_id": guild_id, "since": to_iso(taken_since)})
        return {int(r["helper_id"]): int(r["n"]) for r in rows}

    async def offer_skill(self, guild_id: int, offer_id: int) -> tuple[str | None, str | None]:
        """The skill (taxonomy key, or the member's own words) of an offer; (None, None) if it is gone."""
        row = await self._db.fetch_one(_OFFER_SKILL, {"guild_id": guild_id, "id": offer_id})
        return (None, None) if row is None else (row["skill"], row["skill_text"])

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's routed questions, the questions they were asked to help with, and those they took."""
        params = {"guild_id": guild_id, "user_id": user_id}
        return {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> tuple[int, list[int]]:
        """Delete the member's requests and asks; a question they took keeps its status without their id.

        Returns the rows touched and the requests that were waiting for the member's answer (to ask the next).
        """
        params = {"guild_id": guild_id, "user_id": user_id}
        stalled = [int(r["request_id"]) for r in await tx.fetch_all(_STALLED_BY, params)]
        touched = 0
        for sql in _FORGET:
            touched += await tx.execute_rowcount(sql, {**params, "forgotten": FORGOTTEN})
        return touched, stalled


def _to_request(row: sqlite3.Row) -> RoutingRequest:
    return RoutingRequest(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        thread_id=int(row["thread_id"]),
        asker_id=int(row["asker_id"]),
        origin=row["origin"],
        status=row["status"],
        skills=tuple(json.loads(row["skills"])),
        helper_id=row["helper_id"],
        told_at=row["told_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _to_ask(row: sqlite3.Row) -> Ask:
    return Ask(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        request_id=int(row["request_id"]),
        helper_id=int(row["helper_id"]),
        offer_id=int(row["offer_id"]),
        position=int(row["position"]),
        status=row["status"],
        channel=row["channel"],
        delivered_at=row["delivered_at"],
        asked_at=row["asked_at"],
        expires_at=row["expires_at"],
        answered_at=row["answered_at"],
    )


def _to_candidate(row: sqlite3.Row) -> Candidate:
    return Candidate(
        offer_id=int(row["offer_id"]),
        user_id=int(row["user_id"]),
        skill=row["skill"],
        skill_text=row["skill_text"],
        level=row["level"] or "intermediate",
        format=row["format"] or "1:1",
        mentor=bool(row["mentor"]),
        capacity=int(row["capacity"]),
        paused_until=row["paused_until"],
        org_type=row["org_type"],
        org_size=row["org_size"],
        region=row["region"],
        languages=tuple(json.loads(row["languages"] or "[]")),
    )
