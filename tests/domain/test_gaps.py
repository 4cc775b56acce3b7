"""The knowledge-gap ledger on a real database: once per asker, grouping, weights, self-closing, dismissal, privacy."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.gaps import ESCALATION_BONUS, GROUPING_THRESHOLD, RECHECK_JOB, signature, similarity
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import SHARED_GUILD, NewDocument
from bot.errors import Conflict, Invalid, NotFound
from bot.services import Services

GUILD, OTHER = 111, 222
ALICE, BOB, CAROL, MOD = 1, 2, 3, 4
ESCAPE = "subsidie voor een escape room in het depot"
GLOSSARY = Glossary.load()


async def _gaps(db: Database, guild: int = GUILD) -> list[dict[str, object]]:
    rows = await db.fetch_all(
        "SELECT id, question, status, weight, askers, escalations, closed_source, closed_source_key, document_id "
        "FROM gaps WHERE guild_id = ? ORDER BY id",
        (guild,),
    )
    return [dict(r) for r in rows]


async def _pending_rechecks(db: Database) -> int:
    sql = "SELECT count(*) FROM jobs WHERE kind = ? AND status = 'pending'"
    return int(await db.fetch_value(sql, (RECHECK_JOB,)))


async def _ask(services: Services, user: int, question: str, guild: int = GUILD) -> int:
    """/ask as the cog runs it: the answer, then the gap ledger."""
    search_id, result = await services.qa.ask(guild, question)
    await services.qa.after_ask(guild, user, result)
    return search_id


# --- grouping (pure) ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Welke licentie kies ik voor foto's van onze collectie?", "licenties kiezen voor de collectie foto"),
        ("Welke licentie kies ik voor foto's van onze collectie?", "which licence for photos in our collection"),
        ("How do I choose a licence for photos?", "choosing licences for my photo collection"),
        ("subsidie voor een escape room in het depot", "Escape room in ons depot: welke subsidie?"),
        ("Hoe lang bewaren we bezoekersgegevens?", "bezoekersgegevens bewaren, hoe lang?"),
    ],
)
def test_reworded_reordered_and_inflected_questions_are_near_duplicates(first: str, second: str) -> None:
    """Inflections, word order and a Dutch/English pair of the same question group together."""
    assert similarity(signature(first, GLOSSARY), signature(second, GLOSSARY)) >= GROUPING_THRESHOLD


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Welke licentie voor foto's?", "Welke licentie voor metadata?"),
        ("subsidie voor een escape room", "Hoe lang bewaren we bezoekersgegevens?"),
        ("How do we back up our digital files?", "Which scanner for glass negatives?"),
    ],
)
def test_distinct_questions_are_not_grouped(first: str, second: str) -> None:
    """Questions about different things stay apart, even when they share a word."""
    assert similarity(signature(first, GLOSSARY), signature(second, GLOSSARY)) < GROUPING_THRESHOLD


def test_a_question_without_words_has_no_signature() -> None:
    """Only stop words and punctuation: nothing the search reads, so no gap."""
    assert signature("wat is dat ???", GLOSSARY) == ()


# --- recording -----------------------------------------------------------------------------------------------------


async def test_a_question_without_results_is_a_gap_counted_once_per_asker(services: Services, db: Database) -> None:
    """Asking again (also reworded) does not count the same member twice; another member does count."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, ALICE, "Escape room in ons depot: welke subsidie?")
    [gap] = await _gaps(db)
    assert (gap["question"], gap["askers"], gap["weight"], gap["status"]) == (ESCAPE, 1, 1, "open")
    await _ask(services, BOB, "subsidies escape rooms depot")
    [gap] = await _gaps(db)
    assert (gap["askers"], gap["weight"]) == (2, 2)
    await services.qa.ask(GUILD, "iets heel anders over klimaatbeheersing")  # no asker: not counted
    assert len(await _gaps(db)) == 1


