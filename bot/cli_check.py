"""``steunpunt db check [--fix]`` and ``db reindex``: a sound database, a search index equal to its sources.

Both report progress on standard error (a bar on a terminal, plain lines otherwise: :mod:`bot.progress`); the
report itself goes to standard output.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter

from bot.config import Settings
from bot.domain.maintenance import CheckReport
from bot.progress import progress_for
from bot.wiring import open_services

EXIT_PROBLEMS = 1
"""Exit status when problems were found and not (all) fixed."""
SHOWN = 20
"""At most this many index differences are listed one by one."""


async def _check(settings: Settings, fix: bool) -> CheckReport:
    async with open_services(settings) as services:
        return await services.maintenance.check(fix=fix, progress=progress_for())


def _print(report: CheckReport, fix: bool) -> None:
    out = sys.stdout.write
    out(f"integrity_check: {'ok' if not report.integrity else '; '.join(report.integrity[:5])}\n")
    out(f"foreign keys: {'ok' if not report.foreign_keys else '; '.join(report.foreign_keys[:5])}\n")
    out(f"full-text index: {'ok' if not report.fts else '; '.join(report.fts)}\n")
    kinds = Counter(d.kind for d in report.differences)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "none"
    found = len(report.differences)
    out(f"search index vs sources: {report.documents} documents checked, {found} differences ({summary})\n")
    for diff in report.differences[:SHOWN]:
        out(f"  {diff.kind:8} server {diff.guild_id} {diff.source}:{diff.source_key}\n")
    if len(report.differences) > SHOWN:
        out(f"  ... and {len(report.differences) - SHOWN} more\n")
    if report.differences and fix:
        out(f"fixed {report.fixed} differences\n")
    elif report.differences:
        out("run `steunpunt db check --fix` to repair the search index\n")


def cmd_db_check(settings: Settings, args: argparse.Namespace) -> int:
    """Check the database (integrity, foreign keys, full-text index) and the search index.

    Every indexed source (FAQ entries, approved resources, solved posts) is compared with its index entry by
    content fingerprint. With --fix the search index is repaired. Exit status 1 if problems remain.
    """
    report = asyncio.run(_check(settings, args.fix))
    _print(report, args.fix)
    return 0 if report.clean else EXIT_PROBLEMS


async def _reindex(settings: Settings) -> tuple[int, int]:
    async with open_services(settings) as services:
        changed = await services.maintenance.reindex(progress=progress_for())
        return changed, await services.search.count()


def cmd_db_reindex(settings: Settings, _args: argparse.Namespace) -> int:
    """Analyse now every stored document whose index entry an older analyser, glossary or lexicon made.

    The bot does this in the background after an upgrade, a slice at a time; this does it in one go, with
    progress. Documents already analysed by this version are left as they are (they would come out the same).
    """
    changed, total = asyncio.run(_reindex(settings))
    sys.stdout.write(f"Re-indexed {changed} of {total} stored documents; the others were already current.\n")
    return 0


def add_check_command(db_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``db check`` and ``db reindex``."""
    check = db_sub.add_parser(
        "check",
        help="check the database and the search index (reports; --fix repairs)",
        description=cmd_db_check.__doc__,
    )
    check.add_argument("--fix", action="store_true", help="re-index missing and stale documents, remove orphans")
    check.set_defaults(handler=cmd_db_check)
    db_sub.add_parser(
        "reindex", help="re-analyse documents indexed by an older version, now", description=cmd_db_reindex.__doc__
    ).set_defaults(handler=cmd_db_reindex)
