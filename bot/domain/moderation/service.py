"""The moderation overview's use cases: read every queue, claim and release items, members' reports, the weekly post.

Claims: the first moderator who opens an item claims it (one row per item: the first insert wins, also between
two processes); later openers see who holds it. A claim counts only while its item waits in its queue.

The weekly post follows the digest's schedule (the server's digest weekday and hour in its time zone,
:mod:`bot.domain.digest.schedule`): each server with a moderators' channel has one ``moderation.weekly`` job due
at its next slot. It claims the period (a run row, unique per server and period) and queues the cog's
``moderation.post`` in the same transaction, then waits for the next slot; a second planner finds the period
taken. The post job claims the send and sends with the run's nonce, so a retry never posts twice (a retry later
than Discord's nonce window first looks for the post in the channel: :meth:`ModerationService.post_needs_lookup`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, Final, Protocol

from bot.clock import Clock, from_iso, to_iso
from bot.domain.digest import schedule
from bot.domain.digest.service import NONCE_SAFE
from bot.domain.jobs import RetryLater
from bot.domain.moderation.models import (
    DECISIONS,
    LOCKED,
    MAX_OPEN_REPORTS,
    OLDEST_SHOWN,
    POST_JOB,
    QUEUES,
    REASON_MAX,
    SWEEP_JOB,
    WEEKLY_JOB,
    Claim,
    Opened,
    Overview,
    QueueItem,
    QueueSummary,
    Report,
    Run,
    WeeklyContent,
    weekly_key,
)
from bot.domain.retention import Retention
from bot.errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from datetime import datetime

    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.audit import AuditRepo
    from bot.db.repos.moderation import ModerationRepo
    from bot.domain.guild_settings import GuildSettings, GuildSettingsService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService

log = logging.getLogger(__name__)

WEEK: Final = timedelta(days=7)
SWEEP_EVERY: Final = timedelta(days=1)
KEEP_RUNS: Final = timedelta(weeks=26)
"""Weekly runs are deleted this long after their slot (by the daily sweep)."""
KEEP_CLOSED_REPORTS: Final = Retention().closed_reports
"""Resolved and dismissed reports are deleted this long after they were closed (by the daily sweep); the process
uses the search-log retention (``SEARCH_LOG_RETENTION_DAYS``), passed in by :func:`bot.services.build_services`."""
ERROR_MAX: Final = 200
KEY_MAX: Final = 20
_DECIDED_TARGETS: Final = {"faq_proposals": "help_post"}
"""What a decided item is, in the audit log (its id is the item's key)."""
_SCHEDULE_FIELDS: Final = ("moderator_channel_id", "digest_weekday", "digest_hour", "timezone", "left_at")


class WeeklySource(Protocol):
    """Something that adds a section to the moderators' weekly post (e.g. the week's top knowledge gaps).

    Register it with :meth:`ModerationService.add_weekly_source`; the render side adds a builder for the same
    section name (:data:`bot.render.moderation.WEEKLY_SECTIONS`).
    """

    async def moderators_section(self, guild_id: int, since: datetime, until: datetime) -> object | None:
        """The section's data for the week ``since``–``until``; None (or an empty collection) leaves it out."""
        ...


def _reason(text: str | None) -> str | None:
    """A report's reason: whitespace collapsed, empty is None, at most :data:`REASON_MAX` characters."""
    cleaned = " ".join((text or "").split())
    if len(cleaned) > REASON_MAX:
        raise Invalid("moderation.report.reason_too_long", limit=REASON_MAX)
    return cleaned or None


def _checked(queue: str, key: str) -> str:
    """A queue's item key as stored (digits only), or a localised error for anything else."""
    key = key.strip()
    if queue not in QUEUES or not key.isdigit() or len(key) > KEY_MAX:
        raise NotFound("moderation.item_gone")
    return key


class ModerationService:
    """Every moderators' queue in one view, claims, reports, and the weekly post's schedule."""

    member_columns: ClassVar[tuple[str, ...]] = (
        "moderation_reports.reporter_id",
        "moderation_reports.resolved_by",
        "moderation_claims.claimed_by",
        "moderation_decisions.decided_by",
    )

    def __init__(
        self,
        uow: UnitOfWork,
        repo: ModerationRepo,
        *,
        guild_settings: GuildSettingsService,
        jobs: JobService,
        audit: AuditRepo,
        clock: Clock,
        keep_closed_reports: timedelta = KEEP_CLOSED_REPORTS,
    ) -> None:
        self._uow = uow
        self._keep_closed_reports = keep_closed_reports
        self._repo = repo
        self._settings = guild_settings
        self._jobs = jobs
        self._audit = audit
        self._clock = clock
        self._sources: dict[str, WeeklySource] = {}

    # --- the overview --------------------------------------------------------------------------------------------

    async def overview(self, guild_id: int) -> Overview:
        """Every queue of the server, as it is now.

        For each: its count, the moment its oldest item entered it, whether that is past the server's
        ``overview_red_days``, and its oldest few items with their claims.
        """
        settings = await self._settings.get(guild_id)
        now = self._clock.now()
        limit = timedelta(days=settings.overview_red_days)
        queues = tuple(
            QueueSummary(
                queue=queue,
                count=count,
                oldest_at=oldest,
                red=oldest is not None and now - from_iso(oldest) > limit,
                items=tuple(items),
            )
            for queue, count, oldest, items in await self._repo.overview(guild_id, QUEUES, OLDEST_SHOWN)
        )
        return Overview(guild_id, to_iso(now), settings.overview_red_days, queues)

    async def open_item(self, guild_id: int, queue: str, key: str, moderator_id: int) -> Opened:
        """Open an item: the first moderator to open it claims it; everyone sees who holds the claim.

        One transaction: a claim left on the item from before it (re-)entered the queue is dropped, then the claim
        is inserted unless one exists; two moderators opening at once get the same, single claimer. An item no
        longer in its queue raises :class:`NotFound` (and its claim, if any, is deleted).
        """
        key = _checked(queue, key)
        claim: Claim | None = None
        claimed_now = False
        async with self._uow.transaction() as tx:
            await self._repo.clean_claims(tx, guild_id, (queue,))  # kept even when the item turns out to be gone
            item = await self._repo.item(guild_id, queue, key, tx)
            if item is not None:
                claimed_now = await self._repo.claim(tx, guild_id, queue, key, moderator_id, self._clock.now())
                claim = await self._repo.claim_row(tx, guild_id, queue, key)
        if item is None or claim is None:
            raise NotFound("moderation.item_gone")
        if claimed_now:
            log.info("Server %s: moderator %s claimed %s %s", guild_id, moderator_id, queue, key)
        return Opened(item=replace(item, claim=claim), claim=claim, claimed_now=claimed_now)

    async def release(self, guild_id: int, queue: str, key: str, moderator_id: int) -> Claim:
        """Give an item back (any moderator may, e.g. for a colleague who is away); audited."""
        key = _checked(queue, key)
        async with self._uow.transaction() as tx:
            claim = await self._repo.claim_row(tx, guild_id, queue, key)
            if claim is None or not await self._repo.unclaim(tx, guild_id, queue, key):
                raise NotFound("moderation.not_claimed")
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=moderator_id,
                action="moderation.release",
                target_type="moderation_claim",
                target_id=f"{queue}:{key}",
                before={"claimed_by": claim.moderator_id, "claimed_at": claim.claimed_at},
                after=None,
                reason=None,
                now=self._clock.now(),
            )
        return claim

    async def decide(self, guild_id: int, queue: str, key: str, outcome: str, moderator_id: int) -> QueueItem:
        """Record that an item needs nothing (e.g. a solved post "not for the FAQ"): it leaves its queue for good.

        One transaction: the decision (who, when, what), the item's claim dropped, and the audit entry. An item no
        longer in its queue (decided, promoted or gone meanwhile) raises :class:`NotFound`; an outcome the queue
        does not know, too. Returns the item as it was.
        """
        key = _checked(queue, key)
        if outcome not in DECISIONS.get(queue, ()):
            raise NotFound("moderation.item_gone")
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            item = await self._repo.item(guild_id, queue, key, tx)
            if item is None or not await self._repo.decide(tx, guild_id, queue, key, outcome, moderator_id, now):
                raise NotFound("moderation.item_gone")
            await self._repo.unclaim(tx, guild_id, queue, key)
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=moderator_id,
                action=f"moderation.{outcome}",
                target_type=_DECIDED_TARGETS.get(queue, "moderation_item"),
                target_id=key,
                before={"queue": queue},
                after={"outcome": outcome},
                reason=None,
                now=now,
            )
        log.info("Server %s: moderator %s decided %s on %s %s", guild_id, moderator_id, outcome, queue, key)
        return item

    async def help_post_locked(self, guild_id: int, thread_id: int, locked: bool) -> bool:
        """A thread was locked or unlocked in Discord: a locked open help post leaves the ``unanswered`` queue.

        Locking is a moderator's way of saying no answer will come (recorded as a :data:`LOCKED` decision without
        a moderator; its claim goes); unlocking it puts it back. A post that is merely closed (archived) stays: Discord
        also archives posts nobody replied to after a while, and those are what the queue is for. Deleted posts
        leave with their help post (:meth:`bot.domain.qa.QAService.post_removed`). Returns whether anything changed;
        threads that are not open help posts change nothing (and cost one read).
        """
        key = str(thread_id)
        if locked and await self._repo.item(guild_id, "unanswered", key) is None:
            return False
        if not locked and not await self._repo.decided(guild_id, "unanswered", key, LOCKED):
            return False
        async with self._uow.transaction() as tx:
            if locked:
                changed = await self._repo.decide(tx, guild_id, "unanswered", key, LOCKED, None, self._clock.now())
                await self._repo.clean_claims(tx, guild_id, ("unanswered",))
            else:
                changed = await self._repo.undecide(tx, guild_id, "unanswered", key, LOCKED)
        if changed:
            log.info("Server %s: help post %s %s", guild_id, thread_id, "locked" if locked else "unlocked")
        return changed

    # --- reports -------------------------------------------------------------------------------------------------

    async def has_open_report(self, guild_id: int, message_id: int, reporter_id: int) -> bool:
        """Whether the member already reported this message and the report is still open."""
        return await self._repo.open_report_by(guild_id, message_id, reporter_id) is not None

    async def ensure_may_report(self, guild_id: int, message_id: int, reporter_id: int) -> None:
        """Refuse (:class:`Conflict`) before the report form opens, when the member may not report this message.

        The member reported it already (still open), or has :data:`MAX_OPEN_REPORTS` open reports in this server.
        :meth:`report` checks both again.
        """
        if await self.has_open_report(guild_id, message_id, reporter_id):
            raise Conflict("moderation.report.already")
        if await self._repo.open_reports_of(guild_id, reporter_id) >= MAX_OPEN_REPORTS:
            raise Conflict("moderation.report.too_many", limit=MAX_OPEN_REPORTS)

    async def report(
        self,
        guild_id: int,
        *,
        channel_id: int,
        message_id: int,
        jump_url: str,
        reporter_id: int,
        reason: str | None,
    ) -> Report:
        """Store a member's report of a message: where it is, never its text.

        Once per member and message while open, and at most :data:`MAX_OPEN_REPORTS` open per member and server
        (:class:`Conflict` otherwise, nothing stored); audited in the same transaction.
        """
        cleaned = _reason(reason)
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            report_id = await self._repo.insert_report(
                tx,
                guild_id=guild_id,
                channel_id=channel_id,
                message_id=message_id,
                jump_url=jump_url[:300],
                reporter_id=reporter_id,
                reason=cleaned,
                now=now,
            )
            if report_id is None:
                raise Conflict("moderation.report.already")
            if await self._repo.open_reports_of(guild_id, reporter_id, tx) > MAX_OPEN_REPORTS:
                raise Conflict("moderation.report.too_many", limit=MAX_OPEN_REPORTS)  # rolls the insert back
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=reporter_id,
                action="report.create",
                target_type="report",
                target_id=str(report_id),
                before=None,
                after={"channel_id": str(channel_id), "message_id": str(message_id)},
                reason=None,
                now=now,
            )
            report = await self._repo.report(guild_id, report_id, tx)
        assert report is not None
        log.info("Server %s: report %s of a message in channel %s", guild_id, report_id, channel_id)
        return report

    async def get_report(self, guild_id: int, report_id: int) -> Report:
        """A report of this server, or :class:`NotFound`."""
        report = await self._repo.report(guild_id, report_id)
        if report is None:
            raise NotFound("moderation.report.not_found")
        return report

    async def resolve_report(self, guild_id: int, report_id: int, moderator_id: int) -> Report:
        """A moderator acted on a report: it leaves the queue (with its claim); audited."""
        return await self._close_report(guild_id, report_id, moderator_id, "resolved")

    async def dismiss_report(self, guild_id: int, report_id: int, moderator_id: int) -> Report:
        """A moderator found nothing to do: the report leaves the queue (with its claim); audited."""
        return await self._close_report(guild_id, report_id, moderator_id, "dismissed")

    async def _close_report(self, guild_id: int, report_id: int, moderator_id: int, status: str) -> Report:
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            before = await self._repo.report(guild_id, report_id, tx)
            if before is None:
                raise NotFound("moderation.report.not_found")
            if not await self._repo.close_report(tx, guild_id, report_id, status, moderator_id, now):
                raise Conflict(f"moderation.report.closed.{before.status}")
            await self._repo.unclaim(tx, guild_id, "reports", str(report_id))
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=moderator_id,
                action="report.resolve" if status == "resolved" else "report.dismiss",
                target_type="report",
                target_id=str(report_id),
                before={"status": before.status},
                after={"status": status},
                reason=None,
                now=now,
            )
            after = await self._repo.report(guild_id, report_id, tx)
        assert after is not None
        return after

    # --- privacy -------------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, object]]]:
        """The member's reports (where, why, status), the reports and items they decided, and the items they claimed."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's reports and claims; a report or item they decided keeps its outcome, not their id."""
        return await self._repo.forget_member(tx, guild_id, user_id)

    # --- the weekly post: schedule (domain jobs) ------------------------------------------------------------------

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle ``moderation.weekly`` and the recurring ``moderation.sweep``."""
        runner.register(WEEKLY_JOB, self._weekly_job, lease=timedelta(minutes=5))
        runner.recurring(
            SWEEP_JOB,
            self._sweep_job,
            every=SWEEP_EVERY,
            first_at=self._clock.now() + SWEEP_EVERY,  # servers configured meanwhile got their job from the listener
            lease=timedelta(minutes=5),
        )

    def add_weekly_source(self, section: str, source: WeeklySource) -> None:
        """Let another feature add a section to the weekly post (rendered by the builder of the same name)."""
        self._sources[section] = source

    async def settings_changed(self, tx: Transaction, before: GuildSettings, after: GuildSettings) -> None:
        """(Re)schedule the server's weekly job when its moderators' channel, digest day, hour or zone changed."""
        if all(getattr(before, name) == getattr(after, name) for name in _SCHEDULE_FIELDS):
            return
        key = weekly_key(after.guild_id)
        await self._jobs.cancel(tx, key)
        if after.moderator_channel_id is None or after.left_at is not None:
            return
        due = schedule.next_slot(self._clock.now(), after.digest_weekday, after.digest_hour, after.timezone)
        await self._jobs.enqueue(tx, WEEKLY_JOB, run_at=due, dedupe_key=key, guild_id=after.guild_id)

    async def next_post(self, guild_id: int) -> datetime | None:
        """When the next weekly post is due (UTC), or None without a moderators' channel."""
        settings = await self._settings.get(guild_id)
        if settings.moderator_channel_id is None or settings.left_at is not None:
            return None
        return schedule.next_slot(self._clock.now(), settings.digest_weekday, settings.digest_hour, settings.timezone)

    async def _weekly_job(self, job: Job) -> None:
        """Plan the latest passed slot's period (once), then wait for the next slot."""
        if job.guild_id is None:
            return
        settings = await self._settings.get(job.guild_id)
        if settings.moderator_channel_id is None or settings.left_at is not None:
            return
        period, slot = schedule.latest(
            self._clock.now(), settings.digest_weekday, settings.digest_hour, settings.timezone
        )
        await self.plan(settings, period, slot)
        due = await self.next_post(job.guild_id)
        if due is not None:
            raise RetryLater(due - self._clock.now(), "next moderators' post")

    async def plan(self, settings: GuildSettings, period: str, slot: datetime) -> Run | None:
        """Claim ``period`` for the server and queue its post, in one transaction; None if it was taken."""
        if settings.moderator_channel_id is None or await self._repo.run_by_period(settings.guild_id, period):
            return None
        async with self._uow.transaction() as tx:
            run_id = await self._repo.insert_run(
                tx,
                guild_id=settings.guild_id,
                period=period,
                slot=slot,
                channel_id=settings.moderator_channel_id,
                now=self._clock.now(),
            )
            if run_id is None:
                return None
            await self._jobs.enqueue(
                tx, POST_JOB, {"run_id": run_id}, dedupe_key=f"{POST_JOB}:{run_id}", guild_id=settings.guild_id
            )
            run = await self._repo.run(run_id, tx)
        log.info("Server %s: the moderators' post of %s is planned", settings.guild_id, period)
        return run

    async def _sweep_job(self, _job: Job) -> None:
        await self.sweep()

    async def sweep(self) -> int:
        """Every server with a moderators' channel gets its weekly job (if it lost it); stale claims, old runs go.

        Resolved and dismissed reports (their reporter's id and reason) are deleted once they were closed longer
        than the retention period (``keep_closed_reports``); open reports stay until a moderator deals with them.

        Returns how many servers got a job they did not have.
        """
        now = self._clock.now()
        added = 0
        for guild_id in await self._repo.guilds_with_channel():
            settings = await self._settings.get(guild_id)
            if settings.moderator_channel_id is None or settings.left_at is not None:
                continue
            due = schedule.next_slot(now, settings.digest_weekday, settings.digest_hour, settings.timezone)
            async with self._uow.transaction() as tx:
                job_id = await self._jobs.enqueue(
                    tx, WEEKLY_JOB, run_at=due, dedupe_key=weekly_key(guild_id), guild_id=guild_id
                )
            added += job_id is not None
        async with self._uow.transaction() as tx:
            for guild_id in await self._repo.guilds_with_claims():
                await self._repo.clean_unknown_queues(tx, guild_id, QUEUES)
                await self._repo.clean_claims(tx, guild_id, QUEUES)
            await self._repo.purge_runs(tx, now - KEEP_RUNS)
            purged = await self._repo.purge_closed_reports(tx, now - self._keep_closed_reports)
        if purged:
            log.info("Deleted %d closed report(s) past their retention", purged)
        return added

    # --- the weekly post: sending (the cog's ``moderation.post`` job) ----------------------------------------------

    async def due_post(self, run_id: int) -> Run | None:
        """The run this post job must send, or None when it was posted, skipped or failed already."""
        run = await self._repo.run(run_id)
        return run if run is not None and run.status in ("planned", "posting") else None

    async def claim_post(self, run: Run) -> bool:
        """Mark the run ``posting`` before sending (a retry re-sends with the same nonce); False when finished.

        The first claim's moment is kept (``attempted_at``) for :meth:`post_needs_lookup`.
        """
        async with self._uow.transaction() as tx:
            return await self._repo.claim_post(tx, run.id, self._clock.now())

    def post_needs_lookup(self, run: Run) -> bool:
        """Whether an earlier attempt may have posted the run so long ago that Discord's nonce no longer catches it.

        As the digest's channel post does (:data:`bot.domain.digest.service.NONCE_SAFE`): a retry whose first
        attempt is older than that first looks in the channel for the post. ``run`` as :meth:`due_post` returned
        it (before this attempt's claim).
        """
        return (
            run.status == "posting"
            and run.attempted_at is not None
            and self._clock.now() - from_iso(run.attempted_at) >= NONCE_SAFE
        )

    async def weekly_content(self, run: Run) -> WeeklyContent:
        """The overview and every added section, for the week that ends at the run's slot."""
        until = from_iso(run.slot)
        since = until - WEEK
        sections: dict[str, object] = {}
        for name, source in self._sources.items():
            sections[name] = await source.moderators_section(run.guild_id, since, until)
        overview = await self.overview(run.guild_id)
        return WeeklyContent(run.guild_id, run.period, to_iso(since), to_iso(until), overview, sections)

    async def posted(self, run: Run, message_id: int) -> None:
        """Record the sent post."""
        await self._finish(run, "posted", message_id=message_id)

    async def post_empty(self, run: Run) -> None:
        """Nothing waited anywhere: recorded, nothing is sent."""
        await self._finish(run, "empty")

    async def post_failed(self, run: Run, reason: str) -> None:
        """The moderators' channel could not be posted to (gone, no permission): recorded, not retried."""
        await self._finish(run, "failed", error=" ".join(reason.split())[:ERROR_MAX] or "failed")

    async def _finish(self, run: Run, status: str, *, message_id: int | None = None, error: str | None = None) -> None:
        async with self._uow.transaction() as tx:
            await self._repo.finish_run(tx, run.id, status, self._clock.now(), message_id=message_id, error=error)
