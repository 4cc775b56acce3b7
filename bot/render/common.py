"""Shared rendering helpers: Discord's limits in one place, colours, safe text and safe links.

Every public embed builder in ``bot/render`` is decorated with :func:`embed_builder`, every builder of message
text with :func:`content_builder`: whatever the stored text, what they return fits Discord's limits.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, ParamSpec
from urllib.parse import quote, urlsplit

import discord

from bot.domain.resources import url_host
from bot.i18n import I18n

CONTENT_MAX: Final = 2000
TITLE_MAX: Final = 256
DESCRIPTION_MAX: Final = 4096
FIELD_NAME_MAX: Final = 256
FIELD_VALUE_MAX: Final = 1024
FIELDS_MAX: Final = 25
FOOTER_MAX: Final = 2048
AUTHOR_NAME_MAX: Final = 256
EMBED_TOTAL_MAX: Final = 6000
"""Title, description, field names and values, footer and author name, across all embeds of a message."""
EMBEDS_MAX: Final = 10
EMBED_URL_MAX: Final = 2048
BLANK: Final = "\u200b"
"""Stands in for a field name or value that would otherwise be empty (Discord refuses empty ones)."""

P = ParamSpec("P")
_BUILDERS: dict[str, str] = {}


class Colours:
    """Embed colours, one per purpose."""

    brand: Final = discord.Colour(0x1F6F8B)
    success: Final = discord.Colour(0x2E8540)
    warning: Final = discord.Colour(0xC77700)
    error: Final = discord.Colour(0xB00020)


# --- limits -------------------------------------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when cut.

    A link of ours (``[label](target)``) is never cut in half: it goes as a whole.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[: max(limit, 0)]
    cut = text[: limit - 1]
    opened = cut.rfind("](")
    if opened != -1 and ")" not in cut[opened + 2 :] and (start := cut.rfind("[", 0, opened)) != -1:
        cut = cut[:start]
    return cut.rstrip() + "…"


def embed_builder(build: Callable[P, discord.Embed]) -> Callable[P, discord.Embed]:
    """Declare an embed builder: the embed it returns is brought within every Discord limit by :func:`fit_embed`."""

    @functools.wraps(build)
    def within_limits(*args: P.args, **kwargs: P.kwargs) -> discord.Embed:
        return fit_embed(build(*args, **kwargs))

    _BUILDERS[f"{build.__module__}.{build.__qualname__}"] = "embed"
    return within_limits


def content_builder(build: Callable[P, str]) -> Callable[P, str]:
    """Declare a builder of message text: what it returns is cut to Discord's 2,000 characters."""

    @functools.wraps(build)
    def within_limits(*args: P.args, **kwargs: P.kwargs) -> str:
        return fit_content(build(*args, **kwargs))

    _BUILDERS[f"{build.__module__}.{build.__qualname__}"] = "content"
    return within_limits


def registered_builders() -> Mapping[str, str]:
    """Every declared builder (``module.name``) and its kind (``embed`` or ``content``)."""
    return dict(_BUILDERS)


def fit_content(text: str) -> str:
    """Message content within Discord's 2,000 characters (never empty: Discord refuses an empty message)."""
    return truncate(text, CONTENT_MAX) or BLANK


def fit_embed(embed: discord.Embed, *, budget: int = EMBED_TOTAL_MAX) -> discord.Embed:
    """Bring one embed within every limit Discord sets, in place; see :func:`fit_embeds`."""
    fit_embeds([embed], budget=budget)
    return embed


def fit_embeds(embeds: Iterable[discord.Embed], *, budget: int = EMBED_TOTAL_MAX) -> list[discord.Embed]:
    """Bring the embeds of one message within Discord's limits, in place, and return them (at most ten).

    Each text is cut to its own limit (title 256, description 4096, field name 256 and value 1024, footer 2048,
    author name 256), fields beyond 25 are dropped, an empty field name or value becomes a zero-width space,
    and a link that is not a short enough http(s) address is removed. When the texts together still exceed
    ``budget`` (6000), the longest are shortened first, so short ones (names, footers) stay whole.
    """
    kept = list(embeds)[:EMBEDS_MAX]
    texts: list[_Text] = []
    for embed in kept:
        texts.extend(_fit_parts(embed))
    _share(texts, budget)
    for text in texts:
        text.store()
    return kept


@dataclass(slots=True)
class _Text:
    """One counted text of an embed, with the function that writes it back."""

    value: str
    write: Callable[[str], None]
    required: bool = False

    def store(self) -> None:
        self.write(self.value or (BLANK if self.required else ""))


