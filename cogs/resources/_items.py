"""Persistent buttons of the library: the moderators' queue card and the "helpful" vote."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.permissions import ensure_moderator
from bot.render.resources import resource_embed
from bot.ui.base import pick_select
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.resources import Resource


def queue_card_view(bot: SteunpuntBot, resource_id: int, locale: str) -> discord.ui.View:
    """Approve / Request changes / Reject, bound to one resource by custom_id (works after restarts)."""
    view = discord.ui.View(timeout=None)
    t = bot.i18n.t
    view.add_item(ReviewButton("approve", resource_id, t("resources.review.approve", locale)))
    view.add_item(ReviewButton("changes", resource_id, t("resources.review.changes", locale)))
    view.add_item(ReviewButton("reject", resource_id, t("resources.review.reject", locale)))
    return view


async def close_card(interaction: discord.Interaction[Any], resource: Resource, locale: str) -> None:
    """Show the decision on the queue card and remove its buttons."""
    embed = resource_embed(resource, client_of(interaction).i18n, locale, for_moderators=True)
    await interaction.response.edit_message(embed=embed, view=None)


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"res:(?P<action>approve|changes|reject):(?P<id>\d+)"
):
    """One decision on a suggestion; moderators only (checked here, on the server)."""

    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "approve": discord.ButtonStyle.success,
        "changes": discord.ButtonStyle.primary,
        "reject": discord.ButtonStyle.danger,
    }

    def __init__(self, action: str, resource_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=self.STYLES[action], custom_id=f"res:{action}:{resource_id}")
        )
        self.action = action
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ReviewButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(match["action"], int(match["id"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Approve at once; ask for a note or reason first for the other two."""
        from cogs.resources._modals import DecisionModal

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            locale = await bot.locale_for(interaction)
            if self.action != "approve":
                await interaction.response.send_modal(DecisionModal(bot, locale, self.action, self.resource_id))
                return
            decision = await bot.services.library.approve(interaction.guild_id, self.resource_id, interaction.user.id)
            await close_card(interaction, decision.resource, locale)
            await notify_suggester(bot, interaction.guild, decision.notify_user)

        await guarded(interaction, run)


class HelpfulButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"res:helpful:(?P<id>\d+)"):
    """A member marks a resource as helpful (once)."""

    def __init__(self, resource_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=f"res:helpful:{resource_id}")
        )
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> HelpfulButton:
        """Rebuild from the custom_id."""
        return cls(int(match["id"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Count the vote and thank the member."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is None:
                return
            locale = await bot.locale_for(interaction)
            voted = await bot.services.library.vote_helpful(interaction.guild_id, self.resource_id, interaction.user.id)
            key = "resources.helpful.thanks" if voted else "resources.helpful.already"
            await interaction.response.send_message(bot.i18n.t(key, locale), ephemeral=True)

        await guarded(interaction, run)


class ReviewPick(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"res:pick"):
    """In /resource queue: pick a waiting suggestion to review it (its card, with the decision buttons).

    Every pending suggestion can be decided from here, also one whose card never reached the moderators'
    channel. The options live in the message, so the menu still works after a restart.
    """

    def __init__(self, options: list[discord.SelectOption], placeholder: str | None = None) -> None:
        super().__init__(pick_select("res:pick", options, placeholder))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Select[Any], match: re.Match[str], /
    ) -> ReviewPick:
        """Rebuild from the message's own select (its options and the picked value)."""
        return cls(list(item.options), item.placeholder)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the picked suggestion's card with Approve / Request changes / Reject (moderators only)."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            values = self.item.values
            if not values or not values[0].isdigit():
                return
            locale = await bot.locale_for(interaction)
            resource = await bot.services.library.get(interaction.guild_id, int(values[0]))
            embed = resource_embed(resource, bot.i18n, locale, for_moderators=True)
            view = queue_card_view(bot, resource.id, locale) if resource.status == "pending" else None
            await interaction.response.send_message(embed=embed, view=view or discord.utils.MISSING, ephemeral=True)

        await guarded(interaction, run)


def review_pick(resources: list[Resource], placeholder: str) -> ReviewPick:
    """The pick menu for one page of the queue (at most 25 suggestions, as Discord allows)."""
    options = [
        discord.SelectOption(label=f"#{r.id} {r.title}"[:100], value=str(r.id), description=r.url[:100])
        for r in resources[:25]
    ]
    return ReviewPick(options, placeholder[:150])


async def notify_suggester(bot: SteunpuntBot, guild: discord.Guild | None, user_id: int | None) -> None:
    """Deliver waiting notices by DM now, but only to a member who opted in; otherwise on their next command."""
    if guild is None or user_id is None or not await bot.services.members.dm_opt_in(guild.id, user_id):
        return
    await bot.deliver_notices_by_dm(guild, user_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ReviewButton, HelpfulButton, ReviewPick)
