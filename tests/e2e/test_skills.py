"""Skills through the wire: profiles in nl and en, offer → find (visible only), needs, mine/remove/pause."""

from __future__ import annotations

import json

from bot.app import SteunpuntBot
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


async def test_profile_set_and_show_in_dutch_and_english(steunpunt: Env) -> None:
    """Alice (nl) fills in her profile; Bob (en) sees it only after she made it visible."""
    fake, _ = steunpunt
    saved = await fake.slash(
        "profile set",
        user=fake.alice,
        organisation="Museum <@1> Lisse",
        type="museum",
        size="volunteer-run",
        region="zuid-holland",
        languages="nederlands, en",
    )
    assert saved.ephemeral and "Je profiel is opgeslagen." in saved.content
    text = saved.message.embed_text
    assert "Vrijwilligersorganisatie" in text and "Zuid-Holland" in text and "Nederlands, Engels" in text
    assert "Zichtbaar voor anderen" in text and saved.message.pings == []
    hidden = await fake.slash("profile show", user=fake.bob, member=fake.alice)
    assert hidden.ephemeral and "not made their profile visible" in hidden.content
    await fake.slash("profile set", user=fake.alice, visible=True)
    shown = await fake.slash("profile show", user=fake.bob, member=fake.alice)
    assert shown.ephemeral and "Volunteer-run" in shown.message.embed_text
    assert "South Holland" in shown.message.embed_text
    assert "May be asked" not in shown.message.embed_text  # opt-ins are for the member's own eyes
    own = await fake.slash("profile show", user=fake.bob)
    assert "Nothing filled in yet" in own.message.embed_text
    wrong = await fake.slash("profile set", user=fake.bob, languages="klingon")
    assert wrong.ephemeral and "klingon" in wrong.content


async def test_skill_autocomplete_speaks_the_members_language(steunpunt: Env) -> None:
    """Typing part of a skill, with a typo too, offers taxonomy skills labelled in nl for Alice and in en for Bob."""
    fake, _ = steunpunt
    dutch = await fake.autocomplete("skills offer", "skill", "fotograf", user=fake.alice)
    assert dutch[0] == {"name": "Object- en collectiefotografie", "value": "object-photography"}
    english = await fake.autocomplete("skills need", "skill", "photgraphy", user=fake.bob)
    assert english[0] == {"name": "Object and collection photography", "value": "object-photography"}
    languages = await fake.autocomplete("profile set", "languages", "nl, eng", user=fake.bob)
    assert languages[0] == {"name": "nl, en (English)", "value": "nl, en"}


async def test_offer_is_found_only_when_its_owner_is_visible_and_never_by_oneself(steunpunt: Env) -> None:
    """Alice offers IIIF; Bob finds nothing until Alice is visible; Alice never finds her own offer."""
    fake, _ = steunpunt
    offered = await fake.slash(
        "skills offer", user=fake.alice, skill="iiif", level="expert", format="workshop", mentor=True, capacity=2
    )
    assert offered.ephemeral and "#1" in offered.content and "zichtbaar" in offered.content
    nobody = await fake.slash("skills find", user=fake.bob, skill="iiif")
    assert "Nobody offers that visibly yet" in nobody.message.embed_text
    await fake.slash("profile set", user=fake.alice, visible=True, organisation="Museum Lisse", size="large")
    found = await fake.slash("skills find", user=fake.bob, skill="IIIF")
    text = found.message.embed_text
    assert found.ephemeral and f"<@{fake.alice.id}>" in text and "Workshop" in text and "mentor" in text
    assert "Museum Lisse" in text and found.message.pings == []
    own = await fake.slash("skills find", user=fake.alice, skill="iiif")
    assert "Nog niemand biedt dat zichtbaar aan" in own.message.embed_text


