"""Discord's behaviour the bot must survive: deadlines, double acks, 429s, 5xx, gateway closes, unknown routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.webhook.async_ import async_context, interaction_response_params

from tests.fakediscord import FakeDiscord
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
    await fake_discord.wait_until(lambda: bot.resumed, what="on_resumed")
    assert (await fake_discord.slash("sleepy", user=fake_discord.bob, seconds=0.0)).content == "awake"


async def test_unknown_route_is_recorded() -> None:
    fake = await FakeDiscord().start()
    try:
        async with start_client(Bot(), fake) as bot:
            with pytest.raises(discord.NotFound):
                await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/audit-logs", guild_id=1))
    finally:
        await fake.stop()
    assert fake.failures == ["unknown route: GET /api/v10/guilds/1/audit-logs (the fake answered 404)"]
