"""SQL for the knowledge base: documents, their full-text index, the vocabulary and the search log."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.privacy import neutralise_text
from bot.domain.search.models import (
    SHARED_GUILD,
    Candidate,
    IndexRecord,
    KnowledgeDocument,
    Upserted,
    stored_terms,
)
from bot.domain.search.search_log import LoggedSearch
from bot.domain.search.typo import delete_keys

log = logging.getLogger(__name__)

_GET = """
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at
    FROM knowledge_documents AS d
    WHERE d.id = :id"""

_GET_BY_KEY = """
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at
    FROM knowledge_documents AS d
    WHERE d.guild_id = :guild_id AND d.source = :source AND d.source_key = :source_key"""

_STORED_BY_KEYS = """
    SELECT d.id, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url, d.solved, d.featured,
           d.index_title, d.index_tags, d.index_body, d.index_words, d.analyzer
    FROM knowledge_documents AS d
    WHERE d.guild_id = :guild_id AND d.source = :source
      AND d.source_key IN (SELECT value FROM json_each(:keys))"""

_IDS_BY_KEYS = """
    SELECT d.id, d.source_key
    FROM knowledge_documents AS d
    WHERE d.guild_id = :guild_id AND d.source = :source
      AND d.source_key IN (SELECT value FROM json_each(:keys))"""

_UPSERT = """
    INSERT INTO knowledge_documents (guild_id, source, source_key, kind, lang, theme, title, body, tags, url,
                                     solved, featured, index_title, index_tags, index_body, index_words,
                                     analyzer, created_at, updated_at)
    VALUES (:guild_id, :source, :source_key, :kind, :lang, :theme, :title, :body, :tags, :url,
            :solved, :featured, :index_title, :index_tags, :index_body, :index_words,
            :analyzer, :now, :now)
    ON CONFLICT (guild_id, source, source_key) DO UPDATE SET
        kind = excluded.kind,
        lang = excluded.lang,
        theme = excluded.theme,
        title = excluded.title,
        body = excluded.body,
        tags = excluded.tags,
        url = excluded.url,
        solved = excluded.solved,
        featured = excluded.featured,
        index_title = excluded.index_title,
        index_tags = excluded.index_tags,
        index_body = excluded.index_body,
        index_words = excluded.index_words,
        analyzer = excluded.analyzer,
        updated_at = excluded.updated_at"""

_DELETE = """
    DELETE FROM knowledge_documents
    WHERE guild_id = :guild_id AND source = :source AND source_key = :source_key
    RETURNING index_title, index_tags, index_body, index_words"""

_ADD_TERMS = """
    INSERT INTO knowledge_terms (term, guild_id, doc_count) VALUES (:term, :guild_id, :delta)
    ON CONFLICT (term, guild_id) DO UPDATE SET doc_count = doc_count + excluded.doc_count"""

_SUBTRACT_TERMS = """
    UPDATE knowledge_terms SET doc_count = max(0, doc_count - :delta) WHERE term = :term AND guild_id = :guild_id"""

_DROP_EMPTY_TERM = """
    DELETE FROM knowledge_terms WHERE term = :term AND guild_id = :guild_id AND doc_count <= 0"""

_KNOWN_WORDS = """
    SELECT k.key
    FROM knowledge_term_keys AS k
    WHERE k.key IN (SELECT value FROM json_each(:words)) AND k.term = k.key"""

_ADD_KEY = """
    INSERT OR IGNORE INTO knowledge_term_keys (key, term) VALUES (:key, :term)"""

_TERM_COUNTS = """
    SELECT t.term, sum(t.doc_count) AS doc_count
    FROM knowledge_terms AS t
    WHERE t.term IN (SELECT value FROM json_each(:terms)) AND t.guild_id IN (:guild_id, :shared)
    GROUP BY t.term"""

_TYPO_CANDIDATES = """
    SELECT k.term, sum(t.doc_count) AS doc_count
    FROM knowledge_term_keys AS k
    JOIN knowledge_terms AS t ON t.term = k.term AND t.guild_id IN (:guild_id, :shared)
    WHERE k.key IN (SELECT value FROM json_each(:keys)) AND t.doc_count > 0
    GROUP BY k.term"""

_CANDIDATES_FAST = """
    WITH top AS (
        SELECT rowid AS id, bm25(knowledge_fts, :w_title, :w_tags, :w_body) AS rank
        FROM knowledge_fts
        WHERE knowledge_fts MATCH :match
        ORDER BY rank
        LIMIT :overfetch
    )
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at,
           d.index_title, d.index_tags, d.index_body
    FROM top JOIN knowledge_documents AS d ON d.id = top.id
    WHERE d.guild_id IN (:guild_id, :shared)
    ORDER BY top.rank
    LIMIT :limit"""

_CANDIDATES_EXACT = """
    WITH top AS (
        SELECT f.rowid AS id, bm25(knowledge_fts, :w_title, :w_tags, :w_body) AS rank
        FROM knowledge_fts AS f
        JOIN knowledge_documents AS g ON g.id = f.rowid
        WHERE knowledge_fts MATCH :match AND g.guild_id IN (:guild_id, :shared)
        ORDER BY rank
        LIMIT :limit
    )
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at,
           d.index_title, d.index_tags, d.index_body
    FROM top JOIN knowledge_documents AS d ON d.id = top.id
    ORDER BY top.rank"""

OVERFETCH = 4
"""The fast path ranks this many times ``limit`` documents of every server, then keeps the searching
server's (and the shared) ones; only if too few remain does the exact, per-row-filtered query run."""

