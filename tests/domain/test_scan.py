"""The self-scan on real SQLite: answers stored as given, resuming, completing with scores per member and per
organisation, the report with progress and help, ownership, and one transaction per answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.scan.instrument import Instrument
from bot.domain.scan.models import Completed, Step
from bot.domain.skills.models import ProfileChanges
from bot.errors import Forbidden, Invalid, NotFound
from bot.services import Services, build_services
from tests.domain.faults import fault_after_every_step

GUILD, OTHER = 10, 20
ALICE, BOB, CAROL, DAVE, ERIN = 1001, 1002, 1003, 1004, 1005
INSTRUMENT = Instrument.load()


async def _complete(services: Services, user: int, by_dimension: dict[str, int], guild: int = GUILD) -> Completed:
    """Answer every question of a new (or the open) scan: each with its dimension's value."""
    step = await services.scan.start(guild, user)
    outcome: Step | Completed = step
    for question in INSTRUMENT.questions:
        outcome = await services.scan.answer(
            guild, user, step.scan.id, question.number, by_dimension[question.dimension]
        )
    assert isinstance(outcome, Completed)
    return outcome


def _all(value: int, **changes: int) -> dict[str, int]:
    return {d.id: value for d in INSTRUMENT.dimensions} | {k.replace("_", "-"): v for k, v in changes.items()}


