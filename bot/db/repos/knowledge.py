"""SQL for the knowledge base: documents, their scoped full-text index, helpfulness votes and the search log.

The index (migration 0016) is a contentless FTS5 table whose tokens carry their server's scope,
``"<scope>_<term>"``: a server's search reads only its own doclists and those of the shared scope 0. Per-scope
document frequencies come from the ``knowledge_vocab`` fts5vocab table; N per scope from ``knowledge_scopes``.
This repository is the only code that writes ``knowledge_documents``, its index and ``knowledge_votes``.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Reader, Transaction
from bot.db.repos.privacy import neutralise_text
from bot.domain.search.models import (
    SHARED_GUILD,
    Candidate,
    IndexRecord,
    KnowledgeDocument,
    Upserted,
)
from bot.domain.search.search_log import LoggedSearch
from bot.domain.search.termdata import FieldCounts, TermData, encode, index_text, pack_text, unpack_text

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
           d.analyzer, d.terms
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
                                     solved, featured, helpful, unhelpful, terms, analyzer, created_at, updated_at)
    VALUES (:guild_id, :source, :source_key, :kind, :lang, :theme, :title, :body, :tags, :url,
            :solved, :featured, (SELECT count(*) FROM knowledge_votes AS v
             WHERE v.doc_guild_id = :guild_id AND v.source = :source AND v.source_key = :source_key
               AND v.helpful = 1), (SELECT count(*) FROM knowledge_votes AS v
             WHERE v.doc_guild_id = :guild_id AND v.source = :source AND v.source_key = :source_key
               AND v.helpful = 0), :terms, :analyzer, :now, :now)
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
        terms = excluded.terms,
        analyzer = excluded.analyzer,
        updated_at = excluded.updated_at"""

_DELETE = """
    DELETE FROM knowledge_documents
    WHERE guild_id = :guild_id AND source = :source AND source_key = :source_key
    RETURNING id, terms"""

_FTS_INSERT = """
    INSERT INTO knowledge_fts (rowid, terms) VALUES (:id, :terms)"""

_FTS_DELETE = """
    INSERT INTO knowledge_fts (knowledge_fts, rowid, terms) VALUES ('delete', :id, :terms)"""

_SCOPES = """
    SELECT guild_id, scope, documents FROM knowledge_scopes WHERE guild_id IN (:guild_id, :shared)"""

_NEW_SCOPE = """
    INSERT INTO knowledge_scopes (guild_id, documents) VALUES (:guild_id, 0)
    ON CONFLICT (guild_id) DO NOTHING"""

_PURGE_DOCUMENTS = """
    DELETE FROM knowledge_documents WHERE guild_id = :guild_id RETURNING id, terms"""

_PURGE_TERMS = """
    DELETE FROM knowledge_terms WHERE scope = :scope"""

_PURGE_SCOPE = """
    DELETE FROM knowledge_scopes WHERE guild_id = :guild_id"""

_DROP_DOCUMENT_VOTES = """
    DELETE FROM knowledge_votes WHERE doc_guild_id = :guild_id AND source = :source AND source_key = :source_key"""

_PURGE_VOTES = """
    DELETE FROM knowledge_votes WHERE guild_id = :guild_id OR doc_guild_id = :guild_id"""

_SCOPE_OF = """
    SELECT scope FROM knowledge_scopes WHERE guild_id = :guild_id"""

_COUNT_DOCUMENTS = """
    UPDATE knowledge_scopes SET documents = max(0, documents + :delta) WHERE guild_id = :guild_id"""

_TERM_COUNTS = """
    SELECT t.term, sum(t.documents) AS documents FROM knowledge_terms AS t
    WHERE t.scope IN (SELECT value FROM json_each(:scopes)) AND t.term IN (SELECT value FROM json_each(:terms))
    GROUP BY t.term"""

_ADD_TERMS = """
    INSERT INTO knowledge_terms (scope, term, documents) VALUES (:scope, :term, :delta)
    ON CONFLICT (scope, term) DO UPDATE SET documents = documents + excluded.documents"""

_SUBTRACT_TERMS = """
    UPDATE knowledge_terms SET documents = documents - :delta WHERE scope = :scope AND term = :term
    AND documents > :delta"""

