"""Digest fan-out: N subscribers' personal digests by DM through the fake Discord, with Discord's rate limits on.

Usage: python bench/digest.py [--subscribers N] [--quick] [--closed SHARE] [--global-rate N]
                              [--dm-create LIMIT/SECONDS] [--no-baseline] [--tracemalloc]

Starts the fake Discord with its realistic rate limits (global 50 requests in any sliding second;
``POST /users/@me/channels`` 10 per second; ``POST /channels/{id}/messages`` 5 per 5 s per channel) and the real
bot (production composition root, temporary database, frozen clock). The fake gets N users, members of the server,
1 % of them with their DMs closed. The server gets a digest channel, the starter library and some solved and
open help posts; every member subscribes through ``DigestService.subscribe``. Then, with the 5 s jobs loop stopped
(the bench runs the jobs itself) and the link checks off (there is no network):

* week 1: ``services.digest.send_now`` plans the run (build + a delivery per subscriber, one transaction), then
  ``bot.run_jobs()`` runs the channel post and the fan-out until none is left; every DM needs its DM channel
  opened first, so the DM-create bucket is the bottleneck (20 requests per second: 10 creates + 10 sends);
* week 2: a week later, with new content, the remembered DM channels are used (one request per DM: the global
  limit is the bottleneck), and members whose DMs were closed are not tried again;
* baseline, in the same run: week 3 with the fan-out's pacer switched off (the same sends, paced only by
  discord.py's own handling of the headers); and for every week the minimum time at the allowed rate.

Printed per week: plan time, fan-out duration, requests, achieved request rate against the allowed rate (goal:
at least 90 %), 429s by scope and their share (goal: at most 1 %), DMs counted on the wire (each reachable
subscriber exactly once, nobody twice), what the moderators were told, and peak memory (peak RSS of the process,
which holds the fake too, whose copies of a week's DMs are dropped once counted; ``--tracemalloc`` adds traced
peaks per week with the fake's copy of the DMs measured apart, at some cost in speed). The default 10,000
subscribers take about 25 minutes, most of it week 1 at the DM-create bucket's pace; ``--quick`` about 90 s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.library import load_starter_records  # noqa: E402
from bot.domain.qa_models import HelpPost  # noqa: E402
from bot.pacing import Pacer  # noqa: E402
from bot.wiring import running_app  # noqa: E402
from tests.fakediscord import FakeDiscord, FakeUser, RateStats  # noqa: E402
from tests.fakediscord.constants import PUBLIC_THREAD  # noqa: E402
from tests.fakediscord.plugin import start_client  # noqa: E402

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""A Monday morning (the digest's default slot is Monday 09:00 Europe/Amsterdam)."""
MB = 1024 * 1024
SEEDED_BEFORE = timedelta(hours=1)
"""The week's new content is added this long before the digest is sent."""


@dataclass
class Limits:
    """The rate limits the fake enforces in this run."""

    global_rate: int
    dm_create: int
    dm_create_per: float
    messages: int = 5
    messages_per: float = 5.0

    def allowed(self, stats: RateStats) -> float:
        """Requests per second the limits allow for this mix of requests: the global limit, or the DM-create
        bucket when DM channels must be opened (each create comes with the sends of its DM)."""
        creates = stats.by_bucket.get("dm-create", 0)
        if not creates:
            return float(self.global_rate)
        return min(float(self.global_rate), self.dm_create / self.dm_create_per * stats.accepted / creates)

    def describe(self) -> str:
        """One line for the header."""
        return (
            f"global {self.global_rate}/s; POST /users/@me/channels {self.dm_create} per {self.dm_create_per:g} s; "
            f"POST /channels/{{id}}/messages {self.messages} per {self.messages_per:g} s per channel"
        )


@dataclass
class Week:
    """The figures of one run's fan-out."""

    name: str
    plan: float
    stats: RateStats
    allowed: float
    sent_to: int
    messages: int
    duplicates: int
    resent: int
    closed_tried: int
    peak: int | None
    fake_held: int | None
    rss: int
    reports: list[str]
    baseline: bool = False

    @property
    def share(self) -> float:
        """Achieved rate / allowed rate."""
        return self.stats.rate / self.allowed if self.allowed else 0.0

    @property
    def minimum(self) -> float:
        """Seconds the fan-out takes at best: the requests it needed (not those answered 429) at the allowed rate."""
        return self.stats.accepted / self.allowed if self.allowed else 0.0


