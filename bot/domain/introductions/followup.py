"""After both said yes: the introduction itself, one nudge when the thread stays silent, and the check-in.

The match cog's jobs do the Discord part (a private thread in the server's ``introductions_channel`` with both
members and an opening message; the nudge; the "did it help?" buttons) and record here what they did. Each step
is recorded once (``opened``, ``nudge_checked``, ``checkin``): a late or repeated job, or a second process,
finds it done and does nothing. When no thread can be opened, both are told each other's name by DM (if they
opted in) or on their next command. Outcomes of check-ins feed matching (:class:`~bot.domain.matching.History`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.domain.introductions.common import CHECKIN_JOB, NUDGE_JOB, job_key, payload, skill_params, tell
from bot.domain.introductions.models import NUDGE_AFTER, OUTCOMES, CheckIn, Introduction, Opening
from bot.domain.privacy import FORGOTTEN
from bot.errors import Conflict, Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.introductions import IntroductionsRepo
    from bot.db.repos.skills import SkillsRepo
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.jobs import Job, JobService
    from bot.domain.members import MembersService
    from bot.domain.skills.catalog import SkillCatalog
    from bot.domain.skills.models import Listing


class FollowUpService:
    """Opening, nudging and checking in on accepted introductions; the check-in's answers."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: IntroductionsRepo,
        skills: SkillsRepo,
        catalog: SkillCatalog,
        guild_settings: GuildSettingsService,
        members: MembersService,
        jobs: JobService,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._skills = skills
        self._catalog = catalog
        self._settings = guild_settings
        self._members = members
        self._jobs = jobs
        self._clock = clock

    async def _accepted(self, job: Job) -> Introduction | None:
        """The job's introduction if it is accepted and neither member was forgotten meanwhile."""
        if job.guild_id is None:
            return None
        intro = await self._repo.introduction(job.guild_id, int(job.payload["introduction_id"]))
        if intro is None or intro.status != "accepted" or FORGOTTEN in (intro.requester_id, intro.offerer_id):
            return None
        return intro

    async def need_of(self, intro: Introduction, tx: Transaction | None = None) -> Listing | None:
        """The need an introduction is about, if it is still listed."""
        request = await self._repo.request(intro.guild_id, intro.request_id, tx)
        return None if request is None else await self._skills.get(intro.guild_id, request.need_id, tx)

    # --- the introduction -------------------------------------------------------------------------------------

    async def due_opening(self, job: Job) -> Opening | None:
        """The accepted introduction a job must open (None: opened already, or nothing to do)."""
        intro = await self._accepted(job)
        if intro is None or intro.opened_at is not None:
            return None
        settings = await self._settings.get(intro.guild_id)
        return Opening(intro, await self.need_of(intro), settings.introductions_channel_id, settings.locale)

    async def opened(self, opening: Opening, thread_id: int, message_id: int) -> bool:
        """Record the private thread; schedule its nudge and the check-in. False if it was recorded already."""
        intro = opening.introduction
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            if not await self._repo.mark(tx, intro, "opened", now, thread_id=thread_id, message_id=message_id):
                return False
            key = job_key(NUDGE_JOB, intro.id)
            await self._jobs.enqueue(
                tx, NUDGE_JOB, payload(intro.id), run_at=now + NUDGE_AFTER, dedupe_key=key, guild_id=intro.guild_id
            )
            await self._schedule_checkin(tx, intro)
        return True

    async def opened_without_thread(self, opening: Opening) -> bool:
        """No thread could be opened: tell each the other's name (notice, DM if opted in); schedule the check-in."""
        intro = opening.introduction
        async with self._uow.transaction() as tx:
            if not await self._repo.mark(tx, intro, "opened", self._clock.now(), thread_id=None, message_id=None):
                return False
            params = await skill_params(tx, self._catalog, self._settings, opening.need, intro.guild_id)
            for me in (intro.requester_id, intro.offerer_id):
                found = {**params, "member": intro.other(me)}
                await tell(tx, self._members, self._jobs, intro.guild_id, me, "match.notice.introduced", found)
            await self._schedule_checkin(tx, intro)
        return True

    async def _schedule_checkin(self, tx: Transaction, intro: Introduction) -> None:
        days = (await self._settings.get(intro.guild_id)).checkin_days
        await self._jobs.enqueue(
            tx,
            CHECKIN_JOB,
            payload(intro.id),
            run_at=self._clock.now() + timedelta(days=days),
            dedupe_key=job_key(CHECKIN_JOB, intro.id),
            guild_id=intro.guild_id,
        )

    # --- the nudge --------------------------------------------------------------------------------------------

    async def due_nudge(self, job: Job) -> Introduction | None:
        """The introduction whose thread a job must look at (None: looked at already, or no thread)."""
        intro = await self._accepted(job)
        if intro is None or intro.thread_id is None or intro.nudge_checked_at is not None:
            return None
        return intro

    async def nudge_checked(self, intro: Introduction, *, nudged: bool) -> bool:
        """Record the one look at the thread, and whether it nudged; False if it was recorded already."""
        async with self._uow.transaction() as tx:
            return await self._repo.mark(tx, intro, "nudge_checked", self._clock.now(), nudged=int(nudged))

    # --- the check-in -----------------------------------------------------------------------------------------

    async def due_checkin(self, job: Job) -> CheckIn | None:
        """The introduction whose "did it help?" a job must ask (None: asked already, or nothing to do)."""
        intro = await self._accepted(job)
        if intro is None or intro.checkin_at is not None:
            return None
        dm = (
            await self._members.dm_opt_in(intro.guild_id, intro.requester_id),
            await self._members.dm_opt_in(intro.guild_id, intro.offerer_id),
        )
        return CheckIn(intro, await self.need_of(intro), dm)

    async def checked_in(self, checkin: CheckIn, *, reached: tuple[bool, bool]) -> bool:
        """Record the check-in; a member it did not reach (thread or DM) finds it in /match inbox after a notice.

        ``reached`` is (requester, offerer). False if the check-in was recorded already.
        """
        intro = checkin.introduction
        async with self._uow.transaction() as tx:
            if not await self._repo.mark(tx, intro, "checkin", self._clock.now()):
                return False
            params = await skill_params(tx, self._catalog, self._settings, checkin.need, intro.guild_id)
            for member, done in zip((intro.requester_id, intro.offerer_id), reached, strict=True):
                if not done:
                    await self._members.add_notice(tx, intro.guild_id, member, "match.notice.checkin", params)
        return True

    async def record_outcome(self, guild_id: int, user_id: int, intro_id: int, outcome: str) -> Introduction:
        """One of the two answers "did it help?" (they may change their answer later)."""
        if outcome not in OUTCOMES:
            raise Invalid("match.checkin.unknown")
        async with self._uow.transaction() as tx:
            intro = await self._repo.introduction(guild_id, intro_id, tx)
            if intro is None:
                raise NotFound("match.checkin.gone")
            if user_id not in (intro.requester_id, intro.offerer_id):
                raise Forbidden("match.checkin.not_yours")
            if intro.status != "accepted" or intro.checkin_at is None:
                raise Conflict("match.checkin.not_yet")
            await self._repo.set_outcome(tx, intro, user_id, outcome, self._clock.now())
            stored = await self._repo.introduction(guild_id, intro_id, tx)
        assert stored is not None
        return stored
