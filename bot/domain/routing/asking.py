"""Choosing whom to ask about a routed question, and asking them: the step every routing use case ends with.

:meth:`Dispatcher.query` reads, before the transaction, what choosing needs (the asker's facts, the question's
skills and title). :meth:`Dispatcher.advance`, inside the caller's transaction, asks the next member of an open
request that waits for nobody, or records that nobody (else) fits; the ask and its two jobs (delivery, expiry)
commit with the caller's change.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import Clock, to_iso
from bot.domain.matching import MemberFacts, Suggestion
from bot.domain.routing.detect import choose, detect_skills, facts_of, offer_of
from bot.domain.routing.models import (
    ANSWER_WITHIN,
    DELIVER_JOB,
    EXPIRE_JOB,
    MAX_ASKED,
    TAKEN_LOAD,
    UNMATCHED_JOB,
    WEEK,
    RoutingRequest,
)

if TYPE_CHECKING:
    from bot.db.database import Reader, Transaction
    from bot.db.repos.routing import RoutingRepo
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.jobs import JobService
    from bot.domain.qa import QAService
    from bot.domain.skills.catalog import SkillCatalog
    from bot.domain.skills.profiles import ProfileService
    from bot.domain.skills.taxonomy import Skill

log = logging.getLogger(__name__)


def job_key(kind: str, row_id: int) -> str:
    """The dedupe key of a routing job about one help post, request or ask."""
    return f"{kind}:{row_id}"


@dataclass(frozen=True, slots=True)
class Query:
    """What choosing whom to ask needs, read before the transaction: the asker, the skills, the title."""

    asker: MemberFacts
    skills: tuple[Skill, ...]
    title: str
    groups: Mapping[str, str]
    open: bool
    """Whether the post still exists and is not solved."""


class OtherCommitments(Protocol):
    """What other features know about a member's load and blocks (the introductions, item 5)."""

    async def open_counts(self, tx: Reader, guild_id: int) -> dict[int, int]:
        """Per member: open introductions that count against their capacity."""
        ...

    async def blocked_pairs(self, tx: Reader, guild_id: int) -> list[tuple[int, int]]:
        """Every (blocker, blocked) pair of the server."""
        ...


class Activity(Protocol):
    """Who went quiet (the members service): never asked."""

    async def quiet_among(self, tx: Reader, guild_id: int, user_ids: Iterable[int]) -> set[int]:
        """Members of ``user_ids`` not seen for a long time."""
        ...


