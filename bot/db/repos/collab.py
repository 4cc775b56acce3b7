"""SQL for the collaboration board: proposals and members' requests to join them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.privacy import neutralise_text
from bot.domain.collab.models import Draft, Partner, Proposal
from bot.domain.privacy import FORGOTTEN

_PROPOSAL_COLUMNS = """
    id, guild_id, owner_id, title, goal, partners, themes, deadline_date, deadline_at, status, outcome,
    outcome_note, removed_by, reason, version, created_at, updated_at, closed_at"""

_SELECT = "SELECT" + _PROPOSAL_COLUMNS + " FROM collab_proposals"

_GET = _SELECT + " WHERE guild_id = :guild_id AND id = :id"

_INSERT = """
    INSERT INTO collab_proposals
        (guild_id, owner_id, title, goal, partners, themes, deadline_date, deadline_at, created_at, updated_at)
    VALUES (:guild_id, :owner_id, :title, :goal, :partners, :themes, :deadline_date, :deadline_at, :now, :now)
    RETURNING id"""

_EDIT = """
    UPDATE collab_proposals
    SET title = :title, goal = :goal, partners = :partners, themes = :themes, deadline_date = :deadline_date,
        deadline_at = :deadline_at, version = version + 1, updated_at = :now
    WHERE guild_id = :guild_id AND id = :id AND status = 'open' AND version = :version"""

_CLOSE = """
    UPDATE collab_proposals
    SET status = :status, outcome = :outcome, outcome_note = :note, removed_by = :removed_by, reason = :reason,
        version = version + 1, updated_at = :now, closed_at = :now
    WHERE guild_id = :guild_id AND id = :id AND status = 'open'"""

# a moderator's removal from any status but removed: when a closed or expired one ended is kept; a closed one's
# outcome and note go (only a closed proposal has an outcome; the audit entry keeps the previous status)
_REMOVE = """
    UPDATE collab_proposals
    SET status = 'removed', removed_by = :removed_by, reason = :reason, outcome = NULL, outcome_note = NULL,
        version = version + 1, updated_at = :now, closed_at = coalesce(closed_at, :now)
    WHERE guild_id = :guild_id AND id = :id AND status = :previous AND status <> 'removed'"""

# open proposals (of one theme, if given) whose deadline has not passed, nearest deadline first; one past its
# deadline is no longer shown even before its expiry job ran (the bot was down, or the job is late)
_THEME_FILTER = """
    guild_id = :guild_id AND status = 'open' AND deadline_at > :now
    AND (:theme IS NULL OR EXISTS (SELECT 1 FROM json_each(collab_proposals.themes) WHERE value = :theme))"""

_OPEN_PAGE = _SELECT + " WHERE" + _THEME_FILTER + " ORDER BY deadline_at, id LIMIT :limit OFFSET :offset"

_OPEN_COUNT = """
    SELECT count(*) FROM collab_proposals
    WHERE guild_id = :guild_id AND status = 'open' AND deadline_at > :now
    AND (:theme IS NULL OR EXISTS (SELECT 1 FROM json_each(collab_proposals.themes) WHERE value = :theme))"""

# autocomplete: open proposals before their deadline (and, with :owner_id, that member's own of any status), by
# number or title
_LOOKUP = (
    _SELECT
    + """
    WHERE guild_id = :guild_id
      AND ((status = 'open' AND deadline_at > :now) OR owner_id = :owner_id)
      AND (:text = '' OR CAST(id AS TEXT) = :text OR instr(lower(title), lower(:text)) > 0)
    ORDER BY status = 'open' DESC, deadline_at, id
    LIMIT :limit"""
)

# new in the digest's window, and still open when the window ends and now (a late digest skips what passed)
_NEW_OPEN = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND status = 'open'
      AND created_at >= :since AND created_at < :until AND deadline_at > :until AND deadline_at > :now
    ORDER BY deadline_at, id
    LIMIT :limit"""
)

