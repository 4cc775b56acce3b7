"""Rendering for /help and /about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import discord

from bot.domain.system import About
from bot.i18n import I18n
from bot.render.common import (
    FIELD_VALUE_MAX,
    Colours,
    add_field_within_limits,
    embed_builder,
    format_bytes,
    format_duration,
    truncate,
)


@dataclass(frozen=True, slots=True)
class HelpEntry:
    """One command as a member sees it: its localised path and description."""

    path: str
    description: str


@embed_builder
def help_embed(
    sections: Mapping[str, Sequence[HelpEntry]], themes: Sequence[str], i18n: I18n, locale: str
) -> discord.Embed:
    """The /help embed: a field per theme (in ``themes`` order) listing its commands."""
    embed = discord.Embed(
        title=i18n.t("help.title", locale), description=i18n.t("help.intro", locale), colour=Colours.brand
    )
    for theme in themes:
        entries = sections.get(theme, ())
        title = i18n.t("theme.general", locale) if theme == "general" else i18n.t(f"theme.{theme}.name", locale)
        if not entries:
            value = i18n.t(f"theme.{theme}.description", locale) + "\n*" + i18n.t("help.no_commands", locale) + "*"
            add_field_within_limits(embed, title, value)
            continue
        for part, chunk in enumerate(chunk_lines([f"`/{e.path}` — {e.description}" for e in entries], FIELD_VALUE_MAX)):
            add_field_within_limits(embed, title if part == 0 else f"{title} ({part + 1})", chunk)
    embed.set_footer(text=truncate(i18n.t("help.footer", locale), 2048))
    return embed


def chunk_lines(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines into as few blocks of at most ``limit`` characters as possible (a line never splits)."""
    blocks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            blocks.append(current)
            candidate = line
        current = candidate
    if current:
        blocks.append(current)
    return blocks


@embed_builder
def about_embed(about: About, servers: int, latency_ms: int | None, i18n: I18n, locale: str) -> discord.Embed:
    """The /about embed."""
    t = i18n.t
    embed = discord.Embed(title=t("about.title", locale), colour=Colours.brand)
    embed.add_field(name=t("about.version", locale), value=about.version)
    embed.add_field(name=t("about.uptime", locale), value=format_duration(about.uptime, i18n, locale))
    embed.add_field(name=t("about.servers", locale), value=str(servers))
    embed.add_field(name=t("about.configured", locale), value=str(about.configured_servers))
    size = format_bytes(about.database_bytes, i18n, locale)
    embed.add_field(
        name=t("about.database", locale),
        value=t("about.database_value", locale, version=about.schema_version, size=size),
    )
    if latency_ms is not None:
        embed.add_field(name=t("about.latency", locale), value=t("about.latency_value", locale, ms=latency_ms))
    return embed
