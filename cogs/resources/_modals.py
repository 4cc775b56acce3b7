"""Modals of the library: suggest, edit, and a moderator's note or reason."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.resources import (
    NOTE_MAX,
    PUBLISHER_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    URL_MAX,
    Resource,
    display_url,
    make_draft,
)
from bot.permissions import ensure_moderator
from bot.render.common import safe
from bot.render.resources import resource_embed
from bot.ui.base import BaseModal
from cogs.resources._items import close_card, notify_suggester

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

Choices = dict[str, str]
TAGS_INPUT_MAX = TAGS_MAX * (TAG_MAX + 2)


def _fields(modal: BaseModal, t: Any, locale: str, resource: Resource | None) -> dict[str, discord.ui.TextInput[Any]]:
    specs = [
        ("title", TITLE_MAX, discord.TextStyle.short, True, resource.title if resource else None),
        ("url", URL_MAX, discord.TextStyle.short, True, display_url(resource.url) if resource else None),
        ("summary", SUMMARY_MAX, discord.TextStyle.paragraph, False, resource.summary if resource else None),
        ("tags", TAGS_INPUT_MAX, discord.TextStyle.short, False, ", ".join(resource.tags) if resource else None),
        ("publisher", PUBLISHER_MAX, discord.TextStyle.short, False, resource.publisher if resource else None),
    ]
    inputs = {}
    for name, limit, style, required, default in specs:
        item: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(f"resources.field.{name}", locale),
            custom_id=name,
            max_length=limit,
            style=style,
            required=required,
            default=(default or None) and default[:limit],
        )
        modal.add_item(item)
        inputs[name] = item
    return inputs


class SuggestModal(BaseModal):
    """A member's suggestion; theme, type and language come from the slash command's options."""

    command: ClassVar[str] = "resource suggest"

    def __init__(self, bot: SteunpuntBot, locale: str, choices: Choices) -> None:
        super().__init__(bot, title=bot.i18n.t("resources.suggest.modal_title", locale))
        self.locale = locale
        self.choices = choices
        self.inputs = _fields(self, bot.i18n.t, locale, None)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Validate, store as pending, confirm, and post the queue card for the moderators."""
        assert interaction.guild is not None
        values = {k: v.value for k, v in self.inputs.items()}
        draft = make_draft(**values, **self.choices)
        resource = await self.bot.services.library.suggest(interaction.guild.id, interaction.user.id, draft)
        t = self.bot.i18n.t
        await interaction.response.send_message(
            t("resources.suggest.thanks", self.locale, title=safe(resource.title[:100])), ephemeral=True
        )
        self.bot.kick_jobs()  # the queue card is posted by a durable job; run it now rather than at the next tick


class EditModal(BaseModal):
    """A moderator edits a resource's text fields (theme, type, language and audience come from options)."""

    command: ClassVar[str] = "resource edit"

    def __init__(self, bot: SteunpuntBot, locale: str, resource: Resource, choices: Choices) -> None:
        super().__init__(bot, title=bot.i18n.t("resources.edit.modal_title", locale))
        self.locale = locale
        self.resource = resource
        self.choices = choices
        self.inputs = _fields(self, bot.i18n.t, locale, resource)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Check the moderator again, validate and store (with an audit entry)."""
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        values = {k: v.value for k, v in self.inputs.items()}
        draft = make_draft(**values, **self.choices)
        stored = await self.bot.services.library.edit(
            interaction.guild_id, self.resource.id, interaction.user.id, draft, expected_version=self.resource.version
        )
        embed = resource_embed(stored, self.bot.i18n, self.locale, for_moderators=True)
        await interaction.response.send_message(
            self.bot.i18n.t("resources.edit.saved", self.locale), embed=embed, ephemeral=True
        )


class DecisionModal(BaseModal):
    """The note (request changes) or reason (reject) a moderator gives with a decision."""

    command: ClassVar[str] = "resource queue"

    def __init__(self, bot: SteunpuntBot, locale: str, action: str, resource_id: int) -> None:
        super().__init__(bot, title=bot.i18n.t(f"resources.review.{action}_title", locale))
        self.locale = locale
        self.action = action
        self.resource_id = resource_id
        self.note: discord.ui.TextInput[DecisionModal] = discord.ui.TextInput(
            label=bot.i18n.t(f"resources.review.{action}_label", locale),
            style=discord.TextStyle.paragraph,
            max_length=NOTE_MAX,
            custom_id="note",
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Store the decision, close the queue card, tell the suggester."""
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        library = self.bot.services.library
        if self.action == "reject":
            decision = await library.reject(
                interaction.guild_id, self.resource_id, interaction.user.id, self.note.value
            )
        else:
            decision = await library.request_changes(
                interaction.guild_id, self.resource_id, interaction.user.id, self.note.value
            )
        if interaction.message is not None:
            await close_card(interaction, decision.resource, self.locale)
        else:
            await interaction.response.send_message(
                self.bot.i18n.t("resources.review.done", self.locale), ephemeral=True
            )
        await notify_suggester(self.bot, interaction.guild, decision.notify_user)
