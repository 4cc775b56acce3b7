"""Introductions on a real database: who is asked, what a decline or an expiry does, the no-show pause, outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.introductions.common import EXPIRE_JOB, OPEN_JOB, job_key
from bot.domain.skills.models import ProfileChanges
from bot.errors import Conflict, Forbidden, NotFound
from bot.services import Services

GUILD = 10
ALICE, BOB, CAROL, DAVE, ERIN = 1, 2, 3, 4, 5


async def _need(services: Services, user: int = BOB, skill: str = "iiif") -> int:
    need, _ = await services.skills.listings.need(GUILD, user, skill)
    return need.id


async def _status(db: Database, intro_id: int) -> str:
    return str(await db.fetch_value("SELECT status FROM introductions WHERE id = ?", (intro_id,)))


async def _notices(services: Services, user: int) -> list[str]:
    return [n.key for n in await services.members.pending_notices(GUILD, user)]


async def _run_expiry(services: Services, clock: FixedClock, intro_id: int) -> None:
    job = await services.jobs.find_active(job_key(EXPIRE_JOB, intro_id))
    assert job is not None
    clock.advance(job.run_at - clock.now())
    await services.job_runner.run_due()


async def test_the_best_offer_is_asked_first_and_the_suggestions_say_why(services: Services) -> None:
    """An expert mentor from a large museum beats a basic offer; each suggestion carries its reasons."""
    await services.skills.profiles.update(GUILD, BOB, ProfileChanges(org_size="volunteer-run", languages=("nl",)))
    await services.skills.profiles.update(GUILD, ALICE, ProfileChanges(org_size="large", languages=("nl",)))
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="basic")
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert", mentor=True)
    requested = await services.match.requests.request(GUILD, BOB, await _need(services))
    assert [s.offer.owner.user_id for s in requested.suggestions] == [ALICE, CAROL]
    assert requested.asked.offerer_id == ALICE and requested.asked.status == "asked"
    assert requested.suggestions[0].reasons[:2] == (("same_skill",), ("mentor_larger_org", "large", "volunteer-run"))
    assert requested.asked.reasons == requested.suggestions[0].reasons


async def test_never_oneself_never_paused_never_blocked_never_at_capacity(services: Services) -> None:
    """Bob's own, Carol's paused and Dave's blocked offers are not asked; Erin at capacity neither: nobody is."""
    await services.skills.listings.offer(GUILD, BOB, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="expert")
    await services.skills.listings.pause(GUILD, CAROL, "2027-06-01")
    await services.skills.listings.offer(GUILD, DAVE, "iiif", level="expert")
    await services.match.people.block(GUILD, DAVE, BOB)  # blocked by the offerer: never suggested either
    await services.skills.listings.offer(GUILD, ERIN, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, ERIN, "fundraising", level="expert")
    taken = await services.match.requests.request(GUILD, ALICE, await _need(services, ALICE, "fundraising"))
    assert taken.asked.offerer_id == ERIN  # her one open introduction at a time is taken now
    with pytest.raises(NotFound) as nobody:
        await services.match.requests.request(GUILD, BOB, await _need(services))
    assert nobody.value.key == "match.request.nobody"


