"""The search log's batching writer on real SQLite: ids at once, rows in few transactions, nothing lost on close."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite

from bot.clock import FixedClock
from bot.config import Settings
from bot.db.database import Database
from bot.db.repos.knowledge import KnowledgeRepo
from bot.domain.search.engine import SearchEngine
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import NewDocument
from bot.domain.search.search_log import SearchIds, SearchLog
from bot.services import Services
from bot.wiring import open_services

GUILD = 4242
NEVER = 3600.0  # an interval no test waits for: only a full batch or the end of the block writes


def _doc(key: str, title: str, body: str) -> NewDocument:
    return NewDocument(guild_id=0, source="faq", source_key=key, kind="faq", title=title, body=body, lang="nl")


async def _logged(db: Database) -> list[tuple[int, int, str, int]]:
    rows = await db.fetch_all("SELECT id, guild_id, query, result_count FROM search_log ORDER BY id")
    return [(r["id"], r["guild_id"], r["query"], r["result_count"]) for r in rows]


def _count_batches(db: Database) -> list[str]:
    """Every statement that writes search-log rows (one executemany per batch transaction)."""
    batches: list[str] = []
    db.step_hook = lambda sql: batches.append(sql) if "INSERT INTO search_log" in sql else None
    return batches


async def test_asked_searches_arrive_after_a_flush(services: Services, db: Database) -> None:
    """/ask returns its search id before the row is written; flush writes them all, under those ids."""
    await services.search.index(_doc("1", "Beeldbank kiezen", "Vergelijk beeldbanken op kosten."))
    first, found = await services.qa.ask(GUILD, "beeldbank kiezen")
    second, nothing = await services.qa.ask(GUILD, "blockchain strategie")
    assert second > first and found.hits and not nothing.hits
    assert await _logged(db) == []  # still pending: the answers did not wait for a write
    assert await services.search.flush_log() == 2
    assert await _logged(db) == [
        (first, GUILD, "beeldbank kiezen", 1),
        (second, GUILD, "blockchain strategie", 0),
    ]
    assert await services.search.flush_log() == 0  # nothing twice


async def test_two_writers_on_one_database_never_hand_out_the_same_id(db: Database, clock: FixedClock) -> None:
    """Two processes (two writers) and a restart hand out distinct, increasing ids, past the stored ones, without
    reading the table; both writers' rows are all stored."""
    repo = KnowledgeRepo(db)
    async with db.transaction() as tx:
        await repo.log_search(tx, GUILD, "van gisteren", 0, clock.now())
    first, second = SearchLog(db, repo, interval=NEVER), SearchLog(db, repo, interval=NEVER)
    ids = [await log.add(GUILD, f"vraag {i}", 0, clock.now()) for i in range(500) for log in (first, second)]
    assert len(set(ids)) == len(ids)
    assert ids[0] > 1
    assert await first.flush() == 500 and await second.flush() == 500
    assert len(await _logged(db)) == 1001


def test_search_ids_increase_through_a_burst_and_keep_their_tag() -> None:
    """More ids than one millisecond holds still increase strictly; the process tag sits in its bits."""
    ids = SearchIds(tag=5)
    handed = [ids.next() for _ in range(10_000)]
    assert handed == sorted(set(handed))
    assert all((i >> SearchIds.SEQUENCE_BITS) & ((1 << SearchIds.TAG_BITS) - 1) == 5 for i in handed)
    assert max(handed) < 2**63


async def test_closing_the_writer_flushes_what_is_pending(db: Database, clock: FixedClock) -> None:
    """Searches logged while the writer runs are all stored when its block ends, none before (long interval)."""
    repo = KnowledgeRepo(db)
    log = SearchLog(db, repo, interval=NEVER)
    engine = SearchEngine(db, repo, clock, Glossary.empty(), search_log=log)
    async with engine.log_writer():
        ids = [await engine.log(GUILD, f"vraag {i}", i) for i in range(5)]
        await asyncio.sleep(0)
        assert await _logged(db) == []
    assert [r[0] for r in await _logged(db)] == ids
    assert log.pending == 0


async def test_wiring_exit_flushes_the_bots_searches(tmp_path: Path) -> None:
    """The composition root runs the writer around the services: a search asked just before exit is stored."""
    settings = Settings(discord_token="x", database_path=tmp_path / "bot.sqlite3")
    async with open_services(settings) as services:
        search_id, _ = await services.qa.ask(GUILD, "subsidie aanvragen")
    async with Database.open(settings.database_path) as db:
        assert await _logged(db) == [(search_id, GUILD, "subsidie aanvragen", 0)]


async def test_a_burst_of_searches_is_written_in_few_transactions(db: Database, clock: FixedClock) -> None:
    """1,000 concurrent searches: every one logged under its own id, in about ten transactions, not a thousand."""
    repo = KnowledgeRepo(db)
    log = SearchLog(db, repo, batch_size=100, interval=NEVER)
    engine = SearchEngine(db, repo, clock, Glossary.empty(), search_log=log)
    await engine.index_many([_doc(str(i), f"Depot {i}", "Over depots en beeldbanken.") for i in range(20)])
    batches = _count_batches(db)
    async with engine.log_writer():
        results = await asyncio.gather(*(engine.search(GUILD, f"depot beeldbank {i}") for i in range(1000)))
    assert all(r.hits for r in results)
    logged = await _logged(db)
    assert len(logged) == 1000 and len({r[0] for r in logged}) == 1000
    assert 1 <= len(batches) <= 20, f"{len(batches)} transactions for 1,000 searches"


async def test_the_answer_does_not_wait_for_the_write_lock(services: Services, db: Database) -> None:
    """Another connection holds the write lock: /ask still answers; its log row is written once the lock is free."""
    await services.search.index(_doc("1", "Beeldbank kiezen", "Vergelijk beeldbanken op kosten."))
    async with aiosqlite.connect(str(db.path), isolation_level=None) as other:
        await other.execute("BEGIN IMMEDIATE")
        await other.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('lock', 'held', 't')")
        search_id, result = await services.qa.ask(GUILD, "beeldbank kiezen")  # reads only: no lock needed
        assert result.hits[0].document.title == "Beeldbank kiezen"
        flushing = asyncio.create_task(services.search.flush_log())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not flushing.done()  # the writer waits for the other connection, the answer did not
        await other.execute("ROLLBACK")
    assert await flushing == 1
    assert await _logged(db) == [(search_id, GUILD, "beeldbank kiezen", 1)]


async def test_a_forgotten_member_is_masked_in_pending_searches(services: Services, db: Database) -> None:
    """A search still pending when a member is forgotten is written first, so the masking covers it."""
    mention = "<@987654321012345678>"
    await services.qa.ask(GUILD, f"vraag voor {mention}")
    async with db.transaction() as tx:
        await services.search.forget_member(tx, GUILD, 987654321012345678)
    await services.search.flush_log()
    (row,) = await _logged(db)
    assert "987654321012345678" not in row[2] and row[2].startswith("vraag voor ")
