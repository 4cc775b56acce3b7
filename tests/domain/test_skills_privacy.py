"""Skills data belongs to the member: export shows every row about them; forget leaves their id nowhere."""

from __future__ import annotations

import json

from bot.db.database import Database
from bot.domain.privacy import FORGOTTEN
from bot.domain.skills.models import ProfileChanges
from bot.services import Services
from tests.domain.test_privacy import _find_everywhere

GUILD, OTHER = 10, 20
BOB, MOD = 2, 3
CAROL = 412345678901234567
"""A realistic snowflake, so a scan for it cannot match small numbers by chance."""


async def _carols_skills(services: Services) -> None:
    """Carol fills in her profile, offers, needs, adds a skill as a moderator; others mention her in their notes."""
    await services.skills.profiles.update(
        GUILD, CAROL, ProfileChanges(organisation="Museum Carol", org_type="museum", visible=True, askable=True)
    )
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="expert", note="Ook op zaterdag")
    await services.skills.listings.need(GUILD, CAROL, "Glas-in-lood restaureren", urgency="high")
    await services.skills.catalog.add_skill(GUILD, CAROL, "digitisation", "Microfilm scannen", "Microfilm scanning")
    await services.skills.listings.offer(GUILD, BOB, "iiif", level="basic", note=f"Samen met <@{CAROL}>")
    await services.skills.profiles.update(GUILD, BOB, ProfileChanges(organisation=f"Stichting van {CAROL}"))


async def test_export_holds_the_profile_offers_needs_and_added_skills(services: Services) -> None:
    """Every skills row about Carol is in her export, and nothing of Bob's."""
    await _carols_skills(services)
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert data["skill_profile"][0]["organisation"] == "Museum Carol"
    assert data["skill_profile"][0]["visible"] == 1 and data["skill_profile"][0]["askable"] == 1
    assert [o["skill"] for o in data["skill_offers"]] == ["iiif"]
    assert data["skill_offers"][0]["note"] == "Ook op zaterdag"
    assert [n["skill_text"] for n in data["skill_needs"]] == ["Glas-in-lood restaureren"]
    assert [s["label_en"] for s in data["skills_added"]] == ["Microfilm scanning"]


async def test_after_forget_carols_id_is_nowhere(services: Services, db: Database) -> None:
    """Profile, offers, needs and jobs are gone; her skill stays without her id; mentions of her are masked."""
    await _carols_skills(services)
    assert await _find_everywhere(db, CAROL)
    await services.privacy.forget(GUILD, CAROL)
    await services.job_runner.run_due()
    assert await _find_everywhere(db, CAROL) == []
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert all(data[name] == [] for name in ("skill_profile", "skill_offers", "skill_needs", "skills_added"))
    assert await db.fetch_value("SELECT created_by FROM skills_custom") == FORGOTTEN
    bobs = await services.skills.listings.mine(GUILD, BOB)
    assert bobs[0].note == "Samen met @…"
    assert (await services.skills.profiles.get(GUILD, BOB)).organisation == "Stichting van -1"


async def test_forget_in_one_server_keeps_another_servers_data(services: Services) -> None:
    """Forgetting is per server: Carol's offer elsewhere stays."""
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="basic")
    await services.skills.listings.offer(OTHER, CAROL, "iiif", level="basic")
    await services.privacy.forget(GUILD, CAROL)
    assert await services.skills.listings.mine(GUILD, CAROL) == []
    assert len(await services.skills.listings.mine(OTHER, CAROL)) == 1
