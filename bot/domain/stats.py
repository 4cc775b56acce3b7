"""The moderators' statistics over a period: searches, help posts, helpful resources, introductions, digests.

:class:`StatsService` reads every figure from one snapshot of the database (a read transaction), so the figures
agree with each other whatever is written meanwhile. A share with nothing to divide by is ``None`` ("no data"),
never an error. Periods end now (the injected Clock) and go back 7, 30, 90 or 365 days.

Time to an answer: the bot stores no first-reply time, only the accepted answer. Both the post (its thread id)
and the accepted answer (its message id) are Discord snowflakes, whose top bits are the moment they were
written, so the figure is the median time from the question to the accepted answer, and is labelled as such.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.db.database import Snapshots
    from bot.db.repos.stats import StatsRepo

PERIODS: tuple[int, ...] = (7, 30, 90, 365)
"""The periods moderators may choose, in days."""
DEFAULT_DAYS = 30
TOP_RESOURCES = 5
OUTCOMES: tuple[str, ...] = ("helped", "not_helped", "no_meeting", "awaiting")
"""Outcomes of accepted introductions: the check-in's three answers, and ``awaiting`` (no answer yet)."""

DISCORD_EPOCH_MS = 1_420_070_400_000
"""Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds: a snowflake's timestamp counts from here."""
_SNOWFLAKE_MIN = 1 << 22
"""Ids below this carry no timestamp (not a snowflake: e.g. test data)."""


