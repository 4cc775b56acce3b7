"""The weekly digest on a real database: schedule, content, exactly-once planning, claims, frequencies.

The clock starts on Monday 23 November 2026, 09:00 UTC (10:00 in Amsterdam); the default slot is Monday 09:00
Amsterdam time (08:00 UTC in winter), so this week's slot has just passed and the next is 30 November.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FixedClock, to_iso
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.domain.digest.models import FANOUT_JOB, POST_JOB, RUN_JOB, SWEEP_JOB, DigestContent
from bot.domain.digest.service import CLAIM_LEASE, GAVE_UP, MAX_ATTEMPTS, NONCE_SAFE, REPORT_JOB, run_key
from bot.domain.jobs import Job
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.domain.retention import CLEANUP_JOB
from bot.domain.skills.models import ProfileChanges
from bot.services import Services, build_services

GUILD, CHANNEL, FORUM = 10, 700, 50
MOD, ANNA, BEN, CAS, DAAN = 9, 1, 2, 3, 4
NEXT_SLOT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------------------------


async def count(db: Database, sql: str, *params: Any) -> int:
    """A count from the committed state."""
    return int(await db.fetch_value(sql, params) or 0)


async def configure(services: Services, **changes: Any) -> None:
    """Give the server a digest channel (which schedules its digest)."""
    await services.guild_settings.update(GUILD, digest_channel_id=CHANNEL, **changes)


async def resource(services: Services, n: int, *, theme: str = "skills", approve: bool = True) -> int:
    """A suggested (and by default approved) resource; returns its id."""
    draft = make_draft(
        title=f"Handleiding {n}",
        url=f"https://example.org/gids-{n}",
        summary="Stap voor stap.",
        theme=theme,
        type="guide",
        language="nl",
        tags="",
    )
    stored = await services.library.suggest(GUILD, 100 + n, draft)
    if approve:
        await services.library.approve(GUILD, stored.id, MOD)
    return stored.id


async def question(services: Services, thread: int, title: str, author: int = DAAN) -> None:
    """An open help-forum post."""
    await services.qa.post_opened(HelpPost(thread, GUILD, FORUM, author, title))


async def solve(services: Services, thread: int) -> None:
    """Accept an answer in a help post."""
    await services.qa.mark_solution(
        GUILD,
        thread,
        marker_id=MOD,
        is_moderator=True,
        answer_message_id=thread + 1,
        answer_author_id=ANNA,
        answer_text="Zo doe je dat.",
    )


async def tick(services: Services, clock: FixedClock, to: datetime) -> int:
    """Move the clock and let the domain's due jobs run (the cog's post and fan-out jobs have no handler here)."""
    clock.advance(to - clock.now())
    return await services.job_runner.run_due()


async def runs(db: Database) -> list[dict[str, Any]]:
    """Every stored run, oldest first."""
    return [dict(r) for r in await db.fetch_all("SELECT * FROM digest_runs ORDER BY slot")]


def keys(content: DigestContent, section: str) -> list[str]:
    """The item keys of one section."""
    return [item.key for item in content.sections.get(section, ())]


@pytest.fixture(autouse=True)
def _no_cleanup(services: Services) -> None:
    """The daily retention clean-up is not what these tests count."""
    services.job_runner.unregister(CLEANUP_JOB)


# --- schedule --------------------------------------------------------------------------------------------------


async def test_the_channel_schedules_the_run_and_a_change_moves_it(services: Services, db: Database) -> None:
    """Setting the channel schedules digest.run at the next local slot; day/hour/zone move it; unset cancels it."""
    await configure(services)
    job = await services.jobs.find_active(run_key(GUILD))
    assert job is not None and job.kind == RUN_JOB and job.run_at == NEXT_SLOT
    assert await services.digest.next_slot(GUILD) == NEXT_SLOT
    await services.guild_settings.update(GUILD, digest_weekday=4, digest_hour=17)
    job = await services.jobs.find_active(run_key(GUILD))
    assert job is not None and job.run_at == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday 17:00 CET
    await services.guild_settings.update(GUILD, timezone="America/New_York")
    job = await services.jobs.find_active(run_key(GUILD))
    assert job is not None and job.run_at == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # Friday 17:00 EST
    await services.guild_settings.update(GUILD, digest_channel_id=None)
    assert await services.jobs.find_active(run_key(GUILD)) is None
    assert await services.digest.next_slot(GUILD) is None
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind = ?", RUN_JOB) == 0


async def test_an_empty_week_plans_nothing(services: Services, db: Database, clock: FixedClock) -> None:
    """No approved item in the window: the run is recorded as empty, nothing to post, no deliveries."""
    await configure(services)
    await services.digest.subscribe(GUILD, ANNA, themes=("skills",), frequency="weekly", locale="nl")
    await resource(services, 1, approve=False)  # waiting for review: not in a digest
    await tick(services, clock, NEXT_SLOT)
    stored = await runs(db)
    assert [(r["period"], r["status"]) for r in stored] == [("2026-W49", "empty")]
    assert DigestContent.from_json(stored[0]["content"]).empty
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 0
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind IN (?, ?)", POST_JOB, FANOUT_JOB) == 0
    job = await services.jobs.find_active(run_key(GUILD))
    assert job is not None and job.run_at == NEXT_SLOT + timedelta(days=7)  # waits for the next week


async def test_content_holds_approved_items_each_in_its_section(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """New resources by helpfulness, one featured, solved and open questions, new offers; never pending items."""
    await configure(services)
    first, second = await resource(services, 1), await resource(services, 2)
    await resource(services, 3, approve=False)
    await services.library.vote_helpful(GUILD, second, ANNA)
    featured = await resource(services, 4)
    await services.library.set_featured(GUILD, featured, MOD, True)
    await question(services, 500, "Hoe zetten we een IIIF-server op?")
    await question(services, 501, "Welke licentie voor foto's?")
    await solve(services, 501)
    await services.skills.listings.offer(GUILD, BEN, "iiif", level="expert")
    await services.skills.listings.offer(GUILD, CAS, "iiif", level="basic")
    await services.skills.listings.need(GUILD, DAAN, "iiif")
    await tick(services, clock, NEXT_SLOT)
    run = (await runs(db))[0]
    assert run["status"] == "planned"
    content = DigestContent.from_json(run["content"])
    assert keys(content, "resources") == [f"resource:{second}", f"resource:{first}"]  # helpful first
    assert keys(content, "featured") == [f"resource:{featured}"]
    assert keys(content, "solved") == ["post:501"]
    assert keys(content, "open") == ["post:500"]
    assert content.sections["open"][0].skills[0] == "iiif"
    skills = content.sections["skills"]
    assert [(i.kind, i.skills, i.score) for i in skills] == [("offer", ("iiif",), 2), ("need", ("iiif",), 1)]
    assert skills[0].title == "Beeldinteroperabiliteit (IIIF)"  # the skill in the digest's language, nobody named
    assert {f.name: f.value for f in content.figures} == {"solved": 1, "resources": 3, "offers": 2}
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind IN (?, ?)", POST_JOB, FANOUT_JOB) == 2


async def test_sections_follow_the_setting(services: Services, db: Database, clock: FixedClock) -> None:
    """Switched-off sections are left out; so is the skills section when the skills theme is off."""
    await configure(services, digest_sections=("resources",), themes=("strategy",))
    await resource(services, 1)
    await question(services, 500, "Vraag")
    await services.skills.listings.offer(GUILD, BEN, "iiif", level="expert")
    await tick(services, clock, NEXT_SLOT)
    content = DigestContent.from_json((await runs(db))[0]["content"])
    assert list(content.sections) == ["resources"]


async def test_an_item_archived_after_week_1_is_absent_from_week_2(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Week 1's snapshot keeps what it was built with; week 2 is built from what is approved then."""
    await configure(services)
    kept = await resource(services, 1)
    archived = await resource(services, 2)
    await services.library.set_featured(GUILD, archived, MOD, True)
    await tick(services, clock, NEXT_SLOT)
    week1 = DigestContent.from_json((await runs(db))[0]["content"])
    assert f"resource:{archived}" in [i.key for i in week1.items()]
    await services.library.archive(GUILD, archived, MOD, "verouderd")
    await resource(services, 3)
    await tick(services, clock, NEXT_SLOT + timedelta(days=7))
    stored = await runs(db)
    assert [r["period"] for r in stored] == ["2026-W49", "2026-W50"]
    week2 = DigestContent.from_json(stored[1]["content"])
    assert f"resource:{archived}" not in [i.key for i in week2.items()]
    assert f"resource:{kept}" not in [i.key for i in week2.items()]  # not new any more
    assert week2.since == to_iso(NEXT_SLOT)  # the window starts at the previous run's slot
    assert DigestContent.from_json(stored[0]["content"]) == week1  # the old snapshot is untouched


