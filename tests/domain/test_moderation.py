"""The moderation overview on real SQLite: every queue's count, oldest item and red flag as time passes; the first
claim wins; claims on items that left are ignored; reports once per member and message; privacy; the weekly
post planned once per period at the digest's local hour."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock, to_iso
from bot.db.database import Database
from bot.domain.digest.service import NONCE_SAFE
from bot.domain.gaps import GapsWeek
from bot.domain.moderation.models import MAX_OPEN_REPORTS, POST_JOB, QUEUES, WEEKLY_JOB, weekly_key
from bot.domain.moderation.service import KEEP_CLOSED_REPORTS
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.domain.retention import Retention
from bot.errors import Conflict, Invalid, NotFound
from bot.services import Services

GUILD = 10
OTHER_GUILD = 11
MAUD, MIRA, ALICE, BOB = 1, 2, 3, 4
CHANNEL = 70
MOD_CHANNEL = 80


def _draft(n: int) -> object:
    return make_draft(
        title=f"Gids {n}",
        url=f"https://example.org/gids-{n}",
        summary="Een gids.",
        theme="skills",
        type="guide",
        language="nl",
    )


async def _suggestion(services: Services, n: int) -> int:
    return (await services.library.suggest(GUILD, ALICE, _draft(n))).id  # type: ignore[arg-type]


async def _broken(services: Services, n: int) -> int:
    library = services.library
    resource_id = await _suggestion(services, n)
    await library.approve(GUILD, resource_id, MAUD)
    await library.record_link_check(await library.get(GUILD, resource_id), False, "404")
    return resource_id


async def _post(services: Services, thread: int, title: str = "Hoe bewaren we negatieven?") -> None:
    assert await services.qa.post_opened(HelpPost(thread, GUILD, 50, ALICE, title))


async def _solved(services: Services, thread: int) -> None:
    await _post(services, thread, f"Vraag {thread}")
    await services.qa.mark_solution(
        GUILD,
        thread,
        marker_id=ALICE,
        is_moderator=False,
        answer_message_id=thread + 1,
        answer_author_id=BOB,
        answer_text="Koel en donker bewaren.",
    )


async def _report(services: Services, message: int, reporter: int = ALICE, reason: str | None = "spam") -> int:
    report = await services.moderation.report(
        GUILD,
        channel_id=CHANNEL,
        message_id=message,
        jump_url=f"https://discord.com/channels/{GUILD}/{CHANNEL}/{message}",
        reporter_id=reporter,
        reason=reason,
    )
    return report.id


async def _unrouted(services: Services, thread: int) -> int:
    await _post(services, thread, "Subsidie voor een escape room in het museum")
    post = await services.qa.post(GUILD, thread)
    assert post is not None
    request = await services.routing.flow.start(post, "forum")
    assert request is not None and request.status == "unmatched"
    return request.id


async def _fill(services: Services) -> None:
    """One item in every queue (a promoted solved post is not an FAQ proposal)."""
    await _suggestion(services, 1)
    await _broken(services, 2)
    await _solved(services, 300)
    await _solved(services, 310)
    await services.qa.promote(GUILD, 310, MAUD, title="Negatieven bewaren", body="Koel en donker.")
    await _report(services, 900)
    await _unrouted(services, 400)  # also an unanswered post


async def test_every_queue_counts_and_turns_red_past_the_threshold(services: Services, clock: FixedClock) -> None:
    """Each queue shows its count and oldest item; past overview_red_days (3 by default) it is red."""
    start = clock.now()
    await _fill(services)
    clock.advance(timedelta(days=1))
    await _suggestion(services, 3)
    await _report(services, 901, reporter=BOB)
    await _post(services, 401)

    overview = await services.moderation.overview(GUILD)
    assert [q.queue for q in overview.queues] == list(QUEUES)
    counts = {q.queue: q.count for q in overview.queues}
    assert counts == {
        "suggestions": 2,
        "broken_links": 1,
        "faq_proposals": 1,
        "unanswered": 2,
        "reports": 2,
        "unrouted": 1,
    }
    assert all(q.oldest_at == to_iso(start) for q in overview.queues)
    assert overview.red == () and not overview.empty
    assert overview.queue("unanswered").age(clock.now()) == timedelta(days=1)
    assert [i.key for i in overview.queue("faq_proposals").items] == ["300"]
    assert overview.queue("reports").items[0].detail == "spam"

    clock.advance(timedelta(days=2, minutes=1))  # the oldest now waits 3 days and a minute
    assert (await services.moderation.overview(GUILD)).red == QUEUES
    await services.guild_settings.update(GUILD, overview_red_days=5)
    assert (await services.moderation.overview(GUILD)).red == ()


async def test_an_empty_server_has_empty_queues(services: Services) -> None:
    """Without anything waiting every queue is 0, nothing is red, and the overview is empty."""
    overview = await services.moderation.overview(GUILD)
    assert overview.empty and overview.red == ()
    assert all(q.count == 0 and q.oldest_at is None and q.items == () for q in overview.queues)


async def test_the_first_opener_claims_and_later_openers_see_who(services: Services, clock: FixedClock) -> None:
    """Two moderators opening the same item at once: exactly one claims it; both see the same claimer."""
    resource_id = str(await _suggestion(services, 1))
    first, second = await asyncio.gather(
        services.moderation.open_item(GUILD, "suggestions", resource_id, MAUD),
        services.moderation.open_item(GUILD, "suggestions", resource_id, MIRA),
    )
    assert [first.claimed_now, second.claimed_now].count(True) == 1
    assert first.claim == second.claim
    claimer = first.claim.moderator_id
    clock.advance(timedelta(hours=1))
    later = await services.moderation.open_item(GUILD, "suggestions", resource_id, BOB)
    assert not later.claimed_now and later.claim.moderator_id == claimer and not later.held_by(BOB)
    item = (await services.moderation.overview(GUILD)).queue("suggestions").items[0]
    assert item.claim is not None and item.claim.moderator_id == claimer


async def test_a_claim_on_an_item_that_left_its_queue_is_ignored_and_cleaned(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """An unanswered post that got solved leaves its queue: its claim no longer counts and is deleted."""
    await _post(services, 500)
    await services.moderation.open_item(GUILD, "unanswered", "500", MAUD)
    await services.qa.mark_solution(
        GUILD, 500, marker_id=ALICE, is_moderator=False, answer_message_id=501, answer_author_id=BOB, answer_text="Ja."
    )
    assert (await services.moderation.overview(GUILD)).queue("unanswered").count == 0
    with pytest.raises(NotFound):
        await services.moderation.open_item(GUILD, "unanswered", "500", MIRA)
    assert await db.fetch_value("SELECT count(*) FROM moderation_claims") == 0
    # the same post is now an FAQ proposal: a fresh item with no claim
    opened = await services.moderation.open_item(GUILD, "faq_proposals", "500", MIRA)
    assert opened.claimed_now and opened.claim.moderator_id == MIRA


async def test_a_claim_from_before_an_item_came_back_does_not_count(services: Services, clock: FixedClock) -> None:
    """A suggestion claimed, approved, then back with a broken link: the new item is unclaimed."""
    resource_id = await _suggestion(services, 1)
    await services.moderation.open_item(GUILD, "suggestions", str(resource_id), MAUD)
    await services.library.approve(GUILD, resource_id, MAUD)
    clock.advance(timedelta(days=10))
    await services.library.record_link_check(await services.library.get(GUILD, resource_id), False, "404")
    assert (await services.moderation.overview(GUILD)).queue("broken_links").items[0].claim is None
    opened = await services.moderation.open_item(GUILD, "broken_links", str(resource_id), MIRA)
    assert opened.claimed_now


async def test_bad_keys_and_unknown_queues_are_not_found(services: Services) -> None:
    """A forged queue name or key is a localised NotFound, not a crash."""
    for queue, key in (("nope", "1"), ("reports", "x"), ("reports", "1" * 30), ("reports", "12")):
        with pytest.raises(NotFound):
            await services.moderation.open_item(GUILD, queue, key, MAUD)


async def test_release_gives_an_item_back_and_is_audited(services: Services, db: Database) -> None:
    """Any moderator may release a claim; it is in the audit log; a second release finds nothing."""
    report = str(await _report(services, 900))
    await services.moderation.open_item(GUILD, "reports", report, MAUD)
    released = await services.moderation.release(GUILD, "reports", report, MIRA)
    assert released.moderator_id == MAUD
    assert await db.fetch_value("SELECT actor_id FROM audit_log WHERE action = 'moderation.release'") == MIRA
    with pytest.raises(NotFound):
        await services.moderation.release(GUILD, "reports", report, MIRA)
    assert (await services.moderation.open_item(GUILD, "reports", report, MIRA)).claimed_now


async def test_a_member_reports_a_message_once_while_it_is_open(services: Services, db: Database) -> None:
    """One open report per member and message; others may report it too; after a decision it may come again."""
    first = await _report(services, 900, reason="  scheldwoorden \n in de   titel ")
    stored = await services.moderation.get_report(GUILD, first)
    assert stored.reason == "scheldwoorden in de titel" and stored.status == "open"
    assert await services.moderation.has_open_report(GUILD, 900, ALICE)
    with pytest.raises(Conflict):
        await _report(services, 900)
    await _report(services, 900, reporter=BOB, reason=None)
    with pytest.raises(Invalid):
        await _report(services, 901, reason="x" * 301)

    await services.moderation.open_item(GUILD, "reports", str(first), MAUD)
    resolved = await services.moderation.resolve_report(GUILD, first, MAUD)
    assert resolved.status == "resolved" and resolved.resolved_by == MAUD
    assert await db.fetch_value("SELECT count(*) FROM moderation_claims") == 0
    with pytest.raises(Conflict):
        await services.moderation.dismiss_report(GUILD, first, MAUD)
    assert not await services.moderation.has_open_report(GUILD, 900, ALICE)
    again = await _report(services, 900)
    assert (await services.moderation.dismiss_report(GUILD, again, MIRA)).status == "dismissed"
    actions = [r["action"] for r in await db.fetch_all("SELECT action FROM audit_log WHERE target_type = 'report'")]
    assert actions == ["report.create", "report.create", "report.resolve", "report.create", "report.dismiss"]
    assert (await services.moderation.overview(GUILD)).queue("reports").count == 1  # bob's


async def test_a_member_has_at_most_a_few_open_reports_per_server(services: Services, db: Database) -> None:
    """A member cannot flood the queue: the report past the cap is refused (nothing stored, nothing audited), the
    form is refused before it opens; others, other servers and a closed report make room again."""
    moderation = services.moderation
    ids = [await _report(services, 900 + n) for n in range(MAX_OPEN_REPORTS)]
    with pytest.raises(Conflict) as refused:
        await _report(services, 999)
    assert refused.value.key == "moderation.report.too_many" and refused.value.params == {"limit": MAX_OPEN_REPORTS}
    with pytest.raises(Conflict) as early:
        await moderation.ensure_may_report(GUILD, 999, ALICE)
    assert early.value.key == "moderation.report.too_many"
    with pytest.raises(Conflict) as same:
        await moderation.ensure_may_report(GUILD, 900, ALICE)  # this message: "already", the more precise answer
    assert same.value.key == "moderation.report.already"
    assert await db.fetch_value("SELECT count(*) FROM moderation_reports") == MAX_OPEN_REPORTS
    assert await db.fetch_value("SELECT count(*) FROM audit_log WHERE action = 'report.create'") == MAX_OPEN_REPORTS
    await moderation.ensure_may_report(GUILD, 999, BOB)
    await _report(services, 999, reporter=BOB)
    await moderation.report(
        OTHER_GUILD,
        channel_id=1,
        message_id=2,
        jump_url="https://discord.com/channels/11/1/2",
        reporter_id=ALICE,
        reason=None,
    )
    await moderation.dismiss_report(GUILD, ids[0], MAUD)
    await moderation.ensure_may_report(GUILD, 999, ALICE)
    await _report(services, 999)
    assert (await moderation.overview(GUILD)).queue("reports").count == MAX_OPEN_REPORTS + 1


async def test_closed_reports_are_deleted_after_the_retention_period(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The daily sweep deletes resolved and dismissed reports (reporter and reason with them) once they were closed
    longer than the search-log retention; open ones stay however old, and so do recently closed ones."""
    assert Retention().closed_reports == KEEP_CLOSED_REPORTS == timedelta(days=Retention().search_log_days)
    moderation = services.moderation
    resolved, dismissed, open_id = [await _report(services, n) for n in (900, 901, 902)]
    await moderation.open_item(GUILD, "reports", str(resolved), MAUD)
    await moderation.resolve_report(GUILD, resolved, MAUD)
    await moderation.dismiss_report(GUILD, dismissed, MAUD)
    clock.advance(KEEP_CLOSED_REPORTS - timedelta(days=1))
    recent = await _report(services, 903, reporter=BOB)
    await moderation.resolve_report(GUILD, recent, MAUD)
    await moderation.sweep()
    assert await db.fetch_value("SELECT count(*) FROM moderation_reports") == 4
    clock.advance(timedelta(days=1, seconds=1))
    await moderation.sweep()
    rows = await db.fetch_all("SELECT id, status FROM moderation_reports ORDER BY id")
    assert [(r["id"], r["status"]) for r in rows] == [(open_id, "open"), (recent, "resolved")]
    assert await moderation.get_report(GUILD, open_id)


