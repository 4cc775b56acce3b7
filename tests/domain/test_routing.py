"""Routing unanswered questions, on real SQLite: whom it asks (and never), one at a time, the cap, the coaches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.jobs import Job, RetryLater
from bot.domain.qa_models import HelpPost
from bot.domain.routing.coaches import CoachTable
from bot.domain.routing.detect import coverage, detect_skills, low_confidence
from bot.domain.routing.models import CHECK_JOB, DELIVER_JOB, EXPIRE_JOB, UNMATCHED_JOB, RoutingRequest
from bot.domain.skills.models import ProfileChanges
from bot.domain.skills.taxonomy import Taxonomy
from bot.errors import Forbidden, Invalid
from bot.services import Services
from tests.domain.test_privacy import _find_everywhere

GUILD = 10
ASKER, ANNA, BEN, CORA, DIRK = 1, 2, 3, 4, 5
IIIF_TITLE = "Hoe zetten we een IIIF-server op voor onze scans?"


async def _helper(services: Services, user: int, skill: str = "iiif", *, askable: bool = True, **offer: object) -> None:
    await services.skills.profiles.update(GUILD, user, ProfileChanges(askable=askable))
    await services.skills.listings.offer(GUILD, user, skill, level=str(offer.pop("level", "expert")), **offer)  # type: ignore[arg-type]


async def _post(services: Services, thread: int = 500, title: str = IIIF_TITLE, asker: int = ASKER) -> HelpPost:
    await services.qa.post_opened(HelpPost(thread, GUILD, 50, asker, title))
    post = await services.qa.post(GUILD, thread)
    assert post is not None
    return post


async def _start(services: Services, thread: int = 500, title: str = IIIF_TITLE) -> RoutingRequest:
    request = await services.routing.flow.start(await _post(services, thread, title), "forum")
    assert request is not None
    return request


async def _asked(db: Database, thread: int = 500) -> list[tuple[int, str]]:
    rows = await db.fetch_all(
        "SELECT a.helper_id, a.status FROM routing_asks a JOIN routing_requests r ON r.id = a.request_id "
        "WHERE r.thread_id = ? ORDER BY a.position",
        (thread,),
    )
    return [(r["helper_id"], r["status"]) for r in rows]


async def _jobs(db: Database, kind: str) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM jobs WHERE kind = ? AND status = 'pending'", (kind,)))


async def _ask_id(db: Database, helper: int) -> int:
    return int(
        await db.fetch_value("SELECT id FROM routing_asks WHERE helper_id = ? AND status = 'pending'", (helper,))
    )


# --- reading the question ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "skill"),
    [
        (IIIF_TITLE, "iiif"),
        ("Welke Creative Commons-licentie past bij onze collectie?", "cc-licensing"),
        ("OCR van oude kranten", "text-recognition"),
        ("How do we back up our digital files?", "storage-backup"),
    ],
)
def test_a_question_is_read_as_the_skills_it_names(question: str, skill: str) -> None:
    """The rarest words of a question decide: IIIF is the IIIF skill, OCR is text recognition."""
    assert skill in detect_skills(question, Taxonomy.load().skills)


def test_a_question_without_skill_words_names_no_skill() -> None:
    """Small talk is read as no skill at all (free-text offers may still fit)."""
    assert detect_skills("Hoe maak ik een goede nieuwsbrief?", Taxonomy.load().skills) == ()


def test_a_weak_answer_is_low_confidence() -> None:
    """Nothing found, or a best result that covers few of the question's words, offers "ask a person"."""
    assert low_confidence("subsidie voor een escape room", [])
    assert low_confidence("subsidie voor een escape room", ["Wat is een e-depot?"])
    assert not low_confidence("welke licentie voor onze collectie", ["Welke licentie past bij onze collectie?"])
    assert coverage("", "iets") == 0.0


# --- whom it asks ------------------------------------------------------------------------------------------------


