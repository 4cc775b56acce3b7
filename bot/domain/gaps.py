"""The knowledge-gap ledger: questions the community could not answer yet, until something answers them.

A question becomes a gap when it got no good answer: /ask found nothing (``no_result``) or only weak matches
(``low_confidence``, the same notion as "ask a person"), the member marked the answer "not useful", posted it
to the help forum from /ask (``forum``), or it was routed to members (``routing``). Each member counts once per
gap; escalating to the forum or to routing adds :data:`ESCALATION_BONUS` to the weight (once per member per kind).

Questions are grouped with near-duplicates through the search analysis: a question's *signature* is its concepts
(one per content word, as :func:`~bot.domain.search.ranking.plan_query` reads it), each the set of index terms
that stand for it (Dutch and English stems and glossary concepts). Two concepts match when they share a term, so
inflections, word order and a Dutch/English pair meet; two questions are one gap when the Jaccard similarity of
their concepts reaches :data:`GROUPING_THRESHOLD`.

A gap closes itself. Every write of new or changed content to the search index (an FAQ entry, an approved
resource, a solved post, an import; not a re-analysis of stored documents) looks up, inside its transaction, the
open gaps whose signature shares a term with a written document (an indexed lookup in ``gap_terms``), queues those
``(gap, document)`` pairs and one re-check job per server (:data:`RECHECK_JOB`). A shared document (guild 0)
queues them for every server with such a gap. The job runs only those gaps' questions through the search and
closes a gap by the first result that is one of its queued documents, confident (it covers the question as /ask
requires) and not an answer an asker called "not useful". Moderators may dismiss a gap with a reason (audited).

/ask records its gap after the member has the answer (:meth:`GapService.record_own`), and the grouping reads the
open gaps before the write transaction; only gaps opened meanwhile are compared inside it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from bot.clock import Clock
from bot.domain.qa import ASK_MAX, SUGGESTIONS, clean_text
from bot.domain.qa_models import Page
from bot.domain.routing.detect import coverage, low_confidence
from bot.domain.routing.models import ASK_CONFIDENCE_FLOOR
from bot.domain.search.models import SHARED_GUILD, SearchHit, SearchResult
from bot.domain.search.ranking import GLOSSARY_WEIGHT, plan_query
from bot.errors import Conflict, NotFound

if TYPE_CHECKING:
    from datetime import datetime

    from bot.db.database import Reader, Transaction, UnitOfWork
    from bot.db.repos.audit import AuditRepo
    from bot.db.repos.gaps import GapsRepo
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.qa_models import HelpPost
    from bot.domain.search.engine import SearchEngine
    from bot.domain.search.glossary import Glossary
    from bot.domain.search.models import IndexRecord, Upserted

log = logging.getLogger(__name__)

SIGNALS: Final = ("no_result", "low_confidence", "not_useful", "forum", "routing")
"""Why a question became (part of) a gap."""
ESCALATIONS: Final = frozenset({"forum", "routing"})
"""Signals that escalate a gap; each counts once per asker per kind."""
ESCALATION_BONUS: Final = 2
"""Weight an escalation adds on top of the asker's own 1."""
GROUPING_THRESHOLD: Final = 0.5
"""Jaccard similarity of two questions' concept sets from which they are one gap."""
GROUPING_CANDIDATES: Final = 2000
"""Open gaps of a server a new question is compared with (the most recently asked)."""
RECHECK_JOB: Final = "gaps.recheck"
RECHECK_BATCH: Final = 200
"""Gaps one round of the re-check reads from its queue."""
REASON_MIN, REASON_MAX = 3, 300
PER_PAGE: Final = 5
RECENTLY_CLOSED: Final = 3
WEEKLY_TOP: Final = 5
"""How many open gaps the moderators' weekly post lists (the heaviest)."""

Signature = tuple[frozenset[str], ...]
"""A question's concepts, each the set of index terms that stand for it."""


