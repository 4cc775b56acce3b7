"""The weekly digest's values: what one digest holds, the snapshot a run and a delivery are claimed with.

A :class:`DigestContent` is built once per (server, period) from approved items only and stored as JSON with
the run, so every rendering of that period (channel post, personal DMs, preview, newsletter export) shows the
same items, and a retry after a crash sends what was claimed, not what exists by then. No discord import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final, Literal

from bot.clock import from_iso

SECTIONS: Final[tuple[str, ...]] = ("resources", "featured", "solved", "open", "skills", "collab")
"""The digest's sections in the order they appear; each can be switched off per server (setting
``digest_sections``). ``collab`` fills only once the collaboration theme has a source (issue 14)."""

SECTION_LIMITS: Final[Mapping[str, int]] = {
    "resources": 5,
    "featured": 1,
    "solved": 5,
    "open": 5,
    "skills": 6,
    "collab": 5,
}
"""At most this many items per section (a digest is a summary; the commands list the rest)."""

ACCOMPANYING: Final[frozenset[str]] = frozenset({"featured", "open"})
"""Sections that only accompany news: the featured resource (chosen from every featured one) and the open
questions (every open one, oldest first) are news only when they are new in the window themselves (a featured
resource approved in it, a question opened in it); otherwise they never make a digest on their own."""

COULD_HELP_LIMIT: Final = 3
"""At most this many "questions you could help with" in a personal digest."""

FREQUENCIES: Final[tuple[str, ...]] = ("weekly", "fortnightly", "monthly")
"""How often a member's personal digest comes (every run, every other ISO week, the first run of a month)."""

Frequency = Literal["weekly", "fortnightly", "monthly"]

FIGURES: Final[tuple[str, ...]] = ("solved", "resources", "offers")
"""The three headline figures: questions solved, resources added, skills offered (over the digest's window)."""

SNAPSHOT_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One line of a digest: a resource, a question, an offer or need, a collaboration proposal.

    ``key`` is stable (``"resource:12"``, ``"post:<thread id>"``, ``"offer:3"``) so a personal digest can refer
    to the run's items. ``url`` is an http(s) link (resources) or None; questions carry ``thread_id`` and the
    renderer makes the Discord link. ``skills`` are taxonomy slugs (offers, needs, and the skills read from an
    open question), used for "questions you could help with". Texts are stored as entered; every renderer
    escapes and shortens them.
    """

    section: str
    key: str
    title: str
    summary: str = ""
    url: str | None = None
    thread_id: int | None = None
    theme: str | None = None
    skills: tuple[str, ...] = ()
    kind: str | None = None
    """``"offer"`` or ``"need"`` in the skills section; the resource type for resources."""
    created_at: str = ""
    score: int = 0
    """What the section was ordered by (helpfulness of a resource, age of an open question in days)."""


@dataclass(frozen=True, slots=True)
class Figure:
    """A headline figure: one of :data:`FIGURES` and its value over the window."""

    name: str
    value: int


@dataclass(frozen=True, slots=True)
class DigestContent:
    """Everything one server's digest for one period shows (before the renderer chooses words and layout)."""

    guild_id: int
    period: str
    """The period's key: the ISO week of the scheduled local date, ``"2026-W49"``."""
    since: str
    """Start of the window the items come from (ISO UTC); the end is ``until``."""
    until: str
    locale: str
    """The language it is written in (the digest language setting, else the server's)."""
    sections: dict[str, tuple[DigestItem, ...]] = field(default_factory=dict)
    figures: tuple[Figure, ...] = ()
    could_help: tuple[DigestItem, ...] = ()
    """Personal digests only: open questions that fit the member's own skill offers."""
    run_since: str = ""
    """Start of the run's own window (ISO UTC), as built. A personal digest keeps it when its ``since`` becomes the
    member's own start (see :attr:`news_since`); empty in snapshots stored before it existed."""

    @property
    def news_since(self) -> str:
        """Where news starts: the earlier of ``since`` and ``run_since``.

        A member's personal digest always holds the run's window, and more when their own window is longer
        (fortnightly, monthly), so a question opened in the run's window is news to a member who subscribed
        after it was opened.
        """
        if not self.run_since or not self.since:
            return self.since or self.run_since
        try:
            return min(self.since, self.run_since, key=from_iso)
        except ValueError:
            return self.since

    @property
    def empty(self) -> bool:
        """Whether there is nothing new to tell: an empty week posts nothing (and sends no personal digest).

        Only news makes a digest: new resources, questions solved, new skill offers and needs, new proposals, and
        a featured resource or an open question (also one "you could help with") only if it is new since
        ``news_since`` (see :func:`is_news`). An old featured resource, older open questions and the figures only
        accompany a digest that has news. For a personal digest the window is the member's own (since their
        digest before, at least the run's window), so "questions you could help with" alone make one only if one
        of them was opened in it.
        """
        return not has_news(self.items(), self.news_since)

    def items(self) -> list[DigestItem]:
        """Every item, section by section in :data:`SECTIONS` order, then the personal questions."""
        return [item for name in SECTIONS for item in self.sections.get(name, ())] + list(self.could_help)

    def only(self, sections: tuple[str, ...]) -> DigestContent:
        """The same digest with just these sections (the server's section setting)."""
        kept = {name: items for name, items in self.sections.items() if name in sections}
        return replace(self, sections=kept)

    def to_json(self) -> str:
        """The snapshot stored with a run or a delivery."""
        data = asdict(self)
        data["v"] = SNAPSHOT_VERSION
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DigestContent:
        """Read a stored snapshot back."""
        data: dict[str, Any] = json.loads(text)
        data.pop("v", None)
        sections = {name: tuple(_item(raw) for raw in items) for name, items in dict(data.pop("sections", {})).items()}
        figures = tuple(Figure(**raw) for raw in data.pop("figures", ()))
        could_help = tuple(_item(raw) for raw in data.pop("could_help", ()))
        return cls(**data, sections=sections, figures=figures, could_help=could_help)


