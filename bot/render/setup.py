"""Rendering for /setup: the settings overview and the wizard's steps, both driven by the settings schema."""

from __future__ import annotations

from typing import Any

import discord

from bot.domain.guild_settings import GuildSettings
from bot.domain.settings_schema import WEEKDAYS, Kind, Setting, SettingsSchema
from bot.i18n import I18n
from bot.render.common import DESCRIPTION_MAX, FIELDS_MAX, Colours, add_field_within_limits, embed_builder, truncate

SUMMARY = "summary"
"""The wizard's last step: every setting at a glance."""


def wizard_steps(schema: SettingsSchema) -> tuple[str, ...]:
    """The wizard's steps: each setting declared ``wizard=True``, in order, then the summary."""
    return (*(spec.name for spec in schema.wizard_steps()), SUMMARY)


WIZARD_STEPS: tuple[str, ...] = wizard_steps(GuildSettings.schema())


def format_value(spec: Setting, value: Any, i18n: I18n, locale: str) -> str:
    """One setting's value as shown to a server manager (mentions for roles and channels)."""
    t = i18n.t
    kind = spec.kind
    if kind is Kind.LOCALE:
        if value:
            return t(f"setup.language.{value}", locale)
        unset = f"setting.{spec.name}.unset"  # what "not set" means for this setting, where it differs
        return t(unset if i18n.has(unset) else "setup.value.default", locale)
    if value is None:
        return t("setup.value.unset", locale)
    if kind is Kind.ROLE:
        return f"<@&{value}>"
    if spec.is_channel:
        return f"<#{value}>"
    if kind is Kind.THEMES:
        names = ", ".join(t(spec.choice_key(choice), locale) for choice in value)
        return names or t("setup.value.none", locale)
    if kind is Kind.BOOL:
        return t("setup.value.on" if value else "setup.value.off", locale)
    if kind is Kind.WEEKDAY:
        return t(f"setup.weekday.{WEEKDAYS[value]}", locale)
    if kind is Kind.HOUR:
        return f"{value:02d}:00"
    return str(value)


def settings_lines(settings: GuildSettings, i18n: I18n, locale: str) -> list[tuple[str, str]]:
    """(label, value) pairs describing every setting of the schema, in declaration (wizard) order."""
    return [
        (i18n.t(spec.label_key, locale), format_value(spec, getattr(settings, spec.key), i18n, locale))
        for spec in type(settings).schema()
    ]


@embed_builder
def settings_embed(settings: GuildSettings, i18n: I18n, locale: str) -> discord.Embed:
    """The current settings of a server: one field per setting (lines, should they outgrow 25 fields)."""
    embed = discord.Embed(title=i18n.t("setup.show.title", locale), colour=Colours.brand)
    lines = settings_lines(settings, i18n, locale)
    if len(lines) > FIELDS_MAX - 2:  # room for a note and the wizard's "current" field
        embed.description = truncate("\n".join(f"**{label}**: {value}" for label, value in lines), DESCRIPTION_MAX)
        return embed
    for label, value in lines:
        add_field_within_limits(embed, label, value, inline=True)
    return embed


@embed_builder
def step_embed(step: str, settings: GuildSettings, i18n: I18n, locale: str, note: str | None = None) -> discord.Embed:
    """One wizard step: what it sets, and the current value."""
    t = i18n.t
    schema = type(settings).schema()
    steps = wizard_steps(schema)
    spec = schema.by_name(step)
    name = t(spec.label_key if spec is not None else "setup.step.summary.label", locale)
    title = t("setup.wizard.title", locale, step=steps.index(step) + 1, total=len(steps), name=name)
    if spec is None:
        embed = settings_embed(settings, i18n, locale)
        embed.title = title
        embed.description = "\n\n".join(filter(None, (t("setup.step.summary.help", locale), embed.description)))
    else:
        embed = discord.Embed(title=title, description=t(spec.help_key, locale), colour=Colours.brand)
        current = format_value(spec, getattr(settings, spec.key), i18n, locale)
        embed.add_field(name=t("setup.wizard.current", locale), value=current)
    if note:
        add_field_within_limits(embed, "\u200b", note)
    return embed