async def test_distinct_questions_open_distinct_gaps_per_server(services: Services, db: Database) -> None:
    """Different questions are different gaps; the same question in another server is that server's gap."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, ALICE, "Hoe lang bewaren we bezoekersgegevens?")
    await _ask(services, ALICE, ESCAPE, guild=OTHER)
    assert [g["question"] for g in await _gaps(db)] == [ESCAPE, "Hoe lang bewaren we bezoekersgegevens?"]
    assert [g["question"] for g in await _gaps(db, OTHER)] == [ESCAPE]


async def test_a_good_answer_is_no_gap_but_a_weak_one_is(services: Services, db: Database) -> None:
    """A confident answer leaves the ledger alone; a result that covers little of the question is a gap."""
    await services.qa.faq_save(GUILD, MOD, title="Depot klimaat", body="Houd het depot op 18 graden en 50% RV.")
    await _ask(services, ALICE, "depot klimaat graden")
    assert await _gaps(db) == []
    await _ask(services, ALICE, "depot verzekering brandmelders sprinklers subsidie")
    [gap] = await _gaps(db)
    signal = await db.fetch_value("SELECT signal FROM gap_askers WHERE gap_id = ?", (gap["id"],))
    assert signal == "low_confidence"


async def test_not_useful_is_a_gap_in_the_feedback_transaction(services: Services, db: Database) -> None:
    """Marking a confident answer not useful makes the question a gap; "this helped" does not."""
    await services.qa.faq_save(GUILD, MOD, title="Depot klimaat", body="Houd het depot op 18 graden en 50% RV.")
    helped = await _ask(services, BOB, "depot klimaat graden")
    _, result = await services.qa.ask(GUILD, "depot klimaat graden")
    await services.qa.feedback(GUILD, BOB, helped, result.hits[0].document.id, True)
    assert await _gaps(db) == []
    not_useful = await _ask(services, ALICE, "depot klimaat graden")
    await services.qa.feedback(GUILD, ALICE, not_useful, None, False)
    [gap] = await _gaps(db)
    assert (gap["question"], gap["askers"]) == ("depot klimaat graden", 1)


async def test_escalations_weigh_more_once_per_asker_and_kind(services: Services, db: Database) -> None:
    """Posting in the forum from /ask and being routed each add the bonus once per asker."""
    await _ask(services, ALICE, ESCAPE)
    post = HelpPost(900, GUILD, 50, ALICE, "Subsidie voor escape room in het depot?")
    assert await services.qa.post_opened(post, from_ask=True)
    [gap] = await _gaps(db)
    assert (gap["askers"], gap["escalations"], gap["weight"]) == (1, 1, 1 + ESCALATION_BONUS)
    assert await services.qa.post_opened(HelpPost(901, GUILD, 50, ALICE, ESCAPE), from_ask=True)  # again: once
    [gap] = await _gaps(db)
    assert gap["escalations"] == 1
    stored = await services.qa.post(GUILD, 900)
    assert stored is not None
    assert await services.routing.flow.start(stored, "ask") is not None
    [gap] = await _gaps(db)
    assert (gap["askers"], gap["escalations"], gap["weight"]) == (1, 2, 1 + 2 * ESCALATION_BONUS)
    await _ask(services, BOB, ESCAPE)
    [gap] = await _gaps(db)
    assert (gap["askers"], gap["weight"]) == (2, 2 + 2 * ESCALATION_BONUS)


async def test_a_post_in_the_forum_itself_is_no_escalation(services: Services, db: Database) -> None:
    """A post members open in the forum directly is not a gap until it is routed (unanswered)."""
    assert await services.qa.post_opened(HelpPost(902, GUILD, 50, CAROL, ESCAPE))
    assert await _gaps(db) == []


async def test_ledger_lists_open_gaps_by_weight(services: Services) -> None:
    """Heaviest first, paged."""
    for user in (ALICE, BOB, CAROL):
        await _ask(services, user, ESCAPE)
    await _ask(services, ALICE, "Hoe lang bewaren we bezoekersgegevens?")
    for n, word in enumerate(("glasnegatieven", "microfilm", "lakplaten", "wasrollen", "daguerreotypieen")):
        await _ask(services, BOB, f"{word} conserveren in kelder {n}")
    ledger = await services.gaps.ledger(GUILD, 0)
    assert ledger.page.total == 7 and ledger.page.pages == 2
    assert ledger.page.items[0].question == ESCAPE and ledger.page.items[0].weight == 3
    second = await services.gaps.ledger(GUILD, 1)
    assert len(second.page.items) == 2
    assert (await services.gaps.ledger(GUILD, 99)).page.page == 1  # past the end: the last page


# --- closing itself ------------------------------------------------------------------------------------------------


async def test_a_matching_faq_entry_closes_the_gap(services: Services, db: Database) -> None:
    """The FAQ write queues one re-check; the job closes the gap, recording the entry that answers it."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, ALICE, "Hoe lang bewaren we bezoekersgegevens?")
    entry = await services.qa.faq_save(
        GUILD,
        MOD,
        title="Subsidie voor een escape room in het depot",
        body="Het Mondriaan Fonds en provinciale fondsen steunen escape rooms in een depot.",
    )
    assert await _pending_rechecks(db) == 1
    await services.job_runner.run_due()
    escape, kept = await _gaps(db)
    assert (escape["status"], escape["closed_source"], escape["closed_source_key"]) == ("closed", "faq", str(entry.id))
    assert escape["document_id"] is not None
    assert kept["status"] == "open"
    ledger = await services.gaps.ledger(GUILD, 0)
    assert [g.question for g in ledger.page.items] == [kept["question"]]
    assert [g.id for g in ledger.closed] == [escape["id"]]


