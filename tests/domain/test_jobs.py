"""Durable jobs on a real SQLite file: enqueue, atomic claim, retries, dead alerts, recurrence, two workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.repos.jobs import JobsRepo
from bot.domain.digest.models import SWEEP_JOB
from bot.domain.job_runner import TOO_MANY_CLAIMS, JobRunner, recurring_key
from bot.domain.jobs import DEAD_ALERT, Job, JobCount, RetryLater, backoff_delay, next_occurrence
from bot.domain.moderation.models import SWEEP_JOB as MODERATION_SWEEP_JOB
from bot.domain.retention import CLEANUP_JOB
from bot.services import Services

GUILD = 4242


class Recorder:
    """A handler that records the jobs it ran (and which worker ran them), optionally failing."""

    def __init__(
        self, name: str = "", *, fail: bool = False, rendezvous: tuple[asyncio.Event, asyncio.Event] | None = None
    ) -> None:
        self.name = name
        self.fail = fail
        self.rendezvous = rendezvous
        self.runs: list[tuple[str, int]] = []

    async def __call__(self, job: Job) -> None:
        self.runs.append((self.name, job.id))
        if self.rendezvous is not None:
            mine, theirs = self.rendezvous
            mine.set()
            await asyncio.wait_for(theirs.wait(), timeout=20)
        await asyncio.sleep(0)  # let another worker interleave
        if self.fail:
            raise RuntimeError("secret member text that must not be stored")

    @property
    def ids(self) -> list[int]:
        return [job_id for _, job_id in self.runs]


@pytest.fixture
def runner(services: Services) -> JobRunner:
    """The services' runner without the production's recurring clean-up, so counts here are the tests' own."""
    services.job_runner.unregister(CLEANUP_JOB)
    services.job_runner.unregister(SWEEP_JOB)
    services.job_runner.unregister(MODERATION_SWEEP_JOB)
    return services.job_runner


@pytest.fixture
def alerts(runner: JobRunner) -> Recorder:
    """Dead alerts are recorded (the Discord side lives in the cog)."""
    recorder = Recorder("alerts")
    runner.register(DEAD_ALERT, recorder)
    return recorder


@pytest.fixture
async def second_db(db: Database) -> AsyncIterator[Database]:
    """A second process's connection to the same database file."""
    async with Database.open(db.path) as other:
        yield other


async def _status_of(services: Services, job_id: int | None) -> str:
    job = await services.jobs.get(job_id or 0)
    assert job is not None
    return job.status


async def test_enqueued_job_runs_once_and_is_done(services: Services, runner: JobRunner, clock: FixedClock) -> None:
    """A due job is claimed, its handler runs once, and it ends done with one attempt."""
    handler = Recorder()
    runner.register("test.work", handler)
    job_id = await services.jobs.submit("test.work", {"resource_id": 7}, guild_id=GUILD)
    assert job_id is not None
    assert await runner.run_due() == 1
    assert await runner.run_due() == 0
    assert handler.ids == [job_id]
    job = await services.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.attempts, job.finished_at, job.lease_owner) == ("done", 1, clock.now(), None)
    assert job.payload == {"resource_id": 7}


async def test_enqueue_commits_with_the_callers_transaction(services: Services, db: Database) -> None:
    """A job enqueued in a use case that fails is gone with it; a committed one is visible only after commit."""
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await services.jobs.enqueue(tx, "test.work", dedupe_key="a")
            raise RuntimeError("use case failed")
    assert await services.jobs.find_active("a") is None
    async with db.transaction() as tx:
        job_id = await services.jobs.enqueue(tx, "test.work", dedupe_key="b")
        assert await services.jobs.get(job_id or 0) is None  # the reader sees committed data only
    assert await services.jobs.get(job_id or 0) is not None


