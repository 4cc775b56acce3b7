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

A gap closes itself: every write to the search index of a server with open gaps queues one re-check job
(:data:`RECHECK_JOB`, in the same transaction). It runs each open gap's stored question through the search and
closes the gap by the first result that is confident (it covers the question as /ask requires) and was added or
changed since the gap was last asked. Moderators may dismiss a gap with a reason (audited).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
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

    from bot.db.database import Transaction, UnitOfWork
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

    async def record(self, tx: Transaction, guild_id: int, user_id: int, question: str, signal: str) -> int | None:
        """Count a member's unanswered question inside the caller's transaction; returns the gap's id.

        The question joins the open gap of this server it nearly duplicates (the closest one), else opens a new
        gap with the member's wording. A member counts once per gap; an escalation (forum, routing) counts once
        per member and kind. None when the question has no words the search reads.
        """
        if signal not in SIGNALS:
            raise ValueError(f"unknown gap signal {signal!r}")
        text = " ".join(question.split())[:ASK_MAX]
        mine = signature(text, self._glossary)
        if not mine:
            return None
        now = self._clock.now()
        gap_id = await self._closest(tx, guild_id, mine)
        if gap_id is None:
            gap_id = await self._repo.insert(tx, guild_id, text, mine, now)
        await self._repo.add_asker(tx, gap_id, guild_id, user_id, signal, now)
        await self._repo.recount(tx, gap_id, ESCALATION_BONUS, now)
        return gap_id

    async def record_own(self, guild_id: int, user_id: int, question: str, signal: str) -> int | None:
        """:meth:`record` in a transaction of its own (for /ask, which writes nothing else)."""
        async with self._uow.transaction() as tx:
            return await self.record(tx, guild_id, user_id, question, signal)

    async def routing_started(self, tx: Transaction, post: HelpPost) -> None:
        """A help post is routed to members (unanswered, or "ask a person"): an escalation of its question."""
        await self.record(tx, post.guild_id, post.author_id, post.title, "routing")

    async def _closest(self, tx: Transaction, guild_id: int, mine: Signature) -> int | None:
        best: tuple[float, int] | None = None
        for gap_id, theirs in await self._repo.open_signatures(tx, guild_id, GROUPING_CANDIDATES):
            score = similarity(mine, theirs)
            if score >= GROUPING_THRESHOLD and (best is None or score > best[0]):
                best = (score, gap_id)
        return None if best is None else best[1]

    # --- closing itself ---------------------------------------------------------------------------------------

    async def documents_written(self, tx: Transaction, records: Sequence[IndexRecord], done: Upserted) -> None:
        """The index changed (FAQ entry, approved resource, solved post): queue a re-check of open gaps.

        Called by the search engine inside the writing transaction, so the job commits with the document.
        One pending re-check per server is enough; while one runs, one more waits behind it.
        """
        if not done.changed:
            return
        for guild_id in sorted({r.doc.guild_id for r in records} - {SHARED_GUILD}):
            if not await self._repo.has_open(tx, guild_id):
                continue
            key = f"{RECHECK_JOB}:{guild_id}"
            if await self._jobs.enqueue(tx, RECHECK_JOB, dedupe_key=key, guild_id=guild_id) is not None:
                continue
            active = await self._jobs.find_active(key)
            if active is not None and active.status == "running":  # it may have read the gaps before this write
                await self._jobs.enqueue(tx, RECHECK_JOB, dedupe_key=f"{key}:next", guild_id=guild_id)

    async def _recheck_job(self, job: Job) -> None:
        if job.guild_id is not None:
            await self.recheck(job.guild_id)

    async def recheck(self, guild_id: int) -> int:
        """Run every open gap's question through the search; close those now answered. Returns how many closed.

        Idempotent: a gap closes once (and only while it is still as it was read).
        """
        closed, after = 0, 0
        while batch := await self._repo.open_after(guild_id, after, RECHECK_BATCH):
            after = batch[-1].id
            for gap in batch:
                hit = await self.answering(gap)
                if hit is None:
                    continue
                doc = hit.document
                async with self._uow.transaction() as tx:
                    if await self._repo.close(
                        tx,
                        gap,
                        source=doc.source,
                        source_key=doc.source_key,
                        document_id=doc.id,
                        now=self._clock.now(),
                    ):
                        closed += 1
        if closed:
            log.info("Closed %d knowledge gap(s) in server %s", closed, guild_id)
        return closed

    async def answering(self, gap: Gap) -> SearchHit | None:
        """The result that now answers a gap's question: confident, and added or changed since it was last asked."""
        result = await self._search.answer(gap.guild_id, gap.question, limit=SUGGESTIONS)
        for hit in result.hits:
            fresh = hit.document.updated_at >= gap.last_asked_at
            if fresh and coverage(gap.question, _text(hit)) >= ASK_CONFIDENCE_FLOOR:
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
        """Remove the member as an asker (weights recounted); a gap only they asked goes, its text being theirs."""
        return await self._repo.forget_member(tx, guild_id, user_id, ESCALATION_BONUS)
