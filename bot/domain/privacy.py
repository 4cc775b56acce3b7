"""Members' control over their own data: see it, export it, delete it, and choose about direct messages."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, to_iso

if TYPE_CHECKING:
    from bot.db.repos.privacy import PrivacyRepo


class PrivacyService:
    """Export and erasure of one member's data in one server."""

    def __init__(self, repo: PrivacyRepo, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def export(self, guild_id: int, user_id: int) -> bytes:
        """A JSON document with everything Steunpunt stores about the member in this server."""
        data: dict[str, Any] = {
            "steunpunt_member_export": 1,
            "server_id": str(guild_id),
            "member_id": str(user_id),
            "exported_at": to_iso(self._clock.now()),
            "data": await self._repo.export(guild_id, user_id),
        }
        return (json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n").encode()

    async def forget(self, guild_id: int, user_id: int) -> int:
        """Delete personal traces and anonymise shared content; returns the rows touched."""
        return await self._repo.forget(guild_id, user_id)
