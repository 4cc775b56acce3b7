"""Questions and answers on a real database: FAQ, help posts, solutions flowing into search, feedback."""

from __future__ import annotations

import pytest

from bot.db.database import Database
from bot.domain.qa_models import HelpPost
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.services import Services

GUILD, OTHER = 111, 222
ASKER, HELPER, STRANGER, MOD = 1, 2, 3, 4


async def _post(services: Services, thread_id: int = 900, guild: int = GUILD) -> HelpPost:
    post = HelpPost(thread_id, guild, 50, ASKER, "Welke licentie voor foto's van onze collectie?")
    assert await services.qa.post_opened(post)
    return post


async def test_faq_entry_is_found_by_ask_and_autocomplete(services: Services) -> None:
    """A new FAQ entry is searchable at once, and autocomplete finds it by alias with a typo."""
    entry = await services.qa.faq_save(
        GUILD,
        MOD,
        title="Hoe kies ik een Creative Commons-licentie?",
        body="Gebruik de licentiekiezer van CC.",
        aliases="cc kiezen\nlicentiekeuze",
    )
    _, result = await services.qa.ask(GUILD, "creative commons licentie kiezen")
    assert result.hits[0].document.source_key == str(entry.id)
    assert [e.id for e in await services.qa.faq_find(GUILD, "licntiekeuze")] == [entry.id]
    assert [e.id for e in await services.qa.faq_find(GUILD, "Hoe kies")] == [entry.id]


async def test_faq_is_scoped_to_its_server(services: Services) -> None:
    """Another server can neither see, find, edit nor remove an entry."""
    entry = await services.qa.faq_save(GUILD, MOD, title="Alleen hier", body="Geheim antwoord over depots.")
    assert await services.qa.faq_find(OTHER, "Alleen") == []
    _, result = await services.qa.ask(OTHER, "geheim antwoord depots")
    assert result.hits == []
    with pytest.raises(NotFound):
        await services.qa.faq_get(OTHER, entry.id)
    with pytest.raises(NotFound):
        await services.qa.faq_save(OTHER, MOD, title="Overgenomen", body="x", entry_id=entry.id)
    with pytest.raises(NotFound):
        await services.qa.faq_remove(OTHER, entry.id, MOD)
    assert (await services.qa.faq_get(GUILD, entry.id)).title == "Alleen hier"


async def test_faq_edit_remove_and_uses(services: Services) -> None:
    """Editing re-indexes, showing counts uses, removing takes it out of search."""
    entry = await services.qa.faq_save(GUILD, MOD, title="Depotruimte", body="Over klimaatbeheersing.")
    await services.qa.faq_save(GUILD, MOD, title="Depotruimte huren", body="Over gedeelde depots.", entry_id=entry.id)
    _, result = await services.qa.ask(GUILD, "gedeelde depots")
    assert result.hits[0].document.title == "Depotruimte huren"
    assert (await services.qa.faq_show(GUILD, entry.id)).uses == 1
    assert (await services.qa.faq_get(GUILD, entry.id)).uses == 1
    await services.qa.faq_remove(GUILD, entry.id, MOD)
    _, result = await services.qa.ask(GUILD, "gedeelde depots")
    assert result.hits == []


async def test_faq_validation_keeps_store_intact(services: Services) -> None:
    """Duplicate titles, empty answers and too many aliases are refused; nothing is half-written."""
    await services.qa.faq_save(GUILD, MOD, title="Uniek", body="Eerste.")
    with pytest.raises(Conflict):
        await services.qa.faq_save(GUILD, MOD, title="uniek", body="Tweede.")
    with pytest.raises(Invalid):
        await services.qa.faq_save(GUILD, MOD, title="Leeg", body="   \x00  ")
    with pytest.raises(Invalid):
        await services.qa.faq_save(GUILD, MOD, title="Veel", body="x", aliases=",".join(f"a{i}" for i in range(11)))
    assert [e.title for e in await services.qa.faq_find(GUILD, "")] == ["Uniek"]


async def test_solution_by_asker_is_indexed_for_the_next_ask(services: Services) -> None:
    """The asker accepts an answer; the next /ask finds the solved question."""
    await _post(services)
    solved = await services.qa.mark_solution(
        GUILD,
        900,
        marker_id=ASKER,
        is_moderator=False,
        answer_message_id=77,
        answer_author_id=HELPER,
        answer_text="Kies CC BY 4.0 en vermeld de fotograaf; controleer of de rechten bij jullie liggen.",
    )
    assert solved.solved and solved.answer_author_id == HELPER
    _, result = await services.qa.ask(GUILD, "licentie foto's collectie")
    assert result.hits[0].document.kind == "solved_thread"
    assert result.hits[0].document.source_key == "900"


async def test_solution_by_moderator_allowed_stranger_refused(services: Services) -> None:
    """A moderator may mark the solution; anyone else is refused and nothing changes."""
    await _post(services)
    with pytest.raises(Forbidden):
        await services.qa.mark_solution(
            GUILD,
            900,
            marker_id=STRANGER,
            is_moderator=False,
            answer_message_id=1,
            answer_author_id=2,
            answer_text="nope",
        )
    assert not (await services.qa.post(GUILD, 900)).solved  # type: ignore[union-attr]
    await services.qa.mark_solution(
        GUILD,
        900,
        marker_id=MOD,
        is_moderator=True,
        answer_message_id=1,
        answer_author_id=2,
        answer_text="ja",
    )
    assert (await services.qa.post(GUILD, 900)).solved  # type: ignore[union-attr]


