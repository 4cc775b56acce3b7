"""Rendering for /ask, /faq, forum suggestions, solutions and /unanswered."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.qa_models import FaqEntry, Gaps, HelpPost, Page
from bot.domain.search.models import KnowledgeDocument, SearchHit, SearchResult
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


@embed_builder
def gaps_embed(gaps: Gaps, guild_id: int, i18n: I18n, locale: str) -> discord.Embed:
    """Moderators' view of what the community lacks."""
    t = i18n.t
    embed = discord.Embed(title=t("qa.gaps.title", locale, days=gaps.days), colour=Colours.brand)
    embed.description = t(
        "qa.gaps.summary",
        locale,
        searches=gaps.searches,
        missed=gaps.searches_without_result,
        helpful=gaps.helpful,
        unhelpful=gaps.unhelpful,
        open=gaps.open_posts,
    )

    def listing(rows: list[tuple[str, int]]) -> str:
        return "\n".join(f"{n}× {safe(truncate(q, 80))}" for q, n in rows) or t("qa.gaps.none", locale)

    add_field_within_limits(embed, t("qa.gaps.no_result", locale), listing(gaps.no_result))
    add_field_within_limits(embed, t("qa.gaps.not_useful", locale), listing(gaps.not_useful))
    if gaps.oldest_open:
        add_field_within_limits(embed, t("qa.gaps.oldest", locale), safe(gaps.oldest_open[:10]))
    embed.set_footer(text=t("qa.gaps.footer", locale))
    return embed
