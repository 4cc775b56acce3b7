"""The moderators' statistics on a real database, with data made through the real services.

The clock starts on Monday 23 November 2026, 09:00 UTC. What happens then is "old": the test moves 35 days on
(Monday 28 December) and 8 more (Tuesday 5 January 2027) before asking for the last 30 days, which start on
Sunday 6 December and so touch six weeks, Monday 30 November to Monday 4 January.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.domain.stats import (
    DEFAULT_DAYS,
    OUTCOMES,
    PERIODS,
    ResourceVotes,
    share,
    snowflake_at,
    snowflake_time,
    week_of,
)
from bot.services import Services

GUILD, OTHER, EMPTY, FORUM, CHANNEL = 10, 11, 12, 50, 700
MOD, ALICE, BOB, CAROL, DAVE = 9, 1, 2, 3, 4
_SEQUENCE = itertools.count(1)


async def _resource(services: Services, n: int) -> int:
    draft = make_draft(
        title=f"Handleiding {n}",
        url=f"https://example.org/gids-{n}",
        summary="Stap voor stap.",
        theme="skills",
        type="guide",
        language="nl",
        tags="",
    )
    stored = await services.library.suggest(GUILD, 100 + n, draft)
    await services.library.approve(GUILD, stored.id, MOD)
    return stored.id


async def _post(services: Services, clock: FixedClock, guild: int = GUILD) -> int:
    """A help post opened now; its thread id is a snowflake of this moment."""
    thread = snowflake_at(clock.now()) + next(_SEQUENCE)  # several posts in one millisecond differ
    await services.qa.post_opened(HelpPost(thread, guild, FORUM, ALICE, "Hoe digitaliseer ik dia's?"))
    return thread


async def _solve(services: Services, clock: FixedClock, thread: int) -> None:
    """Accept an answer written now (its message id is a snowflake of this moment)."""
    await services.qa.mark_solution(
        GUILD,
        thread,
        marker_id=ALICE,
        is_moderator=False,
        answer_message_id=snowflake_at(clock.now()) + 1,
        answer_author_id=BOB,
        answer_text="Met een diascanner.",
    )


async def _match(services: Services, db: Database, requester: int, offerer: int, skill: str) -> int:
    """A match request for a need of ``requester``, with ``offerer`` offering that skill; returns the ask's id."""
    await services.skills.listings.offer(GUILD, offerer, skill, level="expert")
    need, _ = await services.skills.listings.need(GUILD, requester, skill)
    requested = await services.match.requests.request(GUILD, requester, need.id)
    return requested.asked.id


async def _digest(services: Services, clock: FixedClock) -> None:
    """Three subscribers; this week's digest (a new resource): one sent, one unreachable (closed DMs), one refused."""
    await services.guild_settings.update(GUILD, digest_channel_id=CHANNEL)
    await _resource(services, 3)
    for user in (1000, 1001, 1002):
        await services.digest.subscribe(GUILD, user, themes=("skills",), frequency="weekly", locale="nl")
    clock.advance(timedelta(minutes=1))
    run, planned = await services.digest.send_now(GUILD, MOD)
    assert run is not None and planned
    sent, closed, refused = await services.digest.claim_deliveries(run.id, "worker", 3)
    await services.digest.delivered(sent, message_id=1, dm_channel_id=2)
    await services.digest.unreachable(closed)
    await services.digest.delivery_failed(refused, "403 Forbidden (error code: 50001)")


