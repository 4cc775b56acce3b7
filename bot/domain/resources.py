"""Resources: the rules of the curated library (validation, URL normalisation, licences) and its dataclasses."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    """Return ``(url, key)``: the cleaned http(s) URL, and a key for duplicate detection.

    The key ignores scheme, ``www.``, default ports, the fragment, a trailing slash, tracking parameters
    and the order of query parameters.
    """
    text = raw.strip()
    if len(text) > URL_MAX:
        raise Invalid("resources.invalid.too_long", field_key="resources.field.url", limit=URL_MAX)
    if any(c.isspace() for c in text) or _CONTROL.search(text):
        raise Invalid("resources.invalid.url")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise Invalid("resources.invalid.url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "." not in parts.hostname:
        raise Invalid("resources.invalid.url")
    host = parts.hostname.lower().rstrip(".")
    netloc = host if port is None or port in (80, 443) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    path = parts.path or "/"
    url = urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))
    if len(url) > URL_MAX:  # normalising can lengthen it (percent-encoding)
        raise Invalid("resources.invalid.too_long", field_key="resources.field.url", limit=URL_MAX)
    if _is_private_host(host):
        raise Invalid("resources.invalid.url")
    key_host = host.removeprefix("www.")
    key_path = path.rstrip("/") or "/"
    key = f"{key_host}{'' if port in (None, 80, 443) else f':{port}'}{key_path}"
    if query:
        key += "?" + urlencode(sorted(query))
    return url, key


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
