"""Optional Prometheus metrics (``METRICS_PORT``): what the bot counts and the localhost endpoint that serves it.

Everything lives in one :class:`Metrics` object with its own registry (never prometheus_client's global one), built
by the composition root only when ``METRICS_PORT`` is set; without it nothing is measured at all. Label values come
from closed sets (registered command names, job kinds, rate-limit scopes), never from member input, so the number
of series stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, Final

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder

from bot.domain.jobs import STATUSES, JobCount

log = logging.getLogger(__name__)

OUTCOMES: Final = ("ok", "refused", "error")
"""ok: answered; refused: a localised refusal (bad input, not allowed, cooldown); error: anything unexpected."""
RATE_LIMIT_SCOPES: Final = ("user", "global", "shared")
METRICS_HOST: Final = "127.0.0.1"
"""The endpoint listens on localhost only: scrape it through a reverse proxy or an SSH tunnel."""
METRICS_PATH: Final = "/metrics"
MAX_PENDING = 1_000
"""Interactions being timed at once; beyond it the oldest is forgotten (one whose handler never ended)."""
_INTERACTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
"""Seconds; Discord wants a first answer within 3 s."""
_SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

JobCounts = Callable[[], Awaitable[Iterable[JobCount]]]


class Metrics:
    """The bot's Prometheus instruments on a private registry, plus the bookkeeping that feeds them."""

    def __init__(self, *, max_pending: int = MAX_PENDING) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.interactions = Counter(
            "steunpunt_interactions",
            "Interactions handled, by command (qualified slash command name, or component/modal) and outcome.",
            ("command", "outcome"),
            registry=r,
        )
        self.interaction_seconds = Histogram(
            "steunpunt_interaction_seconds",
            "Time from receiving an interaction to the end of its handler.",
            ("command",),
            buckets=_INTERACTION_BUCKETS,
            registry=r,
        )
        self.search_seconds = Histogram(
            "steunpunt_search_seconds",
            "Time a knowledge search took (/ask and the library).",
            buckets=_SEARCH_BUCKETS,
            registry=r,
        )
        self.jobs = Gauge(
            "steunpunt_jobs", "Durable jobs in the queue, by state (read at scrape time).", ("state",), registry=r
        )
        self.job_failures = Counter(
            "steunpunt_job_failures", "Failed job attempts (retried or dead), by job kind.", ("kind",), registry=r
        )
        self.discord_429 = Counter(
            "steunpunt_discord_429",
            "429 (rate limited) answers from Discord's REST API, by scope.",
            ("scope",),
            registry=r,
        )
        self.gateway_latency = Gauge(
            "steunpunt_gateway_latency_seconds",
            "Gateway heartbeat latency (NaN before the first heartbeat).",
            registry=r,
        )
        self.gateway_connected = Gauge(
            "steunpunt_gateway_connected", "1 while connected to Discord's gateway, else 0.", registry=r
        )
        ProcessCollector(registry=r)  # memory, CPU, open files of this process (Linux)
        for state in STATUSES:
            self.jobs.labels(state)
        self._job_counts: JobCounts | None = None
        self._pending: dict[int, float] = {}
        self._max_pending = max_pending

    # --- interactions ---------------------------------------------------------------------------------

    @property
    def timing(self) -> int:
        """How many received interactions have not ended yet."""
        return len(self._pending)

    def interaction_received(self, interaction_id: int) -> None:
        """Start timing an interaction (call once, when it arrives)."""
        if len(self._pending) >= self._max_pending:
            del self._pending[next(iter(self._pending))]
        self._pending[interaction_id] = time.perf_counter()

    def interaction_finished(self, interaction_id: int, command: str, outcome: str) -> bool:
        """Count and time a received interaction once; later calls for it (or unknown ids) do nothing.

        Returns whether it was counted. ``command`` must come from a closed set (the registered tree).
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        started = self._pending.pop(interaction_id, None)
        if started is None:
            return False
        self.interactions.labels(command, outcome).inc()
        self.interaction_seconds.labels(command).observe(time.perf_counter() - started)
        return True

    def finish_when_done(self, tasks: Iterable[asyncio.Task[Any]], finish: Callable[[], object]) -> None:
        """Call ``finish`` once every task in ``tasks`` has ended (at once if there are none)."""
        waiting = {task for task in tasks if not task.done()}
        if not waiting:
            finish()
            return

        def done(task: asyncio.Task[Any]) -> None:
            waiting.discard(task)
            if not waiting:
                finish()

        for task in waiting:
            task.add_done_callback(done)

    # --- search, jobs, Discord ------------------------------------------------------------------------

    def search_done(self, seconds: float) -> None:
        """Observe one search's duration (the search engine's observer)."""
        self.search_seconds.observe(seconds)

    def job_failed(self, kind: str) -> None:
        """Count one failed attempt of a job of ``kind`` (the job runner's failure listener)."""
        self.job_failures.labels(kind).inc()

    def watch_jobs(self, counts: JobCounts) -> None:
        """Read the job queue with ``counts`` (async, from the database) before every scrape."""
        self._job_counts = counts

    def watch_gateway(self, latency: Callable[[], float], connected: Callable[[], bool]) -> None:
        """Read the gateway's latency and connection state at scrape time (in memory; no I/O)."""
        self.gateway_latency.set_function(lambda: _finite_or_nan(latency()))
        self.gateway_connected.set_function(lambda: 1.0 if connected() else 0.0)

    def http_trace(self) -> aiohttp.TraceConfig:
        """An aiohttp trace for discord.py's HTTP client (``http_trace=``) that counts 429 answers."""

        async def on_request_end(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
            if params.response.status == 429:
                self.rate_limited(params.response.headers.get("X-RateLimit-Scope"))

        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(on_request_end)
        return trace

    def rate_limited(self, scope: str | None) -> None:
        """Count a 429 from Discord; no scope header means a per-route (``user``) limit."""
        label = (scope or "user").lower()
        self.discord_429.labels(label if label in RATE_LIMIT_SCOPES else "other").inc()

    # --- scraping -------------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Update the gauges that need the database (asynchronously, before the text is generated)."""
        if self._job_counts is None:
            return
        try:
            rows = await self._job_counts()
        except Exception:  # a scrape must still answer (the other metrics are still true)
            log.warning("Could not read the job queue for the metrics", exc_info=True)
            return
        totals = dict.fromkeys(STATUSES, 0)
        for row in rows:
            totals[row.status] = totals.get(row.status, 0) + row.count
        for state, count in totals.items():
            self.jobs.labels(state).set(count)

    async def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The current metrics as (body, content type), in the format the scraper's Accept header asks for."""
        await self.refresh()
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type


def _finite_or_nan(value: float) -> float:
    return value if math.isfinite(value) else math.nan


def metrics_app(metrics: Metrics) -> web.Application:
    """The aiohttp application serving ``GET /metrics`` (nothing else)."""

    async def serve(request: web.Request) -> web.Response:
        body, content_type = await metrics.exposition(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get(METRICS_PATH, serve)
    return app


@asynccontextmanager
async def serve_metrics(metrics: Metrics | None, port: int | None, *, host: str = METRICS_HOST) -> AsyncIterator[None]:
    """Serve ``metrics`` on ``host:port`` for the duration of the block; with either None, do nothing.

    A port that cannot be bound is logged as an error and the bot runs on without the endpoint: metrics are
    not worth refusing members over (and ``steunpunt sync`` may run beside a bot holding the port).
    """
    if metrics is None or port is None:
        yield
        return
    runner = web.AppRunner(metrics_app(metrics), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            log.error("Metrics not served: cannot listen on %s:%d (%s)", host, port, exc.strerror or exc)
        else:
            log.info("Serving metrics at http://%s:%d%s", host, port, METRICS_PATH)
        yield
    finally:
        await runner.cleanup()


def tasks_holding(target: object) -> list[asyncio.Task[Any]]:
    """The unfinished tasks whose coroutine was called with ``target`` (directly, or among its ``*args``).

    discord.py starts an interaction's handlers (view and dynamic item callbacks, modals, ``on_interaction``
    listeners) as tasks before it dispatches the ``interaction`` event, and reports no end for components and
    modals: these tasks ending is that end. The calling task, one that already finished, or one whose frame is
    not inspectable is not returned.
    """
    found: list[asyncio.Task[Any]] = []
    current = asyncio.current_task()
    for task in asyncio.all_tasks():
        frame = getattr(task.get_coro(), "cr_frame", None)
        if frame is None or task.done() or task is current:
            continue
        for value in frame.f_locals.values():
            if value is target or (type(value) is tuple and any(item is target for item in value)):
                found.append(task)
                break
    return found
