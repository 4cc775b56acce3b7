"""Discord's rate limits when switched on: the global 50/s, per-route buckets with headers, many users cheaply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.plugin import start_client

BUCKET_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After")


class Bot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    async def setup_hook(self) -> None:
        @self.tree.command(description="Says hello")
        async def hello(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("hallo", ephemeral=True)
            await interaction.followup.send("nog eens", ephemeral=True)


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[Bot]:
    async with start_client(Bot(), fake_discord) as running:
        await running.tree.sync()
        yield running


@pytest.fixture
async def raw(fake_discord: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that ignores every rate-limit header (what a naive fan-out looks like on the wire)."""
    async with aiohttp.ClientSession(fake_discord.http_base, headers={"Authorization": "Bot fake"}) as session:
        yield session


async def call(session: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
    async with session.request(method, "/api/v10" + path, json=body) as response:
        return response.status, response.headers.copy(), await response.json()


async def test_a_burst_beyond_the_global_limit_gets_global_429s(
    fake_discord: FakeDiscord, raw: aiohttp.ClientSession
) -> None:
    fake_discord.enable_rate_limits(global_per_second=50)
    user = fake_discord.alice.id
    answers = await asyncio.gather(*(call(raw, "GET", f"/users/{user}") for _ in range(60)))
    refused = [(headers, body) for status, headers, body in answers if status == 429]
    assert len(refused) == 10
    headers, body = refused[0]
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert headers["Via"] and body["global"] is True and 0 < body["retry_after"] <= 1
    stats = fake_discord.rate_stats
    assert (stats.requests, stats.accepted, dict(stats.limited), stats.peak_per_second) == (60, 50, {"global": 10}, 50)
    assert stats.share_429 == pytest.approx(10 / 60)


async def test_discord_py_recovers_from_global_429s_without_exceeding_the_limit(
    bot: Bot, fake_discord: FakeDiscord
) -> None:
    fake_discord.enable_rate_limits(global_per_second=50)
    fake_discord.reset_rate_stats()
    users = await asyncio.gather(*(bot.fetch_user(fake_discord.alice.id) for _ in range(70)))
    assert {u.name for u in users} == {"alice"}
    stats = fake_discord.rate_stats
    assert stats.limited["global"] >= 1 and stats.accepted == 70  # every 429 was retried after retry_after
    assert stats.peak_per_second <= 50


async def test_route_bucket_headers_on_every_response_and_429_beyond_it(
    fake_discord: FakeDiscord, raw: aiohttp.ClientSession
) -> None:
    fake_discord.enable_rate_limits(messages=(5, 5.0))
    general = fake_discord.world.general.id
    answers = [await call(raw, "POST", f"/channels/{general}/messages", {"content": str(i)}) for i in range(6)]
    assert [status for status, _, _ in answers] == [200] * 5 + [429]
    assert [h["X-RateLimit-Remaining"] for _, h, _ in answers] == ["4", "3", "2", "1", "0", "0"]
    for _, headers, _ in answers:
        assert all(name in headers for name in BUCKET_HEADERS)
        assert headers["X-RateLimit-Bucket"] == "channel-messages" and headers["X-RateLimit-Limit"] == "5"
        assert 0 < float(headers["X-RateLimit-Reset-After"]) <= 5 and float(headers["X-RateLimit-Reset"]) > time.time()
    _, headers, body = answers[-1]
    assert headers["X-RateLimit-Scope"] == "user" and "X-RateLimit-Global" not in headers
    assert body["global"] is False and 0 < body["retry_after"] <= 5
    # the bucket is per channel (its major parameter), and an error answer carries the headers too
    other = fake_discord.world.moderators.id
    assert (await call(raw, "POST", f"/channels/{other}/messages", {"content": "x"}))[0] == 200
    fake_discord.close_dms(fake_discord.bob)
    dm = fake_discord.dm_channel(fake_discord.bob).id
    status, headers, body = await call(raw, "POST", f"/channels/{dm}/messages", {"content": "x"})
    assert (status, body["code"], headers["X-RateLimit-Remaining"]) == (403, 50007, "4")
    assert dict(fake_discord.rate_stats.limited) == {"user": 1}
    assert dict(fake_discord.rate_stats.by_status) == {200: 6, 403: 1, 429: 1}
    assert [m.content for m in fake_discord.messages("general")] == ["0", "1", "2", "3", "4"]


async def test_discord_py_paced_by_the_headers_gets_no_bucket_429(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake_discord.enable_rate_limits(messages=(5, 0.5))
    channel = bot.get_channel(fake_discord.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    started = time.perf_counter()
    await asyncio.gather(*(channel.send(f"bericht {i}") for i in range(12)))
    elapsed = time.perf_counter() - started
    assert len(fake_discord.messages("general")) == 12
    assert fake_discord.rate_stats.limited == {} and fake_discord.rate_stats.by_bucket["channel-messages"] == 12
    assert elapsed >= 1.0  # 12 sends at 5 per 0.5 s need two full windows of waiting


async def test_the_dm_create_bucket(bot: Bot, fake_discord: FakeDiscord, raw: aiohttp.ClientSession) -> None:
    fake_discord.enable_rate_limits(dm_create=(10, 0.5))
    users = fake_discord.add_users(37)
    started = time.perf_counter()
    channels = await asyncio.gather(*(bot.create_dm(discord.Object(id=u.id)) for u in users[:25]))
    elapsed = time.perf_counter() - started
    assert {c.recipient.id for c in channels if c.recipient} == {u.id for u in users[:25]}
    assert fake_discord.rate_stats.limited == {} and elapsed >= 1.0  # 25 creates at 10 per 0.5 s: 3 windows
    fake_discord.advance(1.0)  # a fresh window for the naive client
    naive = (call(raw, "POST", "/users/@me/channels", {"recipient_id": u.id}) for u in users[25:])
    answers = await asyncio.gather(*naive)
    refused = [headers for status, headers, _ in answers if status == 429]
    assert len(refused) == 2 and {h["X-RateLimit-Bucket"] for _, h, _ in answers} == {"dm-create"}
    assert refused[0]["X-RateLimit-Scope"] == "user"
    assert fake_discord.rate_stats.by_bucket["dm-create"] == 37


async def test_interaction_endpoints_are_not_bound_to_the_global_limit(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake_discord.enable_rate_limits(global_per_second=1)
    fake_discord.reset_rate_stats()
    for _ in range(3):
        result = await fake_discord.slash("hello", user=fake_discord.alice)
        assert result.content == "hallo" and (await result.wait_followup()).content == "nog eens"
    stats = fake_discord.rate_stats
    assert stats.requests == 0 and stats.exempt == 6 and stats.limited == {}


async def test_ten_thousand_users_are_cheap_and_reachable(bot: Bot, fake_discord: FakeDiscord) -> None:
    started = time.perf_counter()
    users = fake_discord.add_users(10_000, accepts_dms=True)
    assert time.perf_counter() - started < 2.0
    assert len({u.id for u in users}) == 10_000 and all(u.id in fake_discord.guild.members for u in users)
    last = await bot.fetch_user(users[-1].id)
    await last.send("welkom")
    assert [m.content for m in fake_discord.dms(users[-1])] == ["welkom"]
    fake_discord.close_dms(users[0])
    first = await bot.fetch_user(users[0].id)
    with pytest.raises(discord.Forbidden) as refused:
        await first.send("welkom")
    assert refused.value.code == 50007 and fake_discord.dms(users[0]) == []
    closed = fake_discord.add_users(2, member=False, accepts_dms=False)
    assert all(u.id not in fake_discord.guild.members and not u.accepts_dms for u in closed)


async def test_requests_can_be_bounded_for_a_bench(fake_discord: FakeDiscord, raw: aiohttp.ClientSession) -> None:
    fake_discord.keep_requests(50)
    user = fake_discord.alice.id
    for chunk in range(4):
        await asyncio.gather(*(call(raw, "GET", f"/users/{user}") for _ in range(100)))
        assert len(fake_discord.requests) == 50, chunk
    assert fake_discord.rate_stats.requests == 400  # counted, not kept
    fake_discord.keep_requests(None)
    await call(raw, "GET", f"/users/{user}")
    assert len(fake_discord.requests) == 51 and isinstance(fake_discord.requests, list)
