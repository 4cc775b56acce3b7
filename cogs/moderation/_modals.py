"""The report form: a member tells the moderators about a message, with an optional short reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.moderation.models import REASON_MAX
from bot.ui.base import BaseModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


class ReportModal(BaseModal):
    """Opened by "Report to moderators" on a message; stores where the message is, never what it says."""

    def __init__(self, bot: SteunpuntBot, locale: str, *, channel_id: int, message_id: int, jump_url: str) -> None:
        super().__init__(bot, title=bot.i18n.t("moderation.report.modal_title", locale))
        self.locale = locale
        self.channel_id, self.message_id, self.jump_url = channel_id, message_id, jump_url
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=bot.i18n.t("moderation.report.reason_label", locale)[:45],
            placeholder=bot.i18n.t("moderation.report.reason_placeholder", locale)[:100],
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=REASON_MAX,
            custom_id="reason",
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Store the report and thank the member (only they see it)."""
        if interaction.guild_id is None:
            return
        await self.bot.services.moderation.report(
            interaction.guild_id,
            channel_id=self.channel_id,
            message_id=self.message_id,
            jump_url=self.jump_url,
            reporter_id=interaction.user.id,
            reason=self.reason.value,
        )
        self.stop()
        await interaction.response.send_message(self.bot.i18n.t("moderation.report.done", self.locale), ephemeral=True)