async def test_three_missed_weeks_are_caught_up_once(services: Services, db: Database, clock: FixedClock) -> None:
    """The bot was down for three slots: one run, for the latest slot's period, and the next slot is scheduled."""
    await configure(services)
    await resource(services, 1)
    down_until = NEXT_SLOT + timedelta(days=14, hours=30)  # Wednesday after the third missed Monday
    clock.advance(down_until - clock.now())
    await resource(services, 2)  # approved after the missed slot: next week's
    assert await services.job_runner.run_due() >= 1
    assert await services.job_runner.run_due() == 0
    stored = await runs(db)
    assert [(r["period"], r["slot"]) for r in stored] == [("2026-W51", to_iso(NEXT_SLOT + timedelta(days=14)))]
    job = await services.jobs.find_active(run_key(GUILD))
    assert job is not None and job.run_at == NEXT_SLOT + timedelta(days=21)
    await tick(services, clock, NEXT_SLOT + timedelta(days=21))
    assert [r["period"] for r in await runs(db)] == ["2026-W51", "2026-W52"]


@pytest.fixture
async def second(db: Database, clock: FixedClock) -> AsyncIterator[Services]:
    """A second bot process on the same database file."""
    async with Database.open(db.path) as other:
        yield build_services(other, clock)


async def test_two_planners_on_one_database_plan_one_run(
    services: Services, second: Services, db: Database, clock: FixedClock
) -> None:
    """Two processes plan the same period at once: one run, one delivery per subscriber, one post, one fan-out."""
    await configure(services)
    await resource(services, 1)
    for user in (ANNA, BEN):
        await services.digest.subscribe(GUILD, user, themes=("skills",), frequency="weekly", locale=None)
    clock.advance(timedelta(minutes=1))
    results = await asyncio.gather(
        services.digest.send_now(GUILD, MOD), second.digest.send_now(GUILD, MOD), services.digest.send_now(GUILD, MOD)
    )
    assert sorted(planned for _, planned in results) == [False, False, True]
    assert len({run.id for run, _ in results if run is not None}) == 1
    assert await count(db, "SELECT count(*) FROM digest_runs") == 1
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 2
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind IN (?, ?)", POST_JOB, FANOUT_JOB) == 2
    assert await count(db, "SELECT count(*) FROM audit_log WHERE action = 'digest.send_now'") == 1
    # the scheduled job of the same week finds the period taken (send-now was for week 48)
    assert [r["period"] for r in await runs(db)] == ["2026-W48"]
    await tick(services, clock, NEXT_SLOT)
    assert [r["period"] for r in await runs(db)] == ["2026-W48", "2026-W49"]