async def test_job_waits_until_it_is_due(services: Services, runner: JobRunner, clock: FixedClock) -> None:
    """A job scheduled for later is not run before its time."""
    handler = Recorder()
    runner.register("test.later", handler)
    await services.jobs.submit("test.later", run_at=clock.now() + timedelta(hours=1))
    assert await runner.run_due() == 0
    clock.advance(timedelta(hours=1))
    assert await runner.run_due() == 1
    assert len(handler.runs) == 1


async def test_dedupe_key_allows_one_active_job(services: Services, runner: JobRunner) -> None:
    """While a job with a key is pending, the same key adds nothing; once it is done, it can be added again."""
    runner.register("test.work", Recorder())
    first = await services.jobs.submit("test.work", dedupe_key="linkcheck:1")
    assert first is not None
    assert await services.jobs.submit("test.work", dedupe_key="linkcheck:1") is None
    await runner.run_due()
    second = await services.jobs.submit("test.work", dedupe_key="linkcheck:1")
    assert second is not None and second != first


async def test_failures_back_off_then_die_with_exactly_one_alert(
    services: Services, runner: JobRunner, clock: FixedClock, alerts: Recorder
) -> None:
    """A failing job is retried later and later, then dead, and exactly one dead_alert job tells its server."""
    runner.register("test.broken", Recorder(fail=True), max_attempts=3, backoff=timedelta(seconds=30))
    job_id = await services.jobs.submit("test.broken", guild_id=GUILD)
    assert job_id is not None
    delays = []
    for attempt in (1, 2):
        start = clock.now()
        await runner.run_due()
        job = await services.jobs.get(job_id)
        assert job is not None
        assert (job.status, job.attempts, job.last_error) == ("pending", attempt, "RuntimeError")
        delays.append(job.run_at - start)
        assert await runner.run_due() == 0  # not due yet
        clock.advance(job.run_at - clock.now())
    assert delays[0] >= timedelta(seconds=30) and delays[1] >= 2 * delays[0] * 0.9
    await runner.run_due()  # the third attempt fails: dead, and the alert runs in the same batch
    job = await services.jobs.get(job_id)
    assert job is not None and (job.status, job.attempts) == ("dead", 3)
    alert = await services.jobs.find_active(f"dead:{job_id}")
    assert alert is None  # it already ran
    assert len(alerts.runs) == 1
    kinds = {(c.kind, c.status): c.count for c in await services.jobs.counts()}
    assert kinds == {("test.broken", "dead"): 1, (DEAD_ALERT, "done"): 1}
    clock.advance(timedelta(days=1))
    assert await runner.run_due() == 0
    assert len(alerts.runs) == 1


async def test_dead_alert_payload_names_the_job_but_not_its_error_text(
    services: Services, runner: JobRunner, db: Database
) -> None:
    """The alert job carries the server, job id, kind, attempts and the error class, never the error's message."""
    runner.register("test.broken", Recorder(fail=True), max_attempts=1)
    job_id = await services.jobs.submit("test.broken", guild_id=GUILD)
    await runner.run_due(limit=1)
    alert = await services.jobs.find_active(f"dead:{job_id}")
    assert alert is not None
    assert (alert.kind, alert.guild_id) == (DEAD_ALERT, GUILD)
    assert alert.payload == {"job_id": job_id, "kind": "test.broken", "attempts": 1, "error": "RuntimeError"}
    stored = await db.fetch_all("SELECT payload, coalesce(last_error, '') AS e FROM jobs")
    assert not any("secret" in row["payload"] or "secret" in row["e"] for row in stored)


async def test_a_dead_alert_that_dies_alerts_no_more(services: Services, runner: JobRunner, clock: FixedClock) -> None:
    """When posting the alert itself keeps failing, it goes dead without a new alert."""
    runner.register(DEAD_ALERT, Recorder(fail=True), max_attempts=1)
    runner.register("test.broken", Recorder(fail=True), max_attempts=1)
    await services.jobs.submit("test.broken", guild_id=GUILD)
    await runner.run_due()
    clock.advance(timedelta(days=1))
    await runner.run_due()
    counts = {(c.kind, c.status): c.count for c in await services.jobs.counts()}
    assert counts == {("test.broken", "dead"): 1, (DEAD_ALERT, "dead"): 1}


