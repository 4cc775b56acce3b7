"""Rendering for /ask, /faq, forum suggestions, solutions and /unanswered."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.clock import from_iso
from bot.domain.gaps import Gap, Ledger
from bot.domain.qa_models import FaqEntry, Gaps, HelpPost, Page
from bot.domain.search.models import SOURCES, KnowledgeDocument, SearchHit, SearchResult
from bot.i18n import I18n
from bot.render.common import (
    FIELD_VALUE_MAX,
    Colours,
    add_field_within_limits,
    content_builder,
    embed_builder,
    safe,
    safe_link,
    safe_markdown,
    truncate,
)

EXCERPT_MAX = 300


def source_label(doc: KnowledgeDocument, i18n: I18n, locale: str) -> str:
    """The kind of source ("FAQ", "Resource", "Solved question"), localised."""
    return i18n.t(f"qa.source.{doc.kind}", locale)


def document_link(doc: KnowledgeDocument, guild_id: int | None) -> str | None:
    """Where a document lives: its web address, or the solved forum thread."""
    if doc.url:
        return doc.url
    if doc.source == "thread" and guild_id:
        return f"https://discord.com/channels/{guild_id}/{doc.source_key}"
    return None


def hit_field(hit: SearchHit, index: int, guild_id: int | None, i18n: I18n, locale: str) -> tuple[str, str]:
    """(name, value) of one search result: numbered title, excerpt, source and link."""
    doc = hit.document
    name = truncate(f"{index}. {safe(doc.title)}", 256)
    excerpt = truncate(safe(hit.excerpt or doc.body), EXCERPT_MAX)
    meta = source_label(doc, i18n, locale)
    link = document_link(doc, guild_id)
    if link:
        room = FIELD_VALUE_MAX - len(excerpt) - len(meta) - 8  # the newline, "-# " and " · "
        meta += " · " + safe_link(i18n.t("qa.open_link", locale), link, limit=room)
    return name, f"{excerpt}\n-# {meta}"


@embed_builder
def answer_embed(question: str, result: SearchResult, guild_id: int | None, i18n: I18n, locale: str) -> discord.Embed:
    """The /ask reply: best matches, or an honest "nothing found" with a way forward."""
    t = i18n.t
    embed = discord.Embed(title=truncate(t("qa.ask.title", locale, question=safe(question)), 256), colour=Colours.brand)
    notes = []
    if result.corrected and result.suggestion:
        notes.append(t("qa.ask.corrected", locale, suggestion=safe(result.suggestion)))
    elif result.suggestion:
        notes.append(t("qa.ask.did_you_mean", locale, suggestion=safe(result.suggestion)))
    if not result.hits:
        embed.colour = Colours.warning
        notes.append(t("qa.ask.nothing", locale))
    else:
        notes.append(t("qa.ask.found", locale, count=len(result.hits)))
    embed.description = "\n".join(notes)
    embed.set_footer(text=t("qa.ask.footer", locale))
    for index, hit in enumerate(result.hits, start=1):
        name, value = hit_field(hit, index, guild_id, i18n, locale)
        embed.add_field(name=name, value=value, inline=False)  # every hit shows; fit_embed shares the room
    return embed


@embed_builder
def faq_embed(entry: FaqEntry, i18n: I18n, locale: str) -> discord.Embed:
    """An FAQ entry as members see it: its body keeps its markdown, but shows every link's real host.

    Entries can carry a member's words (a promoted forum answer), so no mention or masked link survives.
    """
    embed = discord.Embed(
        title=truncate(safe(entry.title), 256),
        description=truncate(safe_markdown(entry.body), 4096),
        colour=Colours.brand,
    )
    if entry.aliases:
        embed.add_field(name=i18n.t("qa.faq.aliases", locale), value=truncate(safe(", ".join(entry.aliases)), 1024))
    embed.set_footer(text=i18n.t("qa.faq.footer", locale, uses=entry.uses))
    return embed


@embed_builder
def suggestion_embed(hits: Sequence[SearchHit], guild_id: int, i18n: I18n, locale: str) -> discord.Embed:
    """The one reply under a new help post: related items the asker may find useful."""
    embed = discord.Embed(
        title=i18n.t("qa.forum.suggest_title", locale), description=i18n.t("qa.forum.suggest_intro", locale)
    )
    embed.colour = Colours.brand
    for index, hit in enumerate(hits, start=1):
        name, value = hit_field(hit, index, guild_id, i18n, locale)
        embed.add_field(name=name, value=value, inline=False)
    return embed


@content_builder
def solved_text(post: HelpPost, i18n: I18n, locale: str) -> str:
    """The thank-you posted in the thread when an answer is accepted."""
    return i18n.t("qa.solve.thanks", locale, helper=f"<@{post.answer_author_id}>")


@embed_builder
def unanswered_embed(page: Page[HelpPost], guild_id: int, i18n: I18n, locale: str) -> discord.Embed:
    """One page of open help posts, oldest first."""
    t = i18n.t
    embed = discord.Embed(title=t("qa.unanswered.title", locale, total=page.total), colour=Colours.brand)
    embed.set_footer(text=t("qa.page", locale, page=page.page + 1, pages=page.pages))
    if not page.items:
        embed.description = t("qa.unanswered.none", locale)
    for post in page.items:
        link = f"https://discord.com/channels/{guild_id}/{post.thread_id}"
        value = t("qa.unanswered.item", locale, link=link, date=safe(post.created_at[:10]))
        embed.add_field(name=truncate(safe(post.title), 256), value=value, inline=False)
    return embed


def _stamp(iso: str | None) -> str:
    """A stored moment as a Discord timestamp that each reader sees relative to now ("3 days ago")."""
    if not iso:
        return "?"
    return f"<t:{int(from_iso(iso).timestamp())}:R>"


def closed_by(gap: Gap, guild_id: int, i18n: I18n, locale: str) -> str:
    """What closed a gap: the FAQ entry, resource or solved post (a link for a post), localised."""
    source = gap.closed_source or "import"
    key = gap.closed_source_key or "?"
    label = i18n.t(f"qa.gaps.closed_by.{source if source in SOURCES else 'import'}", locale, key=safe(key[:40]))
    if source == "thread" and key.isdigit():
        return safe_link(label, f"https://discord.com/channels/{guild_id}/{key}")
    return label


@embed_builder
def gaps_embed(figures: Gaps, ledger: Ledger, guild_id: int, i18n: I18n, locale: str) -> discord.Embed:
    """The knowledge-gap ledger for moderators: a page of open gaps by weight, under the search figures."""
    t = i18n.t
    page = ledger.page
    embed = discord.Embed(title=t("qa.gaps.title", locale, total=page.total), colour=Colours.brand)
    summary = t(
        "qa.gaps.summary",
        locale,
        days=figures.days,
        searches=figures.searches,
        missed=figures.searches_without_result,
        helpful=figures.helpful,
        unhelpful=figures.unhelpful,
        open=figures.open_posts,
    )
    embed.description = summary + "\n\n" + (t("qa.gaps.intro", locale) if page.items else t("qa.gaps.none", locale))
    for gap in page.items:
        name = f"#{gap.id} · {safe(truncate(gap.question, 200))}"
        value = t(
            "qa.gaps.item",
            locale,
            weight=gap.weight,
            askers=gap.askers,
            escalations=gap.escalations,
            since=_stamp(gap.created_at),
            last=_stamp(gap.last_asked_at),
        )
        add_field_within_limits(embed, name, value)
    if ledger.closed:
        lines = [
            f"#{gap.id} {safe(truncate(gap.question, 80))} → {closed_by(gap, guild_id, i18n, locale)}"
            for gap in ledger.closed
        ]
        add_field_within_limits(embed, t("qa.gaps.recently_closed", locale), "\n".join(lines))
    footer = t("qa.page", locale, page=page.page + 1, pages=page.pages)
    if page.items:
        footer += " · " + t("qa.gaps.footer", locale)
    embed.set_footer(text=footer)
    return embed
