"""The board's jobs that need Discord: telling an owner about a request to join, and DMs of waiting notices.

Each handler asks the service what is still to do (None when a late, repeated or concurrent run finds it done),
does the Discord part, and records it. A DM that Discord refuses falls back to a notice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain.collab.models import ASK_JOB, TELL_JOB
from bot.render.collab import ask_text
from cogs.collab._items import answer_view

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.collab.models import OwnerAsk
    from bot.domain.jobs import Job
    from bot.services import Services

log = logging.getLogger(__name__)


class CollabJobs:
    """Handlers of the board's Discord jobs, on the given services (another process's, in a test)."""

    def __init__(self, bot: SteunpuntBot, services: Services | None = None) -> None:
        self.bot = bot
        self.services = services or bot.services

    def register(self) -> None:
        """Register every handler with the services' job runner."""
        runner = self.services.job_runner
        runner.register(ASK_JOB, self.ask, lease=timedelta(minutes=2))
        runner.register(TELL_JOB, self.tell, lease=timedelta(minutes=2))

    async def ask(self, job: Job) -> None:
        """Tell the owner about a request once: by DM with Accept / Decline if they opted in, else a notice."""
        collab = self.services.collab
        ask = await collab.due_ask(job)
        if ask is None:
            return
        if ask.dm and await self._dm_ask(ask):
            await collab.asked_by_dm(ask)
            return
        await collab.ask_by_notice(ask)

    async def _dm_ask(self, ask: OwnerAsk) -> bool:
        proposal = ask.proposal
        settings = await self.services.guild_settings.get(proposal.guild_id)
        locale = settings.locale or self.bot.settings.default_locale
        guild = self.bot.get_guild(proposal.guild_id)
        server = guild.name if guild is not None else str(proposal.guild_id)
        text = ask_text(proposal, ask.partner, server, self.bot.i18n, locale)
        view = answer_view(self.bot, proposal.guild_id, [ask.partner], locale)
        try:
            await self.bot.send_dm(proposal.owner_id, text, view=view)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("Could not DM a proposal's owner about a request (%s); a notice waits instead", exc.status)
            return False
        return True

    async def tell(self, job: Job) -> None:
        """DM a member their waiting notices if they opted in; otherwise they get them on their next command."""
        guild = self.bot.get_guild(job.guild_id) if job.guild_id is not None else None
        user_id = int(job.payload["user_id"])
        if guild is None or not await self.services.members.dm_opt_in(guild.id, user_id):
            return
        await self.bot.deliver_notices_by_dm(guild, user_id)
