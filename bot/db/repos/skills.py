"""SQL for skills: a server's own taxonomy skills, and members' offers and needs (one table, two kinds)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.audit import insert_audit
from bot.db.repos.privacy import neutralise_text
from bot.domain.privacy import FORGOTTEN
from bot.domain.skills.models import Listing, ListingDraft, SkillCount
from bot.domain.skills.taxonomy import Skill
from bot.errors import Conflict

_CUSTOM = """
    SELECT skill, skill_group, label_nl, label_en FROM skills_custom WHERE guild_id = :guild_id ORDER BY created_at"""

_ADD_CUSTOM = """
    INSERT INTO skills_custom (guild_id, skill, skill_group, label_nl, label_en, created_by, created_at)
    VALUES (:guild_id, :skill, :skill_group, :label_nl, :label_en, :created_by, :now)"""

_SELECT = """
    SELECT id, guild_id, user_id, kind, skill, skill_text, level, format, urgency, mentor, capacity, note,
           paused_until, expires_at, reminded_at, created_at, updated_at
    FROM skill_listings"""

_GET = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND id = :id"""
)

_BY_MEMBER = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND user_id = :user_id
    ORDER BY kind DESC, id"""
)

_SAME = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND user_id = :user_id AND kind = :kind
      AND (skill = :skill OR (skill IS NULL AND skill_text = :skill_text COLLATE NOCASE))"""
)

_FIND_OFFERS = """
    SELECT id, guild_id, user_id, kind, skill, skill_text, level, format, urgency, mentor, capacity, note,
           paused_until, expires_at, reminded_at, created_at, updated_at
    FROM skill_listings
    WHERE guild_id = :guild_id AND kind = 'offer' AND user_id <> :exclude
      AND expires_at > :now AND (paused_until IS NULL OR paused_until <= :now)
      AND (skill IN (SELECT value FROM json_each(:skills))
           OR (:text IS NOT NULL AND instr(lower(skill_text), lower(:text)) > 0))
      AND user_id IN (SELECT user_id FROM member_profiles WHERE guild_id = :guild_id AND visible = 1)
    ORDER BY CASE level WHEN 'expert' THEN 0 WHEN 'intermediate' THEN 1 ELSE 2 END, updated_at DESC, id
    LIMIT :limit"""

