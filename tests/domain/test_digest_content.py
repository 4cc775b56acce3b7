"""Only news makes a digest: an old featured resource or an old open question never posts (or DMs) on its own.

The featured resource is chosen from every featured one and the open section lists open questions of any age, so
they only accompany a week with something new; a featured resource approved in the window, or a question opened in
it, is news itself. Same clock and slots as tests/domain/test_digest.py: the clock starts on Monday 23 November
2026, 09:00 UTC; the first run is at NEXT_SLOT (30 November), its window the week before it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.digest.models import FANOUT_JOB, POST_JOB, DigestContent, DigestItem, has_news, is_news
from bot.domain.retention import CLEANUP_JOB
from bot.services import Services
from tests.domain.test_digest import (
    BEN,
    DAAN,
    GUILD,
    MOD,
    NEXT_SLOT,
    configure,
    count,
    keys,
    question,
    resource,
    runs,
    tick,
)

WEEK = timedelta(days=7)


@pytest.fixture(autouse=True)
def _no_cleanup(services: Services) -> None:
    """The daily retention clean-up is not what these tests count."""
    services.job_runner.unregister(CLEANUP_JOB)


async def statuses(db: Database) -> list[tuple[str, str]]:
    """(period, status) of every stored run, oldest first."""
    return [(r["period"], r["status"]) for r in await runs(db)]


async def test_quiet_weeks_with_only_an_old_featured_resource_post_nothing(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Week 1 has a new (featured) resource; weeks 2 and 3 only the same featured one: empty, no post, no DMs."""
    await configure(services)
    await services.digest.subscribe(GUILD, BEN, themes=("skills",), frequency="weekly", locale=None)
    featured = await resource(services, 1)
    await services.library.set_featured(GUILD, featured, MOD, True)
    for week in range(3):
        await tick(services, clock, NEXT_SLOT + week * WEEK)
    assert await statuses(db) == [("2026-W49", "planned"), ("2026-W50", "empty"), ("2026-W51", "empty")]
    week3 = DigestContent.from_json((await runs(db))[2]["content"])
    assert keys(week3, "featured") == [f"resource:{featured}"] and week3.empty  # there, but not news
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind IN (?, ?)", POST_JOB, FANOUT_JOB) == 2  # week 1's
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 1  # week 1's only


