"""Skills on a real database: profiles and their opt-ins, offers and needs, find, pause, server skills, figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.skills.models import ProfileChanges
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.services import Services

GUILD, OTHER = 10, 20
ALICE, BOB, CAROL, MOD = 1, 2, 3, 9


async def _visible(services: Services, *members: int, guild: int = GUILD) -> None:
    for member in members:
        await services.skills.profiles.update(guild, member, ProfileChanges(visible=True))


async def test_a_new_profile_is_empty_with_both_opt_ins_off(services: Services) -> None:
    """Nobody is visible or askable until they say so."""
    profile = await services.skills.profiles.get(GUILD, ALICE)
    assert profile.empty and not profile.visible and not profile.askable


async def test_profile_fields_change_one_at_a_time_and_can_be_cleared(services: Services) -> None:
    """Fields left out stay as they were; "-" clears a text field."""
    profiles = services.skills.profiles
    await profiles.update(
        GUILD,
        ALICE,
        ProfileChanges(organisation="Museum Lisse", org_type="museum", org_size="small", languages=("nl", "en")),
    )
    changed = await profiles.update(GUILD, ALICE, ProfileChanges(region="zuid-holland", askable=True))
    assert (changed.organisation, changed.org_type, changed.region, changed.languages) == (
        "Museum Lisse",
        "museum",
        "zuid-holland",
        ("nl", "en"),
    )
    assert changed.askable and not changed.visible
    cleared = await profiles.update(GUILD, ALICE, ProfileChanges(organisation="-", languages=()))
    assert cleared.organisation is None and cleared.languages == ()
    with pytest.raises(Invalid):
        await profiles.update(GUILD, ALICE, ProfileChanges(region="atlantis"))


async def test_another_members_profile_shows_only_when_visible(services: Services) -> None:
    """Bob sees Alice's profile only after she made it visible; she always sees her own."""
    profiles = services.skills.profiles
    await profiles.update(GUILD, ALICE, ProfileChanges(organisation="Archief Eemland"))
    with pytest.raises(Forbidden):
        await profiles.show(GUILD, BOB, ALICE)
    with pytest.raises(Forbidden):
        await profiles.show(GUILD, BOB, CAROL)  # no profile at all: the same answer
    assert (await profiles.show(GUILD, ALICE, ALICE)).organisation == "Archief Eemland"
    await profiles.update(GUILD, ALICE, ProfileChanges(visible=True))
    assert (await profiles.show(GUILD, BOB, ALICE)).organisation == "Archief Eemland"


async def test_an_offer_names_a_taxonomy_skill_or_keeps_the_members_words(services: Services) -> None:
    """Picked keys and close labels (in either language, with a typo) become skills; other text stays free text."""
    listings = services.skills.listings
    picked, created = await listings.offer(GUILD, ALICE, "cc-licensing", level="expert")
    assert created and picked.skill == "cc-licensing" and picked.skill_text is None
    typed, _ = await listings.offer(GUILD, ALICE, "fondsenwerving", level="basic")
    assert typed.skill == "fundraising"
    typo, _ = await listings.need(GUILD, ALICE, "metadta", urgency="high")
    assert typo.skill == "metadata-standards"
    own, _ = await listings.offer(GUILD, ALICE, "Glas-in-lood restaureren", level="intermediate")
    assert own.skill is None and own.skill_text == "Glas-in-lood restaureren"


async def test_offering_the_same_skill_again_updates_it(services: Services, clock: FixedClock) -> None:
    """A second offer of a skill replaces the first one's details and expiry; it keeps its number."""
    listings = services.skills.listings
    first, _ = await listings.offer(GUILD, ALICE, "iiif", level="basic", note="Eerste")
    clock.advance(timedelta(days=10))
    second, created = await listings.offer(GUILD, ALICE, "IIIF", level="expert", capacity=3)
    assert not created and second.id == first.id
    assert (second.level, second.capacity, second.note) == ("expert", 3, "")
    assert second.expires_at > first.expires_at
    assert [x.id for x in await listings.mine(GUILD, ALICE)] == [first.id]


