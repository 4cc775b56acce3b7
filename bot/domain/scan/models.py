"""What the self-scan stores and what its use cases return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.domain.resources import Resource
from bot.domain.scan.instrument import Question
from bot.domain.scan.scoring import DimensionScore
from bot.domain.skills.models import Found, Listing

ScanStatus = Literal["open", "completed"]


@dataclass(frozen=True, slots=True)
class Scan:
    """One member's scan in one server: open while answers are given, then completed with its scores."""

    id: int
    guild_id: int
    user_id: int
    instrument: str
    """The version of the instrument it was started with."""
    status: ScanStatus
    answers: dict[str, int]
    """Question id → answer (1-5), stored as given."""
    means: dict[str, float] | None
    """Dimension id → mean answer, once completed."""
    organisation: str | None
    """The organisation of the member's profile when the scan was completed."""
    started_at: str
    updated_at: str
    completed_at: str | None


@dataclass(frozen=True, slots=True)
class Step:
    """A question to show: its place, the answer given so far (if any), and how far the scan is."""

    scan: Scan
    question: Question
    answer: int | None
    answered: int
    total: int
    resumed: bool = False
    """The member continues a scan they stopped earlier."""


@dataclass(frozen=True, slots=True)
class Completed:
    """The scan was just completed: its scores per dimension."""

    scan: Scan
    scores: tuple[DimensionScore, ...]


@dataclass(frozen=True, slots=True)
class OrganisationPicture:
    """The mean per dimension over the latest completed scan of each OTHER member who named the same organisation.

    The viewer is left out, and it exists only when enough others completed a scan (see ``ORGANISATION_MINIMUM``).
    """

    organisation: str
    members: int
    """How many other members (the viewer not counted) the average is over."""
    means: dict[str, float]


@dataclass(frozen=True, slots=True)
class Report:
    """What /scan results shows: the latest completed scan, the one before, and the weakest dimensions' help."""

    current: Scan
    scores: tuple[DimensionScore, ...]
    previous: Scan | None
    changes: dict[str, float]
    weakest: tuple[DimensionScore, ...]
    resources: dict[str, list[Resource]] = field(default_factory=dict)
    """Library resources per weak dimension (at most three each)."""
    organisation: OrganisationPicture | None = None


@dataclass(frozen=True, slots=True)
class HelpAsked:
    """A need stored from the scan's "ask for help", and offers that match it."""

    need: Listing
    created: bool
    offers: list[Found]