_OPEN_IDS = """
    SELECT id FROM collab_proposals
    WHERE guild_id = :guild_id AND status = 'open' AND deadline_at > :now
      AND id IN (SELECT value FROM json_each(:ids))"""

_PARTNER_COLUMNS = " id, guild_id, proposal_id, member_id, status, told, created_at, answered_at"

_PARTNERS = (
    "SELECT"
    + _PARTNER_COLUMNS
    + " FROM collab_partners WHERE guild_id = :guild_id AND proposal_id = :proposal_id ORDER BY id"
)

_PARTNER = "SELECT" + _PARTNER_COLUMNS + " FROM collab_partners WHERE guild_id = :guild_id AND id = :id"

_JOIN = """
    INSERT INTO collab_partners (guild_id, proposal_id, member_id, created_at)
    VALUES (:guild_id, :proposal_id, :member_id, :now)
    ON CONFLICT (proposal_id, member_id) DO NOTHING
    RETURNING id"""

_ANSWER = """
    UPDATE collab_partners SET status = :status, answered_at = :now
    WHERE guild_id = :guild_id AND id = :id AND status = 'pending'"""

_TOLD = """
    UPDATE collab_partners SET told = :told, told_at = :now
    WHERE guild_id = :guild_id AND id = :id AND told IS NULL AND status = 'pending'"""

_EXPORT_PROPOSALS = """
    SELECT id, title, goal, partners, themes, deadline_date, status, outcome, outcome_note, created_at, closed_at
    FROM collab_proposals WHERE guild_id = :guild_id AND owner_id = :user_id ORDER BY id"""

_EXPORT_JOINS = """
    SELECT p.id, p.proposal_id, c.title AS proposal_title, p.status, p.created_at, p.answered_at
    FROM collab_partners p JOIN collab_proposals c ON c.id = p.proposal_id
    WHERE p.guild_id = :guild_id AND p.member_id = :user_id ORDER BY p.id"""

_EXPORT_REMOVALS = """
    SELECT id, reason, closed_at FROM collab_proposals
    WHERE guild_id = :guild_id AND removed_by = :user_id ORDER BY id"""

_OWNED = "SELECT id, deadline_at FROM collab_proposals WHERE guild_id = :guild_id AND owner_id = :user_id"

_FORGET_OWNED = "DELETE FROM collab_proposals WHERE guild_id = :guild_id AND owner_id = :user_id"

_FORGET_JOINS = "DELETE FROM collab_partners WHERE guild_id = :guild_id AND member_id = :user_id"

_FORGET_REMOVER = """
    UPDATE collab_proposals SET removed_by = :forgotten WHERE guild_id = :guild_id AND removed_by = :user_id"""

_TEXT_COLUMNS = ("title", "goal", "partners", "outcome_note", "reason")


