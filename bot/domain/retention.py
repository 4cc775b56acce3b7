"""How long Steunpunt keeps what, and the daily clean-up job that enforces it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.db.database import UnitOfWork
    from bot.db.repos.knowledge import KnowledgeRepo
    from bot.db.repos.members import MembersRepo
    from bot.domain.gaps import GapService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.setup import SetupService

log = logging.getLogger(__name__)

CLEANUP_JOB = "retention.cleanup"
"""The recurring daily job that deletes what is older than its retention."""
EVERY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Retention:
    """Retention periods in days (process settings; see ``Settings`` and ``.env.example``)."""

    guild_days: int = 30
    """A departed server's data, after the bot was removed."""
    search_log_days: int = 180
    """Logged searches (for /gaps); they carry no member id, but their text may be personal. Knowledge gaps
    (their askers' words) go with them: closed or set aside this long ago, or open and not asked since."""
    notice_days: int = 90
    """Notices after they were delivered."""
    finished_job_days: int = 30
    """Done and dead jobs."""

    @property
    def closed_reports(self) -> timedelta:
        """Resolved and dismissed reports to the moderators (reporter id, reason): as long as the search log.

        Counted from when a moderator closed them; deleted by the moderation sweep (``ModerationService.sweep``),
        not by this clean-up.
        """
        return timedelta(days=self.search_log_days)


@dataclass(frozen=True, slots=True)
class CleanupReport:
    """What one clean-up deleted."""

    searches: int
    notices: int
    jobs: int
    servers: int
    gaps: int = 0


class RetentionService:
    """Deletes what outlived its retention period, once a day, as a durable recurring job."""

    def __init__(
        self,
        uow: UnitOfWork,
        knowledge: KnowledgeRepo,
        members: MembersRepo,
        jobs: JobService,
        setup: SetupService,
        clock: Clock,
        retention: Retention,
        gaps: GapService | None = None,
    ) -> None:
        self._uow = uow
        self._knowledge = knowledge
        self._members = members
        self._jobs = jobs
        self._setup = setup
        self._clock = clock
        self._retention = retention
        self._gaps = gaps

    def register_jobs(self, runner: JobRunner) -> None:
        """Run :meth:`cleanup` every day, the first a day after the first start.

        The schedule is stored, so a restart neither skips nor repeats a clean-up.
        """
        first = self._clock.now() + EVERY
        runner.recurring(CLEANUP_JOB, self._cleanup_job, every=EVERY, first_at=first, lease=timedelta(minutes=10))

    async def _cleanup_job(self, _job: Job) -> None:
        await self.cleanup()

    async def cleanup(self) -> CleanupReport:
        """Delete old searches, delivered notices and finished jobs; purge servers left long ago."""
        now = self._clock.now()
        keep = self._retention
        async with self._uow.transaction() as tx:
            searches = await self._knowledge.purge_search_log(tx, now - timedelta(days=keep.search_log_days))
            notices = await self._members.purge_delivered(tx, now - timedelta(days=keep.notice_days))
            searched = now - timedelta(days=keep.search_log_days)
            gaps = 0 if self._gaps is None else await self._gaps.purge(tx, searched)
        jobs = await self._jobs.purge_finished(timedelta(days=keep.finished_job_days))
        servers = len(await self._setup.purge_departed())
        report = CleanupReport(searches, notices, jobs, servers, gaps)
        if searches or notices or jobs or servers or gaps:
            log.info(
                "Retention clean-up: %d searches, %d notices, %d jobs, %d servers, %d knowledge gaps",
                searches,
                notices,
                jobs,
                servers,
                gaps,
            )
        return report
