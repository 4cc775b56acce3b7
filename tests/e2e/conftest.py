"""End-to-end fixtures: the real Steunpunt bot, on a temporary database, against the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.config import Settings
from bot.wiring import running_app
from tests.fakediscord import FakeDiscord
from tests.fakediscord.plugin import start_client

E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in tests/e2e as `e2e` (run them alone with `pytest -m e2e`)."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
async def steunpunt(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakeDiscord, SteunpuntBot]]:
    """(fake, bot): the real bot, started, ready, with its commands registered with the fake."""
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
    async with (
        running_app(settings, clock=clock, auto_sync=False, guild_ready_timeout=0.05) as bot,
        start_client(bot, fake_discord, token=settings.discord_token),
    ):
        await bot.sync_commands(guild_id=None)
        yield fake_discord, bot