async def test_quiet_weeks_with_only_an_old_open_question_post_nothing(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A question opened in week 1's window makes week 1; still open (unanswered) in weeks 2 and 3, it does not."""
    await configure(services)
    await question(services, 5001, "Hoe werkt Creative Commons?")
    for week in range(3):
        await tick(services, clock, NEXT_SLOT + week * WEEK)
    assert await statuses(db) == [("2026-W49", "planned"), ("2026-W50", "empty"), ("2026-W51", "empty")]
    week2 = DigestContent.from_json((await runs(db))[1]["content"])
    assert keys(week2, "open") == ["post:5001"] and week2.empty


async def test_an_old_open_question_and_the_featured_resource_accompany_a_week_with_news(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Week 2 has one new resource: the old question and the old featured resource come along with it."""
    await configure(services)
    featured = await resource(services, 1)
    await services.library.set_featured(GUILD, featured, MOD, True)
    await question(services, 5001, "Hoe werkt Creative Commons?")
    await tick(services, clock, NEXT_SLOT)
    fresh = await resource(services, 2)
    await tick(services, clock, NEXT_SLOT + WEEK)
    assert await statuses(db) == [("2026-W49", "planned"), ("2026-W50", "planned")]
    week2 = DigestContent.from_json((await runs(db))[1]["content"])
    assert keys(week2, "resources") == [f"resource:{fresh}"]
    assert keys(week2, "featured") == [f"resource:{featured}"]
    assert keys(week2, "open") == ["post:5001"]


async def test_a_featured_resource_approved_in_the_window_is_news(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The week's only new resource is also the featured one (so not repeated under new resources): it posts."""
    await configure(services)
    featured = await resource(services, 1)
    await services.library.set_featured(GUILD, featured, MOD, True)
    await tick(services, clock, NEXT_SLOT)
    [run] = await runs(db)
    content = DigestContent.from_json(run["content"])
    assert run["status"] == "planned" and not content.empty
    assert list(content.sections) == ["featured"]


async def test_a_question_opened_in_the_window_is_not_crowded_out_by_older_ones(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Five older open questions fill the section; the one opened this week takes the last place (oldest first)."""
    await configure(services)
    for thread in range(600, 605):
        await question(services, thread, f"Oude vraag {thread}")
        clock.advance(timedelta(minutes=1))
    await tick(services, clock, NEXT_SLOT)
    await question(services, 700, "Nieuwe vraag")
    await tick(services, clock, NEXT_SLOT + WEEK)
    assert await statuses(db) == [("2026-W49", "planned"), ("2026-W50", "planned")]
    week2 = DigestContent.from_json((await runs(db))[1]["content"])
    assert keys(week2, "open") == ["post:600", "post:601", "post:602", "post:603", "post:700"]


async def test_could_help_questions_alone_need_one_opened_in_the_window(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Ben offers IIIF. A week whose news is not of his themes leaves him only the old IIIF question: nothing to
    send. Once a new IIIF question is opened, his personal digest has news (and brings the old one along)."""
    await configure(services)
    await services.skills.listings.offer(GUILD, BEN, "iiif", level="expert")
    await question(services, 500, "Hoe zetten we een IIIF-server op?", author=DAAN)
    await services.digest.subscribe(GUILD, BEN, themes=("skills",), frequency="weekly", locale=None)
    await tick(services, clock, NEXT_SLOT)  # week 1: the question and the offer are new, and sent to Ben
    for delivery in await services.digest.claim_deliveries(
        int(await db.fetch_value("SELECT id FROM digest_runs")), "w", 10
    ):
        await services.digest.delivered(delivery, message_id=delivery.id, dm_channel_id=9000)
    await resource(services, 1, theme="strategy")  # week 2's only news, not of Ben's themes
    clock.advance(timedelta(days=2))
    preview = await services.digest.preview(GUILD, BEN)
    assert [i.key for i in preview.could_help] == ["post:500"] and preview.empty
    await tick(services, clock, NEXT_SLOT + WEEK)
    assert await statuses(db) == [("2026-W49", "planned"), ("2026-W50", "planned")]
    run_id = int(await db.fetch_value("SELECT max(id) FROM digest_runs"))
    # planned as empty (never claimed, never sent, never reported as failed): only an old question fits him
    status = await db.fetch_value(
        "SELECT status FROM digest_deliveries WHERE run_id = :r AND user_id = :u", {"r": run_id, "u": BEN}
    )
    assert status == "empty"
    assert [d.user_id for d in await services.digest.claim_deliveries(run_id, "w", 10)] == []
    await question(services, 501, "IIIF manifest genereren?", author=DAAN)
    clock.advance(timedelta(minutes=1))
    preview = await services.digest.preview(GUILD, BEN)
    assert [i.key for i in preview.could_help] == ["post:500", "post:501"] and not preview.empty


async def test_a_question_opened_before_a_member_subscribed_is_still_news_in_that_week(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Ben subscribes after this week's IIIF question was opened: his first digest still counts it as news."""
    await configure(services)
    await services.skills.listings.offer(GUILD, BEN, "iiif", level="expert")
    await question(services, 500, "Hoe zetten we een IIIF-server op?", author=DAAN)
    clock.advance(timedelta(days=1))
    await services.digest.subscribe(GUILD, BEN, themes=("strategy",), frequency="weekly", locale=None)
    await tick(services, clock, NEXT_SLOT)
    run_id = int(await db.fetch_value("SELECT id FROM digest_runs"))
    [delivery] = await services.digest.claim_deliveries(run_id, "w", 10)
    content = await services.digest.delivery_content(delivery)
    assert [i.key for i in content.could_help] == ["post:500"] and list(content.sections) == []
    assert not content.empty


def test_what_counts_as_news() -> None:
    """Featured and open items by their date against the window; every other section by being there at all."""
    since = "2026-11-23T08:00:00+00:00"
    old, new = "2026-11-01T10:00:00+00:00", "2026-11-24T10:00:00+00:00"
    assert not is_news(DigestItem("featured", "resource:1", "Gids", created_at=old), since)
    assert is_news(DigestItem("featured", "resource:1", "Gids", created_at=new), since)
    assert not is_news(DigestItem("open", "post:1", "Vraag", created_at=old), since)
    assert is_news(DigestItem("open", "post:1", "Vraag", created_at=since), since)  # the window includes its start
    assert not is_news(DigestItem("open", "post:1", "Vraag", created_at=""), since)  # undated: not news
    assert is_news(DigestItem("solved", "post:2", "Opgelost", created_at=old), since)  # solved in the window
    assert not has_news([], since)


async def test_the_preview_holds_what_was_stored_in_this_same_second(services: Services, clock: FixedClock) -> None:
    """Times are stored to the second: a resource added a moment ago, with the clock not moved, is in the preview.

    (Regression: `steunpunt digest render` right after an import in the same second rendered nothing.)
    """
    await configure(services)
    added = await resource(services, 1)
    preview = await services.digest.preview(GUILD)
    assert keys(preview, "resources") == [f"resource:{added}"] and not preview.empty
