"""Base view and modal: owner-only, time-limited, and errors go through the central handler."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Forbidden
from bot.interaction_errors import handle_interaction_error

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)


class BaseView(discord.ui.View):
    """A view only its owner may use (unless ``owner_id`` is None); items are disabled when it times out."""

    def __init__(self, bot: SteunpuntBot, *, owner_id: int | None, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse everybody but the owner, with a localised ephemeral note."""
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        raise Forbidden("errors.not_your_view")

    async def on_timeout(self) -> None:
        """Disable every item on the message, if we still know it."""
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
    """A modal whose errors go through the central handler."""

    def __init__(
        self, bot: SteunpuntBot, *, title: str, custom_id: str | None = None, timeout: float | None = 900
    ) -> None:
        kwargs: dict[str, Any] = {"title": title[:45], "timeout": timeout}
        if custom_id:
            kwargs["custom_id"] = custom_id
        super().__init__(**kwargs)
        self.bot = bot

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:
        """Delegate to the central handler."""
        await handle_interaction_error(self.bot, interaction, error)
