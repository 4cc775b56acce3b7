"""The search engine behind /ask: indexing documents and answering queries for one server.

Analysis depends only on the text, the glossary and the shipped lexicon (:mod:`bot.domain.search.lexicon`),
so the same text gives the same index terms in every server, whatever was indexed before. A change of any of
them changes the analyser fingerprint, and a background job (:data:`REINDEX_JOB`) analyses the stored documents
again.

A search costs a few statements, all on the server's own scope of the index plus the shared scope: one
document-frequency lookup (every query term and possible compound part, and N), one more if a word is unknown
(its spelling candidates), and one FTS5 query over the rarest query terms within a posting budget (so it never
scores every document that matches a common word), returning ~100 candidates with their stored term data for
the re-ranker. Every read runs on the database's read pool, so concurrent searches use both cores and never wait
for the write lock; the search-log row is handed to the batching writer (:mod:`bot.domain.search.search_log`).

The engine is the one owner of the knowledge tables: documents, their index, and helpfulness votes (one per
member per document), featured and solved flags, which all reach ranking.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.clock import Clock
from bot.domain.jobs import RetryLater
from bot.domain.search.analysis import fold, stems
from bot.domain.search.glossary import Glossary
from bot.domain.search.indexing import DocumentAnalyser, analyzer_fingerprint
from bot.domain.search.lexicon import Lexicon, shipped_lexicon
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
    plan_query,
    rank,
    retrieval_groups,
    retrieval_terms,
)
from bot.domain.search.search_log import MAX_LOGGED_QUERY, SearchLog
from bot.domain.search.typo import best_correction, correctable, edits
from bot.errors import Invalid

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.knowledge import KnowledgeRepo
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.progress import Progress

log = logging.getLogger(__name__)


class Offload(Protocol):
    """Runs the CPU-heavy, read-only parts of search in other processes (both cores; see bot/search_workers.py).

    Python threads share one interpreter lock, so analysis and re-ranking in threads would take turns; worker
    processes with their own read-only connections do not. Both methods raise :class:`OffloadUnavailable`
    when the workers cannot serve; the engine then does the work itself.
    """

    capacity: int
    """How many calls the workers can run at the same time."""

    async def search(self, guild_id: int, text: str, limit: int, lang: str | None) -> SearchResult:
        """What :meth:`SearchEngine.answer` returns, computed in a worker."""
        ...

    async def analyse(self, docs: Sequence[NewDocument]) -> list[IndexRecord]:
        """What :meth:`SearchEngine.analyse` returns, computed in a worker."""
        ...

    async def warm(self) -> bool:
        """Start the workers now; False if they cannot start."""
        ...


class OffloadUnavailable(Exception):
    """The worker processes could not serve a call (not started, broken, shutting down)."""


class WriteListener(Protocol):
    """Told of every :meth:`SearchEngine.write`, inside its transaction (e.g. to re-check knowledge gaps)."""

    async def __call__(self, tx: Transaction, records: Sequence[IndexRecord], done: Upserted, /) -> None:
        """React to stored records (``done.changed``: how many were new or changed)."""
        ...


COMPACT_JOB = "search.compact"
REINDEX_JOB = "search.reindex"
REINDEX_BATCH = 500
REINDEX_SLICE = 20_000
"""Documents one run of the re-index job analyses before it hands the writer back and continues as a new run."""
MAX_QUERY_CHARS = 500
MAX_CORRECTIONS = 4
"""Unknown words of one query that get spelling candidates (each long word costs a few milliseconds)."""
MAX_LIMIT = 50
CANDIDATES = 100
_WORD = re.compile(r"\w+", re.UNICODE)


class SearchEngine:
    """Indexes documents and answers searches over a server's documents plus the shared ones (guild 0)."""

    member_columns: ClassVar[tuple[str, ...]] = ("knowledge_votes.user_id",)
    """Helpfulness votes. The index holds no other member ids; the features that index text re-index it on forget."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: KnowledgeRepo,
        clock: Clock,
        glossary: Glossary | None = None,
        *,
        lexicon: Lexicon | None = None,
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
        self._offload: Offload | None = None
        self._offload_down = False
        self._observers: list[Callable[[float], None]] = []
        self._write_listeners: list[WriteListener] = []
        if lexicon is None:
            self._lexicon = shipped_lexicon(self._glossary.words)
        else:
            self._lexicon = lexicon.with_words(self._glossary.words)
        self.fingerprint = analyzer_fingerprint(self._glossary, self._lexicon.fingerprint)
        self._analyser = DocumentAnalyser(self._glossary, self._lexicon.known, self.fingerprint)

    async def search(self, guild_id: int, query: str, *, limit: int = 10, lang: str | None = None) -> SearchResult:
        """Find the documents that best answer ``query`` in server ``guild_id``.

        Any text is accepted: search syntax, quotes, control characters and emoji are plain text to
        the analyser, and only terms it produced itself reach the FTS5 MATCH expression. With worker
        processes attached (:meth:`attach`) the search runs in one of them.
        """
        text = query[:MAX_QUERY_CHARS]
        limit = max(1, min(limit, MAX_LIMIT))
        started = asyncio.get_running_loop().time()
        result: SearchResult | None = None
        if self._offload is not None:
            try:
                result = await self._offload.search(guild_id, text, limit, lang)
                self._offload_down = False
            except OffloadUnavailable as exc:
                self._offload_failed(exc)
        if result is None:
            result = await self.answer(guild_id, text, limit=limit, lang=lang)
        for observer in self._observers:
            observer(asyncio.get_running_loop().time() - started)
        if self._log_searches and text.strip():
            await self.log(guild_id, text.strip()[:MAX_LOGGED_QUERY], len(result.hits))
        return result

    async def answer(self, guild_id: int, text: str, *, limit: int = 10, lang: str | None = None) -> SearchResult:
        """The search itself, in this process and without logging it (what a worker process runs)."""
        text = text[:MAX_QUERY_CHARS]
        limit = max(1, min(limit, MAX_LIMIT))
        plan = plan_query(text, self._glossary)
        return await self._run(guild_id, text, plan, limit, lang) if plan.concepts else SearchResult(query=text)

    async def warm(self) -> bool:
        """Start the attached worker processes now, so the first searches need not wait; False if there are none."""
        return self._offload is not None and await self._offload.warm()

    def observe(self, observer: Callable[[float], None]) -> None:
        """Call ``observer`` with the seconds each :meth:`search` took (e.g. for metrics)."""
        self._observers.append(observer)

    def attach(self, offload: Offload | None) -> None:
        """Let worker processes run searches and analysis from now on (None: this process does it again)."""
        self._offload = offload
        self._offload_down = False

    def _offload_failed(self, exc: OffloadUnavailable) -> None:
        """The workers could not serve: this process does the work; said once until they serve again."""
        if not self._offload_down:
            log.warning("Search workers unavailable (%s); working in the bot's own process meanwhile", exc)
        self._offload_down = True

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
        add_compound_parts(plan, counts, self._glossary, self._lexicon.known)
        corrections = await self._correct(guild_id, plan, counts)
        terms = retrieval_terms(plan, counts, n_docs)
        suggestion = _suggest(text, corrections) if corrections else None
        if not terms:
            return SearchResult(query=text, suggestion=suggestion, corrected=False)
        groups = retrieval_groups(plan, terms, counts, n_docs)
        found = await self._repo.candidates(guild_id, groups, self._candidates)
        ranked = rank(plan, found, RankContext(counts, n_docs, lang))
        hits = [SearchHit(c.document, round(score, 4), excerpt(c.document.body, plan)) for c, score in ranked[:limit]]
        return SearchResult(query=text, hits=hits, suggestion=suggestion, corrected=bool(corrections and hits))

    async def _correct(self, guild_id: int, plan: QueryPlan, counts: dict[str, int]) -> dict[str, str]:
        """Correct words neither the server's index nor the lexicon knows (and that are not compounds of known words).

        Candidates are lexicon words a few edits away; only those the server's index holds are offered.
        """
        unknown = [
            c
            for c in plan.concepts
            if not c.phrase
            and correctable(c.word)
            and not c.parts
            and c.word not in self._lexicon.words
            and not is_known(c.word, counts, self._glossary)
            and not any(counts.get(t, 0) > 0 for t, w in c.variants.items() if w >= GLOSSARY_WEIGHT)
        ]
        if not unknown:
            return {}
        unknown = unknown[:MAX_CORRECTIONS]  # a query of nonsense words must not cost seconds of spelling work
        options = {c.word: {e for e in edits(c.word) if e in self._lexicon.words} for c in unknown}
        wanted = {s for words in options.values() for w in words for s in stems(w)} - counts.keys()
        if wanted:
            counts.update(dict.fromkeys(wanted, 0) | await self._repo.term_counts(guild_id, wanted))
        corrections: dict[str, str] = {}
        for concept in unknown:
            found = {w: max(counts.get(s, 0) for s in stems(w)) for w in options[concept.word]}
            best = best_correction(concept.word, found)
            if best is None:
                continue
            before = set(concept.variants)
            add_correction(concept, best, self._glossary)
            for term in set(concept.variants) - before:
                counts[term] = counts.get(term) or found[best]
            corrections[concept.word] = best
        return corrections

    async def prepare(self, docs: Sequence[NewDocument]) -> list[IndexRecord]:
        """Validate and analyse documents into index records, before any transaction is opened.

        Analysis (stemming, compound splitting against the lexicon, glossary concepts) is the slow part of
        indexing; doing it first keeps the write lock short. It reads nothing from the database, so the same
        text gives the same record in every server. Store the records with :meth:`write` inside the use case's
        transaction.
        """
        for doc in docs:
            _validate(doc)
        return self.analyse(docs)

    async def write(self, tx: Transaction, records: Sequence[IndexRecord]) -> Upserted:
        """Store prepared records inside the caller's transaction (unchanged documents are not rewritten)."""
        done = await self._repo.upsert_documents(tx, records, self._clock.now())
        for listener in self._write_listeners:
            await listener(tx, records, done)
        return done

    def on_write(self, listener: WriteListener) -> None:
        """Call ``listener(tx, records, done)`` inside the transaction of every :meth:`write` (and import batch)."""
        self._write_listeners.append(listener)

    async def unindex(
        self, tx: Transaction, guild_id: int, source: str, source_key: str, *, for_good: bool = False
    ) -> bool:
        """Remove a document inside the caller's transaction; False if it was not there.

        ``for_good``: the document will never come back under this key's meaning (a deleted FAQ entry, whose
        id a new entry may get), so its helpfulness votes go too; otherwise they wait for it (an archived
        resource that is approved again keeps them).
        """
        return await self._repo.delete_document(tx, guild_id, source, source_key, drop_votes=for_good)

    async def index(self, doc: NewDocument) -> int:
        """Add or update one document in its own transaction (identity: guild, source, source key); return its id."""
        return (await self.index_many([doc])).ids[0]

    async def index_many(
        self,
        docs: Sequence[NewDocument],
        *,
        batch_size: int = 500,
        only_stale: bool = False,
        progress: Progress | None = None,
    ) -> Upserted:
        """Add or update many documents of their own (imports, re-indexing), one transaction per batch.

        Returns their ids in input order and how many were new or changed; documents that did not
        change are not written again. Batches are analysed ahead (in the worker processes if attached, else in
        a thread) while the previous one is written, so both cores work and the event loop stays free.
        ``only_stale``: re-indexing stored documents; one edited or removed meanwhile is left as it is now.
        Otherwise each batch's transaction tells the write listeners (:meth:`on_write`), as :meth:`write` does.
        ``progress`` is advanced by each batch written (the caller starts and finishes its phase).
        """
        for doc in docs:
            _validate(doc)
        ids: list[int] = []
        changed = 0
        batches = [docs[start : start + batch_size] for start in range(0, len(docs), batch_size)]
        ahead = self._offload.capacity if self._offload is not None and len(batches) > 1 else 1
        analysing: deque[asyncio.Task[list[IndexRecord]]] = deque()
        writing: asyncio.Task[Upserted] | None = None
        try:
            for number, batch in enumerate(batches):
                analysing.append(asyncio.create_task(self._analyse_batch(batch, offload=len(batches) > 1)))
                while analysing and (len(analysing) >= ahead or number == len(batches) - 1):
                    records = await analysing.popleft()
                    if writing is not None:
                        done = await writing
                        ids += done.ids
                        changed += done.changed
                        if progress is not None:
                            progress.advance(len(done.ids))
                    writing = asyncio.create_task(self._write_batch(records, only_stale))
            if writing is not None:
                done = await writing
                ids += done.ids
                changed += done.changed
                writing = None
                if progress is not None:
                    progress.advance(len(done.ids))
        finally:
            # analysis failed or we were cancelled: let the batch being written finish, drop the rest
            for task in analysing:
                task.cancel()
            await asyncio.gather(*analysing, *([writing] if writing else []), return_exceptions=True)
        log.debug("Indexed %s documents, %s new or changed", len(docs), changed)
        return Upserted(ids=tuple(ids), changed=changed)

    async def _analyse_batch(self, docs: Sequence[NewDocument], *, offload: bool) -> list[IndexRecord]:
        """A batch's records: from a worker process if there are any, else from a thread of this process."""
        if offload and self._offload is not None:
            try:
                records = await self._offload.analyse(docs)
                self._offload_down = False
                return records
            except OffloadUnavailable as exc:
                self._offload_failed(exc)
        return await asyncio.to_thread(self.analyse, docs)

    async def _write_batch(self, records: Sequence[IndexRecord], only_stale: bool = False) -> Upserted:
        async with self._uow.transaction() as tx:
            done = await self._repo.upsert_documents(tx, records, self._clock.now(), only_stale=only_stale)
            if not only_stale:  # new content (an import) is told like a write; a re-analysis is not
                for listener in self._write_listeners:
                    await listener(tx, records, done)
            return done

    def analyse(self, docs: Sequence[NewDocument]) -> list[IndexRecord]:
        """Analyse valid documents into index records (pure CPU work; what a worker process runs)."""
        return [self._analyser.record(d) for d in docs]

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

    async def vote(
        self,
        tx: Transaction,
        document: tuple[int, str, str],
        guild_id: int,
        user_id: int,
        helpful: bool | None,
    ) -> bool:
        """A member's one helpfulness vote on a document, in the caller's transaction; None withdraws it.

        ``document`` is the document's identity ``(guild_id, source, source_key)``; ``guild_id`` is the server the
        member voted in. Voting the same way again changes nothing (returns False); net helpful votes rank a
        document higher from the next search on.
        """
        return await self._repo.vote(tx, document, guild_id, user_id, helpful, self._clock.now())

    async def set_flags(
        self,
        tx: Transaction,
        document: tuple[int, str, str],
        *,
        featured: bool | None = None,
        solved: bool | None = None,
    ) -> bool:
        """Feature or solve a document (None keeps a flag) in the caller's transaction; both rank higher."""
        return await self._repo.set_flags(tx, document, self._clock.now(), featured=featured, solved=solved)

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's helpfulness votes in this server (logged searches carry no member id)."""
        votes = await self._repo.member_votes(guild_id, user_id)
        return {"knowledge_votes": votes} if votes else {}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's votes and mask their id in logged searches (after the re-indexing).

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
        """Handle the index's own durable jobs: compaction after a member was forgotten, re-indexing."""
        runner.register(COMPACT_JOB, self._compact_job, lease=timedelta(minutes=30))
        runner.register(REINDEX_JOB, self._reindex_job, lease=timedelta(minutes=10))

    async def schedule_reindex(self) -> bool:
        """Queue the background re-index job if documents wait for this analyser (one query when none do).

        Run at start: after an analyser, glossary or lexicon change (or the upgrade to this index), every stored
        document is analysed again by the job, a slice at a time, while the bot keeps answering.
        """
        if self._jobs is None or not await self._repo.stale_count(self.fingerprint):
            return False
        return await self._jobs.submit(REINDEX_JOB, {"analyzer": self.fingerprint}, dedupe_key=REINDEX_JOB) is not None

    async def _reindex_job(self, _job: Job) -> None:
        done = await self.reindex_stale(limit=REINDEX_SLICE)
        if done >= REINDEX_SLICE and await self._repo.stale_count(self.fingerprint):
            raise RetryLater(timedelta(0), f"re-indexed {done}, more to go")

    async def _compact_job(self, _job: Job) -> None:
        await self.compact()

    async def compact(self) -> None:
        """Rewrite the full-text index without its deleted entries (slow on a big index: run as a job)."""
        async with self._uow.transaction() as tx:
            await self._repo.optimize(tx)

    async def stored(self, sources: Sequence[str]) -> list[KnowledgeDocument]:
        """Every stored document (all servers) from these sources (for the operators' consistency check)."""
        return await self._repo.by_sources(sources)

    async def reindex_stale(
        self, batch_size: int = REINDEX_BATCH, *, limit: int | None = None, progress: Progress | None = None
    ) -> int:
        """Re-analyse documents indexed by another analyser, glossary or lexicon (or not yet); return how many.

        Stops after about ``limit`` documents when given (the job continues in a next run). With ``progress``,
        the work is one phase of it (its total: the documents waiting when it starts).
        """
        if progress is not None:
            progress.start(await self._repo.stale_count(self.fingerprint), "Re-indexing stored documents")
        total = 0
        try:
            while limit is None or total < limit:
                stale = await self._repo.stale_documents(self.fingerprint, batch_size)
                if not stale:
                    break
                done = await self.index_many([d.as_new() for d in stale], only_stale=True, progress=progress)
                # none written: all changed meanwhile (and are current now) or are gone, unless still there
                if not done.changed and await self._repo.stale_documents(self.fingerprint, batch_size) == stale:
                    log.warning("Re-indexing made no progress on %s documents; leaving them", len(stale))
                    break
                total += done.changed
        finally:
            if progress is not None:
                progress.finish()
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