def _fit_parts(embed: discord.Embed) -> list[_Text]:
    """Cut each text of ``embed`` to its own limit; return the counted texts for the shared budget."""
    while len(embed.fields) > FIELDS_MAX:
        embed.remove_field(-1)
    if embed.url and (len(embed.url) > EMBED_URL_MAX or link_target(embed.url) != embed.url):
        embed.url = None
    texts: list[_Text] = []

    def set_title(value: str) -> None:
        embed.title = value or None

    def set_description(value: str) -> None:
        embed.description = value or None

    def set_footer(value: str) -> None:
        icon = embed.footer.icon_url
        if value or icon:
            embed.set_footer(text=value or None, icon_url=icon)
        else:
            embed.remove_footer()

    def set_author(value: str) -> None:
        embed.set_author(name=value, url=embed.author.url, icon_url=embed.author.icon_url)

    if embed.title:
        texts.append(_Text(truncate(str(embed.title), TITLE_MAX), set_title))
    if embed.description:
        texts.append(_Text(truncate(str(embed.description), DESCRIPTION_MAX), set_description))
    if embed.footer.text:
        texts.append(_Text(truncate(str(embed.footer.text), FOOTER_MAX), set_footer))
    if embed.author.name:
        texts.append(_Text(truncate(str(embed.author.name), AUTHOR_NAME_MAX), set_author, required=True))
    for index, field in enumerate(embed.fields):
        name = _Text(truncate(str(field.name or ""), FIELD_NAME_MAX), lambda _: None, required=True)
        value = _Text(truncate(str(field.value or ""), FIELD_VALUE_MAX), lambda _: None, required=True)
        inline = bool(field.inline)

        def write_field(_: str, i: int = index, n: _Text = name, v: _Text = value, inline: bool = inline) -> None:
            embed.set_field_at(i, name=n.value or BLANK, value=v.value or BLANK, inline=inline)

        value.write = write_field
        texts.extend((name, value))
    return texts


def _share(texts: list[_Text], budget: int) -> None:
    """Shorten the longest texts until all of them together fit ``budget`` (a water level over their lengths)."""

    def counted(text: _Text, cap: int | None = None) -> int:
        size = len(text.value) if cap is None else min(len(text.value), cap)
        return max(size, 1) if text.required else size

    if sum(counted(t) for t in texts) <= budget:
        return
    low, high = 1, max(len(t.value) for t in texts)
    while low < high:  # the highest cap that fits
        middle = (low + high + 1) // 2
        if sum(counted(t, middle) for t in texts) <= budget:
            low = middle
        else:
            high = middle - 1
    for text in texts:
        text.value = truncate(text.value, low)


# --- safe text ----------------------------------------------------------------------------------------------------

_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MENTION_START = re.compile(r"<(?=[@#/]|id:)")
_BIDI_AND_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def defuse_mentions(text: str) -> str:
    """No mention survives: ``@everyone``, ``@here``, ``<@…>``, ``<@&…>``, ``<#…>``, ``</…>`` get a zero-width space."""
    return _MENTION_START.sub("<\u200b", _EVERYONE.sub("@\u200b\\1", text))


def _break_masks(text: str) -> str:
    """A zero-width space splits every ``](`` so no client can read a masked link into the text."""
    return text.replace("](", "]\u200b(")


def defang(text: str) -> str:
    """Text that may already be escaped (or is ours, with member text in it): no mention, no masked link.

    Markdown stays as it is, and applying it twice changes nothing more.
    """
    return _break_masks(defuse_mentions(text))


def safe(text: str) -> str:
    """Escape markdown and neutralise mentions in member-written text before it goes into a message.

    A zero-width space also splits every ``](`` so no client can ever read a masked link into it.
    """
    return _break_masks(defuse_mentions(discord.utils.escape_markdown(text)))


def neutral(text: str) -> str:
    """Member text for places where markdown may stay (e.g. inside `code`).

    No pings, no masked links, and no backtick that could end a code span.
    """
    return _break_masks(defuse_mentions(text)).replace("`", "\u02cb")


