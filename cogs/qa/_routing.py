"""Routing's Discord side: the look at a help post, the asks, the thread's one message, and /asked-to-help.

What the bot can observe with only the ``guilds`` intent: it reads a post's messages over REST (``GET
/channels/{id}/messages``; Read Message History, which the invite asks for). Message content is not needed,
only who wrote: a post is unanswered while every message is by its asker, by Steunpunt, or by another bot.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.routing.models import ANNOUNCE_JOB, CHECK_JOB, DELIVER_JOB, UNMATCHED_JOB
from bot.render.routing import INBOX_MAX, ask_text, inbox_embed, taken_text, unmatched_text
from cogs.qa._routing_items import answer_buttons

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.jobs import Job
    from bot.domain.qa_models import HelpPost
    from bot.domain.routing.models import Delivery, Outcome

log = logging.getLogger(__name__)

HISTORY_LIMIT = 100
"""Messages read to decide whether a post is unanswered (a post with more is busy enough)."""
LEASE = timedelta(minutes=2)
Seen = Literal["unanswered", "answered", "unknown"]


class RoutingJobs:
    """Handles the routing jobs that need Discord: look at a post, ask a member, tell the thread."""

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    def register(self) -> None:
        """Register the handlers with this process's job runner."""
        runner = self.bot.services.job_runner
        runner.register(CHECK_JOB, self.check, lease=LEASE)
        runner.register(DELIVER_JOB, self.deliver, lease=LEASE)
        runner.register(ANNOUNCE_JOB, self.announce, lease=LEASE)
        runner.register(UNMATCHED_JOB, self.unmatched, lease=LEASE)

    async def _locale(self, guild_id: int) -> str:
        return (await self.bot.services.guild_settings.get(guild_id)).locale or self.bot.settings.default_locale

    async def _thread(self, thread_id: int) -> discord.Thread | None:
        found = self.bot.get_channel(thread_id)
        if found is None:
            try:
                found = await self.bot.fetch_channel(thread_id)
            except discord.NotFound:
                return None
        return found if isinstance(found, discord.Thread) else None

    async def observe(self, guild_id: int, thread_id: int, asker_id: int) -> Seen:
        """Whether anyone but the asker (and bots) wrote in a post; "unknown" when Discord would not say."""
        try:
            thread = await self._thread(thread_id)
            if thread is None or thread.locked:
                return "unknown"
            me = self.bot.user.id if self.bot.user is not None else 0
            async for message in thread.history(limit=HISTORY_LIMIT):
                author = message.author
                if author.id not in (asker_id, me) and not author.bot and not message.is_system():
                    return "answered"
        except discord.Forbidden as exc:
            guild = self.bot.get_guild(guild_id)
            if guild is not None:
                await self.bot.permission_alerts.feature_failed(guild, exc)
            return "unknown"
        return "unanswered"

    async def check(self, job: Job) -> None:
        """A post is due: route it if it is still unanswered."""
        flow = self.bot.services.routing.flow
        post: HelpPost | None = await flow.due_check(job)
        if post is None:
            return
        seen = await self.observe(post.guild_id, post.thread_id, post.author_id)
        if seen != "unanswered":
            log.info("Help post %s of server %s is %s: not routed", post.thread_id, post.guild_id, seen)
            return
        await flow.start(post, "ask" if job.payload.get("ask_person") else "forum")

    async def deliver(self, job: Job) -> None:
        """Ask one member, once: by DM with the buttons if they opted in (and Discord lets us), else by notice.

        Before asking the second or third member the post is looked at again: a reply meanwhile ends routing.
        """
        deliveries = self.bot.services.routing.deliveries
        delivery = await deliveries.due_delivery(job)
        if delivery is None:
            return
        if delivery.ask.position > 1 and await self._answered_meanwhile(delivery):
            return
        if not delivery.dm:
            await deliveries.ask_by_notice(delivery)
            return
        if not await deliveries.claim_dm(delivery):
            return  # asked already (another process, or an earlier attempt)
        try:
            await self._direct_message(delivery)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("Could not DM a routing ask (%s); it waits as a notice", exc.status)
            await deliveries.ask_by_notice(delivery, after_dm=True)
        except discord.HTTPException:
            await deliveries.release_dm(delivery)
            raise

    async def _answered_meanwhile(self, delivery: Delivery) -> bool:
        ask = delivery.ask
        post = await self.bot.services.qa.post(ask.guild_id, delivery.thread_id)
        if post is None:
            return True
        if await self.observe(ask.guild_id, delivery.thread_id, post.author_id) != "answered":
            return False
        await self.bot.services.routing.flow.answered(ask.guild_id, delivery.thread_id)
        return True

    async def _direct_message(self, delivery: Delivery) -> None:
        ask = delivery.ask
        locale = await self._locale(ask.guild_id)
        labels = await self.bot.services.skills.catalog.labels(ask.guild_id, locale)
        guild = self.bot.get_guild(ask.guild_id)
        text = ask_text(delivery, labels, guild.name if guild else str(ask.guild_id), self.bot.i18n, locale)
        view = discord.ui.View(timeout=None)
        for button in answer_buttons(self.bot, ask.guild_id, ask.id, locale):
            view.add_item(button)
        await self.bot.send_dm(ask.helper_id, text, view=view)

    async def announce(self, job: Job) -> None:
        """Mention the member who took the question in its thread, once: that adds them to the thread."""
        outcome = await self.bot.services.routing.deliveries.due_outcome(job)
        helper = outcome.request.helper_id if outcome is not None else None
        if outcome is None or helper is None or helper <= 0:
            return
        text = taken_text(helper, self.bot.i18n, await self._locale(outcome.request.guild_id))
        mentions = discord.AllowedMentions(users=[discord.Object(helper)], everyone=False, roles=False)
        await self._tell(outcome, text, mentions)

    async def unmatched(self, job: Job) -> None:
        """Tell the thread, honestly and naming nobody, that no member could take it; point to the coach."""
        outcome = await self.bot.services.routing.deliveries.due_outcome(job)
        if outcome is None:
            return
        text = unmatched_text(outcome, self.bot.i18n, await self._locale(outcome.request.guild_id))
        if not await self._tell(outcome, text, discord.AllowedMentions.none()):
            await self.bot.services.routing.deliveries.tell_asker_by_notice(outcome)

    async def _tell(self, outcome: Outcome, text: str, mentions: discord.AllowedMentions) -> bool:
        """Post the thread's one message; False if the thread is gone or closed to us (a passing error retries)."""
        deliveries = self.bot.services.routing.deliveries
        claimed = await deliveries.claim_told(outcome)
        if claimed is None:
            return True  # told already
        request = outcome.request
        try:
            thread = await self._thread(request.thread_id)
            if thread is None:
                return False
            await thread.send(text, allowed_mentions=mentions)
        except discord.Forbidden as exc:
            guild = self.bot.get_guild(request.guild_id)
            if guild is not None:
                await self.bot.permission_alerts.feature_failed(guild, exc)
            return False
        except discord.NotFound:
            return False
        except discord.HTTPException:
            await deliveries.release_told(outcome, claimed)
            raise
        return True


@app_commands.guild_only()
class RoutingCog(commands.Cog):
    """Members who offered a skill see the questions they were asked to help with."""

    theme: ClassVar[str] = "skills"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    @app_commands.command(name="asked-to-help", description="Questions you were asked to help with: take one, or pass")
    @app_commands.guild_only()
    async def asked_to_help(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        locale = await self.bot.locale_for(interaction)
        found = (await self.bot.services.routing.deliveries.pending_for(guild_id, interaction.user.id))[:INBOX_MAX]
        labels = await self.bot.services.skills.catalog.labels(guild_id, locale)
        view = discord.ui.View(timeout=None)
        for number, delivery in enumerate(found, start=1):
            for button in answer_buttons(self.bot, guild_id, delivery.ask.id, locale, number):
                view.add_item(button)
        embed = inbox_embed(found, labels, self.bot.i18n, locale)
        await interaction.response.send_message(
            embed=embed, view=view if view.children else discord.utils.MISSING, ephemeral=True
        )
