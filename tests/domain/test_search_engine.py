"""The search engine on a real SQLite file with the real migrations: indexing, scoping, matching, robustness."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.db.repos.knowledge import KnowledgeRepo
from bot.db.repos.setup import SetupRepo
from bot.domain.search.engine import SearchEngine
from bot.domain.search.glossary import Glossary
from bot.domain.search.importer import import_documents
from bot.domain.search.models import NewDocument, SearchResult
from bot.domain.search.termdata import TermData
from bot.errors import Invalid
from bot.services import Services

GLOSSARY = Glossary.from_data(
    {
        "concept": [
            {"id": "copyright", "nl": ["auteursrecht"], "en": ["copyright"]},
            {"id": "image-bank", "nl": ["beeldbank", "fotodatabase"], "en": ["image bank"]},
            {"id": "creative-commons", "en": ["creative commons"], "abbr": ["cc"]},
        ]
    }
)
GUILD_A, GUILD_B = 111, 222


def doc(key: str, title: str, body: str, *, guild_id: int = 0, **extra: object) -> NewDocument:
    fields: dict[str, object] = {"source": "faq", "kind": "faq", "lang": "nl", "tags": ()} | extra
    return NewDocument(guild_id=guild_id, source_key=key, title=title, body=body, **fields)  # type: ignore[arg-type]


@pytest.fixture
def repo(db: Database) -> KnowledgeRepo:
    return KnowledgeRepo(db)


@pytest.fixture
def engine(db: Database, repo: KnowledgeRepo, clock: FixedClock) -> SearchEngine:
    return SearchEngine(db, repo, clock, GLOSSARY)


def keys(result: SearchResult) -> list[str]:
    return [hit.document.source_key for hit in result.hits]


async def test_indexed_document_is_found_with_an_excerpt(engine: SearchEngine) -> None:
    """A document can be found by words from its body, and the hit carries the matching sentence."""
    await engine.index(doc("1", "Back-ups", "Iets anders. Maak drie kopieën op twee media. Slot."))
    await engine.index(doc("2", "Iets anders", "Over subsidies."))
    result = await engine.search(0, "kopieën media")
    assert keys(result) == ["1"]
    assert result.hits[0].excerpt.startswith("Maak drie kopieën")
    assert result.hits[0].score > 0
    assert result.suggestion is None
    assert not result.corrected


async def test_indexing_twice_changes_nothing(engine: SearchEngine, repo: KnowledgeRepo) -> None:
    """Upsert is idempotent by (guild, source, key): same id, one row, vocabulary counted once."""
    first = await engine.index(doc("1", "Beeldbank", "Een beeldbank opzetten"))
    again = await engine.index_many([doc("1", "Beeldbank", "Een beeldbank opzetten")])
    assert again.ids == (first,)
    assert again.changed == 0
    assert await engine.count() == 1
    assert (await repo.term_counts(0, ["beeldbank", ""])) == {"beeldbank": 1, "": 1}


async def test_updating_a_document_replaces_its_words(engine: SearchEngine, repo: KnowledgeRepo) -> None:
    """After an update the old words no longer find it, the new ones do, and the counts follow."""
    first = await engine.index(doc("1", "Titel", "Over fotografie"))
    second = await engine.index(doc("1", "Titel", "Over archivering"))
    assert first == second
    assert keys(await engine.search(0, "fotografie")) == []
    assert keys(await engine.search(0, "archivering")) == ["1"]
    assert "fotografie" not in await repo.term_counts(0, ["fotografie"])


async def test_removed_document_is_gone(engine: SearchEngine, repo: KnowledgeRepo) -> None:
    """Removing deletes the document, its index entries and its vocabulary; removing again is False."""
    await engine.index(doc("1", "Beeldbank", "Een beeldbank opzetten"))
    assert await engine.remove(0, "faq", "1")
    assert not await engine.remove(0, "faq", "1")
    assert keys(await engine.search(0, "beeldbank")) == []
    assert await repo.term_counts(0, ["beeldbank", ""]) == {"": 0}
    assert await engine.count() == 0


async def test_guilds_see_their_own_and_shared_documents_only(engine: SearchEngine) -> None:
    """Guild A never sees guild B's documents; both see the shared ones (guild 0)."""
    await engine.index(doc("a", "Erfgoedbeleid van A", "erfgoedbeleid", guild_id=GUILD_A))
    await engine.index(doc("b", "Erfgoedbeleid van B", "erfgoedbeleid", guild_id=GUILD_B))
    await engine.index(doc("s", "Erfgoedbeleid voor iedereen", "erfgoedbeleid"))
    assert sorted(keys(await engine.search(GUILD_A, "erfgoedbeleid"))) == ["a", "s"]
    assert sorted(keys(await engine.search(GUILD_B, "erfgoedbeleid"))) == ["b", "s"]
    assert keys(await engine.search(0, "erfgoedbeleid")) == ["s"]
    assert await engine.count(GUILD_A) == 2


