"""Helpfulness votes reach ranking through the search engine: one vote per member per document, whatever cast it."""

from __future__ import annotations

import json
from pathlib import Path

from bot.db.database import Database
from bot.db.migrate import apply_migrations, discover
from bot.domain.qa_models import HelpPost
from bot.domain.resources import Resource, make_draft
from bot.services import Services

GUILD, OTHER = 10, 20
MOD = 2
ALICE, BOB, CAROL, DAVE = 101, 102, 103, 104


async def _twin_resources(services: Services) -> tuple[Resource, Resource]:
    """Two approved resources with the same words (only their links differ), by two suggesters."""
    twins = []
    for n, member in ((1, ALICE), (2, BOB)):
        draft = make_draft(
            title="Beeldbank handleiding",
            url=f"https://example.org/beeldbank-{n}",
            summary="Een beeldbank inrichten met metadata.",
            theme="skills",
            type="guide",
            language="nl",
        )
        resource = await services.library.suggest(GUILD, member, draft)
        await services.library.approve(GUILD, resource.id, MOD)
        twins.append(resource)
    return twins[0], twins[1]


async def _scores(services: Services, query: str) -> list[tuple[str, float]]:
    result = await services.search.search(GUILD, query)
    return [(h.document.source_key, h.score) for h in result.hits]


async def _vote_rows(db: Database) -> list[tuple[int, str, str, int, int, int]]:
    rows = await db.fetch_all(
        "SELECT doc_guild_id, source, source_key, user_id, guild_id, helpful FROM knowledge_votes "
        "ORDER BY doc_guild_id, source, source_key, user_id"
    )
    return [tuple(r) for r in rows]


async def test_this_helped_votes_lift_a_resource_in_the_next_search(services: Services, db: Database) -> None:
    """Equal resources tie (lower id first); three members' "this helped" lift the other one; a repeat is a no-op."""
    first, second = await _twin_resources(services)
    before = await _scores(services, "beeldbank")
    assert [key for key, _ in before] == [str(first.id), str(second.id)]
    assert before[0][1] == before[1][1]
    for member in (CAROL, DAVE, MOD):
        assert await services.library.vote_helpful(GUILD, second.id, member)
    after = await _scores(services, "beeldbank")
    assert [key for key, _ in after] == [str(second.id), str(first.id)]
    assert after[0][1] > after[1][1] == before[0][1]
    assert [r.id for r in await services.library.search(GUILD, "beeldbank")] == [second.id, first.id]
    assert not await services.library.vote_helpful(GUILD, second.id, CAROL)
    async with db.transaction() as tx:
        assert not await services.search.vote(tx, (GUILD, "resource", str(second.id)), GUILD, CAROL, True)
    assert await _scores(services, "beeldbank") == after
    doc = (await services.search.search(GUILD, "beeldbank")).hits[0].document
    assert (doc.helpful, doc.unhelpful) == (3, 0)
    assert (await services.library.get(GUILD, second.id)).helpful == 3


async def test_featuring_reaches_ranking(services: Services) -> None:
    """Featuring the lower-ranked of two equal resources puts it first (the index record is rewritten)."""
    first, second = await _twin_resources(services)
    await services.library.set_featured(GUILD, second.id, MOD, True)
    hits = (await services.search.search(GUILD, "beeldbank")).hits
    assert [h.document.source_key for h in hits] == [str(second.id), str(first.id)]
    assert hits[0].document.featured and not hits[1].document.featured


async def test_a_solved_post_is_indexed_as_solved(services: Services) -> None:
    """Marking a solution indexes the thread with solved=True, which the ranking boosts."""
    await services.qa.post_opened(HelpPost(900, GUILD, 50, ALICE, "Negatieven bewaren"))
    await services.qa.mark_solution(
        GUILD, 900, marker_id=ALICE, is_moderator=False, answer_message_id=1, answer_author_id=BOB, answer_text="Koel"
    )
    hits = (await services.search.search(GUILD, "negatieven")).hits
    assert [(h.document.source, h.document.solved) for h in hits] == [("thread", True)]


