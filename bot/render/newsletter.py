"""The digest for a newsletter: Markdown, and an HTML document that mail clients show well. Pure: no discord here.

The HTML is a complete document built for e-mail: table layout, inline styles only (no ``<style>`` block, no
class, no script, no external font or image), at most 600 pixels wide and fluid below that, light colours set
explicitly, ``<meta charset="utf-8">`` and the ``lang`` of the digest's language. Every text is HTML-escaped;
links go only to http(s) addresses (anything else is shown as text, unlinked). The Markdown escapes every
character that could start markup, so a title cannot become a link, an image or raw HTML.

The small helpers here (figures, dates, command names, an item's link) are shared with ``bot.render.digest``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import quote, urlsplit

from bot.clock import from_iso
from bot.domain.digest.models import (
    COULD_HELP_LIMIT,
    FIGURES,
    SECTION_LIMITS,
    SECTIONS,
    DigestContent,
    DigestItem,
    Figure,
)
from bot.domain.resources import url_host
from bot.i18n import I18n

COULD_HELP: Final = "could_help"
"""The personal digest's own section (its questions come from ``DigestContent.could_help``)."""
COMMAND_DEFAULTS: Final[Mapping[str, str]] = {"subscribe": "/digest subscribe", "unsubscribe": "/digest unsubscribe"}
TITLE_SHOWN: Final = 160
SUMMARY_SHOWN: Final = 300
FEATURED_SUMMARY_SHOWN: Final = 600
SERVER_SHOWN: Final = 100
HREF_MAX: Final = 2048

# --- shared with the Discord rendering ----------------------------------------------------------------------------


def command_text(i18n: I18n, locale: str, action: str) -> str:
    """``/digest subscribe`` as members see it in ``locale`` (the command's localised name, if catalogued)."""
    catalogue = i18n.catalogue(locale)
    group = catalogue.get("cmd.digest.name")
    sub = catalogue.get(f"cmd.digest.{action}.name")
    if group and sub:
        return f"/{group} {sub}"
    return COMMAND_DEFAULTS.get(action, f"/digest {action}")


def number_text(value: int, i18n: I18n, locale: str) -> str:
    """A whole number with the locale's thousands separator (``12.345`` in Dutch, ``12,345`` in English)."""
    return f"{value:,}".replace(",", i18n.t("digest.render.thousands", locale))


def figure_text(figure: Figure, i18n: I18n, locale: str) -> tuple[str, str]:
    """(number, label) of a headline figure, the label in the singular for one (``1 question solved``)."""
    form = "one" if figure.value == 1 else "other"
    return number_text(figure.value, i18n, locale), i18n.t(f"digest.figure.{figure.name}.{form}", locale)


def known_figures(content: DigestContent) -> list[Figure]:
    """The content's headline figures in :data:`FIGURES` order (names the renderers do not know are left out)."""
    by_name = {figure.name: figure for figure in content.figures}
    return [by_name[name] for name in FIGURES if name in by_name]


def date_text(moment: str, i18n: I18n, locale: str) -> str:
    """A stored moment as a written date (``1 december 2026``; the UTC date); the text itself if unreadable."""
    try:
        day = from_iso(moment)
    except ValueError:
        return moment[:10]
    month = i18n.t(f"digest.render.month.{day.month}", locale)
    return i18n.t("digest.render.date", locale, day=day.day, month=month, year=day.year)


def thread_url(guild_id: int, thread_id: int) -> str:
    """The address of a help-forum post (it opens Discord, in the browser or the app)."""
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


def item_url(item: DigestItem, guild_id: int) -> str | None:
    """Where an item lives: its web address (resources, proposals), its forum thread (questions), or None."""
    if item.url:
        return item.url
    if item.thread_id:
        return thread_url(guild_id, item.thread_id)
    return None


def digest_sections(content: DigestContent, *, personal: bool) -> list[tuple[str, tuple[DigestItem, ...], int]]:
    """The sections to show, in order: (name, the items shown, how many more there are); empty ones are left out.

    Each section shows at most its limit of items. A personal digest starts with "questions you could help with".
    """
    found = [(COULD_HELP, content.could_help)] if personal and content.could_help else []
    found += [(name, content.sections[name]) for name in SECTIONS if content.sections.get(name)]
    shown = []
    for name, items in found:
        limit = COULD_HELP_LIMIT if name == COULD_HELP else SECTION_LIMITS.get(name, max(SECTION_LIMITS.values()))
        shown.append((name, items[:limit], max(len(items) - limit, 0)))
    return shown


