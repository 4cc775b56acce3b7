"""The composition root: settings → database and migrations → services → bot. Nothing else wires things."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord
import yarl

from bot.app import SteunpuntBot
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.database import Database
from bot.db.inspect import database_problem
from bot.db.migrate import apply_migrations
from bot.domain.retention import Retention
from bot.errors import ConfigError
from bot.i18n import I18n
from bot.metrics import Metrics, serve_metrics
from bot.search_workers import SearchWorkers
from bot.services import Services, build_services

log = logging.getLogger(__name__)


def apply_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST and gateway URLs (a proxy, or the fake Discord in tests).

    discord.py 2.7 builds every REST, webhook and interaction URL from ``Route.BASE`` and connects to
    ``DiscordWebSocket.DEFAULT_GATEWAY``; a canary test checks both still exist.
    """
    discord.http.Route.BASE = settings.discord_api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


@asynccontextmanager
async def open_services(
    settings: Settings, *, clock: Clock | None = None, read_only: bool = False
) -> AsyncIterator[Services]:
    """Open the database and yield the services on it; close everything on exit.

    Normally the database is created or upgraded first and a stale search index re-analysed (after a
    glossary or analyser change). With ``read_only`` (``steunpunt search``) nothing is created, migrated or
    re-indexed: a missing, foreign or out-of-date database is refused with a :class:`ConfigError`.
    Both the bot (:func:`running_app`) and the command line get their services here.
    """
    if read_only and (problem := database_problem(settings.database_path, must_exist=True, exact_version=True)):
        raise ConfigError(problem)
    async with Database.open(settings.database_path) as db:
        if not read_only:
            applied = await apply_migrations(db)
            if applied:
                log.info("Database %s migrated to version %d", settings.database_path, applied[-1])
        retention = Retention(
            guild_days=settings.guild_retention_days, search_log_days=settings.search_log_retention_days
        )
        services = build_services(
            db, clock or SystemClock(), retention=retention, default_locale=settings.default_locale
        )
        if not read_only:
            await services.search.schedule_reindex()  # after an analyser, glossary or lexicon change
        workers = None
        if settings.search_workers and not read_only and str(settings.database_path) != ":memory:":
            workers = SearchWorkers(settings.database_path, settings.search_workers, services.search.fingerprint)
            services.search.attach(workers)  # started on first use (or by running_app, before the bot connects)
        try:
            async with services.search.log_writer():  # ends before the database closes: no logged search is lost
                yield services
        finally:
            if workers is not None:
                services.search.attach(None)
                await workers.close()


def instrument(services: Services) -> Metrics:
    """Metrics fed by the services: search latency, job failures, and the job queue read at scrape time."""
    metrics = Metrics()
    services.search.observe(metrics.search_done)
    services.job_runner.on_failure(metrics.job_failed)
    metrics.watch_jobs(services.jobs.counts)
    return metrics


@asynccontextmanager
async def running_app(
    settings: Settings, *, clock: Clock | None = None, serve_metrics_port: bool = True, **bot_options: Any
) -> AsyncIterator[SteunpuntBot]:
    """Open everything the bot needs and yield it, not yet started; close it all on exit.

    With ``METRICS_PORT`` set (and ``serve_metrics_port``; a one-off command such as ``sync`` passes False), the
    bot is measured and the metrics are served on localhost until the bot has closed.
    """
    apply_discord_endpoints(settings)
    i18n = I18n.load(settings.default_locale)
    async with open_services(settings, clock=clock) as services:
        await services.search.warm()  # the search workers start before the first /ask arrives
        port = settings.metrics_port if serve_metrics_port else None
        metrics = instrument(services) if port is not None else None
        bot = SteunpuntBot(settings=settings, services=services, i18n=i18n, metrics=metrics, **bot_options)
        async with serve_metrics(metrics, port), bot:
            yield bot
