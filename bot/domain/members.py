"""What the bot keeps per member besides their content: waiting notices and contact preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.domain.resources import Notice

if TYPE_CHECKING:
    from bot.db.repos.members import MembersRepo


class MembersService:
    """Notices for members (delivered once) and their opt-in for direct messages."""

    def __init__(self, repo: MembersRepo, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def take_notices(self, guild_id: int, user_id: int) -> list[Notice]:
        """Pending notices, marked delivered; each is returned only once, even under concurrent calls."""
        pending = await self._repo.pending(guild_id, user_id)
        if not pending:
            return []
        delivered = []
        for notice in pending:
            if await self._repo.mark_delivered([notice.id], self._clock.now()):
                delivered.append(notice)
        return delivered

    async def pending_notices(self, guild_id: int, user_id: int) -> list[Notice]:
        """Pending notices, without marking them (for a DM that may still fail)."""
        return await self._repo.pending(guild_id, user_id)

    async def mark_delivered(self, notices: list[Notice]) -> None:
        """Mark notices delivered after a successful DM."""
        await self._repo.mark_delivered([n.id for n in notices], self._clock.now())

    async def dm_opt_in(self, guild_id: int, user_id: int) -> bool:
        """Whether the member agreed to receive direct messages."""
        return await self._repo.dm_opt_in(guild_id, user_id)

    async def set_dm_opt_in(self, guild_id: int, user_id: int, value: bool) -> None:
        """Record the member's choice about direct messages."""
        await self._repo.set_dm_opt_in(guild_id, user_id, value, self._clock.now())
