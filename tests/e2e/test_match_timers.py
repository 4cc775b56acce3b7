"""Introductions' timers with a frozen clock: the 3-day expiry, the 48-hour nudge, the check-in and the pause after
three expiries each happen once, also across a restart; two processes on one database never send twice."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.db.database import Database
from bot.services import build_services
from cogs.match._jobs import MatchJobs
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeMember

Env = tuple[FakeDiscord, SteunpuntBot]


def _rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows read straight from the bot's database file (a reader of its own, as a second process would be)."""
    with sqlite3.connect(tmp_path / "steunpunt.sqlite3") as conn:
        return list(conn.execute(sql))


def _statuses(tmp_path: Path, *ids: int) -> list[str]:
    found = dict(_rows(tmp_path, "SELECT id, status FROM introductions"))
    return [str(found.get(i, "-")) for i in ids]


async def _notice_keys(bot: SteunpuntBot, guild_id: int, member: FakeMember) -> list[str]:
    return [n.key for n in await bot.services.members.pending_notices(guild_id, member.id)]


async def test_the_expiry_asks_the_next_candidate_once_across_a_restart(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock, tmp_path: Path
) -> None:
    """Alice does not answer in 3 days: Carol is asked, Bob is told once (by DM: he opted in); a restart in the middle
    changes nothing."""
    fake = fake_discord
    carol = await fake.add_member("carol")
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await fake.slash("skills offer", user=fake.alice, skill="iiif", level="expert")
        await fake.slash("skills offer", user=carol, skill="iiif", level="basic")
        await fake.slash("privacy dm", user=fake.bob, allow=True)
        await fake.slash("skills need", user=fake.bob, skill="iiif")
        await fake.slash("match request", user=fake.bob, need="3")
        clock.advance(timedelta(days=3) - timedelta(minutes=1))
        await bot.run_jobs()
        assert _statuses(tmp_path, 1, 2) == ["asked", "-"]
    async with launch() as bot:
        clock.advance(timedelta(minutes=1))
        await bot.run_jobs()
        await bot.run_jobs()
        assert _statuses(tmp_path, 1, 2, 3) == ["expired", "asked", "-"]
        [told] = await fake.wait_until(lambda: fake.dms(fake.bob) or None, what="Bob told by DM")
        assert "het lid dat ik vroeg kan niet" in told.content and "alice" not in told.content.lower()
        for _ in range(100):  # the DM is marked delivered right after it is sent (maybe by the jobs loop)
            if not await _notice_keys(bot, fake.guild.id, fake.bob):
                break
            await asyncio.sleep(0.01)
        assert await _notice_keys(bot, fake.guild.id, fake.bob) == []
        assert await _notice_keys(bot, fake.guild.id, fake.alice) == ["match.notice.asked", "match.notice.ask_expired"]
        assert await _notice_keys(bot, fake.guild.id, carol) == ["match.notice.asked"]
        late = await fake.slash("match inbox", user=fake.alice)
        assert "match:answer" not in " ".join(late.message.custom_ids)
        await bot.run_jobs()
        assert len(fake.dms(fake.bob)) == 1


async def _opened(tmp_path: Path, bot: SteunpuntBot, count: int = 1) -> None:
    """Wait until ``count`` introductions are recorded as opened (a background run may be doing it)."""
    for _ in range(300):
        if _rows(tmp_path, "SELECT count(*) FROM introductions WHERE opened_at IS NOT NULL") == [(count,)]:
            return
        await bot.run_jobs()
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} introduction(s) not opened")


async def _introduced(fake: FakeDiscord, bot: SteunpuntBot, tmp_path: Path) -> None:
    """Alice offers, Bob needs and requests, Alice accepts: their private thread is open."""
    await bot.services.guild_settings.update(fake.guild.id, introductions_channel_id=fake.world.general.id)
    await fake.slash("skills offer", user=fake.alice, skill="iiif", level="expert")
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    await fake.slash("match request", user=fake.bob, need="2")
    await bot.services.match.requests.answer(fake.guild.id, fake.alice.id, 1, True)
    await _opened(tmp_path, bot)