async def test_global_job_dies_without_alert(services: Services, runner: JobRunner, alerts: Recorder) -> None:
    """A job of no server has no moderators' channel to tell; it dies quietly (logged)."""
    runner.register("test.broken", Recorder(fail=True), max_attempts=1)
    job_id = await services.jobs.submit("test.broken")
    await runner.run_due()
    assert await _status_of(services, job_id) == "dead"
    assert alerts.runs == []


async def test_retry_later_does_not_count_as_a_failure(
    services: Services, runner: JobRunner, clock: FixedClock
) -> None:
    """RetryLater puts the job back, due after the delay, without using up an attempt."""
    calls: list[int] = []

    async def needs_channel(job: Job) -> None:
        calls.append(job.attempts)
        if len(calls) < 3:
            raise RetryLater(timedelta(minutes=10), "no moderators' channel yet")

    runner.register("test.wait", needs_channel, max_attempts=1)
    job_id = await services.jobs.submit("test.wait", guild_id=GUILD)
    for _ in range(2):
        await runner.run_due()
        job = await services.jobs.get(job_id or 0)
        assert job is not None
        assert (job.status, job.attempts, job.run_at) == ("pending", 0, clock.now() + timedelta(minutes=10))
        clock.advance(timedelta(minutes=10))
    await runner.run_due()
    assert calls == [1, 1, 1]
    assert await _status_of(services, job_id) == "done"


async def test_a_kind_this_worker_does_not_handle_is_left_for_others(
    services: Services, runner: JobRunner, alerts: Recorder
) -> None:
    """A job of a kind nobody here handles (another version's) is not claimed, not killed; the rest still run."""
    handler = Recorder()
    runner.register("test.work", handler)
    unknown = await services.jobs.submit("test.nobody", guild_id=GUILD)
    await services.jobs.submit("test.work")
    assert await runner.run_due() == 1
    job = await services.jobs.get(unknown or 0)
    assert job is not None and (job.status, job.attempts) == ("pending", 0)
    assert len(handler.runs) == 1 and alerts.runs == []


async def test_a_late_completion_of_an_earlier_claim_is_refused(db: Database, clock: FixedClock) -> None:
    """A run that outlived its lease cannot complete the job another claim (same process) is running: fenced."""
    b_started, release_b = asyncio.Event(), asyncio.Event()
    owners: list[str | None] = []
    second: list[asyncio.Task[int]] = []
    loop_runner = JobRunner(db, JobsRepo(db), clock, "one-process")
    kick_runner = JobRunner(db, JobsRepo(db), clock, "one-process")  # the jobs loop and a kick, one process

    async def slow(job: Job) -> None:
        owners.append(job.lease_owner)
        if len(owners) == 1:  # the first run: its lease runs out, the job is claimed again meanwhile
            clock.advance(timedelta(minutes=10))
            second.append(asyncio.create_task(kick_runner.run_due()))
            await asyncio.wait_for(b_started.wait(), timeout=20)
        else:
            b_started.set()
            await asyncio.wait_for(release_b.wait(), timeout=20)

    for runner in (loop_runner, kick_runner):
        runner.register("test.slow", slow, lease=timedelta(minutes=5))
    async with db.transaction() as tx:
        job_id = await JobsRepo(db).enqueue(tx, kind="test.slow", payload={}, run_at=clock.now(), now=clock.now())
    assert await loop_runner.run_due() == 1  # the first run returns while the second still runs
    job = await JobsRepo(db).get(job_id or 0)
    assert job is not None and job.status == "running" and job.lease_owner == owners[1] != owners[0]
    release_b.set()
    assert await second[0] == 1
    job = await JobsRepo(db).get(job_id or 0)
    assert job is not None and (job.status, job.attempts) == ("done", 2)