@dataclass(frozen=True, slots=True)
class Gap:
    """A question nobody could answer yet (open), answered since (closed), or set aside by a moderator."""

    id: int
    guild_id: int
    question: str
    status: str
    weight: int
    askers: int
    escalations: int
    created_at: str
    last_asked_at: str
    closed_at: str | None = None
    closed_source: str | None = None
    closed_source_key: str | None = None
    document_id: int | None = None
    dismissed_by: int | None = None
    reason: str | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class Ledger:
    """One page of open gaps (heaviest first) and the gaps closed most recently."""

    page: Page[Gap]
    closed: list[Gap]


@dataclass(frozen=True, slots=True)
class GapsWeek:
    """The knowledge gaps in the moderators' weekly post: the heaviest open ones and the week's movement.

    ``top`` are the heaviest open gaps now (at most :data:`WEEKLY_TOP`), ``open`` how many are open; ``opened``,
    ``closed`` (answered) and ``dismissed`` count the gaps that did so in the week.
    """

    top: tuple[Gap, ...]
    open: int
    opened: int
    closed: int
    dismissed: int


def signature(text: str, glossary: Glossary) -> Signature:
    """The concepts of a question as the search reads it: per content word, its stems and glossary concepts.

    Glossary phrases are left out as concepts of their own (their words carry the phrase's concept already),
    as are the weak prefix keys and related concepts.
    """
    plan = plan_query(text, glossary)
    found: list[frozenset[str]] = []
    for concept in plan.concepts:
        if concept.phrase:
            continue
        keys = frozenset(term for term, weight in concept.variants.items() if weight >= GLOSSARY_WEIGHT)
        if keys and keys not in found:
            found.append(keys)
    return tuple(found)