async def test_unknown_post_and_other_server(services: Services) -> None:
    """Marking in an unknown thread, or in another server's thread, is refused."""
    await _post(services)
    with pytest.raises(NotFound):
        await services.qa.mark_solution(
            OTHER, 900, marker_id=ASKER, is_moderator=True, answer_message_id=1, answer_author_id=2, answer_text="x"
        )


async def test_unanswered_pages_oldest_first(services: Services) -> None:
    """Open posts come oldest first in pages of five; solved ones drop out."""
    for i in range(12):
        await services.qa.post_opened(HelpPost(1000 + i, GUILD, 50, ASKER, f"Vraag {i}"))
    await services.qa.mark_solution(
        GUILD, 1000, marker_id=ASKER, is_moderator=False, answer_message_id=1, answer_author_id=2, answer_text="x"
    )
    first = await services.qa.unanswered(GUILD, 0)
    assert (first.total, first.pages) == (11, 3)
    assert [p.title for p in first.items] == ["Vraag 1", "Vraag 2", "Vraag 3", "Vraag 4", "Vraag 5"]
    last = await services.qa.unanswered(GUILD, 2)
    assert [p.title for p in last.items] == ["Vraag 11"]
    assert (await services.qa.unanswered(OTHER, 0)).total == 0


async def test_suggestion_is_claimed_once(services: Services) -> None:
    """Only one suggestion reply is recorded per post."""
    await _post(services)
    assert await services.qa.claim_suggestion(GUILD, 900, 5)
    assert not await services.qa.claim_suggestion(GUILD, 900, 6)


async def test_feedback_counts_and_changes_of_mind(services: Services, db: Database) -> None:
    """A vote bumps the document's counter; changing it moves the count; one vote per member per answer."""
    entry = await services.qa.faq_save(GUILD, MOD, title="Beeldbank kiezen", body="Vergelijk beeldbanken op kosten.")
    search_id, result = await services.qa.ask(GUILD, "beeldbank kiezen")
    doc_id = result.hits[0].document.id
    await services.qa.feedback(GUILD, ASKER, search_id, doc_id, True)
    await services.qa.feedback(GUILD, ASKER, search_id, doc_id, True)
    doc = await services.search.get(doc_id)
    assert doc is not None and (doc.helpful, doc.unhelpful) == (1, 0)
    await services.qa.feedback(GUILD, ASKER, search_id, None, False)
    doc = await services.search.get(doc_id)
    assert doc is not None and doc.helpful == 0
    assert await services.qa.question_of(GUILD, search_id) == "beeldbank kiezen"
    with pytest.raises(NotFound):
        await services.qa.question_of(OTHER, search_id)
    assert entry.id


async def test_promote_solved_post(services: Services) -> None:
    """A solved post becomes an FAQ entry; an open one cannot."""
    await _post(services)
    with pytest.raises(Invalid):
        await services.qa.promote(GUILD, 900, MOD, title="Titel", body="Antwoord")
    await services.qa.mark_solution(
        GUILD, 900, marker_id=ASKER, is_moderator=False, answer_message_id=1, answer_author_id=2, answer_text="CC BY"
    )
    entry = await services.qa.promote(GUILD, 900, MOD, title="Licentie voor collectiefoto's", body="Kies CC BY.")
    assert entry.thread_id == 900


async def test_hostile_questions_are_answered_normally(services: Services) -> None:
    """FTS5 syntax, quotes and control characters never break /ask."""
    await services.qa.faq_save(GUILD, MOD, title="Metadata standaarden", body="Dublin Core en LIDO.")
    for text in ['metadata" OR "x', "NEAR(metadata standaarden)", "title:metadata*", "meta\x00data ^ AND NOT", "((("]:
        _, result = await services.qa.ask(GUILD, text)
        assert isinstance(result.hits, list)
    with pytest.raises(Invalid):
        await services.qa.ask(GUILD, "  ")
    with pytest.raises(Invalid):
        await services.qa.ask(GUILD, "x" * 301)


async def test_a_bots_message_cannot_be_the_solution(services: Services) -> None:
    """Only a member's message can be accepted; the bot's own (or a webhook's) is refused and nothing changes."""
    await _post(services)
    with pytest.raises(Invalid) as caught:
        await services.qa.mark_solution(
            GUILD,
            900,
            marker_id=ASKER,
            is_moderator=False,
            answer_message_id=5,
            answer_author_id=999,
            answer_text="Misschien helpt dit: Creative Commons.",
            answer_by_bot=True,
        )
    assert caught.value.key == "qa.solve.not_a_member"
    post = await services.qa.post(GUILD, 900)
    assert post is not None and not post.solved


async def test_unanswered_count_and_list_agree_while_a_post_arrives(services: Services, db: Database) -> None:
    """A post created between the page's two reads shows in neither or both (issue 10, defect 11)."""
    arrived = False

    async def post_arrives(_sql: str) -> None:
        nonlocal arrived
        if not arrived:
            arrived = True
            await services.qa.post_opened(HelpPost(901, GUILD, 50, ASKER, "Een vraag die net binnenkomt"))

    db.read_hook = post_arrives
    try:
        page = await services.qa.unanswered(GUILD, 0)
    finally:
        db.read_hook = None
    assert arrived
    assert page.total == len(page.items)
    later = await services.qa.unanswered(GUILD, 0)
    assert later.total == len(later.items) == 1