def item_meta(item: DigestItem, section: str, i18n: I18n, locale: str) -> list[str]:
    """Short facts shown after an item (its resource type, how helpful, how long a question has been open)."""
    t = i18n.t
    meta: list[str] = []
    if section in ("resources", "featured"):
        if item.kind and i18n.has(f"resources.type.{item.kind}"):
            meta.append(t(f"resources.type.{item.kind}", locale))
        if item.score > 0:
            meta.append(t("digest.render.helpful", locale, count=number_text(item.score, i18n, locale)))
    elif section in ("open", COULD_HELP) and item.score > 0:
        form = "one" if item.score == 1 else "other"
        meta.append(t(f"digest.render.open_days_{form}", locale, days=number_text(item.score, i18n, locale)))
    return meta


def one_line(text: str, limit: int) -> str:
    """Text on one line (whitespace collapsed), at most ``limit`` characters, ending with … when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def _href(url: str) -> str | None:
    """An address that may be linked: http(s) with a valid host, unsafe characters percent-encoded; else None."""
    host = url_host(url)
    if host is None:
        return None
    try:
        parts = urlsplit(url.strip())
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return None
    rest = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    rest = re.sub(r"%(?![0-9a-fA-F]{2})", "%25", rest)
    target = f"{parts.scheme.lower()}://{host}{port}{quote(rest, safe='/:!$&*+,;=~-._%?#@')}"
    return target if len(target) <= HREF_MAX else None


def _server(guild_name: str) -> str:
    return one_line(guild_name, SERVER_SHOWN) or "—"


def _heading(content: DigestContent, i18n: I18n, guild_name: str, personal: bool) -> str:
    key = "digest.render.title_personal" if personal else "digest.render.title"
    return i18n.t(key, content.locale, server=_server(guild_name))


def _window(content: DigestContent, i18n: I18n) -> str:
    locale = content.locale
    return i18n.t(
        "digest.render.window",
        locale,
        since=date_text(content.since, i18n, locale),
        until=date_text(content.until, i18n, locale),
    )


def _footer(content: DigestContent, i18n: I18n, guild_name: str) -> str:
    subscribe = command_text(i18n, content.locale, "subscribe")
    return i18n.t("digest.render.newsletter_footer", content.locale, server=_server(guild_name), subscribe=subscribe)


# --- Markdown -----------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
"""What could start markup inline: emphasis, code, a link or image (every ``[`` and ``]``), HTML, an entity,
a heading's closing ``#``, a table cell, strikethrough. ``(``, ``)`` and ``!`` mean nothing without a bracket."""


