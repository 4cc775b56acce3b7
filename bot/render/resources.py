"""Rendering for the resource library: cards, lists, the moderators' queue card, the audit log."""

from __future__ import annotations

import discord

from bot.domain.qa_models import Page
from bot.domain.resources import AuditEntry, Resource
from bot.i18n import I18n
from bot.render.common import (
    FIELD_VALUE_MAX,
    Colours,
    defang,
    embed_builder,
    link_target,
    safe,
    safe_link,
    truncate,
)

LINE_LINK_MAX = 300
"""Room for the link in one line of a list; a longer link shows its host, and the card opens it."""
LINE_LABEL_MAX = 60

STATUS_COLOURS = {
    "pending": Colours.warning,
    "approved": Colours.success,
    "changes_requested": Colours.warning,
    "rejected": Colours.error,
    "archived": Colours.brand,
}


def link_value(url: str) -> str:
    """The card's link field: the real host, linked to the stored address.

    An address too long for a field shows as its host, shortened (``example.org/…``); the card's title opens it.
    """
    return safe_link(url, url, limit=FIELD_VALUE_MAX) or "—"


def resource_line(resource: Resource, i18n: I18n, locale: str) -> str:
    """One line for lists: a safe link to the resource, its type and language, a star when featured."""
    star = "⭐ " if resource.featured else ""
    kind = i18n.t(f"resources.type.{resource.type}", locale)
    link = safe_link(truncate(resource.title, LINE_LABEL_MAX), resource.url, limit=LINE_LINK_MAX)
    return f"{star}{link} · {kind} · {safe(resource.language.upper())}"


@embed_builder
def resource_embed(resource: Resource, i18n: I18n, locale: str, *, for_moderators: bool = False) -> discord.Embed:
    """A resource card. Member-written text is escaped; the link's visible text is never another URL.

    The title opens the stored address too, so a link too long for a field still opens.
    """
    t = i18n.t
    embed = discord.Embed(
        title=truncate(("⭐ " if resource.featured else "") + safe(resource.title), 256),
        description=truncate(safe(resource.summary), 4096) if resource.summary else None,
        url=link_target(resource.url),
        colour=STATUS_COLOURS.get(resource.status, Colours.brand),
    )
    embed.add_field(name=t("resources.field.link", locale), value=link_value(resource.url), inline=False)
    embed.add_field(name=t("resources.field.theme", locale), value=t(f"theme.{resource.theme}.name", locale))
    embed.add_field(name=t("resources.field.type", locale), value=t(f"resources.type.{resource.type}", locale))
    embed.add_field(name=t("resources.field.language", locale), value=t(f"setup.language.{resource.language}", locale))
    embed.add_field(
        name=t("resources.field.audience", locale), value=t(f"resources.audience.{resource.audience}", locale)
    )
    if resource.publisher:
        embed.add_field(name=t("resources.field.publisher", locale), value=truncate(safe(resource.publisher), 1024))
    if resource.licence:
        embed.add_field(name=t("resources.field.licence", locale), value=safe(resource.licence))
    if resource.tags:
        embed.add_field(name=t("resources.field.tags", locale), value=truncate(safe(", ".join(resource.tags)), 1024))
    if for_moderators:
        embed.add_field(
            name=t("resources.field.status", locale), value=t(f"resources.status.{resource.status}", locale)
        )
        embed.add_field(name=t("resources.field.suggested_by", locale), value=f"<@{resource.suggested_by}>")
        if resource.decision_note:
            embed.add_field(
                name=t("resources.field.note", locale), value=truncate(safe(resource.decision_note), 1024), inline=False
            )
        if resource.link_status == "broken":
            embed.add_field(
                name=t("resources.field.link_status", locale),
                value=truncate(safe(resource.link_detail or ""), 1024) or "—",
            )
    embed.set_footer(text=t("resources.footer", locale, id=resource.id, helpful=resource.helpful))
    return embed


@embed_builder
def resource_list_embed(title: str, page: Page[Resource], i18n: I18n, locale: str, empty_key: str) -> discord.Embed:
    """A page of resources (browse, search, queue); ``title`` is shown as given, without mentions or masked links."""
    embed = discord.Embed(title=truncate(defang(title), 256), colour=Colours.brand)
    embed.set_footer(text=i18n.t("qa.page", locale, page=page.page + 1, pages=page.pages))  # first: counts to 6000
    if not page.items:
        embed.description = i18n.t(empty_key, locale)
    for resource in page.items:
        value = resource_line(resource, i18n, locale)
        if resource.summary:
            value += "\n" + truncate(safe(resource.summary), 300)
        name = truncate(f"#{resource.id} {safe(resource.title)}", 200)
        embed.add_field(name=name, value=value, inline=False)  # every item shows; fit_embed shares the room
    return embed


@embed_builder
def audit_embed(page: Page[AuditEntry], i18n: I18n, locale: str) -> discord.Embed:
    """A page of the audit log, newest first."""
    t = i18n.t
    embed = discord.Embed(title=t("resources.modlog.title", locale, total=page.total), colour=Colours.brand)
    embed.set_footer(text=t("qa.page", locale, page=page.page + 1, pages=page.pages))
    if not page.items:
        embed.description = t("resources.modlog.none", locale)
    for entry in page.items:
        actor = t("resources.modlog.bot", locale) if entry.actor_id == 0 else f"<@{entry.actor_id}>"
        title = (entry.after or entry.before or {}).get("title", "")
        value = t("resources.modlog.line", locale, actor=actor, when=safe(entry.created_at.replace("T", " ")[:16]))
        if title:
            value += "\n" + truncate(safe(str(title)), 200)
        if entry.reason:
            value += "\n> " + truncate(safe(entry.reason), 300)
        name = f"{t(f'resources.action.{entry.action}', locale)} · {safe(entry.target_type)} #{safe(entry.target_id)}"
        embed.add_field(name=truncate(name, 256), value=value, inline=False)
    return embed
