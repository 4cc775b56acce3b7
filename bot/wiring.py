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
from bot.db.migrate import apply_migrations
from bot.i18n import I18n
from bot.services import build_services

log = logging.getLogger(__name__)


def apply_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST and gateway URLs (a proxy, or the fake Discord in tests).

    discord.py 2.7 builds every REST, webhook and interaction URL from ``Route.BASE`` and connects to
    ``DiscordWebSocket.DEFAULT_GATEWAY``; a canary test checks both still exist.
    """
    discord.http.Route.BASE = settings.discord_api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


@asynccontextmanager
async def running_app(
    settings: Settings, *, clock: Clock | None = None, **bot_options: Any
) -> AsyncIterator[SteunpuntBot]:
    """Open everything the bot needs and yield it, not yet started; close it all on exit."""
    apply_discord_endpoints(settings)
    i18n = I18n.load(settings.default_locale)
    async with Database.open(settings.database_path) as db:
        applied = await apply_migrations(db)
        if applied:
            log.info("Database %s migrated to version %d", settings.database_path, applied[-1])
        services = build_services(db, clock or SystemClock())
        await services.search.reindex_stale()  # after a glossary or analyser change; one query otherwise
        await services.library.repair_index()  # after a crash between a change and its index write
        await services.qa.repair_index()
        bot = SteunpuntBot(settings=settings, services=services, i18n=i18n, **bot_options)
        async with bot:
            yield bot