def similarity(a: Signature, b: Signature) -> float:
    """Jaccard similarity of two concept sets, where two concepts are the same when they share a term (0..1)."""
    if not a or not b:
        return 0.0
    in_a = sum(1 for x in a if any(x & y for y in b))
    in_b = sum(1 for y in b if any(x & y for x in a))
    matched = min(in_a, in_b)
    return matched / (len(a) + len(b) - matched)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A question ready to be counted: its signature and the open gap it joins, read before the write transaction.

    ``seen`` is the highest gap id at that read; gaps opened after it are compared inside the transaction.
    """

    guild_id: int
    text: str
    signature: Signature
    best: tuple[float, int] | None
    seen: int


def closest(mine: Signature, candidates: Sequence[tuple[int, Signature]]) -> tuple[float, int] | None:
    """The most similar candidate gap at or above :data:`GROUPING_THRESHOLD` (score, gap id), or None."""
    best: tuple[float, int] | None = None
    for gap_id, theirs in candidates:
        score = similarity(mine, theirs)
        if score >= GROUPING_THRESHOLD and (best is None or score > best[0]):
            best = (score, gap_id)
    return best


def weak_signal(result: SearchResult) -> str | None:
    """Whether an /ask answer makes a gap: ``no_result``, ``low_confidence``, or None for a good answer."""
    if not result.hits:
        return "no_result"
    if low_confidence(result.query, [_text(hit) for hit in result.hits]):
        return "low_confidence"
    return None


def _text(hit: SearchHit) -> str:
    return f"{hit.document.title}\n{hit.document.body}"


class GapService:
    """Records gaps, lists them for moderators, closes them when answered, and dismisses them."""

    member_columns: ClassVar[tuple[str, ...]] = ("gap_askers.user_id", "gaps.dismissed_by")

    def __init__(
        self,
        uow: UnitOfWork,
        repo: GapsRepo,
        search: SearchEngine,
        glossary: Glossary,
        clock: Clock,
        audit: AuditRepo,
        jobs: JobService,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._search = search
        self._glossary = glossary
        self._clock = clock
        self._audit = audit
        self._jobs = jobs
        search.on_write(self.documents_written)

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the re-check of a server's open gaps after its index changed."""
        runner.register(RECHECK_JOB, self._recheck_job, lease=timedelta(minutes=10))

    # --- recording --------------------------------------------------------------------------------------------

    @staticmethod
    def weak_signal(result: SearchResult) -> str | None:
        """See :func:`weak_signal`: the gap signal of an /ask answer, or None for a good one."""
        return weak_signal(result)

    async def prepare(self, guild_id: int, question: str, tx: Reader | None = None) -> Prepared | None:
        """Read what counting a question needs (outside the write transaction unless ``tx`` is given).

        None when the question has no words the search reads.
        """
        text = " ".join(question.split())[:ASK_MAX]
        mine = signature(text, self._glossary)
        if not mine:
            return None
        candidates, seen = await self._repo.grouping_candidates(guild_id, GROUPING_CANDIDATES, tx)
        return Prepared(guild_id, text, mine, closest(mine, candidates), seen)

    async def record_prepared(
        self,
        tx: Transaction,
        prepared: Prepared,
        user_id: int,
        signal: str,
        *,
        rejected: Iterable[int] = (),
    ) -> int:
        """Count a prepared question inside the caller's transaction; returns the gap's id.

        The question joins the open gap of this server it nearly duplicates (the closest one), else opens a new
        gap in the member's wording. A member counts once per gap; an escalation (forum, routing) counts once
        per member and kind. ``rejected``: the documents the member called not useful (they never close the gap).
        """
        if signal not in SIGNALS:
            raise ValueError(f"unknown gap signal {signal!r}")
        guild_id, mine = prepared.guild_id, prepared.signature
        best = prepared.best
        newer = closest(mine, await self._repo.open_signatures_after(tx, guild_id, prepared.seen))
        if newer is not None and (best is None or newer[0] > best[0]):
            best = newer
        if best is not None and not await self._repo.is_open(tx, best[1]):  # closed meanwhile: compare again
            candidates, _ = await self._repo.grouping_candidates(guild_id, GROUPING_CANDIDATES, tx)
            best = closest(mine, candidates)
        now = self._clock.now()
        gap_id = best[1] if best is not None else await self._repo.insert(tx, guild_id, prepared.text, mine, now)
        await self._repo.add_asker(tx, gap_id, guild_id, user_id, prepared.text, signal, now)
        await self._repo.add_rejections(tx, gap_id, rejected)
        await self._repo.recount(tx, gap_id, ESCALATION_BONUS, now)
        return gap_id

    async def record(self, tx: Transaction, guild_id: int, user_id: int, question: str, signal: str) -> int | None:
        """Count a member's unanswered question inside the caller's transaction (see :meth:`record_prepared`).

        Returns the gap's id; None when the question has no words the search reads.
        """
        if signal not in SIGNALS:
            raise ValueError(f"unknown gap signal {signal!r}")
        prepared = await self.prepare(guild_id, question, tx)
        return None if prepared is None else await self.record_prepared(tx, prepared, user_id, signal)

    async def record_own(self, guild_id: int, user_id: int, question: str, signal: str) -> int | None:
        """:meth:`record` in a transaction of its own, the grouping read before it (for /ask, after its answer)."""
        if signal not in SIGNALS:
            raise ValueError(f"unknown gap signal {signal!r}")
        prepared = await self.prepare(guild_id, question)
        if prepared is None:
            return None
        async with self._uow.transaction() as tx:
            return await self.record_prepared(tx, prepared, user_id, signal)

    async def routing_started(self, tx: Transaction, post: HelpPost) -> None:
        """A help post is routed to members (unanswered, or "ask a person"): an escalation of its question."""
        await self.record(tx, post.guild_id, post.author_id, post.title, "routing")

    # --- closing itself ---------------------------------------------------------------------------------------

    async def documents_written(self, tx: Transaction, records: Sequence[IndexRecord], done: Upserted) -> None:
        """New or changed content was indexed (FAQ entry, approved resource, solved post, import).

        Called by the search engine inside the writing transaction, so the re-checks commit with the documents:
        each open gap that shares a signature term with a written document is queued with that document (a shared
        document, guild 0, for gaps of every server), and one re-check job per server; while one runs, one more
        waits behind it. A write that changed nothing, or shares no term with an open gap, queues nothing.
        """
        if not done.changed or not records or len(done.ids) != len(records):
            return
        guilds = {r.doc.guild_id for r in records}
        terms = [r.terms() for r in records]
        found = await self._repo.open_gaps_with_terms(
            tx, None if SHARED_GUILD in guilds else sorted(guilds), set().union(*terms)
        )
        if not found:
            return
        gaps_of: dict[str, list[tuple[int, int]]] = {}
        for gap_id, guild_id, term in found:
            gaps_of.setdefault(term, []).append((gap_id, guild_id))
        pending: set[tuple[int, int, int]] = set()
        for record, words, doc_id in zip(records, terms, done.ids, strict=True):
            owner = record.doc.guild_id
            for term in words & gaps_of.keys():
                pending.update((g, s, doc_id) for g, s in gaps_of[term] if owner in (s, SHARED_GUILD))
        if not pending:
            return
        await self._repo.add_rechecks(tx, pending)
        for guild_id in sorted({s for _, s, _ in pending}):
            key = f"{RECHECK_JOB}:{guild_id}"
            if await self._jobs.enqueue(tx, RECHECK_JOB, dedupe_key=key, guild_id=guild_id) is not None:
                continue
            active = await self._jobs.find_active(key)
            if active is not None and active.status == "running":  # it may have read its queue before this write
                await self._jobs.enqueue(tx, RECHECK_JOB, dedupe_key=f"{key}:next", guild_id=guild_id)

    async def _recheck_job(self, job: Job) -> None:
        if job.guild_id is not None:
            await self.recheck(job.guild_id)

    async def recheck(self, guild_id: int) -> int:
        """Search again for the server's queued gaps; close those a queued document now answers. Returns how many.

        Only the queued ``(gap, document)`` pairs that were read are removed, so documents queued meanwhile are
        re-checked too. Idempotent: a gap closes once; a gap asked again meanwhile is read again and still closes.
        """
        closed = 0
        while pending := await self._repo.pending_rechecks(guild_id, RECHECK_BATCH):
            done: list[tuple[int, int]] = []
            for gap_id, documents in pending.items():
                if await self._close_if_answered(guild_id, gap_id, documents):
                    closed += 1
                else:
                    done += [(gap_id, d) for d in documents]
            async with self._uow.transaction() as tx:
                await self._repo.clear_rechecks(tx, done)
        if closed:
            log.info("Closed %d knowledge gap(s) in server %s", closed, guild_id)
        return closed

    async def _close_if_answered(self, guild_id: int, gap_id: int, documents: set[int]) -> bool:
        """Close the gap if one of its queued ``documents`` answers it; clears its queue when it closes."""
        gap = await self._repo.get(guild_id, gap_id)
        if gap is None or gap.status != "open":
            return False
        hit = await self.answering(gap, documents)
        if hit is None:
            return False
        doc = hit.document
        async with self._uow.transaction() as tx:
            current = await self._repo.get(guild_id, gap_id, tx)  # asked again or re-worded meanwhile: still open?
            if current is None or current.status != "open":
                return False
            if current.question != gap.question and coverage(current.question, _text(hit)) < ASK_CONFIDENCE_FLOOR:
                return False
            return await self._repo.close(
                tx,
                current,
                source=doc.source,
                source_key=doc.source_key,
                document_id=doc.id,
                now=self._clock.now(),
            )

    async def answering(self, gap: Gap, documents: Iterable[int]) -> SearchHit | None:
        """The result that now answers a gap's question, if any.

        It is confident, one of ``documents`` (freshly written ones), and none an asker called not useful.
        """
        fresh = set(documents) - await self._repo.rejected(gap.id)
        if not fresh:
            return None
        result = await self._search.search(gap.guild_id, gap.question, limit=SUGGESTIONS)  # workers if any
        for hit in result.hits:
            if hit.document.id in fresh and coverage(gap.question, _text(hit)) >= ASK_CONFIDENCE_FLOOR:
                return hit
        return None

    # --- moderators -------------------------------------------------------------------------------------------

    async def ledger(self, guild_id: int, page: int, per_page: int = PER_PAGE) -> Ledger:
        """One page of open gaps, heaviest first, and the most recently closed ones."""
        items, total = await self._repo.open_page(guild_id, max(page, 0) * per_page, per_page)
        pages = max(1, math.ceil(total / per_page))
        if page >= pages and total:
            return await self.ledger(guild_id, pages - 1, per_page)
        closed = await self._repo.recently_closed(guild_id, RECENTLY_CLOSED)
        return Ledger(Page(items, max(page, 0), pages, total), closed)

    async def get(self, guild_id: int, gap_id: int) -> Gap:
        """One gap of this server, or NotFound."""
        gap = await self._repo.get(guild_id, gap_id)
        if gap is None:
            raise NotFound("qa.gaps.not_found")
        return gap

    async def dismiss(self, guild_id: int, gap_id: int, moderator_id: int, reason: str) -> Gap:
        """Set an open gap aside with a reason; the audit entry commits with it."""
        reason = clean_text(reason, limit=REASON_MAX, minimum=REASON_MIN, key="qa.gaps.reason")
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            gap = await self._repo.get(guild_id, gap_id, tx)
            if gap is None:
                raise NotFound("qa.gaps.not_found")
            if not await self._repo.dismiss(tx, guild_id, gap_id, moderator_id, reason, now):
                raise Conflict("qa.gaps.not_open")
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=moderator_id,
                action="gap.dismiss",
                target_type="gap",
                target_id=str(gap_id),
                before={"status": gap.status, "askers": gap.askers, "weight": gap.weight},
                after={"status": "dismissed"},
                reason=reason,
                now=now,
            )
            dismissed = await self._repo.get(guild_id, gap_id, tx)
        assert dismissed is not None
        return dismissed

    async def moderators_section(self, guild_id: int, since: datetime, until: datetime) -> GapsWeek | None:
        """The moderators' weekly post's gaps section (a ``WeeklySource``, registered as ``gaps``).

        The :data:`WEEKLY_TOP` heaviest open gaps (a list nobody is pushed to read rots) with how many gaps opened,
        closed and were set aside from ``since`` to ``until``. None when no gap is open: nothing to act on.
        """
        week = await self._repo.week(guild_id, since, until, WEEKLY_TOP)
        return week if week.open else None

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The questions the member asked that became gaps, and the gaps they dismissed."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Remove the member as an asker (weights recounted); a gap only they asked goes, its text being theirs.

        A gap shown in their words is shown in the words of another asker from now on. A gap they dismissed keeps
        its reason, without their id.
        """
        asked = await self._repo.asked_by(tx, guild_id, user_id)
        touched = await self._repo.forget_asker(tx, guild_id, user_id)
        for gap_id, theirs in asked:
            gap = await self._repo.get(guild_id, gap_id, tx)
            if gap is None:
                continue
            others = await self._repo.wordings(tx, gap_id)
            if not others:
                touched += int(await self._repo.delete(tx, guild_id, gap_id))
                continue
            if gap.question == theirs and theirs not in others:
                wording = others[0]
                await self._repo.reword(tx, gap, wording, signature(wording, self._glossary))
                touched += 1
            await self._repo.recount(tx, gap_id, ESCALATION_BONUS, None)
        return touched + await self._repo.forget_dismisser(tx, guild_id, user_id)

    # --- retention --------------------------------------------------------------------------------------------

    async def purge(self, tx: Transaction, before: datetime) -> int:
        """Delete old gaps with their askers' words; returns how many (part of the daily clean-up's transaction).

        Those closed or set aside before ``before`` (the retention of logged searches), and open ones not asked since.
        """
        return await self._repo.purge(tx, before)