async def test_handler_may_open_its_own_transactions(services: Services, runner: JobRunner) -> None:
    """Handlers run outside the runner's transactions, so they can run use cases (here: enqueue a follow-up)."""
    follow_up = Recorder()

    async def chain(job: Job) -> None:
        await services.jobs.submit("test.follow_up", {"after": job.id})

    runner.register("test.chain", chain)
    runner.register("test.follow_up", follow_up)
    await services.jobs.submit("test.chain")
    assert await runner.run_due() == 2
    assert len(follow_up.runs) == 1


async def test_kind_lease_applies_on_claim(services: Services, runner: JobRunner, clock: FixedClock) -> None:
    """A kind registered with a long lease holds its job that long, so nobody takes it over meanwhile."""
    seen: list[Job | None] = []

    async def slow(job: Job) -> None:
        seen.append(await services.jobs.get(job.id))

    runner.register("test.slow", slow, lease=timedelta(hours=2))
    await services.jobs.submit("test.slow")
    await runner.run_due()
    assert seen[0] is not None
    assert seen[0].lease_expires_at == clock.now() + timedelta(hours=2)
    assert seen[0].lease_owner is not None and seen[0].lease_owner.startswith(runner.worker_id + "#")


async def test_recurring_job_enqueues_its_next_run_once(
    services: Services, runner: JobRunner, clock: FixedClock
) -> None:
    """A recurring kind is seeded once, and each run enqueues exactly one next occurrence (missed ones skipped)."""
    handler = Recorder()
    start = clock.now()
    runner.recurring("test.hourly", handler, every=timedelta(hours=1), first_at=start)
    assert await runner.run_due() == 1
    assert await runner.seed_recurring() == 0
    pending = await services.jobs.find_active(recurring_key("test.hourly"))
    assert pending is not None and pending.run_at == start + timedelta(hours=1)
    # a restart: a new runner registers the same kind; the seed finds the pending occurrence and adds nothing
    runner.recurring("test.hourly", handler, every=timedelta(hours=1), first_at=start)
    assert await runner.seed_recurring() == 0
    clock.advance(timedelta(hours=3, minutes=30))
    assert await runner.run_due() == 1
    pending = await services.jobs.find_active(recurring_key("test.hourly"))
    assert pending is not None and pending.run_at == start + timedelta(hours=4)
    counts = {(c.kind, c.status): c.count for c in await services.jobs.counts()}
    assert counts == {("test.hourly", "done"): 2, ("test.hourly", "pending"): 1}


async def test_recurring_job_keeps_recurring_after_it_dies(
    services: Services, runner: JobRunner, alerts: Recorder
) -> None:
    """A recurring occurrence that goes dead still schedules the next one."""
    runner.recurring("test.flaky", Recorder(fail=True), every=timedelta(hours=6), max_attempts=1)
    await runner.run_due()
    pending = await services.jobs.find_active(recurring_key("test.flaky"))
    assert pending is not None and pending.status == "pending"


async def test_two_workers_on_one_database_run_every_job_exactly_once(
    db: Database, second_db: Database, clock: FixedClock
) -> None:
    """Two processes' runners, each with its own connection, share 300 jobs: every handler runs exactly once.

    Each worker's first handler waits until the other worker is also inside a handler, so both hold a
    claimed job at the same moment (proof they really run side by side, without sleeping).
    """
    started = {"a": asyncio.Event(), "b": asyncio.Event()}
    recorders = []
    runners = []
    for name, other, database in (("a", "b", db), ("b", "a", second_db)):
        recorder = Recorder(name, rendezvous=(started[name], started[other]))
        worker = JobRunner(database, JobsRepo(database), clock, f"worker-{name}")
        worker.register("test.work", recorder)
        recorders.append(recorder)
        runners.append(worker)
    repo = JobsRepo(db)
    async with db.transaction() as tx:
        ids = [
            await repo.enqueue(tx, kind="test.work", payload={"n": n}, run_at=clock.now(), now=clock.now())
            for n in range(300)
        ]

    async def drain(worker: JobRunner) -> None:
        while await worker.run_due(limit=7):
            pass

    await asyncio.gather(*(drain(w) for w in runners))
    ran = sorted(recorders[0].ids + recorders[1].ids)
    assert ran == sorted(ids)
    assert recorders[0].runs and recorders[1].runs  # both really worked
    counts = await JobsRepo(second_db).counts()
    assert counts == [JobCount("test.work", "done", 300)]


