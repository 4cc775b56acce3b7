"""Link checks as durable jobs: every few hours a schedule job queues one check job per stale link."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.domain.jobs import Job
from bot.domain.library import CHECK_JOB, SCHEDULE_JOB
from bot.errors import Conflict, NotFound
from bot.linkcheck import LinkChecker

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

RECHECK_AFTER = timedelta(days=7)
BATCH = 40
EVERY = timedelta(hours=6)


class LinkCheckCog(commands.Cog):
    """Checks approved resources' links whose last check is older than a week; broken ones go back to review.

    The schedule is a recurring job (it survives restarts, so a restart loop never becomes a check storm);
    each link is its own job, so a crash mid-batch loses nothing and two processes never check one twice.
    """

    def __init__(self, bot: SteunpuntBot, checker: LinkChecker | None = None) -> None:
        self.bot = bot
        self.checker = checker or LinkChecker()

    async def cog_load(self) -> None:
        """Register the two job kinds."""
        runner = self.bot.services.job_runner
        runner.recurring(SCHEDULE_JOB, self.schedule, every=EVERY, max_attempts=3)
        runner.register(CHECK_JOB, self.check, max_attempts=3, lease=timedelta(minutes=2))

    async def cog_unload(self) -> None:
        """Stop handling link-check jobs in this process."""
        self.bot.services.job_runner.unregister(SCHEDULE_JOB)
        self.bot.services.job_runner.unregister(CHECK_JOB)

    async def schedule(self, _job: Job) -> None:
        """Queue a check for every approved resource not verified for a week (up to a batch)."""
        queued = await self.bot.services.library.schedule_link_checks(RECHECK_AFTER, BATCH)
        if queued:
            log.info("Queued %d link checks", queued)

    async def check(self, job: Job) -> None:
        """Check one resource's link; a broken one sends the resource back to the moderators' queue."""
        library = self.bot.services.library
        if job.guild_id is None:
            return
        try:
            resource = await library.get(job.guild_id, int(job.payload["resource_id"]))
        except NotFound:
            return
        if resource.status != "approved":
            return
        (result,) = await self.checker.check_many([resource.url])
        if result.ok is None:  # could not tell (time-out, bot protection): the next schedule tries again
            log.info("Resource %s: link check inconclusive (%s)", resource.id, result.detail)
            return
        try:
            stored = await library.record_link_check(resource, result.ok, result.detail)
        except Conflict:  # edited or decided while we checked: the next schedule looks at the new version
            return
        if stored.status == "pending":
            log.info("Resource %s in server %s: link broken (%s)", resource.id, resource.guild_id, result.detail)
            self.bot.kick_jobs()  # its queue card
