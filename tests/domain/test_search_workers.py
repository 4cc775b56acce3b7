"""Search worker processes: the same answers and index records as the bot's own process, and a safe fallback.

These start real processes (``spawn``) on a real database file, so they are few and each checks several things.
"""

from __future__ import annotations

import logging
import os
import signal

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.repos.knowledge import KnowledgeRepo
from bot.domain.search.engine import OffloadUnavailable, SearchEngine
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import NewDocument, SearchResult
from bot.search_workers import SearchWorkers

DOCS = [
    NewDocument(0, "import", f"d{i}", "faq", title, body, lang=lang, tags=tags)
    for i, (title, body, lang, tags) in enumerate(
        [
            ("Erfgoedinstelling zoekt vrijwilligers", "Vrijwilligersbeleid, museumcollectie.", "nl", ("beleid",)),
            ("Creative Commons licentie kiezen", "CC BY of CC BY-SA voor de beeldbank?", "nl", ("cc", "licenties")),
            ("Backups of scans", "Keep three copies on two media, one off site.", "en", ("backup",)),
            ("Subsidieaanvraag digitalisering", "Een digitaliseringsproject met het Mondriaan Fonds.", "nl", ()),
        ]
        * 3
    )
]
QUERIES = ["vrijwilligers beleid", "licentie beeldbank", "backup copies", "digitaliseringsproject subsidie", "musuem"]


def hits(result: SearchResult) -> list[tuple[str, float, str]]:
    return [(h.document.source_key, h.score, h.excerpt) for h in result.hits]


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> SearchEngine:
    return SearchEngine(db, KnowledgeRepo(db), clock, Glossary.load())


async def test_workers_answer_and_analyse_exactly_as_this_process(engine: SearchEngine, db: Database) -> None:
    """Records and answers from the workers equal the in-process ones; imports run through them, in batches."""
    workers = SearchWorkers(db.path, 2, engine.fingerprint)
    try:
        assert await workers.warm()
        assert await workers.analyse(DOCS) == engine.analyse(DOCS)
        engine.attach(workers)
        done = await engine.index_many(DOCS, batch_size=3)  # four batches: analysed by the workers, two ahead
        assert done.changed == len(DOCS) and len(set(done.ids)) == len(DOCS)
        for query in QUERIES:
            in_workers, here = await engine.search(0, query), await engine.answer(0, query)
            assert hits(in_workers) == hits(here) and in_workers.hits
            assert (in_workers.suggestion, in_workers.corrected) == (here.suggestion, here.corrected)
    finally:
        engine.attach(None)
        await workers.close()
    with pytest.raises(OffloadUnavailable):
        await workers.search(0, "x", 10, None)


async def test_a_dead_worker_or_a_different_analyser_falls_back_to_this_process(
    engine: SearchEngine, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A killed worker: the search is answered here, said once in the log; after the pause new workers start.

    Workers built with another analyser than the bot's never answer (their terms would differ).
    """
    await engine.index_many(DOCS)
    expected = hits(await engine.answer(0, "licentie beeldbank"))
    workers = SearchWorkers(db.path, 1, engine.fingerprint, restart_pause=0)
    engine.attach(workers)
    try:
        assert await workers.warm()
        pool = workers._pool  # the test kills a worker process on purpose
        assert pool is not None
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="bot.domain.search.engine"):
            assert hits(await engine.search(0, "licentie beeldbank")) == expected
        assert sum("Search workers unavailable" in r.getMessage() for r in caplog.records) == 1
        assert hits(await workers.search(0, "licentie beeldbank", 10, None)) == expected  # new workers
    finally:
        engine.attach(None)
        await workers.close()
    other = SearchWorkers(db.path, 1, "another analyser")  # the default pause: no new processes per search
    engine.attach(other)
    try:
        assert not await other.warm()
        assert hits(await engine.search(0, "licentie beeldbank")) == expected
        assert other._pool is None  # paused, not respawned for this search
    finally:
        engine.attach(None)
        await other.close()
