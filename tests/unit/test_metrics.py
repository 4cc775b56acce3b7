"""The Metrics object and METRICS_PORT: exactly-once counting, bounded labels, a private registry, valid text."""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.domain.jobs import JobCount
from bot.errors import ConfigError
from bot.metrics import Metrics, tasks_holding

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    """One sample's value from the registry (None when absent)."""
    return metrics.registry.get_sample_value(name, labels)


# --- settings -------------------------------------------------------------------------------------------


def test_metrics_port_is_off_by_default_and_read_when_set() -> None:
    """Unset or empty means no metrics; a port from 1 to 65535 is taken as is."""
    assert Settings.from_mapping({"DISCORD_TOKEN": TOKEN}).metrics_port is None
    assert Settings.from_mapping({"DISCORD_TOKEN": TOKEN, "METRICS_PORT": " "}).metrics_port is None
    assert Settings.from_mapping({"DISCORD_TOKEN": TOKEN, "METRICS_PORT": "9464"}).metrics_port == 9464
    assert Settings.from_mapping({"DISCORD_TOKEN": TOKEN, "METRICS_PORT": "65535"}).metrics_port == 65535


@pytest.mark.parametrize("raw", ["0", "65536", "-1", "http", "94.64", "9" * 60])
def test_bad_metrics_port_is_listed_with_the_other_problems(raw: str) -> None:
    """A bad port is one more line of the one ConfigError, next to the other problems."""
    with pytest.raises(ConfigError) as info:
        Settings.from_mapping({"DISCORD_TOKEN": TOKEN, "METRICS_PORT": raw, "LOG_LEVEL": "LOUD"})
    text = str(info.value)
    assert "METRICS_PORT" in text
    assert "LOG_LEVEL" in text