async def test_expired_lease_is_taken_over_and_the_late_worker_is_refused(
    db: Database, second_db: Database, clock: FixedClock
) -> None:
    """Worker A claims a job and dies; after the lease B runs it; A's late completion changes nothing."""
    repo_a = JobsRepo(db)
    async with db.transaction() as tx:
        job_id = await repo_a.enqueue(tx, kind="test.work", payload={}, run_at=clock.now(), now=clock.now())
        claimed = await repo_a.claim(tx, "worker-a", clock.now(), timedelta(minutes=5))
    assert claimed is not None and claimed.id == job_id
    handler = Recorder("b")
    runner_b = JobRunner(second_db, JobsRepo(second_db), clock, "worker-b")
    runner_b.register("test.work", handler)
    assert await runner_b.run_due() == 0  # A's lease still holds
    clock.advance(timedelta(minutes=5, seconds=1))
    assert await runner_b.run_due() == 1
    assert handler.ids == [job_id]
    async with db.transaction() as tx:
        assert not await repo_a.complete(tx, job_id or 0, "worker-a", clock.now())
        assert not await repo_a.fail(tx, job_id or 0, "worker-a", clock.now(), "Late", None)
    job = await repo_a.get(job_id or 0)
    assert job is not None and (job.status, job.attempts) == ("done", 2)


async def test_job_whose_workers_keep_dying_is_buried(services: Services, db: Database, clock: FixedClock) -> None:
    """A job claimed max_attempts times without ever finishing is marked dead, not run again."""
    handler = Recorder()
    services.job_runner.register("test.crashy", handler, max_attempts=2)
    job_id = await services.jobs.submit("test.crashy")
    repo = JobsRepo(db)
    for n in range(2):
        async with db.transaction() as tx:
            assert await repo.claim(tx, f"dying-{n}", clock.now(), timedelta(minutes=1)) is not None
        clock.advance(timedelta(minutes=2))
    await services.job_runner.run_due()
    job = await services.jobs.get(job_id or 0)
    assert job is not None and (job.status, job.last_error) == ("dead", TOO_MANY_CLAIMS)
    assert handler.runs == []


async def test_claim_can_be_limited_to_kinds(db: Database, clock: FixedClock) -> None:
    """A claim restricted to some kinds leaves the others alone."""
    repo = JobsRepo(db)
    async with db.transaction() as tx:
        await repo.enqueue(tx, kind="a", payload={}, run_at=clock.now(), now=clock.now())
        b = await repo.enqueue(tx, kind="b", payload={}, run_at=clock.now(), now=clock.now())
        claimed = await repo.claim(tx, "w", clock.now(), timedelta(minutes=1), kinds=["b"])
        assert claimed is not None and claimed.id == b
        assert await repo.claim(tx, "w", clock.now(), timedelta(minutes=1), kinds=["c"]) is None


async def test_cancel_drops_only_pending_jobs(services: Services, db: Database) -> None:
    """Cancelling by key removes the pending job; nothing else."""
    await services.jobs.submit("test.work", dedupe_key="purge:1")
    async with db.transaction() as tx:
        assert await services.jobs.cancel(tx, "purge:1") == 1
        assert await services.jobs.cancel(tx, "purge:1") == 0
    assert await services.jobs.find_active("purge:1") is None


