"""What the bot keeps per member besides their content: waiting notices and contact preferences."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock, from_iso
from bot.domain.resources import Notice

if TYPE_CHECKING:
    from bot.db.database import Reader, Transaction, UnitOfWork
    from bot.db.repos.members import MembersRepo


INACTIVE_AFTER = timedelta(days=90)
"""A member who used no command for this long counts as inactive: matching and routing pass them by."""


class MembersService:
    """Notices for members (delivered once) and their opt-in for direct messages."""

    member_columns: ClassVar[tuple[str, ...]] = (
        "member_notices.user_id",
        "member_prefs.user_id",
        "member_activity.user_id",
    )

    def __init__(self, uow: UnitOfWork, repo: MembersRepo, clock: Clock) -> None:
        self._uow = uow
        self._repo = repo
        self._seen: dict[tuple[int, int], date] = {}
        self._clock = clock

    async def take_notices(self, guild_id: int, user_id: int) -> list[Notice]:
        """Pending notices, marked delivered; each is returned only once, even under concurrent calls."""
        pending = await self._repo.pending(guild_id, user_id)
        if not pending:
            return []
        delivered = []
        async with self._uow.transaction() as tx:
            for notice in pending:
                if await self._repo.mark_delivered(tx, [notice.id], self._clock.now()):
                    delivered.append(notice)
        return delivered

    async def touch(self, guild_id: int, user_id: int) -> None:
        """A member used a command: remember the day (one write per member per day and process)."""
        today = self._clock.now().date()
        if self._seen.get((guild_id, user_id)) == today:
            return
        async with self._uow.transaction() as tx:
            await self._repo.touch(tx, guild_id, user_id, self._clock.now())
        self._seen[(guild_id, user_id)] = today

    async def last_active(self, guild_id: int, user_id: int) -> datetime | None:
        """When the member last used a command in this server, or None if never seen."""
        found = await self._repo.last_active(guild_id, user_id)
        return None if found is None else from_iso(found)

    async def quiet_among(self, tx: Reader, guild_id: int, user_ids: Iterable[int]) -> set[int]:
        """Members (of ``user_ids``) not seen for :data:`INACTIVE_AFTER`: never suggested nor asked."""
        return await self._repo.quiet_among(tx, guild_id, user_ids, self._clock.now() - INACTIVE_AFTER)

    async def add_notice(self, tx: Transaction, guild_id: int, user_id: int, key: str, params: dict[str, Any]) -> int:
        """Queue a notice for a member inside the caller's use-case transaction."""
        return await self._repo.add_notice(tx, guild_id, user_id, key, params, self._clock.now())

    async def pending_notices(self, guild_id: int, user_id: int) -> list[Notice]:
        """Pending notices, without marking them (for a DM that may still fail)."""
        return await self._repo.pending(guild_id, user_id)

    async def mark_delivered(self, notices: list[Notice]) -> None:
        """Mark notices delivered after a successful DM."""
        async with self._uow.transaction() as tx:
            await self._repo.mark_delivered(tx, [n.id for n in notices], self._clock.now())

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's waiting and delivered notices, and their preferences, in this server."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's notices and preferences."""
        return await self._repo.forget_member(tx, guild_id, user_id)

    async def dm_opt_in(self, guild_id: int, user_id: int) -> bool:
        """Whether the member agreed to receive direct messages."""
        return await self._repo.dm_opt_in(guild_id, user_id)

    async def set_dm_opt_in(self, guild_id: int, user_id: int, value: bool) -> None:
        """Record the member's choice about direct messages."""
        async with self._uow.transaction() as tx:
            await self._repo.set_dm_opt_in(tx, guild_id, user_id, value, self._clock.now())