async def test_answers_are_stored_as_given_and_a_new_service_resumes_at_the_next_question(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Seven answers, then a fresh composition root on the same database (a restart): start resumes at 8."""
    step = await services.scan.start(GUILD, ALICE)
    assert step.question.number == 1 and step.answered == 0 and not step.resumed
    for number in range(1, 8):
        outcome = await services.scan.answer(GUILD, ALICE, step.scan.id, number, 2)
        assert isinstance(outcome, Step) and outcome.question.number == number + 1
    assert await db.fetch_value("SELECT json_extract(answers, '$.\"structural-budget\"') FROM maturity_scans") == 2
    restarted = build_services(db, clock)
    resumed = await restarted.scan.start(GUILD, ALICE)
    assert resumed.scan.id == step.scan.id and resumed.question.number == 8
    assert resumed.answered == 7 and resumed.resumed
    assert resumed.question.id == INSTRUMENT.questions[7].id
    assert await db.fetch_value("SELECT count(*) FROM maturity_scans") == 1  # no second scan was started


async def test_back_shows_the_given_answer_and_answering_it_again_moves_on_to_the_first_open_question(
    services: Services,
) -> None:
    """Back to question 2 shows its answer; changing it continues at the first unanswered question (4)."""
    step = await services.scan.start(GUILD, ALICE)
    for number in (1, 2, 3):
        await services.scan.answer(GUILD, ALICE, step.scan.id, number, 4)
    back = await services.scan.show(GUILD, ALICE, step.scan.id, 2)
    assert back.question.number == 2 and back.answer == 4
    again = await services.scan.answer(GUILD, ALICE, step.scan.id, 2, 1)
    assert isinstance(again, Step) and again.question.number == 4 and again.answered == 3
    assert (await services.scan.where(GUILD, ALICE, step.scan.id)).question.number == 4
    assert (await services.scan.show(GUILD, ALICE, step.scan.id, 0)).question.number == 1  # clamped


async def test_completing_stores_means_levels_and_the_profile_organisation(services: Services, db: Database) -> None:
    """All 18 answered: means per dimension (two decimals), named levels, the organisation at that moment."""
    await services.skills.profiles.update(GUILD, ALICE, ProfileChanges(organisation="MUSEUM Lisse"))
    step = await services.scan.start(GUILD, ALICE)
    values = [1, 2, 2] + [3] * 3 + [5, 4, 4] + [2] * 3 + [4] * 3 + [1, 1, 2]
    outcome: Step | Completed = step
    for question, value in zip(INSTRUMENT.questions, values, strict=True):
        outcome = await services.scan.answer(GUILD, ALICE, step.scan.id, question.number, value)
    assert isinstance(outcome, Completed)
    scores = {s.dimension: (s.mean, s.level) for s in outcome.scores}
    assert scores["strategy-leadership"] == (1.67, 2)
    assert scores["collections-data"] == (4.33, 4)
    assert scores["rights-revenue-collaboration"] == (1.33, 1)
    row = await db.fetch_one("SELECT status, organisation, organisation_key, completed_at FROM maturity_scans")
    assert row is not None and row["status"] == "completed" and row["completed_at"]
    assert row["organisation"] == "MUSEUM Lisse" and row["organisation_key"] == "museum lisse"
    with pytest.raises(Invalid):  # a completed scan takes no more answers
        await services.scan.answer(GUILD, ALICE, step.scan.id, 1, 5)
    fresh = await services.scan.start(GUILD, ALICE)
    assert fresh.scan.id != step.scan.id and fresh.question.number == 1  # the next /scan start is a new scan


async def test_only_the_owner_answers_and_bad_answers_are_refused(services: Services) -> None:
    """Bob cannot answer or see Alice's scan; another server does not know it; values outside 1-5 are refused."""
    step = await services.scan.start(GUILD, ALICE)
    with pytest.raises(Forbidden):
        await services.scan.answer(GUILD, BOB, step.scan.id, 1, 3)
    with pytest.raises(Forbidden):
        await services.scan.show(GUILD, BOB, step.scan.id, 1)
    with pytest.raises(NotFound):
        await services.scan.answer(OTHER, ALICE, step.scan.id, 1, 3)
    for number, value in ((1, 0), (1, 6), (0, 3), (INSTRUMENT.size + 1, 3)):
        with pytest.raises(Invalid):
            await services.scan.answer(GUILD, ALICE, step.scan.id, number, value)
    assert (await services.scan.where(GUILD, ALICE, step.scan.id)).answered == 0


async def test_the_report_shows_progress_the_weakest_dimensions_and_their_resources(
    services: Services, clock: FixedClock
) -> None:
    """Two scans a month apart: changes per dimension, the two weakest (ties in scan order), starter resources."""
    with pytest.raises(NotFound):
        await services.scan.report(GUILD, ALICE)
    await services.library.load_starter(GUILD, 1, "en")
    await _complete(services, ALICE, _all(2, collections_data=1))
    first = await services.scan.report(GUILD, ALICE)
    assert first.previous is None and first.changes == {}
    assert [w.dimension for w in first.weakest] == ["collections-data", "strategy-leadership"]
    assert first.resources["collections-data"] and len(first.resources["collections-data"]) <= 3
    assert all(r.status == "approved" and r.guild_id == GUILD for r in first.resources["collections-data"])
    clock.advance(timedelta(days=30))
    await _complete(services, ALICE, _all(3, collections_data=1, people_skills=5))
    second = await services.scan.report(GUILD, ALICE)
    assert second.previous is not None and second.previous.id == first.current.id
    assert second.changes["strategy-leadership"] == 1.0 and second.changes["collections-data"] == 0.0
    assert second.changes["people-skills"] == 3.0
    assert [w.dimension for w in second.weakest] == ["collections-data", "strategy-leadership"]


async def test_every_dimension_finds_resources_in_the_starter_library(services: Services) -> None:
    """The words of each dimension (bot/data/maturity_scan.toml) find approved starter resources."""
    await services.library.load_starter(GUILD, 1, "nl")
    for dimension in INSTRUMENT.dimensions:
        found = await services.scan.resources_for(GUILD, dimension.id)
        assert 1 <= len(found) <= 3, dimension.id
    assert await services.scan.resources_for(OTHER, "strategy-leadership") == []  # an empty library: nothing


async def test_an_organisation_picture_needs_three_other_members_and_leaves_the_viewer_out(
    services: Services,
) -> None:
    """With two others (same name, other spellings) Alice sees no picture, so nobody can work out one colleague's
    scores from the average and their own; with three others it averages theirs (each one's latest), not hers."""
    for member in (ALICE, CAROL, DAVE, ERIN):
        await services.skills.profiles.update(GUILD, member, ProfileChanges(organisation="Archief Émmen"))
    await services.skills.profiles.update(GUILD, BOB, ProfileChanges(organisation="Ander Museum"))
    await _complete(services, ALICE, _all(1))
    await _complete(services, BOB, _all(5))  # another organisation: never counted
    await services.skills.profiles.update(GUILD, CAROL, ProfileChanges(organisation="archief  emmen"))
    await _complete(services, CAROL, _all(2))
    await _complete(services, CAROL, _all(4))  # only Carol's latest scan counts
    await _complete(services, DAVE, _all(3))
    assert (await services.scan.report(GUILD, ALICE)).organisation is None  # two others: not shown
    assert (await services.scan.report(GUILD, DAVE)).organisation is None
    await _complete(services, ERIN, _all(5))
    picture = (await services.scan.report(GUILD, ALICE)).organisation
    assert picture is not None and picture.members == 3 and picture.organisation == "Archief Émmen"
    assert set(picture.means.values()) == {4.0}  # Carol 4, Dave 3, Erin 5; Alice's own 1 left out
    carols = (await services.scan.report(GUILD, CAROL)).organisation
    assert carols is not None and carols.members == 3 and set(carols.means.values()) == {3.0}  # Alice, Dave, Erin


async def test_asking_for_help_stores_a_need_and_finds_visible_offers(services: Services) -> None:
    """Help for the weakest dimension lists the dimension's skill as a need (with the note) and finds Carol."""
    await services.skills.profiles.update(GUILD, CAROL, ProfileChanges(visible=True))
    await services.skills.listings.offer(GUILD, CAROL, "preservation-planning", level="expert")
    done = await _complete(services, ALICE, _all(3, collections_data=1))
    dimension, mean = await services.scan.help_draft(GUILD, ALICE, done.scan.id, "collections-data")
    assert dimension.help_skill == "preservation-planning" and mean == 1.0
    assert await services.skills.listings.mine(GUILD, ALICE) == []  # the draft stores nothing
    asked = await services.scan.ask_help(GUILD, ALICE, done.scan.id, "collections-data", "Uit de zelfscan")
    assert asked.created and asked.need.kind == "need" and asked.need.skill == "preservation-planning"
    assert asked.need.note == "Uit de zelfscan"
    assert [f.offer.user_id for f in asked.offers] == [CAROL]
    again = await services.scan.ask_help(GUILD, ALICE, done.scan.id, "collections-data", "Nog steeds")
    assert not again.created and again.need.id == asked.need.id  # the same skill's need is updated, not doubled
    with pytest.raises(Forbidden):
        await services.scan.help_draft(GUILD, BOB, done.scan.id, "collections-data")
    with pytest.raises(NotFound):
        await services.scan.help_draft(GUILD, ALICE, done.scan.id, "no-such-dimension")
    open_scan = await services.scan.start(GUILD, ALICE)
    with pytest.raises(Invalid):
        await services.scan.help_draft(GUILD, ALICE, open_scan.scan.id, "collections-data")


async def test_the_completing_answer_commits_whole_or_not_at_all(services: Services, db: Database) -> None:
    """A fault after any statement of the last answer leaves the scan open with 17 answers; then it completes."""
    step = await services.scan.start(GUILD, ALICE)
    for number in range(1, INSTRUMENT.size):
        await services.scan.answer(GUILD, ALICE, step.scan.id, number, 3)

    async def last() -> None:
        await services.scan.answer(GUILD, ALICE, step.scan.id, INSTRUMENT.size, 3)

    steps = await fault_after_every_step(db, "scan.answer", last)
    assert steps >= 2
    row = await db.fetch_one("SELECT status, means FROM maturity_scans")
    assert row is not None and row["status"] == "completed" and row["means"]
