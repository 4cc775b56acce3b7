"""Durable jobs: the worker loop, and the alert that tells a server's moderators when a job gave up."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.domain.job_runner import DEAD_ALERT_ATTEMPTS, JobRunner
from bot.domain.jobs import DEAD_ALERT, Job
from bot.domain.system import HEARTBEAT_EVERY

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

INTERVAL = 5.0
"""Seconds between two looks for due jobs."""
STOP_GRACE = 5.0
"""Seconds a running job may take to finish when the bot shuts down; then it is cancelled and released."""
BATCH = 20
"""At most this many jobs per look, so one busy moment never starves the rest of the bot."""


class JobsCog(commands.Cog):
    """Runs due jobs every few seconds; a job's handler lives in the cog (or service) that owns its kind."""

    def __init__(self, bot: SteunpuntBot, runner: JobRunner, *, interval: float = INTERVAL, batch: int = BATCH) -> None:
        self.bot = bot
        self.runner = runner
        self.batch = batch
        self._busy = False
        self._last_beat: float | None = None
        self.run_jobs.change_interval(seconds=interval)

    async def cog_load(self) -> None:
        """Register the dead-job alert and start the loop (it waits until the bot is ready)."""
        self.runner.register(
            DEAD_ALERT, self.post_dead_alert, max_attempts=DEAD_ALERT_ATTEMPTS, lease=timedelta(minutes=1)
        )
        self.run_jobs.start()

    async def cog_unload(self) -> None:
        """Stop the loop; jobs in progress keep their lease and are finished or taken over later."""
        self.run_jobs.cancel()
        self.runner.unregister(DEAD_ALERT)

    async def stop_background(self) -> None:
        """On shutdown: let a look for jobs in progress finish (a few seconds at most), then stop the loop."""
        task = self.run_jobs.get_task()
        if not self._busy:  # sleeping until the next tick: nothing to wait for
            self.run_jobs.cancel()
            return
        self.run_jobs.stop()
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()

    @tasks.loop(seconds=INTERVAL)
    async def run_jobs(self) -> None:
        """One look for due jobs; errors are logged, never raised into the loop."""
        self._busy = True
        try:
            await self.beat()
            await self.runner.run_due(self.batch)
        except Exception:
            log.exception("Running due jobs failed")
        finally:
            self._busy = False

    async def beat(self) -> None:
        """Record the heartbeat ``steunpunt health`` reads, at most once a minute.

        The jobs loop is the pulse: a stuck loop stops the heartbeat.
        """
        now = asyncio.get_running_loop().time()
        if self._last_beat is not None and now - self._last_beat < HEARTBEAT_EVERY.total_seconds():
            return
        ws = self.bot.ws
        await self.bot.services.system.heartbeat(connected=ws is not None and ws.open and not self.bot.is_closed())
        self._last_beat = now

    @run_jobs.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    async def post_dead_alert(self, job: Job) -> None:
        """Tell the moderators' channel, once, that a job of this server was given up.

        No channel configured, or one the bot cannot use: logged and done (nobody to tell). Other
        Discord errors (a 5xx, a rate limit) raise, so the alert is retried.
        """
        if job.guild_id is None:
            return
        settings = await self.bot.services.guild_settings.get(job.guild_id)
        channel_id = settings.moderator_channel_id
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            log.warning("Server %s: no usable moderators' channel for the alert about job %s", job.guild_id, job.id)
            return
        locale = settings.locale or self.bot.settings.default_locale
        text = self.bot.i18n.t(
            "jobs.dead_alert",
            locale,
            kind=str(job.payload.get("kind", "?")),
            job_id=str(job.payload.get("job_id", "?")),
            attempts=str(job.payload.get("attempts", "?")),
            error=str(job.payload.get("error", "?")),
        )
        try:
            await channel.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("Server %s: could not post the alert about job %s (%s)", job.guild_id, job.id, exc.status)
            if isinstance(exc, discord.Forbidden):
                await self.bot.permission_alerts.feature_failed(channel.guild, exc)


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog."""
    await bot.add_cog(JobsCog(bot, bot.services.job_runner))