async def test_the_nudge_and_the_check_in_happen_once_across_a_restart(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock, tmp_path: Path
) -> None:
    """A silent thread gets one nudge after 48 hours and one check-in after 14 days, each once across restarts;
    Bob's answer, after another restart, is stored."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await _introduced(fake, bot, tmp_path)
        clock.advance(timedelta(hours=47))
        await bot.run_jobs()
    [thread] = fake.threads("general")
    assert len(fake.messages(thread)) == 1
    async with launch() as bot:
        clock.advance(timedelta(hours=1))
        await bot.run_jobs()
        await bot.run_jobs()
        _, nudge = fake.messages(thread)
        assert "hier heeft nog niemand iets geschreven" in nudge.content
        assert sorted(nudge.pings) == sorted([f"<@{fake.alice.id}>", f"<@{fake.bob.id}>"])
        clock.advance(timedelta(days=14))
        await bot.run_jobs()
        await bot.run_jobs()
        # the jobs loop may have claimed the check-in first: then run_jobs returns while that loop still sends
        await fake.wait_until(lambda: len(fake.messages(thread)) >= 3, what="the check-in")
        assert len(fake.messages(thread)) == 3
        checkin = fake.messages(thread)[-1]
        assert len(checkin.custom_ids) == 3 and "geholpen" in checkin.content
    async with launch() as bot:  # the check-in's buttons work after a restart
        helped = await fake.click(checkin, f"match:outcome:{fake.guild.id}:1:helped", user=fake.bob)
        assert helped.ephemeral and "Wonderful" in helped.content
        refused = await fake.click(checkin, f"match:outcome:{fake.guild.id}:1:helped", user=fake.moderator)
        assert refused.ephemeral and "twee leden" in refused.content
        figures = await bot.services.match.people.figures(fake.guild.id)
        assert (figures.accepted, figures.completed, figures.helped) == (1, 1, 1)
        clock.advance(timedelta(days=30))
        await bot.run_jobs()
        assert len(fake.messages(thread, public=True)) == 3


async def test_a_thread_where_someone_wrote_is_not_nudged(steunpunt: Env, clock: FixedClock, tmp_path: Path) -> None:
    """Alice wrote in the thread: after 48 hours the bot looks once and stays silent."""
    fake, bot = steunpunt
    await _introduced(fake, bot, tmp_path)
    [thread] = fake.threads("general")
    await fake.post_message(thread, fake.alice, "Hoi Bob!")
    clock.advance(timedelta(hours=48))
    await bot.run_jobs()
    assert [m.author_id for m in fake.messages(thread)][1:] == [fake.alice.id]
    assert _rows(tmp_path, "SELECT nudge_checked_at IS NOT NULL, nudged FROM introductions") == [(1, 0)]


async def test_without_a_channel_both_are_told_each_others_name(steunpunt: Env) -> None:
    """No introductions channel: no thread; Alice (DM opt-in) gets Bob's name by DM, Bob on his next command."""
    fake, bot = steunpunt
    await fake.slash("privacy dm", user=fake.alice, allow=True)
    await fake.slash("skills offer", user=fake.alice, skill="iiif", level="expert")
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    await fake.slash("match request", user=fake.bob, need="2")
    await bot.run_jobs()
    [ask] = fake.dms(fake.alice)
    await fake.click(ask, f"match:answer:{fake.guild.id}:1:yes", user=fake.alice)
    await bot.run_jobs()
    await bot.run_jobs()
    assert fake.threads() == []
    told = await fake.wait_until(lambda: fake.dms(fake.alice)[1:] or None, what="the introduction by DM")
    assert f"<@{fake.bob.id}>" in told[0].content and told[0].pings == []
    later = await (await fake.slash("help", user=fake.bob)).wait_followup()
    assert f"<@{fake.alice.id}>" in later.content


