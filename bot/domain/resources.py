"""Resources: the rules of the curated library (validation, URL normalisation, licences) and its dataclasses."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

import idna

from bot.domain.guild_settings import THEMES
from bot.errors import Invalid

TYPES: tuple[str, ...] = ("guide", "toolkit", "course", "website", "dataset", "funding", "event")
AUDIENCES: tuple[str, ...] = ("beginner", "intermediate", "advanced")
LANGUAGES: tuple[str, ...] = ("nl", "en")
STATUSES: tuple[str, ...] = ("pending", "approved", "changes_requested", "rejected", "archived")
CC_LICENCES: tuple[str, ...] = (
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nd-4.0",
    "cc-by-nc-4.0",
    "cc-by-nc-sa-4.0",
    "cc-by-nc-nd-4.0",
    "cc0-1.0",
    "pdm-1.0",
)
RIGHTS_STATEMENTS: tuple[str, ...] = (
    "InC",
    "InC-OW-EU",
    "InC-EDU",
    "InC-NC",
    "InC-RUU",
    "NoC-CR",
    "NoC-NC",
    "NoC-OKLR",
    "NoC-US",
    "CNE",
    "UND",
    "NKC",
)
TITLE_MAX, SUMMARY_MAX, URL_MAX, PUBLISHER_MAX, TAGS_MAX, TAG_MAX, NOTE_MAX = 200, 1000, 500, 120, 8, 30, 500
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG = re.compile(r"[^a-z0-9à-ÿ-]+")


@dataclass(frozen=True, slots=True)
class ResourceDraft:
    """Validated member input for a new or edited resource."""

    title: str
    url: str
    url_key: str
    summary: str
    theme: str
    type: str
    language: str
    audience: str = "beginner"
    publisher: str = ""
    licence: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resource:
    """A stored resource."""

    id: int
    guild_id: int
    title: str
    url: str
    url_key: str
    summary: str
    theme: str
    tags: tuple[str, ...]
    language: str
    licence: str | None
    type: str
    audience: str
    publisher: str
    suggested_by: int
    status: str
    featured: bool = False
    helpful: int = 0
    decision_note: str | None = None
    link_status: str | None = None
    link_detail: str | None = None
    last_verified: str | None = None
    queue_channel_id: int | None = None
    queue_message_id: int | None = None
    seed_key: str | None = None
    created_at: str = ""
    updated_at: str = ""
    version: int = 1
    """Incremented by every change; a change based on an older version is refused."""

    def snapshot(self) -> dict[str, Any]:
        """The fields an audit entry records before and after a change."""
        return {
            "title": self.title,
            "url": self.url,
            "summary": self.summary,
            "theme": self.theme,
            "tags": list(self.tags),
            "language": self.language,
            "licence": self.licence,
            "type": self.type,
            "audience": self.audience,
            "publisher": self.publisher,
            "status": self.status,
            "featured": self.featured,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded curation action."""

    id: int
    guild_id: int
    actor_id: int
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A message waiting for a member (e.g. the outcome of their suggestion)."""

    id: int
    guild_id: int
    user_id: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def clean(text: str, limit: int, *, key: str, required: bool = True) -> str:
    """Strip control characters and spaces; enforce length with a localised error naming the field."""
    value = _CONTROL.sub(" ", text).strip()
    if required and not value:
        raise Invalid("resources.invalid.empty", field_key=f"resources.field.{key}")
    if len(value) > limit:
        raise Invalid("resources.invalid.too_long", field_key=f"resources.field.{key}", limit=limit)
    return value


def normalise_url(raw: str) -> tuple[str, str]:
    """Return ``(url, key)``: the web address as stored, and a key for duplicate detection.

    An address is accepted as members paste it: spaces and non-ASCII characters in the path and query are
    percent-encoded (UTF-8), an internationalised host name becomes punycode, the scheme and host are
    lower-cased, and a user name or password before the host is dropped. The length limit applies to what
    was typed, not to the (possibly longer) normalised form. Only http(s) addresses of public hosts pass.

    The key ignores scheme, ``www.``, default ports, the fragment, a trailing slash, tracking parameters
    and the order of query parameters.
    """
    text = raw.strip()
    if len(text) > URL_MAX:
        raise Invalid("resources.invalid.too_long", field_key="resources.field.url", limit=URL_MAX)
    if _CONTROL.search(text):
        raise Invalid("resources.invalid.url")
    try:
        parts = urlsplit(text.replace("\\", "/"))  # browsers read a backslash in a web address as a slash
        port = parts.port
    except ValueError:
        raise Invalid("resources.invalid.url") from None
    scheme = parts.scheme.lower()
    host = _public_host(parts.hostname or "")
    if scheme not in ("http", "https") or host is None:
        raise Invalid("resources.invalid.url")
    default_port = port is None or port in (80, 443)
    netloc = host if default_port else f"{host}:{port}"
    path = _quote(parts.path or "/", _PATH_SAFE)
    query = "&".join(
        _quote(item, _QUERY_SAFE)
        for item in parts.query.split("&")
        if item and not _TRACKING.match(unquote_plus(item.partition("=")[0]))
    )
    url = urlunsplit((scheme, netloc, path, query, ""))
    key_host = host.removeprefix("www.")
    key_path = path.rstrip("/") or "/"
    key = f"{key_host}{'' if default_port else f':{port}'}{key_path}"
    if query:
        key += "?" + urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    return url, key


def url_host(url: str) -> str | None:
    """The host a browser opens for ``url``, in ASCII (punycode, lower case), or None when it has no valid host.

    Whatever the stored text, this is what renderers may show as "the real host" of a link.
    """
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # a malformed port makes the whole address unusable
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return _ascii_host(unquote(parts.hostname or ""))


def display_url(url: str) -> str:
    """A stored address as a member would type it: readable host, spaces and non-ASCII characters decoded.

    Normalising the result gives the stored address back, so it is what an edit form shows.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    if not host or host.startswith("[") or ":" in host:
        return url
    try:
        shown_host = idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        shown_host = host
    netloc = shown_host if port is None else f"{shown_host}:{port}"
    path, query = _readable(parts.path), _readable(parts.query)
    shown = urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
    trailing = len(shown) - len(shown.rstrip(" "))
    return shown[: len(shown) - trailing] + "%20" * trailing  # a space at the end would be trimmed as typed


