"""The licence chooser's buttons and the attribution modal.

The chooser keeps no state of its own: each button's custom_id holds the path of options that leads to the
screen it opens (``lic:ch:y.n.sa``), so every button still answers after a restart. "Make an attribution
line" names its tool (``lic:attr:cc-by-4.0``) and opens a modal; the modal itself lives in memory, so a
submission after a restart says it expired and to run /licence choose again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.licences import ChooserState, Tool, make_attribution
from bot.domain.licences.chooser import path_text
from bot.errors import NotFound
from bot.i18n import I18n
from bot.render.licences import attribution_embed, chooser_result_embed, chooser_step_embed
from bot.ui.base import BaseModal
from bot.ui.guard import client_of, guarded
from cogs.licences._data import LICENCES

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

PATH = r"[a-z.]{0,40}"


class LicenceStepButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"lic:ch:(?P<path>{PATH})"):
    """One option (or Back) of the licence chooser: shows the screen its path leads to, in place."""

    def __init__(self, path: str, label: str = "·", style: discord.ButtonStyle = discord.ButtonStyle.primary) -> None:
        super().__init__(discord.ui.Button(label=label[:80], style=style, custom_id=f"lic:ch:{path}"))
        self.path = path

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> LicenceStepButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(match["path"], item.label or "·", item.style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Follow the path and show where it leads (the next question, or the result)."""

        async def run() -> None:
            bot = client_of(interaction)
            locale = await bot.locale_for(interaction)
            state = LICENCES.chooser.parse(self.path)
            embed, view = chooser_message(state, bot.i18n, locale)
            await interaction.response.edit_message(embed=embed, view=view)

        await guarded(interaction, run)


class LicenceAttributionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"lic:attr:(?P<tool>[a-z0-9.-]{1,40})"
):
    """Opens the attribution modal for the tool the chooser led to."""

    def __init__(self, tool_id: str, label: str = "·") -> None:
        super().__init__(
            discord.ui.Button(label=label[:80], style=discord.ButtonStyle.success, custom_id=f"lic:attr:{tool_id}")
        )
        self.tool_id = tool_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> LicenceAttributionButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(match["tool"], item.label or "·")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Ask for the work's title, creator, link and year."""

        async def run() -> None:
            bot = client_of(interaction)
            tool = LICENCES.tool(self.tool_id)
            if tool is None:
                raise NotFound("licences.unknown", value=self.tool_id)
            locale = await bot.locale_for(interaction)
            await interaction.response.send_modal(LicenceAttributionModal(bot, tool, locale))

        await guarded(interaction, run)


class LicenceAttributionModal(BaseModal):
    """Title, creator, link and year of a work; answers with the ready TASL line and the checklist."""

    command = "licence choose"

    def __init__(self, bot: SteunpuntBot, tool: Tool, locale: str) -> None:
        t = bot.i18n.t
        super().__init__(bot, title=t("licences.attribution.modal_title", locale, licence=tool.short))
        self.tool = tool
        key = "licences.attribution"
        self.work_title: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(f"{key}.field_title", locale)[:45],
            placeholder=t(f"{key}.field_title_hint", locale)[:100],
            custom_id="title",
            max_length=200,
        )
        self.creator: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(f"{key}.field_creator", locale)[:45],
            placeholder=t(f"{key}.field_creator_hint", locale)[:100],
            custom_id="creator",
            max_length=200,
        )
        self.source: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(f"{key}.field_source", locale)[:45],
            placeholder=t(f"{key}.field_source_hint", locale)[:100],
            custom_id="source",
            required=False,
            max_length=500,
        )
        self.year: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(f"{key}.field_year", locale)[:45],
            placeholder=t(f"{key}.field_year_hint", locale)[:100],
            custom_id="year",
            required=False,
            max_length=4,
        )
        for item in (self.work_title, self.creator, self.source, self.year):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Check the fields and answer with the line, in the member's language."""
        locale = await self.bot.locale_for(interaction)
        attribution = make_attribution(
            self.tool,
            title=self.work_title.value,
            creator=self.creator.value,
            source=self.source.value,
            year=self.year.value,
        )
        outcome = next((o for o in LICENCES.chooser.outcomes if o.result == self.tool.id), None)
        confirmations = outcome.confirmations if outcome is not None else ()
        embed = attribution_embed(attribution, confirmations, LICENCES.chooser, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


def chooser_message(state: ChooserState, i18n: I18n, locale: str) -> tuple[discord.Embed, discord.ui.View]:
    """The embed and buttons of one chooser state: the screen's options and Back, or the result."""
    view = discord.ui.View(timeout=None)
    t = i18n.t
    if state.outcome is not None:
        embed = chooser_result_embed(state, LICENCES, i18n, locale)
        view.add_item(LicenceAttributionButton(state.outcome.result, t("licences.attribution.button", locale)))
    else:
        assert state.step is not None
        embed = chooser_step_embed(state, LICENCES.chooser, i18n, locale)
        for option in state.step.options:
            label = t(f"licences.choose.option.{state.step.id}.{option.id}", locale)
            view.add_item(LicenceStepButton(path_text((*state.path, option.id)), label))
    if state.back is not None:
        back = LicenceStepButton(
            path_text(state.back), t("licences.choose.back", locale), discord.ButtonStyle.secondary
        )
        view.add_item(back)
    return embed, view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (LicenceStepButton, LicenceAttributionButton)
