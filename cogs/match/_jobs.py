"""The introductions' jobs that need Discord: the ask, the private thread, the nudge, the check-in, DMs of notices.

Each handler asks the service what is still to do (``due_*``: None when a late, repeated or concurrent run finds
it done), does the Discord part, and records it. A DM that Discord refuses falls back to a notice; a thread
that cannot be opened (no channel set, missing permissions) falls back to telling both by DM or notice. Other
Discord errors raise, so the job is retried.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Final, Literal

import discord

from bot.domain.introductions.common import ASK_JOB, CHECKIN_JOB, NUDGE_JOB, OPEN_JOB, TELL_JOB
from bot.render.match import ask_text, checkin_dm_text, need_label, opening_text, pair_mentions, pair_text
from cogs.match._items import answer_buttons, outcome_buttons, view_of

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.introductions.models import AskDelivery, CheckIn, Introduction, Opening
    from bot.domain.jobs import Job
    from bot.domain.skills.models import Listing
    from bot.services import Services

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Final[Literal[10080]] = 10080
"""A week of silence before Discord archives the thread (a message, like the check-in, reopens it)."""
_THREAD_NEEDS = ("view_channel", "create_private_threads", "send_messages_in_threads")


class MatchJobs:
    """Handlers of the introductions' Discord jobs, on the given services (another process's, in a test)."""

    def __init__(self, bot: SteunpuntBot, services: Services | None = None) -> None:
        self.bot = bot
        self.services = services or bot.services

    def register(self) -> None:
        """Register every handler with the services' job runner."""
        runner = self.services.job_runner
        runner.register(ASK_JOB, self.ask, lease=timedelta(minutes=2))
        runner.register(OPEN_JOB, self.open, lease=timedelta(minutes=2))
        runner.register(NUDGE_JOB, self.nudge, lease=timedelta(minutes=2))
        runner.register(CHECKIN_JOB, self.checkin, lease=timedelta(minutes=2))
        runner.register(TELL_JOB, self.tell, lease=timedelta(minutes=2))

    async def _context(self, guild_id: int, need: Listing | None) -> tuple[str, str, discord.Guild | None]:
        """The server's language, the need's skill in it, and the server."""
        settings = await self.services.guild_settings.get(guild_id)
        locale = settings.locale or self.bot.settings.default_locale
        labels = await self.services.skills.catalog.labels(guild_id, locale)
        return locale, need_label(need, labels, self.bot.i18n, locale), self.bot.get_guild(guild_id)

    async def _dm(self, user_id: int, text: str, view: discord.ui.View) -> bool:
        try:
            await self.bot.send_dm(user_id, text, view=view)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("Could not DM a member about an introduction (%s); a notice waits instead", exc.status)
            return False
        return True

    # --- the ask ----------------------------------------------------------------------------------------------

    async def ask(self, job: Job) -> None:
        """Bring a request to the asked offerer once: by DM with Accept/Decline if they opted in, else a notice."""
        requests = self.services.match.requests
        delivery = await requests.due_ask(job)
        if delivery is None:
            return
        if delivery.dm and await self._dm_ask(delivery):
            await requests.asked_by_dm(delivery)
            return
        await requests.ask_by_notice(delivery)

    async def _dm_ask(self, delivery: AskDelivery) -> bool:
        intro = delivery.introduction
        locale, skill, guild = await self._context(intro.guild_id, delivery.need)
        groups = {g.id: g.label(locale) for g in self.services.skills.catalog.groups}
        server = guild.name if guild is not None else str(intro.guild_id)
        text = ask_text(intro, delivery.need, skill, server, groups, self.bot.i18n, locale)
        return await self._dm(intro.offerer_id, text, view_of(answer_buttons(self.bot, intro, locale)))

    # --- the introduction -------------------------------------------------------------------------------------

    async def open(self, job: Job) -> None:
        """Introduce an accepted pair: a private thread with both, else each other's name by DM or notice."""
        followup = self.services.match.followup
        opening = await followup.due_opening(job)
        if opening is None:
            return
        made = await self._open_thread(opening)
        if made is not None:
            await followup.opened(opening, *made)
        else:
            await followup.opened_without_thread(opening)

    async def _usable_channel(self, opening: Opening) -> discord.TextChannel | None:
        guild = self.bot.get_guild(opening.introduction.guild_id)
        channel = guild.get_channel(opening.channel_id) if guild is not None and opening.channel_id else None
        if guild is None or not isinstance(channel, discord.TextChannel):
            return None
        perms = channel.permissions_for(guild.me)
        if not all(getattr(perms, name) for name in _THREAD_NEEDS):
            await self.bot.permission_alerts.check_and_report(guild)
            return None
        return channel

    async def _open_thread(self, opening: Opening) -> tuple[int, int] | None:
        """The thread's and opening message's ids, or None when no thread can be opened here."""
        channel = await self._usable_channel(opening)
        if channel is None:
            return None
        intro = opening.introduction
        locale, skill, _ = await self._context(intro.guild_id, opening.need)
        days = (await self.services.guild_settings.get(intro.guild_id)).checkin_days
        name = self.bot.i18n.t("match.thread.name", locale, skill=await self._plain_skill(opening, locale))[:100]
        try:
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            for member in (intro.requester_id, intro.offerer_id):
                await thread.add_user(discord.Object(member))
            note = opening.need.note if opening.need is not None else ""
            text = opening_text(intro, skill, note, days, self.bot.i18n, locale)
            message = await thread.send(text, allowed_mentions=pair_mentions(intro))
        except discord.Forbidden as exc:
            await self.bot.permission_alerts.feature_failed(channel.guild, exc)
            return None
        except discord.NotFound:
            return None
        return thread.id, message.id

    async def _plain_skill(self, opening: Opening, locale: str) -> str:
        """The need's skill as plain text (a thread name shows no markdown and pings nobody)."""
        need = opening.need
        if need is None:
            return "…"
        skill = await self.services.skills.catalog.skill(need.guild_id, need.skill)
        return skill.label(locale) if skill is not None else " ".join((need.skill_text or "").split())

    # --- the nudge --------------------------------------------------------------------------------------------

    async def nudge(self, job: Job) -> None:
        """48 hours after the introduction: one nudge if nobody wrote in the thread since the opening message.

        The bot has only the ``guilds`` intent, so it cannot watch messages; it fetches the thread and compares
        its last message with the opening one.
        """
        followup = self.services.match.followup
        intro = await followup.due_nudge(job)
        if intro is None or intro.thread_id is None:
            return
        try:
            thread = await self.bot.fetch_channel(intro.thread_id)
        except (discord.NotFound, discord.Forbidden):
            await followup.nudge_checked(intro, nudged=False)  # the thread is gone: nothing to nudge
            return
        silent = isinstance(thread, discord.Thread) and thread.last_message_id in (None, intro.opening_message_id)
        if silent and isinstance(thread, discord.Thread):
            silent = await self._post_to_pair(thread, intro, "match.thread.nudge", None)
        await followup.nudge_checked(intro, nudged=silent)

    async def _post_to_pair(
        self, thread: discord.Thread, intro: Introduction, key: str, view: discord.ui.View | None
    ) -> bool:
        locale, skill, _ = await self._context(intro.guild_id, await self.services.match.followup.need_of(intro))
        text = pair_text(key, intro, skill, self.bot.i18n, locale)
        try:
            await thread.send(text, view=view or discord.utils.MISSING, allowed_mentions=pair_mentions(intro))
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("Could not post in an introduction's thread (%s)", exc.status)
            return False
        return True

    # --- the check-in -----------------------------------------------------------------------------------------

    async def checkin(self, job: Job) -> None:
        """Ask both "did it help?" once: in their thread, else by DM (opted in), else on their next command."""
        followup = self.services.match.followup
        checkin = await followup.due_checkin(job)
        if checkin is None:
            return
        intro = checkin.introduction
        reached = (False, False)
        if intro.thread_id is not None and await self._checkin_in_thread(checkin):
            reached = (True, True)
        else:
            members = (intro.requester_id, intro.offerer_id)
            reached = (
                checkin.dm[0] and await self._checkin_dm(checkin, members[0]),
                checkin.dm[1] and await self._checkin_dm(checkin, members[1]),
            )
        await followup.checked_in(checkin, reached=reached)

    async def _checkin_in_thread(self, checkin: CheckIn) -> bool:
        intro = checkin.introduction
        assert intro.thread_id is not None
        try:
            thread = await self.bot.fetch_channel(intro.thread_id)
        except (discord.NotFound, discord.Forbidden):
            return False
        if not isinstance(thread, discord.Thread):
            return False
        locale = (await self._context(intro.guild_id, None))[0]
        view = view_of(outcome_buttons(self.bot, intro, locale))
        return await self._post_to_pair(thread, intro, "match.thread.checkin", view)

    async def _checkin_dm(self, checkin: CheckIn, user_id: int) -> bool:
        intro = checkin.introduction
        locale, skill, guild = await self._context(intro.guild_id, checkin.need)
        server = guild.name if guild is not None else str(intro.guild_id)
        text = checkin_dm_text(intro, user_id, skill, server, self.bot.i18n, locale)
        return await self._dm(user_id, text, view_of(outcome_buttons(self.bot, intro, locale)))

    # --- notices by DM ----------------------------------------------------------------------------------------

    async def tell(self, job: Job) -> None:
        """DM a member their waiting notices if they opted in; otherwise they get them on their next command."""
        guild = self.bot.get_guild(job.guild_id) if job.guild_id is not None else None
        user_id = int(job.payload["user_id"])
        if guild is None or not await self.services.members.dm_opt_in(guild.id, user_id):
            return
        await self.bot.deliver_notices_by_dm(guild, user_id)
