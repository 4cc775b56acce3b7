"""The answer to a click on a short-lived view's item that nobody listens to any more (restart, time-out)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.translator import command_key
from bot.ui.guard import client_of

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


class ExpiredItem(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"(?P<item>[^~]+)~(?P<view>[0-9a-f]{8})~(?P<command>[a-z0-9 _-]{1,60})",
):
    """Matches every stamped id (see :func:`bot.ui.base.stamp`); answers only when its view is gone.

    While the view lives it handles the click itself, and this item stays silent.
    """

    def __init__(self, item: str, view_id: str, command: str) -> None:
        super().__init__(discord.ui.Button(label="·", custom_id=f"{item}~{view_id}~{command}"))
        self.view_id = view_id
        self.command = command

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ExpiredItem:
        """Rebuild from the stamped id."""
        return cls(match["item"], match["view"], match["command"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Say, ephemerally and in the member's language, that this expired and which command to run."""
        bot = client_of(interaction)
        if self.view_id in bot.live_views:
            return
        locale = await bot.locale_for(interaction)
        text = bot.i18n.t("errors.expired", locale, command=command_mention(bot, self.command, locale))
        await interaction.response.send_message(text, ephemeral=True)


def command_mention(bot: SteunpuntBot, qualified_name: str, locale: str) -> str:
    """``resource queue`` as members see it in their language, e.g. ``/bron wachtrij``."""
    parts = qualified_name.split()
    names = [bot.i18n.t(f"{command_key(' '.join(parts[: i + 1]))}.name", locale) for i in range(len(parts))]
    return "`/" + " ".join(names) + "`"


MODAL_ID = re.compile(r"modal~(?P<view>[0-9a-f]{8})~(?P<command>[a-z0-9 _-]{1,60})")


async def answer_expired_modal(bot: SteunpuntBot, interaction: discord.Interaction[Any]) -> None:
    """A modal submission nobody listens to (restart, time-out, forged id): say it expired and what to run."""
    if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
        return
    match = MODAL_ID.fullmatch(str(interaction.data.get("custom_id", "")))
    if match is None or match["view"] in bot.live_views:
        return
    locale = await bot.locale_for(interaction)
    text = bot.i18n.t("errors.expired", locale, command=command_mention(bot, match["command"], locale))
    await interaction.response.send_message(text, ephemeral=True)
