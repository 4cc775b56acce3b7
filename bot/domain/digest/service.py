"""The weekly digest's use cases: schedule, plan a run exactly once, claim each send, subscriptions, reports.

CONTRACT (the cog ``cogs/digest`` is written against these signatures; implementations follow the docstrings).
Every write is one transaction; nothing here imports discord.

How a period goes: each server with a digest channel has one ``digest.run`` job (dedupe key
``digest:run:<guild>``) due at its next slot (:mod:`bot.domain.digest.schedule`). Its handler plans the run of the
latest slot that passed, if that period has none yet (so a bot that was down for weeks catches up once), then
waits for the next slot. Planning is one transaction: the run row (unique per server and period) with the content
snapshot, a delivery row per due subscriber with their personal selection, and the cog's ``digest.post`` and
``digest.fanout`` jobs. A second planner (a double tick, another process) finds the period taken and does nothing.
The cog then claims the post and the deliveries before sending anything.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_iso, to_iso
from bot.domain.digest import schedule
from bot.domain.digest.content import Built, ContentBuilder, DigestSource, could_help, personal_sections
from bot.domain.digest.models import (
    FANOUT_JOB,
    FREQUENCIES,
    POST_JOB,
    RUN_JOB,
    SECTIONS,
    SWEEP_JOB,
    Delivery,
    DigestContent,
    DigestItem,
    Run,
    RunReport,
    Subscription,
    has_news,
)
from bot.domain.guild_settings import THEMES
from bot.domain.jobs import RetryLater
from bot.domain.privacy import neutralise
from bot.domain.settings_schema import LOCALES

if TYPE_CHECKING:
    from bot.db.database import Reader, Transaction, UnitOfWork
    from bot.db.repos.audit import AuditRepo
    from bot.db.repos.digest import DigestRepo
    from bot.db.repos.skills import SkillsRepo
    from bot.domain.guild_settings import GuildSettings, GuildSettingsService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.skills.catalog import SkillCatalog

log = logging.getLogger(__name__)

WINDOW: Final = timedelta(days=7)
"""The window of a server's first digest (later ones start at the previous run's slot)."""
FORTNIGHT: Final = timedelta(days=13)
"""A fortnightly subscriber is due when their last sent digest is at least this old."""
LOOKBACK: Final = timedelta(days=35)
"""A personal digest gathers the runs since the member's last one, at most this far back."""
CLAIM_LEASE: Final = timedelta(seconds=60)
"""How long a claimed delivery stays with its worker before another may take it over; the fan-out renews it while
it sends (:meth:`DigestService.renew`), so a takeover after a crash comes well inside Discord's nonce window."""
NONCE_SAFE: Final = timedelta(minutes=3)
"""Discord deduplicates a nonce for "a few minutes": a retry whose first attempt is older than this first looks in
the channel for what was sent already (:meth:`DigestService.needs_lookup`)."""
MAX_ATTEMPTS: Final = 5
"""A delivery claimed this often without an outcome (failures in passing, crashes) is failed, so the run ends."""
GAVE_UP: Final = "gave up after failures in passing"
STUCK_POST: Final = timedelta(days=1)
"""A channel post still unfinished this long after planning (its job died) is failed by the daily sweep."""
REPORT_JOB: Final = "digest.report"
"""Cog job (payload ``run_id``): sends a run's report to the moderators' channel (enqueued with the claim)."""
KEEP_RUNS: Final = timedelta(weeks=26)
"""Runs (and their deliveries) are deleted this long after their slot, by the daily sweep."""
SWEEP_EVERY: Final = timedelta(days=1)
SWEEP_DELAY: Final = SWEEP_EVERY
"""The first sweep a day after the first start (migration 0013 makes it due at once where servers had a channel)."""
SELECTION_VERSION: Final = 1
ERROR_MAX: Final = 200
_CACHE_SIZE: Final = 8
_CHANNEL_KEY: Final = "digest_channel_id"