_ACTIVE_OFFERS = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND kind = 'offer'
      AND expires_at > :now AND (paused_until IS NULL OR paused_until <= :now)
    ORDER BY id"""
)

_INSERT = """
    INSERT INTO skill_listings (guild_id, user_id, kind, skill, skill_text, level, format, urgency, mentor, capacity,
                                note, expires_at, created_at, updated_at)
    VALUES (:guild_id, :user_id, :kind, :skill, :skill_text, :level, :format, :urgency, :mentor, :capacity,
            :note, :expires_at, :now, :now)"""

_REPLACE = """
    UPDATE skill_listings SET level = :level, format = :format, urgency = :urgency, mentor = :mentor,
           capacity = :capacity, note = :note, expires_at = :expires_at, reminded_at = NULL, updated_at = :now
    WHERE guild_id = :guild_id AND id = :id"""

_DELETE = "DELETE FROM skill_listings WHERE guild_id = :guild_id AND id = :id"

_PAUSE = """
    UPDATE skill_listings SET paused_until = :until, updated_at = :now
    WHERE guild_id = :guild_id AND user_id = :user_id AND kind = 'offer' AND (:id IS NULL OR id = :id)"""

_EXTEND = """
    UPDATE skill_listings SET expires_at = :expires_at, reminded_at = NULL, updated_at = :now
    WHERE guild_id = :guild_id AND id = :id"""

_REMINDED = """
    UPDATE skill_listings SET reminded_at = :now
    WHERE guild_id = :guild_id AND id = :id AND expires_at = :expires_at AND reminded_at IS NULL"""

_COUNTS = """
    SELECT skill, CASE WHEN skill IS NULL THEN lower(skill_text) END AS skill_text,
           sum(kind = 'offer') AS offers, sum(kind = 'need') AS needs
    FROM skill_listings
    WHERE guild_id = :guild_id AND expires_at > :now
    GROUP BY skill, CASE WHEN skill IS NULL THEN lower(skill_text) END"""

_FIGURES = """
    SELECT sum(kind = 'offer' AND paused_until > :now) AS paused, sum(kind = 'offer' AND mentor = 1) AS mentors
    FROM skill_listings WHERE guild_id = :guild_id AND expires_at > :now"""

_EXPORT: dict[str, str] = {
    "skill_offers": """
        SELECT id, skill, skill_text, level, format, mentor, capacity, note, paused_until, expires_at, created_at,
               updated_at
        FROM skill_listings WHERE guild_id = :guild_id AND user_id = :user_id AND kind = 'offer' ORDER BY id""",
    "skill_needs": """
        SELECT id, skill, skill_text, urgency, format, note, expires_at, created_at, updated_at
        FROM skill_listings WHERE guild_id = :guild_id AND user_id = :user_id AND kind = 'need' ORDER BY id""",
    "skills_added": """
        SELECT skill, skill_group, label_nl, label_en, created_at
        FROM skills_custom WHERE guild_id = :guild_id AND created_by = :user_id ORDER BY created_at""",
}

_FORGET_LISTINGS = """
    DELETE FROM skill_listings WHERE guild_id = :guild_id AND user_id = :user_id RETURNING id"""

_FORGET_CREATOR = """
    UPDATE skills_custom SET created_by = :forgotten WHERE guild_id = :guild_id AND created_by = :user_id"""


class SkillsRepo:
    """A server's own skills, and its members' offers and needs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- the server's own skills ----------------------------------------------------------------------------

    async def custom_skills(self, guild_id: int, tx: Reader | None = None) -> list[Skill]:
        """The skills this server's moderators added, oldest first."""
        rows = await (tx or self._db).fetch_all(_CUSTOM, {"guild_id": guild_id})
        return [Skill(r["skill"], r["skill_group"], r["label_nl"], r["label_en"], custom=True) for r in rows]

    async def add_custom(self, tx: Transaction, guild_id: int, skill: Skill, created_by: int, now: datetime) -> None:
        """Store a server's own skill with its audit entry; Conflict when the key exists already."""
        params = {
            "guild_id": guild_id,
            "skill": skill.key,
            "skill_group": skill.group,
            "label_nl": skill.nl,
            "label_en": skill.en,
            "created_by": created_by,
            "now": to_iso(now),
        }
        try:
            await tx.execute(_ADD_CUSTOM, params)
        except sqlite3.IntegrityError:
            raise Conflict("skills.add_skill.exists", label=skill.en) from None
        after = {
            "title": f"{skill.nl} / {skill.en}",
            "skill": skill.key,
            "group": skill.group,
            "nl": skill.nl,
            "en": skill.en,
        }
        await insert_audit(
            tx,
            guild_id=guild_id,
            actor_id=created_by,
            action="skill.add",
            target_type="skill",
            target_id=skill.key,
            before=None,
            after=after,
            reason=None,
            now=now,
        )

    # --- offers and needs -----------------------------------------------------------------------------------

    async def get(self, guild_id: int, listing_id: int, tx: Reader | None = None) -> Listing | None:
        """One offer or need of this server, or None."""
        row = await (tx or self._db).fetch_one(_GET, {"guild_id": guild_id, "id": listing_id})
        return None if row is None else _to_listing(row)

    async def by_member(self, guild_id: int, user_id: int, tx: Reader | None = None) -> list[Listing]:
        """The member's offers, then needs, oldest first."""
        rows = await (tx or self._db).fetch_all(_BY_MEMBER, {"guild_id": guild_id, "user_id": user_id})
        return [_to_listing(r) for r in rows]

    async def same(self, tx: Reader, guild_id: int, user_id: int, draft: ListingDraft) -> Listing | None:
        """The member's existing offer (or need) of the same skill, if any."""
        params = {
            "guild_id": guild_id,
            "user_id": user_id,
            "kind": draft.kind,
            "skill": draft.skill,
            "skill_text": draft.skill_text,
        }
        row = await tx.fetch_one(_SAME, params)
        return None if row is None else _to_listing(row)

    async def insert(
        self, tx: Transaction, guild_id: int, user_id: int, draft: ListingDraft, expires_at: datetime, now: datetime
    ) -> int:
        """Store a new offer or need; returns its id."""
        params = {"guild_id": guild_id, "user_id": user_id, **_draft_params(draft), "expires_at": to_iso(expires_at)}
        return await tx.execute(_INSERT, {**params, "kind": draft.kind, "now": to_iso(now)})

    async def replace(
        self, tx: Transaction, guild_id: int, listing_id: int, draft: ListingDraft, expires_at: datetime, now: datetime
    ) -> None:
        """Give an existing offer or need new details and a new expiry (the skill stays)."""
        params = {"guild_id": guild_id, "id": listing_id, **_draft_params(draft), "expires_at": to_iso(expires_at)}
        await tx.execute(_REPLACE, {**params, "now": to_iso(now)})

    async def delete(self, tx: Transaction, guild_id: int, listing_id: int) -> int:
        """Delete an offer or need; returns 1 if it was there."""
        return await tx.execute_rowcount(_DELETE, {"guild_id": guild_id, "id": listing_id})

    async def pause(
        self,
        tx: Transaction,
        guild_id: int,
        user_id: int,
        listing_id: int | None,
        until: datetime | None,
        now: datetime,
    ) -> int:
        """Pause (or, with ``until`` None, resume) one of the member's offers, or all of them; returns how many."""
        params = {
            "guild_id": guild_id,
            "user_id": user_id,
            "id": listing_id,
            "until": None if until is None else to_iso(until),
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_PAUSE, params)

    async def extend(
        self, tx: Transaction, guild_id: int, listing_id: int, expires_at: datetime, now: datetime
    ) -> None:
        """Set a new expiry (the owner said it is still valid); the next reminder is due again."""
        params = {"guild_id": guild_id, "id": listing_id, "expires_at": to_iso(expires_at), "now": to_iso(now)}
        await tx.execute(_EXTEND, params)

    async def mark_reminded(self, tx: Transaction, listing: Listing, now: datetime) -> bool:
        """Record the reminder for the listing's current expiry; False if it was reminded or changed meanwhile."""
        params = {"guild_id": listing.guild_id, "id": listing.id, "expires_at": listing.expires_at, "now": to_iso(now)}
        return await tx.execute_rowcount(_REMINDED, params) == 1

    async def find_offers(
        self, guild_id: int, skills: list[str], text: str | None, exclude: int, now: datetime, limit: int
    ) -> list[Listing]:
        """Active, unpaused offers of visible members (not ``exclude``) for these skills or containing ``text``."""
        params = {
            "guild_id": guild_id,
            "skills": json.dumps(skills),
            "text": text or None,
            "exclude": exclude,
            "now": to_iso(now),
            "limit": limit,
        }
        return [_to_listing(r) for r in await self._db.fetch_all(_FIND_OFFERS, params)]

    async def active_offers(self, guild_id: int, now: datetime, tx: Reader | None = None) -> list[Listing]:
        """Every offer of the server that is neither expired nor paused (of visible and invisible members alike)."""
        rows = await (tx or self._db).fetch_all(_ACTIVE_OFFERS, {"guild_id": guild_id, "now": to_iso(now)})
        return [_to_listing(r) for r in rows]

    async def counts(self, guild_id: int, now: datetime) -> tuple[list[SkillCount], int, int]:
        """Active offers and needs per skill, plus how many offers are paused and how many are mentor offers."""
        params = {"guild_id": guild_id, "now": to_iso(now)}
        async with self._db.snapshot() as read:
            rows = await read.fetch_all(_COUNTS, params)
            figures = await read.fetch_one(_FIGURES, params)
        counts = [SkillCount(r["skill"], r["skill_text"], int(r["offers"]), int(r["needs"])) for r in rows]
        paused = int(figures["paused"] or 0) if figures else 0
        mentors = int(figures["mentors"] or 0) if figures else 0
        return counts, paused, mentors

    # --- privacy --------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's offers, needs and the skills they added, in one server."""
        params = {"guild_id": guild_id, "user_id": user_id}
        return {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> tuple[int, list[int]]:
        """Delete the member's offers and needs, keep the skills they added without their id, mask mentions.

        Returns the rows touched and the ids of the deleted listings.
        """
        params = {"guild_id": guild_id, "user_id": user_id}
        deleted = [int(r[0]) for r in await tx.execute_returning(_FORGET_LISTINGS, params)]
        touched = len(deleted) + await tx.execute_rowcount(_FORGET_CREATOR, {**params, "forgotten": FORGOTTEN})
        touched += len(await neutralise_text(tx, "skill_listings", ("note", "skill_text"), guild_id, user_id))
        touched += len(await neutralise_text(tx, "skills_custom", ("label_nl", "label_en"), guild_id, user_id))
        return touched, deleted


def _draft_params(draft: ListingDraft) -> dict[str, Any]:
    return {
        "skill": draft.skill,
        "skill_text": draft.skill_text,
        "level": draft.level,
        "format": draft.format,
        "urgency": draft.urgency,
        "mentor": int(draft.mentor),
        "capacity": draft.capacity,
        "note": draft.note,
    }


def _to_listing(row: sqlite3.Row) -> Listing:
    return Listing(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        skill=row["skill"],
        skill_text=row["skill_text"],
        level=row["level"],
        format=row["format"],
        urgency=row["urgency"],
        mentor=bool(row["mentor"]),
        capacity=row["capacity"],
        note=row["note"],
        paused_until=row["paused_until"],
        expires_at=row["expires_at"],
        reminded_at=row["reminded_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
