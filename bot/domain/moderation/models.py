"""What the moderation overview is made of: queues, their items and claims, members' reports, weekly runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from bot.clock import from_iso

QUEUES: Final[tuple[str, ...]] = (
    "suggestions",
    "broken_links",
    "faq_proposals",
    "unanswered",
    "reports",
    "unrouted",
)
"""The moderators' queues, in the order the overview shows them.

``suggestions``: resources members suggested, waiting for a decision; ``broken_links``: approved resources whose
link broke (sent back to the review queue); ``faq_proposals``: solved help posts not (yet) promoted to an FAQ
entry; ``unanswered``: open help posts; ``reports``: messages members reported; ``unrouted``: routing requests
nobody took (no member fits, or everyone asked passed).
"""

DECISIONS: Final[dict[str, tuple[str, ...]]] = {"faq_proposals": ("not_faq",)}
"""The decisions a moderator may record on a queue's item, by queue; a decided item leaves its queue for good.

``not_faq``: a solved help post that should not become an FAQ entry (promoting it is the other way out).
"""

LOCKED: Final = "locked"
"""The outcome recorded (with no moderator: the gateway does not say who) when a help post is locked in Discord:
no answer can come, so it leaves the ``unanswered`` queue; unlocking it deletes the decision. Not a button: it
is not in :data:`DECISIONS`."""

OLDEST_SHOWN: Final = 3
"""How many of each queue's oldest items the overview lists (and offers to open)."""
REASON_MAX: Final = 300
"""The longest reason a member may give with a report."""
MAX_OPEN_REPORTS: Final = 5
"""How many open reports one member may have in a server at a time (so nobody floods the queue)."""
REPORT_STATUSES: Final[tuple[str, ...]] = ("open", "resolved", "dismissed")

WEEKLY_JOB: Final = "moderation.weekly"
"""Domain job per server (dedupe key ``moderation:weekly:<guild>``), due at the server's digest slot: plans the
period's run once, then waits for the next slot."""
POST_JOB: Final = "moderation.post"
"""Cog job (payload ``run_id``): posts a run's overview to the moderators' channel, once."""
SWEEP_JOB: Final = "moderation.sweep"
"""Recurring domain job: every server with a moderators' channel has its weekly job; stale claims and old runs go."""


def weekly_key(guild_id: int) -> str:
    """The dedupe key of a server's ``moderation.weekly`` job."""
    return f"moderation:weekly:{guild_id}"


@dataclass(frozen=True, slots=True)
class Claim:
    """Who took an item of a queue, and when."""

    moderator_id: int
    claimed_at: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One waiting item of a queue.

    ``since`` is when it entered the queue (its age counts from then); ``channel_id``/``message_id`` say where to
    jump (a review card, a help post and its answer, a reported message); ``jump_url`` is a report's stored link;
    ``address`` a resource's own address; ``detail`` a report's reason or why a link broke.
    """

    queue: str
    key: str
    title: str
    since: str
    channel_id: int | None = None
    message_id: int | None = None
    jump_url: str | None = None
    address: str | None = None
    detail: str | None = None
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """A queue in the overview: how many wait, since when the oldest, whether that is too long, the oldest few."""

    queue: str
    count: int
    oldest_at: str | None
    red: bool
    items: tuple[QueueItem, ...] = ()

    def age(self, now: datetime) -> timedelta | None:
        """How long the oldest item has been waiting (None for an empty queue)."""
        return None if self.oldest_at is None else max(timedelta(0), now - from_iso(self.oldest_at))


@dataclass(frozen=True, slots=True)
class Overview:
    """Every queue of a server, at one moment; red past ``red_days`` (the server's ``overview_red_days``)."""

    guild_id: int
    generated_at: str
    red_days: int
    queues: tuple[QueueSummary, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing waits in any queue."""
        return all(q.count == 0 for q in self.queues)

    @property
    def red(self) -> tuple[str, ...]:
        """The queues whose oldest item waits too long."""
        return tuple(q.queue for q in self.queues if q.red)

    def queue(self, name: str) -> QueueSummary:
        """One queue by name."""
        return next(q for q in self.queues if q.queue == name)


@dataclass(frozen=True, slots=True)
class Opened:
    """An item a moderator opened: the item, who holds its claim, and whether this opening made that claim."""

    item: QueueItem
    claim: Claim
    claimed_now: bool

    def held_by(self, moderator_id: int) -> bool:
        """Whether ``moderator_id`` holds the claim."""
        return self.claim.moderator_id == moderator_id


@dataclass(frozen=True, slots=True)
class Report:
    """A member's report of a message to the moderators (where it is, never what it said)."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int
    jump_url: str
    reporter_id: int
    reason: str | None
    status: str
    resolved_by: int | None
    resolved_at: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Run:
    """The weekly post of one period in one server."""

    id: int
    guild_id: int
    period: str
    slot: str
    status: str
    channel_id: int | None
    message_id: int | None
    claimed_at: str
    posted_at: str | None
    attempted_at: str | None = None
    """The first send attempt (kept by every retry): a retry later than Discord's nonce window looks first."""

    @property
    def nonce(self) -> str:
        """The post's nonce (Discord answers a resend with the message it already has)."""
        return f"modweek{self.id}"


@dataclass(frozen=True, slots=True)
class WeeklyContent:
    """What the weekly post shows: the overview, and what each added section's source gave (by section name).

    Sections other than the overview come from :class:`~bot.domain.moderation.service.WeeklySource`s; a source
    that has nothing returns None (or an empty collection) and its section is left out.
    """

    guild_id: int
    period: str
    since: str
    until: str
    overview: Overview
    sections: Mapping[str, object] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing to post: every queue is empty and no other section has anything."""
        return self.overview.empty and not any(_has(value) for value in self.sections.values())


def _has(value: object) -> bool:
    """Whether a section's data holds something (None and empty collections do not)."""
    if value is None:
        return False
    try:
        return len(value) > 0  # type: ignore[arg-type]
    except TypeError:
        return True
