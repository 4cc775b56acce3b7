"""The scan's persistent buttons: an answer, Back and Stop on a question; "ask for help" and its confirmation.

All are DynamicItems whose custom_id carries the scan's id and the question's number (or the dimension), so a
question shown before a restart still works after it, and every click is checked by the service (the scan
must be the clicking member's own, in this server).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.scan.models import Completed, Step
from bot.domain.scan.scoring import level_of
from bot.errors import Forbidden
from bot.render.scan import help_draft_embed, help_saved_text, question_embed, scan_done_embed, scan_score, stopped_text
from bot.render.skills import found_embed
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.scan.instrument import Dimension

NONE = discord.AllowedMentions.none()


def _guild(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:  # the scan lives in a server; a copied button elsewhere is refused
        raise Forbidden("scan.not_yours")
    return interaction.guild_id


def step_view(bot: SteunpuntBot, step: Step, locale: str) -> discord.ui.View:
    """Five answer buttons (the answer given so far highlighted), then Back and Stop."""
    view = discord.ui.View(timeout=None)
    scan_id, number = step.scan.id, step.question.number
    for value, label in enumerate(bot.services.scan.instrument.scale, start=1):
        view.add_item(
            ScanAnswerButton(scan_id, number, value, f"{value} · {label.label(locale)}", step.answer == value)
        )
    view.add_item(ScanNavButton(scan_id, number, "back", bot.i18n.t("scan.button.back", locale), disabled=number == 1))
    view.add_item(ScanNavButton(scan_id, number, "stop", bot.i18n.t("scan.button.stop", locale)))
    return view


async def show_outcome(bot: SteunpuntBot, interaction: discord.Interaction[Any], outcome: Step | Completed) -> None:
    """Replace the question message with the next question, or with the completed scan's levels."""
    locale = await bot.locale_for(interaction)
    instrument = bot.services.scan.instrument
    if isinstance(outcome, Completed):
        embed = scan_done_embed(outcome.scores, instrument, bot.i18n, locale)
        await interaction.response.edit_message(content=None, embed=embed, view=None)
        return
    embed = question_embed(outcome, instrument, bot.i18n, locale)
    await interaction.response.edit_message(content=None, embed=embed, view=step_view(bot, outcome, locale))


class ScanAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"scan:a:(?P<scan>\d+):(?P<q>\d+):(?P<v>\d)",
):
    """Answer question ``q`` of scan ``scan`` with ``v`` (1-5); the next unanswered question follows."""

    def __init__(self, scan_id: int, number: int, value: int, label: str, selected: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary if selected else discord.ButtonStyle.secondary,
                custom_id=f"scan:a:{scan_id}:{number}:{value}",
                row=0,
            )
        )
        self.scan_id, self.number, self.value = scan_id, number, value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ScanAnswerButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["scan"]), int(match["q"]), int(match["v"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Store the answer at once, then show the next question (or the completed scan)."""

        async def run() -> None:
            bot = client_of(interaction)
            outcome = await bot.services.scan.answer(
                _guild(interaction), interaction.user.id, self.scan_id, self.number, self.value
            )
            await show_outcome(bot, interaction, outcome)

        await guarded(interaction, run)


class ScanNavButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"scan:(?P<action>back|stop):(?P<scan>\d+):(?P<q>\d+)",
):
    """Back to the previous question (its answer can be changed), or Stop (everything answered stays saved)."""

    def __init__(self, scan_id: int, number: int, action: str, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary if action == "back" else discord.ButtonStyle.danger,
                custom_id=f"scan:{action}:{scan_id}:{number}",
                disabled=disabled,
                row=1,
            )
        )
        self.scan_id, self.number, self.action = scan_id, number, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ScanNavButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["scan"]), int(match["q"]), match["action"], item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the previous question, or end this sitting with a note on where /scan start continues."""

        async def run() -> None:
            bot = client_of(interaction)
            scan = bot.services.scan
            guild_id, user_id = _guild(interaction), interaction.user.id
            if self.action == "back":
                step = await scan.show(guild_id, user_id, self.scan_id, self.number - 1)
                await show_outcome(bot, interaction, step)
                return
            step = await scan.where(guild_id, user_id, self.scan_id)
            text = stopped_text(step, bot.i18n, await bot.locale_for(interaction))
            await interaction.response.edit_message(content=text, embed=None, view=None)

        await guarded(interaction, run)


def help_note(bot: SteunpuntBot, dimension: Dimension, mean: float, locale: str) -> str:
    """The note of a need drafted from the scan: the dimension, its level and score."""
    instrument = bot.services.scan.instrument
    return bot.i18n.t(
        "scan.help.note",
        locale,
        dimension=dimension.name.label(locale),
        level=instrument.level(level_of(mean)).name.label(locale),
        score=scan_score(mean, locale),
    )


async def _skill_label(bot: SteunpuntBot, guild_id: int, key: str, locale: str) -> str:
    skill = await bot.services.skills.catalog.skill(guild_id, key)
    return skill.label(locale) if skill is not None else key


class ScanHelpButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"scan:help:(?P<scan>\d+):(?P<dim>[a-z0-9-]{1,60})",
):
    """The "ask for help with this" button under a weak dimension: shows the drafted skill need to confirm."""

    def __init__(self, scan_id: int, dimension_id: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.primary, custom_id=f"scan:help:{scan_id}:{dimension_id}"
            )
        )
        self.scan_id, self.dimension_id = scan_id, dimension_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ScanHelpButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["scan"]), match["dim"], item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the draft need (skill and note) with List / Cancel; nothing is stored yet."""

        async def run() -> None:
            bot = client_of(interaction)
            guild_id = _guild(interaction)
            locale = await bot.locale_for(interaction)
            dimension, mean = await bot.services.scan.help_draft(
                guild_id, interaction.user.id, self.scan_id, self.dimension_id
            )
            skill = await _skill_label(bot, guild_id, dimension.help_skill, locale)
            embed = help_draft_embed(dimension, skill, help_note(bot, dimension, mean, locale), bot.i18n, locale)
            view = discord.ui.View(timeout=None)
            for confirm, key in ((True, "scan.help.confirm"), (False, "scan.help.cancel")):
                label = bot.i18n.t(key, locale)
                view.add_item(ScanHelpConfirmButton(self.scan_id, dimension.id, confirm, label))
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True, allowed_mentions=NONE)

        await guarded(interaction, run)


class ScanHelpConfirmButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"scan:helpok:(?P<scan>\d+):(?P<dim>[a-z0-9-]{1,60}):(?P<choice>yes|no)",
):
    """The member confirms the drafted need (it is listed, and matching offers are shown) or cancels it."""

    def __init__(self, scan_id: int, dimension_id: str, confirm: bool, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.success if confirm else discord.ButtonStyle.secondary,
                custom_id=f"scan:helpok:{scan_id}:{dimension_id}:{'yes' if confirm else 'no'}",
            )
        )
        self.scan_id, self.dimension_id, self.confirm = scan_id, dimension_id, confirm

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ScanHelpConfirmButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["scan"]), match["dim"], match["choice"] == "yes", item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """List the need through the skills listings and show who offers it; or leave everything as it was."""

        async def run() -> None:
            bot = client_of(interaction)
            guild_id = _guild(interaction)
            locale = await bot.locale_for(interaction)
            if not self.confirm:
                text = bot.i18n.t("scan.help.cancelled", locale)
                await interaction.response.edit_message(content=text, embed=None, view=None)
                return
            scan = bot.services.scan
            dimension, mean = await scan.help_draft(guild_id, interaction.user.id, self.scan_id, self.dimension_id)
            asked = await scan.ask_help(
                guild_id, interaction.user.id, self.scan_id, dimension.id, help_note(bot, dimension, mean, locale)
            )
            skill = await _skill_label(bot, guild_id, dimension.help_skill, locale)
            labels = await bot.services.skills.catalog.labels(guild_id, locale)
            text = help_saved_text(asked, skill, bot.i18n, locale)
            embed = found_embed(skill, asked.offers, labels, bot.i18n, locale)
            await interaction.response.edit_message(content=text, embed=embed, view=None, allowed_mentions=NONE)

        await guarded(interaction, run)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ScanAnswerButton,
    ScanNavButton,
    ScanHelpButton,
    ScanHelpConfirmButton,
)