async def test_suggestions_never_reveal_another_guilds_words(engine: SearchEngine) -> None:
    """A misspelling is corrected only towards words the searching server can see."""
    await engine.index(doc("b", "Vrijwilligers", "over vrijwilligers", guild_id=GUILD_B))
    assert (await engine.search(GUILD_B, "vrijwilligres")).suggestion == "vrijwilligers"
    result = await engine.search(GUILD_A, "vrijwilligres")
    assert result.suggestion is None
    assert result.hits == []


async def test_cross_lingual_match_through_the_glossary(engine: SearchEngine) -> None:
    """An English query finds a Dutch document through a glossary pair, and an abbreviation its full form."""
    await engine.index(doc("nl", "Hoe lang duurt het auteursrecht?", "Tot zeventig jaar na de dood van de maker."))
    await engine.index(doc("cc", "Licenties kiezen", "Kies een Creative Commons licentie."))
    assert keys(await engine.search(0, "copyright", lang="en")) == ["nl"]
    assert keys(await engine.search(0, "CC")) == ["cc"]
    assert keys(await engine.search(0, "shared image bank")) == []
    await engine.index(doc("bb", "Samen een fotodatabase", "Twee archieven delen een fotodatabase."))
    assert keys(await engine.search(0, "shared image bank")) == ["bb"]


async def test_real_glossary_links_abbreviations(db: Database, repo: KnowledgeRepo, clock: FixedClock) -> None:
    """With the shipped glossary, AVG finds a document about the GDPR."""
    engine = SearchEngine(db, repo, clock, Glossary.load())
    await engine.index(doc("g", "Consent for newsletters", "Under the GDPR you need consent.", lang="en"))
    assert keys(await engine.search(0, "AVG nieuwsbrief")) == ["g"]


async def test_typo_is_corrected_and_suggested(engine: SearchEngine) -> None:
    """Misspelt words are corrected from the index's own vocabulary, and the corrected query is offered."""
    await engine.index(doc("1", "Creative Commons kiezen", "Welke creative commons licentie past bij je collectie?"))
    result = await engine.search(0, "creatve comons licentie")
    assert keys(result) == ["1"]
    assert result.corrected
    assert result.suggestion == "creative commons licentie"


async def test_morphology_compounds_and_accents(engine: SearchEngine) -> None:
    """Inflections, Dutch compounds and accents do not stand in the way."""
    await engine.index(doc("1", "Subsidie voor digitalisering", "Projecten voor digitalisering van erfgoed."))
    await engine.index(doc("2", "Financiële verantwoording", "De penvoerder doet de verantwoording."))
    assert keys(await engine.search(0, "digitaliseringsprojecten")) == ["1"]
    assert keys(await engine.search(0, "digitaliseren")) == ["1"]
    assert keys(await engine.search(0, "financiele verantwoording")) == ["2"]


