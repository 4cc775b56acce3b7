"""The moderators' weekly post: the overview (and any added sections) in the moderators' channel, once a period.

The domain planned the run (claimed the period) and queued this job in one transaction. The job claims the send,
then posts with the run's nonce (discord.py sends ``enforce_nonce``): a retry after a crash sends the same nonce
and Discord answers with the message it already has. Discord remembers a nonce for a few minutes only, and the
job's retries back off further: a retry whose first attempt is older than that first looks in the channel for the
post (as the digest's channel post does), so the channel never gets it twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Final

import aiohttp
import discord

from bot.domain.moderation.models import POST_JOB
from bot.i18n import SUPPORTED
from bot.render.common import safe
from bot.render.moderation import weekly_embed
from cogs.moderation._items import overview_view

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.jobs import Job
    from bot.domain.moderation.models import Run

log = logging.getLogger(__name__)

POST_ATTEMPTS: Final = 8
"""Attempts (backoff doubling from 30 s: about an hour) before the post is recorded as failed."""
LOOKUP_LIMIT: Final = 50
"""Recent messages of the moderators' channel read to find a post an earlier attempt sent (as the digest does)."""
_PASSING = (discord.DiscordServerError, discord.RateLimited, asyncio.TimeoutError, aiohttp.ClientError, OSError)


class ModerationJobs:
    """Handles ``moderation.post``."""

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    def register(self) -> None:
        """Register the handler with the services' job runner."""
        self.bot.services.job_runner.register(
            POST_JOB, self.post, lease=timedelta(minutes=2), max_attempts=POST_ATTEMPTS
        )

    async def post(self, job: Job) -> None:
        """Post a run's overview once; nothing when every queue (and every added section) is empty.

        A gone channel or a missing permission is recorded (and the moderators hear about the permission); a
        passing failure is retried with the same nonce. A retry later than Discord's nonce window first looks in
        the channel for the post an earlier attempt may have sent (created by Discord, but answered with a
        time-out or a 5xx) and records that one instead of sending again.
        """
        moderation = self.bot.services.moderation
        run = await moderation.due_post(int(job.payload["run_id"]))
        if run is None or not await moderation.claim_post(run):
            return
        content = await moderation.weekly_content(run)
        if content.empty:
            await moderation.post_empty(run)
            log.info("Server %s: nothing waits for the moderators in %s; no post", run.guild_id, run.period)
            return
        settings = await self.bot.services.guild_settings.get(run.guild_id)
        channel_id = settings.moderator_channel_id or run.channel_id
        if channel_id is None:
            await moderation.post_failed(run, "no channel")
            return
        locale = settings.locale or self.bot.settings.default_locale
        embed = weekly_embed(content, self.bot.i18n, locale)
        view = overview_view(content.overview, self.bot.i18n, locale)
        channel = self.bot.get_partial_messageable(channel_id, guild_id=run.guild_id)
        try:
            if moderation.post_needs_lookup(run):
                found = await self._find_posted(channel, run)
                if found is not None:
                    await moderation.posted(run, found)
                    log.info("Server %s: the moderators' post of %s was found posted already", run.guild_id, run.period)
                    return
            sent = await channel.send(
                embed=embed,
                view=view or discord.utils.MISSING,
                nonce=run.nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("Server %s: the moderators' post failed (%s %s)", run.guild_id, exc.status, exc.code)
            await moderation.post_failed(run, f"{exc.status} {exc.code}")
            guild = self.bot.get_guild(run.guild_id)
            if isinstance(exc, discord.Forbidden) and guild is not None:
                await self.bot.permission_alerts.feature_failed(guild, exc)
        except _PASSING as exc:
            if job.attempts < job.max_attempts:
                raise
            log.warning("Server %s: the moderators' post gave up after %d attempts", run.guild_id, job.attempts)
            await moderation.post_failed(run, f"{type(exc).__name__} ({job.attempts}x)")
        else:
            await moderation.posted(run, sent.id)
            log.info("Server %s: posted the moderators' overview of %s", run.guild_id, run.period)

    async def _find_posted(self, channel: discord.PartialMessageable, run: Run) -> int | None:
        """The id of this run's post if an earlier attempt sent it: the bot's recent message with the period's title.

        The title carries the period, so an older week's post never matches; it is compared in every language (the
        server's may have changed between attempts). Nothing is found when reading the channel is not allowed.
        """
        me = self.bot.user.id if self.bot.user is not None else None
        titles = {self.bot.i18n.t("moderation.weekly.title", locale, period=safe(run.period)) for locale in SUPPORTED}
        try:
            recent = [m async for m in channel.history(limit=LOOKUP_LIMIT)]
        except discord.Forbidden:
            return None
        for message in recent:  # newest first
            if message.author.id == me and message.embeds and message.embeds[0].title in titles:
                return message.id
        return None