def dm_counts(fake: FakeDiscord, users: list[FakeUser]) -> list[int]:
    """Per user: how many messages their DM channel with the bot holds."""
    channels = fake.state.dm_channels
    return [len(fake.state.channel_messages.get(channels.get(u.id, 0), ())) for u in users]


def new_dms(fake: FakeDiscord, user: FakeUser, before: int) -> tuple[int, int, int]:
    """(deliveries, messages, duplicates) that reached `user` since their DM channel held `before` messages.

    A delivery's parts carry the nonces ``dd<id>``, ``dd<id>.1``...; a duplicate is the same nonce stored twice, or
    a second delivery in one run.
    """
    channel = fake.state.dm_channels.get(user.id)
    if channel is None:
        return 0, 0, 0
    messages = [fake.state.messages[i] for i in fake.state.channel_messages[channel][before:]]
    nonces = [str(m.nonce) for m in messages]
    deliveries = {n.split(".")[0] for n in nonces}
    return len(deliveries), len(messages), len(nonces) - len(set(nonces)) + max(0, len(deliveries) - 1)


async def seed_content(bot: Any, fake: FakeDiscord, week: int, authors: list[FakeUser]) -> None:
    """New resources (the starter library in week 1, then fresh copies), three solved and two open questions."""
    guild_id, owner = fake.guild.id, fake.world.owner.id
    library = bot.services.library
    if week == 1:
        await library.load_starter(guild_id, owner, "nl")
    else:
        records = [
            {**r, "url": r["url"].rstrip("/") + f"/week-{week}", "title": f"{r['title']} ({week})"}
            for r in load_starter_records()[:12]
        ]
        await library.import_records(guild_id, owner, records, lang="nl")
    qa, forum = bot.services.qa, fake.world.forum
    for n in range(5):
        author = authors[n % len(authors)]
        title = f"Vraag {week}.{n} over auteursrecht en CC"
        thread = fake.state.add_channel(fake.guild, PUBLIC_THREAD, title, parent_id=forum.id, owner_id=author.id).id
        await qa.post_opened(HelpPost(thread, guild_id, forum.id, author.id, title))
        if n < 3:
            await qa.mark_solution(
                guild_id,
                thread,
                marker_id=author.id,
                is_moderator=False,
                answer_message_id=thread + 1,
                answer_author_id=fake.moderator.id,
                answer_text="Gebruik een CC BY-licentie en vermeld de maker.",
            )


async def fan_out(bot: Any, fake: FakeDiscord, users: list[FakeUser], closed: set[int], name: str, trace: bool) -> Week:
    """Plan this period's run with send_now, then run the jobs until the post and the fan-out are done."""
    before = dm_counts(fake, users)
    dedup_before = len(fake.deduplicated)
    reports_before = len(fake.messages(fake.world.moderators))
    if trace:
        tracemalloc.reset_peak()
    started = time.perf_counter()
    run, planned = await bot.services.digest.send_now(fake.guild.id, fake.world.owner.id)
    plan = time.perf_counter() - started
    assert run is not None and planned and run.status == "planned", (run, planned)
    fake.reset_rate_stats()
    while await bot.run_jobs():
        pass
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    stats = fake.reset_rate_stats()
    sent_to = messages = duplicates = closed_tried = 0
    for user, count in zip(users, before, strict=True):
        got, parts, twice = new_dms(fake, user, count)
        sent_to += got > 0
        messages += parts
        duplicates += twice
        closed_tried += got > 0 and user.id in closed
    reports = [m.content for m in fake.messages(fake.world.moderators)[reports_before:]]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    held = forget_dms(fake, users, trace)
    return Week(
        name=name,
        plan=plan,
        stats=stats,
        allowed=0.0,
        sent_to=sent_to,
        messages=messages,
        duplicates=duplicates,
        resent=len(fake.deduplicated) - dedup_before,
        closed_tried=closed_tried,
        peak=peak,
        fake_held=held,
        rss=rss,
        reports=reports,
    )


