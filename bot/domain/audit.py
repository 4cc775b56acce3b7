"""The audit log of curation actions: who did what, when, before and after, and why."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from bot.domain.qa_models import Page
from bot.domain.resources import AuditEntry

if TYPE_CHECKING:
    from bot.db.database import Transaction
    from bot.db.repos.audit import AuditRepo


def entry_to_dict(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as a plain record for export."""
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "actor_id": str(entry.actor_id),
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
    }


class AuditService:
    """Reading the audit log (writers record entries through their own repositories, atomically)."""

    member_columns: ClassVar[tuple[str, ...]] = ("audit_log.actor_id",)

    def __init__(self, repo: AuditRepo) -> None:
        self._repo = repo

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The curation actions the member took in this server."""
        return {"moderation_actions": await self._repo.export_member(guild_id, user_id)}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Keep the record of actions, without the member's id (as actor or inside the details)."""
        return await self._repo.forget_member(tx, guild_id, user_id)

    async def recent(self, guild_id: int, page: int, per_page: int = 8) -> Page[AuditEntry]:
        """Newest entries first."""
        items, total = await self._repo.recent(guild_id, page * per_page, per_page)
        return Page(items, page, max(1, math.ceil(total / per_page)), total)

    async def export(self, guild_id: int) -> list[dict[str, Any]]:
        """Every entry of a server, oldest first."""
        return [entry_to_dict(e) for e in await self._repo.all(guild_id)]
