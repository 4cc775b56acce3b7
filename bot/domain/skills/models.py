"""The skills theme's values and dataclasses: member profiles, offers and needs, and the moderators' figures.

The allowed values of every closed field are declared here once; the cogs build their choices from them and
the services validate against them. No discord import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ORG_TYPES: tuple[str, ...] = (
    "museum",
    "archive",
    "library",
    "heritage_foundation",
    "maker",
    "knowledge_institute",
    "other",
)
ORG_SIZES: tuple[str, ...] = ("volunteer-run", "small", "medium", "large")
"""Volunteer-run, small, medium, large (in that order: matching favours mentors from larger ones)."""
REGIONS: tuple[str, ...] = (
    "groningen",
    "friesland",
    "drenthe",
    "overijssel",
    "flevoland",
    "gelderland",
    "utrecht",
    "noord-holland",
    "zuid-holland",
    "zeeland",
    "noord-brabant",
    "limburg",
    "flanders",
    "caribbean-netherlands",
    "other",
)
"""The twelve Dutch provinces, Flanders, the Caribbean Netherlands, and elsewhere."""
LANGUAGES: tuple[str, ...] = ("nl", "en", "fy", "pap", "de", "fr", "es", "it", "pt", "pl", "tr", "ar", "zh", "uk")
"""Language codes a profile may list (ISO 639), most used in the sector first."""
MAX_LANGUAGES = 6
LEVELS: tuple[str, ...] = ("basic", "intermediate", "expert")
FORMATS: tuple[str, ...] = ("1:1", "workshop", "review", "documentation")
"""How help is given (the values bot/domain/matching.py compares)."""
URGENCIES: tuple[str, ...] = ("low", "normal", "high")
ORGANISATION_MAX = 100
NOTE_MAX = 300
SKILL_TEXT_MAX = 100
LABEL_MAX = 80
CAPACITY_MIN, CAPACITY_MAX = 1, 10
REMIND_BEFORE_DAYS = 7
"""The reminder with the "still valid" button comes this many days before an offer or need expires."""
MAX_PAUSE_DAYS = 366

ListingKind = Literal["offer", "need"]
KINDS: tuple[ListingKind, ...] = ("offer", "need")


@dataclass(frozen=True, slots=True)
class Profile:
    """What a member tells about themselves and their organisation; every field optional, opt-ins off."""

    guild_id: int
    user_id: int
    organisation: str | None = None
    org_type: str | None = None
    org_size: str | None = None
    region: str | None = None
    languages: tuple[str, ...] = ()
    visible: bool = False
    """Others may see this member's offers in /skills find (and this profile in /profile show)."""
    askable: bool = False
    """The member may be asked to help with open questions (routing)."""
    updated_at: str = ""

    @property
    def empty(self) -> bool:
        """Whether nothing was filled in or opted into."""
        return not (
            self.organisation
            or self.org_type
            or self.org_size
            or self.region
            or self.languages
            or self.visible
            or self.askable
        )


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """What ``/profile set`` changes; None leaves a field as it is, ``""`` or ``()`` clears it."""

    organisation: str | None = None
    org_type: str | None = None
    org_size: str | None = None
    region: str | None = None
    languages: tuple[str, ...] | None = None
    visible: bool | None = None
    askable: bool | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """A member's offer of a skill, or need for one; active until it expires or is removed.

    ``skill`` is a taxonomy key; when no taxonomy skill was close, it is None and ``skill_text`` holds the
    member's own words. Offers carry ``level``, ``format``, ``mentor`` and ``capacity``; needs carry
    ``urgency`` and optionally ``format`` (None: any).
    """

    id: int
    guild_id: int
    user_id: int
    kind: ListingKind
    skill: str | None
    skill_text: str | None
    level: str | None
    format: str | None
    urgency: str | None
    mentor: bool
    capacity: int
    note: str
    paused_until: str | None
    expires_at: str
    reminded_at: str | None
    created_at: str
    updated_at: str

    def paused_at(self, now_iso: str) -> bool:
        """Whether the listing is paused at the given moment (ISO-8601 UTC, as the clock's :func:`to_iso`)."""
        return self.paused_until is not None and self.paused_until > now_iso


@dataclass(frozen=True, slots=True)
class ListingDraft:
    """A validated new offer or need, before it is stored."""

    kind: ListingKind
    skill: str | None
    skill_text: str | None
    level: str | None = None
    format: str | None = None
    urgency: str | None = None
    mentor: bool = False
    capacity: int = 1
    note: str = ""


@dataclass(frozen=True, slots=True)
class Found:
    """An offer shown in /skills find: the offer, its owner's visible profile, and whether it is the exact skill."""

    offer: Listing
    profile: Profile
    exact: bool


@dataclass(frozen=True, slots=True)
class SkillCount:
    """Active offers and needs of one skill (taxonomy key, or free text) in a server."""

    skill: str | None
    skill_text: str | None
    offers: int
    needs: int


@dataclass(frozen=True, slots=True)
class MatchFigures:
    """Introductions in a server (see bot/domain/introductions): asked for, made, accepted, completed, helped."""

    requested: int = 0
    """Match requests members made."""
    asked: int = 0
    """Offerers asked (a request may ask several, one after another)."""
    accepted: int = 0
    """Introductions both members agreed to."""
    completed: int = 0
    """Accepted introductions that reached their check-in."""
    helped: int = 0
    """Introductions whose check-in said it helped."""


@dataclass(frozen=True, slots=True)
class Stats:
    """The moderators' figures: totals, per group, and skills that are needed but offered by nobody."""

    offers: int
    needs: int
    paused: int
    mentors: int
    by_group: tuple[tuple[str, int, int], ...]
    """(group id, offers, needs), groups in taxonomy order; ``"free"`` for skills outside the taxonomy."""
    unmet: tuple[tuple[str, int], ...]
    """(skill key or free text, needs) for skills with needs but no offer, most needed first."""
    matches: MatchFigures = MatchFigures()
    """The introductions' figures."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """A listing whose owner must be asked "still valid?" now, with what the message needs."""

    listing: Listing
    dm: bool
    """Whether the owner opted in to direct messages (else the reminder waits as a notice)."""
