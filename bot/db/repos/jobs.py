"""SQL for durable jobs: enqueue, the atomic claim with a lease, completion, retries, and clean-up.

Every write takes the caller's :class:`Transaction` (``BEGIN IMMEDIATE``), so two processes on one
database serialise their claims: the claim is one ``UPDATE … WHERE id = (SELECT …) RETURNING``, and a
job can only be finished by the worker whose name is in ``lease_owner``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.clock import from_iso, to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.jobs import Job, JobCount

_ENQUEUE = """
    INSERT INTO jobs (kind, guild_id, payload, dedupe_key, status, attempts, max_attempts, run_at,
                      created_at, updated_at)
    VALUES (:kind, :guild_id, :payload, :dedupe_key, 'pending', 0, :max_attempts, :run_at, :now, :now)
    ON CONFLICT DO NOTHING
    RETURNING id"""

# The due job that has waited longest: a pending job whose time came, or a running job whose worker's
# lease ran out (that worker died or hung). Each branch uses its own index and yields at most one row.
_CLAIM = """
    UPDATE jobs
    SET status = 'running', lease_owner = :worker, lease_expires_at = :lease_until,
        attempts = attempts + 1, updated_at = :now
    WHERE id = (
        SELECT id FROM (
            SELECT id, due_at FROM (
                SELECT id, run_at AS due_at FROM jobs
                WHERE status = 'pending' AND run_at <= :now
                  AND (:kinds IS NULL OR kind IN (SELECT value FROM json_each(:kinds)))
                ORDER BY run_at, id LIMIT 1)
            UNION ALL
            SELECT id, due_at FROM (
                SELECT id, lease_expires_at AS due_at FROM jobs
                WHERE status = 'running' AND lease_expires_at <= :now
                  AND (:kinds IS NULL OR kind IN (SELECT value FROM json_each(:kinds)))
                ORDER BY lease_expires_at, id LIMIT 1)
        )
        ORDER BY due_at, id LIMIT 1)
    RETURNING id, kind, guild_id, payload, dedupe_key, status, attempts, max_attempts, run_at,
              lease_owner, lease_expires_at, last_error, created_at, updated_at, finished_at"""

_EXTEND = """
    UPDATE jobs SET lease_expires_at = :until, updated_at = :now
    WHERE id = :id AND status = 'running' AND lease_owner = :worker"""

_COMPLETE = """
    UPDATE jobs
    SET status = 'done', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
        finished_at = :now, updated_at = :now
    WHERE id = :id AND status = 'running' AND lease_owner = :worker"""

_RETRY = """
    UPDATE jobs
    SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, run_at = :run_at,
        attempts = max(attempts - :refund, 0), last_error = coalesce(:error, last_error), updated_at = :now
    WHERE id = :id AND status = 'running' AND lease_owner = :worker"""

_RELEASE = """
    UPDATE jobs
    SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, run_at = :now,
        attempts = max(attempts - 1, 0), updated_at = :now
    WHERE status = 'running' AND substr(lease_owner, 1, length(:worker) + 1) = :worker || '#'"""

_BURY = """
    UPDATE jobs
    SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL, last_error = :error,
        finished_at = :now, updated_at = :now
    WHERE id = :id AND status = 'running' AND lease_owner = :worker"""

_CANCEL = """
    DELETE FROM jobs WHERE dedupe_key = :dedupe_key AND status = 'pending'"""

_GET = """
    SELECT id, kind, guild_id, payload, dedupe_key, status, attempts, max_attempts, run_at,
           lease_owner, lease_expires_at, last_error, created_at, updated_at, finished_at
    FROM jobs WHERE id = :id"""

_RUNNING_ELSEWHERE = """
    SELECT 1 FROM jobs
    WHERE kind = :kind AND status = 'running' AND lease_expires_at > :now
      AND substr(lease_owner, 1, length(:worker) + 1) != :worker || '#'
    LIMIT 1"""

_FIND_ACTIVE = """
    SELECT id, kind, guild_id, payload, dedupe_key, status, attempts, max_attempts, run_at,
           lease_owner, lease_expires_at, last_error, created_at, updated_at, finished_at
    FROM jobs WHERE dedupe_key = :dedupe_key AND status IN ('pending', 'running')"""

_COUNTS = """
    SELECT kind, status, count(*) AS n FROM jobs GROUP BY kind, status ORDER BY kind, status"""

# finished_at is set only when a job becomes done or dead
_PURGE = """
    DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < :before"""


_WAKE = """
    UPDATE jobs SET run_at = :now, updated_at = :now
    WHERE kind = :kind AND guild_id = :guild_id AND status = 'pending' AND run_at > :now"""

_FORGET_MEMBER = """
    DELETE FROM jobs
    WHERE guild_id = :guild_id AND (instr(payload, :id) > 0 OR instr(coalesce(last_error, ''), :id) > 0)"""


class JobsRepo:
    """Stores :class:`Job` rows. Writes run in the caller's transaction; it never opens one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        tx: Transaction,
        *,
        kind: str,
        payload: Mapping[str, Any],
        run_at: datetime,
        now: datetime,
        dedupe_key: str | None = None,
        guild_id: int | None = None,
        max_attempts: int = 5,
    ) -> int | None:
        """Insert a pending job; None (and nothing inserted) if ``dedupe_key`` is already pending or running."""
        rows = await tx.execute_returning(
            _ENQUEUE,
            {
                "kind": kind,
                "guild_id": guild_id,
                "payload": json.dumps(dict(payload), sort_keys=True),
                "dedupe_key": dedupe_key,
                "max_attempts": max_attempts,
                "run_at": to_iso(run_at),
                "now": to_iso(now),
            },
        )
        return int(rows[0]["id"]) if rows else None

    async def claim(
        self, tx: Transaction, worker_id: str, now: datetime, lease: timedelta, kinds: Iterable[str] | None = None
    ) -> Job | None:
        """Atomically take the longest-waiting due job (optionally of ``kinds``) for ``worker_id``.

        The job becomes running with a lease until ``now + lease`` and one more attempt; None if nothing is due.
        """
        rows = await tx.execute_returning(
            _CLAIM,
            {
                "worker": worker_id,
                "now": to_iso(now),
                "lease_until": to_iso(now + lease),
                "kinds": None if kinds is None else json.dumps(sorted(kinds)),
            },
        )
        return _to_job(rows[0]) if rows else None

    async def extend_lease(self, tx: Transaction, job_id: int, worker_id: str, until: datetime, now: datetime) -> bool:
        """Move the lease's expiry, if ``worker_id`` still holds it."""
        params = {"id": job_id, "worker": worker_id, "until": to_iso(until), "now": to_iso(now)}
        return await tx.execute_rowcount(_EXTEND, params) == 1

    async def complete(self, tx: Transaction, job_id: int, worker_id: str, now: datetime) -> bool:
        """Mark the job done; refused (False) unless ``worker_id`` still holds it (no one took it over)."""
        return await tx.execute_rowcount(_COMPLETE, {"id": job_id, "worker": worker_id, "now": to_iso(now)}) == 1

    async def fail(
        self, tx: Transaction, job_id: int, worker_id: str, now: datetime, error: str, retry_at: datetime | None
    ) -> bool:
        """Record a failed attempt: pending again at ``retry_at``, or dead when it is None.

        Refused (False) unless ``worker_id`` still holds the job.
        """
        if retry_at is None:
            params = {"id": job_id, "worker": worker_id, "now": to_iso(now), "error": error}
            return await tx.execute_rowcount(_BURY, params) == 1
        return await self._retry(tx, job_id, worker_id, now, retry_at, error=error, refund=0)

    async def reschedule(self, tx: Transaction, job_id: int, worker_id: str, now: datetime, run_at: datetime) -> bool:
        """Put a held job back to pending at ``run_at`` without counting the attempt (a handler's RetryLater)."""
        return await self._retry(tx, job_id, worker_id, now, run_at, error=None, refund=1)

    async def _retry(
        self,
        tx: Transaction,
        job_id: int,
        worker_id: str,
        now: datetime,
        run_at: datetime,
        *,
        error: str | None,
        refund: int,
    ) -> bool:
        params = {
            "id": job_id,
            "worker": worker_id,
            "now": to_iso(now),
            "run_at": to_iso(run_at),
            "error": error,
            "refund": refund,
        }
        return await tx.execute_rowcount(_RETRY, params) == 1

    async def cancel(self, tx: Transaction, dedupe_key: str) -> int:
        """Delete the pending job with this key (a running one is left to finish); returns how many."""
        return await tx.execute_rowcount(_CANCEL, {"dedupe_key": dedupe_key})

    async def release(self, tx: Transaction, worker_id: str, now: datetime) -> int:
        """Give back every job held under one of this worker's claims (a clean shutdown).

        They are due at once, and the interrupted attempt does not count.
        """
        return await tx.execute_rowcount(_RELEASE, {"worker": worker_id, "now": to_iso(now)})

    async def wake(self, tx: Transaction, kind: str, guild_id: int, now: datetime) -> int:
        """Make this server's pending jobs of ``kind`` due now (what they waited for happened)."""
        params = {"kind": kind, "guild_id": guild_id, "now": to_iso(now)}
        return await tx.execute_rowcount(_WAKE, params)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete this server's jobs whose payload or error mentions the member (work for or about them)."""
        return await tx.execute_rowcount(_FORGET_MEMBER, {"guild_id": guild_id, "id": str(user_id)})

    async def purge_finished(self, tx: Transaction, before: datetime) -> int:
        """Delete done and dead jobs that finished before ``before``; returns how many."""
        return await tx.execute_rowcount(_PURGE, {"before": to_iso(before)})

    async def get(self, job_id: int, tx: Reader | None = None) -> Job | None:
        """One job by id, or None."""
        row = await (tx or self._db).fetch_one(_GET, {"id": job_id})
        return None if row is None else _to_job(row)

    async def running_elsewhere(self, kind: str, worker_id: str, now: datetime) -> bool:
        """Whether a job of this kind runs under a live lease of another worker (another process)."""
        params = {"kind": kind, "worker": worker_id, "now": to_iso(now)}
        return await self._db.fetch_one(_RUNNING_ELSEWHERE, params) is not None

    async def find_active(self, dedupe_key: str, tx: Reader | None = None) -> Job | None:
        """The pending or running job with this key, or None."""
        row = await (tx or self._db).fetch_one(_FIND_ACTIVE, {"dedupe_key": dedupe_key})
        return None if row is None else _to_job(row)

    async def counts(self, tx: Reader | None = None) -> list[JobCount]:
        """How many jobs there are per kind and status."""
        rows = await (tx or self._db).fetch_all(_COUNTS)
        return [JobCount(r["kind"], r["status"], int(r["n"])) for r in rows]


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _to_job(row: sqlite3.Row) -> Job:
    return Job(
        id=int(row["id"]),
        kind=row["kind"],
        guild_id=row["guild_id"],
        payload=json.loads(row["payload"]),
        dedupe_key=row["dedupe_key"],
        status=row["status"],
        attempts=int(row["attempts"]),
        max_attempts=int(row["max_attempts"]),
        run_at=from_iso(row["run_at"]),
        lease_owner=row["lease_owner"],
        lease_expires_at=_maybe_time(row["lease_expires_at"]),
        last_error=row["last_error"],
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
        finished_at=_maybe_time(row["finished_at"]),
    )