async def test_a_new_post_schedules_one_look_after_routing_hours(services: Services, db: Database) -> None:
    """The look at a post is one job, due routing_hours later (at once for "ask a person")."""
    await services.guild_settings.update(GUILD, routing_hours=6)
    await _post(services)
    run_at = await db.fetch_value("SELECT run_at FROM jobs WHERE kind = ?", (CHECK_JOB,))
    assert run_at == "2026-11-23T15:00:00+00:00"
    await services.qa.post_opened(HelpPost(501, GUILD, 50, ASKER, "Nog een vraag"), ask_person=True)
    assert await db.fetch_value("SELECT count(*) FROM jobs WHERE kind = ? AND run_at = ?", (CHECK_JOB, run_at)) == 1


async def test_the_best_fitting_opted_in_member_is_asked_first(services: Services, db: Database) -> None:
    """Of two IIIF experts the one who opted in is asked; someone with another skill is not."""
    await _helper(services, ANNA, askable=False)
    await _helper(services, BEN)
    await _helper(services, CORA, "fundraising")
    request = await _start(services)
    assert request.status == "open" and request.skills[0] == "iiif"
    assert await _asked(db) == [(BEN, "pending")]
    assert await _jobs(db, DELIVER_JOB) == 1 and await _jobs(db, EXPIRE_JOB) == 1


async def test_paused_and_busy_members_are_not_asked(services: Services, db: Database, clock: FixedClock) -> None:
    """A paused offer, or a member at capacity (a question waiting for their answer), is skipped."""
    await _helper(services, ANNA)
    await services.skills.listings.pause(GUILD, ANNA, "2026-12-31")
    await _helper(services, BEN)
    await _start(services, 500)
    assert await _asked(db, 500) == [(BEN, "pending")]
    await _start(services, 501)  # Ben (capacity 1) still has 500 to answer, Anna is paused
    assert await _asked(db, 501) == []
    assert await _jobs(db, UNMATCHED_JOB) == 1


async def test_not_now_asks_the_next_and_at_most_three(services: Services, db: Database) -> None:
    """Each "not now" asks the next fitting member; after three, nobody else is asked."""
    for user in (ANNA, BEN, CORA, DIRK):
        await _helper(services, user)
    request = await _start(services)
    for _ in range(3):
        [(helper, _)] = [a for a in await _asked(db) if a[1] == "pending"]
        await services.routing.flow.decline(GUILD, helper, await _ask_id(db, helper))
    asked = await _asked(db)
    assert len(asked) == 3 and all(status == "declined" for _, status in asked)
    assert (await services.routing.flow.start(await _post(services, 500), "forum")) is None  # routed already
    final = await services.routing.deliveries.due_outcome(_job(UNMATCHED_JOB, request.id))
    assert final is not None and final.asked == 3 and final.coach is not None


async def test_no_answer_in_a_day_moves_on(services: Services, db: Database, clock: FixedClock) -> None:
    """The expiry job closes an unanswered ask after 24 hours and asks the next member, once."""
    await _helper(services, ANNA)
    await _helper(services, BEN)
    await _start(services)
    first = (await _asked(db))[0][0]
    clock.advance(timedelta(hours=24))
    await services.job_runner.run_due()
    await services.job_runner.run_due()
    assert await _asked(db) == [(first, "expired"), (ANNA if first == BEN else BEN, "pending")]


async def test_taking_ends_the_request_and_only_the_asked_member_may(services: Services, db: Database) -> None:
    """Another member cannot answer for the asked one; the asked one takes it, once."""
    await _helper(services, BEN)
    await _start(services)
    ask_id = await _ask_id(db, BEN)
    with pytest.raises(Forbidden):
        await services.routing.flow.take(GUILD, ANNA, ask_id)
    request = await services.routing.flow.take(GUILD, BEN, ask_id)
    assert request.status == "taken" and request.helper_id == BEN
    assert (await services.routing.flow.take(GUILD, BEN, ask_id)).status == "taken"  # a second click
    with pytest.raises(Invalid):
        await services.routing.flow.decline(GUILD, BEN, ask_id)
    assert await _jobs(db, EXPIRE_JOB) == 0