async def test_only_ones_own_need_and_one_request_at_a_time(services: Services) -> None:
    """Another's need is refused, an offer is no need, and a need being matched cannot be requested twice."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    need_id = await _need(services)
    with pytest.raises(Forbidden):
        await services.match.requests.request(GUILD, CAROL, need_id)
    with pytest.raises(NotFound):
        await services.match.requests.request(GUILD, ALICE, 1)
    await services.match.requests.request(GUILD, BOB, need_id)
    with pytest.raises(Conflict):
        await services.match.requests.request(GUILD, BOB, need_id)


async def test_a_decline_asks_the_next_tells_the_requester_and_is_never_suggested_again(
    services: Services, db: Database
) -> None:
    """Alice declines: Carol is asked, Bob hears only that someone else was asked; Alice never again for Bob."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="basic")
    need_id = await _need(services)
    requested = await services.match.requests.request(GUILD, BOB, need_id)
    with pytest.raises(Forbidden):
        await services.match.requests.answer(GUILD, CAROL, requested.asked.id, False)
    answered = await services.match.requests.answer(GUILD, ALICE, requested.asked.id, False)
    assert answered.result == "declined" and await _status(db, 2) == "asked"
    assert await db.fetch_value("SELECT offerer_id FROM introductions WHERE id = 2") == CAROL
    assert await _notices(services, BOB) == ["match.notice.next"]
    notice = (await services.members.pending_notices(GUILD, BOB))[0]
    assert str(ALICE) not in str(notice.params)
    assert await services.jobs.find_active(job_key(EXPIRE_JOB, 1)) is None
    await services.match.requests.answer(GUILD, CAROL, 2, False)
    assert await _notices(services, BOB) == ["match.notice.next", "match.notice.exhausted"]
    with pytest.raises(NotFound):  # a new request: Alice declined Bob before, Carol too
        await services.match.requests.request(GUILD, BOB, need_id)


async def test_an_accept_matches_the_request_and_schedules_the_introduction(services: Services, db: Database) -> None:
    """Alice accepts: the request is matched, the opening job waits, and a second click is refused."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    requested = await services.match.requests.request(GUILD, BOB, await _need(services))
    answered = await services.match.requests.answer(GUILD, ALICE, requested.asked.id, True)
    assert answered.result == "accepted"
    assert await db.fetch_value("SELECT status FROM match_requests") == "matched"
    assert await services.jobs.find_active(job_key(OPEN_JOB, requested.asked.id)) is not None
    with pytest.raises(Conflict) as again:
        await services.match.requests.answer(GUILD, ALICE, requested.asked.id, False)
    assert again.value.key == "match.answer.already_accepted"


async def test_an_expiry_happens_once_and_only_when_due(services: Services, db: Database, clock: FixedClock) -> None:
    """Before three days nothing happens; then the ask expires once and the next candidate is asked once."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="basic")
    requested = await services.match.requests.request(GUILD, BOB, await _need(services))
    job = await services.jobs.find_active(job_key(EXPIRE_JOB, requested.asked.id))
    assert job is not None
    await services.match.requests.expire(job)  # a run before its time changes nothing
    assert await _status(db, 1) == "asked"
    await _run_expiry(services, clock, requested.asked.id)
    await services.match.requests.expire(job)  # a late, repeated run changes nothing either
    assert [await _status(db, i) for i in (1, 2)] == ["expired", "asked"]
    assert await db.fetch_value("SELECT count(*) FROM introductions") == 2
    assert await _notices(services, BOB) == ["match.notice.next"]
    with pytest.raises(Conflict) as late:
        await services.match.requests.answer(GUILD, ALICE, 1, True)
    assert late.value.key == "match.answer.expired"


