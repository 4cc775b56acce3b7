"""Modals of the Q&A theme: post a question in the help forum; add, edit or promote an FAQ entry."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.qa import FAQ_BODY_MAX, FAQ_TITLE_MAX, POST_BODY_MAX, POST_TITLE_MAX
from bot.domain.qa_models import HelpPost
from bot.domain.setup import SOLVED
from bot.errors import Invalid
from bot.permissions import ensure_moderator
from bot.render.common import neutral, safe
from bot.render.qa import faq_embed
from bot.ui.base import BaseModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)


class AskForumModal(BaseModal):
    """The member's question, prefilled, to post in the help forum on their behalf."""

    command: ClassVar[str] = "ask"
    ask_person: ClassVar[bool] = False
    """True for "ask a person": routing looks at the post at once (cogs/qa/_routing_items.py)."""
    posted_key: ClassVar[str] = "qa.forum.posted"

    def __init__(self, bot: SteunpuntBot, locale: str, question: str) -> None:
        super().__init__(bot, title=bot.i18n.t("qa.forum.modal_title", locale))
        self.locale = locale
        self.post_title: discord.ui.TextInput[AskForumModal] = discord.ui.TextInput(
            label=bot.i18n.t("qa.forum.field_title", locale),
            default=question[:POST_TITLE_MAX],
            max_length=POST_TITLE_MAX,
            min_length=3,
            custom_id="title",
        )
        self.details: discord.ui.TextInput[AskForumModal] = discord.ui.TextInput(
            label=bot.i18n.t("qa.forum.field_details", locale),
            default=question[:POST_BODY_MAX],
            style=discord.TextStyle.paragraph,
            max_length=POST_BODY_MAX,
            custom_id="details",
        )
        self.add_item(self.post_title)
        self.add_item(self.details)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Create the forum post, mentioning (only) the member so they follow it."""
        guild = interaction.guild
        if guild is None:
            raise Invalid("errors.guild_only")
        settings = await self.bot.services.guild_settings.get(guild.id)
        forum = guild.get_channel(settings.help_forum_id) if settings.help_forum_id else None
        if not isinstance(forum, discord.ForumChannel):
            raise Invalid("qa.forum.not_configured")
        await interaction.response.defer(ephemeral=True, thinking=True)
        t, server_locale = self.bot.i18n.t, settings.locale or self.locale
        question = neutral(self.details.value)  # their own words, but posted under our name: no pings or masked links
        content = t("qa.forum.posted_for", server_locale, member=interaction.user.mention) + "\n\n" + question
        tags = await self._required_tags(forum)
        try:
            created = await forum.create_thread(
                name=self.post_title.value.strip()[:POST_TITLE_MAX] or "?",
                content=content[:2000],
                applied_tags=tags,
                allowed_mentions=discord.AllowedMentions(users=[interaction.user], everyone=False, roles=False),
            )
        except discord.Forbidden as exc:
            await self.bot.permission_alerts.feature_failed(guild, exc)
            raise Invalid("qa.forum.forbidden") from exc
        except discord.HTTPException as exc:
            log.warning("Could not create a help-forum post in server %s: %s", guild.id, exc)
            raise Invalid("qa.forum.failed") from exc
        thread = created.thread
        post = HelpPost(thread.id, guild.id, forum.id, interaction.user.id, thread.name, self.details.value)
        await self.bot.services.qa.post_opened(post, ask_person=self.ask_person, from_ask=True)
        await self.bot.services.qa.claim_suggestion(guild.id, thread.id, 0)  # they already saw /ask's matches
        await interaction.followup.send(t(self.posted_key, self.locale, link=thread.jump_url), ephemeral=True)

    async def _required_tags(self, forum: discord.ForumChannel) -> list[discord.ForumTag]:
        """A forum that requires a tag gets one: a theme tag /setup made, else the first tag members may use."""
        if not forum.flags.require_tag:
            return []
        remembered = await self.bot.services.setup.forum_tags(forum.guild.id, forum.id)
        for purpose, tag_id in remembered.items():
            tag = forum.get_tag(tag_id)
            if purpose != SOLVED and tag is not None and not tag.moderated:
                return [tag]
        usable = [t for t in forum.available_tags if not t.moderated]
        return usable[:1]


class FaqModal(BaseModal):
    """Add an FAQ entry, edit one (``entry_id``), or promote a solved post (``promote_thread``)."""

    command: ClassVar[str] = "faq add"

    def __init__(
        self,
        bot: SteunpuntBot,
        locale: str,
        *,
        title: str = "",
        body: str = "",
        aliases: str = "",
        entry_id: int | None = None,
        version: int | None = None,
        promote_thread: int | None = None,
    ) -> None:
        key = "qa.faq.modal_edit" if entry_id else "qa.faq.modal_add"
        super().__init__(bot, title=bot.i18n.t(key, locale))
        self.locale = locale
        self.entry_id = entry_id
        self.version = version
        self.promote_thread = promote_thread
        t = bot.i18n.t
        self.entry_title: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
            label=t("qa.faq.field_title", locale),
            default=title[:FAQ_TITLE_MAX] or None,
            max_length=FAQ_TITLE_MAX,
            min_length=3,
            custom_id="title",
        )
        self.body: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
            label=t("qa.faq.field_body", locale),
            default=body[:FAQ_BODY_MAX] or None,
            max_length=FAQ_BODY_MAX,
            style=discord.TextStyle.paragraph,
            custom_id="body",
        )
        self.aliases: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
            label=t("qa.faq.field_aliases", locale),
            default=aliases[:400] or None,
            max_length=400,
            required=False,
            style=discord.TextStyle.paragraph,
            custom_id="aliases",
        )
        for item in (self.entry_title, self.body, self.aliases):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Check the moderator again, save, and show the result."""
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        qa = self.bot.services.qa
        if self.promote_thread is not None:
            entry = await qa.promote(
                interaction.guild_id,
                self.promote_thread,
                interaction.user.id,
                title=self.entry_title.value,
                body=self.body.value,
            )
        else:
            entry = await qa.faq_save(
                interaction.guild_id,
                interaction.user.id,
                title=self.entry_title.value,
                body=self.body.value,
                aliases=self.aliases.value,
                lang=self.locale,
                entry_id=self.entry_id,
                expected_version=self.version,
            )
        key = "qa.faq.saved" if self.entry_id else "qa.faq.created"
        await interaction.response.send_message(
            self.bot.i18n.t(key, self.locale, title=safe(entry.title)),
            embed=faq_embed(entry, self.bot.i18n, self.locale),
            ephemeral=True,
        )