async def test_bad_values_are_refused_and_nothing_is_stored(services: Services) -> None:
    """Unknown level, capacity out of range, an over-long note or an empty skill: a clear error, no row."""
    listings = services.skills.listings
    with pytest.raises(Invalid):
        await listings.offer(GUILD, ALICE, "iiif", level="guru")
    with pytest.raises(Invalid):
        await listings.offer(GUILD, ALICE, "iiif", level="basic", capacity=11)
    with pytest.raises(Invalid):
        await listings.offer(GUILD, ALICE, "iiif", level="basic", note="x" * 301)
    with pytest.raises(Invalid):
        await listings.need(GUILD, ALICE, "   ")
    assert await listings.mine(GUILD, ALICE) == []


async def test_only_the_owner_removes_an_offer(services: Services) -> None:
    """Bob cannot remove Alice's offer; Alice can, and then it is gone with its jobs."""
    listings = services.skills.listings
    offer, _ = await listings.offer(GUILD, ALICE, "iiif", level="basic")
    with pytest.raises(Forbidden):
        await listings.remove(GUILD, BOB, offer.id)
    with pytest.raises(NotFound):
        await listings.remove(OTHER, ALICE, offer.id)
    await listings.remove(GUILD, ALICE, offer.id)
    assert await listings.mine(GUILD, ALICE) == []
    assert await services.jobs.find_active(f"skills.expire:{offer.id}:{offer.expires_at}") is None


async def test_find_lists_visible_offers_of_others_exact_skill_first(services: Services) -> None:
    """Invisible members and the asker's own offers are never listed; the same group follows the skill itself."""
    listings = services.skills.listings
    await _visible(services, ALICE, BOB)
    await listings.offer(GUILD, ALICE, "cc-licensing", level="basic")
    await listings.offer(GUILD, BOB, "rights-statements", level="expert")
    await listings.offer(GUILD, CAROL, "cc-licensing", level="expert")  # Carol is not visible
    _, found = await listings.find(GUILD, BOB, "cc-licensing")
    assert [(f.offer.user_id, f.exact) for f in found] == [(ALICE, True)]
    _, found = await listings.find(GUILD, CAROL, "Creative Commons")
    assert [(f.offer.user_id, f.exact) for f in found] == [(ALICE, True), (BOB, False)]
    assert (await listings.find(OTHER, CAROL, "cc-licensing"))[1] == []


async def test_free_text_offers_are_found_by_their_words(services: Services) -> None:
    """An offer in a member's own words is found by a search for those words."""
    await _visible(services, ALICE)
    await services.skills.listings.offer(GUILD, ALICE, "Glas-in-lood restaureren", level="expert")
    skill, found = await services.skills.listings.find(GUILD, BOB, "glas-in-lood")
    assert skill is None and [f.offer.skill_text for f in found] == ["Glas-in-lood restaureren"]


async def test_vague_words_find_offers_of_the_skills_they_appear_in(services: Services) -> None:
    """A search that names no single skill ("data") lists offers of skills with it in their label, as related."""
    await _visible(services, ALICE, BOB)
    await services.skills.listings.offer(GUILD, ALICE, "data-quality", level="expert")
    await services.skills.listings.offer(GUILD, BOB, "Data rescue for floppy disks", level="basic")
    skill, found = await services.skills.listings.find(GUILD, CAROL, "data")
    assert skill is None
    assert [(f.offer.user_id, f.exact) for f in found] == [(BOB, True), (ALICE, False)]


async def test_a_paused_offer_is_not_found_until_the_date(services: Services, clock: FixedClock) -> None:
    """Paused until a date (server time zone): hidden until that day starts, then found again; resume ends it early."""
    listings = services.skills.listings
    await _visible(services, ALICE)
    offer, _ = await listings.offer(GUILD, ALICE, "iiif", level="basic")
    moment, count = await listings.pause(GUILD, ALICE, "2026-12-01")
    assert count == 1 and moment.isoformat().startswith("2026-12-01T00:00:00+01:00")
    assert (await listings.find(GUILD, BOB, "iiif"))[1] == []
    clock.advance(timedelta(days=8))  # 1 December, 09:00 UTC
    assert [f.offer.id for f in (await listings.find(GUILD, BOB, "iiif"))[1]] == [offer.id]
    await listings.pause(GUILD, ALICE, "15/12", offer.id)
    assert (await listings.find(GUILD, BOB, "iiif"))[1] == []
    assert await listings.resume(GUILD, ALICE) == 1
    assert len((await listings.find(GUILD, BOB, "iiif"))[1]) == 1


