"""Rendering for the weekly digest in Discord: the channel post and the personal digest by direct message.

A digest is one header embed (the server, the window's dates, the three headline figures) and one embed per
section that has something, titled with the section's localised name; a personal digest adds "questions you
could help with" and says which server it comes from. The embeds are packed into as few messages as Discord
allows (ten embeds and 6,000 characters a message). Every text from members or moderators (titles, summaries,
the server's name) is escaped and shortened; resources link to their address with :func:`safe_link`, questions
to their forum thread. Send every message with ``AllowedMentions.none()``: nothing in it is meant to ping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import discord

from bot.clock import from_iso
from bot.domain.digest.models import DigestContent, DigestItem
from bot.i18n import I18n
from bot.render.common import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    Colours,
    embed_builder,
    fit_embeds,
    link_target,
    safe,
    safe_link,
    truncate,
)
from bot.render.newsletter import (
    COULD_HELP,
    command_text,
    digest_sections,
    figure_text,
    item_meta,
    item_url,
    known_figures,
)

ICONS: Final[Mapping[str, str]] = {
    "resources": "📚",
    "featured": "⭐",
    "solved": "✅",
    "open": "🙋",
    "skills": "🤝",
    "collab": "🧩",
    COULD_HELP: "💡",
}
FIGURE_ICONS: Final[Mapping[str, str]] = {"solved": "✅", "resources": "📚", "offers": "🤝"}
TITLE_SHOWN: Final = 100
"""Characters of an item's title shown (a link's label is cut to this too)."""
SUMMARY_SHOWN: Final = 160
FEATURED_SUMMARY_SHOWN: Final = 400
SERVER_SHOWN: Final = 80
LINK_MAX: Final = 700
"""A line's link may take this many characters; a longer address is shown as its host, unlinked."""
SECTION_TEXT_MAX: Final = 3500
"""Characters of one section's lines: with a title and the footer, one embed stays well inside 6,000."""


@dataclass(slots=True)
class DigestMessage:
    """One Discord message of a digest: at most ten embeds and 6,000 characters of embed text.

    Send it with :attr:`allowed_mentions` (nothing in a digest is meant to ping).
    """

    embeds: list[discord.Embed] = field(default_factory=list)

    @property
    def allowed_mentions(self) -> discord.AllowedMentions:
        """What the message may ping: nothing."""
        return discord.AllowedMentions.none()


# --- lines --------------------------------------------------------------------------------------------------------


def _text(text: str, limit: int) -> str:
    """Member text on one line, shortened and escaped, with no square bracket left.

    A bracket could begin a masked link together with a link of ours further on, so brackets become
    parentheses (as in the labels :func:`safe_link` makes).
    """
    return safe(truncate(" ".join(text.split()), limit)).replace("[", "(").replace("]", ")")


def _timestamp(moment: str) -> str:
    """A stored moment as a Discord date (each reader sees it in their own language and time zone)."""
    try:
        return f"<t:{int(from_iso(moment).timestamp())}:D>"
    except (ValueError, OverflowError, OSError):
        return _text(moment, 10)


def _title(item: DigestItem, guild_id: int) -> str:
    """The item's title, linked to its address or thread when it has one; escaped and shortened."""
    target = item_url(item, guild_id)
    title = " ".join(item.title.split())
    if target is None or link_target(target) is None:  # nothing to link, or not an http(s) address: plain text
        return _text(title, TITLE_SHOWN) or "—"
    return safe_link(title, target, limit=LINK_MAX)


def _item_line(item: DigestItem, section: str, guild_id: int, i18n: I18n, locale: str) -> str:
    """One item of a section as a line of the embed (the featured resource gets a longer summary)."""
    t = i18n.t
    title = _title(item, guild_id)
    meta = item_meta(item, section, i18n, locale)
    if section == "featured":
        text = f"**{title}**"
        if item.summary:
            text += "\n" + _text(item.summary, FEATURED_SUMMARY_SHOWN)
        if meta:
            text += "\n-# " + " · ".join(meta)
        return text
    if section == "skills":
        title = f"{t('digest.render.need' if item.kind == 'need' else 'digest.render.offer', locale)}: {title}"
    line = f"• {title}"
    if item.summary and section != "solved":
        line += " — " + _text(item.summary, SUMMARY_SHOWN)
    if meta:
        line += " · " + " · ".join(meta)
    return line


