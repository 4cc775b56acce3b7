"""A member's side of introductions: their inbox, whom they block, and the server's figures for moderators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.domain.introductions.models import Inbox, InboxAsk
from bot.domain.skills.models import MatchFigures
from bot.errors import Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import UnitOfWork
    from bot.db.repos.introductions import IntroductionsRepo
    from bot.db.repos.skills import SkillsRepo
    from bot.domain.introductions.models import Introduction
    from bot.domain.skills.models import Listing

INBOX_ITEMS = 5
"""At most this many items per section of /match inbox (each ask and check-in carries its buttons)."""


class PeopleService:
    """/match inbox, /match block and unblock, and the introduction figures of /skills stats."""

    def __init__(self, uow: UnitOfWork, repo: IntroductionsRepo, skills: SkillsRepo, clock: Clock) -> None:
        self._uow = uow
        self._repo = repo
        self._skills = skills
        self._clock = clock

    async def _need(self, guild_id: int, request_id: int) -> Listing | None:
        request = await self._repo.request(guild_id, request_id)
        return None if request is None else await self._skills.get(guild_id, request.need_id)

    async def inbox(self, guild_id: int, user_id: int) -> Inbox:
        """Asks waiting for the member's answer, their own requests, their introductions and open check-ins.

        The member's own requests show their state, never whom they were asked to.
        """
        asks = [
            InboxAsk(intro, await self._need(guild_id, intro.request_id))
            for intro in (await self._repo.asks_to(guild_id, user_id))[:INBOX_ITEMS]
        ]
        requests = []
        for request in await self._repo.requests_of(guild_id, user_id):
            current: Introduction | None = None
            for intro in await self._repo.of_request(request.id):
                if intro.status in ("asked", "accepted"):
                    current = intro
            if current is not None and current.checkin_at is not None:
                continue  # checked in: it shows under "did it help?" until answered, then it is done
            requests.append((request, await self._skills.get(guild_id, request.need_id), current))
        introduced, checkins = [], []
        for intro in await self._repo.accepted_with(guild_id, user_id):
            pair = (intro, await self._need(guild_id, intro.request_id))
            if intro.checkin_at is None:
                introduced.append(pair)
            elif intro.outcome_of(user_id) is None:
                checkins.append(pair)
        return Inbox(
            asks=tuple(asks),
            requests=tuple(requests[:INBOX_ITEMS]),
            introduced=tuple(introduced[:INBOX_ITEMS]),
            checkins=tuple(checkins[:INBOX_ITEMS]),
        )

    async def block(self, guild_id: int, user_id: int, other_id: int) -> bool:
        """Never suggest these two to each other (either way); False if the member had blocked them already."""
        if other_id == user_id:
            raise Invalid("match.block.self")
        async with self._uow.transaction() as tx:
            return await self._repo.block(tx, guild_id, user_id, other_id, self._clock.now())

    async def unblock(self, guild_id: int, user_id: int, other_id: int) -> None:
        """Lift the member's block of another (NotFound if there was none)."""
        async with self._uow.transaction() as tx:
            if not await self._repo.unblock(tx, guild_id, user_id, other_id):
                raise NotFound("match.unblock.none")

    async def figures(self, guild_id: int) -> MatchFigures:
        """Requests, asks, acceptances, completed check-ins and helped outcomes of the server."""
        return await self._repo.figures(guild_id)