@pytest.mark.parametrize("until", ["2026-11-23", "2020-01-01", "morgen", "31-02-2027", "2028-01-01"])
async def test_a_pause_needs_a_readable_date_in_the_coming_year(services: Services, until: str) -> None:
    """Today, the past, words, impossible dates and dates over a year ahead are refused."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="basic")
    with pytest.raises(Invalid):
        await services.skills.listings.pause(GUILD, ALICE, until)


async def test_needs_cannot_be_paused(services: Services) -> None:
    """Pausing is for offers; a need by number is refused, and without offers there is nothing to pause."""
    need, _ = await services.skills.listings.need(GUILD, ALICE, "iiif")
    with pytest.raises(Invalid):
        await services.skills.listings.pause(GUILD, ALICE, "2026-12-24", need.id)
    with pytest.raises(NotFound):
        await services.skills.listings.pause(GUILD, ALICE, "2026-12-24")


async def test_moderators_add_skills_for_their_server_only(services: Services, db: Database) -> None:
    """A server's own skill is audited, suggested and resolved there, and unknown in another server."""
    catalog = services.skills.catalog
    skill = await catalog.add_skill(GUILD, MOD, "digitisation", "Glasnegatieven scannen", "Scanning glass negatives")
    assert skill.key == "custom-scanning-glass-negatives"
    assert await db.fetch_value("SELECT count(*) FROM audit_log WHERE action = 'skill.add' AND actor_id = ?", (MOD,))
    assert [s.key for s in await catalog.suggest(GUILD, "glasneg", "nl")] == [skill.key]
    offer, _ = await services.skills.listings.offer(GUILD, ALICE, "glass negatives", level="basic")
    assert offer.skill == skill.key
    assert await catalog.suggest(OTHER, "glasneg", "nl") == []
    with pytest.raises(Conflict):
        await catalog.add_skill(GUILD, MOD, "digitisation", "Glasnegatieven scannen", "Other")
    with pytest.raises(Conflict):
        await catalog.add_skill(GUILD, MOD, "digitisation", "IIIF", "Image interoperability (IIIF)")
    with pytest.raises(Invalid):
        await catalog.add_skill(GUILD, MOD, "knitting", "Breien", "Knitting")


async def test_stats_count_by_group_and_name_needs_nobody_offers(services: Services) -> None:
    """Totals, paused and mentor offers, per group (free text apart), and unmet needs, most needed first."""
    listings = services.skills.listings
    await listings.offer(GUILD, ALICE, "iiif", level="expert", mentor=True)
    await listings.offer(GUILD, BOB, "cc-licensing", level="basic")
    await listings.pause(GUILD, BOB, "2027-01-10")
    await listings.need(GUILD, CAROL, "iiif")
    await listings.need(GUILD, CAROL, "fundraising")
    await listings.need(GUILD, ALICE, "fundraising")
    await listings.need(GUILD, ALICE, "Glas-in-lood restaureren")
    stats = await listings.stats(GUILD)
    assert (stats.offers, stats.needs, stats.paused, stats.mentors) == (2, 4, 1, 1)
    groups = {g: (o, n) for g, o, n in stats.by_group}
    assert groups["collections-metadata"] == (1, 1) and groups["rights-licensing"] == (1, 0)
    assert groups["free"] == (0, 1)
    assert stats.unmet == (("fundraising", 2), ("glas-in-lood restaureren", 1))
    assert (await listings.stats(OTHER)).offers == 0


async def test_a_member_has_at_most_twenty_listings(services: Services) -> None:
    """The twenty-first offer or need is refused."""
    keys = [s.key for s in services.skills.catalog.taxonomy.skills[:21]]
    for key in keys[:20]:
        await services.skills.listings.need(GUILD, ALICE, key)
    with pytest.raises(Invalid):
        await services.skills.listings.need(GUILD, ALICE, keys[20])