class CollabRepo:
    """Proposals and join requests. Writes run in the caller's transaction; it never opens one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- proposals -------------------------------------------------------------------------------------------

    async def get(self, guild_id: int, proposal_id: int, tx: Reader | None = None) -> Proposal | None:
        """One proposal of this server, or None."""
        row = await (tx or self._db).fetch_one(_GET, {"guild_id": guild_id, "id": proposal_id})
        return None if row is None else _to_proposal(row)

    async def insert(
        self, tx: Transaction, guild_id: int, owner_id: int, draft: Draft, deadline_at: datetime, now: datetime
    ) -> int:
        """Store a new open proposal; returns its id."""
        params = {"guild_id": guild_id, "owner_id": owner_id, **_fields(draft, deadline_at), "now": to_iso(now)}
        rows = await tx.execute_returning(_INSERT, params)
        return int(rows[0]["id"])

    async def edit(
        self, tx: Transaction, proposal: Proposal, draft: Draft, deadline_at: datetime, now: datetime
    ) -> bool:
        """Change an open proposal's fields; False if it changed meanwhile (another version) or is no longer open."""
        params = {
            "guild_id": proposal.guild_id,
            "id": proposal.id,
            "version": proposal.version,
            **_fields(draft, deadline_at),
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_EDIT, params) == 1

    async def end(
        self,
        tx: Transaction,
        guild_id: int,
        proposal_id: int,
        status: str,
        now: datetime,
        *,
        outcome: str | None = None,
        note: str | None = None,
        removed_by: int | None = None,
        reason: str | None = None,
    ) -> bool:
        """Close an open proposal (closed, expired or removed); False if it was no longer open."""
        params = {
            "guild_id": guild_id,
            "id": proposal_id,
            "status": status,
            "outcome": outcome,
            "note": note,
            "removed_by": removed_by,
            "reason": reason,
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_CLOSE, params) == 1

    async def remove(
        self,
        tx: Transaction,
        guild_id: int,
        proposal_id: int,
        previous: str,
        now: datetime,
        *,
        removed_by: int,
        reason: str,
    ) -> bool:
        """A moderator's removal of a proposal that still has status ``previous`` (anything but removed).

        One that ended keeps the moment it ended (a closed one loses its outcome); False if its status changed.
        """
        params = {
            "guild_id": guild_id,
            "id": proposal_id,
            "previous": previous,
            "removed_by": removed_by,
            "reason": reason,
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_REMOVE, params) == 1

    async def open_page(
        self, guild_id: int, theme: str | None, offset: int, limit: int, now: datetime
    ) -> tuple[list[Proposal], int]:
        """One page of open proposals (of one theme) before their deadline, nearest first; plus the total."""
        params = {"guild_id": guild_id, "theme": theme, "offset": offset, "limit": limit, "now": to_iso(now)}
        async with self._db.snapshot() as read:
            rows = await read.fetch_all(_OPEN_PAGE, params)
            total = int(await read.fetch_value(_OPEN_COUNT, params) or 0)
        return [_to_proposal(r) for r in rows], total

    async def lookup(self, guild_id: int, text: str, owner_id: int | None, limit: int, now: datetime) -> list[Proposal]:
        """Open proposals before their deadline (and the owner's own) whose number is ``text`` or title contains it."""
        params = {"guild_id": guild_id, "text": text, "owner_id": owner_id, "limit": limit, "now": to_iso(now)}
        return [_to_proposal(r) for r in await self._db.fetch_all(_LOOKUP, params)]

    async def new_open(
        self, guild_id: int, since: datetime, until: datetime, limit: int, now: datetime
    ) -> list[Proposal]:
        """Proposals made in ``[since, until)`` still open after ``until`` and ``now``, nearest deadline first."""
        params = {
            "guild_id": guild_id,
            "since": to_iso(since),
            "until": to_iso(until),
            "limit": limit,
            "now": to_iso(now),
        }
        return [_to_proposal(r) for r in await self._db.fetch_all(_NEW_OPEN, params)]

    async def open_among(self, guild_id: int, ids: Collection[int], now: datetime) -> set[int]:
        """Which of these proposals are still open, their deadline not passed at ``now``."""
        if not ids:
            return set()
        params = {"guild_id": guild_id, "ids": json.dumps(sorted(set(ids))), "now": to_iso(now)}
        rows = await self._db.fetch_all(_OPEN_IDS, params)
        return {int(r["id"]) for r in rows}

    # --- join requests ---------------------------------------------------------------------------------------

    async def partners(self, guild_id: int, proposal_id: int, tx: Reader | None = None) -> list[Partner]:
        """Every request to join a proposal, oldest first."""
        rows = await (tx or self._db).fetch_all(_PARTNERS, {"guild_id": guild_id, "proposal_id": proposal_id})
        return [_to_partner(r) for r in rows]

    async def partner(self, guild_id: int, partner_id: int, tx: Reader | None = None) -> Partner | None:
        """One join request of this server, or None."""
        row = await (tx or self._db).fetch_one(_PARTNER, {"guild_id": guild_id, "id": partner_id})
        return None if row is None else _to_partner(row)

    async def join(self, tx: Transaction, guild_id: int, proposal_id: int, member_id: int, now: datetime) -> int | None:
        """Record a member's request to join; None if they asked before."""
        params = {"guild_id": guild_id, "proposal_id": proposal_id, "member_id": member_id, "now": to_iso(now)}
        rows = await tx.execute_returning(_JOIN, params)
        return int(rows[0]["id"]) if rows else None

    async def answer(self, tx: Transaction, guild_id: int, partner_id: int, accepted: bool, now: datetime) -> bool:
        """Accept or decline a waiting request; False if it was answered before."""
        params = {
            "guild_id": guild_id,
            "id": partner_id,
            "status": "accepted" if accepted else "declined",
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_ANSWER, params) == 1

    async def mark_told(self, tx: Transaction, guild_id: int, partner_id: int, told: str, now: datetime) -> bool:
        """Record how the owner was told about a waiting request; False if that was recorded before."""
        params = {"guild_id": guild_id, "id": partner_id, "told": told, "now": to_iso(now)}
        return await tx.execute_rowcount(_TOLD, params) == 1

    # --- privacy ---------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's proposals, their requests to join others', and proposals they removed as a moderator."""
        params = {"guild_id": guild_id, "user_id": user_id}
        proposals = []
        for row in await self._db.fetch_all(_EXPORT_PROPOSALS, params):
            item = dict(row)
            item["themes"] = json.loads(item["themes"])
            proposals.append(item)
        joins = [dict(r) for r in await self._db.fetch_all(_EXPORT_JOINS, params)]
        removals = [dict(r) for r in await self._db.fetch_all(_EXPORT_REMOVALS, params)]
        return {"collab_proposals": proposals, "collab_joins": joins, "collab_removals": removals}

    async def owned(self, tx: Transaction, guild_id: int, user_id: int) -> list[tuple[int, str]]:
        """The id and deadline moment of every proposal the member owns (to cancel their jobs on forget)."""
        rows = await tx.fetch_all(_OWNED, {"guild_id": guild_id, "user_id": user_id})
        return [(int(r["id"]), str(r["deadline_at"])) for r in rows]

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's proposals (with their requests) and requests; anonymise removals; mask their id."""
        params = {"guild_id": guild_id, "user_id": user_id}
        touched = await tx.execute_rowcount(_FORGET_OWNED, params)
        touched += await tx.execute_rowcount(_FORGET_JOINS, params)
        touched += await tx.execute_rowcount(_FORGET_REMOVER, {**params, "forgotten": FORGOTTEN})
        masked = await neutralise_text(
            tx, "collab_proposals", _TEXT_COLUMNS, guild_id, user_id, key="id", versioned=True
        )
        return touched + len(masked)