class Dispatcher:
    """Asks the next fitting member of a request, or records that nobody fits (inside the caller's transaction)."""

    def __init__(
        self,
        repo: RoutingRepo,
        *,
        qa: QAService,
        profiles: ProfileService,
        catalog: SkillCatalog,
        guild_settings: GuildSettingsService,
        jobs: JobService,
        clock: Clock,
        commitments: OtherCommitments | None = None,
        activity: Activity | None = None,
    ) -> None:
        self._repo = repo
        self._commitments = commitments
        self._activity = activity
        self._qa = qa
        self._profiles = profiles
        self._catalog = catalog
        self._settings = guild_settings
        self._jobs = jobs
        self._clock = clock

    async def query(self, guild_id: int, thread_id: int, asker_id: int, skill_keys: Sequence[str] | None) -> Query:
        """Read what choosing needs; ``skill_keys`` None detects the skills from the post's title and text."""
        post = await self._qa.post(guild_id, thread_id)
        every = self._catalog.taxonomy.all(await self._catalog.server_skills(guild_id))
        if skill_keys is None:
            skill_keys = detect_skills(f"{post.title}\n{post.body}", every) if post is not None else ()
        by_key = {skill.key: skill for skill in every}
        profile = await self._profiles.get(guild_id, asker_id)
        return Query(
            asker=facts_of(asker_id, profile),
            skills=tuple(by_key[key] for key in skill_keys if key in by_key),
            title=post.title if post is not None else "",
            groups={skill.key: skill.group for skill in every},
            open=post is not None and not post.solved,
        )

    async def advance(self, tx: Transaction, request: RoutingRequest, query: Query) -> None:
        """Ask the next member of an open request that waits for nobody; record that nobody fits when none does."""
        if request.status != "open":
            return
        if not query.open:
            await self.close(tx, request)
            return
        asks = await self._repo.asks_of(request.id, tx)
        if any(ask.status == "pending" for ask in asks):
            return
        if len(asks) < MAX_ASKED:
            chosen = await self._choose(tx, request, query, {ask.helper_id for ask in asks})
            if chosen is not None:
                await self._ask(tx, request, chosen, position=len(asks) + 1)
                return
        if await self._repo.set_status(tx, request.id, "open", "unmatched", None, self._clock.now()):
            await self._jobs.enqueue(
                tx,
                UNMATCHED_JOB,
                {"request_id": request.id},
                dedupe_key=job_key(UNMATCHED_JOB, request.id),
                guild_id=request.guild_id,
            )

    async def _choose(
        self, tx: Transaction, request: RoutingRequest, query: Query, asked: Collection[int]
    ) -> Suggestion | None:
        """The best member to ask now, of those who may be asked (read inside the transaction)."""
        settings = await self._settings.get(request.guild_id)
        now = self._clock.now()
        candidates = await self._repo.candidates(tx, request.guild_id, request.asker_id, now)
        weekly = await self._repo.weekly_counts(tx, request.guild_id, now - WEEK)
        loads = await self._repo.loads(tx, request.guild_id, now - TAKEN_LOAD)
        blocked: set[int] = set()
        if self._commitments is not None:  # open introductions count against capacity; blocks exclude
            for member, count in (await self._commitments.open_counts(tx, request.guild_id)).items():
                loads[member] = loads.get(member, 0) + count
            for blocker, target in await self._commitments.blocked_pairs(tx, request.guild_id):
                if request.asker_id in (blocker, target):
                    blocked.add(target if blocker == request.asker_id else blocker)
        if self._activity is not None:
            blocked |= await self._activity.quiet_among(tx, request.guild_id, [c.user_id for c in candidates])
        now_iso = to_iso(now)
        offers = [
            offer_of(c, query.groups.get(c.skill or ""), loads.get(c.user_id, 0), now_iso)
            for c in candidates
            if c.user_id not in asked
            and c.user_id not in blocked
            and weekly.get(c.user_id, 0) < settings.weekly_ask_cap
        ]
        chosen = choose(request.id, query.asker, query.skills, query.title, offers, limit=1)
        return chosen[0] if chosen else None

    async def _ask(self, tx: Transaction, request: RoutingRequest, chosen: Suggestion, *, position: int) -> None:
        now = self._clock.now()
        ask_id = await self._repo.insert_ask(
            tx,
            request=request,
            helper_id=chosen.offer.owner.user_id,
            offer_id=chosen.offer.offer_id,
            position=position,
            now=now,
            expires_at=now + ANSWER_WITHIN,
        )
        # The payloads name rows, not members: forgetting the asked member must not drop the expiry.
        payload: dict[str, Any] = {"request_id": request.id, "ask_id": ask_id}
        guild_id = request.guild_id
        await self._jobs.enqueue(tx, DELIVER_JOB, payload, dedupe_key=job_key(DELIVER_JOB, ask_id), guild_id=guild_id)
        await self._jobs.enqueue(
            tx,
            EXPIRE_JOB,
            payload,
            run_at=now + ANSWER_WITHIN,
            dedupe_key=job_key(EXPIRE_JOB, ask_id),
            guild_id=guild_id,
        )
        log.info("Routing request %s of server %s: asked member number %d", request.id, guild_id, position)

    async def close(self, tx: Transaction, request: RoutingRequest) -> None:
        """The question ended without routing (solved, deleted or answered): withdraw what is pending."""
        now = self._clock.now()
        if await self._repo.set_status(tx, request.id, "open", "closed", None, now):
            for ask_id in await self._repo.withdraw(tx, request.id, now):
                await self._jobs.cancel(tx, job_key(EXPIRE_JOB, ask_id))
