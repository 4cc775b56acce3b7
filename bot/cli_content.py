"""Content commands of the ``steunpunt`` CLI: import, search and export (services from the composition root).

A knowledge import reports its progress on standard error (:mod:`bot.progress`); standard output only gets
the summary line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tomllib
from pathlib import Path

from bot.config import Settings
from bot.domain.exchange import dump_resources, is_resource_export, read_resources
from bot.domain.search.importer import import_documents
from bot.errors import DomainError, Invalid
from bot.i18n import I18n
from bot.interaction_errors import error_text
from bot.progress import progress_for
from bot.services import Services
from bot.wiring import open_services

EXIT_ERROR = 2
CLI_ACTOR = 0
"""Actor id recorded in the audit log for changes made from the command line."""
CLI_LOCALE = "en"
"""The command line speaks English, whatever DEFAULT_LOCALE says (that is for members)."""


def _fail(error: DomainError) -> int:
    sys.stderr.write(error_text(I18n.load(CLI_LOCALE), error, CLI_LOCALE) + "\n")
    return EXIT_ERROR


async def _import(settings: Settings, path: Path, raw: bytes, guild_id: int | None) -> str:
    async with open_services(settings) as services:
        if path.suffix.lower() == ".toml":
            try:
                records = tomllib.loads(raw.decode("utf-8")).get("resource", [])
            except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
                raise Invalid("search.import_unreadable", path=str(path), reason=str(exc)) from exc
            if not isinstance(records, list):
                raise Invalid("resources.import.not_a_list", path=str(path))
            return await _import_resources(services, records, guild_id, settings.default_locale)
        if path.suffix.lower() == ".csv":
            return await _import_resources(services, read_resources(raw, path.name), guild_id, settings.default_locale)
        try:
            doc = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise Invalid("search.import_unreadable", path=str(path), reason=str(exc)) from exc
        if is_resource_export(doc):
            return await _import_resources(services, read_resources(raw, path.name), guild_id, settings.default_locale)
        if not isinstance(doc, list) or not all(isinstance(e, dict) for e in doc):
            raise Invalid("search.import_not_a_list", path=str(path))
        report = await import_documents(services.search, doc, progress=progress_for())
        return f"Indexed {report.imported} knowledge documents (shared with every server)."


async def _import_resources(
    services: Services, records: list[dict[str, object]], guild_id: int | None, locale: str
) -> str:
    if guild_id is None:
        raise Invalid("cli.guild_required")
    report = await services.library.import_records(guild_id, CLI_ACTOR, records, lang=locale)
    return f"Resources for server {guild_id}: {report.added} added, {report.skipped} already present."


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import knowledge documents (search-eval format) or resources (export, CSV or starter TOML)."""
    path = Path(args.file)
    if not path.is_file():
        sys.stderr.write(f"No such file: {path}\n")
        return EXIT_ERROR
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sys.stderr.write(f"Cannot read {path}: {exc.strerror or exc}\n")
        return EXIT_ERROR
    try:
        sys.stdout.write(asyncio.run(_import(settings, path, raw, args.guild)) + "\n")
    except DomainError as exc:
        return _fail(exc)
    return 0


async def _search(settings: Settings, query: str, limit: int, guild_id: int) -> list[dict[str, object]]:
    async with open_services(settings, read_only=True) as services:
        result = await services.search.search(guild_id, query, limit=limit)
    rows: list[dict[str, object]] = [
        {
            "rank": rank,
            "id": hit.document.source_key
            if hit.document.source == "import"
            else f"{hit.document.source}:{hit.document.source_key}",
            "title": hit.document.title,
            "score": round(hit.score, 4),
        }
        for rank, hit in enumerate(result.hits, start=1)
    ]
    if result.suggestion:
        rows.append({"suggestion": result.suggestion, "corrected": result.corrected})
    return rows


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    """Search with the same engine /ask uses; print ranked ids and titles. Reads the database, never writes it."""
    rows = asyncio.run(_search(settings, args.query, max(1, min(args.limit, 50)), args.guild or 0))
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        if "suggestion" in row:
            sys.stdout.write(f"did you mean: {row['suggestion']}\n")
        else:
            sys.stdout.write(f"{row['rank']:>2}. {row['id']}  {row['title']}\n")
    if not rows:
        sys.stdout.write("no results\n")
    return 0


async def _export(settings: Settings, guild_id: int, fmt: str) -> bytes:
    async with open_services(settings, read_only=True) as services:
        return dump_resources(await services.library.export(guild_id), "csv" if fmt == "csv" else "json")


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    """Export one server's resources as JSON or CSV (to a file, or standard output). Only reads the database."""
    output = Path(args.output).expanduser() if args.output else None
    if output is not None and output.is_dir():
        sys.stderr.write(f"{output} is a directory; give the path of the file to write.\n")
        return EXIT_ERROR
    data = asyncio.run(_export(settings, args.guild, args.format))
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            sys.stderr.write(f"Cannot write {output}: {exc.strerror or exc}\n")
            return EXIT_ERROR
        sys.stderr.write(f"Wrote {output}\n")
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_content_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register import, search and export on the CLI."""
    imp = sub.add_parser("import", help="import knowledge documents or resources", description=cmd_import.__doc__)
    imp.add_argument(
        "file", help="a JSON list of documents (search-eval format), a resource export (.json/.csv) or a starter .toml"
    )
    imp.add_argument("--guild", type=int, metavar="ID", help="server the resources belong to (required for resources)")
    imp.set_defaults(handler=cmd_import)

    search = sub.add_parser("search", help="search the knowledge base like /ask does", description=cmd_search.__doc__)
    search.add_argument("query", help="the question or keywords")
    search.add_argument("--limit", type=int, default=10, metavar="N", help="number of results (default 10)")
    search.add_argument("--json", action="store_true", help="print JSON instead of a list")
    search.add_argument(
        "--guild", type=int, default=0, metavar="ID", help="search as this server (default: shared only)"
    )
    search.set_defaults(handler=cmd_search)

    export = sub.add_parser("export", help="export data", description="Export data.")
    what = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    resources = what.add_parser("resources", help="one server's resources", description=cmd_export.__doc__)
    resources.add_argument("--guild", type=int, required=True, metavar="ID", help="the server to export")
    resources.add_argument("--format", choices=("json", "csv"), default="json", help="file format (default json)")
    resources.add_argument("--output", metavar="PATH", help="write to this file instead of standard output")
    resources.set_defaults(handler=cmd_export)