def _fields(draft: Draft, deadline_at: datetime) -> dict[str, Any]:
    return {
        "title": draft.title,
        "goal": draft.goal,
        "partners": draft.partners,
        "themes": json.dumps(list(draft.themes)),
        "deadline_date": draft.deadline,
        "deadline_at": to_iso(deadline_at),
    }


def _to_proposal(row: sqlite3.Row) -> Proposal:
    return Proposal(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        owner_id=int(row["owner_id"]),
        title=str(row["title"]),
        goal=str(row["goal"]),
        partners=str(row["partners"]),
        themes=tuple(str(t) for t in json.loads(row["themes"])),
        deadline_date=str(row["deadline_date"]),
        deadline_at=str(row["deadline_at"]),
        status=row["status"],
        outcome=row["outcome"],
        outcome_note=row["outcome_note"],
        removed_by=None if row["removed_by"] is None else int(row["removed_by"]),
        reason=row["reason"],
        version=int(row["version"]),
        created_at=str(row["created_at"]),
        updated_at=str(row["updated_at"]),
        closed_at=row["closed_at"],
    )


def _to_partner(row: sqlite3.Row) -> Partner:
    return Partner(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        proposal_id=int(row["proposal_id"]),
        member_id=int(row["member_id"]),
        status=row["status"],
        told=row["told"],
        created_at=str(row["created_at"]),
        answered_at=row["answered_at"],
    )
