"""General commands: /help (generated from the command tree) and /about."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.guild_settings import THEMES
from bot.render.general import HelpEntry, about_embed, help_embed
from bot.translator import command_key

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


def _localised_path(command: app_commands.Command[object, ..., object], bot: SteunpuntBot, locale: str) -> str:
    catalogue = bot.i18n.catalogue(locale)
    parts: list[str] = []
    node: app_commands.Command[object, ..., object] | app_commands.Group | None = command
    while node is not None:
        parts.append(catalogue.get(f"{command_key(node.qualified_name)}.name", node.name))
        node = node.parent
    return " ".join(reversed(parts))


def help_sections(bot: SteunpuntBot, locale: str) -> dict[str, list[HelpEntry]]:
    """Every slash command the tree holds, grouped by its cog's theme, in the member's language."""
    sections: dict[str, list[HelpEntry]] = defaultdict(list)
    catalogue = bot.i18n.catalogue(locale)
    for cog in bot.cogs.values():
        theme = getattr(cog, "theme", "general")
        for command in cog.walk_app_commands():
            if isinstance(command, app_commands.Command):
                description = catalogue.get(f"{command_key(command.qualified_name)}.description", command.description)
                sections[theme].append(HelpEntry(_localised_path(command, bot, locale), description))
    for entries in sections.values():
        entries.sort(key=lambda e: e.path)
    return sections


class GeneralCog(commands.Cog):
    """Commands that belong to no single theme."""

    theme: ClassVar[str] = "general"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="Show what Steunpunt can do, by theme")
    async def help(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        locale = await self.bot.locale_for(interaction)
        sections = help_sections(self.bot, locale)
        embed = help_embed(sections, ("general", "knowledge", *THEMES), self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="about", description="Version, uptime and a few figures about Steunpunt")
    async def about(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        locale = await self.bot.locale_for(interaction)
        about = await self.bot.services.system.about()
        latency = self.bot.latency
        latency_ms = round(latency * 1000) if latency == latency and latency != float("inf") else None
        embed = about_embed(about, len(self.bot.guilds), latency_ms, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog."""
    await bot.add_cog(GeneralCog(bot))
