"""What the collaboration board stores and what its use cases return. No discord import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

ProposalStatus = Literal["open", "closed", "expired", "removed"]
PartnerStatus = Literal["pending", "accepted", "declined"]
Outcome = Literal["done", "stopped", "other"]

OUTCOMES: Final[tuple[Outcome, ...]] = ("done", "stopped", "other")
"""How an owner closes a proposal: it was done, it stopped, or something else (with a note)."""

TITLE_MAX: Final = 100
GOAL_MAX: Final = 1000
PARTNERS_MAX: Final = 300
THEMES_INPUT_MAX: Final = 200
NOTE_MAX: Final = 300
REASON_MAX: Final = 500
DEADLINE_INPUT_MAX: Final = 20
MAX_DAYS_AHEAD: Final = 365
"""A deadline lies after today and at most this many days ahead (in the server's time zone)."""
DEFAULT_THEME: Final = "collaboration"
"""The theme of a proposal whose owner named none."""

EXPIRE_JOB: Final = "collab.expire"
"""Closes an open proposal at its deadline (handled by the service)."""
ASK_JOB: Final = "collab.ask"
"""Tells a proposal's owner that a member asks to join: a DM with Accept/Decline if they opted in, else a notice
(handled by the collab cog)."""
TELL_JOB: Final = "collab.tell"
"""Sends a member's waiting notices by DM if they opted in (the collab cog); otherwise they wait for a command."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A proposal's fields as the owner typed them (validated by the service)."""

    title: str
    goal: str
    partners: str
    themes: tuple[str, ...]
    """Theme keys, main theme first (:func:`bot.domain.collab.rules.parse_themes` reads typed text)."""
    deadline: str
    """A date, ``YYYY-MM-DD`` or ``DD-MM-YYYY``, in the server's time zone."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposal on a server's board."""

    id: int
    guild_id: int
    owner_id: int
    title: str
    goal: str
    partners: str
    themes: tuple[str, ...]
    deadline_date: str
    """The last day (ISO date, in the server's time zone)."""
    deadline_at: str
    """When it closes itself (ISO UTC): the start of the day after ``deadline_date`` there."""
    status: ProposalStatus
    outcome: Outcome | None
    outcome_note: str | None
    removed_by: int | None
    reason: str | None
    version: int
    created_at: str
    updated_at: str
    closed_at: str | None

    @property
    def theme(self) -> str:
        """The main theme (the first one named)."""
        return self.themes[0] if self.themes else DEFAULT_THEME

    @property
    def open(self) -> bool:
        """Whether members may still join."""
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class Partner:
    """A member's request to join a proposal, and the owner's answer."""

    id: int
    guild_id: int
    proposal_id: int
    member_id: int
    status: PartnerStatus
    told: str | None
    created_at: str
    answered_at: str | None


@dataclass(frozen=True, slots=True)
class Board:
    """A proposal with its partners: accepted ones, and (for its owner) the requests still waiting."""

    proposal: Proposal
    accepted: tuple[Partner, ...]
    pending: tuple[Partner, ...]


@dataclass(frozen=True, slots=True)
class OwnerAsk:
    """A join request the owner must still be told about, and whether they opted in to direct messages."""

    proposal: Proposal
    partner: Partner
    dm: bool


@dataclass(frozen=True, slots=True)
class Answered:
    """The owner's answer to a join request: ``accepted``, ``declined``, or ``gone`` (answered or closed before)."""

    result: Literal["accepted", "declined", "gone"]
    proposal: Proposal
    partner: Partner | None