async def test_purge_removes_old_finished_jobs_only(services: Services, runner: JobRunner, clock: FixedClock) -> None:
    """Finished jobs older than the cut-off go; recent and pending ones stay."""
    runner.register("test.work", Recorder())
    old = await services.jobs.submit("test.work")
    await runner.run_due()
    clock.advance(timedelta(days=31))
    recent = await services.jobs.submit("test.work")
    await runner.run_due()
    waiting = await services.jobs.submit("test.work", run_at=clock.now() + timedelta(days=1))
    assert await services.jobs.purge_finished(timedelta(days=30)) == 1
    assert await services.jobs.get(old or 0) is None
    assert await services.jobs.get(recent or 0) is not None
    assert await services.jobs.get(waiting or 0) is not None


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    """Each failure doubles the delay (plus under 10 % jitter, the same every time), up to the cap."""
    base = timedelta(seconds=30)
    delays = [backoff_delay(17, attempt, base) for attempt in range(1, 6)]
    for attempt, delay in enumerate(delays, start=1):
        plain = base * 2 ** (attempt - 1)
        assert plain <= delay < plain * 1.1
    assert delays == [backoff_delay(17, attempt, base) for attempt in range(1, 6)]
    assert backoff_delay(17, 40, base) < timedelta(hours=6) * 1.1


def test_next_occurrence_skips_missed_runs(clock: FixedClock) -> None:
    """The next run is the first grid point after now."""
    start = clock.now()
    hour = timedelta(hours=1)
    assert next_occurrence(start, hour, start) == start + hour
    assert next_occurrence(start, hour, start + timedelta(hours=2, minutes=1)) == start + 3 * hour
    assert next_occurrence(start, hour, start - timedelta(hours=5)) == start + hour


async def test_a_clean_shutdown_releases_held_jobs_at_once(
    db: Database, second_db: Database, clock: FixedClock
) -> None:
    """A worker that stops cleanly gives back its running jobs; the other takes them without waiting."""
    repo_a = JobsRepo(db)
    runner_a = JobRunner(db, repo_a, clock, "worker-a")
    async with db.transaction() as tx:
        job_id = await repo_a.enqueue(tx, kind="test.work", payload={}, run_at=clock.now(), now=clock.now())
        assert await repo_a.claim(tx, "worker-a#1", clock.now(), timedelta(minutes=5)) is not None
    assert await runner_a.release() == 1
    handler = Recorder("b")
    runner_b = JobRunner(second_db, JobsRepo(second_db), clock, "worker-b")
    runner_b.register("test.work", handler)
    assert await runner_b.run_due() == 1  # no waiting for A's lease
    job = await repo_a.get(job_id or 0)
    assert handler.ids == [job_id] and job is not None and (job.status, job.attempts) == ("done", 1)


async def test_a_job_running_in_another_process_is_seen_while_its_lease_lives(
    services: Services, runner: JobRunner, db: Database, clock: FixedClock
) -> None:
    """running_elsewhere: true for another worker's live lease of that kind, never for the asking worker's own
    running job, another kind, or a lease that ran out (the digest fan-out uses it to run in one process at once)."""
    started, release = asyncio.Event(), asyncio.Event()
    other = JobRunner(db, JobsRepo(db), clock, "other-process")
    other.register("fan", Recorder("other", rendezvous=(started, release)))
    async with db.transaction() as tx:
        await services.jobs.enqueue(tx, "fan")
    running = asyncio.create_task(other.run_due())
    await asyncio.wait_for(started.wait(), timeout=20)
    try:
        assert await services.jobs.running_elsewhere("fan", runner.worker_id)
        assert not await services.jobs.running_elsewhere("fan", other.worker_id)
        assert not await services.jobs.running_elsewhere("other-kind", runner.worker_id)
        clock.advance(timedelta(hours=1))  # its lease ran out: a stopped process no longer holds others back
        assert not await services.jobs.running_elsewhere("fan", runner.worker_id)
    finally:
        release.set()
        await running