def is_news(item: DigestItem, since: str) -> bool:
    """Whether ``item`` is something new in a window that starts at ``since`` (ISO UTC).

    Items of the news sections are new by how they were chosen (approved, solved, listed or proposed in the
    window); a featured resource or an open question (section in :data:`ACCOMPANYING`) is new only if it was
    approved or opened at ``since`` or later. Without a readable ``since`` or ``created_at`` only the news sections
    count.
    """
    if item.section not in ACCOMPANYING:
        return True
    try:
        return from_iso(item.created_at) >= from_iso(since)
    except ValueError:
        return False


def has_news(items: Iterable[DigestItem], since: str) -> bool:
    """Whether any of ``items`` is new since ``since`` (:func:`is_news`): what makes a digest worth sending.

    A personal digest planned from a run's items and its "could help" questions is sent only if this holds for
    them with the member's own ``since``.
    """
    return any(is_news(item, since) for item in items)


def _item(raw: Mapping[str, Any]) -> DigestItem:
    values = dict(raw)
    values["skills"] = tuple(values.get("skills") or ())
    return DigestItem(**values)


RunStatus = Literal["planned", "posting", "posted", "empty", "failed"]
DeliveryStatus = Literal["planned", "claimed", "sent", "empty", "unreachable", "failed"]

RUN_JOB: Final = "digest.run"
"""Domain job, one per server (dedupe key ``digest:run:<guild>``) at the next scheduled slot: plans the run of
the latest slot's period that has none yet (a missed period is caught up once), then schedules the next slot."""
POST_JOB: Final = "digest.post"
"""Cog job (payload ``run_id``): posts the run's channel digest, exactly once."""
FANOUT_JOB: Final = "digest.fanout"
"""Cog job (payload ``run_id``): sends the run's planned personal digests by DM, batch by batch, resumable."""
SWEEP_JOB: Final = "digest.sweep"
"""Recurring domain job: every server with a digest channel has its ``digest.run`` job (repairs a lost one)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One server's digest for one period, claimed before anything is sent (unique per server and period)."""

    id: int
    guild_id: int
    period: str
    slot: str
    """The scheduled moment (ISO UTC) the run is for."""
    status: RunStatus
    channel_id: int | None
    content: DigestContent
    message_ids: tuple[int, ...] = ()
    error: str | None = None
    created_at: str = ""
    posted_at: str | None = None
    post_attempted_at: str | None = None
    """When the channel post was first claimed (ISO UTC; kept across retries)."""

    def nonce(self, part: int) -> str:
        """Discord message nonce of part ``part`` of the channel post (at most 25 characters)."""
        return f"dg{self.id}.{part}"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A member's opt-in to a personal digest by DM."""

    guild_id: int
    user_id: int
    themes: tuple[str, ...]
    frequency: str
    locale: str | None = None
    """The member's language when they subscribed (their Discord locale), else the server's."""
    dm_channel_id: int | None = None
    """Their DM channel once known, so later weeks need no extra request to open it."""
    unreachable_at: str | None = None
    """Set when Discord refused a DM (50007): not tried again until they subscribe again."""
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One member's personal digest for one run, planned in the run's transaction and claimed before sending."""

    id: int
    run_id: int
    guild_id: int
    user_id: int
    period: str
    status: DeliveryStatus
    dm_channel_id: int | None = None
    message_id: int | None = None
    error: str | None = None
    claim_token: str | None = None
    """The worker token holding the claim (only that worker can :meth:`~DigestService.release` it)."""
    attempts: int = 0
    """How often it was claimed, this claim included."""
    attempted_at: str | None = None
    """When it was first claimed (ISO UTC; kept across takeovers and retries)."""

    @property
    def nonce(self) -> str:
        """Discord message nonce of this DM (at most 25 characters)."""
        return f"dd{self.id}"


@dataclass(frozen=True, slots=True)
class RunReport:
    """What happened in a run, for the moderators' channel (told once per run, and only if something failed)."""

    guild_id: int
    run_id: int
    period: str
    channel_posted: bool
    channel_error: str | None
    sent: int
    empty: int
    unreachable: int
    failed: int

    @property
    def has_failures(self) -> bool:
        """Whether the moderators need to hear about it."""
        return self.channel_error is not None or self.unreachable > 0 or self.failed > 0
