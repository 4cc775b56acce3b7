"""The job worker: claims due jobs, runs their handlers, and completes, retries or buries them.

Each step has its own short transaction: the claim, then (after the handler ran, outside any
transaction; handlers open their own use-case transactions through services) the outcome. A job can be
finished only by the worker holding its lease, so a worker whose lease ran out and was taken over
cannot overwrite the new owner's result. Handlers should be idempotent: a worker that dies after its
handler's work committed but before completion leaves the job to be run again once the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.domain.jobs import (
    DEAD_ALERT,
    DEFAULT_BACKOFF,
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    Job,
    KindPolicy,
    RetryLater,
    backoff_delay,
    next_occurrence,
    short_error,
)

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.jobs import JobsRepo

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[None]]
"""Runs one job; returns normally when done, raises :class:`RetryLater` or any error otherwise."""

UNKNOWN_KIND = "unknown kind"
TOO_MANY_CLAIMS = "lease expired too often"
DEAD_ALERT_ATTEMPTS = 5


def recurring_key(kind: str) -> str:
    """The dedupe key of a recurring kind's single pending occurrence."""
    return f"recurring:{kind}"


class JobRunner:
    """Runs due jobs for one worker (one per process; ``worker_id`` names it in the lease)."""

    def __init__(
        self, uow: UnitOfWork, repo: JobsRepo, clock: Clock, worker_id: str, *, claim_lease: timedelta = DEFAULT_LEASE
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock
        self.worker_id = worker_id
        self._claim_lease = claim_lease
        self.policies: dict[str, KindPolicy] = {}
        """Registered kinds' policies; :class:`~bot.domain.jobs.JobService` reads it for defaults."""
        self._handlers: dict[str, Handler] = {}
        self._unseeded: set[str] = set()
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._failure_listeners: list[Callable[[str], None]] = []

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        lease: timedelta = DEFAULT_LEASE,
        backoff: timedelta = DEFAULT_BACKOFF,
    ) -> None:
        """Handle jobs of ``kind`` with ``handler``; ``lease`` must exceed the handler's longest run."""
        if max_attempts < 1 or lease <= timedelta(0):
            raise ValueError("A job kind needs max_attempts >= 1 and a positive lease")
        self.policies[kind] = KindPolicy(max_attempts=max_attempts, lease=lease, backoff=backoff)
        self._handlers[kind] = handler

    def recurring(
        self,
        kind: str,
        handler: Handler,
        *,
        every: timedelta,
        first_at: datetime | None = None,
        payload: Mapping[str, Any] | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        lease: timedelta = DEFAULT_LEASE,
        backoff: timedelta = DEFAULT_BACKOFF,
    ) -> None:
        """Register a kind that runs every ``every``, first at ``first_at`` (default: now).

        The first occurrence is enqueued on the next :meth:`run_due` (idempotently, by the dedupe key
        ``recurring:<kind>``), and each finished occurrence, done or dead, enqueues the next one in the
        same transaction. Jobs of this kind enqueued by others (per server, with their own dedupe key)
        recur the same way.
        """
        if every <= timedelta(0):
            raise ValueError("A recurring job needs a positive interval")
        self.register(kind, handler, max_attempts=max_attempts, lease=lease, backoff=backoff)
        self.policies[kind] = KindPolicy(
            max_attempts=max_attempts,
            lease=lease,
            backoff=backoff,
            every=every,
            first_at=first_at,
            payload=dict(payload or {}),
        )
        self._unseeded.add(kind)

    def on_failure(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with the kind of every job attempt that fails (retried or dead), e.g. for metrics."""
        self._failure_listeners.append(listener)

    def unregister(self, kind: str) -> None:
        """Stop handling ``kind`` in this process; a job of it this runner claims afterwards is dead (unknown)."""
        self.policies.pop(kind, None)
        self._handlers.pop(kind, None)
        self._unseeded.discard(kind)

    async def seed_recurring(self) -> int:
        """Enqueue the first occurrence of every newly registered recurring kind; returns how many were new."""
        added = 0
        for kind in sorted(self._unseeded):
            policy = self.policies[kind]
            now = self._clock.now()
            async with self._uow.transaction() as tx:
                job_id = await self._repo.enqueue(
                    tx,
                    kind=kind,
                    payload=policy.payload,
                    run_at=policy.first_at or now,
                    now=now,
                    dedupe_key=recurring_key(kind),
                    max_attempts=policy.max_attempts,
                )
            self._unseeded.discard(kind)  # only once it is stored: a failed seed is tried again next time
            added += job_id is not None
        return added

    async def release(self) -> int:
        """Give back the jobs this worker still holds (on a clean shutdown), so another takes them at once."""
        async with self._uow.transaction() as tx:
            released = await self._repo.release(tx, self.worker_id, self._clock.now())
        if released:
            log.info("Released %d unfinished job(s) on shutdown", released)
        return released

    async def run_due(self, limit: int = 20) -> int:
        """Claim and run due jobs one by one, at most ``limit``; returns how many were run."""
        await self.seed_recurring()
        ran = 0
        while ran < limit:
            job = await self._claim()
            if job is None:
                break
            ran += 1
            await self._run(job)
        return ran

    async def wait_idle(self) -> None:
        """Wait until no job claimed by this process is running (the jobs loop's or a background run's)."""
        await self._idle.wait()

    async def _claim(self) -> Job | None:
        """Claim a due job of a kind this worker handles, under a token of this one claim.

        Jobs of kinds it does not know (another version's, during a rolling upgrade) are left for others.
        The token fences the outcome: if the lease ran out and the job was claimed again (even by this
        process), a late completion of the earlier run is refused.
        """
        if not self._handlers:
            return None
        now = self._clock.now()
        token = f"{self.worker_id}#{secrets.token_hex(6)}"
        async with self._uow.transaction() as tx:
            job = await self._repo.claim(tx, token, now, self._claim_lease, kinds=self._handlers)
            policy = self.policies.get(job.kind) if job else None
            if job is not None and policy is not None and policy.lease != self._claim_lease:
                await self._repo.extend_lease(tx, job.id, token, now + policy.lease, now)
        return job

    async def _heartbeat(self, job: Job) -> None:
        """While a handler runs, renew its lease every third of the lease, so a slow job is not taken over."""
        lease = (self.policies.get(job.kind) or KindPolicy()).lease
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            now = self._clock.now()
            async with self._uow.transaction() as tx:
                if not await self._repo.extend_lease(tx, job.id, _owner(job), now + lease, now):
                    return

    async def _run(self, job: Job) -> None:
        self._running += 1
        self._idle.clear()
        try:
            await self._run_claimed(job)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def _run_claimed(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:
            log.error("Job %s has unknown kind %s; marking it dead", job.id, job.kind)
            await self._finish_failed(job, UNKNOWN_KIND, final=True)
            return
        if job.attempts > job.max_attempts:  # earlier workers died holding it, max_attempts times
            log.error(
                "Job %s (%s) was claimed %d times without finishing; marking it dead", job.id, job.kind, job.attempts
            )
            await self._finish_failed(job, TOO_MANY_CLAIMS, final=True)
            return
        heartbeat = asyncio.create_task(self._heartbeat(job), name=f"steunpunt-job-lease-{job.id}")
        try:
            await handler(job)
        except RetryLater as later:
            log.info("Job %s (%s) asked to retry in %s", job.id, job.kind, later.delay)
            await self._finish_later(job, later.delay)
        except Exception as exc:
            log.exception("Job %s (%s) failed on attempt %d of %d", job.id, job.kind, job.attempts, job.max_attempts)
            await self._finish_failed(job, short_error(exc), final=job.attempts >= job.max_attempts)
        else:
            await self._finish_done(job)
        finally:
            heartbeat.cancel()

    async def _finish_done(self, job: Job) -> None:
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            if not await self._repo.complete(tx, job.id, _owner(job), now):
                self._lost(job)
                return
            await self._enqueue_next(tx, job, now)

    async def _finish_later(self, job: Job, delay: timedelta) -> None:
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            if not await self._repo.reschedule(tx, job.id, _owner(job), now, now + delay):
                self._lost(job)

    async def _finish_failed(self, job: Job, error: str, *, final: bool) -> None:
        for listener in self._failure_listeners:
            listener(job.kind)
        now = self._clock.now()
        policy = self.policies.get(job.kind) or KindPolicy()
        retry_at = None if final else now + backoff_delay(job.id, job.attempts, policy.backoff)
        async with self._uow.transaction() as tx:
            if not await self._repo.fail(tx, job.id, _owner(job), now, error, retry_at):
                self._lost(job)
                return
            if retry_at is None:
                log.error("Job %s (%s) is dead after %d attempt(s): %s", job.id, job.kind, job.attempts, error)
                await self._alert_dead(tx, job, error, now)
                await self._enqueue_next(tx, job, now)
            else:
                log.info("Job %s (%s) will be retried at %s", job.id, job.kind, retry_at.isoformat())

    async def _alert_dead(self, tx: Transaction, job: Job, error: str, now: datetime) -> None:
        """Enqueue the one moderators' alert for a dead job (none for a dead alert, none without a server)."""
        if job.kind == DEAD_ALERT:
            return
        if not job.guild_id:
            log.error("Dead job %s (%s) belongs to no server; no moderators to tell", job.id, job.kind)
            return
        payload = {"job_id": job.id, "kind": job.kind, "attempts": job.attempts, "error": error}
        policy = self.policies.get(DEAD_ALERT)
        await self._repo.enqueue(
            tx,
            kind=DEAD_ALERT,
            payload=payload,
            run_at=now,
            now=now,
            dedupe_key=f"dead:{job.id}",
            guild_id=job.guild_id,
            max_attempts=policy.max_attempts if policy else DEAD_ALERT_ATTEMPTS,
        )

    async def _enqueue_next(self, tx: Transaction, job: Job, now: datetime) -> None:
        """For a recurring kind, enqueue the next occurrence in the finishing transaction."""
        policy = self.policies.get(job.kind)
        if policy is None or policy.every is None:
            return
        await self._repo.enqueue(
            tx,
            kind=job.kind,
            payload=job.payload,
            run_at=next_occurrence(job.run_at, policy.every, now),
            now=now,
            dedupe_key=job.dedupe_key,
            guild_id=job.guild_id,
            max_attempts=job.max_attempts,
        )

    def _lost(self, job: Job) -> None:
        log.warning("Job %s (%s): lease lost to another worker; its outcome here is dropped", job.id, job.kind)


def _owner(job: Job) -> str:
    """The token under which this run of the job was claimed."""
    return job.lease_owner or ""
