"""/privacy: direct-message opt-in, export of one's own data, and forgetting it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.base import BaseView

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


class ForgetConfirm(BaseView):
    """Asks once more before deleting a member's data."""

    def __init__(self, bot: SteunpuntBot, owner_id: int, locale: str) -> None:
        super().__init__(bot, owner_id=owner_id, command="privacy forget", timeout=120)
        self.locale = locale
        self.confirm.label = bot.i18n.t("privacy.forget.confirm", locale)
        self.cancel.label = bot.i18n.t("privacy.forget.cancel", locale)

    @discord.ui.button(label="confirm", style=discord.ButtonStyle.danger, custom_id="privacy:forget:yes")
    async def confirm(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ForgetConfirm]) -> None:
        """Forget the member's data in this server."""
        assert interaction.guild_id is not None  # guild-only command
        self.stop()
        await self.bot.services.privacy.forget(interaction.guild_id, interaction.user.id)
        await interaction.response.edit_message(content=self.bot.i18n.t("privacy.forget.done", self.locale), view=None)

    @discord.ui.button(label="cancel", style=discord.ButtonStyle.secondary, custom_id="privacy:forget:no")
    async def cancel(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ForgetConfirm]) -> None:
        """Keep everything."""
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.i18n.t("privacy.forget.cancelled", self.locale), view=None
        )


@app_commands.guild_only()
class PrivacyCog(
    commands.GroupCog, group_name="privacy", group_description="Your data and how Steunpunt may contact you"
):
    """Members see, export and delete their data, and opt in or out of direct messages."""

    theme: ClassVar[str] = "general"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="dm", description="Allow or stop direct messages from Steunpunt")
    @app_commands.describe(allow="Whether Steunpunt may send you direct messages")
    async def dm(self, interaction: discord.Interaction[SteunpuntBot], allow: bool) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        await self.bot.services.members.set_dm_opt_in(interaction.guild_id, interaction.user.id, allow)
        key = "privacy.dm.on" if allow else "privacy.dm.off"
        await interaction.response.send_message(self.bot.i18n.t(key, locale), ephemeral=True)

    @app_commands.command(name="export", description="Download everything Steunpunt stores about you here")
    async def export(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        data = await self.bot.services.privacy.export(interaction.guild_id, interaction.user.id)
        file = discord.File(io.BytesIO(data), filename="steunpunt-my-data.json")
        await interaction.response.send_message(
            self.bot.i18n.t("privacy.export.done", locale), file=file, ephemeral=True
        )

    @app_commands.command(name="forget", description="Delete your data in this server")
    async def forget(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        locale = await self.bot.locale_for(interaction)
        view = ForgetConfirm(self.bot, interaction.user.id, locale)
        await interaction.response.send_message(
            self.bot.i18n.t("privacy.forget.ask", locale), view=view, ephemeral=True
        )
        view.message = await interaction.original_response()


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog."""
    await bot.add_cog(PrivacyCog(bot))
