"""/mod overview for moderators, and "Report to moderators" on any message for members."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Forbidden
from bot.permissions import ensure_moderator
from bot.render.moderation import overview_embed
from cogs.moderation._items import overview_view
from cogs.moderation._modals import ReportModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

Interaction = discord.Interaction["SteunpuntBot"]


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class ModerationCog(commands.GroupCog, group_name="mod", group_description="Tools for moderators"):
    """Every moderators' queue in one view; members report messages to the moderators."""

    theme: ClassVar[str] = "general"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        self.report_menu = app_commands.guild_only(
            app_commands.ContextMenu(name="Report to moderators", callback=self.report_message)
        )
        self.report_menu.guild_only = True
        super().__init__()

    async def cog_load(self) -> None:
        """Register the message command (context menus cannot be declared inside a cog)."""
        self.bot.tree.add_command(self.report_menu)

    async def cog_unload(self) -> None:
        """Remove the message command again."""
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)

    @app_commands.command(name="overview", description="Every moderators' queue in one view, oldest items first")
    async def overview(self, interaction: Interaction) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self.bot.services.moderation.overview(interaction.guild_id)
        embed = overview_embed(found, interaction.guild_id, self.bot.i18n, locale)
        view = overview_view(found, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, view=view or discord.utils.MISSING, ephemeral=True)

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """A help post a moderator locked leaves the unanswered queue; unlocked, it waits there again."""
        metadata = payload.data.get("thread_metadata") or {}
        if "locked" in metadata:
            await self.bot.services.moderation.help_post_locked(
                payload.guild_id, payload.thread_id, bool(metadata["locked"])
            )

    async def report_message(self, interaction: Interaction, message: discord.Message) -> None:
        """Open the report form for ``message``, unless the member may not report it.

        Once per member and message while the report is open, and only while the member has fewer than
        :data:`~bot.domain.moderation.models.MAX_OPEN_REPORTS` open reports in the server.
        """
        if interaction.guild_id is None:
            raise Forbidden("errors.guild_only")
        await self.bot.services.moderation.ensure_may_report(interaction.guild_id, message.id, interaction.user.id)
        locale = await self.bot.locale_for(interaction)
        modal = ReportModal(
            self.bot, locale, channel_id=message.channel.id, message_id=message.id, jump_url=message.jump_url
        )
        await interaction.response.send_modal(modal)
