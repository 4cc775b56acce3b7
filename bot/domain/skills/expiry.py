"""Offers and needs expire: a reminder with a "still valid" button a week before, then expiry, both durable jobs.

Each listing has, per expiry moment, one reminder job and one expiry job whose dedupe keys name that moment.
Extending a listing cancels the pending jobs of the old moment and schedules new ones in the same
transaction; a job that still runs for an old moment finds that the listing's expiry changed and does
nothing. The expiry job is handled here (no Discord needed). The reminder job is handled by the cog (it may
send a direct message with the button); it calls :meth:`ExpiryService.due_reminder`, then either
:meth:`ExpiryService.mark_reminded` after a direct message or :meth:`ExpiryService.remind_by_notice`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, from_iso, to_iso
from bot.domain.skills.models import REMIND_BEFORE_DAYS, Listing, Reminder
from bot.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.skills import SkillsRepo
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.members import MembersService
    from bot.domain.skills.catalog import SkillCatalog

log = logging.getLogger(__name__)

REMIND_JOB = "skills.remind"
"""Asks the owner of an offer or need "still valid?" a week before it expires (handled by the skills cog)."""
EXPIRE_JOB = "skills.expire"
"""Removes an offer or need whose owner did not say it is still valid (handled here)."""
REMIND_BEFORE = timedelta(days=REMIND_BEFORE_DAYS)


def job_key(kind: str, listing_id: int, expires_at: str) -> str:
    """The dedupe key of a listing's reminder or expiry job for one expiry moment."""
    return f"{kind}:{listing_id}:{expires_at}"


class ExpiryService:
    """Schedules, reminds, extends and expires offers and needs."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: SkillsRepo,
        catalog: SkillCatalog,
        guild_settings: GuildSettingsService,
        members: MembersService,
        jobs: JobService,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._catalog = catalog
        self._settings = guild_settings
        self._members = members
        self._jobs = jobs
        self._clock = clock

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the expiry job (the reminder, which may need Discord, is registered by the cog)."""
        runner.register(EXPIRE_JOB, self.expire, lease=timedelta(minutes=1))

    async def expiry_from_now(self, guild_id: int) -> datetime:
        """When a listing made or extended now expires: after the server's ``skills_expiry_days``."""
        settings = await self._settings.get(guild_id)
        return self._clock.now() + timedelta(days=settings.skills_expiry_days)

    async def schedule(self, tx: Transaction, listing_id: int, guild_id: int, user_id: int, expires_at: str) -> None:
        """Enqueue the reminder (unless already past) and the expiry of one expiry moment, in the caller's transaction.

        The payload names the owner, so forgetting the member also drops the jobs.
        """
        payload = {"listing_id": listing_id, "user_id": user_id, "expires_at": expires_at}
        remind_at = from_iso(expires_at) - REMIND_BEFORE
        if remind_at > self._clock.now():
            key = job_key(REMIND_JOB, listing_id, expires_at)
            await self._jobs.enqueue(tx, REMIND_JOB, payload, run_at=remind_at, dedupe_key=key, guild_id=guild_id)
        key = job_key(EXPIRE_JOB, listing_id, expires_at)
        await self._jobs.enqueue(
            tx, EXPIRE_JOB, payload, run_at=from_iso(expires_at), dedupe_key=key, guild_id=guild_id
        )

    async def unschedule(self, tx: Transaction, listing: Listing) -> None:
        """Drop the listing's pending reminder and expiry (it was removed, replaced or extended)."""
        for kind in (REMIND_JOB, EXPIRE_JOB):
            await self._jobs.cancel(tx, job_key(kind, listing.id, listing.expires_at))

    async def extend(self, guild_id: int, user_id: int, listing_id: int) -> Listing:
        """The owner says the offer or need is still valid: it runs for another ``skills_expiry_days``."""
        expires_at = await self.expiry_from_now(guild_id)
        async with self._uow.transaction() as tx:
            listing = await self._repo.get(guild_id, listing_id, tx)
            if listing is None:
                raise NotFound("skills.listing.gone")
            if listing.user_id != user_id:
                raise Forbidden("skills.listing.not_yours")
            await self.unschedule(tx, listing)
            await self._repo.extend(tx, guild_id, listing_id, expires_at, self._clock.now())
            await self.schedule(tx, listing_id, guild_id, user_id, to_iso(expires_at))
            extended = await self._repo.get(guild_id, listing_id, tx)
        assert extended is not None
        return extended

    async def due_reminder(self, job: Job) -> Reminder | None:
        """The listing a reminder job is about, if its owner must still be asked (else None: nothing to do)."""
        listing = await self._current(job)
        if listing is None or listing.reminded_at is not None or listing.expires_at <= to_iso(self._clock.now()):
            return None  # gone, extended, asked already, or too late to ask (the expiry job follows)
        return Reminder(listing, await self._members.dm_opt_in(listing.guild_id, listing.user_id))

    async def mark_reminded(self, reminder: Reminder) -> bool:
        """Record that the owner was asked by direct message; False if that was recorded already."""
        async with self._uow.transaction() as tx:
            return await self._repo.mark_reminded(tx, reminder.listing, self._clock.now())

    async def remind_by_notice(self, reminder: Reminder) -> bool:
        """Ask the owner on their next command instead (no DM opt-in, or the DM failed); False if done already."""
        listing = reminder.listing
        params = await self.notice_params(listing)
        async with self._uow.transaction() as tx:
            if not await self._repo.mark_reminded(tx, listing, self._clock.now()):
                return False
            await self._members.add_notice(
                tx, listing.guild_id, listing.user_id, f"skills.notice.remind_{listing.kind}", params
            )
        return True

    async def notice_params(self, listing: Listing) -> dict[str, Any]:
        """What a notice about a listing shows: its number, its skill (in the server's language) and its expiry."""
        settings = await self._settings.get(listing.guild_id)
        skill = await self._catalog.skill(listing.guild_id, listing.skill)
        label = skill.label(settings.locale or "nl") if skill is not None else (listing.skill_text or "")
        return {"id": listing.id, "skill": label, "expires": int(from_iso(listing.expires_at).timestamp())}

    async def _current(self, job: Job) -> Listing | None:
        """The job's listing, if it still has the expiry moment the job was scheduled for."""
        if job.guild_id is None:
            return None
        listing = await self._repo.get(job.guild_id, int(job.payload["listing_id"]))
        if listing is None or listing.expires_at != job.payload.get("expires_at"):
            return None
        return listing

    async def expire(self, job: Job) -> None:
        """Handle an expiry job: remove the listing if it reached that expiry unextended, and tell its owner.

        Idempotent: a listing extended, removed or expired meanwhile is left alone.
        """
        listing = await self._current(job)
        if listing is None:
            return
        params = await self.notice_params(listing)
        async with self._uow.transaction() as tx:
            current = await self._repo.get(listing.guild_id, listing.id, tx)
            if current is None or current.expires_at != listing.expires_at:
                return  # extended or removed meanwhile
            await self._jobs.cancel(tx, job_key(REMIND_JOB, listing.id, listing.expires_at))
            await self._repo.delete(tx, listing.guild_id, listing.id)
            key = f"skills.notice.expired_{listing.kind}"
            await self._members.add_notice(tx, listing.guild_id, listing.user_id, key, params)
        log.info("Offer or need %s of server %s expired", listing.id, listing.guild_id)
