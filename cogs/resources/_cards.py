"""The moderators' queue card of a suggestion, posted by a durable job (retried until it is there)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.domain.jobs import Job, RetryLater
from bot.render.resources import resource_embed
from cogs.resources._items import queue_card_view

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

WAIT_FOR_CHANNEL = timedelta(minutes=15)
"""How often a card waiting for a usable moderators' channel looks again (setting the channel wakes it at once)."""
WAIT_FOR_SERVER = timedelta(minutes=5)
WAIT_FOR_DISCORD = timedelta(minutes=5)
"""How long a card waits after Discord failed or throttled, before trying again (never given up)."""


class QueueCards:
    """Handles ``resources.queue_card`` jobs: post the card, or wait (without failing) for a usable channel."""

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    async def post(self, job: Job) -> None:
        """Post the card of the job's resource, if it still waits for one.

        No moderators' channel yet, or no permission to post there: the job waits and looks again (and
        the moderators hear about the permission once). A rate limit or Discord error raises, so the job
        is retried with backoff and, if it never succeeds, the moderators are told.
        """
        if job.guild_id is None:
            return
        resource = await self.bot.services.library.waiting_for_card(job.guild_id, int(job.payload["resource_id"]))
        if resource is None:  # decided meanwhile, gone, or its card is already there
            return
        guild = self.bot.get_guild(job.guild_id)
        if guild is None:
            raise RetryLater(WAIT_FOR_SERVER, "server not available")
        settings = await self.bot.services.guild_settings.get(guild.id)
        channel = guild.get_channel(settings.moderator_channel_id) if settings.moderator_channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise RetryLater(WAIT_FOR_CHANNEL, "no moderators' channel")
        locale = settings.locale or self.bot.settings.default_locale
        embed = resource_embed(resource, self.bot.i18n, locale, for_moderators=True)
        content = self.bot.i18n.t("resources.queue.card", locale)
        try:
            message = await channel.send(content, embed=embed, view=queue_card_view(self.bot, resource.id, locale))
        except discord.Forbidden as exc:
            await self.bot.permission_alerts.feature_failed(guild, exc)
            raise RetryLater(WAIT_FOR_CHANNEL, "missing permission") from None
        except discord.NotFound:  # the channel was deleted: wait for /setup to name another one
            raise RetryLater(WAIT_FOR_CHANNEL, "moderators' channel gone") from None
        except (discord.DiscordServerError, discord.RateLimited, aiohttp.ClientError, TimeoutError):
            # Discord is down or throttling (discord.py already retried): wait, however long the outage lasts
            raise RetryLater(WAIT_FOR_DISCORD, "Discord unavailable") from None
        await self.bot.services.library.set_queue_card(resource, channel.id, message.id)
        log.info("Posted the queue card of resource %s in server %s", resource.id, guild.id)
