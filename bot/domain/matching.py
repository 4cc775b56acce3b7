"""Matching a skill need to skill offers: a pure, explained, deterministic score.

:func:`rank_offers` takes one :class:`Need`, the candidate :class:`Offer` values and the :class:`History` of
earlier introductions, and returns the best few :class:`Suggestion` values, each with its score and
machine-readable reasons from which the caller renders one localised "why this match" line
(:func:`line_reasons` picks the reasons for it). Nothing here does I/O, reads the clock, touches Discord or the
database, or draws random numbers: the same arguments always give the same answer, whatever the order of the
offers.

How an offer scores (the weights are the module constants below):

* **Skill**, which decides relevance: the same skill (:data:`SAME_SKILL`) far above the same group
  (:data:`SAME_GROUP`, plus up to :data:`GROUP_TEXT` when the two descriptions are alike) above free-text similarity
  only (up to :data:`SIMILAR_TEXT`). An offer related in none of these ways is not a candidate. The gap between
  the same skill and the best same-group score is larger than all the bonuses below together
  (:data:`MAX_BONUS`), so an exact match without a penalty beats every same-group offer.
* **Level**: meeting the need's preferred level earns :data:`LEVEL_MET` (a little more per level above it); each
  level short of it costs :data:`LEVEL_SHORT`. Without a preference, higher levels earn a little.
* **Language**: a shared language earns :data:`LANGUAGE_SHARED`; when both members listed languages and share
  none, :data:`NO_SHARED_LANGUAGE` is a heavy penalty (on otherwise equal facts an exact skill match then ranks
  below a same-group match one can talk to). Unknown languages are neutral.
* **Region**: the same region (not ``other``) earns :data:`SAME_REGION`.
* **Format**: a format both want earns :data:`FORMAT_MATCH`; when both named formats and none overlaps,
  :data:`FORMAT_MISMATCH` costs a little.
* **Mentoring between organisations**: a mentor offer from a larger organisation than the requester's earns
  :data:`MENTOR_PER_SIZE_STEP` per size step (volunteer-run < small < medium < large).
* **Organisation type**: the same kind of organisation (not ``other``) earns :data:`SAME_ORG_TYPE`.
* **Past outcomes** of the offerer's introductions: ``OUTCOME * (helped - not_helped) / (helped + not_helped + 2)``,
  so always strictly between ``-OUTCOME`` and ``+OUTCOME`` and cautious about a single outcome.

Hard exclusions (never suggested, whatever the score): the requester themself; an owner who is paused, not
recently active, or at capacity (``open_introductions >= capacity``); an owner whom the requester blocked or who
blocked the requester; an owner whose earlier introduction with this requester (requester → offerer) was
declined. Visibility is *not* an exclusion: :attr:`Offer.visible` only governs what ``/skills find`` lists, and an
invisible offer is still matched for introductions. Each member is suggested at most once, with their best offer.

Equal scores are ordered by a deterministic tie-break: fewer open introductions first (spreading the load), then a
fixed hash of the need and offer ids (so equally good helpers take turns across needs instead of the oldest offer
always winning), then the offer id.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Final, Literal, TypeAlias

from bot.domain.search.analysis import tokenize, word_terms

OrgSize: TypeAlias = Literal["volunteer-run", "small", "medium", "large"]
Level: TypeAlias = Literal["basic", "intermediate", "expert"]
Reason: TypeAlias = tuple[str, *tuple[str | int, ...]]
"""A reason code followed by its parameters, e.g. ``("same_skill",)`` or ``("helped_before", 3)``."""

ORG_SIZES: Final[tuple[OrgSize, ...]] = ("volunteer-run", "small", "medium", "large")
"""Organisation sizes, smallest first."""
LEVELS: Final[tuple[Level, ...]] = ("basic", "intermediate", "expert")
"""Offer levels, lowest first."""

REASON_CODES: Final[tuple[str, ...]] = (
    "same_skill",
    "same_group",
    "similar_skill",
    "mentor_larger_org",
    "helped_before",
    "level",
    "language",
    "region",
    "format",
    "same_org_type",
)
"""Every reason code :func:`rank_offers` can give (one message per code for the renderer); on equal points a
reason earlier in this tuple is named first."""

# --- weights ---------------------------------------------------------------------------------------------------

SAME_SKILL: Final = 100.0
"""The offer is for the skill the need names."""
SAME_GROUP: Final = 30.0
"""The offer is for another skill of the need's group."""
GROUP_TEXT: Final = 10.0
"""Added to :data:`SAME_GROUP`, times the text similarity, when both sides also described the skill in words."""
SIMILAR_TEXT: Final = 25.0
"""Times the text similarity, when skill and group differ but the descriptions are alike."""
MIN_SIMILARITY: Final = 0.2
"""Text similarity (:func:`text_similarity`) below which free text alone makes no candidate."""
LEVEL_MET: Final = 8.0
"""The offer's level is at least the need's preferred level."""
LEVEL_ABOVE: Final = 2.0
"""Per level above the preferred one (an expert for an intermediate need)."""
LEVEL_SHORT: Final = -12.0
"""Per level below the preferred one."""
LEVEL_UNASKED: Final = 2.0
"""Per level above basic when the need names no level."""
LANGUAGE_SHARED: Final = 6.0
"""Both speak a language."""
NO_SHARED_LANGUAGE: Final = -80.0
"""Both listed languages and share none: they could hardly work together."""
SAME_REGION: Final = 6.0
"""Same province or region: meeting in person is possible."""
FORMAT_MATCH: Final = 5.0
"""The offer has a format the need asks for."""
FORMAT_MISMATCH: Final = -4.0
"""Both named formats and none overlaps."""
MENTOR_PER_SIZE_STEP: Final = 6.0
"""A mentor offer, per size step the offerer's organisation is larger than the requester's (at most 18)."""
SAME_ORG_TYPE: Final = 2.0
"""The same kind of organisation (two museums, two archives): the context is familiar."""
OUTCOME: Final = 10.0
"""The bound of the past-outcomes term."""
MAX_BONUS: Final = (
    LEVEL_MET
    + LEVEL_ABOVE * (len(LEVELS) - 1)
    + LANGUAGE_SHARED
    + SAME_REGION
    + FORMAT_MATCH
    + MENTOR_PER_SIZE_STEP * (len(ORG_SIZES) - 1)
    + SAME_ORG_TYPE
    + OUTCOME
)
"""The most all the terms besides the skill can add together (59)."""

