"""Finding or creating the help forum's tags (Solved and one per theme) within Discord's 20-tag limit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.setup import TAG_NAME_MAX, TAG_PURPOSES, plan_forum_tags
from bot.errors import Invalid

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)


def wanted_tag_names(bot: SteunpuntBot, server_locale: str) -> dict[str, list[str]]:
    """Acceptable names per purpose: the server's language first, then the other one."""
    other = "en" if server_locale == "nl" else "nl"
    names: dict[str, list[str]] = {}
    for purpose in TAG_PURPOSES:
        key = "setup.tags.solved" if purpose == "solved" else f"theme.{purpose}.name"
        names[purpose] = [bot.i18n.t(key, server_locale)[:TAG_NAME_MAX], bot.i18n.t(key, other)[:TAG_NAME_MAX]]
    return names


async def ensure_forum_tags(bot: SteunpuntBot, guild: discord.Guild | None, locale: str) -> str:
    """Match existing tags, create the missing ones that fit, remember the ids; return a localised note."""
    if guild is None:
        raise Invalid("errors.guild_only")
    settings = await bot.services.guild_settings.get(guild.id)
    forum = guild.get_channel(settings.help_forum_id) if settings.help_forum_id else None
    if not isinstance(forum, discord.ForumChannel):
        raise Invalid("setup.tags.no_forum")
    server_locale = settings.locale or bot.settings.default_locale
    plan = plan_forum_tags({tag.id: tag.name for tag in forum.available_tags}, wanted_tag_names(bot, server_locale))
    found = dict(plan.existing)
    if plan.to_create:
        new_tags = [discord.ForumTag(name=name) for _, name in plan.to_create]
        try:
            edited = await forum.edit(available_tags=[*forum.available_tags, *new_tags])
        except discord.Forbidden as exc:
            await bot.permission_alerts.feature_failed(guild, exc)
            raise Invalid("setup.tags.forbidden", channel=f"<#{forum.id}>") from exc
        by_name = {tag.name: tag.id for tag in getattr(edited, "available_tags", forum.available_tags)}
        for purpose, name in plan.to_create:
            if name in by_name:
                found[purpose] = by_name[name]
    await bot.services.setup.remember_forum_tags(guild.id, forum.id, found)
    log.info(
        "Server %s: forum tags ready (%d created, %d without room)", guild.id, len(plan.to_create), len(plan.no_room)
    )
    if plan.no_room:
        return bot.i18n.t("setup.tags.no_room", locale, count=len(plan.no_room))
    return bot.i18n.t("setup.tags.done", locale, created=len(plan.to_create), found=len(plan.existing))