async def test_an_approved_resource_closes_the_gap(services: Services, db: Database) -> None:
    """Approving a resource indexes it; a suggestion waiting in the queue does not."""
    await _ask(services, ALICE, "handleiding open data publiceren")
    draft = make_draft(
        title="Handleiding open data publiceren",
        url="https://example.org/open-data",
        summary="Stap voor stap open data publiceren als erfgoedinstelling.",
        theme="skills",
        type="guide",
        language="nl",
    )
    resource = await services.library.suggest(GUILD, BOB, draft)
    assert await _pending_rechecks(db) == 0
    await services.library.approve(GUILD, resource.id, MOD)
    await services.job_runner.run_due()
    [gap] = await _gaps(db)
    assert (gap["status"], gap["closed_source"], gap["closed_source_key"]) == ("closed", "resource", str(resource.id))


async def test_a_solved_post_closes_the_gap(services: Services, db: Database) -> None:
    """An accepted answer is indexed with its question; the gap it answers closes."""
    await _ask(services, ALICE, ESCAPE)
    assert await services.qa.post_opened(HelpPost(903, GUILD, 50, BOB, "Subsidie escape room depot"))
    await services.qa.mark_solution(
        GUILD,
        903,
        marker_id=BOB,
        is_moderator=False,
        answer_message_id=77,
        answer_author_id=CAROL,
        answer_text="Vraag subsidie aan bij het Mondriaan Fonds voor een escape room in het depot.",
    )
    await services.job_runner.run_due()
    [gap] = await _gaps(db)
    assert (gap["status"], gap["closed_source"], gap["closed_source_key"]) == ("closed", "thread", "903")


async def test_an_unrelated_entry_leaves_the_gap_open(services: Services, db: Database) -> None:
    """The re-check runs, but an entry that does not answer the question closes nothing."""
    await _ask(services, ALICE, ESCAPE)
    await services.qa.faq_save(GUILD, MOD, title="Depot klimaat", body="Houd het depot op 18 graden en 50% RV.")
    await services.job_runner.run_due()
    [gap] = await _gaps(db)
    assert gap["status"] == "open"


