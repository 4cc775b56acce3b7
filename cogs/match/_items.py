"""Persistent buttons of introductions: Accept / Decline for the asked offerer, and the check-in's three answers.

Both are DynamicItems: they work after restarts and in direct messages. The server is in the custom_id because
a DM carries none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Forbidden
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.introductions.models import Introduction

_ANSWERED = {
    "accepted": "match.answer.done_accepted",
    "declined": "match.answer.done_declined",
    "gone": "match.answer.done_gone",
}
OUTCOME_STYLES = {
    "helped": discord.ButtonStyle.success,
    "not_helped": discord.ButtonStyle.secondary,
    "no_meeting": discord.ButtonStyle.secondary,
}


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"match:answer:(?P<guild>\d+):(?P<id>\d+):(?P<choice>yes|no)",
):
    """The asked offerer accepts (the two are introduced) or declines (the next candidate is asked)."""

    def __init__(self, guild_id: int, intro_id: int, accept: bool, label: str) -> None:
        choice = "yes" if accept else "no"
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                custom_id=f"match:answer:{guild_id}:{intro_id}:{choice}",
            )
        )
        self.guild_id, self.intro_id, self.accept = guild_id, intro_id, accept

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> AnswerButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["guild"]), int(match["id"]), match["choice"] == "yes", item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer (the asked member only); in a DM the buttons make way for the confirmation."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is not None and interaction.guild_id != self.guild_id:
                raise Forbidden("match.answer.not_yours")  # a button copied from another server
            answered = await bot.services.match.requests.answer(
                self.guild_id, interaction.user.id, self.intro_id, self.accept
            )
            text = bot.i18n.t(_ANSWERED[answered.result], await bot.locale_for(interaction))
            if interaction.guild_id is None:
                await interaction.response.edit_message(content=text, view=None)
            else:
                await interaction.response.send_message(text, ephemeral=True)
            bot.kick_jobs()  # the introduction, or the next candidate's ask, goes out now

        await guarded(interaction, run)


class OutcomeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"match:outcome:(?P<guild>\d+):(?P<id>\d+):(?P<outcome>helped|not_helped|no_meeting)",
):
    """One of the two says whether the introduction helped; the answer feeds matching."""

    def __init__(self, guild_id: int, intro_id: int, outcome: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=OUTCOME_STYLES.get(outcome, discord.ButtonStyle.secondary),
                custom_id=f"match:outcome:{guild_id}:{intro_id}:{outcome}",
            )
        )
        self.guild_id, self.intro_id, self.outcome = guild_id, intro_id, outcome

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> OutcomeButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["guild"]), int(match["id"]), match["outcome"], item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Store this member's answer (only the two of the introduction may) and thank them, privately."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is not None and interaction.guild_id != self.guild_id:
                raise Forbidden("match.checkin.not_yours")
            await bot.services.match.followup.record_outcome(
                self.guild_id, interaction.user.id, self.intro_id, self.outcome
            )
            text = bot.i18n.t(f"match.checkin.thanks_{self.outcome}", await bot.locale_for(interaction))
            await interaction.response.send_message(text, ephemeral=True)

        await guarded(interaction, run)


def answer_buttons(
    bot: SteunpuntBot, intro: Introduction, locale: str, *, numbered: bool = False
) -> list[AnswerButton]:
    """Accept and Decline for one ask (numbered when several asks share one message)."""
    suffix = f" #{intro.id}" if numbered else ""
    return [
        AnswerButton(intro.guild_id, intro.id, True, bot.i18n.t("match.button.accept", locale) + suffix),
        AnswerButton(intro.guild_id, intro.id, False, bot.i18n.t("match.button.decline", locale) + suffix),
    ]


def outcome_buttons(
    bot: SteunpuntBot, intro: Introduction, locale: str, *, numbered: bool = False
) -> list[OutcomeButton]:
    """The check-in's three answers for one introduction."""
    suffix = f" #{intro.id}" if numbered else ""
    return [
        OutcomeButton(intro.guild_id, intro.id, outcome, bot.i18n.t(f"match.button.{outcome}", locale) + suffix)
        for outcome in ("helped", "not_helped", "no_meeting")
    ]


def view_of(items: list[AnswerButton] | list[OutcomeButton] | list[discord.ui.Item[Any]]) -> discord.ui.View:
    """A persistent view holding these items (at most 25, as Discord allows)."""
    view = discord.ui.View(timeout=None)
    for item in items[:25]:
        view.add_item(item)
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (AnswerButton, OutcomeButton)