_NOT_A_REGION: Final = frozenset({"other"})
_NOT_AN_ORG_TYPE: Final = frozenset({"other"})
_LANGUAGE_ORDER: Final = ("nl", "en")
_FORMAT_ORDER: Final = ("1:1", "workshop", "review", "documentation")
_SIZE_RANK: Final[Mapping[str, int]] = {size: rank for rank, size in enumerate(ORG_SIZES)}
_LEVEL_RANK: Final[Mapping[str, int]] = {level: rank for rank, level in enumerate(LEVELS)}
_PRIORITY: Final[Mapping[str, int]] = {code: rank for rank, code in enumerate(REASON_CODES)}
_NEVER: Final = object()
"""Equal to nothing: stands in for a missing skill or group in the pre-filter of :func:`rank_offers`."""


def parse_level(value: str) -> Level:
    """A stored level as the :data:`Level` type (``ValueError`` for an unknown one)."""
    for level in LEVELS:
        if level == value:
            return level
    raise ValueError(f"unknown level {value!r}")


def parse_org_size(value: str | None) -> OrgSize | None:
    """A stored organisation size as the :data:`OrgSize` type; ``None`` stays unknown (``ValueError`` if unknown)."""
    if value is None:
        return None
    for size in ORG_SIZES:
        if size == value:
            return size
    raise ValueError(f"unknown organisation size {value!r}")