async def test_a_not_useful_answer_does_not_close_its_own_gap(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The answer a member called not useful does not close the gap when something else is indexed later."""
    await services.qa.faq_save(GUILD, MOD, title="Depot klimaat", body="Houd het depot op 18 graden en 50% RV.")
    clock.advance(timedelta(minutes=1))
    search_id = await _ask(services, ALICE, "depot klimaat graden")
    await services.qa.feedback(GUILD, ALICE, search_id, None, False)
    clock.advance(timedelta(minutes=1))
    await services.qa.faq_save(GUILD, MOD, title="Escape room", body="Over escape rooms.")
    await services.job_runner.run_due()
    [gap] = await _gaps(db)
    assert gap["status"] == "open"


async def test_recheck_is_idempotent_and_deduplicated(services: Services, db: Database) -> None:
    """Many writes queue one re-check per server; running it again changes nothing; no open gap, no job."""
    await services.qa.faq_save(GUILD, MOD, title="Eerste", body="Zonder open gaten geen controle.")
    assert await _pending_rechecks(db) == 0
    await _ask(services, ALICE, ESCAPE)
    await services.qa.faq_save(GUILD, MOD, title="Onderwerp", body="Tekst over een thema.")  # no term of the gap
    assert await _pending_rechecks(db) == 0
    for n in range(3):
        await services.qa.faq_save(GUILD, MOD, title=f"Depot {n}", body=f"Tekst over het depot {n}.")
    assert await _pending_rechecks(db) == 1
    await services.job_runner.run_due()
    assert (await _gaps(db))[0]["status"] == "open"
    await services.qa.faq_save(GUILD, MOD, title="Escape room subsidie depot", body="Fondsen voor escape rooms.")
    assert await services.gaps.recheck(GUILD) == 1
    before = await _gaps(db)
    assert await services.gaps.recheck(GUILD) == 0
    await services.job_runner.run_due()
    assert await _gaps(db) == before


# --- dismissing ----------------------------------------------------------------------------------------------------


async def test_a_moderator_dismisses_a_gap_with_a_reason(services: Services, db: Database) -> None:
    """The reason is required; the gap leaves the list and the audit log records who and why."""
    await _ask(services, ALICE, ESCAPE)
    [gap] = await _gaps(db)
    gap_id = int(str(gap["id"]))
    with pytest.raises(Invalid):
        await services.gaps.dismiss(GUILD, gap_id, MOD, "  ")
    with pytest.raises(NotFound):
        await services.gaps.dismiss(OTHER, gap_id, MOD, "Geen vraag voor ons")
    dismissed = await services.gaps.dismiss(GUILD, gap_id, MOD, "Buiten ons werkveld")
    assert (dismissed.status, dismissed.dismissed_by, dismissed.reason) == ("dismissed", MOD, "Buiten ons werkveld")
    with pytest.raises(Conflict):
        await services.gaps.dismiss(GUILD, gap_id, MOD, "Nog een keer")
    assert (await services.gaps.ledger(GUILD, 0)).page.items == []
    [entry] = (await services.audit.recent(GUILD, 0)).items
    assert (entry.action, entry.actor_id, entry.target_id, entry.reason) == (
        "gap.dismiss",
        MOD,
        str(gap_id),
        "Buiten ons werkveld",
    )
    await _ask(services, BOB, ESCAPE)  # asked again later: a new open gap
    assert [g["status"] for g in await _gaps(db)] == ["dismissed", "open"]


# --- privacy -------------------------------------------------------------------------------------------------------


async def test_export_and_forget(services: Services, db: Database) -> None:
    """Export lists the member's gap questions; forget drops their rows, recounts, and removes gaps only they asked."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, BOB, ESCAPE)
    await _ask(services, ALICE, "Hoe lang bewaren we bezoekersgegevens?")
    await _ask(services, BOB, "glasnegatieven conserveren in de kelder")
    [shared, _own, bobs] = await _gaps(db)
    await services.gaps.dismiss(GUILD, int(str(bobs["id"])), MOD, "Staat al in de handleiding")
    exported = json.loads(await services.privacy.export(GUILD, ALICE))["data"]
    assert [row["question"] for row in exported["knowledge_gaps_asked"]] == [
        ESCAPE,
        "Hoe lang bewaren we bezoekersgegevens?",
    ]
    moderator = json.loads(await services.privacy.export(GUILD, MOD))["data"]
    assert [row["reason"] for row in moderator["knowledge_gaps_dismissed"]] == ["Staat al in de handleiding"]

    await services.privacy.forget(GUILD, ALICE)
    [left, dismissed] = await _gaps(db)
    assert (left["id"], left["askers"], left["weight"]) == (shared["id"], 1, 1)
    assert dismissed["id"] == bobs["id"]
    assert "knowledge_gaps_asked" not in json.loads(await services.privacy.export(GUILD, ALICE))["data"]
    await services.privacy.forget(GUILD, MOD)
    assert await db.fetch_value("SELECT count(*) FROM gaps WHERE dismissed_by = ?", (MOD,)) == 0
    assert (await services.gaps.get(GUILD, int(str(bobs["id"])))).reason == "Staat al in de handleiding"


# --- review fixes: answer first, re-check only what a write can answer, privacy, retention ---------------------------


async def test_ask_answers_while_another_write_holds_the_lock(services: Services, db: Database) -> None:
    """/ask needs no write lock: the answer comes at once, the gap is counted once the writer is free."""
    held, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction():
            held.set()
            await release.wait()

    holding = asyncio.create_task(writer())
    await held.wait()
    try:
        _, result = await asyncio.wait_for(services.qa.ask(GUILD, ESCAPE), timeout=2)
        assert result.hits == []
        recording = asyncio.create_task(services.qa.after_ask(GUILD, ALICE, result))
        await asyncio.sleep(0.05)
        assert not recording.done() and await _gaps(db) == []  # waits for the writer, after the answer
    finally:
        release.set()
        await holding
    assert await recording is not None
    [gap] = await _gaps(db)
    assert gap["question"] == ESCAPE


async def test_grouping_is_read_before_the_write_transaction(services: Services, db: Database) -> None:
    """The open gaps are compared before the write lock is taken; only gaps opened meanwhile inside it."""
    await _ask(services, ALICE, ESCAPE)
    reads: list[str] = []

    async def seen(sql: str) -> None:
        reads.append(sql)

    held, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction():
            held.set()
            await release.wait()

    holding = asyncio.create_task(writer())
    await held.wait()
    db.read_hook = seen
    try:
        recording = asyncio.create_task(services.gaps.record_own(GUILD, BOB, "subsidies escape rooms depot", "forum"))
        await asyncio.sleep(0.05)
        assert any("signature FROM gaps" in sql for sql in reads)  # read while another write holds the lock
    finally:
        db.read_hook = None
        release.set()
        await holding
    await recording
    # a gap opened between the read and the write is still joined
    prepared = await services.gaps.prepare(GUILD, "glasnegatieven bewaren in de kelder")
    assert prepared is not None and prepared.best is None
    await _ask(services, CAROL, "glasnegatieven bewaren kelder")
    async with db.transaction() as tx:
        joined = await services.gaps.record_prepared(tx, prepared, ALICE, "no_result")
    [escape, negatives] = await _gaps(db)
    assert (escape["askers"], escape["escalations"]) == (2, 1)
    assert (negatives["id"], negatives["askers"]) == (joined, 2)


async def test_a_write_that_shares_no_term_with_a_gap_runs_no_search(services: Services, db: Database) -> None:
    """Only gaps that share a term with the written document are searched again; an unrelated write queues nothing."""
    searches: list[float] = []
    services.search.observe(searches.append)
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, BOB, "Hoe lang bewaren we bezoekersgegevens?")
    await _ask(services, CAROL, "glasnegatieven conserveren in de kelder")
    searches.clear()
    await services.qa.faq_save(GUILD, MOD, title="Parkeren", body="Parkeerplaatsen achter het gebouw.")
    assert await _pending_rechecks(db) == 0
    await services.job_runner.run_due()
    assert searches == []
    await services.qa.faq_save(GUILD, MOD, title="Kelder", body="De kelder is alleen open op maandag.")
    assert await _pending_rechecks(db) == 1
    await services.job_runner.run_due()
    assert len(searches) == 1  # the cellar question only
    assert [g["status"] for g in await _gaps(db)] == ["open", "open", "open"]
    assert await db.fetch_value("SELECT count(*) FROM gap_rechecks") == 0


