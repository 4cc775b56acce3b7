"""Collaboration data belongs to the member: export shows their proposals, requests and removals; forget leaves
their id nowhere, while other members' proposals stay (with mentions of them masked)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.collab.models import Draft
from bot.domain.collab.service import expire_key
from bot.services import Services
from tests.domain.test_privacy import _find_everywhere

GUILD, OTHER = 10, 20
BOB = 2
CAROL = 412345678901234567
"""A realistic snowflake, so nothing else can match it by chance."""
MOD = 498765432109876543


def draft(title: str, goal: str = "Samen iets maken.") -> Draft:
    """A valid proposal with a deadline in December."""
    return Draft(title, goal, "", ("collaboration",), "2026-12-10")


async def _scene(services: Services) -> dict[str, int]:
    """Carol owns a proposal (Bob asked to join and was accepted), asked to join Bob's, and, as a moderator
    elsewhere in the story, removed a third one; Bob's goal mentions her."""
    collab = services.collab
    mine = await collab.propose(GUILD, CAROL, draft("Carols archiefproject"))
    bobs = await collab.propose(GUILD, BOB, draft("Bobs erfgoedapp", f"Met <@{CAROL}> en anderen."))
    third = await collab.propose(GUILD, BOB, draft("Reclame"))
    joined = await collab.join(GUILD, BOB, mine.id)
    await collab.answer(GUILD, CAROL, joined.id, accept=True)
    await collab.join(GUILD, CAROL, bobs.id)
    await collab.remove(GUILD, CAROL, third.id, "Geen samenwerking")
    return {"mine": mine.id, "bobs": bobs.id, "third": third.id}


async def test_export_holds_proposals_requests_and_removals(services: Services) -> None:
    """Her own proposal (not Bob's), her request to join Bob's, and the proposal she removed."""
    ids = await _scene(services)
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert [p["title"] for p in data["collab_proposals"]] == ["Carols archiefproject"]
    assert data["collab_proposals"][0]["themes"] == ["collaboration"]
    assert [(j["proposal_id"], j["proposal_title"], j["status"]) for j in data["collab_joins"]] == [
        (ids["bobs"], "Bobs erfgoedapp", "pending")
    ]
    assert [(r["id"], r["reason"]) for r in data["collab_removals"]] == [(ids["third"], "Geen samenwerking")]


async def test_after_forget_her_id_is_nowhere_and_bobs_proposals_stay(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Her proposal, its requests and its expiry job go; her request goes; the removal stays without her id."""
    ids = await _scene(services)
    mine = await services.collab.get(GUILD, ids["mine"])
    assert await _find_everywhere(db, CAROL)
    await services.privacy.forget(GUILD, CAROL)
    clock.advance(timedelta(minutes=1))
    await services.job_runner.run_due()
    assert await _find_everywhere(db, CAROL) == []
    assert await services.jobs.find_active(expire_key(mine.id, mine.deadline_at)) is None
    assert await db.fetch_value("SELECT count(*) FROM collab_proposals WHERE id = ?", (ids["mine"],)) == 0
    bobs = await services.collab.board(GUILD, ids["bobs"], BOB)
    assert bobs.proposal.goal == "Met @… en anderen." and bobs.pending == ()
    removed = await services.collab.board(GUILD, ids["third"], BOB)
    assert removed.proposal.removed_by == -1 and removed.proposal.reason == "Geen samenwerking"
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert data["collab_proposals"] == data["collab_joins"] == data["collab_removals"] == []


async def test_forget_in_one_server_keeps_another_servers_proposals(services: Services) -> None:
    """Forgetting is per server."""
    elsewhere = await services.collab.propose(OTHER, CAROL, draft("Elders"))
    await services.collab.propose(GUILD, CAROL, draft("Hier"))
    await services.privacy.forget(GUILD, CAROL)
    assert (await services.collab.get(OTHER, elsewhere.id)).owner_id == CAROL
    assert (await services.collab.open_page(GUILD, None, 0)).total == 0


async def test_after_a_removal_and_forgetting_the_owner_the_audit_log_keeps_neither_her_title_nor_her_id(
    services: Services, db: Database
) -> None:
    """The removal's audit entry stays (who removed what, and why) but holds no member-written text of hers."""
    proposal = await services.collab.propose(GUILD, CAROL, draft("Carols privéplan"))
    await services.collab.remove(GUILD, MOD, proposal.id, "Spam")
    await services.privacy.forget(GUILD, CAROL)
    assert await db.fetch_value("SELECT count(*) FROM collab_proposals") == 0
    row = await db.fetch_one("SELECT * FROM audit_log WHERE action = 'collab.remove'")
    assert row is not None and row["actor_id"] == MOD and row["reason"] == "Spam"
    stored = " ".join(str(value) for value in tuple(row))
    assert "privéplan" not in stored and str(CAROL) not in stored
    assert json.loads(row["before"]) == {"id": proposal.id, "status": "open"}
    assert await _find_everywhere(db, CAROL) == []