# --- the facts -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What matching needs to know about one member (of the server the need belongs to).

    ``org_size`` and ``region`` are ids (``"utrecht"``, ``"noord-holland"``, ``"other"``); ``None`` means unknown,
    as do empty ``languages``. ``active`` means recently active; ``blocked`` holds the ids this member blocked.
    """

    user_id: int
    org_type: str | None = None
    org_size: OrgSize | None = None
    region: str | None = None
    languages: frozenset[str] = frozenset()
    active: bool = True
    paused: bool = False
    open_introductions: int = 0
    capacity: int = 1
    blocked: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.org_size is not None and self.org_size not in _SIZE_RANK:
            raise ValueError(f"unknown organisation size {self.org_size!r}")
        if self.capacity < 0 or self.open_introductions < 0:
            raise ValueError("capacity and open introductions cannot be negative")


@dataclass(frozen=True, slots=True)
class Offer:
    """A member's offer of a skill.

    ``skill_id`` is a taxonomy skill, or ``None`` for a custom skill described by ``free_text``. ``group_id`` is the
    skill's group: the caller fills it for a taxonomy skill (its group in ``bot/data/skills.toml``), and for a
    custom skill when its author named one. ``visible`` governs only ``/skills find``; matching ignores it.
    """

    offer_id: int
    owner: MemberFacts
    skill_id: str | None
    group_id: str | None = None
    free_text: str | None = None
    level: Level = "intermediate"
    formats: frozenset[str] = frozenset()
    mentor: bool = False
    visible: bool = False

    def __post_init__(self) -> None:
        if self.level not in _LEVEL_RANK:
            raise ValueError(f"unknown level {self.level!r}")


@dataclass(frozen=True, slots=True)
class Need:
    """A member's request for a skill; the fields mean what they mean on :class:`Offer`.

    ``urgency`` is carried for the caller (routing, reminders); it does not change the order, since it would shift
    every offer alike. No ``preferred_level`` means any level will do (higher ones still rank a little higher).
    """

    need_id: int
    owner: MemberFacts
    skill_id: str | None
    group_id: str | None = None
    free_text: str | None = None
    urgency: str = "normal"
    formats: frozenset[str] = frozenset()
    preferred_level: Level | None = None

    def __post_init__(self) -> None:
        if self.preferred_level is not None and self.preferred_level not in _LEVEL_RANK:
            raise ValueError(f"unknown level {self.preferred_level!r}")


@dataclass(frozen=True, slots=True)
class History:
    """What earlier introductions teach matching.

    ``declined_pairs`` holds ``(requester_id, offerer_id)`` pairs whose introduction was declined: that requester
    is never again suggested that offerer (the other direction stays possible). ``outcomes`` maps an offerer's id
    to ``(helped, not_helped)``: how many check-ins of their introductions said it helped, and how many said not.
    """

    declined_pairs: frozenset[tuple[int, int]] = frozenset()
    outcomes: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if any(helped < 0 or not_helped < 0 for helped, not_helped in self.outcomes.values()):
            raise ValueError("outcome counts cannot be negative")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One offer suggested for a need, with its score and why.

    ``reasons`` are positive reasons only: the first says how the skills relate (``same_skill``, ``same_group`` or
    ``similar_skill``), the others follow strongest first.
    """

    offer: Offer
    score: float
    reasons: tuple[Reason, ...]


# --- scoring ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _NeedView:
    """The need side, worked out once per ranking."""

    requester: int
    blocked: frozenset[int]
    skill_id: str | None
    group_id: str | None
    terms: frozenset[str]
    languages: frozenset[str]
    region: str | None
    org_type: str | None
    size_rank: int | None
    formats: frozenset[str]
    level_rank: int | None
    declined: frozenset[tuple[int, int]]
    outcomes: Mapping[int, tuple[int, int]]

    @classmethod
    def of(cls, need: Need, history: History) -> _NeedView:
        owner = need.owner
        return cls(
            requester=owner.user_id,
            blocked=owner.blocked,
            skill_id=need.skill_id,
            group_id=need.group_id,
            terms=_terms(need.free_text) if need.free_text else frozenset(),
            languages=owner.languages,
            region=None if owner.region in _NOT_A_REGION else owner.region,
            org_type=None if owner.org_type in _NOT_AN_ORG_TYPE else owner.org_type,
            size_rank=None if owner.org_size is None else _SIZE_RANK[owner.org_size],
            formats=need.formats,
            level_rank=None if need.preferred_level is None else _LEVEL_RANK[need.preferred_level],
            declined=history.declined_pairs,
            outcomes=history.outcomes,
        )


