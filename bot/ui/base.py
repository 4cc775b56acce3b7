"""Base view and modal: owner-only, time-limited, and errors go through the central handler."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.errors import Forbidden
from bot.interaction_errors import handle_interaction_error

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)


STAMP = "~"
"""Separates a short-lived view's item id from the view's id and the command that made it."""


def stamp(custom_id: str, view_id: str, command: str) -> str:
    """``page:next`` → ``page:next~<view id>~<command>``: an old button can then say what to run again."""
    return f"{custom_id}{STAMP}{view_id}{STAMP}{command}"[:100]


def command_of(interaction: discord.Interaction[Any]) -> str:
    """The qualified name of the slash command behind an interaction (``help`` if there is none)."""
    command = interaction.command
    return command.qualified_name if command is not None else "help"


class BaseView(discord.ui.View):
    """A view only its owner may use (unless ``owner_id`` is None); items are disabled when it times out.

    Its state lives in memory, so it ends with the process. Every item's custom_id is stamped with the
    view's id and the command that opened it (``command``, e.g. ``"resource queue"``): a click on it after a
    restart or a time-out is answered by :class:`bot.ui.expired.ExpiredItem`, saying which command to run.
    """

    def __init__(self, bot: SteunpuntBot, *, owner_id: int | None, command: str, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.command = command
        self.view_id = secrets.token_hex(4)
        self.message: discord.Message | discord.InteractionMessage | None = None
        for item in self.children:
            self._stamp(item)
        bot.live_views.add(self.view_id)

    def _stamp(self, item: discord.ui.Item[Any]) -> None:
        if isinstance(item, discord.ui.DynamicItem):  # persistent by its own template: never expires
            return
        custom_id = getattr(item, "custom_id", None)
        if isinstance(custom_id, str) and STAMP not in custom_id:
            item.custom_id = stamp(custom_id, self.view_id, self.command)  # type: ignore[attr-defined]

    def add_item(self, item: discord.ui.Item[Any]) -> Self:
        """Add an item, stamped like the view's own."""
        self._stamp(item)
        return super().add_item(item)

    def stop(self) -> None:
        """Stop listening; a later click on this view's items says it expired."""
        self.bot.live_views.discard(self.view_id)
        super().stop()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse everybody but the owner, with a localised ephemeral note."""
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        raise Forbidden("errors.not_your_view")

    async def on_timeout(self) -> None:
        """Disable every item on the message, if we still know it."""
        self.bot.live_views.discard(self.view_id)
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.debug("Could not disable a timed-out view")

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Delegate to the central handler."""
        await handle_interaction_error(self.bot, interaction, error)


class BaseModal(discord.ui.Modal):
    """A modal whose errors go through the central handler.

    Like a :class:`BaseView` it lives in memory: its custom_id is stamped with its id and ``command`` (the
    command to run again), so a submission after a restart, or a forged one, is answered "expired".
    """

    command: ClassVar[str] = "help"

    def __init__(self, bot: SteunpuntBot, *, title: str, timeout: float | None = 900) -> None:
        self.view_id = secrets.token_hex(4)
        super().__init__(title=title[:45], timeout=timeout, custom_id=stamp("modal", self.view_id, self.command))
        self.bot = bot
        bot.live_views.add(self.view_id)

    def stop(self) -> None:
        """Stop listening; a later submission says it expired."""
        self.bot.live_views.discard(self.view_id)
        super().stop()

    async def on_timeout(self) -> None:
        """Forget the modal (a submission after this says it expired)."""
        self.bot.live_views.discard(self.view_id)

    async def on_error(  # type: ignore[override]  # discord.ui.Modal's own signature has no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """Delegate to the central handler."""
        await handle_interaction_error(self.bot, interaction, error)


def pick_select(custom_id: str, options: list[discord.SelectOption], placeholder: str | None) -> discord.ui.Select[Any]:
    """The select of a persistent "pick one" menu whose options live in the message (so it answers after a restart).

    Discord refuses a select without options, so an empty list becomes one inert option.
    """
    return discord.ui.Select(
        custom_id=custom_id,
        options=options or [discord.SelectOption(label="-")],
        placeholder=placeholder,
        min_values=1,
        max_values=1,
    )
