"""Property tests: the skills builders, fed hostile profiles, notes and labels, stay within Discord's limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.skills.models import (
    FORMATS,
    LANGUAGES,
    LEVELS,
    ORG_SIZES,
    ORG_TYPES,
    REGIONS,
    URGENCIES,
    Found,
    Listing,
    Profile,
    Stats,
)
from bot.render.skills import found_embed, mine_embed, profile_embed, reminder_text, saved_text, stats_embed
from tests.unit.test_render_limits import FAST, I18N, Allowed, check_embed, check_text, ids, member_text

locales = st.sampled_from(("nl", "en"))
moments = st.sampled_from(("2026-11-23T09:00:00+00:00", "2027-01-22T09:00:00+00:00", "2099-12-31T23:59:59+00:00"))
listings = st.builds(
    Listing,
    id=ids,
    guild_id=ids,
    user_id=ids,
    kind=st.sampled_from(("offer", "need")),
    skill=st.one_of(st.none(), st.sampled_from(("iiif", "cc-licensing", "custom-x"))),
    skill_text=member_text,
    level=st.sampled_from(LEVELS),
    format=st.one_of(st.none(), st.sampled_from(FORMATS)),
    urgency=st.sampled_from(URGENCIES),
    mentor=st.booleans(),
    capacity=st.integers(1, 10),
    note=member_text,
    paused_until=st.one_of(st.none(), moments),
    expires_at=moments,
    reminded_at=st.none(),
    created_at=moments,
    updated_at=moments,
)
profiles = st.builds(
    Profile,
    guild_id=ids,
    user_id=ids,
    organisation=st.one_of(st.none(), member_text),
    org_type=st.one_of(st.none(), st.sampled_from(ORG_TYPES)),
    org_size=st.one_of(st.none(), st.sampled_from(ORG_SIZES)),
    region=st.one_of(st.none(), st.sampled_from(REGIONS)),
    languages=st.lists(st.sampled_from(LANGUAGES), max_size=6, unique=True).map(tuple),
    visible=st.booleans(),
    askable=st.booleans(),
)
labels = st.dictionaries(st.sampled_from(("iiif", "cc-licensing", "custom-x")), member_text)


@FAST
@given(profiles, st.booleans(), locales)
def test_profile_embed(profile: Profile, own: bool, locale: str) -> None:
    """A profile with hostile organisation names fits, and mentions only the member it is about."""
    embed = profile_embed(profile, f"<@{profile.user_id}>", I18N, locale, own=own)
    check_embed(embed, Allowed(mentions={f"<@{profile.user_id}>"}))


@FAST
@given(st.lists(listings, max_size=30), labels, locales)
def test_mine_embed(items: list[Listing], names: dict[str, str], locale: str) -> None:
    """Up to 25 offers and needs with hostile notes, labels and own words still fit."""
    check_embed(mine_embed(items, names, I18N, locale, "2026-11-23T09:00:00+00:00"), Allowed())


@FAST
@given(member_text, st.lists(st.tuples(listings, profiles, st.booleans()), max_size=30), labels, locales)
def test_found_embed(query: str, rows: list[tuple[Listing, Profile, bool]], names: dict[str, str], locale: str) -> None:
    """Offers of visible members fit; the only live mentions are the owners of the offers shown."""
    found = [Found(offer, profile, exact) for offer, profile, exact in rows]
    embed = found_embed(query, found, names, I18N, locale)
    check_embed(embed, Allowed(mentions={f"<@{f.offer.user_id}>" for f in found}))


@FAST
@given(
    st.lists(st.tuples(member_text, st.integers(0, 10**6), st.integers(0, 10**6)), max_size=12),
    st.lists(st.tuples(member_text, st.integers(1, 10**6)), max_size=40),
    labels,
    locales,
)
def test_stats_embed(
    groups: list[tuple[str, int, int]], unmet: list[tuple[str, int]], names: dict[str, str], locale: str
) -> None:
    """Many groups and unmet skills with hostile names fit."""
    stats = Stats(1, 2, 3, 4, tuple(groups), tuple(unmet))
    check_embed(stats_embed(stats, {g: g for g, _, _ in groups}, names, I18N, locale), Allowed())


@FAST
@given(listings, member_text, member_text, st.booleans(), st.booleans(), locales)
def test_saved_and_reminder_texts(
    listing: Listing, label: str, server: str, created: bool, visible: bool, locale: str
) -> None:
    """The replies fit a message and carry no live mention, whatever the label and server name."""
    from bot.render.common import safe

    for text in (
        saved_text(listing, safe(label), I18N, locale, created=created, visible=visible),
        reminder_text(listing, safe(label), server, 60, I18N, locale),
    ):
        assert 0 < len(text) <= 2000
        check_text(text, Allowed())
