"""The moderation overview, an opened item, and the moderators' weekly post.

A queue past the server's threshold is marked with a symbol *and* a word (never colour alone). Claims show as
mentions with a relative Discord timestamp; mentions in embeds never ping.

The weekly post is built from :data:`WEEKLY_SECTIONS`, each a function that turns the week's
:class:`~bot.domain.moderation.models.WeeklyContent` into embed fields. Adding a section is one builder here
(reading ``content.sections["<name>"]``) plus a :class:`~bot.domain.moderation.service.WeeklySource` registered
under the same name with ``ModerationService.add_weekly_source``; ``gaps`` (the heaviest open knowledge gaps, from
the :class:`~bot.domain.gaps.GapService`) is one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Final

import discord

from bot.clock import from_iso
from bot.domain.gaps import GapsWeek
from bot.domain.moderation.models import Opened, Overview, QueueItem, QueueSummary, WeeklyContent
from bot.i18n import I18n
from bot.render.common import Colours, add_field_within_limits, embed_builder, safe, safe_link, truncate

QUEUE_ICONS: Final[dict[str, str]] = {
    "suggestions": "📥",
    "broken_links": "🔗",
    "faq_proposals": "💡",
    "unanswered": "❓",
    "reports": "🚩",
    "unrouted": "🧭",
}
RED: Final = "🔴"
CALM: Final = "🟢"
NOTHING: Final = "⚪"
TITLE_SHOWN: Final = 80
QUESTION_SHOWN: Final = 100
"""How much of a knowledge gap's question the weekly post shows."""
FIELD_VALUE: Final = 1024


def _when(moment: str) -> str:
    """A relative Discord timestamp (``<t:…:R>``), shown in each reader's language and time zone."""
    try:
        return f"<t:{int(from_iso(moment).timestamp())}:R>"
    except (TypeError, ValueError, OverflowError):
        return "?"


def jump_url(guild_id: int, item: QueueItem) -> str | None:
    """Where an item is on Discord: its review card, help post (at its answer) or the reported message."""
    if item.channel_id is None:
        return None
    url = f"https://discord.com/channels/{guild_id}/{item.channel_id}"
    return f"{url}/{item.message_id}" if item.message_id is not None else url


def _label(item: QueueItem, i18n: I18n, locale: str) -> str:
    """An item's name as plain text (not yet escaped): its title, or "report #n"."""
    if item.queue == "reports":
        return i18n.t("moderation.item.report", locale, id=item.key)
    return " ".join(item.title.split()) or i18n.t("moderation.item.untitled", locale, id=item.key)


def _claim_text(item: QueueItem, i18n: I18n, locale: str) -> str:
    if item.claim is None:
        return i18n.t("moderation.claim.none", locale)
    return i18n.t("moderation.claim.by", locale, who=f"<@{item.claim.moderator_id}>", when=_when(item.claim.claimed_at))


def item_line(item: QueueItem, guild_id: int, i18n: I18n, locale: str) -> str:
    """One waiting item in the overview: its name (linked), how long it waits, who claimed it."""
    label = truncate(_label(item, i18n, locale), TITLE_SHOWN)
    url = jump_url(guild_id, item)
    name = safe_link(label, url, limit=300) if url else safe(label)
    return f"• {name} · {_when(item.since)} · {_claim_text(item, i18n, locale)}"


def queue_field(queue: QueueSummary, guild_id: int, i18n: I18n, locale: str) -> tuple[str, str]:
    """A queue as an embed field: marker, name and count; the oldest's age, "overdue" when red; oldest items."""
    t = i18n.t
    mark = NOTHING if queue.count == 0 else RED if queue.red else CALM
    name = f"{mark} {QUEUE_ICONS.get(queue.queue, '')} {t(f'moderation.queue.{queue.queue}', locale)}: {queue.count}"
    if queue.count == 0 or queue.oldest_at is None:
        return name, t("moderation.overview.none", locale)
    head = t("moderation.overview.oldest", locale, when=_when(queue.oldest_at))
    if queue.red:
        head += " · " + t("moderation.overview.overdue", locale)
    lines = [head, *(item_line(item, guild_id, i18n, locale) for item in queue.items)]
    return name, truncate("\n".join(lines), 1024)


def _legend(overview: Overview, i18n: I18n, locale: str) -> str:
    return i18n.t("moderation.overview.legend", locale, red=RED, calm=CALM, nothing=NOTHING, days=overview.red_days)