@lru_cache(maxsize=65_536)
def _terms(text: str) -> frozenset[str]:
    """The search terms of a text's content words: Dutch and English stems and prefix keys (see the analysis module).

    Memoised, since the same offers are scored for need after need.
    """
    return frozenset(term for word in tokenize(text).content_words() for term in word_terms(word))


def text_similarity(a: str, b: str) -> float:
    """How alike two skill descriptions are, from 0 to 1: the Dice coefficient of their search terms.

    Case, accents, stop words and inflection matter little: ``objecten fotograferen`` and ``Fotografeer objecten``
    score 0.67, ``museum`` and ``archief`` 0.
    """
    return _dice(_terms(a), _terms(b))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _first(values: frozenset[str], preferred: tuple[str, ...]) -> str:
    """A deterministic pick from a non-empty set: the first of ``preferred`` present, else the smallest."""
    for value in preferred:
        if value in values:
            return value
    return min(values)


def _assess(view: _NeedView, offer: Offer) -> tuple[float, tuple[Reason, ...]] | None:
    """Score one offer for a need, or ``None`` when it is unrelated or excluded. Cheapest checks first."""
    # Skill: decides whether the offer is a candidate at all.
    if offer.skill_id is not None and offer.skill_id == view.skill_id:
        skill: tuple[float, Reason] = (SAME_SKILL, ("same_skill",))
    elif view.group_id is not None and offer.group_id == view.group_id:
        bonus = GROUP_TEXT * _dice(view.terms, _terms(offer.free_text)) if view.terms and offer.free_text else 0.0
        skill = (SAME_GROUP + bonus, ("same_group", view.group_id))
    elif view.terms and offer.free_text:
        similarity = _dice(view.terms, _terms(offer.free_text))
        if similarity < MIN_SIMILARITY:
            return None
        skill = (SIMILAR_TEXT * similarity, ("similar_skill",))
    else:
        return None

    # Hard exclusions.
    owner = offer.owner
    offerer = owner.user_id
    requester = view.requester
    if (
        offerer == requester
        or owner.paused
        or not owner.active
        or owner.open_introductions >= owner.capacity
        or offerer in view.blocked
        or requester in owner.blocked
        or (requester, offerer) in view.declined
    ):
        return None

    score = skill[0]
    found: list[tuple[float, Reason]] = []

    level = _LEVEL_RANK[offer.level]
    if view.level_rank is None:
        points = LEVEL_UNASKED * level
    elif level >= view.level_rank:
        points = LEVEL_MET + LEVEL_ABOVE * (level - view.level_rank)
    else:
        points = LEVEL_SHORT * (view.level_rank - level)
    score += points
    if points > 0:
        found.append((points, ("level", offer.level)))

    if view.languages and owner.languages:
        shared = view.languages & owner.languages
        if shared:
            score += LANGUAGE_SHARED
            found.append((LANGUAGE_SHARED, ("language", _first(shared, _LANGUAGE_ORDER))))
        else:
            score += NO_SHARED_LANGUAGE

    if view.region is not None and owner.region == view.region:
        score += SAME_REGION
        found.append((SAME_REGION, ("region", view.region)))

    if view.formats and offer.formats:
        common = view.formats & offer.formats
        if common:
            score += FORMAT_MATCH
            found.append((FORMAT_MATCH, ("format", _first(common, _FORMAT_ORDER))))
        else:
            score += FORMAT_MISMATCH

    if offer.mentor and view.size_rank is not None and owner.org_size is not None:
        steps = _SIZE_RANK[owner.org_size] - view.size_rank
        if steps > 0:
            points = MENTOR_PER_SIZE_STEP * steps
            score += points
            found.append((points, ("mentor_larger_org", owner.org_size, ORG_SIZES[view.size_rank])))

    if view.org_type is not None and owner.org_type == view.org_type:
        score += SAME_ORG_TYPE
        found.append((SAME_ORG_TYPE, ("same_org_type", view.org_type)))

    outcome = view.outcomes.get(offerer)
    if outcome is not None:
        helped, not_helped = outcome
        points = OUTCOME * (helped - not_helped) / (helped + not_helped + 2)
        score += points
        if points > 0:
            found.append((points, ("helped_before", helped)))

    if len(found) > 1:
        found.sort(key=lambda item: (-item[0], _PRIORITY[item[1][0]]))
    return score, (skill[1], *(reason for _, reason in found))


