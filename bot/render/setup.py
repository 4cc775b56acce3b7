"""Rendering for /setup: the settings overview and the wizard's steps."""

from __future__ import annotations

import discord

from bot.domain.guild_settings import THEMES, GuildSettings
from bot.i18n import I18n
from bot.render.common import Colours

WIZARD_STEPS: tuple[str, ...] = (
    "language",
    "timezone",
    "moderator_role",
    "moderator_channel",
    "help_forum",
    "digest_channel",
    "themes",
    "summary",
)


def _ref(kind: str, value: int | None, i18n: I18n, locale: str) -> str:
    if value is None:
        return i18n.t("setup.value.unset", locale)
    return f"<@&{value}>" if kind == "role" else f"<#{value}>"


def settings_lines(settings: GuildSettings, i18n: I18n, locale: str) -> list[tuple[str, str]]:
    """(label, value) pairs describing every setting, in wizard order."""
    t = i18n.t
    language = t(f"setup.language.{settings.locale}", locale) if settings.locale else t("setup.value.default", locale)
    themes = ", ".join(t(f"theme.{theme}.name", locale) for theme in THEMES if theme in settings.themes)
    return [
        (t("setup.step.language.label", locale), language),
        (t("setup.step.timezone.label", locale), settings.timezone),
        (t("setup.step.moderator_role.label", locale), _ref("role", settings.moderator_role_id, i18n, locale)),
        (t("setup.step.moderator_channel.label", locale), _ref("channel", settings.moderator_channel_id, i18n, locale)),
        (t("setup.step.help_forum.label", locale), _ref("channel", settings.help_forum_id, i18n, locale)),
        (t("setup.step.digest_channel.label", locale), _ref("channel", settings.digest_channel_id, i18n, locale)),
        (t("setup.step.themes.label", locale), themes or t("setup.value.none", locale)),
    ]


def settings_embed(settings: GuildSettings, i18n: I18n, locale: str) -> discord.Embed:
    """The current settings of a server."""
    embed = discord.Embed(title=i18n.t("setup.show.title", locale), colour=Colours.brand)
    for label, value in settings_lines(settings, i18n, locale):
        embed.add_field(name=label, value=value, inline=True)
    return embed


def step_embed(step: str, settings: GuildSettings, i18n: I18n, locale: str, note: str | None = None) -> discord.Embed:
    """One wizard step: what it sets, and the current value."""
    t = i18n.t
    index = WIZARD_STEPS.index(step) + 1
    title = t(
        "setup.wizard.title", locale, step=index, total=len(WIZARD_STEPS), name=t(f"setup.step.{step}.label", locale)
    )
    if step == "summary":
        embed = settings_embed(settings, i18n, locale)
        embed.title = title
        embed.description = t("setup.step.summary.help", locale)
    else:
        embed = discord.Embed(title=title, description=t(f"setup.step.{step}.help", locale), colour=Colours.brand)
        current = dict(settings_lines(settings, i18n, locale))[t(f"setup.step.{step}.label", locale)]
        embed.add_field(name=t("setup.wizard.current", locale), value=current)
    if note:
        embed.add_field(name="\u200b", value=note, inline=False)
    return embed