HOSTILE = [
    "",
    "   ",
    '"unterminated',
    "NEAR(beeldbank archief, 3) AND NOT OR",
    "index_title:beeldbank OR index_body:* ^beeld",
    "{index_title index_body}: (a OR b)",
    "beeldbank* - archief + x ( ) [ ] ; -- ' \" \\",
    "\x00\x01\x1f\x7f beeldbank",
    "🎉🔥 beeldbank 🎉",
    "'; DROP TABLE knowledge_documents; --",
    "beeldbank " + "x" * 10_000,
    "archief " * 2_000,
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_any_input_returns_normally(engine: SearchEngine, query: str) -> None:
    """Search syntax, quotes, control characters, emoji, empty and huge input never make a search fail."""
    await engine.index(doc("1", "Beeldbank van het archief", "Een beeldbank voor het archief."))
    result = await engine.search(0, query)
    assert isinstance(result, SearchResult)
    assert len(result.query) <= 500
    if "beeldbank" in query or "archief" in query:
        assert keys(result) == ["1"]
    assert await engine.count() == 1


async def test_empty_query_finds_nothing(engine: SearchEngine) -> None:
    """An empty or stop-word-only query returns no hits and no suggestion."""
    await engine.index(doc("1", "De beeldbank", "Het archief"))
    for query in ("", "de het een", "?!"):
        result = await engine.search(0, query)
        assert result.hits == []
        assert result.suggestion is None


async def test_boosts_change_the_order(db: Database, engine: SearchEngine) -> None:
    """Featured documents rank above otherwise equal ones; many members' helpful votes lift a document further."""
    await engine.index(doc("1", "Beeldbank opzetten", "Een beeldbank opzetten."))
    await engine.index(doc("2", "Beeldbank opzetten", "Een beeldbank opzetten."))
    assert keys(await engine.search(0, "beeldbank")) == ["1", "2"]
    await engine.index(doc("2", "Beeldbank opzetten", "Een beeldbank opzetten.", featured=True))
    assert keys(await engine.search(0, "beeldbank")) == ["2", "1"]
    async with db.transaction() as tx:
        for member in range(10):
            assert await engine.vote(tx, (0, "faq", "1"), GUILD_A, 1000 + member, True)
    assert keys(await engine.search(0, "beeldbank")) == ["1", "2"]


async def test_one_vote_per_member_per_document(db: Database, engine: SearchEngine) -> None:
    """A member's second vote the same way changes nothing; changing or withdrawing it moves the counts."""
    await engine.index(doc("1", "Beeldbank opzetten", "Een beeldbank opzetten."))
    first = await engine.index(doc("2", "Beeldbank opzetten", "Een beeldbank opzetten."))
    async with db.transaction() as tx:
        assert await engine.vote(tx, (0, "faq", "2"), GUILD_A, 7, True)
    ranked = await engine.search(0, "beeldbank")
    async with db.transaction() as tx:
        assert not await engine.vote(tx, (0, "faq", "2"), GUILD_A, 7, True)
    again = await engine.search(0, "beeldbank")
    assert [(h.document.source_key, h.score) for h in again.hits] == [
        (h.document.source_key, h.score) for h in ranked.hits
    ]
    async with db.transaction() as tx:
        assert await engine.vote(tx, (0, "faq", "2"), GUILD_A, 7, False)
    stored = await engine.get(first)
    assert stored is not None and (stored.helpful, stored.unhelpful) == (0, 1)
    async with db.transaction() as tx:
        assert await engine.vote(tx, (0, "faq", "2"), GUILD_A, 7, None)
        assert not await engine.vote(tx, (0, "faq", "2"), GUILD_A, 7, None)
    stored = await engine.get(first)
    assert stored is not None and (stored.helpful, stored.unhelpful) == (0, 0)


async def test_votes_survive_re_indexing(db: Database, engine: SearchEngine) -> None:
    """Votes belong to the document's identity: removed and indexed again, it keeps its counts."""
    async with db.transaction() as tx:
        assert await engine.vote(tx, (0, "faq", "1"), GUILD_A, 7, True)  # before it exists: kept for later
    await engine.index(doc("1", "Beeldbank opzetten", "Een beeldbank opzetten."))
    assert await engine.remove(0, "faq", "1")
    again = await engine.index(doc("1", "Beeldbank opzetten", "Een beeldbank opzetten."))
    stored = await engine.get(again)
    assert stored is not None and stored.helpful == 1


async def test_featuring_and_solving_through_flags(db: Database, engine: SearchEngine) -> None:
    """A moderator can feature a stored document, and a thread can be marked solved; unknown ones say False."""
    await engine.index(doc("1", "Beeldbank opzetten", "Een beeldbank opzetten."))
    second = await engine.index(doc("2", "Beeldbank opzetten", "Een beeldbank opzetten."))
    async with db.transaction() as tx:
        assert await engine.set_flags(tx, (0, "faq", "2"), featured=True)
        assert not await engine.set_flags(tx, (0, "faq", "999"), featured=True)
    assert keys(await engine.search(0, "beeldbank")) == ["2", "1"]
    stored = await engine.get(second)
    assert stored is not None and (stored.featured, stored.solved) == (True, False)


async def test_solved_threads_rank_above_unsolved_ones(engine: SearchEngine) -> None:
    """An unsolved forum thread yields to a solved one with the same text."""
    base = {"kind": "solved_thread", "source": "thread"}
    await engine.index(doc("1", "Beeldbank kiezen", "Welke beeldbank?", **base))
    await engine.index(doc("2", "Beeldbank kiezen", "Welke beeldbank?", solved=True, **base))
    assert keys(await engine.search(0, "beeldbank")) == ["2", "1"]


async def test_limit_is_respected(engine: SearchEngine) -> None:
    """No more hits than asked for, and at least one is always allowed."""
    await engine.index_many([doc(str(i), f"Beeldbank {i}", "Over de beeldbank.") for i in range(15)])
    assert len((await engine.search(0, "beeldbank")).hits) == 10
    assert len((await engine.search(0, "beeldbank", limit=3)).hits) == 3
    assert len((await engine.search(0, "beeldbank", limit=0)).hits) == 1


async def test_searches_are_logged_for_moderators(
    db: Database, engine: SearchEngine, repo: KnowledgeRepo, clock: FixedClock
) -> None:
    """Every search is logged with its result count; the ones without results can be listed."""
    await engine.index(doc("1", "Beeldbank", "Een beeldbank."))
    await engine.search(GUILD_A, "beeldbank")
    await engine.search(GUILD_A, "blockchain")
    await engine.search(GUILD_A, "Blockchain")
    await engine.search(GUILD_B, "kunstmatige intelligentie")
    assert await repo.unanswered_searches(GUILD_A, clock.now() - timedelta(days=1)) == [("blockchain", 2)]
    clock.advance(timedelta(days=400))
    async with db.transaction() as tx:
        assert await repo.purge_search_log(tx, clock.now() - timedelta(days=365)) == 4


async def test_invalid_documents_are_refused(engine: SearchEngine) -> None:
    """Unknown sources and kinds, and missing titles, raise Invalid before anything is stored."""
    with pytest.raises(Invalid):
        await engine.index(NewDocument(0, "wiki", "1", "faq", "Titel", "Tekst"))
    with pytest.raises(Invalid):
        await engine.index(NewDocument(0, "faq", "1", "blog", "Titel", "Tekst"))
    with pytest.raises(Invalid):
        await engine.index(NewDocument(0, "faq", "1", "faq", "  ", "Tekst"))
    assert await engine.count() == 0


CORPUS = [
    {"id": "d1", "kind": "faq", "lang": "nl", "theme": "skills", "title": "Wat is een e-depot?",
     "body": "Een e-depot bewaart digitale bestanden duurzaam.", "tags": ["e-depot"], "url": None},
    {"id": "d2", "kind": "solved_thread", "lang": "en", "theme": "skills", "title": "Backups",
     "body": "Keep three copies.\n\nUse two media.", "tags": ["backup", "storage"], "url": "https://example.org"},
]  # fmt: skip


async def test_import_is_idempotent_by_id(engine: SearchEngine) -> None:
    """Importing the corpus format twice adds nothing; changed entries are updated in place."""
    first = await import_documents(engine, CORPUS)
    assert (first.imported, first.changed) == (2, 2)
    again = await import_documents(engine, CORPUS)
    assert (again.imported, again.changed, again.ids) == (2, 0, first.ids)
    edited = [CORPUS[0], {**CORPUS[1], "title": "Backups and copies"}]
    assert (await import_documents(engine, edited)).changed == 1
    hit = (await engine.search(0, "e-depot")).hits[0].document
    assert (hit.source, hit.source_key, hit.guild_id, hit.tags) == ("import", "d1", 0, ("e-depot",))
    thread = (await engine.search(0, "copies")).hits[0].document
    assert thread.solved
    assert thread.url == "https://example.org"


@pytest.mark.parametrize(
    "entry",
    [{"kind": "faq", "title": "x"}, {"id": "x", "kind": "blog", "title": "x"}, {"id": "x", "kind": "faq", "title": ""}],
)
async def test_import_refuses_bad_entries(engine: SearchEngine, entry: dict[str, object]) -> None:
    """A bad entry stops the whole import before anything is stored."""
    with pytest.raises(Invalid):
        await import_documents(engine, [CORPUS[0], entry])
    assert await engine.count() == 0


async def test_import_refuses_duplicate_ids(engine: SearchEngine) -> None:
    """The same id twice in one file is an error."""
    with pytest.raises(Invalid, match="duplicate"):
        await import_documents(engine, [CORPUS[0], CORPUS[0]])


async def test_reindex_after_a_glossary_change(db: Database, repo: KnowledgeRepo, clock: FixedClock) -> None:
    """Documents analysed with another glossary are re-analysed once, then found through the new one."""
    old = SearchEngine(db, repo, clock, Glossary.empty())
    await old.index(doc("1", "Auteursrecht", "Het auteursrecht op foto's."))
    assert keys(await old.search(0, "copyright")) == []
    new = SearchEngine(db, repo, clock, GLOSSARY)
    assert await new.reindex_stale() == 1
    assert await new.reindex_stale() == 0
    assert keys(await new.search(0, "copyright")) == ["1"]


async def test_a_busy_server_cannot_crowd_out_a_small_one(db: Database, repo: KnowledgeRepo, clock: FixedClock) -> None:
    """When another server's documents fill the fast path's ranking window, the exact query still finds ours."""
    engine = SearchEngine(db, repo, clock, Glossary.empty(), candidates=3)
    busy = [
        NewDocument(1, "faq", f"b{i}", "faq", f"Depot depot depot {i}", "Depot klimaat depot depot.") for i in range(30)
    ]
    await engine.index_many(busy)
    await engine.index(NewDocument(2, "faq", "mine", "faq", "Ons eigen depot", "Een korte tekst over het depot."))
    result = await engine.search(2, "depot", limit=3)
    assert [hit.document.source_key for hit in result.hits] == ["mine"]


SAME_TEXT = (
    "Erfgoedinstelling zoekt collectiebeheer",
    "De museumcollectie en het vrijwilligersbeleid van een instelling.",
)
OTHER_TEXT = ("Beheer en collectie", "Erfgoed, instellingen, museum, vrijwilligers en beleid: losse woorden.")


async def stored_terms(db: Database, guild_id: int) -> dict[str, dict[str, int]]:
    """The index terms per field of a server's one document with SAME_TEXT."""
    blob = await db.fetch_value(
        "SELECT terms FROM knowledge_documents WHERE guild_id = :g AND source_key = 'same'", {"g": guild_id}
    )
    return dict(zip(("title", "tags", "body"), TermData.decode(blob).counts(), strict=True))


async def test_the_same_text_gets_the_same_terms_in_any_server_in_any_order(
    db: Database, repo: KnowledgeRepo, clock: FixedClock, tmp_path: Path
) -> None:
    """Analysis depends only on the text and the shipped lexicon, never on what other servers indexed first."""
    engine = SearchEngine(db, repo, clock, GLOSSARY)
    await engine.index(NewDocument(GUILD_A, "faq", "same", "faq", *SAME_TEXT, lang="nl"))
    await engine.index(NewDocument(333, "faq", "other", "faq", *OTHER_TEXT, lang="nl"))
    await engine.index(NewDocument(GUILD_B, "faq", "same", "faq", *SAME_TEXT, lang="nl"))
    first_a, first_b = await stored_terms(db, GUILD_A), await stored_terms(db, GUILD_B)
    async with Database.open(tmp_path / "reverse.sqlite3") as other:
        await apply_migrations(other)
        reverse = SearchEngine(other, KnowledgeRepo(other), clock, GLOSSARY)
        await reverse.index(NewDocument(GUILD_B, "faq", "same", "faq", *SAME_TEXT, lang="nl"))
        await reverse.index(NewDocument(333, "faq", "other", "faq", *OTHER_TEXT, lang="nl"))
        await reverse.index(NewDocument(GUILD_A, "faq", "same", "faq", *SAME_TEXT, lang="nl"))
        second_a, second_b = await stored_terms(other, GUILD_A), await stored_terms(other, GUILD_B)
    assert first_a == first_b == second_a == second_b
    assert first_a["title"]  # and there is something to compare


async def test_a_lexicon_or_analyser_change_re_indexes_in_a_background_job(services: Services, db: Database) -> None:
    """Documents analysed differently are found at start; a durable job analyses them again, then none are stale."""
    await services.search.index(doc("1", "Beeldbank", "Een beeldbank voor foto's."))
    assert not await services.search.schedule_reindex()  # nothing stale: no job
    async with db.transaction() as tx:
        await tx.execute("UPDATE knowledge_documents SET analyzer = 'an older lexicon'")
    assert await services.search.schedule_reindex()
    assert not await services.search.schedule_reindex()  # one job at a time
    await services.job_runner.run_due()
    await services.job_runner.wait_idle()
    assert (
        await db.fetch_value(
            "SELECT count(*) FROM knowledge_documents WHERE analyzer <> :a", {"a": services.search.fingerprint}
        )
        == 0
    )
    assert keys(await services.search.search(0, "beeldbank")) == ["1"]


async def test_a_departed_servers_knowledge_leaves_no_trace_in_the_index(services: Services, db: Database) -> None:
    """Purging a server removes its index entries and counts; its scope number and document ids are never reused,
    so another server never sees a third server's documents through them."""
    search = services.search
    await search.index(NewDocument(1003, "faq", "z1", "faq", "Interne notitie", "Over de server van Z."))
    await search.index(NewDocument(1001, "faq", "x1", "faq", "Notitie", "Over de server van X."))
    old = await db.fetch_value("SELECT scope FROM knowledge_scopes WHERE guild_id = 1001")
    async with db.transaction() as tx:
        await SetupRepo(db).purge_guild(tx, 1001)
    assert await db.fetch_value("SELECT count(*) FROM knowledge_terms WHERE scope = :s", {"s": old}) == 0
    await search.index(NewDocument(1003, "faq", "z2", "faq", "Vertrouwelijk", "De kluis van de server van Z."))
    await search.index(NewDocument(1002, "faq", "y1", "faq", "Publiek", "Over de server van Y."))
    assert await db.fetch_value("SELECT scope FROM knowledge_scopes WHERE guild_id = 1002") != old
    assert keys(await search.search(1002, "server")) == ["y1"]
    assert sorted(keys(await search.search(1003, "server"))) == ["z1", "z2"]
    assert keys(await search.search(1001, "server")) == []


async def test_the_re_index_never_undoes_an_edit_or_a_removal_made_meanwhile(
    db: Database, engine: SearchEngine
) -> None:
    """The background re-index writes a document only if it is still there, still stale and still as it read it."""
    await engine.index(doc("1", "Oud", "Oude tekst over een fiets."))
    await engine.index(doc("2", "Geheim", "Een geheime tekst."))
    async with db.transaction() as tx:
        await tx.execute("UPDATE knowledge_documents SET analyzer = 'an older lexicon'")
    snapshot = [d.as_new() for d in await engine._repo.stale_documents("now", 10)]  # read before the edits
    await engine.index(doc("1", "Nieuw", "Nieuwe tekst over een auto."))
    assert await engine.remove(0, "faq", "2")
    assert (await engine.index_many(snapshot, only_stale=True)).changed == 0
    assert keys(await engine.search(0, "auto")) == ["1"] and keys(await engine.search(0, "fiets")) == []
    assert keys(await engine.search(0, "geheim")) == []


async def test_a_removed_faq_entry_takes_its_votes_along(db: Database, engine: SearchEngine) -> None:
    """FAQ ids are given again after a removal: the new entry must not start with the old one's votes."""
    await engine.index(doc("1", "Beeldbank", "Een beeldbank."))
    async with db.transaction() as tx:
        assert await engine.vote(tx, (0, "faq", "1"), GUILD_A, 7, False)
        assert await engine.unindex(tx, 0, "faq", "1", for_good=True)
    again = await engine.index(doc("1", "Iets anders", "Een nieuw antwoord."))
    stored = await engine.get(again)
    assert stored is not None and (stored.helpful, stored.unhelpful) == (0, 0)
