"""/licence choose, compare and info (Creative Commons), and /rights (RightsStatements.org)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.licences import compare
from bot.errors import NotFound
from bot.render.common import truncate
from bot.render.licences import comparison_embed, licence_embed, rights_embed
from cogs.licences._data import LICENCES, RIGHTS, TOOL_CHOICES
from cogs.licences._items import chooser_message

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

Interaction = discord.Interaction["SteunpuntBot"]
THEME = "revenue-and-rights"


@app_commands.guild_only()
class LicenceCog(commands.GroupCog, group_name="licence", group_description="Creative Commons licences"):
    """Choose a Creative Commons licence, compare two, or read the facts of one."""

    theme: ClassVar[str] = THEME

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="choose", description="Find the Creative Commons licence that fits your work, step by step"
    )
    async def choose(self, interaction: Interaction) -> None:
        locale = await self.bot.locale_for(interaction)
        embed, view = chooser_message(LICENCES.chooser.state(()), self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(
        name="compare", description="Can material under two licences be combined into one adaptation?"
    )
    @app_commands.describe(a="The licence of the first work", b="The licence of the second work")
    @app_commands.choices(a=TOOL_CHOICES, b=TOOL_CHOICES)
    async def compare(self, interaction: Interaction, a: str, b: str) -> None:
        locale = await self.bot.locale_for(interaction)
        embed = comparison_embed(compare(LICENCES, a, b), LICENCES, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(
        name="info", description="What a Creative Commons licence or public-domain tool allows and requires"
    )
    @app_commands.describe(licence="The licence or tool")
    @app_commands.choices(licence=TOOL_CHOICES)
    async def info(self, interaction: Interaction, licence: str) -> None:
        tool = LICENCES.tool(licence)
        if tool is None:
            raise NotFound("licences.unknown", value=licence)
        locale = await self.bot.locale_for(interaction)
        await interaction.response.send_message(
            embed=licence_embed(tool, LICENCES, self.bot.i18n, locale), ephemeral=True
        )


class RightsCog(commands.Cog):
    """Look up the 12 rights statements of RightsStatements.org."""

    theme: ClassVar[str] = THEME

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    async def query_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The statements that fit what was typed (code, URI or name), named in the member's language."""
        locale = await self.bot.locale_for(interaction)
        return [
            app_commands.Choice(name=truncate(f"{s.id} — {s.label(locale)}", 100), value=s.id)
            for s in RIGHTS.suggest(current[:200], locale)
        ]

    @app_commands.command(name="rights", description="Look up a RightsStatements.org statement by name, code or URI")
    @app_commands.describe(query="A name, code (e.g. InC-EDU) or URI")
    @app_commands.autocomplete(query=query_autocomplete)
    @app_commands.guild_only()
    async def rights(self, interaction: Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        locale = await self.bot.locale_for(interaction)
        statement = RIGHTS.find(query, locale)
        if statement is None:
            fits = RIGHTS.suggest(query, locale)[:5]
            if len(fits) > 1:
                names = ", ".join(s.id for s in fits)
                raise NotFound("licences.rights.ambiguous", query=truncate(query, 100), names=names)
            raise NotFound("licences.rights.not_found", query=truncate(query, 100))
        embed = rights_embed(statement, RIGHTS, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)
