"""/ask and /faq: answers from the knowledge base, feedback, and curated FAQ entries."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.qa import ASK_MAX
from bot.domain.routing.detect import low_confidence
from bot.errors import NotFound
from bot.permissions import ensure_moderator
from bot.render.common import safe
from bot.render.qa import answer_embed, faq_embed
from cogs.qa._items import FeedbackButton, PostToForumButton
from cogs.qa._modals import FaqModal
from cogs.qa._routing_items import AskPersonButton

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.search.models import SearchResult


SNOWFLAKE_OR_ID = re.compile(r"[0-9]{1,18}")
"""An entry id typed or chosen from autocomplete (ASCII digits, within SQLite's integer range)."""


def answer_view(
    bot: SteunpuntBot, search_id: int, result: SearchResult, locale: str, forum: bool, *, person: bool = False
) -> discord.ui.View:
    """Buttons under an answer: "this helped" per result, "not useful", and the forum offer when nothing fits.

    With ``person`` (routing is on), a weak answer also offers "ask a person".
    """
    view = discord.ui.View(timeout=None)
    t = bot.i18n.t
    for index, hit in enumerate(result.hits, start=1):
        view.add_item(FeedbackButton(search_id, hit.document.id, t("qa.ask.helped", locale, number=index)))
    if result.hits:
        view.add_item(FeedbackButton(search_id, None, t("qa.ask.not_useful", locale)))
    if forum and not result.hits:
        view.add_item(PostToForumButton(search_id, t("qa.ask.post_button", locale)))
    answers = [f"{hit.document.title}\n{hit.document.body}" for hit in result.hits]
    if forum and person and low_confidence(result.query, answers):
        view.add_item(AskPersonButton(search_id, t("routing.button.ask_person", locale)))
    return view


@app_commands.guild_only()
class AskCog(commands.Cog):
    """Members ask; the bot answers from FAQ entries, resources and solved questions."""

    theme: ClassVar[str] = "knowledge"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question; I search what the community already knows")
    @app_commands.guild_only()
    @app_commands.describe(question="Your question, in Dutch or English")
    async def ask(
        self, interaction: discord.Interaction[SteunpuntBot], question: app_commands.Range[str, 1, ASK_MAX]
    ) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        search_id, result = await self.bot.services.qa.ask(interaction.guild_id, question, lang=locale)
        settings = await self.bot.services.guild_settings.get(interaction.guild_id)
        forum = settings.help_forum_id is not None
        embed = answer_embed(question, result, interaction.guild_id, self.bot.i18n, locale)
        view = answer_view(self.bot, search_id, result, locale, forum, person=settings.theme_enabled("skills"))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        # only then the knowledge-gap ledger, which waits for the write lock (failures are logged, not shown)
        await self.bot.services.qa.after_ask(interaction.guild_id, interaction.user.id, result)


@app_commands.guild_only()
class FaqCog(commands.GroupCog, group_name="faq", group_description="Frequently asked questions"):
    """Show FAQ entries; moderators add, edit and remove them."""

    theme: ClassVar[str] = "knowledge"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        super().__init__()

    async def _entry_id(self, guild_id: int, raw: str) -> int:
        if SNOWFLAKE_OR_ID.fullmatch(raw.strip()):
            return int(raw.strip())
        found = await self.bot.services.qa.faq_find(guild_id, raw, limit=1)
        if not found:
            raise NotFound("qa.faq.not_found")
        return found[0].id

    async def entry_autocomplete(
        self, interaction: discord.Interaction[SteunpuntBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        entries = await self.bot.services.qa.faq_find(interaction.guild_id, current[:100], limit=25)
        return [app_commands.Choice(name=e.title[:100], value=str(e.id)) for e in entries]

    @app_commands.command(name="show", description="Show an FAQ entry")
    @app_commands.describe(entry="Start typing a title or alias", private="Only you see the answer")
    @app_commands.autocomplete(entry=entry_autocomplete)
    async def show(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        entry: app_commands.Range[str, 1, 100],
        private: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self.bot.services.qa.faq_show(
            interaction.guild_id, await self._entry_id(interaction.guild_id, entry)
        )
        await interaction.response.send_message(embed=faq_embed(found, self.bot.i18n, locale), ephemeral=private)

    @app_commands.command(name="add", description="Add an FAQ entry (moderators)")
    async def add(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        await ensure_moderator(self.bot, interaction)
        locale = await self.bot.locale_for(interaction)
        await interaction.response.send_modal(FaqModal(self.bot, locale))

    @app_commands.command(name="edit", description="Edit an FAQ entry (moderators)")
    @app_commands.describe(entry="Start typing a title or alias")
    @app_commands.autocomplete(entry=entry_autocomplete)
    async def edit(
        self, interaction: discord.Interaction[SteunpuntBot], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self.bot.services.qa.faq_get(
            interaction.guild_id, await self._entry_id(interaction.guild_id, entry)
        )
        modal = FaqModal(
            self.bot,
            locale,
            title=found.title,
            body=found.body,
            aliases="\n".join(found.aliases),
            entry_id=found.id,
            version=found.version,
        )
        await interaction.response.send_modal(modal)

    @app_commands.command(name="remove", description="Remove an FAQ entry (moderators)")
    @app_commands.describe(entry="Start typing a title or alias")
    @app_commands.autocomplete(entry=entry_autocomplete)
    async def remove(
        self, interaction: discord.Interaction[SteunpuntBot], entry: app_commands.Range[str, 1, 100]
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        entry_id = await self._entry_id(interaction.guild_id, entry)
        removed = await self.bot.services.qa.faq_remove(interaction.guild_id, entry_id, interaction.user.id)
        await interaction.response.send_message(
            self.bot.i18n.t("qa.faq.removed", locale, title=safe(removed.title)), ephemeral=True
        )
