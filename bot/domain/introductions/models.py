"""Introductions' values and dataclasses: match requests, the introductions they lead to, what jobs deliver.

No discord import. Times are stored ISO-8601 UTC strings (as :func:`bot.clock.to_iso` writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.domain.matching import Reason, Suggestion
from bot.domain.skills.models import Listing

ANSWER_WITHIN = timedelta(days=3)
"""How long an offerer has to accept or decline before the next candidate is asked."""
NUDGE_AFTER = timedelta(hours=48)
"""A thread still silent this long after the introduction gets one nudge."""
EXPIRED_IN_ROW_LIMIT = 3
"""An offerer who lets this many requests in a row expire has their offers paused."""
SHOWN = 3
"""Suggestions shown to the requester (the best one is asked first)."""

RequestStatus = Literal["open", "matched", "exhausted", "cancelled"]
IntroStatus = Literal["asked", "accepted", "declined", "expired", "withdrawn"]
Outcome = Literal["helped", "not_helped", "no_meeting"]
OUTCOMES: tuple[Outcome, ...] = ("helped", "not_helped", "no_meeting")
Answer = Literal["accepted", "declined", "gone"]


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """A member's request for a match for one of their needs."""

    id: int
    guild_id: int
    need_id: int
    requester_id: int
    status: RequestStatus
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Introduction:
    """One offerer asked for one request, and what became of it."""

    id: int
    guild_id: int
    request_id: int
    requester_id: int
    offerer_id: int
    offer_id: int
    reasons: tuple[Reason, ...]
    score: float
    status: IntroStatus
    asked_at: str
    answer_due: str
    notified_at: str | None = None
    answered_at: str | None = None
    opened_at: str | None = None
    thread_id: int | None = None
    opening_message_id: int | None = None
    nudge_checked_at: str | None = None
    nudged: bool = False
    checkin_at: str | None = None
    requester_outcome: Outcome | None = None
    offerer_outcome: Outcome | None = None

    def other(self, user_id: int) -> int:
        """The other member of the pair."""
        return self.offerer_id if user_id == self.requester_id else self.requester_id

    def outcome_of(self, user_id: int) -> Outcome | None:
        """What this member answered at the check-in (None: not yet)."""
        return self.requester_outcome if user_id == self.requester_id else self.offerer_outcome


@dataclass(frozen=True, slots=True)
class Requested:
    """The answer to ``/match request``: the need, the best suggestions (with why), and who was asked first."""

    request: MatchRequest
    need: Listing
    suggestions: tuple[Suggestion, ...]
    asked: Introduction


@dataclass(frozen=True, slots=True)
class Answered:
    """What an offerer's Accept or Decline did: ``gone`` when the request had ended meanwhile."""

    introduction: Introduction
    result: Answer


@dataclass(frozen=True, slots=True)
class AskDelivery:
    """An ask that a job must bring to the offerer: by DM with the buttons if they opted in, else as a notice."""

    introduction: Introduction
    need: Listing
    dm: bool


@dataclass(frozen=True, slots=True)
class Opening:
    """An accepted introduction that a job must open: in a private thread of ``channel_id``, else by DM/notice."""

    introduction: Introduction
    need: Listing | None
    channel_id: int | None
    locale: str | None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """An introduction whose "did it help?" is due, and which of the two opted in to DMs."""

    introduction: Introduction
    need: Listing | None
    dm: tuple[bool, bool]
    """(requester, offerer)."""


@dataclass(frozen=True, slots=True)
class InboxAsk:
    """A request waiting for the member's answer, with the need it is about."""

    introduction: Introduction
    need: Listing | None


@dataclass(frozen=True, slots=True)
class Inbox:
    """Everything about introductions the member should see or answer."""

    asks: tuple[InboxAsk, ...] = ()
    """Requests to the member, waiting for Accept or Decline."""
    requests: tuple[tuple[MatchRequest, Listing | None, Introduction | None], ...] = ()
    """The member's own open requests: the need, and the introduction in progress (never who was asked)."""
    introduced: tuple[tuple[Introduction, Listing | None], ...] = ()
    """Accepted introductions not checked in yet: both members know each other."""
    checkins: tuple[tuple[Introduction, Listing | None], ...] = ()
    """Introductions whose check-in waits for this member's answer."""
