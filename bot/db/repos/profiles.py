"""SQL for member profiles: organisation, type, size, region, languages and the opt-ins."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.privacy import neutralise_text
from bot.domain.skills.models import Profile

_SELECT = """
    SELECT guild_id, user_id, organisation, org_type, org_size, region, languages, visible, askable, updated_at
    FROM member_profiles"""

_GET = (
    _SELECT
    + """
    WHERE guild_id = :guild_id AND user_id = :user_id"""
)

_MANY = """
    SELECT guild_id, user_id, organisation, org_type, org_size, region, languages, visible, askable, updated_at
    FROM member_profiles
    WHERE guild_id = :guild_id AND user_id IN (SELECT value FROM json_each(:ids))"""

_SAVE = """
    INSERT INTO member_profiles
        (guild_id, user_id, organisation, org_type, org_size, region, languages, visible, askable,
         created_at, updated_at)
    VALUES (:guild_id, :user_id, :organisation, :org_type, :org_size, :region, :languages, :visible, :askable,
            :now, :now)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        organisation = excluded.organisation, org_type = excluded.org_type, org_size = excluded.org_size,
        region = excluded.region, languages = excluded.languages, visible = excluded.visible,
        askable = excluded.askable, updated_at = excluded.updated_at"""

_EXPORT = """
    SELECT organisation, org_type, org_size, region, languages, visible, askable, created_at, updated_at
    FROM member_profiles WHERE guild_id = :guild_id AND user_id = :user_id"""

_FORGET = "DELETE FROM member_profiles WHERE guild_id = :guild_id AND user_id = :user_id"


class ProfilesRepo:
    """One profile per member and server."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, user_id: int, tx: Reader | None = None) -> Profile | None:
        """The member's profile in this server, or None if they never set one."""
        row = await (tx or self._db).fetch_one(_GET, {"guild_id": guild_id, "user_id": user_id})
        return None if row is None else _to_profile(row)

    async def many(self, guild_id: int, user_ids: list[int], tx: Reader | None = None) -> dict[int, Profile]:
        """The profiles of several members of one server, by member id (members without one are absent)."""
        rows = await (tx or self._db).fetch_all(_MANY, {"guild_id": guild_id, "ids": json.dumps(user_ids)})
        return {int(r["user_id"]): _to_profile(r) for r in rows}

    async def save(self, tx: Transaction, profile: Profile, now: datetime) -> None:
        """Store the whole profile (created or replaced)."""
        await tx.execute(
            _SAVE,
            {
                "guild_id": profile.guild_id,
                "user_id": profile.user_id,
                "organisation": profile.organisation,
                "org_type": profile.org_type,
                "org_size": profile.org_size,
                "region": profile.region,
                "languages": json.dumps(list(profile.languages)),
                "visible": int(profile.visible),
                "askable": int(profile.askable),
                "now": to_iso(now),
            },
        )

    async def export_member(self, guild_id: int, user_id: int) -> list[dict[str, Any]]:
        """The member's profile as plain records (none or one)."""
        rows = await self._db.fetch_all(_EXPORT, {"guild_id": guild_id, "user_id": user_id})
        return [{**dict(r), "languages": json.loads(r["languages"])} for r in rows]

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's profile; mask their id where others' organisation names mention it."""
        params = {"guild_id": guild_id, "user_id": user_id}
        touched = await tx.execute_rowcount(_FORGET, params)
        return touched + len(await neutralise_text(tx, "member_profiles", ("organisation",), guild_id, user_id))


def _to_profile(row: sqlite3.Row) -> Profile:
    return Profile(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        organisation=row["organisation"],
        org_type=row["org_type"],
        org_size=row["org_size"],
        region=row["region"],
        languages=tuple(json.loads(row["languages"])),
        visible=bool(row["visible"]),
        askable=bool(row["askable"]),
        updated_at=row["updated_at"],
    )