async def test_a_retry_looks_for_the_post_only_after_the_nonce_window(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The first send's moment is kept across retries: within Discord's nonce window a retry re-sends (the nonce
    catches a duplicate); after it, the retry first looks in the channel. A run never attempted needs no look."""
    await services.guild_settings.update(GUILD, moderator_channel_id=MOD_CHANNEL)
    settings = await services.guild_settings.get(GUILD)
    planned = await services.moderation.plan(settings, "2026-W49", NEXT_SLOT)
    assert planned is not None and not services.moderation.post_needs_lookup(planned)
    assert await services.moderation.claim_post(planned)
    first = await services.moderation.due_post(planned.id)
    assert first is not None and first.attempted_at == to_iso(clock.now())
    clock.advance(NONCE_SAFE - timedelta(seconds=1))
    assert not services.moderation.post_needs_lookup(first)
    assert await services.moderation.claim_post(first)
    clock.advance(timedelta(seconds=1))
    retry = await services.moderation.due_post(planned.id)
    assert retry is not None and retry.attempted_at == first.attempted_at
    assert services.moderation.post_needs_lookup(retry)


async def test_a_report_never_stores_the_message_text(services: Services, db: Database) -> None:
    """Only where the message is, who reported it and why: no column holds the message's content."""
    columns = {r["name"] for r in await db.fetch_all("SELECT name FROM pragma_table_info('moderation_reports')")}
    assert columns == {
        "id",
        "guild_id",
        "channel_id",
        "message_id",
        "jump_url",
        "reporter_id",
        "reason",
        "status",
        "resolved_by",
        "resolved_at",
        "created_at",
    }


async def test_export_and_forget(services: Services, db: Database) -> None:
    """A member's reports and claims are exported and deleted; a moderator's decisions lose their id."""
    mine = await _report(services, 900)
    await services.moderation.open_item(GUILD, "reports", str(mine), MAUD)
    bobs = await _report(services, 901, reporter=BOB)
    await services.moderation.open_item(GUILD, "reports", str(bobs), MAUD)
    await services.moderation.resolve_report(GUILD, bobs, MAUD)

    exported = await services.moderation.export_member(GUILD, ALICE)
    assert [r["id"] for r in exported["moderation_reports"]] == [mine]
    exported = await services.moderation.export_member(GUILD, MAUD)
    assert [c["item_key"] for c in exported["moderation_claims"]] == [str(mine)]
    assert [r["id"] for r in exported["moderation_decisions"]] == [bobs]

    await services.privacy.forget(GUILD, ALICE)
    assert await db.fetch_value("SELECT count(*) FROM moderation_reports WHERE id = ?", (mine,)) == 0
    assert await db.fetch_value("SELECT count(*) FROM moderation_claims") == 0  # the claim on her report went too
    await services.privacy.forget(GUILD, MAUD)
    assert await db.fetch_value("SELECT resolved_by FROM moderation_reports WHERE id = ?", (bobs,)) == -1
    assert await services.moderation.export_member(GUILD, MAUD) == {
        "moderation_reports": [],
        "moderation_decisions": [],
        "moderation_claims": [],
        "moderation_queue_decisions": [],
    }


# --- deciding an FAQ proposal -------------------------------------------------------------------------------------


async def _faq_queue(services: Services) -> tuple[int, str | None, list[str]]:
    queue = (await services.moderation.overview(GUILD)).queue("faq_proposals")
    return queue.count, queue.oldest_at, [item.key for item in queue.items]


async def test_not_for_the_faq_takes_a_solved_post_out_of_its_queue_for_good(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The decision (who, when) drops the post from the count and the oldest, with its claim, audited in the same
    transaction; weeks later it is still out; a post solved later still enters the queue."""
    start = clock.now()
    await _solved(services, 300)
    clock.advance(timedelta(days=1))
    await _solved(services, 310)
    await services.moderation.open_item(GUILD, "faq_proposals", "300", MAUD)
    assert await _faq_queue(services) == (2, to_iso(start), ["300", "310"])

    clock.advance(timedelta(hours=2))
    item = await services.moderation.decide(GUILD, "faq_proposals", "300", "not_faq", MIRA)
    assert item.key == "300" and item.title == "Vraag 300"
    assert await _faq_queue(services) == (1, to_iso(start + timedelta(days=1)), ["310"])
    row = await db.fetch_one("SELECT queue, item_key, decided_by, decided_at, outcome FROM moderation_decisions")
    assert row is not None
    assert dict(row) == {
        "queue": "faq_proposals",
        "item_key": "300",
        "decided_by": MIRA,
        "decided_at": to_iso(clock.now()),
        "outcome": "not_faq",
    }
    assert await db.fetch_value("SELECT count(*) FROM moderation_claims") == 0  # maud's claim went with it
    audit = await db.fetch_one(
        "SELECT actor_id, target_type, target_id FROM audit_log WHERE action = ?", ("moderation.not_faq",)
    )
    assert audit is not None
    assert (audit["actor_id"], audit["target_type"], audit["target_id"]) == (MIRA, "help_post", "300")

    with pytest.raises(NotFound):  # decided already (a second moderator, a stale button)
        await services.moderation.decide(GUILD, "faq_proposals", "300", "not_faq", MAUD)
    with pytest.raises(NotFound):
        await services.moderation.open_item(GUILD, "faq_proposals", "300", MAUD)
    assert await db.fetch_value("SELECT count(*) FROM audit_log WHERE action = 'moderation.not_faq'") == 1

    clock.advance(timedelta(days=30))
    await _solved(services, 320)
    assert await _faq_queue(services) == (2, to_iso(start + timedelta(days=1)), ["310", "320"])
    opened = await services.moderation.open_item(GUILD, "faq_proposals", "320", MAUD)
    assert opened.claimed_now


async def test_a_decision_needs_an_item_waiting_and_an_outcome_of_its_queue(services: Services) -> None:
    """Unknown posts, open (unsolved) posts, promoted posts, other queues and unknown outcomes: NotFound."""
    await _solved(services, 300)
    await _post(services, 301)
    await _solved(services, 310)
    await services.qa.promote(GUILD, 310, MAUD, title="Negatieven bewaren", body="Koel en donker.")
    report = str(await _report(services, 900))
    for queue, key, outcome in (
        ("faq_proposals", "999", "not_faq"),
        ("faq_proposals", "301", "not_faq"),
        ("faq_proposals", "310", "not_faq"),
        ("faq_proposals", "x", "not_faq"),
        ("faq_proposals", "300", "dismiss"),
        ("reports", report, "not_faq"),
        ("nope", "300", "not_faq"),
    ):
        with pytest.raises(NotFound):
            await services.moderation.decide(GUILD, queue, key, outcome, MAUD)
    assert (await _faq_queue(services))[0] == 1


async def test_a_decision_is_exported_and_forgotten_without_the_moderator(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The moderator's decisions are in their export; forget keeps the decision (the post stays out) without
    their id."""
    await _solved(services, 300)
    await services.moderation.decide(GUILD, "faq_proposals", "300", "not_faq", MAUD)
    exported = await services.moderation.export_member(GUILD, MAUD)
    assert exported["moderation_queue_decisions"] == [
        {"queue": "faq_proposals", "item_key": "300", "outcome": "not_faq", "decided_at": to_iso(clock.now())}
    ]
    assert (await services.moderation.export_member(GUILD, MIRA))["moderation_queue_decisions"] == []

    await services.privacy.forget(GUILD, MAUD)
    assert await db.fetch_value("SELECT decided_by FROM moderation_decisions WHERE item_key = '300'") == -1
    assert (await services.moderation.export_member(GUILD, MAUD))["moderation_queue_decisions"] == []
    assert (await _faq_queue(services))[0] == 0


# --- the weekly post --------------------------------------------------------------------------------------------


NEXT_SLOT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""Monday 30 November 2026, 09:00 in Amsterdam: the default digest weekday and hour."""


async def _runs(db: Database) -> list[tuple[str, str]]:
    return [(r["period"], r["status"]) for r in await db.fetch_all("SELECT period, status FROM moderation_runs")]


async def _pending(db: Database, kind: str) -> list[str]:
    rows = await db.fetch_all("SELECT run_at FROM jobs WHERE kind = ? AND status = 'pending' ORDER BY id", (kind,))
    return [r["run_at"] for r in rows]


async def test_the_weekly_post_is_planned_once_per_period_at_the_digest_hour(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """Setting the moderators' channel schedules the next slot; at the slot one run and one post job appear,
    however often jobs run; then it waits for the next week."""
    await services.guild_settings.update(GUILD, moderator_channel_id=MOD_CHANNEL)
    assert await _pending(db, WEEKLY_JOB) == [to_iso(NEXT_SLOT)]
    clock.advance(NEXT_SLOT - clock.now() - timedelta(minutes=1))
    await services.job_runner.run_due()
    assert await _runs(db) == []
    clock.advance(timedelta(minutes=1))
    await services.job_runner.run_due()
    await services.job_runner.run_due()
    assert await _runs(db) == [("2026-W49", "planned")]
    assert len(await _pending(db, POST_JOB)) == 1
    assert await _pending(db, WEEKLY_JOB) == [to_iso(NEXT_SLOT + timedelta(days=7))]
    settings = await services.guild_settings.get(GUILD)
    assert await services.moderation.plan(settings, "2026-W49", NEXT_SLOT) is None  # a second planner
    assert len(await _pending(db, POST_JOB)) == 1


async def test_the_weekly_post_follows_the_time_zone_and_hour(services: Services, db: Database) -> None:
    """A server in New York posting on Wednesdays at 7 gets its slot at 7 local time (12:00 UTC in winter)."""
    await services.guild_settings.update(
        GUILD, moderator_channel_id=MOD_CHANNEL, timezone="America/New_York", digest_weekday=2, digest_hour=7
    )
    assert await _pending(db, WEEKLY_JOB) == ["2026-11-25T12:00:00+00:00"]
    await services.guild_settings.update(GUILD, moderator_channel_id=None)
    assert await _pending(db, WEEKLY_JOB) == []


async def test_the_sweep_gives_every_server_with_a_channel_its_job(services: Services, db: Database) -> None:
    """A server whose weekly job was lost gets it back from the daily sweep (never twice)."""
    await services.guild_settings.update(GUILD, moderator_channel_id=MOD_CHANNEL)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM jobs WHERE dedupe_key = ?", (weekly_key(GUILD),))
    assert await services.moderation.sweep() == 1
    assert await services.moderation.sweep() == 0
    assert await _pending(db, WEEKLY_JOB) == [to_iso(NEXT_SLOT)]


class _Gaps:
    """A stand-in section source (the real one comes with the knowledge-gaps work)."""

    def __init__(self, found: list[str]) -> None:
        self.found = found
        self.asked: list[tuple[int, datetime, datetime]] = []

    async def moderators_section(self, guild_id: int, since: datetime, until: datetime) -> list[str]:
        self.asked.append((guild_id, since, until))
        return self.found


async def test_weekly_content_has_the_overview_and_added_sections(services: Services, clock: FixedClock) -> None:
    """The post's content is the overview plus every registered section; it is empty only when all are."""
    await services.guild_settings.update(GUILD, moderator_channel_id=MOD_CHANNEL)
    clock.advance(NEXT_SLOT - clock.now())
    settings = await services.guild_settings.get(GUILD)
    run = await services.moderation.plan(settings, "2026-W49", NEXT_SLOT)
    assert run is not None
    gaps = _Gaps([])
    services.moderation.add_weekly_source("gaps", gaps)
    content = await services.moderation.weekly_content(run)
    assert content.empty and gaps.asked == [(GUILD, NEXT_SLOT - timedelta(days=7), NEXT_SLOT)]
    gaps.found.append("subsidie escape room")
    assert not (await services.moderation.weekly_content(run)).empty
    gaps.found.clear()
    await _report(services, 900)
    content = await services.moderation.weekly_content(run)
    assert not content.empty and content.overview.queue("reports").count == 1


# --- the weekly post's knowledge gaps (GapService.moderators_section) -------------------------------------------

ESCAPE = "subsidie voor een escape room in het depot"
VISITORS = "Hoe lang bewaren we bezoekersgegevens?"
WORDS = ("glasnegatieven", "microfilm", "lakplaten", "wasrollen", "daguerreotypieen")


async def test_the_gaps_section_lists_the_heaviest_open_gaps_and_the_weeks_movement(
    services: Services, clock: FixedClock
) -> None:
    """The five heaviest open gaps (with askers and since when), how many are open, and how many opened, closed
    (answered) and were set aside in the week; what happened before the week is not counted."""
    gaps = services.gaps
    for user in (ALICE, BOB, MAUD):
        await gaps.record_own(GUILD, user, ESCAPE, "no_result")
    for user in (ALICE, BOB):
        await gaps.record_own(GUILD, user, VISITORS, "no_result")
    aside = await gaps.record_own(GUILD, ALICE, "scanner kiezen voor glasplaten", "no_result")
    await gaps.record_own(OTHER_GUILD, ALICE, "iets in een andere server", "no_result")
    assert aside is not None
    clock.advance(timedelta(days=8))
    since = clock.now()
    clock.advance(timedelta(hours=1))
    first_new = clock.now()
    for n, word in enumerate(WORDS):
        await gaps.record_own(GUILD, BOB, f"{word} conserveren in kelder {n}", "no_result")
    await gaps.dismiss(GUILD, aside, MAUD, "Buiten ons werkveld")
    await services.qa.faq_save(GUILD, MAUD, title="Escape room subsidie depot", body="Fondsen voor escape rooms.")
    assert await gaps.recheck(GUILD) == 1

    week = await gaps.moderators_section(GUILD, since, since + timedelta(days=7))
    assert week is not None
    assert (week.open, week.opened, week.closed, week.dismissed) == (6, 5, 1, 1)
    newest_first = [f"{word} conserveren in kelder {n}" for n, word in reversed(list(enumerate(WORDS)))]
    assert [g.question for g in week.top] == [VISITORS, *newest_first[:4]]
    assert week.top[0].askers == 2 and week.top[1].created_at == to_iso(first_new)
    earlier = await gaps.moderators_section(GUILD, since - timedelta(days=7), since)
    assert earlier is not None and (earlier.opened, earlier.closed, earlier.dismissed) == (0, 0, 0)


async def test_the_gaps_section_is_left_out_without_open_gaps(services: Services, clock: FixedClock) -> None:
    """No open gap (even with one answered in the week): no section, so an otherwise empty week posts nothing."""
    gaps = services.gaps
    since = clock.now()
    assert await gaps.moderators_section(GUILD, since, since + timedelta(days=7)) is None
    await gaps.record_own(GUILD, ALICE, ESCAPE, "no_result")
    await services.qa.faq_save(GUILD, MAUD, title="Escape room subsidie depot", body="Fondsen voor escape rooms.")
    assert await gaps.recheck(GUILD) == 1
    assert await gaps.moderators_section(GUILD, since, since + timedelta(days=7)) is None


async def test_a_week_with_open_gaps_but_empty_queues_still_posts(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The gaps source is wired into the weekly post: with every queue empty, an open gap keeps it from being empty."""
    await services.guild_settings.update(GUILD, moderator_channel_id=MOD_CHANNEL)
    clock.advance(NEXT_SLOT - clock.now())
    settings = await services.guild_settings.get(GUILD)
    run = await services.moderation.plan(settings, "2026-W49", NEXT_SLOT)
    assert run is not None
    assert (await services.moderation.weekly_content(run)).empty
    await services.gaps.record_own(GUILD, ALICE, ESCAPE, "no_result")
    content = await services.moderation.weekly_content(run)
    assert content.overview.empty and not content.empty
    week = content.sections["gaps"]
    assert isinstance(week, GapsWeek) and [g.question for g in week.top] == [ESCAPE]
