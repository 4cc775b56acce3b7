"""End-to-end fixtures: the real Steunpunt bot, on a temporary database, against the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import _HANDLER_TASKS, SteunpuntBot
from bot.clock import FixedClock
from bot.config import Settings
from bot.wiring import running_app
from tests.fakediscord import FakeDiscord
from tests.fakediscord.plugin import start_client

E2E_DIR = Path(__file__).parent


async def handlers_done() -> None:
    """Wait until the bot's interaction and event handlers (and job kicks) have finished.

    A reply reaches the fake before its handler ends: /ask records its knowledge gap, and the metrics count the
    interaction, just after answering.
    """
    current = asyncio.current_task()
    for _ in range(100):
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not current and not t.done() and t.get_name().startswith(_HANDLER_TASKS)
        ]
        if not busy:
            return
        await asyncio.wait(busy, timeout=0.5)
    raise AssertionError("the bot's handlers did not finish")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in tests/e2e as `e2e` (run them alone with `pytest -m e2e`)."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


Launcher = Callable[..., AbstractAsyncContextManager[SteunpuntBot]]


@pytest.fixture
def launch(fake_discord: FakeDiscord, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Launcher:
    """Start the real bot against the fake, as often as a test wants (a restart keeps the same database).

    ``async with launch() as bot:`` builds the bot from the production composition root, starts it and
    waits until it is ready; leaving the block stops it cleanly.
    """
    # running_app points discord.py at the fake for good; monkeypatch puts the real URLs back afterwards.
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )
    settings = Settings.for_tests(
        database_path=tmp_path / "steunpunt.sqlite3",
        discord_api_base_url=fake_discord.api_base,
        discord_gateway_url=fake_discord.gateway_url,
    )

    @asynccontextmanager
    async def start(**options: Any) -> AsyncIterator[SteunpuntBot]:
        async with (
            running_app(settings, clock=clock, guild_ready_timeout=0.05, **options) as bot,
            start_client(bot, fake_discord, token=settings.discord_token),
        ):
            yield bot

    return start


@pytest.fixture
async def steunpunt(fake_discord: FakeDiscord, launch: Launcher) -> AsyncIterator[tuple[FakeDiscord, SteunpuntBot]]:
    """(fake, bot): the real bot, started, ready, with its commands registered with the fake."""
    async with launch(auto_sync=False) as bot:
        await bot.sync_commands(guild_id=None)
        yield fake_discord, bot
