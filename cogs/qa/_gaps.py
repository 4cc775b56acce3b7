"""The knowledge-gap ledger for moderators: /gaps pages (persistent buttons), and setting a gap aside with a reason.

The page buttons and the pick menu carry their state in the custom_id and the message, so they answer after a
restart too; every click checks the moderator again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.gaps import REASON_MAX, REASON_MIN
from bot.errors import Conflict
from bot.permissions import ensure_moderator
from bot.render.qa import gaps_embed
from bot.ui.base import BaseModal, pick_select
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.gaps import Ledger

MAX_DAYS = 365


async def gaps_message(
    bot: SteunpuntBot, guild_id: int, locale: str, days: int, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """The ledger's page ``page`` under the search figures of the last ``days`` days, with its components."""
    figures = await bot.services.qa.gaps(guild_id, days)
    ledger = await bot.services.gaps.ledger(guild_id, page)
    return gaps_embed(figures, ledger, guild_id, bot.i18n, locale), gaps_view(bot, ledger, days, locale)


def gaps_view(bot: SteunpuntBot, ledger: Ledger, days: int, locale: str) -> discord.ui.View | None:
    """A menu to set one of the page's gaps aside, and page buttons when there is more than one page."""
    t = bot.i18n.t
    page = ledger.page
    view = discord.ui.View(timeout=None)
    if page.items:
        options = [
            discord.SelectOption(label=f"#{gap.id} {gap.question}"[:100], value=str(gap.id)) for gap in page.items[:25]
        ]
        view.add_item(GapPick(options, t("qa.gaps.pick", locale)[:150]))
    if page.pages > 1:
        back, forward = max(page.page - 1, 0), min(page.page + 1, page.pages - 1)
        previous = GapPageButton(days, back, "p", t("qa.gaps.previous", locale))
        following = GapPageButton(days, forward, "n", t("qa.gaps.next", locale))
        previous.item.disabled = page.page == 0
        following.item.disabled = page.page >= page.pages - 1
        view.add_item(previous)
        view.add_item(following)
    return view if view.children else None


class GapPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"gaps:page:(?P<days>\d{1,3}):(?P<page>\d{1,6}):(?P<dir>p|n)",
):
    """Turn the ledger to another page (moderators only); works after a restart."""

    def __init__(self, days: int, page: int, direction: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"gaps:page:{days}:{page}:{direction}",
            )
        )
        self.days = min(max(days, 1), MAX_DAYS)
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> GapPageButton:
        """Rebuild from the custom_id."""
        return cls(int(match["days"]), int(match["page"]), match["dir"], item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page in place of the current one."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            locale = await bot.locale_for(interaction)
            embed, view = await gaps_message(bot, interaction.guild_id, locale, self.days, self.page)
            await interaction.response.edit_message(embed=embed, view=view)

        await guarded(interaction, run)


class GapPick(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"gaps:pick"):
    """Pick one of the page's gaps to set it aside (opens the reason modal; moderators only)."""

    def __init__(self, options: list[discord.SelectOption], placeholder: str | None = None) -> None:
        super().__init__(pick_select("gaps:pick", options, placeholder))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Select[Any], match: re.Match[str], /
    ) -> GapPick:
        """Rebuild from the message's own select (its options and the picked value)."""
        return cls(list(item.options), item.placeholder)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Ask for the reason."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            values = self.item.values
            if not values or not values[0].isdigit() or len(values[0]) > 18:
                return
            gap = await bot.services.gaps.get(interaction.guild_id, int(values[0]))
            if gap.status != "open":
                raise Conflict("qa.gaps.not_open")
            locale = await bot.locale_for(interaction)
            await interaction.response.send_modal(GapDismissModal(bot, locale, gap.id))

        await guarded(interaction, run)


class GapDismissModal(BaseModal):
    """The required reason for setting a knowledge gap aside (recorded in the moderation log)."""

    command: ClassVar[str] = "gaps"

    def __init__(self, bot: SteunpuntBot, locale: str, gap_id: int) -> None:
        super().__init__(bot, title=bot.i18n.t("qa.gaps.modal_title", locale))
        self.locale = locale
        self.gap_id = gap_id
        self.reason: discord.ui.TextInput[GapDismissModal] = discord.ui.TextInput(
            label=bot.i18n.t("qa.gaps.field_reason", locale)[:45],
            style=discord.TextStyle.paragraph,
            min_length=REASON_MIN,
            max_length=REASON_MAX,
            custom_id="reason",
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Check the moderator again, set the gap aside, and say so."""
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        gap = await self.bot.services.gaps.dismiss(
            interaction.guild_id, self.gap_id, interaction.user.id, self.reason.value
        )
        await interaction.response.send_message(
            self.bot.i18n.t("qa.gaps.dismissed", self.locale, id=gap.id), ephemeral=True
        )


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (GapPageButton, GapPick)
