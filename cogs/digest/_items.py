"""The digest's components: the persistent unsubscribe button of every personal DM, and the themes picker.

The unsubscribe button is a DynamicItem: it works after restarts and in direct messages, where no server is
known, so its custom_id carries the server and the member it was sent to. The themes picker belongs to the
short-lived ``/digest subscribe`` reply (a :class:`~bot.ui.base.BaseView`): after a restart it says to run the
command again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Forbidden
from bot.render.common import safe
from bot.ui.base import BaseView
from bot.ui.guard import client_of, guarded

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.digest.models import Subscription


class UnsubscribeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"digest:unsub:(?P<guild>\d+):(?P<user>\d+)",
):
    """One click ends the member's personal digest of one server (only the member it was sent to)."""

    def __init__(self, guild_id: int, user_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"digest:unsub:{guild_id}:{user_id}",
            )
        )
        self.guild_id, self.user_id = guild_id, user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> UnsubscribeButton:
        """Rebuild from the custom_id (after a restart too)."""
        return cls(int(match["guild"]), int(match["user"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Unsubscribe the member (a second click says it is done already); the answer is in their language."""

        async def run() -> None:
            bot = client_of(interaction)
            if interaction.user.id != self.user_id or interaction.guild_id not in (None, self.guild_id):
                raise Forbidden("digest.button.not_yours")  # a forwarded or copied digest
            ended = await bot.services.digest.unsubscribe(self.guild_id, self.user_id)
            locale = await bot.locale_for(interaction)
            guild = bot.get_guild(self.guild_id)
            server = safe(guild.name) if guild is not None else str(self.guild_id)
            key = "digest.button.done" if ended else "digest.button.already"
            await interaction.response.send_message(bot.i18n.t(key, locale, server=server), ephemeral=True)

        await guarded(interaction, run)


def unsubscribe_view(bot: SteunpuntBot, guild_id: int, user_id: int, locale: str) -> discord.ui.View:
    """A view holding only the unsubscribe button, for a personal digest's last message.

    It is not kept in the view store: the button is persistent anyway, and a fan-out to thousands would
    otherwise keep a view per message in memory.
    """
    view = discord.ui.View(timeout=None)
    view.add_item(UnsubscribeButton(guild_id, user_id, bot.i18n.t("digest.button.unsubscribe", locale)))
    view.stop()  # finished before sending: discord.py sends its components without storing it
    return view


def theme_names(bot: SteunpuntBot, themes: tuple[str, ...], locale: str) -> str:
    """Themes as a readable list in ``locale`` ("none" when empty)."""
    if not themes:
        return bot.i18n.t("digest.reply.no_themes", locale)
    return ", ".join(bot.i18n.t(f"theme.{theme}.name", locale) for theme in themes)


class ThemesView(BaseView):
    """The member's themes, as a multi-select that saves every change at once (their subscription only)."""

    def __init__(self, bot: SteunpuntBot, subscription: Subscription, available: tuple[str, ...], locale: str) -> None:
        super().__init__(bot, owner_id=subscription.user_id, command="digest subscribe")
        self.subscription = subscription
        self.available = available
        self.locale = locale
        self._build()

    def _build(self) -> None:
        self.clear_items()
        if not self.available:
            return
        chosen = set(self.subscription.themes)
        select: discord.ui.Select[ThemesView] = discord.ui.Select(
            custom_id="digest:themes",
            placeholder=self.bot.i18n.t("digest.reply.themes_placeholder", self.locale)[:150],
            min_values=1,
            max_values=len(self.available),
            options=[
                discord.SelectOption(
                    label=self.bot.i18n.t(f"theme.{theme}.name", self.locale)[:100],
                    value=theme,
                    default=theme in chosen,
                )
                for theme in self.available[:25]
            ],
        )

        async def chosen_themes(interaction: discord.Interaction[Any]) -> None:
            await self.save(interaction, tuple(t for t in self.available if t in select.values))

        select.callback = chosen_themes  # type: ignore[method-assign]
        self.add_item(select)

    async def save(self, interaction: discord.Interaction[Any], themes: tuple[str, ...]) -> None:
        """Store the chosen themes, keeping the frequency, and show what is saved."""
        digest = self.bot.services.digest
        current = await digest.subscription(self.subscription.guild_id, self.subscription.user_id)
        if current is None:  # unsubscribed meanwhile (the button of a DM, or /digest unsubscribe)
            self.clear_items()
            text = self.bot.i18n.t("digest.reply.not_subscribed", self.locale)
            await interaction.response.edit_message(content=text, view=self)
            self.stop()
            return
        self.subscription = await digest.subscribe(
            current.guild_id, current.user_id, themes=themes, frequency=current.frequency, locale=current.locale
        )
        self._build()
        frequency = self.bot.i18n.t(f"digest.reply.frequency.{self.subscription.frequency}", self.locale)
        text = self.bot.i18n.t(
            "digest.reply.themes_saved",
            self.locale,
            frequency=frequency,
            themes=theme_names(self.bot, self.subscription.themes, self.locale),
        )
        await interaction.response.edit_message(content=text, view=self)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (UnsubscribeButton,)