def forget_dms(fake: FakeDiscord, users: list[FakeUser], trace: bool) -> int | None:
    """Drop the DMs the fake stored this week (they are counted), so memory figures of later weeks are the bot's;
    returns the traced bytes they held (None without tracemalloc)."""
    held = tracemalloc.get_traced_memory()[0] if trace else 0
    state = fake.state
    for user in users:
        channel = state.dm_channels.get(user.id)
        for message_id in state.channel_messages.get(channel, []) if channel else []:
            state.messages.pop(message_id, None)
        if channel:
            state.channel_messages[channel] = []
    gc.collect()
    return max(0, held - tracemalloc.get_traced_memory()[0]) if trace else None


def report(weeks: list[Week], limits: Limits, subscribers: int, closed: int, setup: dict[str, float]) -> bool:
    """Print the table and the verdicts; returns whether the goals of weeks 1 and 2 were met."""
    reachable = subscribers - closed
    head = (
        f"{'':<38}{'plan':>7}{'fan-out':>9}{'minimum':>9}{'requests':>10}{'req/s':>7}{'allowed':>8}{'share':>7}"
        f"{'429 glob/user':>15}{'429 %':>7}{'DMs':>7}"
    )
    print(f"\n{head}\n{'-' * len(head)}")
    for w in weeks:
        s = w.stats
        print(
            f"{w.name:<38}{w.plan:>6.1f}s{s.duration:>8.1f}s{w.minimum:>8.1f}s{s.requests:>10,}{s.rate:>7.1f}"
            f"{w.allowed:>8.1f}{w.share:>7.0%}{s.limited['global']:>9}/{s.limited['user']:<5}{s.share_429:>7.2%}"
            f"{w.sent_to:>7,}"
        )
    print(
        "plan: send_now (build + a delivery per subscriber, one transaction); fan-out: first to last request of the"
        " jobs; minimum: the requests at the allowed rate; allowed: the global limit, or the DM-create bucket when"
        " channels are opened; share: achieved / allowed\n"
    )
    ok = True
    for w in weeks:
        goals = w.share >= 0.9 and w.stats.share_429 <= 0.01
        once = w.sent_to == reachable and w.duplicates == 0 and w.closed_tried == 0
        if not w.baseline:
            ok &= goals and once
        verdict = "baseline" if w.baseline else ("met" if goals else "NOT met")
        print(
            f"{w.name}: {w.share:.0%} of the allowed rate (goal ≥ 90 %), {w.stats.share_429:.2%} of requests answered"
            f" 429 (goal ≤ 1 %): {verdict}. DMs on the wire: {w.sent_to:,} of {reachable:,} reachable subscribers got"
            f" theirs ({w.messages:,} messages), {w.duplicates} twice, {w.closed_tried} with DMs closed; "
            f"{w.stats.by_status.get(403, 0)} refused 403; {w.resent} resends answered from the nonce: "
            f"{'each exactly once' if once else 'NOT each exactly once'}"
        )
        for text in w.reports:
            print("    moderators told: " + " | ".join(text.splitlines()))
    if len(weeks) > 2 and weeks[2].baseline:
        base, paced = weeks[2], weeks[1]
        print(
            f"\nbaseline: without the pacer {base.stats.share_429:.2%} of requests were answered 429 "
            f"({base.stats.limited['global']} global), against {paced.stats.share_429:.2%} paced; the fan-out took "
            f"{base.stats.duration:.1f} s against {paced.stats.duration:.1f} s paced; the minimum at the allowed rate "
            f"is {paced.minimum:.1f} s"
        )
    timed = {k: v for k, v in setup.items() if k != "rss"}
    print(f"\nsetup: {', '.join(f'{k} {v:.1f} s' for k, v in timed.items())}")
    for w in weeks:
        if w.peak is not None and w.fake_held is not None:
            print(
                f"peak traced memory in {w.name.split(':')[0]}: {w.peak / MB:.1f} MB, of which the fake's copy of the "
                f"week's DMs {w.fake_held / MB:.1f} MB: the bot's side ≈ {(w.peak - w.fake_held) / MB:.1f} MB"
            )
    print(
        f"peak RSS of the process (bot, fake, interpreter; the fake's DMs are dropped after each week): "
        f"{setup['rss'] / MB:.0f} MB after setup, "
        + ", ".join(f"{w.rss / MB:.0f} MB after {w.name.split(':')[0]}" for w in weeks)
    )
    print(f"rate limits: {limits.describe()}")
    return ok