async def test_send_now_without_a_channel_does_nothing(services: Services, db: Database) -> None:
    """No digest channel: nothing is planned."""
    assert await services.digest.send_now(GUILD, MOD) == (None, False)
    assert await count(db, "SELECT count(*) FROM digest_runs") == 0


async def _post_job(services: Services, run_id: int) -> Job:
    job = await services.jobs.find_active(f"{POST_JOB}:{run_id}")
    assert job is not None and job.payload == {"run_id": run_id}
    return job


async def _planned_run(services: Services, clock: FixedClock, subscribers: range) -> int:
    await configure(services)
    await resource(services, 1)
    for user in subscribers:
        await services.digest.subscribe(GUILD, user, themes=("skills",), frequency="weekly", locale="en")
    clock.advance(timedelta(minutes=1))
    run, planned = await services.digest.send_now(GUILD, MOD)
    assert run is not None and planned
    return run.id


async def test_two_workers_never_hold_the_same_delivery_and_a_dead_ones_claims_are_taken_over(
    services: Services, second: Services, db: Database, clock: FixedClock
) -> None:
    """Claims are disjoint across processes; a crashed worker's claims return after the lease, not before."""
    run_id = await _planned_run(services, clock, range(1000, 1030))
    a, b = await asyncio.gather(
        services.digest.claim_deliveries(run_id, "worker-a", 10),
        second.digest.claim_deliveries(run_id, "worker-b", 10),
    )
    assert len(a) == len(b) == 10 and not {d.id for d in a} & {d.id for d in b}
    for delivery in b:
        await second.digest.delivered(delivery, message_id=delivery.id + 5000, dm_channel_id=delivery.user_id + 7000)
    rest = await second.digest.claim_deliveries(run_id, "worker-b", 50)
    assert len(rest) == 10 and not {d.id for d in rest} & {d.id for d in a}
    for delivery in rest:
        await second.digest.delivered(delivery, message_id=delivery.id + 5000, dm_channel_id=delivery.user_id + 7000)
    assert await second.digest.claim_deliveries(run_id, "worker-b", 50) == []  # worker A still holds ten
    assert await services.digest.finish_run(run_id) is None
    clock.advance(CLAIM_LEASE + timedelta(seconds=1))  # worker A died
    taken = await second.digest.claim_deliveries(run_id, "worker-b", 50)
    assert sorted(d.id for d in taken) == sorted(d.id for d in a)
    await services.digest.release(a[0])  # A's late release cannot take B's claim away
    assert await count(db, "SELECT count(*) FROM digest_deliveries WHERE status = 'claimed'") == 10
    for delivery in taken:
        await second.digest.delivered(delivery, message_id=delivery.id + 5000, dm_channel_id=delivery.user_id + 7000)
    await services.digest.delivered(a[0], message_id=1, dm_channel_id=2)  # A's late report changes nothing
    assert await count(db, "SELECT count(*) FROM digest_deliveries WHERE status = 'sent'") == 30
    assert await count(db, "SELECT count(*) FROM digest_deliveries WHERE message_id = 1") == 0
    assert await services.digest.finish_run(run_id) is None  # the channel post is still to come
    post = await _post_job(services, run_id)
    run = await services.digest.due_post(post)
    assert run is not None and await services.digest.claim_post(run)
    retry = replace(run, status="posting", post_attempted_at=to_iso(clock.now()))
    assert await services.digest.due_post(post) == retry  # a retry re-sends
    await services.digest.posted(run, [8001, 8002])
    assert await services.digest.due_post(post) is None
    assert not await services.digest.claim_post(run)
    report = await services.digest.finish_run(run_id)
    assert report is not None and (report.sent, report.channel_posted, report.has_failures) == (30, True, False)
    assert await second.digest.finish_run(run_id) is None  # reported once


