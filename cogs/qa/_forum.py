"""The help forum: a suggestion under each new post, "Mark as solution", and /unanswered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.qa_models import HelpPost
from bot.domain.setup import SOLVED
from bot.errors import Invalid
from bot.permissions import ensure_moderator, member_is_moderator
from bot.render.qa import solved_text, suggestion_embed, unanswered_embed
from bot.ui.base import command_of
from bot.ui.paginator import Paginator
from cogs.qa._gaps import gaps_message
from cogs.qa._items import DismissButton, PromoteButton

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)
MAX_APPLIED_TAGS = 5


class HelpForumCog(commands.Cog):
    """Listens to the configured help forum and turns accepted answers into knowledge."""

    theme: ClassVar[str] = "knowledge"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        self.mark_menu = app_commands.guild_only(
            app_commands.ContextMenu(name="Mark as solution", callback=self.mark_solution)
        )
        self.mark_menu.guild_only = True

    async def cog_load(self) -> None:
        """Register the message command (context menus cannot be declared inside a cog)."""
        self.bot.tree.add_command(self.mark_menu)

    async def cog_unload(self) -> None:
        """Remove the message command again."""
        self.bot.tree.remove_command(self.mark_menu.name, type=self.mark_menu.type)

    async def _server_locale(self, guild_id: int) -> str:
        return (await self.bot.services.guild_settings.get(guild_id)).locale or self.bot.settings.default_locale

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A new post in the help forum: remember it and reply once with related items (if any)."""
        settings = await self.bot.services.guild_settings.get(thread.guild.id)
        if thread.parent_id is None or thread.parent_id != settings.help_forum_id:
            return
        if self.bot.user is not None and thread.owner_id == self.bot.user.id:
            return  # posted by us for a member (from /ask): that code records it with the member as author
        qa = self.bot.services.qa
        post = HelpPost(thread.id, thread.guild.id, thread.parent_id, thread.owner_id or 0, thread.name[:100] or "?")
        if not await qa.post_opened(post):
            return  # seen before (e.g. posted by /ask on the member's behalf)
        hits = await qa.suggestions_for(thread.guild.id, thread.name)
        if not hits:
            return
        locale = await self._server_locale(thread.guild.id)
        view = discord.ui.View(timeout=None)
        view.add_item(DismissButton(thread.id, self.bot.i18n.t("qa.forum.dismiss", locale)))
        try:
            message = await thread.send(embed=suggestion_embed(hits, thread.guild.id, self.bot.i18n, locale), view=view)
        except discord.Forbidden as exc:
            await self.bot.permission_alerts.feature_failed(thread.guild, exc)
            return
        except discord.HTTPException as exc:
            log.warning("Could not post suggestions in thread %s: %s", thread.id, exc)
            return
        await qa.claim_suggestion(thread.guild.id, thread.id, message.id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """A deleted post takes its answer out of the knowledge base."""
        if await self.bot.services.qa.post(payload.guild_id, payload.thread_id) is not None:
            await self.bot.services.qa.post_removed(payload.guild_id, payload.thread_id)

    async def mark_solution(self, interaction: discord.Interaction[SteunpuntBot], message: discord.Message) -> None:
        """Accept ``message`` as the answer of its help post (the asker or a moderator)."""
        thread = message.channel
        if interaction.guild is None or not isinstance(thread, discord.Thread):
            raise Invalid("qa.solve.not_a_help_post")
        locale = await self.bot.locale_for(interaction)
        is_mod = await member_is_moderator(self.bot, interaction)
        post = await self.bot.services.qa.mark_solution(
            interaction.guild.id,
            thread.id,
            marker_id=interaction.user.id,
            is_moderator=is_mod,
            answer_message_id=message.id,
            answer_author_id=message.author.id,
            answer_text=message.content or " ".join(e.description or "" for e in message.embeds),
            answer_by_bot=message.author.bot or message.webhook_id is not None,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._apply_solved_tag(interaction.guild, thread)
        server_locale = await self._server_locale(interaction.guild.id)
        view = discord.ui.View(timeout=None)
        view.add_item(PromoteButton(thread.id, self.bot.i18n.t("qa.solve.promote", server_locale)))
        try:
            await thread.send(
                solved_text(post, self.bot.i18n, server_locale),
                view=view,
                allowed_mentions=discord.AllowedMentions(users=[message.author], everyone=False, roles=False),
            )
        except discord.HTTPException as exc:
            log.warning("Could not thank the helper in thread %s: %s", thread.id, exc)
        await interaction.followup.send(self.bot.i18n.t("qa.solve.done", locale), ephemeral=True)

    async def _apply_solved_tag(self, guild: discord.Guild, thread: discord.Thread) -> None:
        if thread.parent_id is None:
            return
        tag_id = (await self.bot.services.setup.forum_tags(guild.id, thread.parent_id)).get(SOLVED)
        forum = thread.parent
        if tag_id is None or not isinstance(forum, discord.ForumChannel):
            return
        tag = forum.get_tag(tag_id)
        if tag is None or tag in thread.applied_tags:
            return
        kept = [t for t in thread.applied_tags if t.id != tag_id][: MAX_APPLIED_TAGS - 1]
        try:
            await thread.edit(applied_tags=[*kept, tag])
        except discord.Forbidden as exc:
            await self.bot.permission_alerts.feature_failed(guild, exc)
        except discord.HTTPException as exc:
            log.warning("Could not tag thread %s as solved: %s", thread.id, exc)

    @app_commands.command(name="gaps", description="What the community lacks: questions without answers (moderators)")
    @app_commands.describe(days="How many days back to look")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def gaps(
        self, interaction: discord.Interaction[SteunpuntBot], days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """The knowledge-gap ledger: open gaps by weight, under the search figures of the last ``days`` days."""
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        embed, view = await gaps_message(self.bot, interaction.guild_id, locale, days, 0)
        await interaction.response.send_message(embed=embed, ephemeral=True, **({"view": view} if view else {}))

    @app_commands.command(name="unanswered", description="Open help-forum questions, oldest first")
    @app_commands.guild_only()
    async def unanswered(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        locale = await self.bot.locale_for(interaction)

        async def source(page: int) -> tuple[discord.Embed, int]:
            found = await self.bot.services.qa.unanswered(guild_id, page)
            return unanswered_embed(found, guild_id, self.bot.i18n, locale), found.pages

        paginator = Paginator(self.bot, owner_id=interaction.user.id, source=source, command=command_of(interaction))
        embed = await paginator.first_page()
        await interaction.response.send_message(embed=embed, view=paginator, ephemeral=True)
        paginator.message = await interaction.original_response()