async def test_three_expiries_in_a_row_pause_the_offers_and_an_answer_resets_the_count(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Two expiries, an answer, then three expiries: only the last three pause Alice's offers, once."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert", capacity=5)
    needs = {user: await _need(services, user) for user in (BOB, CAROL, DAVE, ERIN, 6, 7)}
    for user in (BOB, CAROL):
        requested = await services.match.requests.request(GUILD, user, needs[user])
        await _run_expiry(services, clock, requested.asked.id)
    requested = await services.match.requests.request(GUILD, DAVE, needs[DAVE])
    await services.match.requests.answer(GUILD, ALICE, requested.asked.id, False)
    for user in (ERIN, 6):
        requested = await services.match.requests.request(GUILD, user, needs[user])
        await _run_expiry(services, clock, requested.asked.id)
    assert "match.notice.paused" not in await _notices(services, ALICE)
    requested = await services.match.requests.request(GUILD, 7, needs[7])
    await _run_expiry(services, clock, requested.asked.id)
    assert (await _notices(services, ALICE)).count("match.notice.paused") == 1
    [offer] = await services.skills.listings.mine(GUILD, ALICE)
    assert offer.paused_at(clock.now().isoformat())
    assert await db.fetch_value("SELECT expired_in_row FROM match_members") == 0
    await services.skills.listings.resume(GUILD, ALICE)
    assert (await services.match.requests.request(GUILD, BOB, needs[BOB])).asked.offerer_id == ALICE


async def test_a_removed_need_withdraws_its_ask_quietly(services: Services, db: Database, clock: FixedClock) -> None:
    """Bob removes his need: Alice's late Accept says so, and no streak or notice follows."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    need_id = await _need(services)
    requested = await services.match.requests.request(GUILD, BOB, need_id)
    await services.skills.listings.remove(GUILD, BOB, need_id)
    answered = await services.match.requests.answer(GUILD, ALICE, requested.asked.id, True)
    assert answered.result == "gone" and await _status(db, 1) == "withdrawn"
    assert await db.fetch_value("SELECT status FROM match_requests") == "cancelled"
    assert await _notices(services, ALICE) == [] and await _notices(services, BOB) == []


async def test_check_in_outcomes_feed_matching(services: Services, db: Database) -> None:
    """Carol's introduction helped; of two equal offers, hers now ranks first."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="expert")
    first = await services.match.requests.request(GUILD, BOB, await _need(services))
    helper = first.asked.offerer_id
    await services.match.requests.answer(GUILD, helper, first.asked.id, True)
    async with db.transaction() as tx:  # what the check-in job records
        await tx.execute("UPDATE introductions SET opened_at = asked_at, checkin_at = asked_at")
    await services.match.followup.record_outcome(GUILD, BOB, first.asked.id, "helped")
    with pytest.raises(Forbidden):
        await services.match.followup.record_outcome(GUILD, DAVE, first.asked.id, "helped")
    figures = await services.match.people.figures(GUILD)
    assert (figures.requested, figures.asked, figures.accepted, figures.completed, figures.helped) == (1, 1, 1, 1, 1)
    again = await services.match.requests.request(GUILD, DAVE, await _need(services, DAVE))
    assert again.asked.offerer_id == helper
    assert ("helped_before", 1) in again.suggestions[0].reasons


async def test_the_inbox_shows_asks_requests_and_introductions(services: Services) -> None:
    """Alice sees the ask; Bob sees his request waiting (not whom it went to)."""
    await services.skills.listings.offer(GUILD, ALICE, "iiif", level="expert")
    requested = await services.match.requests.request(GUILD, BOB, await _need(services))
    alices = await services.match.people.inbox(GUILD, ALICE)
    assert [a.introduction.id for a in alices.asks] == [requested.asked.id]
    bobs = await services.match.people.inbox(GUILD, BOB)
    assert [r.id for r, _, _ in bobs.requests] == [requested.request.id] and bobs.asks == ()
    await services.match.requests.answer(GUILD, ALICE, requested.asked.id, True)
    assert [i.id for i, _ in (await services.match.people.inbox(GUILD, BOB)).introduced] == [requested.asked.id]


async def test_a_member_who_went_quiet_is_neither_suggested_nor_asked(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A member last seen more than 90 days ago is passed by, by matching and by routing; a new command revives."""
    from bot.domain.qa_models import HelpPost

    await services.skills.profiles.update(GUILD, CAROL, ProfileChanges(askable=True))
    await services.members.touch(GUILD, CAROL)  # Carol used a command, then went quiet
    clock.advance(timedelta(days=91))
    await services.skills.listings.offer(GUILD, CAROL, "iiif", level="expert")  # listed, e.g. by an import
    with pytest.raises(NotFound):
        await services.match.requests.request(GUILD, BOB, await _need(services))
    await services.qa.post_opened(HelpPost(700, GUILD, 50, BOB, "Hoe zetten we een IIIF-server op?"))
    post = await services.qa.post(GUILD, 700)
    assert post is not None
    await services.routing.flow.start(post, "forum")
    assert await db.fetch_value("SELECT count(*) FROM routing_asks") == 0
    await services.members.touch(GUILD, CAROL)  # she is back
    asked = await services.match.requests.request(GUILD, ERIN, await _need(services, ERIN))
    assert asked.asked.offerer_id == CAROL