_FEEDBACK_HELPFUL = """
    UPDATE knowledge_documents SET helpful = max(0, helpful + :delta) WHERE id = :id"""

_FEEDBACK_UNHELPFUL = """
    UPDATE knowledge_documents SET unhelpful = max(0, unhelpful + :delta) WHERE id = :id"""

_SET_FEATURED = """
    UPDATE knowledge_documents SET featured = :featured, updated_at = :now WHERE id = :id"""

_COUNT = """
    SELECT count(*) FROM knowledge_documents WHERE guild_id IN (:guild_id, :shared)"""

_COUNT_ALL = """
    SELECT count(*) FROM knowledge_documents"""

_STALE = """
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at
    FROM knowledge_documents AS d
    WHERE d.analyzer <> :analyzer
    ORDER BY d.id
    LIMIT :limit"""

_BY_SOURCES = """
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at
    FROM knowledge_documents AS d
    WHERE d.source IN (SELECT value FROM json_each(:sources))
    ORDER BY d.id"""

_LOG_SEARCH = """
    INSERT INTO search_log (guild_id, query, result_count, created_at)
    VALUES (:guild_id, :query, :result_count, :now)"""

_LOG_SEARCHES = """
    INSERT INTO search_log (id, guild_id, query, result_count, created_at)
    VALUES (:id, :guild_id, :query, :result_count, :now)"""


_UNANSWERED = """
    SELECT s.query, count(*) AS times, max(s.created_at) AS last_at
    FROM search_log AS s
    WHERE s.guild_id = :guild_id AND s.result_count = 0 AND s.created_at >= :since
    GROUP BY lower(s.query)
    ORDER BY times DESC, last_at DESC
    LIMIT :limit"""

_PURGE_LOG = """
    DELETE FROM search_log WHERE created_at < :before"""

_OPTIMIZE = """
    INSERT INTO knowledge_fts (knowledge_fts) VALUES ('optimize')"""

_PRUNE_WORD = """
    DELETE FROM knowledge_term_keys
    WHERE term = :word AND NOT EXISTS (SELECT 1 FROM knowledge_terms WHERE term = :word AND doc_count > 0)"""