def test_bad_metrics_port_exits_2(tmp_path: Path) -> None:
    """`steunpunt check` with a bad METRICS_PORT says so on stderr and exits 2, without a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "METRICS_"))}
    env.update({"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "db.sqlite3"), "METRICS_PORT": "70000"})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "METRICS_PORT must be between 1 and 65535" in result.stderr
    assert "Traceback" not in result.stderr


# --- counting ---------------------------------------------------------------------------------------------


def test_an_interaction_is_counted_once_whatever_reports_its_end() -> None:
    """The first end (error handler or completion) counts; later ends and unknown ids do nothing."""
    metrics = Metrics()
    metrics.interaction_received(1)
    assert metrics.interaction_finished(1, "faq add", "refused")
    assert not metrics.interaction_finished(1, "faq add", "ok")  # e.g. its other handler ended later
    assert not metrics.interaction_finished(2, "ask", "ok")  # never received (autocomplete is not timed)
    assert sample(metrics, "steunpunt_interactions_total", command="faq add", outcome="refused") == 1
    assert sample(metrics, "steunpunt_interactions_total", command="faq add", outcome="ok") is None
    assert sample(metrics, "steunpunt_interaction_seconds_count", command="faq add") == 1
    assert sample(metrics, "steunpunt_interactions_total", command="ask", outcome="ok") is None
    assert metrics.timing == 0


def test_outcomes_are_a_closed_set() -> None:
    """Only ok, refused and error; anything else is a programming error."""
    metrics = Metrics()
    metrics.interaction_received(1)
    with pytest.raises(ValueError, match="outcome"):
        metrics.interaction_finished(1, "ask", "maybe")


def test_interactions_that_never_end_do_not_pile_up() -> None:
    """Beyond the bound, the oldest unfinished interaction is forgotten."""
    metrics = Metrics(max_pending=3)
    for interaction_id in range(10):
        metrics.interaction_received(interaction_id)
    assert metrics.timing == 3
    assert not metrics.interaction_finished(0, "ask", "ok")
    assert metrics.interaction_finished(9, "ask", "ok")


def test_rate_limit_scopes_are_bounded() -> None:
    """No header means a per-route limit (user); unknown scopes are lumped together."""
    metrics = Metrics()
    for scope in (None, "user", "global", "Shared", "something-new", "another"):
        metrics.rate_limited(scope)
    assert sample(metrics, "steunpunt_discord_429_total", scope="user") == 2
    assert sample(metrics, "steunpunt_discord_429_total", scope="global") == 1
    assert sample(metrics, "steunpunt_discord_429_total", scope="shared") == 1
    assert sample(metrics, "steunpunt_discord_429_total", scope="other") == 2


def test_registry_is_private() -> None:
    """Two Metrics objects (a restart in one process) coexist, and the global registry stays untouched."""
    first, second = Metrics(), Metrics()
    first.search_done(0.01)
    assert sample(first, "steunpunt_search_seconds_count") == 1
    assert sample(second, "steunpunt_search_seconds_count") == 0
    assert REGISTRY.get_sample_value("steunpunt_search_seconds_count") is None


# --- scraping ---------------------------------------------------------------------------------------------


async def test_jobs_are_read_at_scrape_time_and_the_text_parses() -> None:
    """refresh() sums job counts per state (every state present); the exposition is valid text format."""
    metrics = Metrics()
    reads = 0

    async def counts() -> Iterable[JobCount]:
        nonlocal reads
        reads += 1
        return [JobCount("a", "pending", 2), JobCount("b", "pending", 3), JobCount("a", "dead", 1)]

    metrics.watch_jobs(counts)
    metrics.watch_gateway(lambda: math.inf, lambda: False)
    metrics.job_failed("a")
    body, content_type = await metrics.exposition()
    assert reads == 1
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    jobs = {s.labels["state"]: s.value for s in families["steunpunt_jobs"].samples}
    assert jobs == {"pending": 5, "running": 0, "done": 0, "dead": 1}
    assert families["steunpunt_job_failures"].samples[0].value == 1
    assert math.isnan(families["steunpunt_gateway_latency_seconds"].samples[0].value)
    assert families["steunpunt_gateway_connected"].samples[0].value == 0
    _, openmetrics = await metrics.exposition("application/openmetrics-text; version=1.0.0")
    assert openmetrics.startswith("application/openmetrics-text")


async def test_a_failing_job_read_still_serves_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    """When the database cannot be read the scrape still answers; the problem is logged."""
    metrics = Metrics()

    async def broken() -> Iterable[JobCount]:
        raise OSError("disk gone")

    metrics.watch_jobs(broken)
    metrics.search_done(0.2)
    body, _ = await metrics.exposition()
    assert b"steunpunt_search_seconds_count 1.0" in body
    assert "job queue" in caplog.text


# --- handler ends -------------------------------------------------------------------------------------------


async def test_tasks_holding_finds_the_handlers_of_an_object() -> None:
    """Tasks whose coroutine got the object (directly or in *args) are found; others and finished ones not."""
    target, other = object(), object()
    gate = asyncio.Event()

    async def handler(interaction: object) -> None:
        await gate.wait()

    async def event(*args: object) -> None:
        await gate.wait()

    tasks = [
        asyncio.create_task(handler(target)),
        asyncio.create_task(event("interaction", target)),
        asyncio.create_task(handler(other)),
    ]
    await asyncio.sleep(0)
    assert set(tasks_holding(target)) == set(tasks[:2])
    gate.set()
    await asyncio.gather(*tasks)
    assert tasks_holding(target) == []


async def test_finish_when_done_waits_for_the_last_handler() -> None:
    """The end is called once, after the last task; with no tasks at once."""
    metrics = Metrics()
    ended: list[str] = []
    metrics.finish_when_done([], lambda: ended.append("none"))
    assert ended == ["none"]
    first, second = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    metrics.finish_when_done(tasks, lambda: ended.append("both"))
    first.set()
    await tasks[0]
    await asyncio.sleep(0)
    assert ended == ["none"]
    second.set()
    await tasks[1]
    await asyncio.sleep(0)
    assert ended == ["none", "both"]
