"""What the Discord side of routing sends, each at most once: the ask, the taker's mention, "nobody could".

The cog's job handlers ask :class:`RoutingDeliveries` what is due, *claim* it (a row update in its own
transaction, refused when already claimed), and only then send. A second process, or a retry after a crash
between claim and send, finds the claim and sends nothing: a member is never asked twice for one question,
nor a thread told twice (at worst, after a crash, not at all; the ask then simply expires and moves on). A
send that Discord refuses for a passing reason gives the claim back and the job is retried.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock, from_iso
from bot.domain.routing.models import UNMATCHED_JOB, Ask, Delivery, Outcome, RoutingRequest

if TYPE_CHECKING:
    from bot.db.database import UnitOfWork
    from bot.db.repos.routing import RoutingRepo
    from bot.domain.jobs import Job
    from bot.domain.members import MembersService
    from bot.domain.qa import QAService
    from bot.domain.routing.coaches import CoachService
    from bot.domain.skills.profiles import ProfileService

ASKED_NOTICE = "routing.notice.asked"
UNMATCHED_NOTICE = "routing.notice.unmatched"


class RoutingDeliveries:
    """Reads and claims what routing must tell members; the cog sends it."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: RoutingRepo,
        *,
        qa: QAService,
        members: MembersService,
        profiles: ProfileService,
        coaches: CoachService,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._qa = qa
        self._members = members
        self._profiles = profiles
        self._coaches = coaches
        self._clock = clock

    # --- asking a member ----------------------------------------------------------------------------------

    async def due_delivery(self, job: Job) -> Delivery | None:
        """The ask a delivery job is about, if the member must still be asked (None: nothing to do)."""
        if job.guild_id is None:
            return None
        ask = await self._repo.ask(job.guild_id, int(job.payload["ask_id"]))
        if ask is None or ask.status != "pending" or ask.delivered_at is not None:
            return None
        return await self._delivery(ask)

    async def _delivery(self, ask: Ask) -> Delivery | None:
        request = await self._repo.request(ask.guild_id, ask.request_id)
        if request is None or request.status != "open":
            return None
        post = await self._qa.post(ask.guild_id, request.thread_id)
        if post is None or post.solved:
            return None
        skill, skill_text = await self._repo.offer_skill(ask.guild_id, ask.offer_id)
        dm = await self._members.dm_opt_in(ask.guild_id, ask.helper_id)
        return Delivery(ask, request.thread_id, post.title, skill, skill_text, dm)

    async def pending_for(self, guild_id: int, user_id: int) -> list[Delivery]:
        """The questions waiting for this member's answer (for /asked-to-help), oldest first."""
        found = [await self._delivery(ask) for ask in await self._repo.pending_for(guild_id, user_id)]
        return [delivery for delivery in found if delivery is not None]

    async def claim_dm(self, delivery: Delivery) -> bool:
        """Record, before sending, that the member is asked by DM; False if they were asked already."""
        async with self._uow.transaction() as tx:
            return await self._repo.claim_delivery(tx, delivery.ask.id, "dm", self._clock.now())

    async def release_dm(self, delivery: Delivery) -> None:
        """The DM failed for a passing reason: give the claim back, so the retried job sends it."""
        async with self._uow.transaction() as tx:
            await self._repo.release_delivery(tx, delivery.ask.id)

    async def ask_by_notice(self, delivery: Delivery, *, after_dm: bool = False) -> bool:
        """Ask on the member's next command instead (no DM opt-in, or Discord refused the DM); False if done."""
        ask = delivery.ask
        params = {
            "title": delivery.title,
            "guild": ask.guild_id,
            "thread": delivery.thread_id,
            "until": int(from_iso(ask.expires_at).timestamp()),
        }
        async with self._uow.transaction() as tx:
            if not await self._repo.claim_delivery(tx, ask.id, "notice", self._clock.now(), switch=after_dm):
                return False
            await self._members.add_notice(tx, ask.guild_id, ask.helper_id, ASKED_NOTICE, params)
        return True

    # --- telling the thread ---------------------------------------------------------------------------------

    async def due_outcome(self, job: Job) -> Outcome | None:
        """What a thread must be told (who took the question, or that nobody could), if not told yet."""
        if job.guild_id is None:
            return None
        request = await self._repo.request(job.guild_id, int(job.payload["request_id"]))
        if request is None or request.told_at is not None:
            return None
        wanted = "unmatched" if job.kind == UNMATCHED_JOB else "taken"
        if request.status != wanted:
            return None
        post = await self._qa.post(request.guild_id, request.thread_id)
        title = post.title if post is not None else ""
        asked = len(await self._repo.asks_of(request.id))
        if wanted == "taken":
            return Outcome(request, title, None, asked)
        profile = await self._profiles.get(request.guild_id, request.asker_id)
        coach = await self._coaches.for_region(request.guild_id, profile.region)
        return Outcome(request, title, coach, asked)

    async def claim_told(self, outcome: Outcome) -> datetime | None:
        """Record, before sending, that the thread is told; the moment of the claim, or None if told already."""
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            return now if await self._repo.claim_told(tx, outcome.request.id, now) else None

    async def release_told(self, outcome: Outcome, claimed: datetime) -> None:
        """Telling failed for a passing reason: give the claim back, so the retried job tells it."""
        async with self._uow.transaction() as tx:
            await self._repo.release_told(tx, outcome.request.id, claimed)

    async def tell_asker_by_notice(self, outcome: Outcome) -> None:
        """The thread could not be told that nobody could take the question: tell the asker on their next command."""
        request: RoutingRequest = outcome.request
        coach = outcome.coach
        params = {
            "title": outcome.title,
            "guild": request.guild_id,
            "thread": request.thread_id,
            "coach": coach.name if coach is not None else "",
            "url": coach.url if coach is not None else "",
        }
        async with self._uow.transaction() as tx:
            await self._members.add_notice(tx, request.guild_id, request.asker_id, UNMATCHED_NOTICE, params)
