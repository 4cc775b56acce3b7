"""Discord's behaviour the bot must survive: deadlines, double acks, 429s, 5xx, gateway closes, unknown routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.webhook.async_ import async_context, interaction_response_params

from tests.fakediscord import BotCrashedError, FakeDiscord, InteractionResult
from tests.fakediscord.gateway import close_outcome
from tests.fakediscord.plugin import start_client


class Bot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.errors: list[BaseException] = []
        self.resumed = 0

    async def setup_hook(self) -> None:
        self.tree.on_error = self.record_error  # type: ignore[method-assign]

        @self.tree.command(description="Answers after a while")
        async def sleepy(interaction: discord.Interaction, seconds: float) -> None:
            await asyncio.sleep(seconds)
            await interaction.response.send_message("awake")

        @self.tree.command(description="Acknowledges twice, like two workers handling one event")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("first")
            await async_context.get().create_interaction_response(
                interaction.id,
                interaction.token,
                session=interaction._session,
                params=interaction_response_params(4, {"content": "second"}),
            )

        @self.tree.command(description="Posts in the channel")
        async def post(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True)
            assert isinstance(interaction.channel, discord.TextChannel)
            await interaction.channel.send("posted", allowed_mentions=discord.AllowedMentions.none())
            await interaction.followup.send("ok", ephemeral=True)

    async def record_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        self.errors.append(error.__cause__ or error)

    async def on_resumed(self) -> None:
        self.resumed += 1


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[Bot]:
    async with start_client(Bot(), fake_discord) as running:
        await running.tree.sync()
        yield running


async def test_late_first_response_is_unknown_interaction(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake_discord.deadline = 0.05
    result = await fake_discord.slash("sleepy", user=fake_discord.alice, seconds=0.1)
    assert result.callback is None and [(e.status, e.code) for e in result.errors] == [(404, 10062)]
    await fake_discord.wait_until(lambda: bot.errors, what="the command error")
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    fake_discord.deadline = 3.0
    assert (await fake_discord.slash("sleepy", user=fake_discord.alice, seconds=0.0)).content == "awake"


async def test_double_acknowledgement_is_40060(bot: Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("twice", user=fake_discord.alice)
    await fake_discord.wait_until(lambda: bot.errors, what="the command error")
    assert result.content == "first"
    assert [(e.status, e.code) for e in result.errors] == [(400, 40060)]
    assert isinstance(bot.errors[0], discord.HTTPException) and bot.errors[0].code == 40060


async def test_route_429_is_retried(bot: Bot, fake_discord: FakeDiscord) -> None:
    limit = fake_discord.rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.2)
    started = time.perf_counter()
    result = await fake_discord.slash("post", user=fake_discord.alice)
    assert (await result.final()).content == "ok"
    assert time.perf_counter() - started >= 0.2
    assert len(limit.hits) == 1 and limit.times == 0
    assert [m.content for m in fake_discord.messages("general", public=True)] == ["posted"]


async def test_global_429_and_callback_429_are_retried(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake_discord.rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.1, global_=True)
    fake_discord.rate_limit("POST", r"/callback$", retry_after=0.1)
    result = await fake_discord.slash("post", user=fake_discord.alice)
    assert result.type == 5
    assert (await result.final()).content == "ok"
    assert all(i.times == 0 for i in fake_discord.injections.items)


async def test_5xx_is_retried(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake_discord.fail_next("POST", r"^/channels/\d+/messages$", status=502)
    result = await fake_discord.slash("post", user=fake_discord.alice)
    assert (await result.final(within=3)).content == "ok"
    statuses = [r.status for r in fake_discord.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert statuses == [502, 200]


async def test_resume_after_close_4000(bot: Bot, fake_discord: FakeDiscord) -> None:
    session = fake_discord.gateway.session
    assert session is not None
    await fake_discord.close_gateway(4000)
    assert fake_discord.gateway.session is session and fake_discord.gateway.connections == 2
    assert fake_discord.gateway.ops[-2:] == [1, 6]
    assert session.replayed == [] and session.buffer[-1].event == "RESUMED"
    await fake_discord.wait_until(lambda: bot.resumed, what="on_resumed")
    assert (await fake_discord.slash("sleepy", user=fake_discord.bob, seconds=0.0)).content == "awake"


async def assert_answered_once(fake: FakeDiscord, results: list[InteractionResult]) -> None:
    """Every interaction got exactly one callback, and it was accepted (no 40060 double ack, no 10062).

    Waits for an answer to each, then for one more interaction: the gateway is ordered, so a duplicate delivery of
    any of them would have reached the bot before it.
    """
    await fake.wait_until(lambda: all(r.record.callbacks for r in results), what="an answer to every interaction")
    assert (await fake.slash("sleepy", user=fake.bob, seconds=0.0)).content == "awake"
    counts = [[(c.status, c.code) for c in r.record.callbacks] for r in results]
    assert all(len(c) == 1 and r.callback is not None for c, r in zip(counts, results, strict=True)), counts


async def burst(fake: FakeDiscord, n: int) -> list[InteractionResult]:
    """`n` /sleepy interactions dispatched at once, not waiting for answers."""
    return [await fake.send_slash("sleepy", user=fake.alice, seconds=0.0) for _ in range(n)]


@pytest.mark.parametrize("code", [1000, 1001, 4000, 4001, 4002, 4003, 4005, 4008])
async def test_events_while_away_are_replayed_on_resume(bot: Bot, fake_discord: FakeDiscord, code: int) -> None:
    """Closes that keep the session: events dispatched while the client is away are buffered and replayed."""
    fake = fake_discord
    session = fake.gateway.session
    assert session is not None and close_outcome(code) == "resume"
    before = await burst(fake, 3)
    await fake.close_gateway(code, wait=False)
    away = await burst(fake, 3)
    assert [r.delivery for r in before + away] == ["sent"] * 3 + ["buffered"] * 3
    await fake.gateway.wait_connected(5)
    await assert_answered_once(fake, before + away)
    assert fake.gateway.session is session and session.resumes == 1 and 6 in fake.gateway.ops
    replayed_ids = [e.data["id"] for e in session.replayed if e.event == "INTERACTION_CREATE"]
    assert replayed_ids == [str(r.record.id) for r in away]
    resumed = next(e for e in session.buffer if e.event == "RESUMED")  # after the replayed events, in order
    assert [e.seq for e in session.replayed] == list(range(session.replayed[0].seq, resumed.seq))
    assert fake.gateway.closes == [("fake", code)] and fake.gateway.lost == []
    await fake.wait_until(lambda: bot.resumed, what="on_resumed")


async def test_op7_reconnect_resumes_and_replays(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    session = fake.gateway.session
    assert session is not None
    await fake.reconnect_gateway(wait=False)
    away = await burst(fake, 2)
    assert [r.delivery for r in away] == ["buffered", "buffered"]
    await fake.gateway.wait_connected(5)
    assert fake.gateway.session is session and session.resumes == 1 and fake.gateway.ops[-2:] == [1, 6]
    assert [p["op"] for p in fake.gateway.sent if p["op"] in (7, 9)] == [7]
    await assert_answered_once(fake, away)


async def test_invalid_session_resumable_resumes(bot: Bot, fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    session = fake.gateway.session
    assert session is not None
    await fake.invalidate_session(resumable=True, wait=False)
    away = await burst(fake, 2)
    await fake.gateway.wait_connected(5)
    await assert_answered_once(fake, away)
    assert fake.gateway.session is session and session.resumes == 1
    assert [r.delivery for r in away] == ["buffered", "buffered"]


async def test_invalid_session_not_resumable_reidentifies_and_loses_the_gap(
    bot: Bot, fake_discord: FakeDiscord
) -> None:
    """op 9 d=false: discord.py IDENTIFYs a new session; what happened in between never reaches it."""
    fake = fake_discord
    fake.reidentify_delay = 0.05
    old = fake.gateway.session
    assert old is not None
    started = time.perf_counter()
    await fake.invalidate_session(resumable=False, wait=False)
    gap = await burst(fake, 2)
    assert [r.delivery for r in gap] == ["lost", "lost"]
    await fake.gateway.wait_connected(5)
    assert time.perf_counter() - started < 2  # discord.py's own 5 s wait was shortened through reidentify_delay
    new = fake.gateway.session
    assert new is not None and new is not old and not old.alive and new.resumes == 0
    assert fake.gateway.ops[-2:] == [1, 2]  # straight to IDENTIFY, no RESUME
    assert [e.data["id"] for e in fake.gateway.lost] == [str(r.record.id) for r in gap]
    await fake.wait_until(lambda: bot.is_ready(), what="on_ready again")
    assert (await fake.slash("sleepy", user=fake.bob, seconds=0.0)).content == "awake"
    assert all(r.record.callbacks == [] for r in gap)


@pytest.mark.parametrize("code", [4007, 4009])
async def test_session_ending_close_tries_resume_then_reidentifies(
    bot: Bot, fake_discord: FakeDiscord, code: int
) -> None:
    fake = fake_discord
    fake.reidentify_delay = 0.05
    old = fake.gateway.session
    before = await burst(fake, 2)
    await fake.close_gateway(code)
    new = fake.gateway.session
    assert new is not None and new is not old and close_outcome(code) == "reidentify"
    assert fake.gateway.ops[-4:] == [1, 6, 1, 2]  # RESUME refused with op 9 d=false, then IDENTIFY
    assert [p["d"] for p in fake.gateway.sent if p["op"] == 9] == [False]
    await assert_answered_once(fake, before)


@pytest.mark.parametrize("code", [4004, 4010, 4011, 4012, 4013, 4014])
async def test_fatal_close_stops_the_client_with_a_clear_error(fake_discord: FakeDiscord, code: int) -> None:
    fake = fake_discord
    with pytest.raises(BotCrashedError) as crashed:
        async with start_client(Bot(), fake):
            await fake.close_gateway(code)
            assert fake.bot_task is not None and fake.bot_task.done()
            assert fake.gateway.live is None and fake.gateway.connections == 1
    error = crashed.value.__cause__
    if code == 4014:
        assert isinstance(error, discord.PrivilegedIntentsRequired)
    else:
        assert isinstance(error, discord.ConnectionClosed) and error.code == code


async def test_raw_resume_replays_from_the_clients_seq(fake_discord: FakeDiscord) -> None:
    """The protocol without discord.py: replay starts after the seq the client sends, then RESUMED; an ended
    session or an unknown one gets op 9 d=false."""
    fake = fake_discord
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(fake.gateway_url)
        assert (await ws.receive_json())["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "t", "intents": 1, "properties": {}}})
        ready = await ws.receive_json()
        session_id = ready["d"]["session_id"]
        assert [ready["s"], (await ws.receive_json())["s"]] == [1, 2]  # READY, GUILD_CREATE
        for n in range(3):
            assert await fake.gateway.emit("X_TEST", {"n": n}) == "sent"
        assert [(await ws.receive_json())["s"] for _ in range(3)] == [3, 4, 5]
        await ws.close(code=4000)
        await fake.wait_until(lambda: fake.gateway.session and fake.gateway.session.ws is None, what="the close")
        assert await fake.gateway.emit("X_TEST", {"n": 3}) == "buffered"

        ws = await http.ws_connect(fake.gateway_url)
        await ws.receive_json()
        await ws.send_json({"op": 6, "d": {"token": "t", "session_id": session_id, "seq": 4}})
        got = [await ws.receive_json() for _ in range(3)]
        assert [(m["s"], m["t"]) for m in got] == [(5, "X_TEST"), (6, "X_TEST"), (7, "RESUMED")]
        await ws.close(code=1000)  # a client closing with 1000 ends its session, as on Discord
        await fake.wait_until(lambda: fake.gateway.live is None, what="the session to end")

        for sid in (session_id, "unknown"):
            ws = await http.ws_connect(fake.gateway_url)
            await ws.receive_json()
            await ws.send_json({"op": 6, "d": {"token": "t", "session_id": sid, "seq": 7}})
            assert await ws.receive_json() == {"op": 9, "d": False, "s": None, "t": None}
            await ws.close()
    assert await fake.gateway.emit("X_TEST", {"n": 4}) == "lost"
    assert fake.gateway.closes == [("client", 4000), ("client", 1000)]


async def test_unknown_route_is_recorded() -> None:
    fake = await FakeDiscord().start()
    try:
        async with start_client(Bot(), fake) as bot:
            with pytest.raises(discord.NotFound):
                await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/audit-logs", guild_id=1))
    finally:
        await fake.stop()
    assert fake.failures == ["unknown route: GET /api/v10/guilds/1/audit-logs (the fake answered 404)"]
