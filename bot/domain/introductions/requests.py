"""Match requests, double opt-in: a member asks for a match for a need; offerers are asked one at a time.

``/match request`` ranks the server's active offers for the need (:mod:`bot.domain.introductions.facts`), shows
the best few with why, and asks the best offerer: a job brings the ask to them (DM with Accept/Decline if they
opted in, else a notice and their ``/match inbox``) and another expires it after three days. A decline or an
expiry asks the next candidate and tells the requester, never who it was; a declined pair is never suggested
again. An offerer who lets three requests in a row expire has their offers paused (``/skills resume`` ends it).
When the offerer accepts, a job introduces the two (:mod:`bot.domain.introductions.followup`).

Ranking runs inside the use case's transaction, so two requests at once can never both take an offerer's
last free place. Every job handler re-reads the introduction and does nothing when its state moved on.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock, from_iso, to_iso
from bot.domain.introductions.common import (
    ASK_JOB,
    EXPIRE_JOB,
    OPEN_JOB,
    epoch,
    job_key,
    payload,
    skill_params,
    tell,
)
from bot.domain.introductions.facts import Pool, rank
from bot.domain.introductions.models import (
    ANSWER_WITHIN,
    EXPIRED_IN_ROW_LIMIT,
    SHOWN,
    Answer,
    Answered,
    AskDelivery,
    Introduction,
    MatchRequest,
    Requested,
)
from bot.domain.skills.models import MAX_PAUSE_DAYS, Listing
from bot.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from bot.db.database import Reader, Transaction, UnitOfWork
    from bot.db.repos.introductions import IntroductionsRepo
    from bot.db.repos.profiles import ProfilesRepo
    from bot.db.repos.skills import SkillsRepo
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.matching import Suggestion
    from bot.domain.members import MembersService
    from bot.domain.skills.catalog import SkillCatalog

log = logging.getLogger(__name__)

_ANSWERED: dict[str, str] = {
    "accepted": "match.answer.already_accepted",
    "declined": "match.answer.already_declined",
    "expired": "match.answer.expired",
    "withdrawn": "match.answer.withdrawn",
}


class IntroductionService:
    """Requests, asks, answers and expiries; also the privacy provider of every introductions table."""

    member_columns: ClassVar[tuple[str, ...]] = (
        "match_requests.requester_id",
        "introductions.requester_id",
        "introductions.offerer_id",
        "match_blocks.user_id",
        "match_blocks.blocked_user_id",
        "match_members.user_id",
    )

    async def open_counts(self, tx: Reader, guild_id: int) -> dict[int, int]:
        """Per offerer: asks waiting for their answer plus accepted introductions not yet checked in."""
        return await self._repo.open_counts(tx, guild_id)

    async def blocked_pairs(self, tx: Reader, guild_id: int) -> list[tuple[int, int]]:
        """Every (blocker, blocked) pair of the server."""
        return await self._repo.blocks(tx, guild_id)

    def __init__(
        self,
        uow: UnitOfWork,
        repo: IntroductionsRepo,
        skills: SkillsRepo,
        profiles: ProfilesRepo,
        catalog: SkillCatalog,
        guild_settings: GuildSettingsService,
        members: MembersService,
        jobs: JobService,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._skills = skills
        self._profiles = profiles
        self._catalog = catalog
        self._settings = guild_settings
        self._members = members
        self._jobs = jobs
        self._clock = clock

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the expiry of unanswered asks (the other kinds need Discord: the match cog registers them)."""
        runner.register(EXPIRE_JOB, self.expire, lease=timedelta(minutes=1))

    async def own_needs(self, guild_id: int, user_id: int) -> list[Listing]:
        """The member's needs (for autocomplete)."""
        return [item for item in await self._skills.by_member(guild_id, user_id) if item.kind == "need"]

    # --- asking -----------------------------------------------------------------------------------------------

    async def request(self, guild_id: int, user_id: int, need_id: int) -> Requested:
        """Ask for a match for one of the member's needs: rank, show the best, ask the best offerer."""
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            need = await self._skills.get(guild_id, need_id, tx)
            if need is None or need.kind != "need":
                raise NotFound("match.request.no_need", id=need_id)
            if need.user_id != user_id:
                raise Forbidden("match.request.not_yours")
            if await self._repo.live_request(tx, guild_id, need_id) is not None:
                raise Conflict("match.request.exists", id=need_id)
            suggestions = rank(await self._pool(tx, need), need, limit=SHOWN)
            if not suggestions:
                raise NotFound("match.request.nobody")
            request_id = await self._repo.insert_request(tx, guild_id, need_id, user_id, now)
            request = MatchRequest(request_id, guild_id, need_id, user_id, "open", to_iso(now), to_iso(now))
            asked = await self._ask(tx, request, suggestions[0])
        log.info("Match request %s in server %s: asked introduction %s", request_id, guild_id, asked.id)
        return Requested(request, need, tuple(suggestions), asked)

    async def _pool(self, tx: Transaction, need: Listing) -> Pool:
        """What matching needs to know about the need's server, read in the use case's transaction."""
        guild_id = need.guild_id
        offers = await self._skills.active_offers(guild_id, self._clock.now(), tx)
        ids = sorted({o.user_id for o in offers} | {need.user_id})
        custom = await self._catalog.server_skills(guild_id, tx)
        return Pool(
            offers=offers,
            profiles=await self._profiles.many(guild_id, ids, tx),
            open_counts=await self._repo.open_counts(tx, guild_id),
            blocks=await self._repo.blocks(tx, guild_id),
            declined=await self._repo.declined_offerers(tx, guild_id, need.user_id),
            outcomes=await self._repo.outcomes(tx, guild_id),
            groups={s.key: s.group for s in self._catalog.taxonomy.all(custom)},
            inactive=await self._members.quiet_among(tx, guild_id, ids),
        )

    async def _ask(self, tx: Transaction, request: MatchRequest, suggestion: Suggestion) -> Introduction:
        """Store the ask of one offerer, with the job that brings it to them and the one that expires it."""
        now = self._clock.now()
        answer_due = now + ANSWER_WITHIN
        offer = suggestion.offer
        intro_id = await self._repo.insert_introduction(
            tx, request, offer.owner.user_id, offer.offer_id, suggestion.reasons, suggestion.score, now, answer_due
        )
        guild_id = request.guild_id
        await self._jobs.enqueue(
            tx, ASK_JOB, payload(intro_id), dedupe_key=job_key(ASK_JOB, intro_id), guild_id=guild_id
        )
        await self._jobs.enqueue(
            tx,
            EXPIRE_JOB,
            payload(intro_id),
            run_at=answer_due,
            dedupe_key=job_key(EXPIRE_JOB, intro_id),
            guild_id=guild_id,
        )
        intro = await self._repo.introduction(guild_id, intro_id, tx)
        assert intro is not None
        return intro

    async def _next(self, tx: Transaction, request: MatchRequest, need: Listing) -> Introduction | None:
        """Ask the next candidate for a request (never one asked before), or end it; tell the requester either way."""
        now = self._clock.now()
        asked = {intro.offerer_id for intro in await self._repo.of_request(request.id, tx)}
        found = rank(await self._pool(tx, need), need, exclude=asked, limit=1)
        params = await skill_params(tx, self._catalog, self._settings, need, request.guild_id)
        intro = await self._ask(tx, request, found[0]) if found else None
        if intro is None:
            await self._repo.set_request_status(tx, request.guild_id, request.id, "exhausted", now)
        key = "match.notice.next" if intro is not None else "match.notice.exhausted"
        await tell(tx, self._members, self._jobs, request.guild_id, request.requester_id, key, params)
        return intro

    async def _context(self, tx: Transaction, intro: Introduction) -> tuple[MatchRequest | None, Listing | None]:
        """The introduction's request, and its need if the request still asks (else None)."""
        request = await self._repo.request(intro.guild_id, intro.request_id, tx)
        if request is None or request.status != "open":
            return request, None
        return request, await self._skills.get(intro.guild_id, request.need_id, tx)

    async def _withdraw(self, tx: Transaction, intro: Introduction, request: MatchRequest | None) -> None:
        """The request ended meanwhile (its need was removed): the ask ends quietly, and so does the request."""
        now = self._clock.now()
        await self._repo.move(tx, intro, "withdrawn", now)
        if request is not None and request.status == "open":
            await self._repo.set_request_status(tx, request.guild_id, request.id, "cancelled", now)

    # --- answers and expiry -----------------------------------------------------------------------------------

    async def answer(self, guild_id: int, user_id: int, intro_id: int, accept: bool) -> Answered:
        """The asked offerer accepts (the two will be introduced) or declines (the next candidate is asked)."""
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            intro = await self._repo.introduction(guild_id, intro_id, tx)
            if intro is None:
                raise NotFound("match.answer.gone")
            if intro.offerer_id != user_id:
                raise Forbidden("match.answer.not_yours")
            if intro.status != "asked":
                raise Conflict(_ANSWERED[intro.status])
            await self._jobs.cancel(tx, job_key(EXPIRE_JOB, intro.id))
            await self._repo.reset_streak(tx, guild_id, user_id, now)
            request, need = await self._context(tx, intro)
            result: Answer
            if request is None or need is None:
                await self._withdraw(tx, intro, request)
                result = "gone"
            elif accept:
                await self._repo.move(tx, intro, "accepted", now, answered=True)
                await self._repo.set_request_status(tx, guild_id, request.id, "matched", now)
                await self._jobs.enqueue(
                    tx, OPEN_JOB, payload(intro.id), dedupe_key=job_key(OPEN_JOB, intro.id), guild_id=guild_id
                )
                result = "accepted"
            else:
                await self._repo.move(tx, intro, "declined", now, answered=True)
                await self._next(tx, request, need)
                result = "declined"
            answered = await self._repo.introduction(guild_id, intro_id, tx)
        assert answered is not None
        return Answered(answered, result)

    async def expire(self, job: Job) -> None:
        """Handle an expiry job: an ask still unanswered ends, the offerer's streak grows, the next one is asked.

        The third expiry in a row pauses the offerer's offers (as ``/skills pause`` does) and tells them how to
        resume. Idempotent: an ask answered, expired or withdrawn meanwhile is left alone.
        """
        if job.guild_id is None:
            return
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            intro = await self._repo.introduction(job.guild_id, int(job.payload["introduction_id"]), tx)
            if intro is None or intro.status != "asked" or from_iso(intro.answer_due) > now:
                return
            request, need = await self._context(tx, intro)
            if request is None or need is None:
                await self._withdraw(tx, intro, request)
                return
            await self._repo.move(tx, intro, "expired", now)
            await self._expired_offerer(tx, intro, need)
            await self._next(tx, request, need)
        log.info("Introduction %s of server %s expired unanswered", intro.id, intro.guild_id)

    async def _expired_offerer(self, tx: Transaction, intro: Introduction, need: Listing) -> None:
        """Tell the offerer their ask expired; on the third in a row, pause their offers and say how to resume."""
        now = self._clock.now()
        guild_id, offerer = intro.guild_id, intro.offerer_id
        params = await skill_params(tx, self._catalog, self._settings, need, guild_id)
        await tell(tx, self._members, self._jobs, guild_id, offerer, "match.notice.ask_expired", params)
        if await self._repo.bump_streak(tx, guild_id, offerer, now) >= EXPIRED_IN_ROW_LIMIT:
            await self._skills.pause(tx, guild_id, offerer, None, now + timedelta(days=MAX_PAUSE_DAYS), now)
            await self._repo.mark_paused(tx, guild_id, offerer, now)
            limit = {"count": EXPIRED_IN_ROW_LIMIT}
            await tell(tx, self._members, self._jobs, guild_id, offerer, "match.notice.paused", limit)
            log.info("Paused the offers of a member of server %s after %d expired asks", guild_id, EXPIRED_IN_ROW_LIMIT)

    # --- bringing the ask to the offerer (the match cog's job) ------------------------------------------------

    async def due_ask(self, job: Job) -> AskDelivery | None:
        """The ask a job must deliver, if the offerer was not told yet and can still answer (else None)."""
        if job.guild_id is None:
            return None
        intro = await self._repo.introduction(job.guild_id, int(job.payload["introduction_id"]))
        if intro is None or intro.status != "asked" or intro.notified_at is not None:
            return None
        if from_iso(intro.answer_due) <= self._clock.now():
            return None  # too late to ask; the expiry job follows
        request = await self._repo.request(intro.guild_id, intro.request_id)
        need = await self._skills.get(intro.guild_id, request.need_id) if request is not None else None
        if need is None:
            return None
        return AskDelivery(intro, need, await self._members.dm_opt_in(intro.guild_id, intro.offerer_id))

    async def asked_by_dm(self, delivery: AskDelivery) -> bool:
        """Record that the offerer got the ask by DM; False if that was recorded already."""
        async with self._uow.transaction() as tx:
            return await self._repo.mark(tx, delivery.introduction, "notified", self._clock.now())

    async def ask_by_notice(self, delivery: AskDelivery) -> bool:
        """Tell the offerer on their next command instead (no DM opt-in, or the DM failed); False if done already."""
        intro = delivery.introduction
        params = await skill_params(None, self._catalog, self._settings, delivery.need, intro.guild_id)
        async with self._uow.transaction() as tx:
            if not await self._repo.mark(tx, intro, "notified", self._clock.now()):
                return False
            params["when"] = epoch(intro.answer_due)
            await self._members.add_notice(tx, intro.guild_id, intro.offerer_id, "match.notice.asked", params)
        return True

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's requests, introductions (never who declined theirs), blocks and no-show standing."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """End the member's requests and the asks to them (those requests move on), anonymise the rest."""
        touched, moved = await self._repo.forget_member(tx, guild_id, user_id, self._clock.now())
        for request_id in moved:
            request = await self._repo.request(guild_id, request_id, tx)
            need = await self._skills.get(guild_id, request.need_id, tx) if request is not None else None
            if request is not None and request.status == "open" and need is not None:
                await self._next(tx, request, need)
        return touched
