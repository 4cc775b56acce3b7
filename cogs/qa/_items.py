"""Persistent buttons of the Q&A theme. State lives in the custom_id and the database, so they work after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Forbidden
from bot.permissions import ensure_moderator, member_is_moderator
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    pass


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"qa:fb:(?P<search>\d+):(?P<doc>\d+|x)"):
    """A "this helped" button for one numbered result, or "not useful" (doc ``x``) for the whole answer."""

    def __init__(self, search_id: int, doc_id: int | None, label: str) -> None:
        style = discord.ButtonStyle.success if doc_id is not None else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"qa:fb:{search_id}:{doc_id if doc_id else 'x'}")
        )
        self.search_id = search_id
        self.doc_id = doc_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        """Rebuild from the custom_id (after a restart too)."""
        doc = match["doc"]
        return cls(int(match["search"]), None if doc == "x" else int(doc), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Store the verdict and thank the member; after "not useful", offer the help forum."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is None:
                return
            locale = await bot.locale_for(interaction)
            helpful = self.doc_id is not None
            await bot.services.qa.feedback(
                interaction.guild_id, interaction.user.id, self.search_id, self.doc_id, helpful
            )
            view = None
            if not helpful and (await bot.services.guild_settings.get(interaction.guild_id)).help_forum_id:
                view = discord.ui.View(timeout=None)
                view.add_item(PostToForumButton(self.search_id, bot.i18n.t("qa.ask.post_button", locale)))
            key = "qa.feedback.thanks_helpful" if helpful else "qa.feedback.thanks_unhelpful"
            await interaction.response.send_message(
                bot.i18n.t(key, locale), ephemeral=True, **({"view": view} if view else {})
            )

        await guarded(interaction, run)


class PostToForumButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"qa:post:(?P<search>\d+)"):
    """Opens a modal, prefilled with the member's question, that posts it in the help forum."""

    def __init__(self, search_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.primary, custom_id=f"qa:post:{search_id}")
        )
        self.search_id = search_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PostToForumButton:
        """Rebuild from the custom_id."""
        return cls(int(match["search"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the prefilled modal."""
        from cogs.qa._modals import AskForumModal

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is None:
                return
            locale = await bot.locale_for(interaction)
            question = await bot.services.qa.question_of(interaction.guild_id, self.search_id)
            await interaction.response.send_modal(AskForumModal(bot, locale, question))

        await guarded(interaction, run)


class DismissButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"qa:dismiss:(?P<thread>\d+)"):
    """Removes the bot's suggestion under a help post (the asker or a moderator)."""

    def __init__(self, thread_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=f"qa:dismiss:{thread_id}")
        )
        self.thread_id = thread_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> DismissButton:
        """Rebuild from the custom_id."""
        return cls(int(match["thread"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Delete the suggestion message, if this member may."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.guild_id is None:
                return
            is_mod = await member_is_moderator(bot, interaction)
            user_id = interaction.user.id
            if not await bot.services.qa.may_dismiss(
                interaction.guild_id, self.thread_id, user_id, is_moderator=is_mod
            ):
                raise Forbidden("qa.forum.dismiss_not_allowed")
            await interaction.response.defer()
            await interaction.delete_original_response()

        await guarded(interaction, run)


class PromoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"qa:promote:(?P<thread>\d+)"):
    """Under a solved post: a moderator turns it into an FAQ entry, editing it first."""

    def __init__(self, thread_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=f"qa:promote:{thread_id}")
        )
        self.thread_id = thread_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PromoteButton:
        """Rebuild from the custom_id."""
        return cls(int(match["thread"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the FAQ modal prefilled with the question and accepted answer (moderators only)."""
        from cogs.qa._modals import FaqModal

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            locale = await bot.locale_for(interaction)
            post = await bot.services.qa.solved_post(interaction.guild_id, self.thread_id)
            modal = FaqModal(bot, locale, title=post.title, body=post.answer_text or "", promote_thread=self.thread_id)
            await interaction.response.send_modal(modal)

        await guarded(interaction, run)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    FeedbackButton,
    PostToForumButton,
    DismissButton,
    PromoteButton,
)
