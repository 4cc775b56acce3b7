"""Upgrading a database with a knowledge base to the scoped, compact index (migration 0016), then re-indexing."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.domain.search.models import NewDocument
from bot.services import Services, build_services

OLD_ROW = """
    INSERT INTO knowledge_documents (guild_id, source, source_key, kind, lang, theme, title, body, tags, url, solved,
                                     featured, helpful, unhelpful, index_title, index_tags, index_body, index_words,
                                     analyzer, created_at, updated_at)
    VALUES (:guild, 'faq', :key, 'faq', 'nl', NULL, :title, :body, '[]', NULL, 0, 0, 0, 0, :terms, '', :terms, :title,
            '2:old', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"""


async def test_an_upgraded_knowledge_base_is_found_again_after_the_background_re_index(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Old rows survive the migration, wait outside the index, and the re-index job brings every one back."""
    async with Database.open(tmp_path / "old.sqlite3") as db:
        await apply_migrations(db, target=15)
        async with db.transaction() as tx:
            for guild, key, title, body in [
                (0, "1", "Beeldbank kiezen", "Welke beeldbank past bij een klein museum?"),
                (7, "2", "Vrijwilligersbeleid", "Een beleid voor vrijwilligers in de erfgoedinstelling."),
                (8, "3", "Vrijwilligersbeleid", "Een beleid voor vrijwilligers in de erfgoedinstelling."),
            ]:
                await tx.execute(OLD_ROW, {"guild": guild, "key": key, "title": title, "body": body, "terms": "x"})
        await apply_migrations(db)
        services = build_services(db, clock)
        assert await services.search.count() == 3  # the rows are there ...
        assert (await services.search.search(7, "vrijwilligers")).hits == []  # ... but not in the index yet
        assert await services.search.schedule_reindex()
        await services.job_runner.run_due()
        await services.job_runner.wait_idle()
        found = await services.search.search(7, "vrijwilligers")
        assert [h.document.source_key for h in found.hits] == ["2"]  # server 7's own, never server 8's
        assert [h.document.source_key for h in (await services.search.search(8, "beeldbank")).hits] == ["1"]
        documents = {
            int(r[0]): int(r[1]) for r in await db.fetch_all("SELECT guild_id, documents FROM knowledge_scopes")
        }
        assert documents == {0: 1, 7: 1, 8: 1}
        assert not await services.search.schedule_reindex()  # nothing stale any more
        async with db.transaction() as tx:  # FTS5's own check of the index (raises if it is corrupt)
            await tx.execute("INSERT INTO knowledge_fts (knowledge_fts, rank) VALUES ('integrity-check', 1)")


async def test_the_consistency_check_sees_a_wrong_count_of_indexed_documents(services: Services, db: Database) -> None:
    """`steunpunt db check` reports a server whose indexed-document count (N for idf) disagrees with its documents."""
    await services.search.index(NewDocument(7, "import", "a", "faq", "Beeldbank", "Een beeldbank."))
    assert (await services.maintenance.check()).fts == []
    async with db.transaction() as tx:
        await tx.execute("UPDATE knowledge_scopes SET documents = 5 WHERE guild_id = 7")
    assert (await services.maintenance.check()).fts == ["knowledge_scopes: server 7 counts 5 indexed documents, has 1"]