def snowflake_time(snowflake: int) -> datetime | None:
    """When a Discord snowflake was made (``(id >> 22) + 1420070400000`` ms), or None for a non-snowflake."""
    if snowflake < _SNOWFLAKE_MIN:
        return None
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def snowflake_at(moment: datetime) -> int:
    """The smallest snowflake made at ``moment`` (for tests and for ids derived from a time)."""
    return (int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by (shown as "no data")."""
    return part / whole if whole > 0 else None


def week_of(moment: date) -> date:
    """The Monday on or before a day (weeks are ISO weeks, in UTC)."""
    return moment - timedelta(days=moment.weekday())


@dataclass(frozen=True, slots=True)
class Week:
    """One week of the period (keyed by its Monday; the first and last may be partly outside the period)."""

    start: date
    searches: int = 0
    zero_result_searches: int = 0
    posts_opened: int = 0
    posts_solved: int = 0


@dataclass(frozen=True, slots=True)
class ResourceVotes:
    """A resource members found helpful in the period."""

    key: str
    """Its source key (the resource's id for the server's own library)."""
    title: str
    votes: int


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of /stats and ``steunpunt stats`` for one server and period (all counts within the period)."""

    guild_id: int
    days: int
    start: datetime
    end: datetime
    searches: int
    zero_result_searches: int
    zero_result_share: float | None
    posts_opened: int
    posts_solved: int
    """Posts opened in the period that are solved now."""
    solve_rate: float | None
    answer_hours_median: float | None
    """Median hours from a post to its accepted answer, over the solved posts of the period (None: none)."""
    answers_timed: int
    """How many accepted answers that median is over."""
    top_resources: tuple[ResourceVotes, ...]
    match_requests: int
    match_accepted: int
    """Requests of the period for which an offerer accepted."""
    acceptance_share: float | None
    outcomes: tuple[tuple[str, int], ...]
    """Accepted introductions of the period's requests by outcome, in :data:`OUTCOMES` order."""
    digest_subscribers: int
    """Members subscribed now (not only in the period)."""
    digest_sent: int
    digest_failed: int
    """Personal digests that could not be delivered (closed DMs or refused), of those attempted in the period."""
    weeks: tuple[Week, ...]
    searches_since: datetime | None = None
    """When the search log's retention (``SEARCH_LOG_RETENTION_DAYS``) cuts the period short: the search figures
    count from this moment (older searches were deleted); None when they cover the whole period."""


class StatsService:
    """Reads the statistics of a server; it writes nothing."""

    def __init__(
        self,
        db: Snapshots,
        repo: StatsRepo,
        clock: Clock,
        *,
        flush_searches: Callable[[], Awaitable[int]] | None = None,
        search_log_days: int | None = None,
    ) -> None:
        self._db = db
        self._repo = repo
        self._clock = clock
        self._flush = flush_searches
        self._search_log_days = search_log_days

    def period(self, days: int = DEFAULT_DAYS) -> tuple[datetime, datetime]:
        """The period of ``days`` that ends now; ValueError for a length that is not one of :data:`PERIODS`."""
        if days not in PERIODS:
            raise ValueError(f"the period must be one of {PERIODS} days, not {days}")
        end = self._clock.now()
        return end - timedelta(days=days), end

    async def for_days(self, guild_id: int, days: int = DEFAULT_DAYS) -> Figures:
        """The figures of the ``days`` that end now."""
        start, end = self.period(days)
        return await self.figures(guild_id, start, end)

    async def figures(self, guild_id: int, start: datetime, end: datetime) -> Figures:
        """Every figure of ``[start, end]``, read from one snapshot (searches logged just now included)."""
        if self._flush is not None:
            await self._flush()
        repo = self._repo
        kept_from = None if self._search_log_days is None else end - timedelta(days=self._search_log_days)
        searches_since = kept_from if kept_from is not None and kept_from > start else None
        async with self._db.snapshot() as read:
            searches = await repo.searches_by_week(read, guild_id, searches_since or start, end)
            posts = await repo.posts_by_week(read, guild_id, start, end)
            answers = await repo.accepted_answers(read, guild_id, start, end)
            top = await repo.top_resources(read, guild_id, start, end, TOP_RESOURCES)
            requests, accepted = await repo.match_requests(read, guild_id, start, end)
            outcomes = await repo.match_outcomes(read, guild_id, start, end)
            subscribers = await repo.digest_subscribers(read, guild_id)
            sent, failed = await repo.digest_deliveries(read, guild_id, start, end)
        total = sum(n for n, _ in searches.values())
        zero = sum(z for _, z in searches.values())
        opened = sum(n for n, _ in posts.values())
        solved = sum(s for _, s in posts.values())
        hours = answer_hours(answers)
        return Figures(
            guild_id=guild_id,
            days=round((end - start) / timedelta(days=1)),
            start=start,
            end=end,
            searches=total,
            zero_result_searches=zero,
            zero_result_share=share(zero, total),
            posts_opened=opened,
            posts_solved=solved,
            solve_rate=share(solved, opened),
            answer_hours_median=round(statistics.median(hours), 2) if hours else None,
            answers_timed=len(hours),
            top_resources=tuple(ResourceVotes(key, title, votes) for title, key, votes in top),
            match_requests=requests,
            match_accepted=accepted,
            acceptance_share=share(accepted, requests),
            outcomes=tuple((kind, outcomes.get(kind, 0)) for kind in OUTCOMES),
            digest_subscribers=subscribers,
            digest_sent=sent,
            digest_failed=failed,
            weeks=weeks(start, end, searches, posts),
            searches_since=searches_since,
        )

    async def known(self, guild_id: int) -> bool:
        """Whether the database holds anything at all of this server (an unknown id is likely a typo)."""
        async with self._db.snapshot() as read:
            return await self._repo.known(read, guild_id)


def answer_hours(pairs: list[tuple[int, int]]) -> list[float]:
    """Hours from each post (thread snowflake) to its accepted answer (message snowflake); unusable pairs skipped."""
    found = []
    for thread_id, answer_id in pairs:
        asked, answered = snowflake_time(thread_id), snowflake_time(answer_id)
        if asked is not None and answered is not None and answered >= asked:
            found.append((answered - asked) / timedelta(hours=1))
    return found


def weeks(
    start: datetime, end: datetime, searches: dict[str, tuple[int, int]], posts: dict[str, tuple[int, int]]
) -> tuple[Week, ...]:
    """One :class:`Week` for every week the period touches, oldest first, empty weeks included."""
    first = week_of(start.astimezone(UTC).date())
    last = max(first, week_of(end.astimezone(UTC).date()))
    found = []
    monday = first
    while monday <= last:
        key = monday.isoformat()
        total, zero = searches.get(key, (0, 0))
        opened, solved = posts.get(key, (0, 0))
        found.append(Week(monday, total, zero, opened, solved))
        monday += timedelta(days=7)
    return tuple(found)
