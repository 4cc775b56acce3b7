"""Pytest fixtures: `fake_discord`, and `start_client` to run a real discord.py client against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from .server import BotCrashedError, FakeDiscord, FakeTimeoutError

ClientT = TypeVar("ClientT", bound=discord.Client)


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake on 127.0.0.1:<free port>; the test fails if the fake recorded failures."""
    fake = await FakeDiscord().start()
    try:
        yield fake
    finally:
        await fake.stop()
    if fake.failures:
        pytest.fail(fake.format_failures(), pytrace=False)


@contextlib.contextmanager
def redirect_discord(fake: FakeDiscord) -> Any:
    """Point discord.py's REST base and gateway URL at the fake; restore them afterwards."""
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


async def wait_ready(client: discord.Client, task: asyncio.Task[None], fake: FakeDiscord, within: float) -> None:
    """Wait until the client is ready; a crash of its task fails at once."""
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({ready, task}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if task in done:
        exc = None if task.cancelled() else task.exception()
        raise BotCrashedError(f"the client stopped during start-up: {exc!r}") from exc
    if ready not in done:
        raise FakeTimeoutError(f"the client was not ready after {within}s (gateway ops seen: {fake.gateway.ops})")


async def _shutdown(client: discord.Client, task: asyncio.Task[None]) -> BaseException | None:
    await client.close()
    done, _ = await asyncio.wait({task}, timeout=5.0)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None
    return None if task.cancelled() else task.exception()


def pace_reidentify(client: discord.Client, fake: FakeDiscord) -> None:
    """Make the client wait `fake.reidentify_delay` s (read at each call) before a non-initial IDENTIFY.

    discord.py's default `Client.before_identify_hook`, a documented, overridable hook, sleeps 5 s there, which
    a test of INVALID_SESSION d=false or close 4007/4009 would otherwise wait through. The default delay stays 5 s;
    a client class with its own hook is left alone.
    """
    if type(client).before_identify_hook is not discord.Client.before_identify_hook:
        return

    async def before_identify_hook(shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(fake.reidentify_delay)

    client.before_identify_hook = before_identify_hook  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def start_client(
    client: ClientT, fake: FakeDiscord, *, token: str = "fake-token", within: float = 5.0
) -> AsyncIterator[ClientT]:
    """`async with start_client(bot, fake) as bot:` runs the real client against the fake until the block ends.

    Route.BASE and DEFAULT_GATEWAY are redirected (and restored), `client.start(token)` runs as a task, every
    wait of the fake fails at once if that task dies, and teardown closes the client and awaits the task. The
    wait before a re-IDENTIFY follows `fake.reidentify_delay` (see `pace_reidentify`).
    """
    pace_reidentify(client, fake)
    with redirect_discord(fake):
        task = asyncio.create_task(client.start(token), name=f"discord-client-{type(client).__name__}")
        fake.watch(task)
        failed = False
        try:
            await wait_ready(client, task, fake, within)
            yield client
        except BaseException:
            failed = True
            raise
        finally:
            crash = await _shutdown(client, task)
            fake.watch(None)
            if crash is not None and not failed:
                raise BotCrashedError(f"the client crashed: {crash!r}") from crash
