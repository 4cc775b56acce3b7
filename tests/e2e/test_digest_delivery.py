"""The digest's delivery through the wire, exactly once: a fan-out stopped in the middle and started again, a second
process on the same database, a crash between Discord accepting a DM and the bot recording it, closed DMs, a
deleted digest channel, the schedule around both daylight-saving changes, and an empty week.

Every DM is counted on the wire (the fake's messages and the requests that reached it). Time moves only with the
frozen clock and ``bot.run_jobs()``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.config import Settings
from bot.domain.digest.models import FANOUT_JOB
from bot.domain.digest.service import CLAIM_LEASE, GAVE_UP, MAX_ATTEMPTS
from bot.pacing import Pacer
from bot.wiring import running_app
from tests.e2e.conftest import Launcher
from tests.e2e.test_digest import TITLE, approved_resource, configure, settle
from tests.fakediscord import FakeDiscord, FakeMember, StoredMessage

Env = tuple[FakeDiscord, SteunpuntBot]


def _rows(bot: SteunpuntBot, sql: str) -> list[tuple[object, ...]]:
    """Rows read straight from the bot's database file (a reader of its own, as another process would be)."""
    with sqlite3.connect(bot.settings.database_path) as conn:
        return list(conn.execute(sql))


def _write(path: Path, sql: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(sql)


async def subscribers(fake: FakeDiscord, count: int) -> list[FakeMember]:
    """Alice, Bob and further members, each subscribed with /digest subscribe (all themes, weekly)."""
    members = [fake.alice, fake.bob]
    for number in range(count - 2):
        members.append(await fake.add_member(f"lid{number}", locale="nl" if number % 2 else "en-GB"))
    for member in members:
        await fake.slash("digest subscribe", user=member)
    return members


def dm_counts(fake: FakeDiscord, members: list[FakeMember]) -> dict[str, int]:
    """Digest DMs each member received (messages in their DM channel)."""
    return {m.user.username: len(fake.dms(m)) for m in members}


def reports(fake: FakeDiscord) -> list[StoredMessage]:
    """The digest reports in the moderators' channel (the review cards of suggestions aside)."""
    return [m for m in fake.messages(fake.world.moderators) if str(m.nonce or "").startswith("dr")]


def jobs_of(bot: SteunpuntBot) -> Any:
    """The digest's job handlers in the running bot (by name: each start loads the cogs' modules afresh)."""
    cog = bot.get_cog("DigestCog")
    assert cog is not None and type(cog).__name__ == "DigestCog"
    return cog.jobs  # type: ignore[attr-defined]


class Gate(Pacer):
    """A pacer that lets ``allow`` requests through and then holds every other one (the bot is stopped then)."""

    def __init__(self, allow: int) -> None:
        super().__init__(rate=1e6, burst=1000)
        self.allow = allow
        self.waiting = 0
        self._never = asyncio.Event()

    async def acquire(self) -> None:
        """Take a token while the gate is open; afterwards wait for ever."""
        if self.granted >= self.allow:
            self.waiting += 1
            await self._never.wait()
        await super().acquire()


async def test_a_fanout_stopped_in_the_middle_resumes_and_sends_every_dm_once(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock
) -> None:
    """Six subscribers; the bot is stopped after two DMs went out (four held mid-way, one DM channel each opened);
    the next start sends the other four. Every member gets exactly one DM, and no DM was posted twice."""
    fake = fake_discord
    async with launch(auto_sync=False) as bot:
        await bot.sync_commands(guild_id=None)
        await configure(fake, bot, clock)
        members = await subscribers(fake, 6)
        gate = Gate(allow=8)  # six DM channels opened, then two sends
        jobs_of(bot).pacer = gate
        await fake.slash("digest send-now", user=fake.world.owner)  # the jobs start at once, in the background
        await fake.wait_until(lambda: gate.waiting == 4 or None, what="four deliveries held at the gate")
        assert sum(dm_counts(fake, members).values()) == 2
        for task in [t for t in asyncio.all_tasks() if t.get_name() == "steunpunt-jobs-kick"]:
            task.cancel()  # the shutdown's grace ran out: the fan-out is stopped where it is
        await asyncio.gather(
            *[t for t in asyncio.all_tasks() if t.get_name() == "steunpunt-jobs-kick"], return_exceptions=True
        )
    assert (
        sorted(str(s) for (s,) in _rows(bot, "SELECT status FROM digest_deliveries")) == ["planned"] * 4 + ["sent"] * 2
    )
    async with launch(auto_sync=False) as bot:
        await settle(bot)  # the jobs loop of the new start may take the fan-out too: wait for the wire
        await fake.wait_until(lambda: sum(dm_counts(fake, members).values()) >= 6 or None, what="the other DMs")
        await settle(bot)
        assert dm_counts(fake, members) == {m.user.username: 1 for m in members}
        assert _rows(bot, "SELECT count(*) FROM digest_deliveries WHERE status = 'sent'") == [(6,)]
        clock.advance(timedelta(minutes=10))
        await settle(bot)
    for member in members:
        assert len(fake.requests_to("POST", rf"/channels/{fake.dm_channel(member).id}/messages$")) == 1
    assert len(fake.messages(fake.world.general, public=True)) == 1
    assert reports(fake) == []  # nothing failed: no report


async def _crash_after_alices_dm(fake: FakeDiscord, bot: SteunpuntBot, clock: FixedClock, held: timedelta) -> None:
    """A worker died after Discord accepted Alice's DM but before recording it: it held the fan-out job (its lease
    runs out in a minute) and Alice's claim (for ``held``)."""
    path = bot.settings.database_path
    soon = (clock.now() + timedelta(minutes=1)).isoformat()
    held_until = (clock.now() + held).isoformat()
    _write(
        path,
        "UPDATE digest_deliveries SET status = 'claimed', claim_token = 'dead-worker', "
        f"claimed_until = '{held_until}', message_id = NULL, sent_at = NULL WHERE user_id = {fake.alice.id}",
    )
    _write(path, "UPDATE digest_runs SET reported_at = NULL")
    _write(
        path,
        "UPDATE jobs SET status = 'running', lease_owner = 'dead-worker#1', finished_at = NULL, attempts = 1, "
        f"lease_expires_at = '{soon}' WHERE kind = '{FANOUT_JOB}'",
    )


async def test_a_dm_sent_but_not_recorded_is_taken_over_within_the_nonce_window(
    steunpunt: Env, clock: FixedClock
) -> None:
    """The dead worker's claim is short (a minute): the fan-out takes it over two minutes after the send, for the
    bot and for Discord, and re-sends with the same nonce; Discord returns the message it already has, so Alice
    still has one DM, recorded with that message's id."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 3)
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    [dm] = fake.dms(fake.alice)
    await _crash_after_alices_dm(fake, bot, clock, CLAIM_LEASE)
    _move(fake, clock, clock.now() + timedelta(minutes=2))
    await settle(bot)
    assert dm_counts(fake, members) == {m.user.username: 1 for m in members}
    assert fake.deduplicated == [dm.id]  # the re-send reached Discord and was answered with the first message
    assert _rows(bot, f"SELECT status, message_id FROM digest_deliveries WHERE user_id = {fake.alice.id}") == [
        ("sent", dm.id)
    ]


async def test_a_dm_sent_but_not_recorded_is_found_in_the_dm_channel_after_the_nonce_window(
    steunpunt: Env, clock: FixedClock
) -> None:
    """The dead worker's claim is held five minutes and Discord's clock moves with the bot's: the takeover comes
    after the nonce window, so the fan-out first reads Alice's DM channel, finds the digest there and records it;
    nothing is sent again (a re-send would have been a second DM)."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 3)
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    [dm] = fake.dms(fake.alice)
    alice_dm = fake.dm_channel(fake.alice)
    await _crash_after_alices_dm(fake, bot, clock, timedelta(minutes=5))
    _move(fake, clock, clock.now() + timedelta(minutes=2))
    await settle(bot)  # the job is taken over, but Alice's claim is still held: it looks again later
    assert _rows(bot, f"SELECT status FROM digest_deliveries WHERE user_id = {fake.alice.id}") == [("claimed",)]
    _move(fake, clock, clock.now() + timedelta(minutes=6))
    await settle(bot)
    assert dm_counts(fake, members) == {m.user.username: 1 for m in members}
    assert len(fake.requests_to("POST", rf"/channels/{alice_dm.id}/messages$")) == 1
    assert fake.requests_to("GET", rf"/channels/{alice_dm.id}/messages")  # looked before sending
    assert _rows(bot, f"SELECT status, message_id FROM digest_deliveries WHERE user_id = {fake.alice.id}") == [
        ("sent", dm.id)
    ]


async def test_a_channel_post_retried_after_the_nonce_window_posts_only_the_missing_parts(
    steunpunt: Env, clock: FixedClock
) -> None:
    """The channel post's first attempt posted a part and died before recording it; the retry comes ten minutes
    later (outside Discord's nonce window): it finds that part in the channel and posts nothing twice."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    [post] = fake.messages(fake.world.general, public=True)
    path = bot.settings.database_path
    _write(path, "UPDATE digest_runs SET status = 'posting', message_ids = '[]', posted_at = NULL, reported_at = NULL")
    _write(path, "UPDATE jobs SET status = 'pending', finished_at = NULL WHERE kind = 'digest.post'")
    _move(fake, clock, clock.now() + timedelta(minutes=10))
    await settle(bot)
    assert fake.messages(fake.world.general, public=True) == [post]
    assert len(fake.requests_to("POST", rf"/channels/{fake.world.general.id}/messages$")) == 1
    assert _rows(bot, "SELECT status, message_ids FROM digest_runs") == [("posted", f"[{post.id}]")]


async def test_a_recipient_failing_in_passing_is_given_up_and_the_run_is_reported(
    steunpunt: Env, clock: FixedClock
) -> None:
    """Bob's DM channel answers 503 for ever: the others get theirs, Bob's delivery is tried a few times, then
    failed, and the run ends with one report (it used to retry every five minutes for ever, unreported)."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 3)
    bob_dm = fake.dm_channel(fake.bob)
    fake.fail_next("POST", rf"/channels/{bob_dm.id}/messages$", status=503, times=10_000)
    await fake.slash("digest send-now", user=fake.world.owner)
    for _ in range(12):
        _move(fake, clock, clock.now() + timedelta(minutes=6))
        await settle(bot)
    assert dm_counts(fake, members) == {"alice": 1, "bob": 0, "lid0": 1}
    [(status, error)] = _rows(bot, f"SELECT status, error FROM digest_deliveries WHERE user_id = {fake.bob.id}")
    assert status == "failed" and error == GAVE_UP
    assert _rows(bot, f"SELECT attempts FROM digest_deliveries WHERE user_id = {fake.bob.id}") == [(MAX_ATTEMPTS,)]
    [report] = reports(fake)
    assert bot.i18n.t("digest.report.counts", "nl", sent=2, unreachable=0, failed=1) in report.content
    assert _rows(bot, f"SELECT status FROM jobs WHERE kind = '{FANOUT_JOB}'") == [("done",)]


async def test_a_discord_outage_at_post_time_fails_the_post_and_reports_it(steunpunt: Env, clock: FixedClock) -> None:
    """Every attempt of the channel post meets a 503: after its last attempt the run is recorded as failed (not
    left 'posting' for ever) and the moderators hear it, once."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 2)
    fake.fail_next("POST", rf"/channels/{fake.world.general.id}/messages$", status=503, times=100)
    await fake.slash("digest send-now", user=fake.world.owner)
    for _ in range(30):
        _move(fake, clock, clock.now() + timedelta(minutes=10))
        await settle(bot)
    assert fake.messages(fake.world.general, public=True) == []
    assert dm_counts(fake, members) == {"alice": 1, "bob": 1}
    [(status, error)] = _rows(bot, "SELECT status, error FROM digest_runs")
    assert status == "failed" and str(error).startswith("503")
    [report] = reports(fake)
    assert bot.i18n.t("digest.report.channel_failed", "nl", reason=error) in report.content


async def test_a_second_process_on_the_same_database_sends_nothing_twice(steunpunt: Env, clock: FixedClock) -> None:
    """At the scheduled slot two processes run the due jobs at the same moment, and a duplicated fan-out job runs
    in both: one channel post, one DM per subscriber."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 5)
    settings = Settings.for_tests(
        database_path=bot.settings.database_path,
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )
    async with running_app(settings, clock=clock, auto_sync=False) as other:
        await other.login(settings.discord_token)  # REST only: a second process of the same bot
        await approved_resource(bot, fake, "Nog een gids")
        clock.advance(timedelta(days=7))  # Monday 30 November, past 09:00 in Amsterdam
        await asyncio.gather(bot.run_jobs(), other.run_jobs())
        [(run_id,)] = _rows(bot, "SELECT id FROM digest_runs")
        await other.services.jobs.submit(FANOUT_JOB, {"run_id": run_id}, guild_id=fake.guild.id)
        for _ in range(3):
            await asyncio.gather(bot.run_jobs(), other.run_jobs(), bot.run_jobs(), other.run_jobs())
    await settle(bot)
    assert dm_counts(fake, members) == {m.user.username: 1 for m in members}
    assert len(fake.messages(fake.world.general, public=True)) == 1
    assert _rows(bot, "SELECT count(*) FROM digest_deliveries WHERE status = 'sent'") == [(5,)]


async def test_closed_dms_are_marked_unreachable_not_retried_and_reported_once(
    steunpunt: Env, clock: FixedClock
) -> None:
    """Bob's DMs are closed: the others get theirs, the moderators hear once with the counts (in the server's
    language), and next week nobody tries Bob again and nothing is reported."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 4)
    fake.bob.user.accepts_dms = False
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    await settle(bot)
    counts = dm_counts(fake, members)
    assert counts.pop("bob") == 0 and set(counts.values()) == {1}
    [report] = reports(fake)
    expected = bot.i18n.t("digest.report.counts", "nl", sent=3, unreachable=1, failed=0)
    assert expected in report.content and "2026-W48" in report.content and report.pings == []
    bob_dm = fake.dm_channel(fake.bob)
    assert len(fake.requests_to("POST", rf"/channels/{bob_dm.id}/messages$")) == 1
    await approved_resource(bot, fake, "Gids voor week 49", theme="strategy")
    clock.advance(timedelta(days=7))  # past next week's slot
    await settle(bot)
    assert len(fake.messages(fake.world.general, public=True)) == 2
    assert len(fake.requests_to("POST", rf"/channels/{bob_dm.id}/messages$")) == 1  # not tried again
    assert sorted(dm_counts(fake, members).values()) == [0, 2, 2, 2]
    assert len(reports(fake)) == 1  # nothing failed in week 49


async def test_a_deleted_digest_channel_is_recorded_dms_still_go_and_one_report(
    steunpunt: Env, clock: FixedClock
) -> None:
    """The digest channel was deleted: the post fails (recorded, not retried), every DM still goes out, and the
    moderators get one report naming the channel failure."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 3)
    gone = 1_000_000_000_000_001
    await bot.services.guild_settings.update(fake.guild.id, digest_channel_id=gone)
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    clock.advance(timedelta(minutes=30))
    await settle(bot)
    assert dm_counts(fake, members) == {m.user.username: 1 for m in members}
    assert len(fake.requests_to("POST", rf"/channels/{gone}/messages$")) == 1
    [(status, error)] = _rows(bot, "SELECT status, error FROM digest_runs")
    assert status == "failed" and error == "404 10003"
    [report] = reports(fake)
    assert bot.i18n.t("digest.report.channel_failed", "nl", reason="404 10003") in report.content
    assert bot.i18n.t("digest.report.counts", "nl", sent=3, unreachable=0, failed=0) in report.content


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _move(fake: FakeDiscord, clock: FixedClock, moment: datetime) -> None:
    """Time passes, for the bot and for Discord (whose nonces are remembered for a few minutes only)."""
    delta = moment - clock.now()
    clock.advance(delta)
    fake.advance(delta.total_seconds())


async def _posts_at(fake: FakeDiscord, bot: SteunpuntBot, clock: FixedClock, slot: datetime, title: str) -> None:
    """Something new before the slot; a minute before it nothing is posted, at the slot exactly one digest is."""
    before = len(fake.messages(fake.world.general, public=True))
    _move(fake, clock, slot - timedelta(hours=2))
    await approved_resource(bot, fake, title)
    _move(fake, clock, slot - timedelta(minutes=1))
    await settle(bot)
    assert len(fake.messages(fake.world.general, public=True)) == before, f"posted before {slot}"
    _move(fake, clock, slot)
    await settle(bot)
    posts = fake.messages(fake.world.general, public=True)
    assert len(posts) == before + 1, f"not posted at {slot}"
    assert title in posts[-1].embed_text


async def test_the_digest_posts_at_nine_local_time_around_both_daylight_saving_changes(
    steunpunt: Env, clock: FixedClock
) -> None:
    """Monday 09:00 in Amsterdam is 08:00 UTC in winter and 07:00 UTC in summer: the weeks before and after the
    spring change (28 March 2027) and the autumn change (31 October 2027) each post once, at that moment. Months
    without the bot running are caught up with one digest, not one per missed week."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    _move(fake, clock, _utc(2027, 3, 20, 12))  # the bot missed 16 weeks
    await settle(bot)
    assert _rows(bot, "SELECT period FROM digest_runs") == [("2027-W11",)]  # caught up once, the latest week
    await _posts_at(fake, bot, clock, _utc(2027, 3, 22, 8), "Gids voor de week vóór de zomertijd")
    await _posts_at(fake, bot, clock, _utc(2027, 3, 29, 7), "Gids voor de eerste zomertijdweek")
    _move(fake, clock, _utc(2027, 10, 20, 12))
    await settle(bot)
    summer = _rows(bot, "SELECT period FROM digest_runs WHERE period > '2027-W13'")
    assert summer == [("2027-W42",)]  # the summer is caught up once (runs older than 26 weeks are deleted)
    await _posts_at(fake, bot, clock, _utc(2027, 10, 25, 7), "Gids voor de laatste zomertijdweek")
    await _posts_at(fake, bot, clock, _utc(2027, 11, 1, 8), "Gids voor de eerste wintertijdweek")


async def test_an_empty_week_posts_nothing_and_sends_no_dm(steunpunt: Env, clock: FixedClock) -> None:
    """Nothing new this week: at the slot nothing is posted and subscribers get no DM; the run is recorded as
    empty, so the period is not planned again."""
    fake, bot = steunpunt
    await configure(fake, bot, clock, content=False)
    members = await subscribers(fake, 2)
    clock.advance(timedelta(days=7))
    await settle(bot)
    await settle(bot)
    assert fake.messages(fake.world.general, public=True) == []
    assert dm_counts(fake, members) == {"alice": 0, "bob": 0}
    assert _rows(bot, "SELECT period, status FROM digest_runs") == [("2026-W49", "empty")]
    assert TITLE not in str(_rows(bot, "SELECT content FROM digest_runs"))


async def test_a_429_that_outlasts_discord_py_s_retries_is_passing_not_a_lost_digest(
    steunpunt: Env, clock: FixedClock
) -> None:
    """Bob's DM send meets more 429s than discord.py retries: his delivery is given back and sent once the limit
    lifts (it used to be recorded as failed, losing his week's digest)."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    members = await subscribers(fake, 2)
    bob_dm = fake.dm_channel(fake.bob)
    fake.rate_limit("POST", rf"/channels/{bob_dm.id}/messages$", retry_after=0.01, times=6)
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    assert dm_counts(fake, members)["alice"] == 1
    for _ in range(3):
        _move(fake, clock, clock.now() + timedelta(minutes=6))
        await settle(bot)
    assert dm_counts(fake, members) == {"alice": 1, "bob": 1}
    [(status,)] = _rows(bot, f"SELECT status FROM digest_deliveries WHERE user_id = {fake.bob.id}")
    assert status == "sent"