async def test_three_expiries_in_a_row_pause_the_offerer_once_across_a_restart(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock, tmp_path: Path
) -> None:
    """Alice lets three requests expire (a restart after the second): her offer is paused once, she is told how to
    resume; /skills resume makes her a match again."""
    fake = fake_discord
    carol, dave = await fake.add_member("carol"), await fake.add_member("dave")
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await fake.slash("skills offer", user=fake.alice, skill="iiif", level="expert", capacity=3)
        for number, member in enumerate((fake.bob, carol, dave), start=2):
            await fake.slash("skills need", user=member, skill="iiif")
            await fake.slash("match request", user=member, need=str(number))
            clock.advance(timedelta(days=1))
        clock.advance(timedelta(days=1))
        await bot.run_jobs()  # the first two asks expire
        assert _statuses(tmp_path, 1, 2, 3) == ["expired", "expired", "asked"]
    async with launch() as bot:
        clock.advance(timedelta(days=1))
        await bot.run_jobs()
        await bot.run_jobs()
        assert _statuses(tmp_path, 1, 2, 3) == ["expired", "expired", "expired"]
        keys = await _notice_keys(bot, fake.guild.id, fake.alice)
        assert keys.count("match.notice.paused") == 1 and keys.count("match.notice.ask_expired") == 3
        [offer] = await bot.services.skills.listings.mine(fake.guild.id, fake.alice.id)
        assert offer.paused_until is not None
        told = await (await fake.slash("help", user=fake.alice)).wait_followup()
        assert "/vaardigheden hervatten" in told.content
        nobody = await fake.slash("match request", user=fake.bob, need="2")
        assert "Nobody who offers that skill" in nobody.content
        await fake.slash("skills resume", user=fake.alice)
        asked = await fake.slash("match request", user=fake.bob, need="2")
        assert "the skill you need" in asked.message.embed_text
        await bot.run_jobs()
        assert _statuses(tmp_path, 4) == ["asked"]
        assert await _notice_keys(bot, fake.guild.id, fake.alice) == ["match.notice.asked"]  # the rest was told


async def test_two_processes_on_one_database_never_send_the_same_ask_or_nudge_twice(
    steunpunt: Env, tmp_path: Path, clock: FixedClock
) -> None:
    """A second process (its own connection and runner) runs the same due jobs at the same time: every ask DM and
    every nudge goes out exactly once."""
    fake, bot = steunpunt
    carol, dave = await fake.add_member("carol"), await fake.add_member("dave")
    await bot.services.guild_settings.update(fake.guild.id, introductions_channel_id=fake.world.general.id)
    await fake.slash("privacy dm", user=fake.alice, allow=True)
    await fake.slash("skills offer", user=fake.alice, skill="iiif", level="expert", capacity=3)
    async with Database.open(tmp_path / "steunpunt.sqlite3") as second_db:
        other = build_services(second_db, clock)
        MatchJobs(bot, other).register()
        runners = (bot.services.job_runner, other.job_runner)

        async def both() -> None:
            for _ in range(2):
                await asyncio.gather(*(runner.run_due() for runner in runners))

        for number, member in enumerate((fake.bob, carol, dave), start=2):
            await fake.slash("skills need", user=member, skill="iiif")
            await fake.slash("match request", user=member, need=str(number))
        await both()
        asks = await fake.wait_until(lambda: fake.dms(fake.alice) if len(fake.dms(fake.alice)) >= 3 else None)
        await both()
        assert len(fake.dms(fake.alice)) == 3
        assert sorted(i for m in asks for i in m.custom_ids if i.endswith(":yes")) == [
            f"match:answer:{fake.guild.id}:{n}:yes" for n in (1, 2, 3)
        ]
        for ask in asks:
            await fake.click(ask, next(i for i in ask.custom_ids if i.endswith(":yes")), user=fake.alice)
        await both()
        await _opened(tmp_path, bot, 3)
        threads = fake.threads("general")
        clock.advance(timedelta(hours=48))
        await both()
        await both()
        assert len(fake.threads("general")) == 3
        assert [len(fake.messages(t)) for t in threads] == [2, 2, 2]  # the opening message and one nudge each
