"""The owner's persistent Accept / Decline buttons for a request to join a proposal.

A DynamicItem: it works after restarts and in direct messages. The server is in the custom_id because a DM
carries none; the service checks that the clicking member owns the proposal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Forbidden
from bot.render.collab import PENDING_SHOWN
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.collab.models import Partner

_ANSWERED = {
    "accepted": "collab.answer.done_accepted",
    "declined": "collab.answer.done_declined",
    "gone": "collab.answer.done_gone",
}


class CollabAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"collab:answer:(?P<guild>\d+):(?P<id>\d+):(?P<choice>yes|no)",
):
    """The proposal's owner accepts (listed as a partner) or declines a member's request to join."""

    def __init__(self, guild_id: int, partner_id: int, accept: bool, label: str, row: int | None = None) -> None:
        choice = "yes" if accept else "no"
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                custom_id=f"collab:answer:{guild_id}:{partner_id}:{choice}",
                row=row,
            )
        )
        self.guild_id, self.partner_id, self.accept = guild_id, partner_id, accept

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> CollabAnswerButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["guild"]), int(match["id"]), match["choice"] == "yes", item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer (the owner only); in a DM the buttons make way for the confirmation."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is not None and interaction.guild_id != self.guild_id:
                raise Forbidden("collab.not_owner")  # a button copied from another server
            answered = await bot.services.collab.answer(
                self.guild_id, interaction.user.id, self.partner_id, self.accept
            )
            member = answered.partner.member_id if answered.partner is not None else 0
            text = bot.i18n.t(
                _ANSWERED[answered.result], await bot.locale_for(interaction), member=member, id=answered.proposal.id
            )
            if interaction.guild_id is None:
                await interaction.response.edit_message(content=text, view=None)
            else:
                await interaction.response.send_message(text, ephemeral=True)
            bot.kick_jobs()  # the member's notice goes out by DM now if they opted in

        await guarded(interaction, run)


def answer_view(bot: SteunpuntBot, guild_id: int, pending: Sequence[Partner], locale: str) -> discord.ui.View:
    """Accept / Decline for each waiting request (numbered as on the card); one pair says just Accept / Decline."""
    view = discord.ui.View(timeout=None)
    shown = list(pending[:PENDING_SHOWN])
    for number, partner in enumerate(shown, start=1):
        if len(shown) == 1:
            labels = (bot.i18n.t("collab.answer.accept_one", locale), bot.i18n.t("collab.answer.decline_one", locale))
        else:
            labels = (
                bot.i18n.t("collab.answer.accept", locale, number=number),
                bot.i18n.t("collab.answer.decline", locale, number=number),
            )
        row = (number - 1) // 2
        view.add_item(CollabAnswerButton(guild_id, partner.id, True, labels[0], row=row))
        view.add_item(CollabAnswerButton(guild_id, partner.id, False, labels[1], row=row))
    return view


DYNAMIC_ITEMS = (CollabAnswerButton,)
