"""The scheduled link check: a background task that never blocks the bot."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.linkcheck import LinkChecker

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

RECHECK_AFTER = timedelta(days=7)
BATCH = 40
FIRST_RUN_DELAY = 15 * 60
"""Seconds after start-up before the first check, so a restart loop never turns into a link-check storm."""


class LinkCheckCog(commands.Cog):
    """Every few hours, checks a batch of approved resources whose link was not verified for a week."""

    def __init__(self, bot: SteunpuntBot, checker: LinkChecker | None = None) -> None:
        self.bot = bot
        self.checker = checker or LinkChecker()

    async def cog_load(self) -> None:
        """Start the loop (it waits until the bot is ready)."""
        self.check_links.start()

    async def cog_unload(self) -> None:
        """Stop the loop."""
        self.check_links.cancel()

    async def run_once(self) -> int:
        """Check one batch; broken links go back to the moderators' queue. Returns how many were broken."""
        library = self.bot.services.library
        due = await library.due_for_check(RECHECK_AFTER, BATCH)
        if not due:
            return 0
        results = await self.checker.check_many(r.url for r in due)
        broken = 0
        for resource, result in zip(due, results, strict=True):
            if result.ok is None:  # could not tell (time-out, bot protection): leave it, try again next time
                log.info("Resource %s: link check inconclusive (%s)", resource.id, result.detail)
                continue
            stored = await library.record_link_check(resource, result.ok, result.detail)
            if not result.ok:
                broken += 1
                log.info("Resource %s in server %s: link broken (%s)", resource.id, resource.guild_id, result.detail)
                guild = self.bot.get_guild(resource.guild_id)
                if guild is not None and stored.status == "pending":
                    from cogs.resources._modals import post_queue_card

                    await post_queue_card(self.bot, guild, stored)
        return broken

    @tasks.loop(hours=6)
    async def check_links(self) -> None:
        """The scheduled run; errors are logged, never raised into the loop."""
        try:
            await self.run_once()
        except Exception:
            log.exception("Link check failed")

    @check_links.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()
        await asyncio.sleep(FIRST_RUN_DELAY)