async def test_the_weekly_cap_holds(services: Services, db: Database, clock: FixedClock) -> None:
    """With a cap of 2, a member asked twice this week is not asked a third time; a week later again."""
    await services.guild_settings.update(GUILD, weekly_ask_cap=2)
    await _helper(services, BEN, capacity=10)
    for thread in (500, 501):
        await _start(services, thread)
        await services.routing.flow.decline(GUILD, BEN, await _ask_id(db, BEN))
    await _start(services, 502)
    assert await _asked(db, 502) == []
    clock.advance(timedelta(days=7, minutes=1))
    await _start(services, 503)
    assert await _asked(db, 503) == [(BEN, "pending")]


async def test_a_solved_post_stops_routing(services: Services, db: Database) -> None:
    """When the post is solved before the next member is asked, routing closes and asks nobody else."""
    await _helper(services, ANNA)
    await _helper(services, BEN)
    await _start(services)
    first = (await _asked(db))[0][0]
    await services.qa.mark_solution(
        GUILD, 500, marker_id=ASKER, is_moderator=False, answer_message_id=9, answer_author_id=DIRK, answer_text="Zo!"
    )
    await services.routing.flow.decline(GUILD, first, await _ask_id(db, first))
    assert len(await _asked(db)) == 1
    assert await db.fetch_value("SELECT status FROM routing_requests") == "closed"


# --- coaches -----------------------------------------------------------------------------------------------------


async def test_the_coach_follows_the_askers_province(services: Services) -> None:
    """A verified province has its host, another the national default; a moderator's own contact wins."""
    coaches = services.routing.coaches
    assert (await coaches.for_region(GUILD, "limburg")).name == "Huis voor de Kunsten Limburg"
    default = await coaches.for_region(GUILD, "zeeland")
    assert default.source == "default" and default.url == "https://netwerkdigitaalerfgoed.nl/"
    assert (await coaches.for_region(GUILD, None)).source == "default"
    await coaches.set(GUILD, DIRK, "zeeland", "Erfgoed Zeeland", "HTTPS://Erfgoedzeeland.nl/coach")
    own = await coaches.for_region(GUILD, "zeeland")
    assert (own.name, own.url, own.source) == ("Erfgoed Zeeland", "https://erfgoedzeeland.nl/coach", "server")
    assert (await coaches.set(GUILD, DIRK, "zeeland", None, None)).source == "default"


async def test_a_coach_needs_a_public_web_address(services: Services) -> None:
    """A private address, a missing half or an unknown province is refused."""
    coaches = services.routing.coaches
    for province, name, url in (
        ("zeeland", "X", "http://192.168.1.5/"),
        ("zeeland", "X", None),
        ("mars", "X", "https://x.nl"),
    ):
        with pytest.raises(Invalid):
            await coaches.set(GUILD, DIRK, province, name, url)


def test_the_built_in_table_covers_every_province() -> None:
    """Four verified hosts; every other province points to the national page."""
    table = CoachTable.load()
    assert sorted(table.known) == ["groningen", "limburg", "noord-holland", "utrecht"]
    assert table.built_in("drenthe").url == table.default.url


# --- privacy -----------------------------------------------------------------------------------------------------

HELPER = 412345678901234567
ASKING = 412345678901234568


