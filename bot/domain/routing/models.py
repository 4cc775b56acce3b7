"""Routing's values and dataclasses: requests, asks, what the Discord side needs to deliver them, coaches.

No discord import: the cog turns these into messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

CHECK_JOB: Final = "routing.check"
"""Looks at a help post once it is due (routing_hours after it opened, or at once after "ask a person"): if it
is still open and nobody but the asker replied, routing starts. Handled by the cog (it reads the thread)."""
DELIVER_JOB: Final = "routing.deliver"
"""Asks one member: a direct message with the buttons if they opted in to DMs, else a notice. Cog."""
EXPIRE_JOB: Final = "routing.expire"
"""A member did not answer in time: the next one is asked (or the asker is told nobody fits). Domain."""
ANNOUNCE_JOB: Final = "routing.announce"
"""Mentions the member who took the question in its thread, once (that adds them to the thread). Cog."""
UNMATCHED_JOB: Final = "routing.unmatched"
"""Tells the asker, in the thread (or by notice), that nobody could take it, and names their coach. Cog."""

MAX_ASKED: Final = 3
"""At most this many members are asked per question, one after another."""
ANSWER_WITHIN: Final = timedelta(hours=24)
"""How long an asked member has to take the question or pass."""
WEEK: Final = timedelta(days=7)
"""The window of the weekly cap (a rolling week)."""
TAKEN_LOAD: Final = timedelta(days=7)
"""A question a member took counts against their capacity for this long, or until it is solved."""
ASK_CONFIDENCE_FLOOR: Final = 0.6
"""An /ask whose best result covers less than this share of the question's words (or that found nothing) offers
"ask a person". Coverage, not the search score: scores depend on the size of each server's knowledge base."""

Origin = Literal["forum", "ask"]
RequestStatus = Literal["open", "taken", "unmatched", "closed"]
AskStatus = Literal["pending", "taken", "declined", "expired", "withdrawn"]
Channel = Literal["dm", "notice"]


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """One question being routed to members who offered a fitting skill."""

    id: int
    guild_id: int
    thread_id: int
    asker_id: int
    origin: Origin
    status: RequestStatus
    skills: tuple[str, ...]
    """The taxonomy skills the question was read as, strongest first (may be empty)."""
    helper_id: int | None
    told_at: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Ask:
    """One member asked to take one question."""

    id: int
    guild_id: int
    request_id: int
    helper_id: int
    offer_id: int
    position: int
    status: AskStatus
    channel: Channel | None
    delivered_at: str | None
    asked_at: str
    expires_at: str
    answered_at: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored offer of an askable member with what matching needs of its owner's profile."""

    offer_id: int
    user_id: int
    skill: str | None
    skill_text: str | None
    level: str
    format: str
    mentor: bool
    capacity: int
    paused_until: str | None
    org_type: str | None
    org_size: str | None
    region: str | None
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What asking one member needs: the ask, its question, the offer that fitted, and how to reach them."""

    ask: Ask
    thread_id: int
    title: str
    skill: str | None
    """The taxonomy key of the offer that fitted (None: the member's own words in ``skill_text``, or gone)."""
    skill_text: str | None
    dm: bool
    """Whether the member opted in to direct messages (else they are asked by notice)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the thread of a question is told once: who took it, or that nobody could (with the coach)."""

    request: RoutingRequest
    title: str
    """The question's title (its post may be gone: then empty)."""
    coach: Coach | None
    """The asker's coach when nobody took it; None when someone did."""
    asked: int
    """How many members were asked (0: nobody fitted at all)."""


@dataclass(frozen=True, slots=True)
class Coach:
    """A provincial digital-heritage coach (or the national default) as one server shows it."""

    province: str
    """A region id, or ``"default"``."""
    name: str
    url: str
    source: Literal["built-in", "server", "default"]
    """built-in: a host from bot/data/coaches.toml; server: set by this server's moderators; default: the
    national page, for a province without a verified host."""