_PATH_SAFE = "/:@!$&'()*+,;=~-._%"
_QUERY_SAFE = "/?:@!$'()*+,;=~-._%"
_ESCAPE = re.compile(r"%([0-9a-fA-F]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")
_UTF8_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")


def _quote(text: str, safe: str) -> str:
    """Percent-encode everything outside ``safe`` (UTF-8); keep valid escapes (upper-cased), encode a lone ``%``."""
    quoted = quote(_LONE_PERCENT.sub("%25", text), safe=safe)
    return _ESCAPE.sub(lambda m: "%" + m.group(1).upper(), quoted)


def _readable(text: str) -> str:
    """Decode escapes that stand for spaces or printable non-ASCII characters; keep every other escape."""

    def decode(match: re.Match[str]) -> str:
        chunk = match.group(0)
        try:
            decoded = unquote(chunk, errors="strict")
        except UnicodeDecodeError:
            return chunk
        out = []
        for char, escaped in zip(decoded, _split_escapes(chunk), strict=True):
            keep = char == " " or (ord(char) > 127 and unicodedata.category(char)[0] not in "CZ")
            out.append(char if keep else escaped)
        return "".join(out)

    return _UTF8_ESCAPES.sub(decode, text)


def _split_escapes(chunk: str) -> list[str]:
    """The escapes of a run of ``%XX``, grouped by the UTF-8 character they encode."""
    raw = bytes.fromhex(chunk.replace("%", ""))
    groups: list[str] = []
    index = 0
    for char in raw.decode("utf-8"):
        size = len(char.encode("utf-8"))
        groups.append(chunk[index * 3 : (index + size) * 3])
        index += size
    return groups