async def test_answer_feedback_is_one_vote_per_member_per_document(services: Services, db: Database) -> None:
    """Useful then not useful on the same document is one vote (0 helpful, 1 not), in the same or another search."""
    await services.qa.faq_save(GUILD, MOD, title="Beeldbank kiezen", body="Vergelijk beeldbanken op kosten.")
    search_id, result = await services.qa.ask(GUILD, "beeldbank")
    doc = result.hits[0].document
    await services.qa.feedback(GUILD, ALICE, search_id, doc.id, True)
    await services.qa.feedback(GUILD, ALICE, search_id, doc.id, False)
    stored = await services.search.get(doc.id)
    assert stored is not None and (stored.helpful, stored.unhelpful) == (0, 1)
    assert await _vote_rows(db) == [(GUILD, "faq", doc.source_key, ALICE, GUILD, 0)]
    again, _ = await services.qa.ask(GUILD, "beeldbank")
    await services.qa.feedback(GUILD, ALICE, again, doc.id, True)
    stored = await services.search.get(doc.id)
    assert stored is not None and (stored.helpful, stored.unhelpful) == (1, 0)
    assert len(await _vote_rows(db)) == 1
    assert await db.fetch_value("SELECT count(*) FROM answer_feedback") == 2  # per search, for the figures


async def test_not_useful_for_the_whole_answer_casts_no_vote(services: Services, db: Database) -> None:
    """A verdict on the whole answer is no document vote; moving an answer's verdict off a document withdraws it."""
    await services.qa.faq_save(GUILD, MOD, title="Beeldbank kiezen", body="Vergelijk beeldbanken op kosten.")
    search_id, result = await services.qa.ask(GUILD, "beeldbank")
    doc = result.hits[0].document
    await services.qa.feedback(GUILD, BOB, search_id, None, False)
    assert await _vote_rows(db) == []
    await services.qa.feedback(GUILD, ALICE, search_id, doc.id, True)
    await services.qa.feedback(GUILD, ALICE, search_id, None, False)
    stored = await services.search.get(doc.id)
    assert stored is not None and (stored.helpful, stored.unhelpful) == (0, 0)
    assert await _vote_rows(db) == []
    assert (await services.qa.gaps(GUILD)).unhelpful == 2


async def test_a_resource_vote_and_answer_feedback_share_one_vote(services: Services, db: Database) -> None:
    """ "Not useful" in /ask on a resource the member found helpful in the library replaces that vote, and back."""
    first, _ = await _twin_resources(services)
    await services.library.vote_helpful(GUILD, first.id, CAROL)
    search_id, result = await services.qa.ask(GUILD, "beeldbank")
    doc = next(h.document for h in result.hits if h.document.source_key == str(first.id))
    await services.qa.feedback(GUILD, CAROL, search_id, doc.id, False)
    assert await _vote_rows(db) == [(GUILD, "resource", str(first.id), CAROL, GUILD, 0)]
    assert await services.library.vote_helpful(GUILD, first.id, CAROL)  # the library count stays, the vote flips
    assert await _vote_rows(db) == [(GUILD, "resource", str(first.id), CAROL, GUILD, 1)]
    assert (await services.library.get(GUILD, first.id)).helpful == 1


async def test_export_shows_votes_and_forget_removes_them(services: Services, db: Database) -> None:
    """The export lists the member's votes; forgetting deletes them and the document's counts drop."""
    first, second = await _twin_resources(services)
    await services.library.vote_helpful(GUILD, first.id, CAROL)
    await services.library.vote_helpful(GUILD, first.id, DAVE)
    await services.qa.faq_save(GUILD, MOD, title="Beeldbank kiezen", body="Vergelijk beeldbanken op kosten.")
    search_id, result = await services.qa.ask(GUILD, "beeldbank")
    faq = next(h.document for h in result.hits if h.document.source == "faq")
    await services.qa.feedback(GUILD, CAROL, search_id, faq.id, False)
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    votes = {(v["source"], v["source_key"], v["helpful"]) for v in data["knowledge_votes"]}
    assert votes == {("resource", str(first.id), 1), ("faq", faq.source_key, 0)}
    assert "knowledge_votes" not in json.loads(await services.privacy.export(OTHER, CAROL))["data"]

    await services.privacy.forget(GUILD, CAROL)
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert "knowledge_votes" not in data
    assert await _vote_rows(db) == [(GUILD, "resource", str(first.id), DAVE, GUILD, 1)]
    hits = (await services.search.search(GUILD, "beeldbank")).hits
    counts = {(h.document.source, h.document.source_key): (h.document.helpful, h.document.unhelpful) for h in hits}
    assert counts == {
        ("resource", str(first.id)): (1, 0),
        ("resource", str(second.id)): (0, 0),
        ("faq", faq.source_key): (0, 0),
    }
    assert (await services.library.get(GUILD, first.id)).helpful == 1