def _tie_break(need_id: int, offer_id: int) -> int:
    """A fixed 32-bit mix of the two ids: equal offers take turns across needs, the same need always sees one order."""
    return ((need_id * 0x9E3779B1) ^ (offer_id * 0x85EBCA77)) & 0xFFFFFFFF


def score_offer(need: Need, offer: Offer, history: History | None = None) -> Suggestion | None:
    """Score one offer for a need, as :func:`rank_offers` does; ``None`` when it is unrelated or excluded."""
    assessed = _assess(_NeedView.of(need, History() if history is None else history), offer)
    return None if assessed is None else Suggestion(offer, assessed[0], assessed[1])


def rank_offers(
    need: Need, offers: Iterable[Offer], history: History | None = None, *, limit: int = 5
) -> list[Suggestion]:
    """The best offers for a need, best first: at most ``limit``, at most one per member.

    Unrelated offers (no shared skill or group, too little text similarity) and excluded owners (the requester,
    paused, inactive, at capacity, blocked either way, declined this requester before) are never suggested.
    Invisible offers *are* matched: visibility governs only ``/skills find``. Scores are finite; equal scores follow
    the deterministic tie-break of the module docstring, so the order of ``offers`` does not matter.
    """
    if limit < 0:
        raise ValueError("limit cannot be negative")
    if limit == 0:
        return []
    view = _NeedView.of(need, History() if history is None else history)
    want_skill: object = _NEVER if need.skill_id is None else need.skill_id
    want_group: object = _NEVER if need.group_id is None else need.group_id
    by_text = bool(view.terms)
    best: dict[int, tuple[tuple[float, int, int, int], Offer, tuple[Reason, ...]]] = {}
    for offer in offers:
        # Cheap pre-filter on the skill; _assess checks it again, fully.
        if offer.skill_id != want_skill and offer.group_id != want_group and not (by_text and offer.free_text):
            continue
        assessed = _assess(view, offer)
        if assessed is None:
            continue
        score, reasons = assessed
        owner = offer.owner
        key = (score, -owner.open_introductions, _tie_break(need.need_id, offer.offer_id), -offer.offer_id)
        held = best.get(owner.user_id)
        if held is None or key > held[0]:
            best[owner.user_id] = (key, offer, reasons)
    top = heapq.nlargest(limit, best.values(), key=itemgetter(0))
    return [Suggestion(offer, key[0], reasons) for key, offer, reasons in top]


def line_reasons(suggestion: Suggestion, *, limit: int = 3) -> tuple[Reason, ...]:
    """The reasons for the one "why this match" line, in the order to name them (at most ``limit``, at least 1).

    How the skills relate always comes first, then the strongest other reasons: for a mentor from a large museum
    that has the exact skill, ``(("same_skill",), ("mentor_larger_org", "large", "volunteer-run"), ("level",
    "expert"))``.
    """
    if limit < 1:
        raise ValueError("a line needs at least one reason")
    return suggestion.reasons[:limit]
