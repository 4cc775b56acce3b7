"""Durable jobs: work that survives restarts and runs once, even with two bot processes on one database.

A service enqueues a job inside its own use-case transaction (:meth:`JobService.enqueue`), so the job
commits together with the rows it concerns. A :class:`~bot.domain.job_runner.JobRunner` claims due jobs
(a lease with an expiry), runs their handlers outside any transaction, and completes, retries or buries them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.jobs import JobsRepo

log = logging.getLogger(__name__)

JobStatus = Literal["pending", "running", "done", "dead"]
STATUSES: tuple[JobStatus, ...] = ("pending", "running", "done", "dead")

DEAD_ALERT = "jobs.dead_alert"
"""The kind that tells a server's moderators that one of its jobs went dead (never alerts about itself)."""

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
MAX_ERROR_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Job:
    """One stored job. ``payload`` is the handler's arguments (decoded JSON)."""

    id: int
    kind: str
    guild_id: int | None
    payload: Mapping[str, Any]
    dedupe_key: str | None
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobCount:
    """How many jobs of one kind are in one status (for metrics and /about)."""

    kind: str
    status: JobStatus
    count: int


@dataclass(frozen=True, slots=True)
class KindPolicy:
    """How the runner treats one kind: its handler's retry limit, lease, backoff and recurrence."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    lease: timedelta = DEFAULT_LEASE
    backoff: timedelta = DEFAULT_BACKOFF
    every: timedelta | None = None
    first_at: datetime | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


class RetryLater(Exception):
    """Raised by a handler that cannot do its work yet (e.g. no moderators' channel configured).

    The job goes back to pending, due after ``delay``; the attempt is not counted as a failure.
    """

    def __init__(self, delay: timedelta, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay}")
        self.delay = delay
        self.reason = reason


def new_worker_id() -> str:
    """A worker id unique per process: host name, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def backoff_delay(job_id: int, attempt: int, base: timedelta, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """Exponential backoff after the ``attempt``-th failure, plus up to 10 % deterministic jitter.

    The jitter depends only on the job id and attempt, so retries of many jobs spread out while tests
    stay reproducible.
    """
    exponent = max(attempt - 1, 0)
    delay = min(base * (1 << min(exponent, 30)), cap)
    jitter_fraction = ((job_id * 2654435761 + attempt * 40503) % 1000) / 10_000  # 0 … 0.0999
    return delay + delay * jitter_fraction


def next_occurrence(previous: datetime, every: timedelta, now: datetime) -> datetime:
    """The first moment after ``now`` on the grid ``previous + k·every`` (missed runs are skipped)."""
    if every <= timedelta(0):
        raise ValueError("A recurring job needs a positive interval")
    periods = max((now - previous) // every, 0) + 1
    return previous + every * periods


def short_error(exc: BaseException) -> str:
    """What a failed job stores as its last error: the exception's class name only.

    Exception messages can quote member text or request bodies, so they go to the log (with the
    traceback), not into the table or the moderators' channel.
    """
    return type(exc).__name__[:MAX_ERROR_LENGTH]


class JobService:
    """Enqueues, cancels, counts and purges jobs. Services call :meth:`enqueue` inside their transaction."""

    member_columns: ClassVar[tuple[str, ...]] = ()
    """Jobs hold no member-id column; a payload that mentions a member is dropped on forget."""

    def __init__(
        self, uow: UnitOfWork, repo: JobsRepo, clock: Clock, policies: Mapping[str, KindPolicy] | None = None
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock
        self._policies: Mapping[str, KindPolicy] = policies if policies is not None else {}

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Nothing to export: jobs are the bot's own bookkeeping."""
        return {}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Drop this server's jobs for or about the member (their payload mentions the member's id)."""
        return await self._repo.forget_member(tx, guild_id, user_id)

    async def enqueue(
        self,
        tx: Transaction,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
        guild_id: int | None = None,
        max_attempts: int | None = None,
    ) -> int | None:
        """Add a job in the caller's transaction; it commits (or not) with the caller's rows.

        Returns the new job's id, or None when a job with the same ``dedupe_key`` is already pending or
        running (nothing is added). ``max_attempts`` defaults to the kind's registered policy.
        """
        policy = self._policies.get(kind)
        attempts = max_attempts or (policy.max_attempts if policy else DEFAULT_MAX_ATTEMPTS)
        now = self._clock.now()
        return await self._repo.enqueue(
            tx,
            kind=kind,
            payload=payload or {},
            run_at=run_at or now,
            now=now,
            dedupe_key=dedupe_key,
            guild_id=guild_id,
            max_attempts=attempts,
        )

    async def submit(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
        guild_id: int | None = None,
    ) -> int | None:
        """Enqueue a job in a transaction of its own (when there is no use case to join)."""
        async with self._uow.transaction() as tx:
            return await self.enqueue(tx, kind, payload, run_at=run_at, dedupe_key=dedupe_key, guild_id=guild_id)

    async def wake(self, tx: Transaction, kind: str, guild_id: int) -> int:
        """Make a server's pending jobs of ``kind`` due now (e.g. the channel they waited for was set)."""
        return await self._repo.wake(tx, kind, guild_id, self._clock.now())

    async def cancel(self, tx: Transaction, dedupe_key: str) -> int:
        """Drop the pending job with this key (a running one finishes); returns how many were dropped."""
        return await self._repo.cancel(tx, dedupe_key)

    async def get(self, job_id: int) -> Job | None:
        """One job by id (committed state), or None."""
        return await self._repo.get(job_id)

    async def running_elsewhere(self, kind: str, worker_id: str) -> bool:
        """Whether another worker (another process) is running a job of this kind now, under a live lease."""
        return await self._repo.running_elsewhere(kind, worker_id, self._clock.now())

    async def find_active(self, dedupe_key: str) -> Job | None:
        """The pending or running job with this key, or None."""
        return await self._repo.find_active(dedupe_key)

    async def counts(self) -> list[JobCount]:
        """How many jobs there are per kind and status."""
        return await self._repo.counts()

    async def purge_finished(self, older_than: timedelta) -> int:
        """Delete done and dead jobs that finished more than ``older_than`` ago; returns how many."""
        before = self._clock.now() - older_than
        async with self._uow.transaction() as tx:
            removed = await self._repo.purge_finished(tx, before)
        if removed:
            log.info("Purged %d finished job(s)", removed)
        return removed