_RESOURCE = """
    INSERT INTO resources (id, guild_id, title, url, url_key, theme, language, type, suggested_by, status,
                           helpful, created_at, updated_at)
    VALUES (:id, :guild_id, 'Gids', :url, :url, 'skills', 'nl', 'guide', 1, 'approved', :helpful, :t, :t)"""

_DOCUMENT = """
    INSERT INTO knowledge_documents (id, guild_id, source, source_key, kind, title, body, helpful, unhelpful,
                                     index_title, index_tags, index_body, index_words, analyzer,
                                     created_at, updated_at)
    VALUES (:id, :guild_id, :source, :key, :kind, 'Gids', 'Tekst', :helpful, :unhelpful, 'gids', '', 'tekst',
            'gids tekst', 'old', :t, :t)"""

_FEEDBACK = """
    INSERT INTO answer_feedback (guild_id, user_id, search_id, document_id, helpful, created_at)
    VALUES (:guild_id, :user_id, :search_id, :document_id, :helpful, :t)"""


async def test_migration_carries_resource_votes_and_answer_feedback_over(tmp_path: Path) -> None:
    """At 0016 every "this helped" vote and each member's latest verdict per document become one vote each."""
    t1, t2 = "2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00"
    async with Database.open(tmp_path / "old.sqlite3") as db:
        await apply_migrations(db, target=15)
        async with db.transaction() as tx:
            await tx.execute(_RESOURCE, {"id": 7, "guild_id": GUILD, "url": "https://e.org/g", "helpful": 2, "t": t1})
            docs = [
                {"id": 1, "guild_id": GUILD, "source": "resource", "key": "7", "kind": "resource"},
                {"id": 2, "guild_id": GUILD, "source": "faq", "key": "3", "kind": "faq"},
                {"id": 3, "guild_id": 0, "source": "import", "key": "x", "kind": "faq"},  # shared document
            ]
            await tx.executemany(_DOCUMENT, [{**d, "helpful": 5, "unhelpful": 5, "t": t1} for d in docs])
            await tx.executemany(
                "INSERT INTO resource_votes (guild_id, resource_id, user_id, created_at) VALUES (:g, 7, :u, :t)",
                [{"g": GUILD, "u": ALICE, "t": t1}, {"g": GUILD, "u": BOB, "t": t1}],
            )
            feedback = [
                (ALICE, 1, 2, 1, t1),  # Alice: useful, then (a day later, another search) not useful: not useful
                (ALICE, 2, 2, 0, t2),
                (BOB, 3, 2, 1, t1),
                (CAROL, 4, None, 0, t1),  # the whole answer: no document vote
                (CAROL, 5, 3, 1, t2),  # a shared document, voted in GUILD
                (DAVE, 6, 99, 1, t1),  # a document that is gone: no vote
            ]
            await tx.executemany(
                _FEEDBACK,
                [
                    {"guild_id": GUILD, "user_id": u, "search_id": s, "document_id": d, "helpful": h, "t": t}
                    for u, s, d, h, t in feedback
                ],
            )
        assert await apply_migrations(db) == list(range(16, discover()[-1].version + 1))
        assert await _vote_rows(db) == [
            (0, "import", "x", CAROL, GUILD, 1),
            (GUILD, "faq", "3", ALICE, GUILD, 0),
            (GUILD, "faq", "3", BOB, GUILD, 1),
            (GUILD, "resource", "7", ALICE, GUILD, 1),
            (GUILD, "resource", "7", BOB, GUILD, 1),
        ]
        counts = await db.fetch_all("SELECT id, helpful, unhelpful FROM knowledge_documents ORDER BY id")
        assert [tuple(r) for r in counts] == [(1, 2, 0), (2, 1, 1), (3, 1, 0)]
        assert await db.fetch_value("SELECT count(*) FROM answer_feedback") == len(feedback)
        assert await db.fetch_value("SELECT helpful FROM resources WHERE id = 7") == 2