async def test_every_figure_of_a_busy_month(services: Services, db: Database, clock: FixedClock) -> None:
    """Searches, posts, votes, matches and digests of the period are counted; older ones and other servers not."""
    first, second = await _resource(services, 1), await _resource(services, 2)
    await services.library.vote_helpful(GUILD, second, 500)  # an old vote: before the period
    await services.search.log(GUILD, "oude vraag", 0)
    await _post(services, clock)  # an old post
    clock.advance(timedelta(days=35))  # Monday 28 December 2026, 09:00

    await services.search.log(GUILD, "dia's scannen", 3)
    await services.search.log(GUILD, "zeldzaam woord", 0)
    await services.search.log(OTHER, "andere server", 0)
    quick = await _post(services, clock)
    await _post(services, clock)  # never solved
    await _post(services, clock, OTHER)
    clock.advance(timedelta(hours=2))
    await _solve(services, clock, quick)
    for voter in (501, 502, 503):
        await services.library.vote_helpful(GUILD, first, voter)
    await services.library.vote_helpful(GUILD, second, 501)
    accepted = await _match(services, db, BOB, ALICE, "iiif")
    await services.match.requests.answer(GUILD, ALICE, accepted, True)
    async with db.transaction() as tx:  # what the check-in job records
        await tx.execute(
            "UPDATE introductions SET opened_at = asked_at, checkin_at = asked_at WHERE id = ?", (accepted,)
        )
    await services.match.followup.record_outcome(GUILD, BOB, accepted, "helped")
    await _match(services, db, CAROL, DAVE, "fundraising")  # still waiting for Dave

    clock.advance(timedelta(days=8))  # Tuesday 5 January 2027
    await services.search.log(GUILD, "nog een", 0)
    await services.search.log(GUILD, "laatste", 5)
    slow = await _post(services, clock)
    clock.advance(timedelta(hours=6))
    await _solve(services, clock, slow)
    await _digest(services, clock)

    figures = await services.stats.for_days(GUILD)  # searches still waiting in the log's buffer are included
    assert figures.days == DEFAULT_DAYS and figures.end == clock.now()
    assert (figures.searches, figures.zero_result_searches, figures.zero_result_share) == (4, 2, 0.5)
    assert (figures.posts_opened, figures.posts_solved) == (3, 2)
    assert figures.solve_rate == pytest.approx(2 / 3)
    assert (figures.answer_hours_median, figures.answers_timed) == (4.0, 2)  # median of 2 h and 6 h
    assert figures.top_resources == (
        ResourceVotes(str(first), "Handleiding 1", 3),
        ResourceVotes(str(second), "Handleiding 2", 1),
    )
    assert (figures.match_requests, figures.match_accepted, figures.acceptance_share) == (2, 1, 0.5)
    assert figures.outcomes == (("helped", 1), ("not_helped", 0), ("no_meeting", 0), ("awaiting", 0))
    assert (figures.digest_subscribers, figures.digest_sent, figures.digest_failed) == (2, 1, 2)
    assert [w.start for w in figures.weeks] == [date(2026, 11, 30) + timedelta(weeks=n) for n in range(6)]
    by_week = {w.start: (w.searches, w.zero_result_searches, w.posts_opened, w.posts_solved) for w in figures.weeks}
    assert by_week[date(2026, 12, 28)] == (2, 1, 2, 1)
    assert by_week[date(2027, 1, 4)] == (2, 1, 1, 1)
    assert sum(w.searches for w in figures.weeks) == figures.searches
    assert sum(w.posts_solved for w in figures.weeks) == figures.posts_solved

    year = await services.stats.for_days(GUILD, 365)  # the old search, post and vote are in the year
    assert (year.searches, year.posts_opened, year.posts_solved) == (5, 4, 2)
    assert year.top_resources[1] == ResourceVotes(str(second), "Handleiding 2", 2)
    assert len(year.weeks) == 53
    week = await services.stats.for_days(GUILD, 7)
    assert (week.searches, week.posts_opened, week.match_requests) == (2, 1, 0)
    assert week.acceptance_share is None


async def test_a_server_without_data_has_zeros_and_no_data_never_a_crash(services: Services) -> None:
    """Nothing at all: every count 0, every share and the answer time "no data", every week empty, unknown."""
    figures = await services.stats.for_days(EMPTY, 90)
    assert (figures.searches, figures.posts_opened, figures.match_requests, figures.digest_subscribers) == (0, 0, 0, 0)
    assert figures.zero_result_share is figures.solve_rate is figures.acceptance_share is None
    assert figures.answer_hours_median is None and figures.answers_timed == 0
    assert figures.top_resources == () and figures.outcomes == tuple((kind, 0) for kind in OUTCOMES)
    assert figures.weeks and all(w.searches == w.posts_opened == 0 for w in figures.weeks)
    assert not await services.stats.known(EMPTY)
    await services.guild_settings.update(EMPTY, locale="en")
    assert await services.stats.known(EMPTY)


async def test_only_the_offered_periods(services: Services) -> None:
    """7, 30, 90 and 365 days; anything else is refused before reading."""
    assert PERIODS == (7, 30, 90, 365)
    with pytest.raises(ValueError):
        await services.stats.for_days(GUILD, 14)


def test_snowflakes_shares_and_weeks() -> None:
    """Discord's documented example snowflake, a share of nothing, and the Monday of a week."""
    assert snowflake_time(175928847299117063) == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)
    moment = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
    assert snowflake_time(snowflake_at(moment)) == moment
    assert snowflake_time(12345) is None  # not a snowflake: no time
    assert share(1, 4) == 0.25 and share(0, 0) is None and share(3, 0) is None
    assert week_of(date(2027, 1, 5)) == date(2027, 1, 4) and week_of(date(2027, 1, 4)) == date(2027, 1, 4)


async def test_searches_older_than_the_search_logs_retention_are_not_claimed_for_a_year(
    services: Services, clock: FixedClock
) -> None:
    """The search log keeps 180 days (the default): over 365 days the search figures count from 180 days back, and
    the figures say so (searches_since), so a half-empty year is not read as a quiet half-year; over 90 days they
    cover the whole period. Help posts still count over the whole year."""
    await services.search.log(GUILD, "van lang geleden", 0)  # kept only because the clean-up has not run yet
    old_post = await _post(services, clock)
    assert old_post
    clock.advance(timedelta(days=200))
    await services.search.log(GUILD, "van vorige week", 0)
    clock.advance(timedelta(days=7))

    year = await services.stats.for_days(GUILD, 365)
    assert year.searches_since == clock.now() - timedelta(days=180)
    assert (year.searches, year.zero_result_searches) == (1, 1)
    assert year.posts_opened == 1  # the forum is not cut short

    quarter = await services.stats.for_days(GUILD, 90)
    assert quarter.searches_since is None
    assert quarter.searches == 1
