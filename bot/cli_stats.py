"""``steunpunt stats``: a server's statistics (the figures /stats shows) as CSV or JSON on standard output.

It only reads the database. The CSV has a header and one row per figure: a stable machine key, the machine value
(empty for "no data"; shares as a fraction, the answer time in hours) and the label in the chosen language, the
very rows the /stats embed shows, then one row per week and count. The JSON is the figures object itself. A
server the database knows nothing of, a bad option or an unusable database end with one message and exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import io
import json
import sys
from datetime import date, datetime
from typing import Any

from bot.cli_digest import discord_id
from bot.config import Settings
from bot.domain.stats import DEFAULT_DAYS, PERIODS, Figures
from bot.i18n import SUPPORTED, I18n
from bot.render.stats import figure_rows
from bot.wiring import open_services

EXIT_ERROR = 2
FORMATS = ("csv", "json")
CSV_HEADER = ("key", "value", "label")


async def _figures(settings: Settings, guild_id: int, days: int) -> Figures | None:
    async with open_services(settings, read_only=True) as services:
        if not await services.stats.known(guild_id):
            return None
        return await services.stats.for_days(guild_id, days)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def figures_json(figures: Figures) -> str:
    """The figures as one JSON object (moments and weeks as ISO-8601 text)."""
    return json.dumps(dataclasses.asdict(figures), default=_plain, ensure_ascii=False, indent=2) + "\n"


def figures_csv(figures: Figures, i18n: I18n, locale: str) -> str:
    """The figures as CSV: ``key,value,label``, one row per figure, then each week's counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in figure_rows(figures, i18n, locale, weekly=True):
        writer.writerow((row.key, row.value, row.label))
    return buffer.getvalue()


def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    """Write a server's statistics over the last --days (the figures /stats shows) as CSV or JSON.

    Only reads the database.
    """
    figures = asyncio.run(_figures(settings, args.guild, args.days))
    locale = args.lang or settings.default_locale
    i18n = I18n.load(settings.default_locale)
    if figures is None:
        sys.stderr.write(i18n.t("stats.cli.unknown_guild", "en", guild=args.guild) + "\n")
        return EXIT_ERROR
    text = figures_json(figures) if args.format == "json" else figures_csv(figures, i18n, locale)
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if value not in PERIODS:
        raise argparse.ArgumentTypeError(f"choose one of {', '.join(map(str, PERIODS))} days, not {value}")
    return value


def add_stats_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``stats`` on the CLI."""
    stats = sub.add_parser(
        "stats", help="a server's statistics as CSV or JSON (the figures of /stats)", description=cmd_stats.__doc__
    )
    stats.add_argument("--guild", type=discord_id, required=True, metavar="ID", help="the server")
    stats.add_argument(
        "--days",
        type=_days,
        default=DEFAULT_DAYS,
        metavar="N",
        help=f"the period, ending now: {', '.join(map(str, PERIODS))} days (default {DEFAULT_DAYS})",
    )
    stats.add_argument("--format", choices=FORMATS, default="csv", help="csv (default) or json")
    stats.add_argument(
        "--lang", choices=SUPPORTED, default=None, help="language of the CSV's labels (default: DEFAULT_LOCALE)"
    )
    stats.set_defaults(handler=cmd_stats)
