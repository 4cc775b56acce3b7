"""/match: ask for an introduction for one of your needs, answer requests in your inbox, block a member."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Invalid
from bot.render.match import inbox_embed, requested_embed
from cogs.match._items import answer_buttons, outcome_buttons, view_of

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

NUMBER = re.compile(r"#?\s*([0-9]{1,18})")
"""A need's number, typed (``12``, ``#12``) or chosen from autocomplete."""
Interaction = discord.Interaction["SteunpuntBot"]


def _number(raw: str) -> int:
    match = NUMBER.fullmatch(raw.strip())
    if match is None:
        raise Invalid("match.request.bad_number", value=raw[:20])
    return int(match.group(1))


@app_commands.guild_only()
class MatchCog(commands.GroupCog, group_name="match", group_description="Introductions to members who can help"):
    """Members ask for introductions, answer them, and block members they do not want to be matched with."""

    theme: ClassVar[str] = "skills"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        self.match = bot.services.match
        super().__init__()

    async def _names(self, guild_id: int, locale: str) -> tuple[dict[str, str], dict[str, str]]:
        """Skill labels and group labels in the reader's language."""
        catalog = self.bot.services.skills.catalog
        return await catalog.labels(guild_id, locale), {g.id: g.label(locale) for g in catalog.groups}

    async def need_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The member's own needs, by number and skill."""
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        labels, _ = await self._names(interaction.guild_id, locale)
        wanted = current.strip().lstrip("#").lower()
        found = []
        for need in await self.match.requests.own_needs(interaction.guild_id, interaction.user.id):
            name = f"#{need.id} {labels.get(need.skill or '', need.skill_text or '')}"
            if wanted in name.lower():
                found.append(app_commands.Choice(name=name[:100], value=str(need.id)))
        return found[:25]

    @app_commands.command(name="request", description="Ask to be introduced to a member who offers what you need")
    @app_commands.describe(need="Your need (see /skills mine)")
    @app_commands.autocomplete(need=need_autocomplete)
    async def request(self, interaction: Interaction, need: app_commands.Range[str, 1, 20]) -> None:
        assert interaction.guild_id is not None
        requested = await self.match.requests.request(interaction.guild_id, interaction.user.id, _number(need))
        locale = await self.bot.locale_for(interaction)
        labels, groups = await self._names(interaction.guild_id, locale)
        embed = requested_embed(requested, labels, groups, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)
        self.bot.kick_jobs()  # the ask goes out now, not at the next tick

    @app_commands.command(name="inbox", description="Requests waiting for your answer, and your introductions")
    async def inbox(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        inbox = await self.match.people.inbox(interaction.guild_id, interaction.user.id)
        locale = await self.bot.locale_for(interaction)
        labels, groups = await self._names(interaction.guild_id, locale)
        embed = inbox_embed(inbox, interaction.user.id, labels, groups, self.bot.i18n, locale)
        items: list[discord.ui.Item[Any]] = []
        for ask in inbox.asks:
            items.extend(answer_buttons(self.bot, ask.introduction, locale, numbered=True))
        for intro, _ in inbox.checkins[:3]:
            items.extend(outcome_buttons(self.bot, intro, locale, numbered=True))
        view = view_of(items) if items else discord.utils.MISSING
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="block", description="Never be matched with this member (they are not told)")
    @app_commands.describe(member="The member")
    async def block(self, interaction: Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        new = await self.match.people.block(interaction.guild_id, interaction.user.id, member.id)
        key = "match.block.done" if new else "match.block.already"
        text = self.bot.i18n.t(key, await self.bot.locale_for(interaction), member=member.mention)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="unblock", description="Allow matches with a member you blocked again")
    @app_commands.describe(member="The member")
    async def unblock(self, interaction: Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        await self.match.people.unblock(interaction.guild_id, interaction.user.id, member.id)
        text = self.bot.i18n.t("match.unblock.done", await self.bot.locale_for(interaction), member=member.mention)
        await interaction.response.send_message(text, ephemeral=True)
