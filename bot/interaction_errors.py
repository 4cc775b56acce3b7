"""The one error path for slash commands, context menus, views and modals.

Priority: a typed :class:`DomainError` becomes its localised message; Discord-side check failures become
"not allowed" / "try again later"; anything else is logged with a short reference and the member gets a
localised apology quoting it. Every reply is ephemeral and sent exactly once.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.errors import DomainError
from bot.i18n import I18n
from bot.render.common import CONTENT_MAX, neutral, truncate

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)


def unwrap(error: BaseException) -> BaseException:
    """Peel discord.py's invoke wrappers off to reach the exception our code raised."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        error = error.__cause__
    original = getattr(error, "original", None)
    return original if isinstance(original, BaseException) and original is not error else error


MAX_DETAILS = 10
REFUSALS = (DomainError, app_commands.CheckFailure, app_commands.TransformerError)
"""Failures that are a localised refusal (bad input, not allowed, cooldown, server only), not a fault."""


def new_reference() -> str:
    """A short error reference a member can quote to an admin (and that is in the log line)."""
    return secrets.token_hex(4).upper()


async def send_ephemeral(interaction: discord.Interaction[Any], content: str) -> None:
    """Reply ephemerally, whether or not the interaction was already acknowledged; never raises."""
    content = truncate(content, CONTENT_MAX)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException as exc:  # expired token, double ack: nothing more we can do
        log.warning("Could not deliver an error reply (interaction %s): %s", interaction.id, exc)


def error_text(i18n: I18n, error: DomainError, locale: str) -> str:
    """A domain error as member text, with its details as bullets.

    Parameters named ``*_key`` are catalogue keys themselves (e.g. a field name) and are translated
    into the parameter without the suffix.
    """

    def one(err: DomainError) -> str:
        params: dict[str, Any] = {}
        for name, value in err.params.items():
            if name.endswith("_key"):
                params[name.removesuffix("_key")] = i18n.t(str(value), locale)
            elif isinstance(value, DomainError):  # a problem inside a problem (e.g. in record 3 of a file)
                params[name] = one(value)
            else:  # parameters can carry member text (a title, a file's field name): never markdown or pings
                params[name] = neutral(value) if isinstance(value, str) else value
        return i18n.t(err.key, locale, **params)

    lines = [one(error), *(f"• {one(d)}" for d in error.details[:MAX_DETAILS])]
    if len(error.details) > MAX_DETAILS:
        lines.append(i18n.t("errors.more", locale, count=len(error.details) - MAX_DETAILS))
    return truncate("\n".join(lines), CONTENT_MAX)


def _where(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    return str(command or custom_id or interaction.type.name)


async def handle_interaction_error(
    bot: SteunpuntBot, interaction: discord.Interaction[Any], error: BaseException
) -> None:
    """Turn any failure of an interaction into exactly one localised, ephemeral reply."""
    cause = unwrap(error)
    bot.count_interaction(interaction, "refused" if isinstance(cause, REFUSALS) else "error")
    locale = await bot.locale_for(interaction)
    t = bot.i18n.t
    if isinstance(cause, DomainError):
        text = error_text(bot.i18n, cause, locale)
    elif isinstance(cause, app_commands.CommandOnCooldown):
        text = t("errors.cooldown", locale, seconds=max(1, round(cause.retry_after)))
    elif isinstance(cause, app_commands.BotMissingPermissions):
        text = t("errors.bot_missing_permissions", locale, permissions=", ".join(cause.missing_permissions))
    elif isinstance(cause, app_commands.NoPrivateMessage):
        text = t("errors.guild_only", locale)
    elif isinstance(cause, app_commands.TransformerError):  # e.g. a user option naming someone not in the server
        text = t("errors.bad_option", locale)
    elif isinstance(cause, app_commands.CheckFailure):
        text = t("errors.not_allowed", locale)
    elif isinstance(cause, discord.NotFound) and cause.code == 10062:
        log.warning("Interaction %s on %s expired before we answered", interaction.id, _where(interaction))
        return
    else:
        ref = new_reference()
        log.error(
            "Unexpected error %s in %s (guild %s, channel %s, user %s)",
            ref,
            _where(interaction),
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id,
            exc_info=cause,
        )
        text = t("errors.unexpected", locale, reference=ref)
    await send_ephemeral(interaction, text)
