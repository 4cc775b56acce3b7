"""Shared rendering helpers: Discord's limits in one place, colours, and safe text."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

import discord

from bot.i18n import I18n

CONTENT_MAX: Final = 2000
TITLE_MAX: Final = 256
DESCRIPTION_MAX: Final = 4096
FIELD_NAME_MAX: Final = 256
FIELD_VALUE_MAX: Final = 1024
FIELDS_MAX: Final = 25
FOOTER_MAX: Final = 2048
EMBED_TOTAL_MAX: Final = 6000


class Colours:
    """Embed colours, one per purpose."""

    brand: Final = discord.Colour(0x1F6F8B)
    success: Final = discord.Colour(0x2E8540)
    warning: Final = discord.Colour(0xC77700)
    error: Final = discord.Colour(0xB00020)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe(text: str) -> str:
    """Escape markdown and neutralise mentions in member-written text before it goes into a message.

    A zero-width space also splits every ``](`` so no client can ever read a masked link into it.
    """
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return escaped.replace("](", "]\u200b(")


def neutral(text: str) -> str:
    """Member text for places where markdown may stay (e.g. inside `code`).

    No pings, no masked links, and no backtick that could end a code span.
    """
    return discord.utils.escape_mentions(text).replace("](", "]\u200b(").replace("`", "\u02cb")


_LOOKS_LIKE_ADDRESS = re.compile(r"(://|www\.|\b[a-z0-9-]+\.[a-z]{2,}\b)", re.IGNORECASE)


def safe_link(label: str, url: str) -> str:
    """A masked link whose visible text can never be a different address from the one it opens.

    A label that looks like an address (``paypal.com/signin``) is replaced by the real host; brackets,
    markdown and mentions in the label are neutralised.
    """
    url = url.replace(")", "%29").replace(" ", "%20")
    if _LOOKS_LIKE_ADDRESS.search(label):
        label = urlsplit(url).hostname or url
    label = discord.utils.escape_mentions(discord.utils.escape_markdown(label)).replace("[", "(").replace("]", ")")
    return f"[{label}]({url})"


def embed_length(embed: discord.Embed) -> int:
    """Characters that count towards Discord's 6000 total for one embed."""
    return len(embed)


def add_field_within_limits(embed: discord.Embed, name: str, value: str, *, inline: bool = False) -> bool:
    """Add a field if the embed still has room (25 fields, 6000 total); truncate name and value. Returns added."""
    name = truncate(name, FIELD_NAME_MAX)
    value = truncate(value, FIELD_VALUE_MAX) or "\u200b"
    if len(embed.fields) >= FIELDS_MAX or len(embed) + len(name) + len(value) > EMBED_TOTAL_MAX:
        return False
    embed.add_field(name=name, value=value, inline=inline)
    return True


def format_duration(delta: timedelta, i18n: I18n, locale: str) -> str:
    """A short, localised duration such as ``2 d 3 h``."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return i18n.t("units.days_hours", locale, days=days, hours=hours)
    if hours:
        return i18n.t("units.hours_minutes", locale, hours=hours, minutes=minutes)
    return i18n.t("units.minutes_seconds", locale, minutes=minutes, seconds=secs)


def format_bytes(size: int, i18n: I18n, locale: str) -> str:
    """A localised size in KiB or MiB."""
    if size < 1024 * 1024:
        return i18n.t("units.kib", locale, value=max(1, round(size / 1024)))
    return i18n.t("units.mib", locale, value=f"{size / 1024 / 1024:.1f}")
