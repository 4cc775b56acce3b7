"""Introductions belong to the members in them: export shows every row about the member (never who declined
their request); after forget the id is nowhere, the other member's history stays, and open requests move on."""

from __future__ import annotations

import json

from bot.db.database import Database
from bot.services import Services
from tests.domain.test_privacy import _find_everywhere

GUILD = 10
BOB, DAVE, ERIN = 3, 4, 5
ALICE = 512345678901234567
CAROL = 412345678901234567
"""A realistic snowflake, so a scan for it cannot match small numbers by chance."""


async def _history(services: Services) -> None:
    """Carol asks (Alice declines, Bob accepts), is asked by Dave, blocks Erin, and is blocked by Alice."""
    for offerer in (ALICE, BOB):
        await services.skills.listings.offer(GUILD, offerer, "iiif", level="expert" if offerer == ALICE else "basic")
    need, _ = await services.skills.listings.need(GUILD, CAROL, "iiif", note=f"Voor <@{CAROL}>")
    requested = await services.match.requests.request(GUILD, CAROL, need.id)
    await services.match.requests.answer(GUILD, ALICE, requested.asked.id, False)
    await services.match.requests.answer(GUILD, BOB, requested.asked.id + 1, True)
    await services.match.people.block(GUILD, CAROL, ERIN)
    await services.match.people.block(GUILD, ALICE, CAROL)
    await services.skills.listings.offer(GUILD, CAROL, "fundraising", level="expert")
    dave_needs, _ = await services.skills.listings.need(GUILD, DAVE, "fundraising")
    await services.match.requests.request(GUILD, DAVE, dave_needs.id)


async def test_export_holds_requests_introductions_blocks_and_never_who_declined(services: Services) -> None:
    """Carol's export: her request, both introductions (the declined one without Alice), the ask to her, her block."""
    await _history(services)
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert [r["status"] for r in data["match_requests"]] == ["matched"]
    rows = {(r["role"], r["status"]): r for r in data["introductions"]}
    assert set(rows) == {("requester", "declined"), ("requester", "accepted"), ("offerer", "asked")}
    assert rows[("requester", "declined")]["other_member_id"] is None
    assert rows[("requester", "declined")]["offer_id"] is None
    assert rows[("requester", "accepted")]["other_member_id"] == BOB
    assert rows[("offerer", "asked")]["other_member_id"] is None
    assert [b["blocked_user_id"] for b in data["match_blocks"]] == [ERIN]  # not that Alice blocked her
    assert str(ALICE) not in json.dumps(data["introductions"])


async def test_after_forget_carols_id_is_nowhere_and_dave_is_asked_again(services: Services, db: Database) -> None:
    """Forget: Carol's id is in no column; Bob's accepted introduction stays (anonymised); Dave's ask moves on."""
    await _history(services)
    await services.skills.listings.offer(GUILD, BOB, "fundraising", level="basic", capacity=2)
    figures = await services.match.people.figures(GUILD)
    assert await _find_everywhere(db, CAROL)
    await services.privacy.forget(GUILD, CAROL)
    await services.job_runner.run_due()
    assert await _find_everywhere(db, CAROL) == []
    assert await services.match.people.figures(GUILD) == figures.__class__(
        requested=figures.requested, asked=figures.asked + 1, accepted=figures.accepted
    )
    bobs = await services.match.people.inbox(GUILD, BOB)
    assert [intro.requester_id for intro, _ in bobs.introduced] == [-1]
    asked = await db.fetch_all(
        "SELECT offerer_id, status FROM introductions WHERE requester_id = ? ORDER BY id", (DAVE,)
    )
    assert [tuple(r) for r in asked] == [(-1, "withdrawn"), (BOB, "asked")]
    assert [n.key for n in await services.members.pending_notices(GUILD, DAVE)] == ["match.notice.next"]
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert all(data[k] == [] for k in ("match_requests", "introductions", "match_blocks", "match_standing"))
