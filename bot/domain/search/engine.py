"""The search engine behind /ask: indexing documents and answering queries for one server.

A search costs at most four statements: one vocabulary lookup (document frequencies of every query
term and every possible compound part, plus N), one typo lookup if a word is unknown, one FTS5 query
that returns the best ~100 candidates with their analysed fields. Every read runs on the database's read
pool, so concurrent searches use both cores and never wait for the write lock; the search-log row is handed
to the batching writer (:mod:`bot.domain.search.search_log`) instead of being written during the search.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock
from bot.domain.search.analysis import fold
from bot.domain.search.glossary import Glossary
from bot.domain.search.indexing import (
    DocumentAnalyser,
    analyzer_fingerprint,
    document_streams,
    known_words,
    split_candidates,
)
from bot.domain.search.models import (
    KINDS,
    SOURCES,
    IndexRecord,
    KnowledgeDocument,
    NewDocument,
    SearchHit,
    SearchResult,
    Upserted,
)
from bot.domain.search.ranking import (
    GLOSSARY_WEIGHT,
    QueryPlan,
    RankContext,
    add_compound_parts,
    add_correction,
    excerpt,
    is_known,
    match_expression,
    plan_query,
    rank,
    retrieval_terms,
)
from bot.domain.search.search_log import MAX_LOGGED_QUERY, SearchLog
from bot.domain.search.typo import best_correction, correctable, keys_for
from bot.errors import Invalid

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.knowledge import KnowledgeRepo
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService

log = logging.getLogger(__name__)

COMPACT_JOB = "search.compact"
MAX_QUERY_CHARS = 500
MAX_LIMIT = 50
CANDIDATES = 100
BM25_WEIGHTS = (4.0, 2.0, 1.0)
"""FTS5 column weights (title, tags, body) for picking candidates; the re-ranker has its own."""
_WORD = re.compile(r"\w+", re.UNICODE)


class SearchEngine:
    """Indexes documents and answers searches over a server's documents plus the shared ones (guild 0)."""

    member_columns: ClassVar[tuple[str, ...]] = ()
    """The index holds no member ids of its own; the features that index text re-index it on forget."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: KnowledgeRepo,
        clock: Clock,
        glossary: Glossary | None = None,
        *,
        log_searches: bool = True,
        candidates: int = CANDIDATES,
        jobs: JobService | None = None,
        search_log: SearchLog | None = None,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock
        self._glossary = glossary if glossary is not None else Glossary.empty()
        self._log_searches = log_searches
        self._candidates = candidates
        self._jobs = jobs
        self._search_log = search_log
        self.fingerprint = analyzer_fingerprint(self._glossary)

    async def search(self, guild_id: int, query: str, *, limit: int = 10, lang: str | None = None) -> SearchResult:
        """Find the documents that best answer ``query`` in server ``guild_id``.

        Any text is accepted: search syntax, quotes, control characters and emoji are plain text to
        the analyser, and only terms it produced itself reach the FTS5 MATCH expression.
        """
        text = query[:MAX_QUERY_CHARS]
        limit = max(1, min(limit, MAX_LIMIT))
        plan = plan_query(text, self._glossary)
        result = await self._run(guild_id, text, plan, limit, lang) if plan.concepts else SearchResult(query=text)
        if self._log_searches and text.strip():
            await self.log(guild_id, text.strip()[:MAX_LOGGED_QUERY], len(result.hits))
        return result

    async def log(self, guild_id: int, query: str, result_count: int) -> int:
        """Log a search (no member id) and return its id, without waiting for the write lock.

        With a batching writer the row is written shortly after (see :mod:`bot.domain.search.search_log`);
        an engine built without one (tools, tests) writes it at once in its own transaction.
        """
        if self._search_log is not None:
            return await self._search_log.add(guild_id, query, result_count, self._clock.now())
        async with self._uow.transaction() as tx:
            return await self._repo.log_search(tx, guild_id, query, result_count, self._clock.now())

    async def flush_log(self) -> int:
        """Write every logged search still pending (before a use case reads the log); return how many."""
        return 0 if self._search_log is None else await self._search_log.flush()

    def log_writer(self) -> AbstractAsyncContextManager[object]:
        """Run the search log's background writer for the block; every pending search is written at its end."""
        return nullcontext() if self._search_log is None else self._search_log.running()

    async def _run(self, guild_id: int, text: str, plan: QueryPlan, limit: int, lang: str | None) -> SearchResult:
        counts = await self._repo.term_counts(guild_id, plan.terms() | plan.lookups | {""})
        n_docs = counts.get("", 0)
        if n_docs == 0:
            return SearchResult(query=text)
        add_compound_parts(plan, counts, self._glossary)
        corrections = await self._correct(guild_id, plan, counts)
        terms = retrieval_terms(plan, counts, n_docs)
        suggestion = _suggest(text, corrections) if corrections else None
        if not terms:
            return SearchResult(query=text, suggestion=suggestion, corrected=False)
        found = await self._repo.candidates(guild_id, match_expression(terms), self._candidates, BM25_WEIGHTS)
        ranked = rank(plan, found, RankContext(counts, n_docs, lang))
        hits = [SearchHit(c.document, round(score, 4), excerpt(c.document.body, plan)) for c, score in ranked[:limit]]
        return SearchResult(query=text, hits=hits, suggestion=suggestion, corrected=bool(corrections and hits))

    async def _correct(self, guild_id: int, plan: QueryPlan, counts: dict[str, int]) -> dict[str, str]:
        """Correct words the vocabulary does not know (and that are not compounds of known words)."""
        unknown = [
            c
            for c in plan.concepts
            if not c.phrase
            and correctable(c.word)
            and not c.parts
            and not is_known(c.word, counts, self._glossary)
            and not any(counts.get(t, 0) > 0 for t, w in c.variants.items() if w >= GLOSSARY_WEIGHT)
        ]
        if not unknown:
            return {}
        candidates = await self._repo.typo_candidates(guild_id, keys_for(c.word for c in unknown))
        corrections: dict[str, str] = {}
        for concept in unknown:
            best = best_correction(concept.word, candidates)
            if best is None:
                continue
            before = set(concept.variants)
            add_correction(concept, best, self._glossary)
            for term in set(concept.variants) - before:
                counts.setdefault(term, candidates[best])
            corrections[concept.word] = best
        return corrections

    async def prepare(self, docs: Sequence[NewDocument]) -> list[IndexRecord]:
        """Validate and analyse documents into index records, before any transaction is opened.

        Analysis (stemming, compound splitting, glossary concepts) is the slow part of indexing; doing it
        first keeps the write lock short. Store the records with :meth:`write` inside the use case's
        transaction.
        """
        for doc in docs:
            _validate(doc)
        streams = [document_streams(d) for d in docs]
        words, parts = split_candidates(streams)
        known = known_words(words | self._glossary.words | await self._repo.known_words(parts))
        analyser = DocumentAnalyser(self._glossary, known, self.fingerprint)
        return [analyser.record(d, s) for d, s in zip(docs, streams, strict=True)]

    async def write(self, tx: Transaction, records: Sequence[IndexRecord]) -> Upserted:
        """Store prepared records inside the caller's transaction (unchanged documents are not rewritten)."""
        return await self._repo.upsert_documents(tx, records, self._clock.now())

    async def unindex(self, tx: Transaction, guild_id: int, source: str, source_key: str) -> bool:
        """Remove a document inside the caller's transaction; False if it was not there."""
        return await self._repo.delete_document(tx, guild_id, source, source_key)

    async def index(self, doc: NewDocument) -> int:
        """Add or update one document in its own transaction (identity: guild, source, source key); return its id."""
        return (await self.index_many([doc])).ids[0]

    async def index_many(self, docs: Sequence[NewDocument], *, batch_size: int = 500) -> Upserted:
        """Add or update many documents of their own (imports, re-indexing), one transaction per batch.

        Returns their ids in input order and how many were new or changed; documents that did not
        change are not written again.
        """
        ids: list[int] = []
        changed = 0
        for start in range(0, len(docs), batch_size):
            records = await self.prepare(docs[start : start + batch_size])
            async with self._uow.transaction() as tx:
                done = await self.write(tx, records)
            ids += done.ids
            changed += done.changed
        log.debug("Indexed %s documents, %s new or changed", len(docs), changed)
        return Upserted(ids=tuple(ids), changed=changed)

    async def remove(self, guild_id: int, source: str, source_key: str) -> bool:
        """Remove a document from the index in its own transaction; False if it was not there."""
        async with self._uow.transaction() as tx:
            return await self.unindex(tx, guild_id, source, source_key)

    async def get(self, doc_id: int) -> KnowledgeDocument | None:
        """One document by id."""
        return await self._repo.get_document(doc_id)

    async def count(self, guild_id: int | None = None) -> int:
        """Documents visible in a server (or all documents)."""
        return await self._repo.count(guild_id)

    async def record_feedback(self, doc_id: int, *, helpful: bool, delta: int = 1) -> bool:
        """Count (or with ``delta=-1`` withdraw) a "helpful" / "not helpful" vote; net helpful ranks higher."""
        async with self._uow.transaction() as tx:
            return await self._repo.record_feedback(tx, doc_id, helpful=helpful, delta=delta)

    async def set_featured(self, doc_id: int, featured: bool) -> bool:
        """Feature or unfeature a document (a moderator's choice); featured documents rank higher."""
        async with self._uow.transaction() as tx:
            return await self._repo.set_featured(tx, doc_id, featured, self._clock.now())

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Nothing: logged searches carry no member id."""
        return {}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Mask the member's id in logged searches and drop it from the vocabulary (after the re-indexing).

        The full-text index keeps deleted entries in its segments until they are merged, so a compaction
        job is queued to drop the old texts for good.
        """
        if self._search_log is not None:  # pending searches are masked with the stored ones
            await self._search_log.write_pending(tx)
        touched = await self._repo.forget_member(tx, guild_id, user_id)
        if self._jobs is not None:
            await self._jobs.enqueue(tx, COMPACT_JOB, dedupe_key=COMPACT_JOB)
        return touched

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the index's own durable jobs (compaction after a member was forgotten)."""
        runner.register(COMPACT_JOB, self._compact_job, lease=timedelta(minutes=30))

    async def _compact_job(self, _job: Job) -> None:
        await self.compact()

    async def compact(self) -> None:
        """Rewrite the full-text index without its deleted entries (slow on a big index: run as a job)."""
        async with self._uow.transaction() as tx:
            await self._repo.optimize(tx)

    async def stored(self, sources: Sequence[str]) -> list[KnowledgeDocument]:
        """Every stored document (all servers) from these sources (for the operators' consistency check)."""
        return await self._repo.by_sources(sources)

    async def reindex_stale(self, batch_size: int = 200) -> int:
        """Re-analyse documents indexed by another analyser version or glossary; return how many."""
        total = 0
        while stale := await self._repo.stale_documents(self.fingerprint, batch_size):
            await self.index_many([d.as_new() for d in stale])
            total += len(stale)
        if total:
            log.info("Re-indexed %s documents for analyser %s", total, self.fingerprint)
        return total


def rekey(record: IndexRecord, source_key: str) -> IndexRecord:
    """A prepared record under another source key (the id of a row inserted after the analysis)."""
    return replace(record, doc=replace(record.doc, source_key=source_key))


def _validate(doc: NewDocument) -> None:
    if doc.source not in SOURCES:
        raise Invalid("search.invalid_source", source=doc.source)
    if doc.kind not in KINDS:
        raise Invalid("search.invalid_kind", kind=doc.kind)
    if not doc.source_key or not doc.title.strip():
        raise Invalid("search.missing_field", field="source_key" if not doc.source_key else "title")


def _suggest(text: str, corrections: dict[str, str]) -> str:
    """The query with each misspelt word replaced by its correction."""
    return _WORD.sub(lambda m: corrections.get(fold(m.group()), m.group()), text).strip()