_LINK_LABEL = r"(?:[^\[\]]|\[[^\[\]]*\])*"
_LINK_TARGET = r"(?:\([^()\s]*\)|[^()\s<>])*"
_MASKED_LINK = re.compile(
    rf"\[(?P<label>{_LINK_LABEL})\]\(\s*(?P<angle><)?(?P<target>{_LINK_TARGET})(?(angle)>)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)


def safe_markdown(text: str) -> str:
    """Member-derived text in which markdown may stay (an FAQ body): no mentions, and no masked link.

    Every masked link ``[label](address)`` is shown as its label followed by its real host, and that host
    is the link (``label ([host](address))``); a label that looks like an address is replaced by the host.
    """
    out: list[str] = []
    position = 0
    for match in _MASKED_LINK.finditer(text):
        out.append(_break_masks(defuse_mentions(text[position : match.start()])))
        out.append(_unmasked(match.group("label"), match.group("target")))
        position = match.end()
    out.append(_break_masks(defuse_mentions(text[position:])))
    return "".join(out)


def _unmasked(label: str, url: str) -> str:
    """One masked link of member text, rewritten so its real host is what shows and what is clicked."""
    link = safe_link(url, url, limit=EMBED_URL_MAX) if url_host(url) else ""
    shown = _break_masks(defuse_mentions(_clean_label(label))).replace("[", "(").replace("]", ")")
    if not shown or looks_like_address(shown):
        return link or shown
    return f"{shown} ({link})" if link else shown


# --- safe links ---------------------------------------------------------------------------------------------------

_LOOKS_LIKE_ADDRESS = re.compile(r"(://|www\.|[\w-]+[.。][^\W\d_]{2,}\b)", re.IGNORECASE)
_LONE_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")
_TARGET_SAFE = "/:!$&*+,;=~-._%?#"  # not "@": no mention can hide in an address
LINK_LABEL_MAX: Final = 100


def looks_like_address(label: str) -> bool:
    """Whether a text could pass for a web address (``paypal.com/signin``, ``www.x``, ``https://``), lookalikes too."""
    return bool(_LOOKS_LIKE_ADDRESS.search(unicodedata.normalize("NFKC", _BIDI_AND_INVISIBLE.sub("", label))))


def _clean_label(label: str) -> str:
    """A label without invisible or direction-changing characters, which could disguise what it says."""
    return _BIDI_AND_INVISIBLE.sub("", label).strip()


def link_target(url: str) -> str | None:
    """The address to put in a link: http(s) only, its host in ASCII, and nothing that could end the link early.

    ``( ) < > @``, spaces, quotes and backslashes are percent-encoded, so the link opens the stored address.
    None when the address has no valid host or is longer than Discord accepts (2048).
    """
    host = url_host(url)
    if host is None:
        return None
    parts = urlsplit(url.strip())
    port = f":{parts.port}" if parts.port is not None else ""
    rest = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    target = f"{parts.scheme.lower()}://{host}{port}{quote(_LONE_PERCENT.sub('%25', rest), safe=_TARGET_SAFE)}"
    return target if len(target) <= EMBED_URL_MAX else None


def host_text(url: str, *, shortened: bool = False) -> str:
    """The real host of ``url`` as safe text (``example.org``, or ``example.org/…`` when ``shortened``)."""
    host = url_host(url)
    if host is None:
        return ""
    path = urlsplit(url.strip()).path
    more = "/…" if shortened and (path.strip("/") or "?" in url) else ""
    return discord.utils.escape_markdown(host) + more


def safe_link(label: str, url: str, *, limit: int = FIELD_VALUE_MAX) -> str:
    """A masked link whose visible text can never be a different address from the one it opens.

    A label that looks like an address (``paypal.com/signin``) is replaced by the real host; brackets,
    markdown and mentions in the label are neutralised. When the link would be longer than ``limit``
    (or the address cannot be linked), the label is shown with the real host, shortened, unlinked.
    """
    label = truncate(_clean_label(label), LINK_LABEL_MAX)
    host = host_text(url)
    if not label or looks_like_address(label):
        label = host or "link"
    else:
        label = defuse_mentions(discord.utils.escape_markdown(label)).replace("[", "(").replace("]", ")")
    target = link_target(url)
    # an IPv6 host ("[2001:db8::1]") cannot be a link's label: its brackets would end the label early
    linkable = target is not None and "[" not in label and "]" not in label
    if linkable and len(link := f"[{label}]({target})") <= limit:
        return link
    short = host_text(url, shortened=True)
    fallback = short if label == host or not short else f"{label} ({short})"
    return truncate(fallback, limit)


# --- units --------------------------------------------------------------------------------------------------------


def embed_length(embed: discord.Embed) -> int:
    """Characters that count towards Discord's 6000 total for one embed."""
    return len(embed)


def add_field_within_limits(embed: discord.Embed, name: str, value: str, *, inline: bool = False) -> bool:
    """Add a field if the embed still has room (25 fields, 6000 total); truncate name and value. Returns added."""
    name = truncate(name, FIELD_NAME_MAX) or BLANK
    value = truncate(value, FIELD_VALUE_MAX) or BLANK
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