@embed_builder
def overview_embed(overview: Overview, guild_id: int, i18n: I18n, locale: str) -> discord.Embed:
    """Every queue with its count, the age of its oldest item, a red marker past the threshold, the oldest few."""
    t = i18n.t
    embed = discord.Embed(
        title=t("moderation.overview.title", locale),
        description=_legend(overview, i18n, locale),
        colour=Colours.warning if overview.red else Colours.brand,
    )
    for queue in overview.queues:
        add_field_within_limits(embed, *queue_field(queue, guild_id, i18n, locale))
    if overview.empty:
        embed.description = f"{embed.description}\n\n{t('moderation.overview.all_clear', locale)}"
    else:
        embed.set_footer(text=t("moderation.overview.footer", locale))
    return embed


@embed_builder
def item_embed(opened: Opened, guild_id: int, viewer_id: int, i18n: I18n, locale: str) -> discord.Embed:
    """An opened item: where it is, how long it waits, why (a report's reason, a broken link's check), its claim."""
    t = i18n.t
    item = opened.item
    queue_name = t(f"moderation.queue.{item.queue}", locale)
    embed = discord.Embed(
        title=truncate(f"{QUEUE_ICONS.get(item.queue, '')} {queue_name}", 256),
        description=safe(truncate(_label(item, i18n, locale), 300)),
        colour=Colours.brand,
    )
    url = jump_url(guild_id, item)
    if url is not None:
        add_field_within_limits(
            embed, t("moderation.item.where", locale), safe_link(t(f"moderation.jump.{item.queue}", locale), url)
        )
    if item.address:
        add_field_within_limits(embed, t("moderation.item.address", locale), safe_link(item.address, item.address))
    if item.detail:
        add_field_within_limits(embed, t(f"moderation.item.detail.{item.queue}", locale), safe(item.detail))
    add_field_within_limits(embed, t("moderation.item.waiting", locale), _when(item.since), inline=True)
    claim = opened.claim
    who = (
        t("moderation.claim.yours", locale, when=_when(claim.claimed_at))
        if claim.moderator_id == viewer_id
        else t("moderation.claim.by", locale, who=f"<@{claim.moderator_id}>", when=_when(claim.claimed_at))
    )
    add_field_within_limits(embed, t("moderation.item.claim", locale), who, inline=True)
    return embed


WeeklySection = Callable[[WeeklyContent, I18n, str], list[tuple[str, str]]]
"""Turns the week's content into embed fields (name, value); an empty list leaves the section out."""


def _queues_section(content: WeeklyContent, i18n: I18n, locale: str) -> list[tuple[str, str]]:
    """The overview: one field per queue."""
    return [queue_field(queue, content.guild_id, i18n, locale) for queue in content.overview.queues]


def _fitting(lines: list[str], limit: int = FIELD_VALUE) -> str:
    """Whole lines, as many as fit ``limit`` characters (a line is never cut, so no escape or timestamp breaks)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + (1 if kept else 0) > limit:
            break
        size += len(line) + (1 if kept else 0)
        kept.append(line)
    return "\n".join(kept)


def gaps_section(content: WeeklyContent, i18n: I18n, locale: str) -> list[tuple[str, str]]:
    """The heaviest open knowledge gaps (escaped questions, askers, age) and the week's opened and closed gaps."""
    week = content.sections.get("gaps")
    if not isinstance(week, GapsWeek) or not week.open:
        return []
    t = i18n.t
    name = t("moderation.gaps.title", locale, open=week.open)
    lines = [t("moderation.gaps.week", locale, opened=week.opened, closed=week.closed, dismissed=week.dismissed)]
    for gap in week.top:
        question = safe(truncate(" ".join(gap.question.split()), QUESTION_SHOWN)) or "…"
        since = _when(gap.created_at)
        lines.append(t("moderation.gaps.item", locale, id=gap.id, question=question, askers=gap.askers, since=since))
    lines.append(t("moderation.gaps.more", locale))
    return [(name, _fitting(lines))]


WEEKLY_SECTIONS: list[WeeklySection] = [_queues_section, gaps_section]
"""The weekly post's sections, in order. Append a builder to add one (see the module docstring)."""


@embed_builder
def weekly_embed(content: WeeklyContent, i18n: I18n, locale: str) -> discord.Embed:
    """The moderators' weekly post: every section of :data:`WEEKLY_SECTIONS` that has something."""
    t = i18n.t
    overview = content.overview
    embed = discord.Embed(
        title=t("moderation.weekly.title", locale, period=safe(content.period)),
        description=_legend(overview, i18n, locale) + "\n" + t("moderation.weekly.intro", locale),
        colour=Colours.warning if overview.red else Colours.brand,
    )
    if overview.red:
        embed.description = f"{embed.description}\n{t('moderation.weekly.red', locale, count=len(overview.red))}"
    for section in WEEKLY_SECTIONS:
        for name, value in section(content, i18n, locale):
            add_field_within_limits(embed, name, value)
    with contextlib.suppress(ValueError, OverflowError):
        embed.timestamp = from_iso(content.until)
    return embed