async def main(args: argparse.Namespace) -> bool:
    """Run the benchmark and print the figures; returns whether the goals were met."""
    limits = Limits(args.global_rate, *args.dm_create)
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = await FakeDiscord(timeout=30).start()
    fake.keep_requests(0)
    started = time.perf_counter()
    users = fake.add_users(args.subscribers)
    setup = {"fake.add_users": time.perf_counter() - started}
    step = round(1 / args.closed) if args.closed else 0
    closed = {u.id for i, u in enumerate(users) if step and i % step == 0}
    fake.close_dms(*(u for u in users if u.id in closed))
    fake.enable_rate_limits(
        limits.global_rate,
        messages=(limits.messages, limits.messages_per),
        dm_create=(limits.dm_create, limits.dm_create_per),
    )
    weeks: list[Week] = []
    print(
        f"Digest fan-out: {args.subscribers:,} subscribers ({len(closed)} with DMs closed) through the fake Discord, "
        "Discord's rate limits on",
        flush=True,
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.for_tests(
                database_path=Path(tmp) / "bench.sqlite3",
                discord_api_base_url=fake.api_base,
                discord_gateway_url=fake.gateway_url,
                log_level="ERROR",
            )
            clock = FixedClock(START)
            async with running_app(settings, clock=clock, guild_ready_timeout=0.05) as bot, start_client(bot, fake):
                if "cogs.digest" not in bot.extensions:  # until the digest is listed in bot.app.EXTENSIONS
                    await bot.load_extension("cogs.digest")
                jobs_loop: Any = bot.get_cog("JobsCog")
                if jobs_loop is not None:
                    jobs_loop.run_jobs.cancel()  # the bench runs the jobs itself, not the 5 s loop
                await bot.remove_cog("LinkCheckCog")  # no network here: every link would be "broken"
                guild_id = fake.guild.id
                await bot.services.guild_settings.update(
                    guild_id, digest_channel_id=fake.world.general.id, moderator_channel_id=fake.world.moderators.id
                )
                started = time.perf_counter()
                for i, user in enumerate(users):
                    await bot.services.digest.subscribe(
                        guild_id, user.id, themes=(), frequency="weekly", locale="en" if i % 3 == 0 else "nl"
                    )
                setup["DigestService.subscribe each member"] = time.perf_counter() - started
                setup["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                if args.tracemalloc:
                    tracemalloc.start()
                names = ["week 1: DM channels opened first", "week 2: DM channels remembered"]
                if not args.no_baseline:
                    names.append("baseline week 3: pacer switched off")
                for number, name in enumerate(names, start=1):
                    if number > 1:
                        clock.advance(timedelta(days=7) - SEEDED_BEFORE)
                    if number == 3:
                        digest_cog: Any = bot.get_cog("DigestCog")
                        digest_cog.jobs.pacer = Pacer(rate=1e9, burst=1_000_000)
                    await seed_content(bot, fake, number, users[:50])
                    clock.advance(SEEDED_BEFORE)  # the window is [since, until): content from before the run
                    week = await fan_out(bot, fake, users, closed, name, args.tracemalloc)
                    week.allowed = limits.allowed(week.stats)
                    week.baseline = number == 3
                    weeks.append(week)
                    print(f"  {name}: {week.stats.summary()}", flush=True)
                if args.tracemalloc:
                    tracemalloc.stop()
    finally:
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
    return report(weeks, limits, args.subscribers, len(closed), setup)


def per(text: str) -> tuple[int, float]:
    """ "10/1" → (10, 1.0): a bucket's limit per seconds."""
    limit, _, seconds = text.partition("/")
    return int(limit), float(seconds or 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="500 subscribers: a smoke run of about 90 s")
    parser.add_argument("--closed", type=float, default=0.01, help="share of members with DMs closed (0.01)")
    parser.add_argument("--global-rate", type=int, default=50, help="the global limit, requests per second (50)")
    parser.add_argument("--dm-create", type=per, default=(10, 1.0), help="DM-create bucket, LIMIT/SECONDS (10/1)")
    parser.add_argument("--no-baseline", action="store_true", help="skip week 3 without the pacer")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace peak memory (slows the bot down)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.subscribers = 500
    logging.basicConfig(level=logging.ERROR)  # discord.py warns at every 429 of the baseline
    sys.exit(0 if asyncio.run(main(arguments)) else 1)
