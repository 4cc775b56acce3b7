"""``steunpunt health``: is the bot running and connected to Discord? For container health checks and monitors.

The running bot records a heartbeat in the database about once a minute from its jobs loop, with whether its
gateway connection is open. This command only reads that (no network, nothing created), so it is cheap enough to
run every minute: exit 0 when a recent heartbeat says connected, 1 when not (with the reason on one line), 2 when
the settings or the database cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta

from bot.config import Settings
from bot.domain.system import HEALTHY_WITHIN, Health
from bot.wiring import open_services

EXIT_UNHEALTHY = 1
MAX_AGE_LIMIT = 86_400


async def _health(settings: Settings, within: timedelta) -> Health:
    async with open_services(settings, read_only=True) as services:
        return await services.system.health(within)


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if not 60 <= value <= MAX_AGE_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 60 and {MAX_AGE_LIMIT} seconds (got {value})")
    return value


def cmd_health(settings: Settings, args: argparse.Namespace) -> int:
    """Say whether the bot is running and connected to Discord, from the heartbeat it records in the database.

    Exit 0 when healthy, 1 when not (the reason on one line), 2 when the settings or database cannot be used.
    """
    health = asyncio.run(_health(settings, timedelta(seconds=args.max_age)))
    if health.healthy:
        sys.stdout.write(f"healthy: {health.reason}\n")
        return 0
    sys.stdout.write(f"unhealthy: {health.reason}\n")
    return EXIT_UNHEALTHY


def add_health_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``steunpunt health``."""
    health = sub.add_parser(
        "health", help="is the bot running and connected? (for health checks)", description=cmd_health.__doc__
    )
    health.add_argument(
        "--max-age",
        type=_seconds,
        default=int(HEALTHY_WITHIN.total_seconds()),
        metavar="SECONDS",
        help=f"a heartbeat older than this is unhealthy (default {int(HEALTHY_WITHIN.total_seconds())})",
    )
    health.set_defaults(handler=cmd_health)
