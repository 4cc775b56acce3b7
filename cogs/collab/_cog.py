"""/collab: propose joint projects, list and show them, ask to join, close with an outcome; moderators remove."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.collab.models import NOTE_MAX, REASON_MAX
from bot.errors import Conflict, Forbidden, NotFound
from bot.permissions import ensure_moderator
from bot.render.collab import proposal_embed, proposal_list_embed
from bot.render.common import safe, truncate
from bot.ui.base import command_of
from bot.ui.paginator import Paginator
from cogs.collab._items import answer_view
from cogs.collab._modals import CollabEditModal, CollabProposeModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.collab.models import Proposal

NUMBER = re.compile(r"#?\s*([0-9]{1,18})")
"""A proposal number, typed (``12``, ``#12``) or chosen from autocomplete."""
Interaction = discord.Interaction["SteunpuntBot"]
Theme = Literal["revenue-and-rights", "skills", "collective", "strategy", "collaboration"]
Outcome = Literal["done", "stopped", "other"]


@app_commands.guild_only()
class CollabCog(
    commands.GroupCog,
    group_name="collab",
    group_description="The collaboration board: joint projects looking for partners",
):
    """Members propose joint projects and find partners; owners accept them and close with an outcome."""

    theme: ClassVar[str] = "collaboration"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        self.collab = bot.services.collab
        super().__init__()

    async def _find(self, interaction: Interaction, raw: str) -> Proposal:
        """A proposal by number, or by words of its title (the first open match)."""
        assert interaction.guild_id is not None
        match = NUMBER.fullmatch(raw.strip())
        if match is not None:
            return await self.collab.get(interaction.guild_id, int(match.group(1)))
        found = await self.collab.lookup(interaction.guild_id, raw, interaction.user.id, limit=1)
        if not found:
            raise NotFound("collab.not_found")
        return found[0]

    async def proposal_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Open proposals (and the member's own) by number or title."""
        if interaction.guild_id is None:
            return []
        found = await self.collab.lookup(interaction.guild_id, current, interaction.user.id)
        choices = []
        for proposal in found:
            name = " ".join(f"#{proposal.id} {proposal.title}".split())[:100]
            choices.append(app_commands.Choice(name=name, value=str(proposal.id)))
        return choices

    @app_commands.command(name="propose", description="Propose a joint project and find partners")
    async def propose(self, interaction: Interaction) -> None:
        locale = await self.bot.locale_for(interaction)
        await interaction.response.send_modal(CollabProposeModal(self.bot, locale))

    @app_commands.command(name="list", description="Open collaboration proposals, by theme")
    @app_commands.describe(theme="Only this theme (default: all)")
    async def list(self, interaction: Interaction, theme: Theme | None = None) -> None:
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, await self.bot.locale_for(interaction)
        t = self.bot.i18n.t
        title = (
            t("collab.list.title_theme", locale, theme=t(f"theme.{theme}.name", locale))
            if theme
            else t("collab.list.title", locale)
        )

        async def source(page: int) -> tuple[discord.Embed, int]:
            found = await self.collab.open_page(guild_id, theme, page)
            return proposal_list_embed(found, title, self.bot.i18n, locale), found.pages

        paginator = Paginator(self.bot, owner_id=interaction.user.id, source=source, command=command_of(interaction))
        embed = await paginator.first_page()
        await interaction.response.send_message(embed=embed, view=paginator, ephemeral=True)
        paginator.message = await interaction.original_response()

    @app_commands.command(name="show", description="Show a proposal with its partners")
    @app_commands.describe(proposal="Its number, or start typing its title")
    @app_commands.autocomplete(proposal=proposal_autocomplete)
    async def show(self, interaction: Interaction, proposal: app_commands.Range[str, 1, 100]) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self._find(interaction, proposal)
        board = await self.collab.board(interaction.guild_id, found.id, interaction.user.id)
        embed = proposal_embed(board, self.bot.i18n, locale)
        if board.pending:
            view = answer_view(self.bot, interaction.guild_id, board.pending, locale)
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="join", description="Ask to join a proposal (its owner decides)")
    @app_commands.describe(proposal="Its number, or start typing its title")
    @app_commands.autocomplete(proposal=proposal_autocomplete)
    async def join(self, interaction: Interaction, proposal: app_commands.Range[str, 1, 100]) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self._find(interaction, proposal)
        await self.collab.join(interaction.guild_id, interaction.user.id, found.id)
        text = self.bot.i18n.t("collab.join.done", locale, id=found.id, title=safe(truncate(found.title, 100)))
        await interaction.response.send_message(text, ephemeral=True)
        self.bot.kick_jobs()  # the owner is told by a durable job: run it now rather than at the next tick

    @app_commands.command(name="edit", description="Change your open proposal (its deadline too)")
    @app_commands.describe(proposal="Its number, or start typing its title")
    @app_commands.autocomplete(proposal=proposal_autocomplete)
    async def edit(self, interaction: Interaction, proposal: app_commands.Range[str, 1, 100]) -> None:
        locale = await self.bot.locale_for(interaction)
        found = await self._find(interaction, proposal)
        if found.owner_id != interaction.user.id:
            raise Forbidden("collab.not_owner")
        if not found.open:
            raise Conflict(f"collab.not_open.{found.status}", id=found.id)
        await interaction.response.send_modal(CollabEditModal(self.bot, locale, found))

    @app_commands.command(name="close", description="Close your proposal with its outcome")
    @app_commands.describe(
        proposal="Its number, or start typing its title",
        outcome="How it ended",
        note="A few words on the outcome (shown on the proposal)",
    )
    @app_commands.autocomplete(proposal=proposal_autocomplete)
    async def close(
        self,
        interaction: Interaction,
        proposal: app_commands.Range[str, 1, 100],
        outcome: Outcome,
        note: app_commands.Range[str, 1, NOTE_MAX] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self._find(interaction, proposal)
        closed = await self.collab.close(interaction.guild_id, interaction.user.id, found.id, outcome, note)
        text = self.bot.i18n.t(
            "collab.close.done", locale, id=closed.id, outcome=self.bot.i18n.t(f"collab.outcome.{outcome}", locale)
        )
        await interaction.response.send_message(text, ephemeral=True)
        self.bot.kick_jobs()

    @app_commands.command(name="remove", description="Take a proposal off the board (moderators)")
    @app_commands.describe(
        proposal="Its number, or start typing its title", reason="Why (kept in the audit log and told to its owner)"
    )
    @app_commands.autocomplete(proposal=proposal_autocomplete)
    async def remove(
        self,
        interaction: Interaction,
        proposal: app_commands.Range[str, 1, 100],
        reason: app_commands.Range[str, 1, REASON_MAX],
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self._find(interaction, proposal)
        removed = await self.collab.remove(interaction.guild_id, interaction.user.id, found.id, reason)
        text = self.bot.i18n.t("collab.remove.done", locale, id=removed.id, title=safe(truncate(removed.title, 100)))
        await interaction.response.send_message(text, ephemeral=True)
        self.bot.kick_jobs()