async def test_need_mine_remove_and_pause(steunpunt: Env) -> None:
    """Bob lists a need in his own words and an offer, sees both with numbers, pauses the offer, removes the need."""
    fake, bot = steunpunt
    need = await fake.slash("skills need", user=fake.bob, skill="Restoring stained glass", urgency="high")
    assert "#1" in need.content and "kept your own words" in need.content
    await fake.slash("skills offer", user=fake.bob, skill="fundraising", level="basic", format="1:1")
    mine = await fake.slash("skills mine", user=fake.bob)
    text = mine.message.embed_text
    assert "Restoring stained glass" in text and "Fundraising, grant writing and crowdfunding" in text
    assert "Urgent" in text and "One-to-one" in text
    offered = await fake.autocomplete("skills pause", "offer", "", user=fake.bob, until="2027-01-01")
    assert [c["value"] for c in offered] == ["2"]  # offers only
    dates = await fake.autocomplete("skills pause", "until", "", user=fake.bob)
    assert dates[0]["value"] == "2026-11-30"
    paused = await fake.slash("skills pause", user=fake.bob, until=dates[0]["value"])
    assert "Paused 1 offer(s)" in paused.content
    assert "paused until" in (await fake.slash("skills mine", user=fake.bob)).message.embed_text
    refused = await fake.slash("skills remove", user=fake.alice, number="1")
    assert "iemand anders" in refused.content
    removed = await fake.slash("skills remove", user=fake.bob, number="#1")
    assert "Removed #1" in removed.content
    assert [x.id for x in await bot.services.skills.listings.mine(fake.guild.id, fake.bob.id)] == [2]
    bad = await fake.slash("skills pause", user=fake.bob, until="someday")
    assert "can't read" in bad.content


async def test_moderators_add_skills_and_see_the_figures(steunpunt: Env) -> None:
    """Members are refused; a moderator's new skill is audited and offered in autocomplete; stats count it all."""
    fake, bot = steunpunt
    await bot.services.guild_settings.update(fake.guild.id, moderator_role_id=fake.world.moderator_role.id)
    refused = await fake.slash("skills add-skill", user=fake.alice, group="digitisation", dutch="Microfilm scannen")
    assert refused.ephemeral and "moderator" in refused.content.lower()
    groups = await fake.autocomplete("skills add-skill", "group", "digi", user=fake.moderator, dutch="x")
    assert groups[0]["value"] == "digitisation"
    added = await fake.slash(
        "skills add-skill", user=fake.moderator, group="digitisation", dutch="Microfilm scannen", english="Microfilm"
    )
    assert "Microfilm scannen" in added.content
    offered = await fake.autocomplete("skills offer", "skill", "microf", user=fake.alice)
    assert offered[0]["name"] == "Microfilm scannen"
    await fake.slash("skills offer", user=fake.alice, skill=offered[0]["value"], level="basic")
    await fake.slash("skills need", user=fake.bob, skill="fundraising")
    assert "moderator" in (await fake.slash("skills stats", user=fake.alice)).content.lower()
    stats = await fake.slash("skills stats", user=fake.moderator)
    text = stats.message.embed_text
    assert "**1** aanbiedingen" in text and "Digitalisering & beeldvorming: 1 / 0" in text
    assert "Fondsenwerving" in text  # needed, offered by nobody
    log = await fake.slash("modlog", user=fake.moderator)
    assert "Vaardigheid toegevoegd" in log.message.embed_text


async def test_privacy_export_and_forget_cover_skills(steunpunt: Env) -> None:
    """The member's export holds their profile, offers and needs; after forget none is left."""
    fake, bot = steunpunt
    await fake.slash("profile set", user=fake.bob, organisation="Archief Bob", askable=True)
    await fake.slash("skills offer", user=fake.bob, skill="iiif", level="expert", note="Evenings only")
    await fake.slash("skills need", user=fake.bob, skill="fundraising")
    exported = await fake.slash("privacy export", user=fake.bob)
    data = json.loads(exported.message.attachments[0].data)["data"]
    assert data["skill_profile"][0]["organisation"] == "Archief Bob" and data["skill_profile"][0]["askable"] == 1
    assert [o["note"] for o in data["skill_offers"]] == ["Evenings only"]
    assert [n["skill"] for n in data["skill_needs"]] == ["fundraising"]
    asked = await fake.slash("privacy forget", user=fake.bob)
    await fake.click(asked.message, "privacy:forget:yes", user=fake.bob)
    assert await bot.services.skills.listings.mine(fake.guild.id, fake.bob.id) == []
    assert (await bot.services.skills.profiles.get(fake.guild.id, fake.bob.id)).empty
