"""Prometheus metrics through the wire: the real bot with METRICS_PORT, scraped over HTTP and parsed.

prometheus_client's own parser is the check that the text is valid exposition format (``promtool`` is not
installed here).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.config import Settings
from bot.domain.jobs import STATUSES, Job
from bot.wiring import running_app
from tests.e2e.conftest import handlers_done
from tests.fakediscord import FakeDiscord
from tests.fakediscord.plugin import start_client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Test settings against the fake, with METRICS_PORT set to a free port."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )
    return Settings.for_tests(
        database_path=tmp_path / "steunpunt.sqlite3",
        discord_api_base_url=fake_discord.api_base,
        discord_gateway_url=fake_discord.gateway_url,
        metrics_port=free_port(),
    )


@asynccontextmanager
async def started(settings: Settings, fake: FakeDiscord, clock: FixedClock) -> AsyncIterator[SteunpuntBot]:
    """The real bot from the production composition root, started against the fake, commands registered."""
    async with (
        running_app(settings, clock=clock, guild_ready_timeout=0.05, auto_sync=False) as bot,
        start_client(bot, fake, token=settings.discord_token),
    ):
        await bot.sync_commands(guild_id=None)
        yield bot


@pytest.fixture
async def metered(
    fake_discord: FakeDiscord, settings: Settings, clock: FixedClock
) -> AsyncIterator[tuple[FakeDiscord, SteunpuntBot]]:
    """(fake, bot) with metrics served on ``settings.metrics_port``."""
    async with started(settings, fake_discord, clock) as bot:
        yield fake_discord, bot


async def scrape(port: int, path: str = "/metrics") -> tuple[int, str, str]:
    """GET the endpoint: (status, content type, body)."""
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def samples(port: int) -> Samples:
    """Every sample of a scrape, parsed by prometheus_client's parser (which rejects malformed text).

    Scraped once the bot's handlers finished: a handler ends, and is counted, just after its reply reached Discord.
    """
    await handlers_done()
    status, content_type, body = await scrape(port)
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    found: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when the series does not exist yet)."""
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_ask_is_counted_timed_and_searched(metered: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """One /ask shows up once as ok, with its duration and a search latency; job and gateway gauges are there."""
    fake, bot = metered
    assert bot.settings.metrics_port is not None
    port = bot.settings.metrics_port
    before = await samples(port)
    assert value(before, "steunpunt_interactions_total", command="ask", outcome="ok") == 0

    result = await fake.slash("ask", user=fake.alice, question="welke licentie voor onze collectie")
    await result.final()

    after = await samples(port)
    assert value(after, "steunpunt_interactions_total", command="ask", outcome="ok") == 1
    assert value(after, "steunpunt_interaction_seconds_count", command="ask") == 1
    assert value(after, "steunpunt_interaction_seconds_sum", command="ask") > 0
    assert value(after, "steunpunt_search_seconds_count") >= 1
    for state in STATUSES:  # read from the database at scrape time
        assert ("steunpunt_jobs", frozenset({("state", state)})) in after
    assert value(after, "steunpunt_jobs", state="pending") >= 1  # the recurring jobs wait for their time
    assert value(after, "steunpunt_gateway_connected") == 1
    assert ("steunpunt_gateway_latency_seconds", frozenset()) in after


async def test_refused_command_and_component_are_counted(
    metered: tuple[FakeDiscord, SteunpuntBot], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member running a moderators' command counts as refused; a click and a modal count when handled."""
    fake, bot = metered
    port = bot.settings.metrics_port
    assert port is not None and bot.metrics is not None
    handlers: list[list[str]] = []  # canary: discord.py starts a component's handlers as tasks holding it
    finish_when_done = bot.metrics.finish_when_done

    def spy(tasks: list[asyncio.Task[Any]], finish: Callable[[], object]) -> None:
        handlers.append([task.get_name() for task in tasks])
        finish_when_done(tasks, finish)

    monkeypatch.setattr(bot.metrics, "finish_when_done", spy)
    refused = await fake.slash("faq add", user=fake.alice)
    assert refused.ephemeral
    await bot.services.qa.faq_save(
        fake.guild.id, fake.moderator.id, title="Welke licentie past bij onze collectie?", body="Begin bij CC BY 4.0."
    )
    asked = await fake.slash("ask", user=fake.alice, question="welke licentie past bij onze collectie")
    helped = next(c for c in asked.message.custom_ids if c.startswith("qa:fb:") and not c.endswith(":x"))
    clicked = await fake.click(asked.message, helped, user=fake.alice)
    assert clicked.ephemeral

    await bot.services.guild_settings.update(fake.guild.id, moderator_role_id=fake.world.moderator_role.id)
    opened = await fake.slash("faq add", user=fake.moderator)
    saved = await fake.submit_modal(opened.modal, {"title": "Hoe scannen we dia's?", "body": "Met een diascanner."})
    assert saved.ephemeral

    await fake.wait_until(lambda: bot.metrics is not None and bot.metrics.timing == 0, what="handlers ended")
    found = await samples(port)
    assert value(found, "steunpunt_interactions_total", command="faq add", outcome="refused") == 1
    assert value(found, "steunpunt_interactions_total", command="faq add", outcome="ok") == 1  # the modal opened
    assert value(found, "steunpunt_interactions_total", command="component", outcome="ok") == 1
    assert value(found, "steunpunt_interaction_seconds_count", command="component") == 1
    assert value(found, "steunpunt_interactions_total", command="modal", outcome="ok") == 1
    click, modal = handlers
    assert any(name.startswith("discord-ui-dynamic-item") for name in click), click
    assert any(name.startswith("discord-ui-modal") for name in modal), modal


async def test_unexpected_failure_is_counted_as_error(metered: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """A handler that fails unexpectedly (here Discord refusing its answer) counts as error, not ok."""
    fake, bot = metered
    port = bot.settings.metrics_port
    assert port is not None
    fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback$", status=403)
    await fake.slash("help", user=fake.alice)
    found = await samples(port)
    assert value(found, "steunpunt_interactions_total", command="help", outcome="error") == 1
    assert value(found, "steunpunt_interactions_total", command="help", outcome="ok") == 0


async def test_rate_limits_and_job_failures_are_counted(metered: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """A 429 from Discord is counted by scope; a failing job attempt by its kind."""
    fake, bot = metered
    port = bot.settings.metrics_port
    assert port is not None
    fake.rate_limit("POST", r"/interactions/\d+/[^/]+/callback$", retry_after=0.05)
    await fake.slash("help", user=fake.bob)

    async def fails(job: Job) -> None:
        raise RuntimeError("broken on purpose")

    bot.services.job_runner.register("metrics.test", fails, max_attempts=1)
    await bot.services.jobs.submit("metrics.test")
    await bot.run_jobs()

    found = await samples(port)
    assert value(found, "steunpunt_discord_429_total", scope="user") == 1
    assert value(found, "steunpunt_job_failures_total", kind="metrics.test") == 1
    assert value(found, "steunpunt_jobs", state="dead") == 1


async def test_listens_on_localhost_only_and_serves_nothing_else(metered: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """The endpoint's listening socket is bound to 127.0.0.1 (never all interfaces); other paths are 404."""
    _, bot = metered
    port = bot.settings.metrics_port
    assert port is not None
    assert listeners(port) == ["127.0.0.1"]
    status, _, _ = await scrape(port, "/")
    assert status == 404


async def test_nothing_listens_without_metrics_port(
    fake_discord: FakeDiscord, settings: Settings, clock: FixedClock
) -> None:
    """Without METRICS_PORT there is no Metrics object and no endpoint; the bot answers as usual."""
    port = settings.metrics_port
    assert port is not None
    async with started(replace(settings, metrics_port=None), fake_discord, clock) as bot:
        assert bot.metrics is None
        result = await fake_discord.slash("help", user=fake_discord.alice)
        assert result.ephemeral
        assert listeners(port) == []
        with pytest.raises(aiohttp.ClientConnectionError):
            await scrape(port)


async def test_a_taken_port_does_not_stop_the_bot(
    fake_discord: FakeDiscord, settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """If the port is taken, the error is logged and the bot still answers members."""
    port = settings.metrics_port
    assert port is not None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        async with started(settings, fake_discord, clock):
            result = await fake_discord.slash("help", user=fake_discord.alice)
            assert result.ephemeral
    assert any("Metrics not served" in r.getMessage() for r in caplog.records)


def listeners(port: int) -> list[str]:
    """The local addresses of sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    proc = Path("/proc/net/tcp")
    if not proc.exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    found = []
    for table in (proc, Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append(_address(address))
    return found


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:  # IPv4, little-endian
        return socket.inet_ntoa(bytes.fromhex(hex_address)[::-1])
    return hex_address  # IPv6: whatever it is, it is not 127.0.0.1