def run_key(guild_id: int) -> str:
    """The dedupe key of a server's ``digest.run`` job."""
    return f"digest:run:{guild_id}"


def _short(reason: str) -> str:
    return " ".join(reason.split())[:ERROR_MAX]


class DigestService:
    """Plans and records digests; the cog renders and sends them."""

    member_columns: ClassVar[tuple[str, ...]] = ("digest_deliveries.user_id", "digest_subscriptions.user_id")

    def __init__(
        self,
        uow: UnitOfWork,
        repo: DigestRepo,
        *,
        guild_settings: GuildSettingsService,
        jobs: JobService,
        clock: Clock,
        catalog: SkillCatalog,
        skills: SkillsRepo,
        audit: AuditRepo,
        default_locale: str = "nl",
        claim_lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._settings = guild_settings
        self._jobs = jobs
        self._clock = clock
        self._skills = skills
        self._audit = audit
        self._default_locale = default_locale if default_locale in LOCALES else LOCALES[0]
        self._claim_lease = claim_lease
        self._builder = ContentBuilder(repo, catalog)
        self._snapshots: OrderedDict[int, tuple[DigestContent, tuple[DigestItem, ...]]] = OrderedDict()

    def add_source(self, section: str, source: DigestSource) -> None:
        """Let another feature fill a section (issue 14's collaboration board fills ``collab``)."""
        self._builder.add_source(section, source)

    # --- scheduling (domain jobs) -------------------------------------------------------------------------

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle ``digest.run`` and the recurring ``digest.sweep`` (see models)."""
        runner.register(RUN_JOB, self._run_job, lease=timedelta(minutes=10))
        runner.recurring(
            SWEEP_JOB,
            self._sweep_job,
            every=SWEEP_EVERY,
            first_at=self._clock.now() + SWEEP_DELAY,
            lease=timedelta(minutes=10),
        )

    async def next_slot(self, guild_id: int) -> datetime | None:
        """When this server's next digest is due (UTC), or None without a digest channel."""
        settings = await self._settings.get(guild_id)
        if settings.digest_channel_id is None or settings.left_at is not None:
            return None
        return schedule.next_slot(self._clock.now(), settings.digest_weekday, settings.digest_hour, settings.timezone)

    async def settings_changed(self, tx: Transaction, before: GuildSettings, after: GuildSettings) -> None:
        """(Re)schedule the server's ``digest.run`` job when its channel, day, hour or time zone changed.

        No channel (or the bot left the server): the job is cancelled.
        """
        fields = ("digest_channel_id", "digest_weekday", "digest_hour", "timezone", "left_at")
        if all(getattr(before, name) == getattr(after, name) for name in fields):
            return
        key = run_key(after.guild_id)
        await self._jobs.cancel(tx, key)
        if after.digest_channel_id is None or after.left_at is not None:
            return
        due = schedule.next_slot(self._clock.now(), after.digest_weekday, after.digest_hour, after.timezone)
        await self._jobs.enqueue(tx, RUN_JOB, run_at=due, dedupe_key=key, guild_id=after.guild_id)

    async def _run_job(self, job: Job) -> None:
        """Plan the latest passed slot's period (if it has no run yet), then wait for the next slot."""
        if job.guild_id is None:
            return
        settings = await self._settings.get(job.guild_id)
        if settings.digest_channel_id is None or settings.left_at is not None:
            return  # the listener scheduled nothing; the job ends
        now = self._clock.now()
        period, slot = schedule.latest(now, settings.digest_weekday, settings.digest_hour, settings.timezone)
        await self._plan(settings, period, slot)
        settings = await self._settings.get(job.guild_id)  # changed while planning? wait for the new slot
        if settings.digest_channel_id is None or settings.left_at is not None:
            return
        due = schedule.next_slot(self._clock.now(), settings.digest_weekday, settings.digest_hour, settings.timezone)
        raise RetryLater(due - self._clock.now(), "next digest slot")

    async def _sweep_job(self, _job: Job) -> None:
        await self.sweep()

    async def sweep(self) -> int:
        """Every server with a digest channel gets its ``digest.run`` job (if it lost it); old runs are deleted.

        Returns how many servers got a job they did not have.
        """
        now = self._clock.now()
        added = 0
        for guild_id in await self._repo.guilds_with(_CHANNEL_KEY):
            settings = await self._settings.get(guild_id)
            if settings.digest_channel_id is None or settings.left_at is not None:
                continue
            due = schedule.next_slot(now, settings.digest_weekday, settings.digest_hour, settings.timezone)
            async with self._uow.transaction() as tx:
                job_id = await self._jobs.enqueue(
                    tx, RUN_JOB, run_at=due, dedupe_key=run_key(guild_id), guild_id=guild_id
                )
            added += job_id is not None
        for run_id in await self._repo.stuck_posts(now - STUCK_POST):
            if await self._jobs.find_active(f"{POST_JOB}:{run_id}") is not None:
                continue
            run = await self._repo.run(run_id)
            if run is not None:
                log.warning(
                    "Server %s: the digest post of %s never finished; recorded as failed", run.guild_id, run.period
                )
                await self.post_failed(run, "the post job gave up")
                await self.finish_run(run_id)
        async with self._uow.transaction() as tx:
            purged = await self._repo.purge_runs(tx, now - KEEP_RUNS)
        if added or purged:
            log.info("Digest sweep: %d server(s) rescheduled, %d old run(s) deleted", added, purged)
        return added

    # --- building ------------------------------------------------------------------------------------------

    def _locale(self, settings: GuildSettings) -> str:
        return settings.digest_language or settings.locale or self._default_locale

    async def _build(
        self, settings: GuildSettings, period: str, slot: datetime, until: datetime, *, preview: bool = False
    ) -> Built:
        """Build the digest of ``period`` whose window ends at ``until``.

        The window starts at the previous run's slot (a preview also counts a run at ``slot`` itself as previous),
        or a week before ``until``.
        """
        previous = await self._repo.previous_slot(settings.guild_id, slot, inclusive=preview)
        since = from_iso(previous) if previous is not None else until - WINDOW
        return await self._builder.build(
            settings.guild_id,
            period,
            min(since, until),
            until,
            locale=self._locale(settings),
            sections=settings.digest_sections,
            themes=settings.themes,
        )

    async def preview(self, guild_id: int, member_id: int | None = None) -> DigestContent:
        """The digest as it would be built now for the current period (a member's personal one if given).

        Nothing is stored. Its ``empty`` says whether anything would be sent.
        """
        settings = await self._settings.get(guild_id)
        now = self._clock.now()
        period = schedule.period_of(now, settings.timezone)
        # Times are stored to the second and the window's end is exclusive: a preview ends just after this second,
        # so something stored a moment ago (in this same second) is in it.
        until = now.replace(microsecond=0) + timedelta(seconds=1)
        built = await self._build(settings, period, now, until, preview=True)
        if member_id is None:
            return built.content
        subscription = await self._repo.subscription(guild_id, member_id)
        themes = subscription.themes if subscription is not None else settings.themes
        offered = await self._offered(guild_id, None)
        authors = await self._repo.post_authors(guild_id, [i.thread_id or 0 for i in built.pool])
        chosen = personal_sections([(0, built.content)], themes)
        mine = {thread for thread, author in authors.items() if author == member_id}
        return self._personal(
            built.content,
            [item for _, item in chosen],
            could_help(built.pool, offered.get(member_id, set()), mine),
            subscription.locale if subscription is not None and subscription.locale else built.content.locale,
        )

    async def subscribers(self, guild_id: int) -> list[int]:
        """The members who would get a personal digest of this server (subscribed and reachable), by id."""
        return [sub.user_id for sub in await self._repo.reachable(None, guild_id)]

    @staticmethod
    def _personal(
        run: DigestContent, items: Sequence[DigestItem], helpful: tuple[DigestItem, ...], locale: str
    ) -> DigestContent:
        sections: dict[str, list[DigestItem]] = {}
        for item in items:
            sections.setdefault(item.section, []).append(item)
        return replace(
            run,
            locale=locale,
            sections={name: tuple(sections[name]) for name in SECTIONS if sections.get(name)},
            could_help=helpful,
        )

    async def _offered(self, guild_id: int, tx: Reader | None) -> dict[int, set[str]]:
        """The taxonomy skills each member offers now (active, unpaused offers)."""
        offered: dict[int, set[str]] = {}
        for listing in await self._skills.active_offers(guild_id, self._clock.now(), tx):
            if listing.skill is not None:
                offered.setdefault(listing.user_id, set()).add(listing.skill)
        return offered

    async def send_now(self, guild_id: int, actor_id: int) -> tuple[Run | None, bool]:
        """Plan the run of the current period now (managers' /digest send-now).

        ``(run, True)`` when this call planned it (post and fan-out jobs enqueued in the same transaction, audit
        entry written), ``(run, False)`` when the period already has a run (nothing happens), ``(None, False)``
        without a digest channel.
        """
        settings = await self._settings.get(guild_id)
        if settings.digest_channel_id is None:
            return None, False
        now = self._clock.now()
        return await self._plan(settings, schedule.period_of(now, settings.timezone), now, actor_id=actor_id)

    async def _plan(
        self, settings: GuildSettings, period: str, slot: datetime, *, actor_id: int | None = None
    ) -> tuple[Run | None, bool]:
        """Plan a server's run for ``period`` (window until ``slot``) in one transaction; see :meth:`send_now`."""
        guild_id = settings.guild_id
        existing = await self._repo.run_by_period(guild_id, period)
        if existing is not None:
            return existing, False
        built = await self._build(settings, period, slot, min(slot, self._clock.now()))
        content = built.content
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            run_id = await self._repo.insert_run(
                tx,
                guild_id=guild_id,
                period=period,
                status="empty" if content.empty else "planned",
                slot=slot,
                channel_id=settings.digest_channel_id,
                content=content.to_json(),
                pool=_items_json(built.pool),
                now=now,
            )
            if run_id is None:  # another planner took the period meanwhile
                return await self._repo.run_by_period(guild_id, period, tx), False
            if not content.empty:
                await self._plan_deliveries(tx, settings, run_id, period, slot, built)
                for kind in (POST_JOB, FANOUT_JOB):
                    await self._jobs.enqueue(
                        tx, kind, {"run_id": run_id}, dedupe_key=f"{kind}:{run_id}", guild_id=guild_id
                    )
            if actor_id is not None:
                await self._audit.record(
                    tx,
                    guild_id=guild_id,
                    actor_id=actor_id,
                    action="digest.send_now",
                    target_type="digest",
                    target_id=period,
                    before=None,
                    after={"run_id": run_id, "status": "empty" if content.empty else "planned"},
                    reason=None,
                    now=now,
                )
            run = await self._repo.run(run_id, tx)
        log.info(
            "Planned the digest of server %s for %s (%s)", guild_id, period, "empty" if content.empty else "planned"
        )
        return run, True

    async def _plan_deliveries(
        self, tx: Transaction, settings: GuildSettings, run_id: int, period: str, slot: datetime, built: Built
    ) -> int:
        """A delivery per due, reachable subscriber, with their personal selection; returns how many."""
        guild_id = settings.guild_id
        subscribers = await self._repo.reachable(tx, guild_id)
        if not subscribers:
            return 0
        last_sent = {user: from_iso(at) for user, at in (await self._repo.last_sent(tx, guild_id)).items()}
        sent_at = {user: from_iso(at) for user, at in (await self._repo.last_sent_at(tx, guild_id)).items()}
        monthly = schedule.first_of_month(slot, settings.timezone)
        zone = ZoneInfo(settings.timezone)
        month = slot.astimezone(zone).strftime("%Y-%m")
        due: list[tuple[Subscription, datetime]] = []
        for sub in subscribers:
            last = last_sent.get(sub.user_id)
            if sub.frequency == "fortnightly" and last is not None and slot - last < FORTNIGHT:
                continue
            if sub.frequency == "monthly" and (
                not monthly
                or any(
                    at is not None and at.astimezone(zone).strftime("%Y-%m") == month
                    for at in (last, sent_at.get(sub.user_id))
                )
            ):
                continue  # not the month's first slot, or this month's digest went out already (a send-now)
            start = last if last is not None else from_iso(sub.created_at) if sub.created_at else slot
            due.append((sub, max(start, slot - LOOKBACK)))
        if not due:
            return 0
        earliest = min(start for _, start in due)
        runs = [
            (run_id_, from_iso(at), DigestContent.from_json(text))
            for run_id_, at, text in await self._repo.runs_between(tx, guild_id, to_iso(earliest), to_iso(slot))
            if run_id_ != run_id
        ]
        runs.append((run_id, slot, built.content))
        older = [item for rid, _, content in runs if rid != run_id for item in content.items()]
        live = await self._builder.live_keys(tx, guild_id, older, self._clock.now()) if older else set()
        offered = await self._offered(guild_id, tx)
        authors = await self._repo.post_authors(guild_id, [item.thread_id or 0 for item in built.pool], tx)
        own: dict[int, set[int]] = {}
        for thread, author in authors.items():
            own.setdefault(author, set()).add(thread)
        rows: list[dict[str, Any]] = []
        for sub, start in due:
            snapshots = [(rid, content) for rid, at, content in runs if at > start or rid == run_id]
            chosen = personal_sections(snapshots, sub.themes, live)
            helpful = could_help(built.pool, offered.get(sub.user_id, set()), own.get(sub.user_id, set()))
            # only news makes a personal digest worth a DM (the same rule as DigestContent.empty): an old
            # featured resource or an old open question alone is not
            items = [item for _, item in chosen] + list(helpful)
            news_since = min(to_iso(start), built.content.since, key=from_iso)
            selection = {
                "v": SELECTION_VERSION,
                "locale": sub.locale or built.content.locale,
                "since": to_iso(start),
                "items": [[rid, item.section, item.key] for rid, item in chosen],
                "could_help": [item.key for item in helpful],
            }
            rows.append(
                {
                    "run_id": run_id,
                    "guild_id": guild_id,
                    "user_id": sub.user_id,
                    "period": period,
                    "status": "planned" if has_news(items, news_since) else "empty",
                    "selection": json.dumps(selection, separators=(",", ":")),
                    "dm_channel_id": sub.dm_channel_id,
                }
            )
        await self._repo.insert_deliveries(tx, rows, self._clock.now())
        return len(rows)

    # --- the channel post (cog job ``digest.post``) -----------------------------------------------------------

    async def due_post(self, job: Job) -> Run | None:
        """The run whose channel digest this job must post, or None when posted, empty or failed already.

        A run in status ``posting`` (claimed by a send that may have reached Discord) is returned again: the
        cog re-sends with the same nonces and Discord returns the messages it already has.
        """
        run = await self._repo.run(int(job.payload["run_id"]))
        if run is None or run.status not in ("planned", "posting"):
            return None
        return run

    async def claim_post(self, run: Run) -> bool:
        """Mark the run ``posting`` before the first send (False if another worker posted it meanwhile).

        The first claim's moment is kept (``post_attempted_at``) for :meth:`post_needs_lookup`.
        """
        async with self._uow.transaction() as tx:
            return await self._repo.claim_post(tx, run.id, self._clock.now())

    def post_needs_lookup(self, run: Run) -> bool:
        """Whether an earlier attempt may have posted parts that Discord's nonce no longer deduplicates.

        ``run`` as :meth:`due_post` returned it (before this attempt's claim).
        """
        return (
            run.status == "posting"
            and run.post_attempted_at is not None
            and self._clock.now() - from_iso(run.post_attempted_at) >= NONCE_SAFE
        )

    async def previous_post(self, run: Run) -> int | None:
        """The last message of the server's previous digest post in the same channel (older ones are not this run's)."""
        return await self._repo.last_posted(run)

    async def posted_part(self, run: Run, message_ids: list[int]) -> None:
        """Record the parts of the channel post sent so far (a retry sends only the rest)."""
        async with self._uow.transaction() as tx:
            await self._repo.posted_part(tx, run.id, message_ids)

    async def posted(self, run: Run, message_ids: list[int]) -> None:
        """Record the sent messages (status ``posted``)."""
        async with self._uow.transaction() as tx:
            await self._repo.posted(tx, run.id, message_ids, self._clock.now())

    async def post_failed(self, run: Run, reason: str) -> None:
        """The channel cannot be posted to (deleted, no permission): recorded, the fan-out still goes on."""
        async with self._uow.transaction() as tx:
            await self._repo.post_failed(tx, run.id, _short(reason) or "failed")

    # --- personal digests (cog job ``digest.fanout``) ----------------------------------------------------------

    async def claim_deliveries(self, run_id: int, worker: str, limit: int) -> list[Delivery]:
        """Claim up to ``limit`` planned deliveries of the run (and claims left by a crashed worker).

        They are held for ``worker`` (a token of the fan-out's own); empty when none are left.
        """
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            gave_up = await self._repo.give_up(tx, run_id, MAX_ATTEMPTS, GAVE_UP, now)
            if gave_up:
                log.warning(
                    "Digest run %s: %d delivery(ies) failed %d times in passing; given up",
                    run_id,
                    gave_up,
                    MAX_ATTEMPTS,
                )
            return await self._repo.claim_deliveries(tx, run_id, worker, now, now + self._claim_lease, limit)

    async def renew(self, deliveries: Collection[Delivery], worker: str) -> int:
        """Extend ``worker``'s claims on these deliveries by another lease (called while a batch is being sent)."""
        if not deliveries:
            return 0
        async with self._uow.transaction() as tx:
            return await self._repo.renew(tx, [d.id for d in deliveries], worker, self._clock.now() + self._claim_lease)

    @property
    def claim_lease(self) -> timedelta:
        """How long a claim on a delivery holds without renewal."""
        return self._claim_lease

    def needs_lookup(self, delivery: Delivery) -> bool:
        """Whether an earlier attempt may have sent this DM so long ago that Discord's nonce no longer catches it.

        Then the cog first looks in the member's DM channel for the digest (:meth:`previous_message` bounds it).
        """
        return (
            delivery.attempts > 1
            and delivery.attempted_at is not None
            and self._clock.now() - from_iso(delivery.attempted_at) >= NONCE_SAFE
        )

    async def previous_message(self, delivery: Delivery) -> int | None:
        """The newest message id of the member's earlier digests from this server (anything newer is this one)."""
        return await self._repo.last_message(delivery)

    async def dm_channel_opened(self, delivery: Delivery, dm_channel_id: int) -> None:
        """Remember the member's DM channel as soon as it is opened, before anything is sent to it."""
        async with self._uow.transaction() as tx:
            await self._repo.set_delivery_dm_channel(tx, delivery.id, dm_channel_id)
            await self._repo.set_dm_channel(tx, delivery.guild_id, delivery.user_id, dm_channel_id)

    async def _snapshot(self, run_id: int) -> tuple[DigestContent, tuple[DigestItem, ...]] | None:
        """A run's snapshot and pool, cached (the fan-out asks for the same run thousands of times)."""
        cached = self._snapshots.get(run_id)
        if cached is not None:
            self._snapshots.move_to_end(run_id)
            return cached
        run = await self._repo.run(run_id)
        if run is None:
            return None
        pool = _items_from_json(await self._repo.pool(run_id))
        self._snapshots[run_id] = (run.content, pool)
        while len(self._snapshots) > _CACHE_SIZE:
            self._snapshots.popitem(last=False)
        return run.content, pool

    async def delivery_content(self, delivery: Delivery) -> DigestContent:
        """The personal digest a delivery was planned with (from the run's snapshot)."""
        found = await self._snapshot(delivery.run_id)
        raw = await self._repo.selection(delivery.id)
        if found is None:
            return DigestContent(delivery.guild_id, delivery.period, "", "", self._default_locale)
        run, pool = found
        selection: dict[str, Any] = json.loads(raw) if raw else {}
        items: list[DigestItem] = []
        for rid, section, key in selection.get("items", []):
            source = await self._snapshot(int(rid)) if int(rid) != delivery.run_id else found
            if source is None:
                continue  # an older run was deleted meanwhile
            match = next((i for i in source[0].sections.get(section, ()) if i.key == key), None)
            if match is not None:
                items.append(match)
        wanted = list(selection.get("could_help", []))
        by_key = {item.key: item for item in pool}
        helpful = tuple(by_key[key] for key in wanted if key in by_key)
        content = self._personal(run, items, helpful, str(selection.get("locale") or run.locale))
        return replace(content, since=str(selection.get("since") or run.since))

    async def delivered(self, delivery: Delivery, message_id: int, dm_channel_id: int) -> None:
        """Record a sent DM (and remember the member's DM channel for next time)."""
        async with self._uow.transaction() as tx:
            await self._repo.mark_sent(tx, delivery.id, message_id, dm_channel_id, self._clock.now())
            await self._repo.set_dm_channel(tx, delivery.guild_id, delivery.user_id, dm_channel_id)

    async def unreachable(self, delivery: Delivery) -> None:
        """Discord refused the DM (50007): the delivery and the subscription are marked; not retried weekly."""
        async with self._uow.transaction() as tx:
            await self._repo.finish(tx, delivery.id, "unreachable", "50007")
            await self._repo.set_unreachable(tx, delivery.guild_id, delivery.user_id, self._clock.now())

    async def delivery_failed(self, delivery: Delivery, reason: str) -> None:
        """A send failed for good (unknown user, other 4xx): recorded, the loop goes on."""
        async with self._uow.transaction() as tx:
            await self._repo.finish(tx, delivery.id, "failed", _short(reason) or "failed")

    async def release(self, delivery: Delivery) -> None:
        """A passing failure (5xx, timeout): give the claim back so the next batch or a retry sends it."""
        async with self._uow.transaction() as tx:
            await self._repo.release(tx, delivery.id, delivery.claim_token or "")

    async def finish_run(self, run_id: int) -> RunReport | None:
        """When no delivery is left planned or claimed: claim the run's report (once per run) and return it.

        None while work remains or when reported already. A report with failures is sent by a durable
        ``digest.report`` job enqueued in the claim's transaction (so a crash after the claim loses nothing).

        The channel post counts as work too: call this after the post job as well as after each fan-out batch,
        and whichever finishes last gets the report.
        """
        async with self._uow.transaction() as tx:
            if not await self._repo.claim_report(tx, run_id, self._clock.now()):
                return None
            report = await self._report(tx, run_id)
            if report is not None and report.has_failures:
                await self._jobs.enqueue(
                    tx, REPORT_JOB, {"run_id": run_id}, dedupe_key=f"{REPORT_JOB}:{run_id}", guild_id=report.guild_id
                )
        return report

    async def report(self, run_id: int) -> RunReport | None:
        """A run's report (for the ``digest.report`` job), or None when the run is gone."""
        return await self._report(None, run_id)

    async def _report(self, tx: Reader | None, run_id: int) -> RunReport | None:
        run = await self._repo.run(run_id, tx)
        if run is None:
            return None
        counts = await self._repo.delivery_counts(run_id, tx)
        return RunReport(
            guild_id=run.guild_id,
            run_id=run.id,
            period=run.period,
            channel_posted=run.status == "posted",
            channel_error=run.error if run.status == "failed" else None,
            sent=counts.get("sent", 0),
            empty=counts.get("empty", 0),
            unreachable=counts.get("unreachable", 0),
            failed=counts.get("failed", 0),
        )

    async def held_for(self, run_id: int) -> timedelta | None:
        """How long until the last claim still held on the run's deliveries runs out; None when none is claimed.

        Another worker is sending those deliveries, or stopped while it was (then zero once the claims ran out).
        """
        until = await self._repo.held_until(run_id)
        if until is None:
            return None
        return max(from_iso(until) - self._clock.now(), timedelta(0))

    # --- subscriptions ----------------------------------------------------------------------------------

    async def subscribe(
        self, guild_id: int, user_id: int, *, themes: tuple[str, ...], frequency: str, locale: str | None
    ) -> Subscription:
        """Create or change a member's subscription (clears "unreachable": they may have opened their DMs).

        Themes outside :data:`~bot.domain.guild_settings.THEMES` are dropped; none means every theme. A locale
        other than ``nl`` or ``en`` means the server's language.
        """
        if frequency not in FREQUENCIES:
            raise ValueError(f"unknown digest frequency {frequency!r}")
        chosen = tuple(theme for theme in THEMES if theme in themes) or THEMES
        language = locale if locale in LOCALES else None
        async with self._uow.transaction() as tx:
            await self._repo.subscribe(
                tx, guild_id, user_id, themes=chosen, frequency=frequency, locale=language, now=self._clock.now()
            )
            stored = await self._repo.subscription(guild_id, user_id, tx)
        assert stored is not None
        return stored

    async def unsubscribe(self, guild_id: int, user_id: int) -> bool:
        """End a subscription; False when there was none (a second click is harmless).

        Personal digests planned for the member and not yet claimed by the fan-out are dropped (``empty``).
        """
        async with self._uow.transaction() as tx:
            await self._repo.drop_planned(tx, guild_id, user_id)
            return await self._repo.unsubscribe(tx, guild_id, user_id)

    async def subscription(self, guild_id: int, user_id: int) -> Subscription | None:
        """A member's subscription, if any."""
        return await self._repo.subscription(guild_id, user_id)

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's subscription and the personal digests planned or sent to them in this server."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's subscription and deliveries; mask their mentions and id inside stored snapshots."""
        touched = await self._repo.forget_member(tx, guild_id, user_id)
        for run_id, content, pool in await self._repo.runs_mentioning(tx, guild_id, str(user_id)):
            masked_content = _mask_json(content, user_id)
            masked_pool = _mask_json(pool, user_id)
            if (masked_content, masked_pool) != (content, pool):
                await self._repo.set_content(tx, run_id, masked_content, masked_pool)
                touched += 1
        self._snapshots.clear()
        return touched


_TEXT_FIELDS: Final = ("title", "summary", "url")


def _mask_json(text: str, user_id: int) -> str:
    """A snapshot with the member's mentions and id masked inside the items' texts (ids and dates untouched)."""

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {
                k: neutralise(v, user_id) if k in _TEXT_FIELDS and isinstance(v, str) else walk(v)
                for k, v in value.items()
            }
        return value

    original = json.loads(text)
    masked = walk(original)
    return text if masked == original else json.dumps(masked, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _items_json(items: Collection[DigestItem]) -> str:
    return json.dumps([asdict(i) for i in items], ensure_ascii=False, separators=(",", ":"))


def _items_from_json(text: str) -> tuple[DigestItem, ...]:
    raw = json.loads(text)
    return tuple(DigestItem(**{**entry, "skills": tuple(entry.get("skills") or ())}) for entry in raw)