def _lines_within(lines: Sequence[str], limit: int, i18n: I18n, locale: str) -> str:
    """As many whole lines as fit ``limit``, then "…and N more" for the rest."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        reserve = 40 if index < len(lines) - 1 else 0  # room for the "…and N more" line
        if used + len(line) + 1 + reserve > limit:
            kept.append(i18n.t("digest.render.more", locale, count=len(lines) - index))
            break
        kept.append(line)
        used += len(line) + 1
    return truncate("\n".join(kept), limit)


# --- embeds -------------------------------------------------------------------------------------------------------


@embed_builder
def _header_embed(content: DigestContent, guild_name: str, i18n: I18n, *, personal: bool) -> discord.Embed:
    """The digest's first embed: whose digest it is, the window's dates and the headline figures."""
    t = i18n.t
    locale = content.locale
    server = _text(guild_name, SERVER_SHOWN) or "—"
    title_key = "digest.render.title_personal" if personal else "digest.render.title"
    embed = discord.Embed(title="📬 " + t(title_key, locale, server=server), colour=Colours.brand)
    lines = [t("digest.render.personal_from", locale, server=server)] if personal else []
    lines.append(t("digest.render.window", locale, since=_timestamp(content.since), until=_timestamp(content.until)))
    figures = []
    for figure in known_figures(content):
        number, label = figure_text(figure, i18n, locale)
        figures.append(f"{FIGURE_ICONS.get(figure.name, '•')} **{number}** {label}")
    if figures:
        lines.append(" · ".join(figures))
    embed.description = "\n".join(lines)
    return embed


@embed_builder
def _section_embed(
    section: str, items: Sequence[DigestItem], hidden: int, guild_id: int, i18n: I18n, locale: str
) -> discord.Embed:
    """One section: its localised name as the title, one line per item, "…and N more" for ``hidden`` ones."""
    lines = [_item_line(item, section, guild_id, i18n, locale) for item in items]
    if hidden:
        lines.append(i18n.t("digest.render.more", locale, count=hidden))
    title = f"{ICONS.get(section, '•')} {i18n.t(f'digest.section.{section}', locale)}"
    description = _lines_within(lines, min(SECTION_TEXT_MAX, DESCRIPTION_MAX), i18n, locale)
    return discord.Embed(title=title, description=description, colour=Colours.brand)


def _footer_text(i18n: I18n, locale: str, *, personal: bool) -> str:
    """How to get the digest by DM and fix one that does not arrive (channel post); how to unsubscribe (DM)."""
    t = i18n.t
    subscribe = command_text(i18n, locale, "subscribe")
    if personal:
        unsubscribe = command_text(i18n, locale, "unsubscribe")
        return t("digest.render.footer_personal", locale, subscribe=subscribe, unsubscribe=unsubscribe)
    how = t("digest.render.footer_subscribe", locale, subscribe=subscribe)
    return how + "\n" + t("digest.render.footer_fix", locale, subscribe=subscribe)


def _pack(embeds: Sequence[discord.Embed]) -> list[DigestMessage]:
    """Put the embeds, in order, into as few messages as fit (ten embeds, 6,000 characters each)."""
    messages: list[DigestMessage] = []
    current: list[discord.Embed] = []
    used = 0
    for embed in embeds:
        size = len(embed)
        if current and (len(current) >= EMBEDS_MAX or used + size > EMBED_TOTAL_MAX):
            messages.append(DigestMessage(fit_embeds(current)))
            current, used = [], 0
        current.append(embed)
        used += size
    if current:
        messages.append(DigestMessage(fit_embeds(current)))
    return messages


def digest_messages(
    content: DigestContent,
    *,
    i18n: I18n,
    guild_name: str,
    guild_id: int,
    personal: bool,
    footer: bool = True,
) -> list[DigestMessage]:
    """The Discord messages of a digest, in order; none when the digest is empty (an empty week posts nothing).

    ``personal`` renders a member's digest by DM: it names the server it is from, starts with "questions you
    could help with", and its footer says how to unsubscribe. The channel post's footer says how to get the
    digest by DM and how to fix one that does not arrive. ``footer=False`` leaves the footer out (a preview
    shown inside another reply). The language is ``content.locale``. Send each message with its
    ``allowed_mentions`` (none).
    """
    if content.empty:
        return []
    locale = content.locale
    embeds = [_header_embed(content, guild_name, i18n, personal=personal)]
    for section, items, hidden in digest_sections(content, personal=personal):
        embeds.append(_section_embed(section, items, hidden, guild_id, i18n, locale))
    if footer:
        embeds[-1].set_footer(text=_footer_text(i18n, locale, personal=personal))
    return _pack(embeds)