_DROP_TERMS = """
    DELETE FROM knowledge_terms WHERE scope = :scope AND term = :term AND documents <= :delta"""

_CANDIDATES = """
    WITH query AS (
        SELECT value ->> 0 AS expression, value ->> 1 AS weight FROM json_each(:groups)
    ), top AS (
        SELECT f.rowid AS id, sum(q.weight) AS score
        FROM query AS q CROSS JOIN knowledge_fts AS f
        WHERE f.knowledge_fts MATCH q.expression
        GROUP BY f.rowid
        ORDER BY score DESC, id
        LIMIT :limit
    )
    SELECT d.id, d.guild_id, d.source, d.source_key, d.kind, d.lang, d.theme, d.title, d.body, d.tags, d.url,
           d.solved, d.featured, d.helpful, d.unhelpful, d.created_at, d.updated_at, d.terms
    FROM top JOIN knowledge_documents AS d ON d.id = top.id
    WHERE d.guild_id IN (SELECT value FROM json_each(:guilds))
    ORDER BY top.score DESC, top.id"""
"""One MATCH per group (a concept's terms OR-ed, in both scopes): each reads its terms' doclists once, so the
cost is the postings of the chosen terms, which the engine keeps within a budget."""

_VOTE_GET = """
    SELECT helpful FROM knowledge_votes
    WHERE doc_guild_id = :doc_guild_id AND source = :source AND source_key = :source_key AND user_id = :user_id"""

_VOTE_SET = """
    INSERT INTO knowledge_votes (doc_guild_id, source, source_key, user_id, guild_id, helpful, created_at)
    VALUES (:doc_guild_id, :source, :source_key, :user_id, :guild_id, :helpful, :now)
    ON CONFLICT (doc_guild_id, source, source_key, user_id) DO UPDATE SET
        helpful = excluded.helpful, guild_id = excluded.guild_id, created_at = excluded.created_at"""

_VOTE_DELETE = """
    DELETE FROM knowledge_votes
    WHERE doc_guild_id = :doc_guild_id AND source = :source AND source_key = :source_key AND user_id = :user_id"""

_RECOUNT = """
    UPDATE knowledge_documents SET
        helpful = (SELECT count(*) FROM knowledge_votes AS v
                   WHERE v.doc_guild_id = :doc_guild_id AND v.source = :source AND v.source_key = :source_key
                     AND v.helpful = 1),
        unhelpful = (SELECT count(*) FROM knowledge_votes AS v
                     WHERE v.doc_guild_id = :doc_guild_id AND v.source = :source AND v.source_key = :source_key
                       AND v.helpful = 0)
    WHERE guild_id = :doc_guild_id AND source = :source AND source_key = :source_key"""

_MEMBER_VOTES = """
    SELECT doc_guild_id, source, source_key, helpful, created_at FROM knowledge_votes
    WHERE guild_id = :guild_id AND user_id = :user_id
    ORDER BY created_at, doc_guild_id, source, source_key"""

_FORGET_VOTES = """
    DELETE FROM knowledge_votes WHERE guild_id = :guild_id AND user_id = :user_id
    RETURNING doc_guild_id, source, source_key"""

_SET_FLAGS = """
    UPDATE knowledge_documents SET featured = coalesce(:featured, featured), solved = coalesce(:solved, solved),
                                   updated_at = :now
    WHERE guild_id = :guild_id AND source = :source AND source_key = :source_key"""

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

_ANY_STALE = """
    SELECT count(*) FROM knowledge_documents WHERE analyzer <> :analyzer"""

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

_SAFE_TERM = re.compile(r"[a-z0-9_]+")


