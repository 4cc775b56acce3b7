"""The "still valid" button (persistent, works after restarts and in direct messages) and the reminder job."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Forbidden
from bot.render.skills import reminder_text, skill_label, timestamp
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.jobs import Job
    from bot.domain.skills.models import Listing, Reminder

log = logging.getLogger(__name__)


class KeepButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"skills:keep:(?P<guild>\d+):(?P<id>\d+)"):
    """The owner of an offer or need says it is still valid: it runs for another ``skills_expiry_days``.

    The server is in the custom_id because the reminder may come by direct message, where no server is known.
    """

    def __init__(self, guild_id: int, listing_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.success, custom_id=f"skills:keep:{guild_id}:{listing_id}"
            )
        )
        self.guild_id = guild_id
        self.listing_id = listing_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> KeepButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["guild"]), int(match["id"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Extend the listing (its owner only) and confirm; in a direct message the button goes away."""

        async def run() -> None:
            bot = client_of(interaction)
            locale = await bot.locale_for(interaction)
            if interaction.guild_id is not None and interaction.guild_id != self.guild_id:
                raise Forbidden("skills.listing.not_yours")  # a button copied from another server
            listing = await bot.services.skills.expiry.extend(self.guild_id, interaction.user.id, self.listing_id)
            text = bot.i18n.t("skills.keep.done", locale, id=listing.id, when=timestamp(listing.expires_at))
            if interaction.guild_id is None:  # the reminder DM: replace it with the confirmation
                await interaction.response.edit_message(content=text, view=None)
            else:
                await interaction.response.send_message(text, ephemeral=True)

        await guarded(interaction, run)


def keep_button(bot: SteunpuntBot, listing: Listing, locale: str) -> KeepButton:
    """The "still valid" button of one listing, labelled in ``locale``."""
    return KeepButton(listing.guild_id, listing.id, bot.i18n.t("skills.keep.button", locale, id=listing.id))


class Reminders:
    """Handles ``skills.remind`` jobs: a direct message with the button for members who opted in, else a notice."""

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    async def send(self, job: Job) -> None:
        """Remind the owner once; a DM that Discord refuses falls back to a notice on their next command.

        Other Discord errors raise, so the job is retried (the notice path needs no Discord at all).
        """
        expiry = self.bot.services.skills.expiry
        reminder = await expiry.due_reminder(job)
        if reminder is None:
            return
        if reminder.dm and await self._direct_message(reminder):
            await expiry.mark_reminded(reminder)
            return
        await expiry.remind_by_notice(reminder)

    async def _direct_message(self, reminder: Reminder) -> bool:
        listing = reminder.listing
        settings = await self.bot.services.guild_settings.get(listing.guild_id)
        locale = settings.locale or self.bot.settings.default_locale
        skill = await self.bot.services.skills.catalog.skill(listing.guild_id, listing.skill)
        labels = {skill.key: skill.label(locale)} if skill is not None else {}
        guild = self.bot.get_guild(listing.guild_id)
        text = reminder_text(
            listing,
            skill_label(listing, labels),
            guild.name if guild else str(listing.guild_id),
            settings.skills_expiry_days,
            self.bot.i18n,
            locale,
        )
        view = discord.ui.View(timeout=None)
        view.add_item(keep_button(self.bot, listing, locale))
        try:
            await self.bot.send_dm(listing.user_id, text, view=view)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("Could not DM a skills reminder (%s); it waits as a notice", exc.status)
            return False
        return True


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (KeepButton,)