def md_escape(text: str) -> str:
    """Text that any Markdown reader shows as it is: every character that could start markup is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_title(item: DigestItem, guild_id: int) -> str:
    title = md_escape(one_line(item.title, TITLE_SHOWN)) or "—"
    target = item_url(item, guild_id)
    href = _href(target) if target else None
    return f"[{title}](<{href}>)" if href else title


def render_markdown(
    content: DigestContent, i18n: I18n, guild_name: str, guild_id: int, *, personal: bool = False
) -> str:
    """The digest as Markdown for a newsletter: a heading, the window, the figures, a list per section, a footer."""
    t = i18n.t
    locale = content.locale
    lines = [f"# {md_escape(_heading(content, i18n, guild_name, personal))}", ""]
    if personal:
        lines += [md_escape(t("digest.render.personal_from_plain", locale, server=_server(guild_name))), ""]
    lines += [md_escape(_window(content, i18n)), ""]
    shown = [figure_text(figure, i18n, locale) for figure in known_figures(content)]
    figures = [f"**{md_escape(number)}** {md_escape(label)}" for number, label in shown]
    if figures:
        lines += [" · ".join(figures), ""]
    for section, items, hidden in digest_sections(content, personal=personal):
        lines += [f"## {md_escape(t(f'digest.section.{section}', locale))}", ""]
        for item in items:
            line = "- " + _md_title(item, guild_id)
            if section == "skills":
                kind = t("digest.render.need" if item.kind == "need" else "digest.render.offer", locale)
                line = f"- {md_escape(kind)}: {_md_title(item, guild_id)}"
            limit = FEATURED_SUMMARY_SHOWN if section == "featured" else SUMMARY_SHOWN
            if item.summary and section != "solved":
                line += " — " + md_escape(one_line(item.summary, limit))
            meta = item_meta(item, section, i18n, locale)
            if meta:
                line += " · " + md_escape(" · ".join(meta))
            lines.append(line)
        if hidden:
            lines.append("- " + md_escape(t("digest.render.more", locale, count=hidden)))
        lines.append("")
    lines += ["---", "", md_escape(_footer(content, i18n, guild_name)), ""]
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------------------------

BRAND: Final = "#1f6f8b"
INK: Final = "#1f2a30"
SOFT_INK: Final = "#3d4a52"
MUTED: Final = "#5f6f78"
PAGE: Final = "#eef2f4"
TINT: Final = "#f1f7f9"
RULE: Final = "#dde8ec"
FONT: Final = "Arial, Helvetica, sans-serif"
WIDTH: Final = 600
WRAP: Final = "overflow-wrap:anywhere;word-wrap:break-word;word-break:break-word;"
"""Long words and addresses wrap instead of widening the page (the old and new spellings, for every client)."""
STYLES: Final[Mapping[str, str]] = {
    "body": f"margin:0;padding:0;background-color:{PAGE};color:{INK};font-family:{FONT};",
    "preheader": f"display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;line-height:1px;color:{PAGE};",
    "page": f"width:100%;background-color:{PAGE};",
    "gutter": "padding:24px 10px;",
    "card": f"width:100%;max-width:{WIDTH}px;background-color:#ffffff;border-radius:8px;table-layout:fixed;"
    f"font-family:{FONT};color:{INK};",
    "masthead": f"padding:28px 28px 24px 28px;background-color:{BRAND};border-radius:8px 8px 0 0;{WRAP}",
    "brand": "margin:0 0 8px 0;font-size:12px;line-height:1.4;letter-spacing:1px;text-transform:uppercase;"
    "color:#cfe6ee;",
    "h1": f"margin:0;font-size:24px;line-height:1.25;font-weight:bold;color:#ffffff;font-family:{FONT};",
    "lead": f"margin:10px 0 0 0;font-size:14px;line-height:1.5;color:#e6f2f6;{WRAP}",
    "figures": "padding:20px 20px 0 20px;",
    "grid": "width:100%;table-layout:fixed;",
    "tiles": "width:100%;table-layout:fixed;border-collapse:separate;border-spacing:8px 0;",
    "tile": f"padding:12px 4px;background-color:{TINT};border-radius:6px;{WRAP}",
    "number": f"margin:0;font-size:26px;line-height:1.1;font-weight:bold;color:{BRAND};",
    "long_number": f"margin:0;font-size:18px;line-height:1.2;font-weight:bold;color:{BRAND};{WRAP}",
    "figure_label": f"margin:4px 0 0 0;font-size:12px;line-height:1.3;color:{SOFT_INK};",
    "section": "padding:24px 28px 0 28px;",
    "h2": f"margin:0 0 14px 0;padding:0 0 6px 0;font-size:18px;line-height:1.3;color:{BRAND};"
    f"border-bottom:2px solid {RULE};font-family:{FONT};",
    "item": f"padding:0 0 16px 0;{WRAP}",
    "featured_box": "width:100%;table-layout:fixed;",
    "featured": f"padding:14px 16px;background-color:{TINT};border-left:4px solid {BRAND};{WRAP}",
    "item_title": f"margin:0;font-size:15px;line-height:1.4;font-weight:bold;color:{INK};{WRAP}",
    "link": f"color:{BRAND};text-decoration:underline;font-weight:bold;{WRAP}",
    "badge": f"display:inline-block;padding:1px 8px;margin:0 6px 0 0;border-radius:10px;background-color:{TINT};"
    f"color:{BRAND};font-size:12px;font-weight:bold;",
    "summary": f"margin:4px 0 0 0;font-size:14px;line-height:1.5;color:{SOFT_INK};{WRAP}",
    "meta": f"margin:4px 0 0 0;font-size:12px;line-height:1.4;color:{MUTED};",
    "more": f"padding:0 0 16px 0;font-size:13px;color:{MUTED};",
    "closing": "padding:28px;",
    "footer": f"margin:0;padding:16px 0 0 0;border-top:1px solid {RULE};font-size:12px;line-height:1.5;"
    f"color:{MUTED};{WRAP}",
}
"""Every style of the document, by role; each is written inline on its element (mail clients drop <style>)."""
_TABLE = 'role="presentation" cellspacing="0" cellpadding="0" border="0"'


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _tag(name: str, style: str, inner: str, attributes: str = "") -> str:
    """An element with one of :data:`STYLES` inline; ``inner`` is HTML already escaped."""
    space = f" {attributes}" if attributes else ""
    return f'<{name}{space} style="{STYLES[style]}">{inner}</{name}>'


def _table(style: str, rows: str, width: str = "100%") -> str:
    return _tag("table", style, rows, f'{_TABLE} width="{width}"')


def _row(style: str, inner: str, attributes: str = "") -> str:
    return "<tr>" + _tag("td", style, inner, attributes) + "</tr>\n"


def _html_title(item: DigestItem, guild_id: int) -> str:
    title = _e(one_line(item.title, TITLE_SHOWN)) or "—"
    target = item_url(item, guild_id)
    href = _href(target) if target else None
    if href is None:
        return title
    return _tag("a", "link", title, f'href="{_e(href)}" target="_blank" rel="noopener"')


def _html_item(item: DigestItem, section: str, guild_id: int, i18n: I18n, locale: str) -> str:
    t = i18n.t
    title = _html_title(item, guild_id)
    if section == "skills":
        kind = t("digest.render.need" if item.kind == "need" else "digest.render.offer", locale)
        title = _tag("span", "badge", _e(kind)) + title
    parts = [_tag("p", "item_title", title)]
    limit = FEATURED_SUMMARY_SHOWN if section == "featured" else SUMMARY_SHOWN
    if item.summary and section != "solved":
        parts.append(_tag("p", "summary", _e(one_line(item.summary, limit))))
    if meta := item_meta(item, section, i18n, locale):
        parts.append(_tag("p", "meta", _e(" · ".join(meta))))
    if section == "featured":
        return _row("item", _table("featured_box", _row("featured", "".join(parts))))
    return _row("item", "".join(parts))


def _html_figures(content: DigestContent, i18n: I18n) -> str:
    figures = known_figures(content)
    if not figures:
        return ""
    cells = []
    width = f'width="{100 // len(figures)}%" align="center" valign="top"'
    for figure in figures:
        number, label = figure_text(figure, i18n, content.locale)
        tile = _tag("p", "number" if len(number) <= 5 else "long_number", _e(number)) + _tag(
            "p", "figure_label", _e(label)
        )
        cells.append(_tag("td", "tile", tile, width))
    return _row("figures", _table("tiles", "<tr>" + "".join(cells) + "</tr>"))


def _html_section(
    section: str, items: Sequence[DigestItem], hidden: int, guild_id: int, i18n: I18n, locale: str
) -> str:
    rows = "".join(_html_item(item, section, guild_id, i18n, locale) for item in items)
    if hidden:
        rows += _row("more", _e(i18n.t("digest.render.more", locale, count=hidden)))
    heading = _tag("h2", "h2", _e(i18n.t(f"digest.section.{section}", locale)))
    return _row("section", heading + _table("grid", rows))


def render_html(content: DigestContent, i18n: I18n, guild_name: str, guild_id: int, *, personal: bool = False) -> str:
    """The digest as a complete HTML document for a newsletter (see the module's description of its rules)."""
    t = i18n.t
    locale = content.locale
    heading = _e(_heading(content, i18n, guild_name, personal))
    shown = [figure_text(figure, i18n, locale) for figure in known_figures(content)]
    since, until = date_text(content.since, i18n, locale), date_text(content.until, i18n, locale)
    figures = " · ".join(f"{number} {label}" for number, label in shown) or _heading(
        content, i18n, guild_name, personal
    )
    preheader = _e(t("digest.render.newsletter_preheader", locale, figures=figures, since=since, until=until))
    masthead = _tag("p", "brand", "Steunpunt") + _tag("h1", "h1", heading)
    if personal:
        masthead += _tag("p", "lead", _e(t("digest.render.personal_from_plain", locale, server=_server(guild_name))))
    masthead += _tag("p", "lead", _e(_window(content, i18n)))
    rows = _row("masthead", masthead) + _html_figures(content, i18n)
    for name, items, hidden in digest_sections(content, personal=personal):
        rows += _html_section(name, items, hidden, guild_id, i18n, locale)
    rows += _row("closing", _tag("p", "footer", _e(_footer(content, i18n, guild_name))))
    card = _table("card", "\n" + rows, width=str(WIDTH))
    page = _table("page", _row("gutter", "\n" + card + "\n", 'align="center"'))
    lang = "en" if locale == "en" else "nl"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light">\n<meta name="supported-color-schemes" content="light">\n'
        f"<title>{heading}</title>\n</head>\n"
        + _tag("body", "body", "\n" + _tag("div", "preheader", preheader) + "\n" + page + "\n")
        + "\n</html>\n"
    )
