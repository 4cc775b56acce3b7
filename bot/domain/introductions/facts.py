"""The adapter between stored rows and the pure matcher: builds :mod:`bot.domain.matching`'s inputs.

:class:`Pool` holds what was read for one server in one transaction (active offers, profiles, open
introductions, blocks, declined pairs, outcomes, skill groups); :func:`rank` turns it into the matcher's
:class:`~bot.domain.matching.Need`, :class:`~bot.domain.matching.Offer` and
:class:`~bot.domain.matching.History` values and ranks them. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.matching import History, MemberFacts, Need, Offer, Suggestion, parse_level, parse_org_size, rank_offers
from bot.domain.skills.models import Listing, Profile


@dataclass(frozen=True, slots=True)
class Pool:
    """Everything matching reads about one server, at one moment."""

    offers: Sequence[Listing]
    """Active (unexpired, unpaused) offers."""
    profiles: Mapping[int, Profile]
    """Profiles by member id (members without one are absent: their facts are unknown)."""
    open_counts: Mapping[int, int] = field(default_factory=dict)
    """Per member: requests waiting for their answer plus introductions not yet checked in."""
    blocks: Sequence[tuple[int, int]] = ()
    """(blocker, blocked) pairs."""
    declined: Collection[int] = ()
    """Offerers who declined this requester before."""
    outcomes: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Per offerer: (helped, not helped) check-ins."""
    groups: Mapping[str, str] = field(default_factory=dict)
    """Skill key → group id (taxonomy and the server's own skills)."""
    inactive: Collection[int] = ()
    """Members who used no command for a long time: never suggested."""


def member_facts(
    user_id: int,
    profile: Profile | None,
    *,
    open_introductions: int = 0,
    capacity: int = 1,
    blocked: frozenset[int] = frozenset(),
    active: bool = True,
) -> MemberFacts:
    """A member as the matcher sees them: their profile's facts (unknown without one), load and blocks."""
    if profile is None:
        return MemberFacts(
            user_id, active=active, open_introductions=open_introductions, capacity=capacity, blocked=blocked
        )
    return MemberFacts(
        user_id,
        active=active,
        org_type=profile.org_type,
        org_size=parse_org_size(profile.org_size),
        region=profile.region,
        languages=frozenset(profile.languages),
        open_introductions=open_introductions,
        capacity=capacity,
        blocked=blocked,
    )


def need_of(listing: Listing, requester: MemberFacts, group: str | None) -> Need:
    """A stored need as the matcher's :class:`Need`."""
    return Need(
        need_id=listing.id,
        owner=requester,
        skill_id=listing.skill,
        group_id=group,
        free_text=listing.skill_text,
        urgency=listing.urgency or "normal",
        formats=frozenset({listing.format}) if listing.format else frozenset(),
    )


def offer_of(listing: Listing, owner: MemberFacts, group: str | None, *, visible: bool) -> Offer:
    """A stored offer as the matcher's :class:`Offer`."""
    return Offer(
        offer_id=listing.id,
        owner=owner,
        skill_id=listing.skill,
        group_id=group,
        free_text=listing.skill_text,
        level=parse_level(listing.level or "intermediate"),
        formats=frozenset({listing.format}) if listing.format else frozenset(),
        mentor=listing.mentor,
        visible=visible,
    )


def rank(pool: Pool, need: Listing, *, exclude: Collection[int] = (), limit: int = 3) -> list[Suggestion]:
    """The best offers for a need, best first; members in ``exclude`` (already asked) are left out."""
    blocked: dict[int, set[int]] = defaultdict(set)
    for blocker, target in pool.blocks:
        blocked[blocker].add(target)
    requester = need.user_id
    facts = member_facts(requester, pool.profiles.get(requester), blocked=frozenset(blocked.get(requester, ())))
    offers = [
        offer_of(
            listing,
            member_facts(
                listing.user_id,
                pool.profiles.get(listing.user_id),
                open_introductions=pool.open_counts.get(listing.user_id, 0),
                capacity=listing.capacity,
                blocked=frozenset(blocked.get(listing.user_id, ())),
                active=listing.user_id not in pool.inactive,
            ),
            pool.groups.get(listing.skill or ""),
            visible=bool((p := pool.profiles.get(listing.user_id)) and p.visible),
        )
        for listing in pool.offers
        if listing.kind == "offer" and listing.user_id not in exclude
    ]
    history = History(
        declined_pairs=frozenset((requester, offerer) for offerer in pool.declined),
        outcomes=dict(pool.outcomes),
    )
    return rank_offers(need_of(need, facts, pool.groups.get(need.skill or "")), offers, history, limit=limit)