def _ascii_host(host: str) -> str | None:
    """A host name or IP literal in the ASCII form browsers use, or None when it is not a valid host."""
    host = host.strip().rstrip(".").lower()
    if not host or len(host) > 253:
        return None
    if ":" in host:  # IPv6 (urlsplit removed the brackets)
        try:
            return f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii").lower()
        except (idna.IDNAError, UnicodeError):
            return None
    labels = host.split(".")
    if _NUMBER.match(labels[-1]):  # browsers read such a host as an IPv4 address (127.1, 0x7f.1, 2130706433)
        address = _ipv4(labels)
        return None if address is None else str(address)
    return host if len(host) <= 253 and all(_LABEL.match(label) for label in labels) else None


def _ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    """Parse an IPv4 host as browsers do: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x)."""
    numbers: list[int] = []
    for label in labels:
        if not _NUMBER.match(label):
            return None
        if label[:2].lower() == "0x":
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if any(c not in "01234567" for c in label):
                return None
            numbers.append(int(label, 8))
        else:
            numbers.append(int(label))
    if not 1 <= len(numbers) <= 4 or any(n > 255 for n in numbers[:-1]):
        return None
    last_bits = 8 * (5 - len(numbers))
    if numbers[-1] >= 1 << last_bits:
        return None
    value = numbers[-1]
    for position, number in enumerate(numbers[:-1]):
        value += number << (24 - 8 * position)
    return ipaddress.IPv4Address(value)


def _public_host(hostname: str) -> str | None:
    """The ASCII host if it is a public web host: with a dot, not loopback, private, link-local or reserved."""
    host = _ascii_host(hostname)
    if host is None or ("." not in host and not host.startswith("[")) or _is_private_host(host):
        return None
    return host


def _is_private_host(host: str) -> bool:
    """Whether the host is loopback, private, link-local or reserved.

    Such addresses are no resources, and the link checker must never be pointed at them.
    """
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    return not address.is_global


def normalise_licence(raw: str | None) -> str | None:
    """A known CC licence/tool id or rights-statement id (case-insensitive), or None if empty."""
    if raw is None or not raw.strip():
        return None
    wanted = raw.strip().lower().replace(" ", "-")
    for known in (*CC_LICENCES, *RIGHTS_STATEMENTS):
        if known.lower() == wanted:
            return known
    raise Invalid("resources.invalid.licence", value=raw.strip()[:40])


def parse_tags(raw: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Tags from a comma-separated string or a list: lower-case, hyphenated, unique, at most eight."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    for item in items:
        tag = _TAG.sub("-", str(item).strip().lower()).strip("-")[:TAG_MAX]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise Invalid("resources.invalid.too_many_tags", limit=TAGS_MAX)
    return tuple(tags)


def _choice(value: str, allowed: tuple[str, ...], field_name: str) -> str:
    if value not in allowed:
        raise Invalid("resources.invalid.choice", field_key=f"resources.field.{field_name}", allowed=", ".join(allowed))
    return value


def make_draft(
    *,
    title: str,
    url: str,
    summary: str,
    theme: str,
    type: str,
    language: str,
    audience: str = "beginner",
    publisher: str = "",
    licence: str | None = None,
    tags: str | list[str] | tuple[str, ...] = (),
) -> ResourceDraft:
    """Validate every field of a resource; raises a localised :class:`Invalid` on the first problem."""
    clean_url, key = normalise_url(url)
    return ResourceDraft(
        title=clean(title, TITLE_MAX, key="title"),
        url=clean_url,
        url_key=key,
        summary=clean(summary, SUMMARY_MAX, key="summary", required=False),
        theme=_choice(theme, THEMES, "theme"),
        type=_choice(type, TYPES, "type"),
        language=_choice(language, LANGUAGES, "language"),
        audience=_choice(audience, AUDIENCES, "audience"),
        publisher=clean(publisher, PUBLISHER_MAX, key="publisher", required=False),
        licence=normalise_licence(licence),
        tags=parse_tags(tags),
    )