async def test_export_and_forget_of_asker_and_helper(services: Services, db: Database, clock: FixedClock) -> None:
    """Both see their rows in the export; after forget neither id is anywhere, and the question moves on."""
    await _helper(services, HELPER)
    await _helper(services, BEN)
    await services.skills.listings.pause(GUILD, BEN, "2026-11-25")
    request = await services.routing.flow.start(await _post(services, asker=ASKING), "forum")
    assert request is not None and await _asked(db) == [(HELPER, "pending")]
    helper_data = json.loads(await services.privacy.export(GUILD, HELPER))["data"]
    assert helper_data["routing_asked"][0]["status"] == "pending"
    asker_data = json.loads(await services.privacy.export(GUILD, ASKING))["data"]
    assert asker_data["routing_questions"][0]["thread_id"] == 500
    clock.advance(timedelta(days=3))  # Ben's pause is over
    await services.privacy.forget(GUILD, HELPER)
    await services.job_runner.run_due()
    assert await _find_everywhere(db, HELPER) == []
    assert await _asked(db) == [(BEN, "pending")]  # the next member was asked at once
    await services.privacy.forget(GUILD, ASKING)
    await services.job_runner.run_due()
    assert await _find_everywhere(db, ASKING) == []
    assert await db.fetch_value("SELECT count(*) FROM routing_asks") == 0


def _job(kind: str, request_id: int) -> Job:
    """A running job of ``kind`` about one request, as a handler receives it."""
    now = datetime(2026, 11, 23, tzinfo=UTC)
    return Job(1, kind, GUILD, {"request_id": request_id}, None, "running", 1, 5, now, None, None, None, now, now, None)


async def test_a_shorter_routing_hours_applies_to_waiting_posts(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Lowering routing_hours from 12 to 2 makes a post of 3 hours ago due now; a post of 1 hour waits one more."""
    await _post(services, 500)
    clock.advance(timedelta(hours=2))
    await _post(services, 501)
    clock.advance(timedelta(hours=1))
    await services.guild_settings.update(GUILD, routing_hours=2)
    due = await db.fetch_all("SELECT payload, run_at FROM jobs WHERE kind = ? ORDER BY id", (CHECK_JOB,))
    assert [r["run_at"] for r in due] == ["2026-11-23T12:00:00+00:00"] * 2  # both due now
    for row, expected in zip(due, (None, "2026-11-23T13:00:00+00:00"), strict=True):
        job = await services.jobs.find_active(f"{CHECK_JOB}:{json.loads(row['payload'])['thread_id']}")
        assert job is not None
        if expected is None:
            assert await services.routing.flow.due_check(job) is not None
        else:
            with pytest.raises(RetryLater) as later:
                await services.routing.flow.due_check(job)
            assert clock.now() + later.value.delay == datetime.fromisoformat(expected)


async def test_blocked_members_and_open_introductions_count(services: Services, db: Database) -> None:
    """A member the asker blocked (or who blocked the asker) is never asked; open introductions use capacity."""
    await _helper(services, ANNA)
    await _helper(services, BEN)
    await services.match.people.block(GUILD, ANNA, ASKER)  # Anna blocked the asker
    async with db.transaction() as tx:  # Ben is busy with an introduction that is waiting for his answer
        await tx.execute(
            "INSERT INTO match_requests (guild_id, need_id, requester_id, status, created_at, updated_at) "
            "VALUES (:g, 1, 99, 'open', :t, :t)",
            {"g": GUILD, "t": "2026-11-23T09:00:00+00:00"},
        )
        request_id = await tx.fetch_value("SELECT max(id) FROM match_requests")
        await tx.execute(
            "INSERT INTO introductions (guild_id, request_id, requester_id, offerer_id, offer_id, reasons, score, "
            "status, asked_at, answer_due, created_at, updated_at) "
            "VALUES (:g, :r, 99, :ben, 1, '[]', 1.0, 'asked', :t, :t, :t, :t)",
            {"g": GUILD, "r": request_id, "ben": BEN, "t": "2026-11-23T09:00:00+00:00"},
        )
    await _start(services)
    assert await _asked(db) == []
    assert await _jobs(db, UNMATCHED_JOB) == 1
