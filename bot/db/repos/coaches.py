"""SQL for each server's digital-heritage coaches: the contact its moderators set per province (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.audit import insert_audit
from bot.domain.routing.models import Coach

_COACHES = "SELECT province, name, url FROM routing_coaches WHERE guild_id = :guild_id"

_SAVE_COACH = """
    INSERT INTO routing_coaches (guild_id, province, name, url, updated_at)
    VALUES (:guild_id, :province, :name, :url, :now)
    ON CONFLICT (guild_id, province) DO UPDATE SET name = excluded.name, url = excluded.url,
        updated_at = excluded.updated_at"""

_RESET_COACH = "DELETE FROM routing_coaches WHERE guild_id = :guild_id AND province = :province"


class CoachesRepo:
    """The coaches a server's moderators set. Writes run in the caller's transaction; it never opens one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def coaches(self, guild_id: int, tx: Reader | None = None) -> dict[str, Coach]:
        """The contacts this server's moderators set, by province."""
        rows = await (tx or self._db).fetch_all(_COACHES, {"guild_id": guild_id})
        return {r["province"]: Coach(r["province"], r["name"], r["url"], "server") for r in rows}

    async def save_coach(
        self, tx: Transaction, guild_id: int, coach: Coach, before: Coach | None, actor_id: int, now: datetime
    ) -> None:
        """Set a province's contact, with its audit entry."""
        params = {"guild_id": guild_id, "province": coach.province, "name": coach.name, "url": coach.url}
        await tx.execute(_SAVE_COACH, {**params, "now": to_iso(now)})
        await _audit(tx, guild_id, actor_id, "coach.set", coach.province, before, coach, now)

    async def reset_coach(
        self, tx: Transaction, guild_id: int, province: str, before: Coach | None, actor_id: int, now: datetime
    ) -> None:
        """Drop a province's own contact (the built-in one applies again), with its audit entry if there was one."""
        if await tx.execute_rowcount(_RESET_COACH, {"guild_id": guild_id, "province": province}):
            await _audit(tx, guild_id, actor_id, "coach.reset", province, before, None, now)


async def _audit(
    tx: Transaction,
    guild_id: int,
    actor_id: int,
    action: str,
    province: str,
    before: Coach | None,
    after: Coach | None,
    now: datetime,
) -> None:
    def snap(coach: Coach | None) -> dict[str, Any] | None:
        return None if coach is None else {"title": coach.name, "name": coach.name, "url": coach.url}

    await insert_audit(
        tx,
        guild_id=guild_id,
        actor_id=actor_id,
        action=action,
        target_type="coach",
        target_id=province,
        before=snap(before),
        after=snap(after),
        reason=None,
        now=now,
    )