async def test_release_unreachable_and_failures_are_recorded(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A passing failure goes back to planned; closed DMs mark the subscription; a refused send is failed."""
    run_id = await _planned_run(services, clock, range(1000, 1003))
    first, closed, refused = await services.digest.claim_deliveries(run_id, "w", 3)
    await services.digest.release(first)
    again = await services.digest.claim_deliveries(run_id, "w2", 3)
    assert [d.id for d in again] == [first.id]
    await services.digest.unreachable(closed)
    await services.digest.delivery_failed(refused, "403 Forbidden (error code: 50001)")
    await services.digest.delivered(again[0], message_id=1, dm_channel_id=2)
    sub = await services.digest.subscription(GUILD, closed.user_id)
    assert sub is not None and sub.unreachable_at is not None
    assert (await services.digest.subscription(GUILD, first.user_id)).dm_channel_id == 2  # type: ignore[union-attr]
    run = await services.digest.due_post(await _post_job(services, run_id))
    assert run is not None
    await services.digest.post_failed(run, "Missing Access")
    report = await services.digest.finish_run(run_id)
    assert report is not None
    assert (report.sent, report.unreachable, report.failed, report.channel_error) == (1, 1, 1, "Missing Access")
    assert report.has_failures
    resubscribed = await services.digest.subscribe(GUILD, closed.user_id, themes=(), frequency="weekly", locale="de")
    assert resubscribed.unreachable_at is None and resubscribed.locale is None and len(resubscribed.themes) == 5


# --- personal digests ------------------------------------------------------------------------------------------


async def _deliveries(db: Database) -> dict[int, tuple[str, str]]:
    rows = await db.fetch_all("SELECT user_id, period, status FROM digest_deliveries ORDER BY id")
    return {int(r["user_id"]): (r["period"], r["status"]) for r in rows}


async def test_personal_selection_by_theme_and_could_help(services: Services, db: Database, clock: FixedClock) -> None:
    """A subscriber gets their themes only, plus open questions that need a skill they offer (never their own)."""
    await configure(services)
    skills_res = await resource(services, 1, theme="skills")
    rights_res = await resource(services, 2, theme="revenue-and-rights")
    await question(services, 500, "Hoe zetten we een IIIF-server op?", author=DAAN)
    await question(services, 501, "IIIF manifest genereren uit onze collectie?", author=BEN)
    await question(services, 502, "Welke licentie voor foto's?", author=DAAN)
    await services.skills.listings.offer(GUILD, BEN, "iiif", level="expert")
    await services.skills.profiles.update(GUILD, BEN, ProfileChanges(visible=True))
    await services.digest.subscribe(GUILD, ANNA, themes=("revenue-and-rights",), frequency="weekly", locale="en")
    await services.digest.subscribe(GUILD, BEN, themes=("strategy",), frequency="weekly", locale=None)
    await services.digest.subscribe(GUILD, CAS, themes=("collective",), frequency="weekly", locale=None)
    clock.advance(timedelta(minutes=1))
    preview = await services.digest.preview(GUILD, ANNA)  # nothing stored
    assert [i.key for i in preview.items()] == [f"resource:{rights_res}"]
    assert [i.key for i in (await services.digest.preview(GUILD, BEN)).could_help] == ["post:500"]
    assert f"resource:{skills_res}" in [i.key for i in (await services.digest.preview(GUILD)).items()]
    assert await count(db, "SELECT count(*) FROM digest_runs") == 0
    await tick(services, clock, NEXT_SLOT)
    assert {user: status for user, (_, status) in (await _deliveries(db)).items()} == {
        ANNA: "planned",
        BEN: "planned",
        CAS: "empty",  # nothing of their theme, no offers: nothing to send
    }
    run_id = int(await db.fetch_value("SELECT id FROM digest_runs"))
    claimed = {d.user_id: d for d in await services.digest.claim_deliveries(run_id, "w", 10)}
    assert set(claimed) == {ANNA, BEN}
    anna = await services.digest.delivery_content(claimed[ANNA])
    assert [i.key for i in anna.items()] == [f"resource:{rights_res}"]
    assert anna.locale == "en" and anna.could_help == () and anna.period == "2026-W49"
    ben = await services.digest.delivery_content(claimed[BEN])
    assert list(ben.sections) == [] and [i.key for i in ben.could_help] == ["post:500"]  # not his own 501
    assert ben.locale == "nl"  # the server's (default) language
    everything = await services.digest.preview(GUILD)  # built now: the week after the run, so nothing is new
    assert f"resource:{skills_res}" not in [i.key for i in everything.items()]
    assert keys(everything, "open") == ["post:500", "post:501", "post:502"]


async def test_frequencies(services: Services, db: Database, clock: FixedClock) -> None:
    """Weekly every run; fortnightly every other; monthly on the first slot of a local month, with the month's
    items that are still live."""
    await configure(services)
    await services.digest.subscribe(GUILD, ANNA, themes=("skills",), frequency="weekly", locale=None)
    await services.digest.subscribe(GUILD, BEN, themes=("skills",), frequency="fortnightly", locale=None)
    await services.digest.subscribe(GUILD, CAS, themes=("skills",), frequency="monthly", locale=None)
    got: dict[int, list[str]] = {ANNA: [], BEN: [], CAS: []}
    archived = None
    for week in range(6):  # slots 30 Nov, 7, 14, 21, 28 Dec, 4 Jan
        new = await resource(services, 10 + week)
        if week == 2:
            archived = new
        if week == 3 and archived is not None:
            await services.library.archive(GUILD, archived, MOD)
        await tick(services, clock, NEXT_SLOT + timedelta(days=7 * week))
        run_id = int(await db.fetch_value("SELECT max(id) FROM digest_runs"))
        for delivery in await services.digest.claim_deliveries(run_id, "w", 10):
            got[delivery.user_id].append(delivery.period)
            content = await services.digest.delivery_content(delivery)
            if delivery.user_id == CAS:
                monthly = [i.key for i in content.items()]
            await services.digest.delivered(delivery, message_id=delivery.id, dm_channel_id=9000 + delivery.user_id)
    assert got[ANNA] == ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53", "2027-W01"]
    assert got[BEN] == ["2026-W49", "2026-W51", "2026-W53"]
    assert got[CAS] == ["2026-W50", "2027-W01"]  # 7 December and 4 January are the first slots of their months
    # January's monthly digest gathers the runs since 7 December, without the resource archived meanwhile
    # (the resources approved before 14, 21, 28 December and 4 January; the first of them was archived), newest first
    assert f"resource:{archived}" not in monthly
    assert monthly == ["resource:6", "resource:5", "resource:4"]


async def test_unreachable_members_are_not_planned_again(services: Services, db: Database, clock: FixedClock) -> None:
    """Closed DMs once: no delivery in later weeks until the member subscribes again."""
    await configure(services)
    await services.digest.subscribe(GUILD, ANNA, themes=("skills",), frequency="weekly", locale=None)
    await resource(services, 1)
    await tick(services, clock, NEXT_SLOT)
    (delivery,) = await services.digest.claim_deliveries(
        int(await db.fetch_value("SELECT id FROM digest_runs")), "w", 5
    )
    await services.digest.unreachable(delivery)
    await resource(services, 2)
    await tick(services, clock, NEXT_SLOT + timedelta(days=7))
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 1
    await services.digest.subscribe(GUILD, ANNA, themes=("skills",), frequency="weekly", locale=None)
    await resource(services, 3)
    await tick(services, clock, NEXT_SLOT + timedelta(days=14))
    assert await count(db, "SELECT count(*) FROM digest_deliveries") == 2
    assert await services.digest.unsubscribe(GUILD, ANNA)
    assert not await services.digest.unsubscribe(GUILD, ANNA)


async def test_sweep_restores_a_lost_schedule_and_deletes_old_runs(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A server whose digest.run job was lost gets it back from the daily sweep; runs older than 26 weeks go."""
    await configure(services)
    await resource(services, 1)
    await tick(services, clock, NEXT_SLOT)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM jobs WHERE kind = ?", (RUN_JOB,))
    assert await services.digest.sweep() == 1
    job = await services.jobs.find_active(run_key(GUILD))
    assert job is not None and job.run_at == NEXT_SLOT + timedelta(days=7)
    assert await services.digest.sweep() == 0
    await services.guild_settings.update(GUILD, digest_channel_id=None)
    assert await services.digest.sweep() == 0
    clock.advance(timedelta(weeks=27))
    await services.digest.sweep()
    assert await count(db, "SELECT count(*) FROM digest_runs") == 0


async def test_a_departed_server_is_not_planned(services: Services, db: Database, clock: FixedClock) -> None:
    """Removal cancels the schedule; the purge of the server deletes its digest rows with the rest."""
    await configure(services)
    await resource(services, 1)
    await services.digest.subscribe(GUILD, ANNA, themes=("skills",), frequency="weekly", locale=None)
    clock.advance(timedelta(minutes=1))
    assert (await services.digest.send_now(GUILD, MOD))[1]
    await services.setup.left(GUILD)
    assert await services.jobs.find_active(run_key(GUILD)) is None
    clock.advance(timedelta(days=31))
    assert await services.setup.purge_if_departed(GUILD)
    for table in ("digest_runs", "digest_deliveries", "digest_subscriptions"):
        assert await count(db, f"SELECT count(*) FROM {table}") == 0, table


async def test_servers_set_up_before_the_digest_get_their_schedule(tmp_path: Path) -> None:
    """Migration 0013 makes the sweep due at once where a digest channel was chosen; its run schedules the server."""
    async with Database.open(tmp_path / "old.sqlite3") as old:
        await apply_migrations(old, target=12)
        async with old.transaction() as tx:
            await tx.execute("INSERT INTO guild_settings (guild_id, created_at, updated_at) VALUES (10, 'x', 'x')")
            await tx.execute(
                "INSERT INTO guild_setting_values (guild_id, key, value, updated_at) VALUES (10, ?, '700', 'x')",
                ("digest_channel_id",),
            )
        assert 13 in await apply_migrations(old)
        assert await count(old, "SELECT count(*) FROM jobs WHERE kind = ? AND status = 'pending'", SWEEP_JOB) == 1
        services = build_services(old, FixedClock(datetime.now(UTC)))
        services.job_runner.unregister(CLEANUP_JOB)
        assert await services.job_runner.run_due() == 1
        job = await services.jobs.find_active(run_key(GUILD))
        assert job is not None and job.kind == RUN_JOB
        sweep = await services.jobs.find_active(f"recurring:{SWEEP_JOB}")
        assert sweep is not None and sweep.run_at > datetime.now(UTC)  # the next one, a day later


# --- failures, reports and unsubscribing (review of issue 12) --------------------------------------------------


async def test_a_report_with_failures_is_a_durable_job_enqueued_with_its_claim(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Claiming the report enqueues the digest.report job in the same transaction: a crash right after the claim
    still leaves the report to be sent (it used to be claimed and then only held in memory)."""
    run_id = await _planned_run(services, clock, range(1000, 1002))
    run = await services.digest.due_post(await _post_job(services, run_id))
    assert run is not None
    await services.digest.post_failed(run, "404 10003")
    for delivery in await services.digest.claim_deliveries(run_id, "w", 50):
        await services.digest.unreachable(delivery)
    report = await services.digest.finish_run(run_id)
    assert report is not None and report.has_failures
    assert await services.digest.finish_run(run_id) is None  # claimed once
    job = await services.jobs.find_active(f"{REPORT_JOB}:{run_id}")
    assert job is not None and job.kind == REPORT_JOB and job.payload == {"run_id": run_id}
    assert await services.digest.report(run_id) == report  # what the job sends


async def test_a_report_without_failures_enqueues_nothing(services: Services, db: Database, clock: FixedClock) -> None:
    """Everything went well: the report is claimed, but there is nothing to tell the moderators."""
    run_id = await _planned_run(services, clock, range(1000, 1001))
    run = await services.digest.due_post(await _post_job(services, run_id))
    assert run is not None and await services.digest.claim_post(run)
    await services.digest.posted(run, [1])
    [delivery] = await services.digest.claim_deliveries(run_id, "w", 50)
    await services.digest.delivered(delivery, message_id=2, dm_channel_id=3)
    report = await services.digest.finish_run(run_id)
    assert report is not None and not report.has_failures
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind = ?", REPORT_JOB) == 0


async def test_unsubscribing_drops_the_dm_planned_for_the_current_run(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A member who unsubscribes after the run was planned gets no DM from it; the run still finishes."""
    run_id = await _planned_run(services, clock, range(1000, 1002))
    assert await services.digest.unsubscribe(GUILD, 1000)
    claimed = await services.digest.claim_deliveries(run_id, "w", 50)
    assert [d.user_id for d in claimed] == [1001]
    status = await db.fetch_value("SELECT status FROM digest_deliveries WHERE user_id = 1000")
    assert status == "empty"


async def test_a_delivery_failing_in_passing_goes_last_and_is_given_up(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A delivery given back after a passing failure is claimed after fresh ones (least tried first), and after
    MAX_ATTEMPTS claims it is failed, so the run can finish and be reported."""
    run_id = await _planned_run(services, clock, range(1000, 1003))
    [first] = await services.digest.claim_deliveries(run_id, "w", 1)
    await services.digest.release(first)
    [fresh] = await services.digest.claim_deliveries(run_id, "w", 1)
    assert fresh.id != first.id and fresh.attempts == 1
    for delivery in await services.digest.claim_deliveries(run_id, "w", 50):
        if delivery.id != first.id:
            await services.digest.delivered(delivery, message_id=delivery.id, dm_channel_id=1)
        else:
            assert delivery.attempts == 2
            await services.digest.release(delivery)
    await services.digest.delivered(fresh, message_id=fresh.id, dm_channel_id=1)
    for attempt in range(3, MAX_ATTEMPTS + 1):
        [again] = await services.digest.claim_deliveries(run_id, "w", 50)
        assert again.id == first.id and again.attempts == attempt
        await services.digest.release(again)
    assert await services.digest.claim_deliveries(run_id, "w", 50) == []
    row = await db.fetch_one("SELECT status, error, attempts FROM digest_deliveries WHERE id = ?", (first.id,))
    assert row is not None and tuple(row) == ("failed", GAVE_UP, MAX_ATTEMPTS)


async def test_a_takeover_outside_the_nonce_window_asks_for_a_lookup(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The first claim's moment is kept across takeovers; a takeover within NONCE_SAFE of it relies on the nonce,
    a later one must look in the DM channel first. The claim is short and renewable."""
    run_id = await _planned_run(services, clock, range(1000, 1001))
    [first] = await services.digest.claim_deliveries(run_id, "a", 1)
    assert not services.digest.needs_lookup(first) and first.attempted_at == to_iso(clock.now())
    clock.advance(CLAIM_LEASE / 2)
    assert await services.digest.renew([first], "a") == 1
    clock.advance(CLAIM_LEASE * 3 / 4)
    assert await services.digest.claim_deliveries(run_id, "b", 1) == []  # renewed: still held
    clock.advance(CLAIM_LEASE)
    [taken] = await services.digest.claim_deliveries(run_id, "b", 1)
    assert taken.attempted_at == first.attempted_at and not services.digest.needs_lookup(taken)
    clock.advance(NONCE_SAFE)
    [late] = await services.digest.claim_deliveries(run_id, "c", 1)
    assert late.attempts == 3 and services.digest.needs_lookup(late)
    await services.digest.dm_channel_opened(late, 4242)
    assert await db.fetch_value("SELECT dm_channel_id FROM digest_deliveries WHERE id = ?", (late.id,)) == 4242


async def test_parts_posted_before_a_refusal_keep_their_ids(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The channel post records each part as it goes: a refusal of part 2 keeps part 1's id with the failure."""
    run_id = await _planned_run(services, clock, range(1000, 1001))
    run = await services.digest.due_post(await _post_job(services, run_id))
    assert run is not None and await services.digest.claim_post(run)
    await services.digest.posted_part(run, [8001])
    await services.digest.post_failed(run, "403 50013")
    row = await db.fetch_one("SELECT status, message_ids, error FROM digest_runs WHERE id = ?", (run_id,))
    assert row is not None and tuple(row) == ("failed", "[8001]", "403 50013")


async def test_the_sweep_fails_and_reports_a_post_whose_job_died(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A channel post left 'posting' by a dead job is failed by the daily sweep a day later, and reported."""
    run_id = await _planned_run(services, clock, range(1000, 1001))
    run = await services.digest.due_post(await _post_job(services, run_id))
    assert run is not None and await services.digest.claim_post(run)
    async with db.transaction() as tx:
        await tx.execute("UPDATE jobs SET status = 'dead' WHERE kind = ?", (POST_JOB,))
    [delivery] = await services.digest.claim_deliveries(run_id, "w", 50)
    await services.digest.delivered(delivery, message_id=1, dm_channel_id=2)
    assert await services.digest.finish_run(run_id) is None  # the post is unfinished
    await services.digest.sweep()
    assert await db.fetch_value("SELECT status FROM digest_runs WHERE id = ?", (run_id,)) == "posting"  # too soon
    clock.advance(timedelta(days=1, minutes=1))
    await services.digest.sweep()
    row = await db.fetch_one("SELECT status, error, reported_at FROM digest_runs WHERE id = ?", (run_id,))
    assert row is not None and row["status"] == "failed" and row["reported_at"] is not None
    assert await services.jobs.find_active(f"{REPORT_JOB}:{run_id}") is not None


async def test_a_monthly_subscriber_gets_one_dm_a_month_after_an_early_send_now(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """A send-now on Tuesday 1 December and the scheduled slot of Monday 7 December are both among the month's
    first: the monthly subscriber gets the first one only."""
    await configure(services)
    await services.digest.subscribe(GUILD, CAS, themes=("skills",), frequency="monthly", locale=None)
    clock.advance(datetime(2026, 12, 1, 10, 0, tzinfo=UTC) - clock.now())
    await resource(services, 1)
    clock.advance(timedelta(minutes=1))
    run, planned = await services.digest.send_now(GUILD, MOD)
    assert run is not None and planned
    [delivery] = await services.digest.claim_deliveries(run.id, "w", 50)
    await services.digest.delivered(delivery, message_id=1, dm_channel_id=2)
    await resource(services, 2)
    await tick(services, clock, NEXT_SLOT + timedelta(days=7))
    periods = [r["period"] for r in await runs(db)]
    assert periods == ["2026-W49", "2026-W50"]
    assert await _deliveries(db) == {CAS: ("2026-W49", "sent")}