async def test_a_reindex_does_not_let_a_rejected_answer_close_the_gap(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Not useful → the documents are analysed again → a related entry is added: the gap stays open."""
    first = await services.qa.faq_save(GUILD, MOD, title="Depot klimaat", body="Houd het depot op 18 graden en 50% RV.")
    clock.advance(timedelta(minutes=1))
    search_id = await _ask(services, ALICE, "depot klimaat graden")
    await services.qa.feedback(GUILD, ALICE, search_id, None, False)
    clock.advance(timedelta(minutes=1))
    async with db.transaction() as tx:  # as after a glossary or analyser change
        await tx.execute("UPDATE knowledge_documents SET analyzer = 'older'")
    assert await services.search.reindex_stale() == 1
    await services.job_runner.run_due()
    clock.advance(timedelta(minutes=1))
    await services.qa.faq_save(GUILD, MOD, title="Depot verhuizen", body="Een depot verhuizen kost een jaar.")
    await services.job_runner.run_due()
    edited = await services.qa.faq_get(GUILD, first.id)  # and the rejected entry itself, edited: still not it
    await services.qa.faq_save(
        GUILD,
        MOD,
        title=edited.title,
        body=edited.body + " Meet elke dag.",
        entry_id=edited.id,
        expected_version=edited.version,
    )
    await services.job_runner.run_due()
    [gap] = await _gaps(db)
    assert gap["status"] == "open"


async def test_a_new_asker_during_the_recheck_does_not_keep_the_gap_open(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Bob joins the gap after the entry was written, and again while its re-check searches: it still closes."""
    await _ask(services, ALICE, ESCAPE)
    await services.qa.faq_save(
        GUILD,
        MOD,
        title="Subsidie voor een escape room in het depot",
        body="Het Mondriaan Fonds en provinciale fondsen steunen escape rooms in een depot.",
    )
    clock.advance(timedelta(minutes=5))
    await services.gaps.record_own(GUILD, BOB, "Escape room in ons depot: welke subsidie?", "no_result")
    joined = False

    async def join(sql: str) -> None:
        nonlocal joined
        if "knowledge_terms" in sql and not joined:  # the re-check is searching right now
            joined = True
            clock.advance(timedelta(minutes=5))
            await services.gaps.record_own(GUILD, CAROL, "subsidies escape rooms depot", "no_result")

    db.read_hook = join
    try:
        await services.job_runner.run_due()
    finally:
        db.read_hook = None
    assert joined
    [gap] = await _gaps(db)
    assert (gap["status"], gap["askers"], gap["closed_source"]) == ("closed", 3, "faq")


async def test_an_import_closes_gaps_with_shared_and_own_documents(services: Services, db: Database) -> None:
    """index_many (steunpunt import, db check --fix) tells the re-check too; shared documents count in every server."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, ALICE, ESCAPE, guild=OTHER)
    await _ask(services, BOB, "handleiding open data publiceren", guild=OTHER)
    shared = NewDocument(
        SHARED_GUILD,
        "import",
        "escape-1",
        "faq",
        "Subsidie voor een escape room in het depot",
        "Het Mondriaan Fonds en provinciale fondsen steunen escape rooms in een depot.",
    )
    own = NewDocument(
        OTHER, "import", "open-data", "resource", "Handleiding open data publiceren", "Stap voor stap open data."
    )
    await services.search.index_many([shared, own], batch_size=1)
    assert await _pending_rechecks(db) == 2
    await services.job_runner.run_due()
    assert [(g["status"], g["closed_source_key"]) for g in await _gaps(db)] == [("closed", "escape-1")]
    assert [(g["status"], g["closed_source_key"]) for g in await _gaps(db, OTHER)] == [
        ("closed", "escape-1"),
        ("closed", "open-data"),
    ]
    before = await _pending_rechecks(db)
    await services.search.index_many([shared, own])  # the same again: nothing new, nothing queued
    assert await _pending_rechecks(db) == before == 0


async def test_export_shows_each_asker_only_their_own_words(services: Services) -> None:
    """Bob joined Alice's gap in his own words: his export has his wording, never hers."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, BOB, "Escape room in ons depot: welke subsidie?")
    bobs = json.loads(await services.privacy.export(GUILD, BOB))["data"]["knowledge_gaps_asked"]
    assert [row["question"] for row in bobs] == ["Escape room in ons depot: welke subsidie?"]
    assert ESCAPE not in json.dumps(bobs)


async def test_forgetting_the_first_asker_rewords_the_gap(services: Services, db: Database) -> None:
    """The gap shown in Alice's words takes Bob's once she is forgotten; it still groups and closes by them."""
    await _ask(services, ALICE, ESCAPE)
    await _ask(services, BOB, "Escape room in ons depot: welke subsidie?")
    await services.privacy.forget(GUILD, ALICE)
    [gap] = await _gaps(db)
    assert (gap["question"], gap["askers"]) == ("Escape room in ons depot: welke subsidie?", 1)
    stored = "SELECT count(*) FROM gaps WHERE question = :q"
    assert await db.fetch_value(stored, {"q": ESCAPE}) == 0
    assert await db.fetch_value("SELECT count(*) FROM gap_askers WHERE question = :q", {"q": ESCAPE}) == 0
    await _ask(services, CAROL, "subsidies escape rooms depot")  # still found by the new wording
    assert len(await _gaps(db)) == 1
    await services.qa.faq_save(GUILD, MOD, title="Escape room in het depot", body="Subsidie: het Mondriaan Fonds.")
    await services.job_runner.run_due()
    assert (await _gaps(db))[0]["status"] == "closed"


async def test_gaps_go_with_the_search_log_retention(services: Services, db: Database, clock: FixedClock) -> None:
    """Closed and set-aside gaps, and open ones nobody asked since, go after the search log's retention."""
    await _ask(services, ALICE, ESCAPE)  # closed below
    await _ask(services, BOB, "Hoe lang bewaren we bezoekersgegevens?")  # set aside below
    await _ask(services, CAROL, "glasnegatieven conserveren in de kelder")  # open, never asked again
    await services.qa.faq_save(GUILD, MOD, title="Escape room subsidie depot", body="Fondsen voor escape rooms.")
    await services.job_runner.run_due()
    [escape, visitors, _] = await _gaps(db)
    assert escape["status"] == "closed"
    await services.gaps.dismiss(GUILD, int(str(visitors["id"])), MOD, "Staat in de privacyverklaring")
    clock.advance(timedelta(days=100))
    await _ask(services, ALICE, "microfilm digitaliseren")  # open, asked within the retention
    clock.advance(timedelta(days=100))
    await services.job_runner.run_due()
    await services.job_runner.run_due()
    assert [g["question"] for g in await _gaps(db)] == ["microfilm digitaliseren"]
    assert await db.fetch_value("SELECT count(*) FROM gap_askers") == 1
    assert await db.fetch_value("SELECT count(DISTINCT gap_id) FROM gap_terms") == 1  # the open one's
