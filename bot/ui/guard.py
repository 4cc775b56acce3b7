"""Run a component callback so that any failure goes through the central error handler.

discord.py only logs exceptions raised in DynamicItem callbacks; persistent buttons call
:func:`guarded` so members still get a localised reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.interaction_errors import handle_interaction_error

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


def client_of(interaction: discord.Interaction[Any]) -> SteunpuntBot:
    """The bot behind an interaction (DynamicItems are built by discord.py, so they cannot be given it)."""
    return interaction.client


async def guarded(interaction: discord.Interaction[Any], action: Callable[[], Awaitable[None]]) -> None:
    """Await ``action``; turn any exception into the usual ephemeral error reply."""
    try:
        await action()
    except Exception as exc:  # the central handler decides what the member sees
        await handle_interaction_error(interaction.client, interaction, exc)