class KnowledgeRepo:
    """Stores knowledge documents, their scoped index and votes, and answers the engine's index lookups."""

    def __init__(self, db: Reader) -> None:
        self._db = db

    async def upsert_documents(
        self, tx: Transaction, records: Sequence[IndexRecord], now: datetime, *, only_stale: bool = False
    ) -> Upserted:
        """Insert or update many documents inside the caller's transaction; return their ids in input order.

        Identity is ``(guild_id, source, source_key)`` (the last record wins if one repeats), so importing the
        same data twice changes nothing: a document whose text and analyser did not change is not rewritten.
        Its index entries are replaced in the same transaction.

        ``only_stale`` (the background re-index): a record is written only if its document is still there, still
        analysed by another analyser, and unchanged since it was read, so an edit, removal or re-index made
        meanwhile is never undone.
        """
        latest = {(r.doc.guild_id, r.doc.source, r.doc.source_key): r for r in records}
        stored = await self._stored(tx, list(latest.values()))
        rows: list[dict[str, object]] = []
        removed: list[dict[str, object]] = []
        added: list[tuple[tuple[int, str, str], IndexRecord]] = []
        new_docs: Counter[int] = Counter()
        deltas: dict[int, Counter[str]] = {}
        scopes: dict[int, int] = {}
        for key, record in latest.items():
            old = stored.get(key)
            if old is not None and old["terms"] is not None and _same(old, record):
                continue
            if only_stale and (old is None or old["analyzer"] == record.analyzer or not _same_content(old, record)):
                continue
            scope = await self._scope(tx, record.doc.guild_id, scopes)
            if old is not None and old["terms"] is not None:
                counts = TermData.decode(old["terms"]).counts()
                removed.append(_fts_row(int(old["id"]), counts, scope))
                deltas.setdefault(scope, Counter()).subtract(set().union(*counts))
            else:
                new_docs[record.doc.guild_id] += 1
            deltas.setdefault(scope, Counter()).update(record.terms())
            rows.append(_params(record, now))
            added.append((key, record))
        if rows:
            await tx.executemany(_UPSERT, rows)
            if removed:
                await tx.executemany(_FTS_DELETE, removed)
        ids = await self._ids(tx, list(latest))
        if added:
            fts = [_fts_row(ids[key], record.fields, scopes[record.doc.guild_id]) for key, record in added]
            await tx.executemany(_FTS_INSERT, fts)
            await tx.executemany(_COUNT_DOCUMENTS, [{"guild_id": g, "delta": n} for g, n in sorted(new_docs.items())])
            await self._apply_deltas(tx, deltas)
        keys = [(r.doc.guild_id, r.doc.source, r.doc.source_key) for r in records]
        return Upserted(ids=tuple(ids[k] for k in keys if k in ids), changed=len(rows))

    async def delete_document(
        self, tx: Transaction, guild_id: int, source: str, source_key: str, *, drop_votes: bool = False
    ) -> bool:
        """Remove a document and its index entries inside the caller's transaction; False if there was none.

        With ``drop_votes`` its helpfulness votes are deleted too.
        """
        key = {"guild_id": guild_id, "source": source, "source_key": source_key}
        if drop_votes:
            await tx.execute(_DROP_DOCUMENT_VOTES, key)
        rows = await tx.execute_returning(_DELETE, key)
        if not rows:
            return False
        row = rows[0]
        if row["terms"] is not None:
            scope = await self._scope(tx, guild_id, {})
            counts = TermData.decode(row["terms"]).counts()
            await tx.execute(_FTS_DELETE, _fts_row(int(row["id"]), counts, scope))
            await tx.execute(_COUNT_DOCUMENTS, {"guild_id": guild_id, "delta": -1})
            await self._apply_deltas(tx, {scope: Counter(dict.fromkeys(set().union(*counts), -1))})
        return True

    @staticmethod
    async def purge_guild(tx: Transaction, guild_id: int) -> int:
        """Remove a departed server's knowledge for good; return how many documents went.

        Its documents and their index entries, its term counts, its scope and its members' votes. Its scope
        number is never given again (AUTOINCREMENT) and document ids are never reused either, so no index entry
        of a server can ever point at another server's document.
        """
        scope = await tx.fetch_value(_SCOPE_OF, {"guild_id": guild_id})
        rows = await tx.execute_returning(_PURGE_DOCUMENTS, {"guild_id": guild_id})
        if scope is not None:
            indexed = [r for r in rows if r["terms"] is not None]
            removed = [_fts_row(int(r["id"]), TermData.decode(r["terms"]).counts(), int(scope)) for r in indexed]
            await tx.executemany(_FTS_DELETE, removed)
            await tx.execute(_PURGE_TERMS, {"scope": int(scope)})
        await tx.execute(_PURGE_SCOPE, {"guild_id": guild_id})
        await tx.execute(_PURGE_VOTES, {"guild_id": guild_id})
        return len(rows)

    @staticmethod
    async def _apply_deltas(tx: Transaction, deltas: Mapping[int, Counter[str]]) -> None:
        """Move the per-scope document counts of terms; a count that reaches 0 is dropped."""
        added = [{"scope": s, "term": t, "delta": d} for s, c in deltas.items() for t, d in c.items() if d > 0]
        removed = [{"scope": s, "term": t, "delta": -d} for s, c in deltas.items() for t, d in c.items() if d < 0]
        if added:
            await tx.executemany(_ADD_TERMS, added)
        if removed:
            await tx.executemany(_DROP_TERMS, removed)  # first: a count the subtraction lowers must stay
            await tx.executemany(_SUBTRACT_TERMS, removed)

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
        """Document counts of the given terms among the documents a server can see (absent = 0).

        The empty term ``''`` gives the number of those documents (N). Only this server's scope and the shared
        one are read.
        """
        scopes = await self._read_scopes(guild_id)
        wanted = sorted({t for t in terms if t and _SAFE_TERM.fullmatch(t)})
        found: dict[str, int] = {"": sum(n for _, n in scopes)}
        if not wanted or not scopes:
            return found
        params = {"scopes": json.dumps([scope for scope, _ in scopes]), "terms": json.dumps(wanted)}
        for row in await self._db.fetch_all(_TERM_COUNTS, params):
            found[str(row["term"])] = int(row["documents"])
        return found

    async def candidates(
        self, guild_id: int, groups: Sequence[tuple[Sequence[str], float]], limit: int
    ) -> list[Candidate]:
        """The best ``limit`` documents of this server (and the shared ones) for weighted groups of query terms.

        A document scores the sum of the weights of the groups it has a term of; only this server's and the
        shared scope's doclists are read. Terms are the engine's own analysed terms; anything else is dropped.
        """
        scopes = await self._read_scopes(guild_id)
        query: list[list[object]] = []
        for terms, weight in groups:
            safe = [t for t in terms if _SAFE_TERM.fullmatch(t)]
            if safe:
                query.append([" OR ".join(f'"{scope}_{t}"' for scope, _ in scopes for t in safe), weight])
        if not query or not scopes:
            return []
        guilds = json.dumps(sorted({guild_id, SHARED_GUILD}))  # never anything else, whatever the index holds
        rows = await self._db.fetch_all(_CANDIDATES, {"groups": json.dumps(query), "limit": limit, "guilds": guilds})
        return [Candidate(_to_document(r), TermData.decode(r["terms"])) for r in rows]

    async def vote(
        self,
        tx: Transaction,
        document: tuple[int, str, str],
        guild_id: int,
        user_id: int,
        helpful: bool | None,
        now: datetime,
    ) -> bool:
        """Set (or with None withdraw) a member's one vote on a document; recount it. False if nothing changed.

        ``document`` is its identity ``(guild_id, source, source_key)``; ``guild_id`` the server voted in.
        """
        key = {"doc_guild_id": document[0], "source": document[1], "source_key": document[2], "user_id": user_id}
        before = await tx.fetch_value(_VOTE_GET, key)
        wanted = None if helpful is None else int(helpful)
        if before == wanted:
            return False
        if wanted is None:
            await tx.execute(_VOTE_DELETE, key)
        else:
            await tx.execute(_VOTE_SET, {**key, "guild_id": guild_id, "helpful": wanted, "now": to_iso(now)})
        await tx.execute(_RECOUNT, key)
        return True

    async def member_votes(self, guild_id: int, user_id: int) -> list[dict[str, object]]:
        """The votes a member gave in a server (for their data export)."""
        rows = await self._db.fetch_all(_MEMBER_VOTES, {"guild_id": guild_id, "user_id": user_id})
        return [dict(r) for r in rows]

    async def forget_votes(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's votes in a server and recount the documents they were on; return how many."""
        rows = await tx.execute_returning(_FORGET_VOTES, {"guild_id": guild_id, "user_id": user_id})
        keys = {(int(r["doc_guild_id"]), str(r["source"]), str(r["source_key"])) for r in rows}
        await tx.executemany(_RECOUNT, [{"doc_guild_id": g, "source": s, "source_key": k} for g, s, k in sorted(keys)])
        return len(rows)

    async def set_flags(
        self,
        tx: Transaction,
        document: tuple[int, str, str],
        now: datetime,
        *,
        featured: bool | None = None,
        solved: bool | None = None,
    ) -> bool:
        """Change a document's featured or solved flag (None keeps it); False if the document does not exist."""
        params = {
            "guild_id": document[0],
            "source": document[1],
            "source_key": document[2],
            "featured": None if featured is None else int(featured),
            "solved": None if solved is None else int(solved),
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_SET_FLAGS, params) > 0

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
        """Documents analysed by a different analyser, glossary or lexicon than ``analyzer`` (or not yet)."""
        rows = await self._db.fetch_all(_STALE, {"analyzer": analyzer, "limit": limit})
        return [_to_document(r) for r in rows]

    async def stale_count(self, analyzer: str) -> int:
        """How many documents still wait to be analysed by ``analyzer``."""
        return int(await self._db.fetch_value(_ANY_STALE, {"analyzer": analyzer}) or 0)

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
        """Mask the member's id in this server's logged searches and delete their votes there.

        Run after the owners of indexed content re-indexed their neutralised texts, so the id no longer
        counts as a word of any document.
        """
        changed = await neutralise_text(tx, "search_log", ("query",), guild_id, user_id, key="id")
        return len(changed) + await self.forget_votes(tx, guild_id, user_id)

    @staticmethod
    async def _scope(tx: Transaction, guild_id: int, memo: dict[int, int]) -> int:
        """The scope number of a server's tokens, given on first use.

        Given in the caller's transaction, so a rolled-back transaction leaves no scope behind; ``memo``
        remembers them for one batch.
        """
        scope = memo.get(guild_id)
        if scope is None:
            await tx.execute(_NEW_SCOPE, {"guild_id": guild_id})
            scope = memo[guild_id] = int(await tx.fetch_value(_SCOPE_OF, {"guild_id": guild_id}))
        return scope

    async def _read_scopes(self, guild_id: int) -> list[tuple[int, int]]:
        """(scope, documents) of a server's own scope (if it has one) and the shared scope."""
        rows = await self._db.fetch_all(_SCOPES, {"guild_id": guild_id, "shared": SHARED_GUILD})
        return [(int(r["scope"]), int(r["documents"])) for r in rows]

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


def _fts_row(doc_id: int, fields: FieldCounts, scope: int) -> dict[str, object]:
    """The full-text index row of a document: its distinct terms (of every field) once, with the scope's prefix."""
    return {"id": doc_id, "terms": index_text(set().union(*fields), f"{scope}_")}


_COMPARED = (
    "kind",
    "lang",
    "theme",
    "title",
    "tags",
    "url",
    "solved",
    "featured",
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
        "analyzer": record.analyzer,
    }


def _params(record: IndexRecord, now: datetime) -> dict[str, object]:
    body = record.packed_body or pack_text(record.doc.body)
    terms = record.packed_terms or encode(record.fields)
    return {**_fields(record), "body": body, "terms": terms, "now": to_iso(now)}


def _same(row: sqlite3.Row, record: IndexRecord) -> bool:
    """Whether the stored row holds this record's content, analysed by the same analyser."""
    return row["analyzer"] == record.analyzer and _same_content(row, record)


def _same_content(row: sqlite3.Row, record: IndexRecord) -> bool:
    """Whether the stored row holds this record's content (whatever analysed it)."""
    new = _fields(record)
    return all(row[k] == new[k] for k in _COMPARED) and unpack_text(row["body"]) == record.doc.body


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
        body=unpack_text(row["body"]),
        tags=tuple(json.loads(row["tags"])),
        url=row["url"],
        solved=bool(row["solved"]),
        featured=bool(row["featured"]),
        helpful=int(row["helpful"]),
        unhelpful=int(row["unhelpful"]),
        created_at=str(row["created_at"]),
        updated_at=str(row["updated_at"]),
    )
