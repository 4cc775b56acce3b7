"""Routing unanswered questions to members who offered a fitting skill, one at a time.

The life of a question: every new help post schedules a look (:data:`CHECK_JOB`) ``routing_hours`` after it
opened, or at once when its asker chose "ask a person" in /ask. If the post is then still open and nobody but
the asker replied (the cog reads the thread), :meth:`RoutingService.start` stores a request and asks the best
fitting member: one who opted in to being asked, whose offer is not paused, who is not at capacity, was not
asked for this question yet and was asked fewer than ``weekly_ask_cap`` times this week. Each ask is a row and
two jobs in the same transaction: the delivery (a DM or a notice, by the cog) and the expiry after
:data:`ANSWER_WITHIN`. "I'll take it" ends the request (the cog mentions the taker in the thread once);
"Not now" or the expiry asks the next member, at most :data:`MAX_ASKED` in all; when nobody (else) fits the
asker is told so in the thread, with their province's digital-heritage coach, and never who declined.

Every step re-reads the state inside its transaction, so a job that runs twice, late, or in two processes at
once does nothing twice: one pending ask per request is also a unique index.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock, from_iso, to_iso
from bot.domain.jobs import RetryLater
from bot.domain.routing.asking import Activity, Dispatcher, OtherCommitments, job_key
from bot.domain.routing.models import ANNOUNCE_JOB, CHECK_JOB, EXPIRE_JOB, Ask, Origin, RoutingRequest
from bot.errors import Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.routing import RoutingRepo
    from bot.domain.guild_settings import GuildSettings, GuildSettingsService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.qa import QAService
    from bot.domain.qa_models import HelpPost
    from bot.domain.skills.catalog import SkillCatalog
    from bot.domain.skills.profiles import ProfileService

log = logging.getLogger(__name__)

StartListener = Callable[["Transaction", "HelpPost"], Awaitable[object]]
"""Told of every routing request started, inside its transaction: (tx, post) (e.g. the knowledge-gap ledger)."""


class RoutingService:
    """Starts routing a question, asks members one at a time, and records their answers."""

    member_columns: ClassVar[tuple[str, ...]] = (
        "routing_requests.asker_id",
        "routing_requests.helper_id",
        "routing_asks.helper_id",
    )

    def __init__(
        self,
        uow: UnitOfWork,
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
        self._uow = uow
        self._repo = repo
        self._qa = qa
        self._settings = guild_settings
        self._jobs = jobs
        self._clock = clock
        self._start_listeners: list[StartListener] = []
        self._asking = Dispatcher(
            repo,
            qa=qa,
            profiles=profiles,
            catalog=catalog,
            guild_settings=guild_settings,
            jobs=jobs,
            clock=clock,
            commitments=commitments,
            activity=activity,
        )

    def on_started(self, listener: StartListener) -> None:
        """Call ``listener(tx, post)`` inside the transaction that starts routing a post."""
        self._start_listeners.append(listener)

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the expiry of an ask (the look at the thread and the messages need Discord: the cog's)."""
        runner.register(EXPIRE_JOB, self.expire, lease=timedelta(minutes=1))

    # --- a new post, and the look at it once it is due ----------------------------------------------------------

    async def post_opened(self, tx: Transaction, post: HelpPost, ask_person: bool) -> None:
        """Schedule the look at a new help post: after ``routing_hours``, or at once for "ask a person"."""
        settings = await self._settings.get(post.guild_id)
        delay = timedelta(0) if ask_person else timedelta(hours=settings.routing_hours)
        await self._jobs.enqueue(
            tx,
            CHECK_JOB,
            {"thread_id": post.thread_id, "ask_person": ask_person},
            run_at=self._clock.now() + delay,
            dedupe_key=job_key(CHECK_JOB, post.thread_id),
            guild_id=post.guild_id,
        )

    async def settings_changed(self, tx: Transaction, before: GuildSettings, after: GuildSettings) -> None:
        """A shorter ``routing_hours`` makes waiting looks due now (each one waits again for what is left)."""
        if after.routing_hours < before.routing_hours:
            await self._jobs.wake(tx, CHECK_JOB, after.guild_id)

    async def due_check(self, job: Job) -> HelpPost | None:
        """The post a look is about, if routing may start now (None: solved, gone, routed, or skills switched off).

        A post whose ``routing_hours`` (as set now) have not passed yet is looked at again later.
        """
        if job.guild_id is None:
            return None
        post = await self._qa.post(job.guild_id, int(job.payload["thread_id"]))
        settings = await self._settings.get(job.guild_id)
        if post is None or post.solved or not settings.theme_enabled("skills"):
            return None
        if await self._repo.request_by_thread(post.guild_id, post.thread_id) is not None:
            return None
        if not job.payload.get("ask_person"):
            due = from_iso(post.created_at) + timedelta(hours=settings.routing_hours)
            if due > self._clock.now():
                raise RetryLater(due - self._clock.now(), "routing_hours not reached yet")
        return post

    async def start(self, post: HelpPost, origin: Origin) -> RoutingRequest | None:
        """Route an unanswered post: store the request and ask the first member (or record that nobody fits).

        None when the post is routed already (or gone).
        """
        query = await self._asking.query(post.guild_id, post.thread_id, post.author_id, None)
        if not query.open:
            return None
        async with self._uow.transaction() as tx:
            request_id = await self._repo.insert_request(
                tx,
                guild_id=post.guild_id,
                thread_id=post.thread_id,
                asker_id=post.author_id,
                origin=origin,
                skills=[s.key for s in query.skills],
                now=self._clock.now(),
            )
            if request_id is None:
                return None
            request = await self._repo.request(post.guild_id, request_id, tx)
            assert request is not None
            await self._asking.advance(tx, request, query)
            for listener in self._start_listeners:
                await listener(tx, post)
        return await self._repo.request(post.guild_id, request_id)

    async def answered(self, guild_id: int, thread_id: int) -> None:
        """Someone else replied in the thread meanwhile: stop routing it (the pending ask is withdrawn)."""
        async with self._uow.transaction() as tx:
            request = await self._repo.request_by_thread(guild_id, thread_id, tx)
            if request is not None and request.status == "open":
                await self._asking.close(tx, request)

    # --- the asked member's answer, or none ---------------------------------------------------------------------

    async def _own_ask(self, guild_id: int, user_id: int, ask_id: int) -> tuple[Ask, RoutingRequest]:
        ask = await self._repo.ask(guild_id, ask_id)
        request = None if ask is None else await self._repo.request(guild_id, ask.request_id)
        if ask is None or request is None:
            raise NotFound("routing.ask.gone")
        if ask.helper_id != user_id:
            raise Forbidden("routing.ask.not_yours")
        return ask, request

    async def take(self, guild_id: int, user_id: int, ask_id: int) -> RoutingRequest:
        """The asked member takes the question: the request is theirs, and the thread will mention them once."""
        ask, request = await self._own_ask(guild_id, user_id, ask_id)
        if ask.status == "taken":
            return request  # clicked twice
        post = await self._qa.post(guild_id, request.thread_id)
        if post is None or post.solved:
            raise Invalid("routing.ask.solved")
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            if not await self._repo.answer_ask(tx, ask.id, "taken", now):
                raise Invalid("routing.ask.moved_on")
            if not await self._repo.set_status(tx, request.id, "open", "taken", user_id, now):
                raise Invalid("routing.ask.moved_on")
            await self._jobs.cancel(tx, job_key(EXPIRE_JOB, ask.id))
            await self._jobs.enqueue(
                tx,
                ANNOUNCE_JOB,
                {"request_id": request.id},
                dedupe_key=job_key(ANNOUNCE_JOB, request.id),
                guild_id=guild_id,
            )
        return replace(request, status="taken", helper_id=user_id)

    async def decline(self, guild_id: int, user_id: int, ask_id: int) -> RoutingRequest:
        """The asked member passes ("not now"): the next one is asked. The asker never learns who passed."""
        ask, request = await self._own_ask(guild_id, user_id, ask_id)
        if ask.status == "declined":
            return request
        if ask.status != "pending":
            raise Invalid("routing.ask.moved_on")
        query = await self._asking.query(guild_id, request.thread_id, request.asker_id, request.skills)
        async with self._uow.transaction() as tx:
            if not await self._repo.answer_ask(tx, ask.id, "declined", self._clock.now()):
                raise Invalid("routing.ask.moved_on")
            await self._jobs.cancel(tx, job_key(EXPIRE_JOB, ask.id))
            current = await self._repo.request(guild_id, request.id, tx)
            if current is not None:
                await self._asking.advance(tx, current, query)
        return request

    async def expire(self, job: Job) -> None:
        """Handle an expiry (or a request whose asked member was forgotten): close the ask, ask the next member.

        Idempotent: an ask answered meanwhile, or a request that ended, is left alone.
        """
        if job.guild_id is None:
            return
        guild_id = job.guild_id
        request = await self._repo.request(guild_id, int(job.payload["request_id"]))
        if request is None or request.status != "open":
            return
        query = await self._asking.query(guild_id, request.thread_id, request.asker_id, request.skills)
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            ask_id = job.payload.get("ask_id")
            ask = None if ask_id is None else await self._repo.ask(guild_id, int(ask_id), tx)
            if ask is not None and ask.status == "pending" and ask.expires_at <= to_iso(now):
                await self._repo.answer_ask(tx, ask.id, "expired", now)
            current = await self._repo.request(guild_id, request.id, tx)
            if current is not None:
                await self._asking.advance(tx, current, query)

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's routed questions, the questions they were asked to help with, and those they took."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's questions and asks; a question they took stays taken without their id.

        A question that was waiting for the member's answer moves on to the next member at once.
        """
        touched, stalled = await self._repo.forget_member(tx, guild_id, user_id)
        for request_id in stalled:
            await self._jobs.enqueue(
                tx,
                EXPIRE_JOB,
                {"request_id": request_id},
                dedupe_key=f"routing.advance:{request_id}",
                guild_id=guild_id,
            )
        return touched