class KnowledgeRepo:
    """Stores knowledge documents and answers the engine's index lookups."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_documents(self, tx: Transaction, records: Sequence[IndexRecord], now: datetime) -> Upserted:
        """Insert or update many documents inside the caller's transaction; return their ids in input order.

        Identity is ``(guild_id, source, source_key)`` (the last record wins if one repeats), so
        importing the same data twice changes nothing. The FTS index follows through triggers; the
        vocabulary counts are adjusted here, in the same transaction.
        """
        latest = {(r.doc.guild_id, r.doc.source, r.doc.source_key): r for r in records}
        stored = await self._stored(tx, list(latest.values()))
        deltas: Counter[tuple[str, int]] = Counter()
        rows: list[dict[str, object]] = []
        words: set[str] = set()
        for key, record in latest.items():
            old = stored.get(key)
            if old is not None and _same(old, record):
                continue
            if old is not None:
                old_terms = stored_terms(old["index_title"], old["index_tags"], old["index_body"], old["index_words"])
                deltas.subtract({(term, record.doc.guild_id): 1 for term in old_terms})
            deltas.update({(term, record.doc.guild_id): 1 for term in record.terms()})
            words.update(record.words.split())
            rows.append(_params(record, now))
        if rows:
            await tx.executemany(_UPSERT, rows)
            await self._apply_deltas(tx, deltas)
            await self._add_keys(tx, words)
        ids = await self._ids(tx, list(latest))
        return Upserted(
            ids=tuple(ids[(r.doc.guild_id, r.doc.source, r.doc.source_key)] for r in records), changed=len(rows)
        )

    async def delete_document(self, tx: Transaction, guild_id: int, source: str, source_key: str) -> bool:
        """Remove a document and its index entries inside the caller's transaction; False if there was none."""
        rows = await tx.execute_returning(_DELETE, {"guild_id": guild_id, "source": source, "source_key": source_key})
        if not rows:
            return False
        row = rows[0]
        terms = stored_terms(row["index_title"], row["index_tags"], row["index_body"], row["index_words"])
        await self._apply_deltas(tx, Counter({(t, guild_id): -1 for t in terms}))
        return True

    async def get_document(self, doc_id: int) -> KnowledgeDocument | None:
        """One document by id, or None."""
        row = await self._db.fetch_one(_GET, {"id": doc_id})
        return None if row is None else _to_document(row)

    async def get_by_key(
        self, guild_id: int, source: str, source_key: str, tx: Reader | None = None
    ) -> KnowledgeDocument | None:
        """One document by its identity, or None."""
        params = {"guild_id": guild_id, "source": source, "source_key": source_key}
        row = await (tx or self._db).fetch_one(_GET_BY_KEY, params)
        return None if row is None else _to_document(row)

    async def term_counts(self, guild_id: int, terms: Iterable[str]) -> dict[str, int]:
        """Document counts of the given terms among the documents a server can see (absent = 0)."""
        params = {"terms": json.dumps(sorted(set(terms))), "guild_id": guild_id, "shared": SHARED_GUILD}
        rows = await self._db.fetch_all(_TERM_COUNTS, params)
        return {str(r["term"]): int(r["doc_count"]) for r in rows}

    async def known_words(self, words: Iterable[str]) -> set[str]:
        """Which of ``words`` have ever been indexed as surface words (any server; for compound splitting)."""
        rows = await self._db.fetch_all(_KNOWN_WORDS, {"words": json.dumps(sorted(set(words)))})
        return {str(r["key"]) for r in rows}

    async def typo_candidates(self, guild_id: int, keys: Sequence[str]) -> dict[str, int]:
        """Vocabulary words sharing a delete key with ``keys``, with their document counts."""
        params = {"keys": json.dumps(list(keys)), "guild_id": guild_id, "shared": SHARED_GUILD}
        rows = await self._db.fetch_all(_TYPO_CANDIDATES, params)
        return {str(r["term"]): int(r["doc_count"]) for r in rows}

    async def candidates(
        self, guild_id: int, match: str, limit: int, weights: tuple[float, float, float]
    ) -> list[Candidate]:
        """The best ``limit`` documents of this server (and the shared ones) for an FTS5 MATCH expression.

        Ranked by bm25 with column weights.

        ``match`` must be built by the engine from analysed terms only (quoted, joined with OR).
        """
        params = {
            "match": match,
            "guild_id": guild_id,
            "shared": SHARED_GUILD,
            "limit": limit,
            "overfetch": limit * OVERFETCH,
            "w_title": weights[0],
            "w_tags": weights[1],
            "w_body": weights[2],
        }
        # Ranking the FTS table alone is ~2.5x faster than joining every match to filter by server.
        rows = await self._db.fetch_all(_CANDIDATES_FAST, params)
        if len(rows) < limit:  # few matches, or other servers' documents crowded the top: be exact
            rows = await self._db.fetch_all(_CANDIDATES_EXACT, params)
        return [Candidate(_to_document(r), r["index_title"], r["index_tags"], r["index_body"]) for r in rows]

    async def record_feedback(self, tx: Transaction, doc_id: int, *, helpful: bool, delta: int = 1) -> bool:
        """Add ``delta`` (-1 withdraws a vote) to a document's helpful or unhelpful counter, never below 0.

        Returns False if the document does not exist.
        """
        sql = _FEEDBACK_HELPFUL if helpful else _FEEDBACK_UNHELPFUL
        return await tx.execute_rowcount(sql, {"id": doc_id, "delta": delta}) > 0

    async def set_featured(self, tx: Transaction, doc_id: int, featured: bool, now: datetime) -> bool:
        """Feature or unfeature a document; False if it does not exist."""
        params = {"id": doc_id, "featured": int(featured), "now": to_iso(now)}
        return await tx.execute_rowcount(_SET_FEATURED, params) > 0

    async def count(self, guild_id: int | None = None) -> int:
        """How many documents a server can see, or how many exist at all when ``guild_id`` is None."""
        if guild_id is None:
            return int(await self._db.fetch_value(_COUNT_ALL) or 0)
        return int(await self._db.fetch_value(_COUNT, {"guild_id": guild_id, "shared": SHARED_GUILD}) or 0)

    async def by_sources(self, sources: Sequence[str]) -> list[KnowledgeDocument]:
        """Every stored document (all servers) that came from one of ``sources``."""
        rows = await self._db.fetch_all(_BY_SOURCES, {"sources": json.dumps(list(sources))})
        return [_to_document(r) for r in rows]

    async def stale_documents(self, analyzer: str, limit: int) -> list[KnowledgeDocument]:
        """Documents analysed by a different analyser or glossary than ``analyzer``."""
        rows = await self._db.fetch_all(_STALE, {"analyzer": analyzer, "limit": limit})
        return [_to_document(r) for r in rows]

    async def log_search(self, tx: Transaction, guild_id: int, query: str, result_count: int, now: datetime) -> int:
        """Remember a search (no user id) so moderators can see what found nothing; return its id."""
        params = {
            "guild_id": guild_id,
            "query": query,
            "result_count": result_count,
            "now": to_iso(now),
        }
        return await tx.execute(_LOG_SEARCH, params)

    async def log_searches(self, tx: Transaction, rows: Sequence[LoggedSearch]) -> None:
        """Store a batch of searches under the ids they were given when they were made (one statement)."""
        await tx.executemany(
            _LOG_SEARCHES,
            [
                {
                    "id": r.id,
                    "guild_id": r.guild_id,
                    "query": r.query,
                    "result_count": r.result_count,
                    "now": to_iso(r.created_at),
                }
                for r in rows
            ],
        )

    async def unanswered_searches(self, guild_id: int, since: datetime, limit: int = 20) -> list[tuple[str, int]]:
        """The most frequent searches without results since a moment, as ``(query, times)``."""
        rows = await self._db.fetch_all(_UNANSWERED, {"guild_id": guild_id, "since": to_iso(since), "limit": limit})
        return [(str(r["query"]), int(r["times"])) for r in rows]

    async def purge_search_log(self, tx: Transaction, before: datetime) -> int:
        """Delete search-log rows older than a moment; return how many."""
        return await tx.execute_rowcount(_PURGE_LOG, {"before": to_iso(before)})

    async def optimize(self, tx: Transaction) -> None:
        """Merge the full-text index into one segment, dropping every deleted entry for good."""
        await tx.execute(_OPTIMIZE)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Mask the member's id in this server's logged searches, and drop it from the typo vocabulary.

        Run after the owners of indexed content re-indexed their neutralised texts, so the id no longer
        counts as a word of any document.
        """
        changed = await neutralise_text(tx, "search_log", ("query",), guild_id, user_id, key="id")
        pruned = await tx.execute_rowcount(_PRUNE_WORD, {"word": str(user_id)})
        return len(changed) + pruned

    @staticmethod
    async def _stored(tx: Transaction, records: Sequence[IndexRecord]) -> dict[tuple[int, str, str], sqlite3.Row]:
        groups: dict[tuple[int, str], list[str]] = {}
        for record in records:
            groups.setdefault((record.doc.guild_id, record.doc.source), []).append(record.doc.source_key)
        found: dict[tuple[int, str, str], sqlite3.Row] = {}
        for (guild_id, source), keys in groups.items():
            params = {"guild_id": guild_id, "source": source, "keys": json.dumps(keys)}
            for row in await tx.fetch_all(_STORED_BY_KEYS, params):
                found[(guild_id, source, str(row["source_key"]))] = row
        return found

    @staticmethod
    async def _ids(tx: Transaction, keys: Sequence[tuple[int, str, str]]) -> dict[tuple[int, str, str], int]:
        groups: dict[tuple[int, str], list[str]] = {}
        for guild_id, source, source_key in keys:
            groups.setdefault((guild_id, source), []).append(source_key)
        found: dict[tuple[int, str, str], int] = {}
        for (guild_id, source), source_keys in groups.items():
            params = {"guild_id": guild_id, "source": source, "keys": json.dumps(source_keys)}
            for row in await tx.fetch_all(_IDS_BY_KEYS, params):
                found[(guild_id, source, str(row["source_key"]))] = int(row["id"])
        return found

    @staticmethod
    async def _apply_deltas(tx: Transaction, deltas: Counter[tuple[str, int]]) -> None:
        added = [{"term": t, "guild_id": g, "delta": d} for (t, g), d in deltas.items() if d > 0]
        removed = [{"term": t, "guild_id": g, "delta": -d} for (t, g), d in deltas.items() if d < 0]
        await tx.executemany(_ADD_TERMS, added)
        if removed:
            await tx.executemany(_SUBTRACT_TERMS, removed)
            await tx.executemany(_DROP_EMPTY_TERM, [{"term": p["term"], "guild_id": p["guild_id"]} for p in removed])

    @staticmethod
    async def _add_keys(tx: Transaction, words: set[str]) -> None:
        if not words:
            return
        known = {str(r["key"]) for r in await tx.fetch_all(_KNOWN_WORDS, {"words": json.dumps(sorted(words))})}
        rows = [{"key": key, "term": word} for word in sorted(words - known) for key in delete_keys(word)]
        await tx.executemany(_ADD_KEY, rows)


_COMPARED = (
    "kind",
    "lang",
    "theme",
    "title",
    "body",
    "tags",
    "url",
    "solved",
    "featured",
    "index_title",
    "index_tags",
    "index_body",
    "index_words",
    "analyzer",
)


def _fields(record: IndexRecord) -> dict[str, object]:
    doc = record.doc
    return {
        "guild_id": doc.guild_id,
        "source": doc.source,
        "source_key": doc.source_key,
        "kind": doc.kind,
        "lang": doc.lang,
        "theme": doc.theme,
        "title": doc.title,
        "body": doc.body,
        "tags": json.dumps(list(doc.tags), ensure_ascii=False),
        "url": doc.url,
        "solved": int(doc.solved),
        "featured": int(doc.featured),
        "index_title": record.title_terms,
        "index_tags": record.tags_terms,
        "index_body": record.body_terms,
        "index_words": record.words,
        "analyzer": record.analyzer,
    }


def _params(record: IndexRecord, now: datetime) -> dict[str, object]:
    return {**_fields(record), "now": to_iso(now)}


def _same(row: sqlite3.Row, record: IndexRecord) -> bool:
    new = _fields(record)
    return all(row[k] == new[k] for k in _COMPARED)


def _to_document(row: sqlite3.Row) -> KnowledgeDocument:
    return KnowledgeDocument(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        source=str(row["source"]),
        source_key=str(row["source_key"]),
        kind=str(row["kind"]),
        lang=row["lang"],
        theme=row["theme"],
        title=str(row["title"]),
        body=str(row["body"]),
        tags=tuple(json.loads(row["tags"])),
        url=row["url"],
        solved=bool(row["solved"]),
        featured=bool(row["featured"]),
        helpful=int(row["helpful"]),
        unhelpful=int(row["unhelpful"]),
        created_at=str(row["created_at"]),
        updated_at=str(row["updated_at"]),
    )
