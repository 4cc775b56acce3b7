"""Routing's persistent buttons: "ask a person" under a weak /ask answer, and "I'll take it" / "Not now".

The take and pass buttons carry the server and the ask in their custom_id, so they work in a direct message
(where no server is known) and after a restart. Only the member who was asked can use them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.errors import Forbidden
from bot.render.routing import thread_link
from bot.ui.guard import client_of, guarded
from cogs.qa._modals import AskForumModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


class AskPersonModal(AskForumModal):
    """The member's question, prefilled, posted in the help forum and offered to members at once."""

    ask_person: ClassVar[bool] = True
    posted_key: ClassVar[str] = "routing.asked.posted"

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Post it as the forum button does; then look for a member now rather than at the next tick."""
        await super().on_submit(interaction)
        self.bot.kick_jobs()


class AskPersonButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"qa:person:(?P<search>\d+)"):
    """Under an /ask answer that found little: post the question in the forum and ask a member who offers the skill."""

    def __init__(self, search_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.primary, custom_id=f"qa:person:{search_id}")
        )
        self.search_id = search_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> AskPersonButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["search"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the prefilled modal."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is None:
                return
            locale = await bot.locale_for(interaction)
            question = await bot.services.qa.question_of(interaction.guild_id, self.search_id)
            await interaction.response.send_modal(AskPersonModal(bot, locale, question))

        await guarded(interaction, run)


class _Answer:
    """What the two answer buttons share (a mixin, not a component): the server and the ask, and the reply."""

    action: ClassVar[str] = ""
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, guild_id: int, ask_id: int, label: str) -> None:
        custom_id = f"routing:{self.action}:{guild_id}:{ask_id}"
        super().__init__(discord.ui.Button(label=label[:80], style=self.style, custom_id=custom_id))
        self.guild_id = guild_id
        self.ask_id = ask_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["guild"]), int(match["ask"]), item.label or "")

    async def answer(self, bot: SteunpuntBot, user_id: int, locale: str) -> str:
        """Record the answer; the reply to show."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer (the asked member only); in a direct message the buttons go away."""

        async def run() -> None:
            bot = client_of(interaction)
            locale = await bot.locale_for(interaction)
            if interaction.guild_id is not None and interaction.guild_id != self.guild_id:
                raise Forbidden("routing.ask.not_yours")  # a button copied from another server
            text = await self.answer(bot, interaction.user.id, locale)
            bot.kick_jobs()  # the thread's mention, or the next member's ask
            if interaction.guild_id is None:
                await interaction.response.edit_message(content=text, view=None)
            else:
                await interaction.response.send_message(text, ephemeral=True)

        await guarded(interaction, run)


class TakeButton(
    _Answer, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"routing:take:(?P<guild>\d+):(?P<ask>\d+)"
):
    """Answer "I'll take it": the question is this member's, and its thread will mention them once."""

    action: ClassVar[str] = "take"
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.success

    async def answer(self, bot: SteunpuntBot, user_id: int, locale: str) -> str:
        """Take the question."""
        request = await bot.services.routing.flow.take(self.guild_id, user_id, self.ask_id)
        return bot.i18n.t("routing.take.done", locale, link=thread_link(self.guild_id, request.thread_id))


class PassButton(
    _Answer, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"routing:pass:(?P<guild>\d+):(?P<ask>\d+)"
):
    """Answer "Not now": the next member is asked; nobody is told who passed."""

    action: ClassVar[str] = "pass"

    async def answer(self, bot: SteunpuntBot, user_id: int, locale: str) -> str:
        """Pass the question on."""
        await bot.services.routing.flow.decline(self.guild_id, user_id, self.ask_id)
        return bot.i18n.t("routing.pass.done", locale)


def answer_buttons(
    bot: SteunpuntBot, guild_id: int, ask_id: int, locale: str, number: int | None = None
) -> list[TakeButton | PassButton]:
    """The two buttons of one ask, labelled in ``locale`` (numbered in /asked-to-help)."""
    prefix = "" if number is None else f"{number}. "
    t = bot.i18n.t
    return [
        TakeButton(guild_id, ask_id, prefix + t("routing.button.take", locale)),
        PassButton(guild_id, ask_id, prefix + t("routing.button.pass", locale)),
    ]


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (AskPersonButton, TakeButton, PassButton)
