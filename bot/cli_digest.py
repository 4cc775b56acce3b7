"""``steunpunt digest render``: a server's digest as it would be built now, as Markdown or newsletter HTML.

With ``--all-members --output-dir DIR`` it renders every subscriber's personal digest, one file per member
(``<member id>.md`` or ``.html``), with progress on standard error and the paths written on standard output.

It only reads the database (like ``search`` and ``export``): the digest is previewed, nothing is stored or sent.
An empty digest (nothing new in the window, which posts nothing in Discord either) is said on standard error
and nothing is written: no output on standard output and no file, so a newsletter job never sends an empty
issue; the exit status is 0. Operator mistakes (a bad id, an unusable output path, a missing database) end
with one message and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.domain.digest.models import DigestContent
from bot.domain.progress import Progress, phase
from bot.errors import DomainError
from bot.i18n import I18n
from bot.interaction_errors import error_text
from bot.progress import progress_for
from bot.render.newsletter import render_html, render_markdown
from bot.wiring import open_services

EXIT_ERROR = 2
CLI_LOCALE = "en"
"""The command line's own messages are English; the digest is in its own language."""
ID_MAX = 2**63 - 1
FORMATS = ("md", "html")


def discord_id(text: str) -> int:
    """A Discord id (a whole number from 1 to 2⁶³−1) from the command line."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a Discord id: {text!r}") from None
    if not 1 <= value <= ID_MAX:
        raise argparse.ArgumentTypeError(f"not a Discord id (1 to {ID_MAX}): {value}")
    return value


async def _preview(settings: Settings, guild_id: int, member_id: int | None) -> DigestContent:
    async with open_services(settings, read_only=True) as services:
        return await services.digest.preview(guild_id, member_id)


def cmd_digest_render(settings: Settings, args: argparse.Namespace) -> int:
    """Render a server's digest as it would be built now, as Markdown or newsletter HTML.

    With --member, that member's personal digest; with --all-members --output-dir DIR, every subscriber's, one
    file each. Only reads the database. An empty digest writes nothing and says so (exit 0).
    """
    if args.all_members or args.output_dir:
        return _render_all(settings, args)
    output = Path(args.output).expanduser() if args.output else None
    if output is not None and output.is_dir():
        sys.stderr.write(f"{output} is a directory; give the path of the file to write.\n")
        return EXIT_ERROR
    if output is not None and not output.parent.is_dir():
        sys.stderr.write(f"Cannot write {output}: the directory {output.parent} does not exist.\n")
        return EXIT_ERROR
    try:
        content = asyncio.run(_preview(settings, args.guild, args.member))
    except DomainError as exc:
        sys.stderr.write(error_text(I18n.load(CLI_LOCALE), exc, CLI_LOCALE) + "\n")
        return EXIT_ERROR
    whose = f"member {args.member} of server {args.guild}" if args.member else f"server {args.guild}"
    if content.empty:
        sys.stderr.write(f"Nothing to render: the digest of {whose} for {content.period} is empty (nothing new).\n")
        return 0
    i18n = I18n.load(settings.default_locale)
    name = args.name or i18n.t("digest.cli.default_server", content.locale)
    build = render_html if args.format == "html" else render_markdown
    text = build(content, i18n, name, args.guild, personal=args.member is not None)
    if output is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"Cannot write {output}: {exc.strerror or exc}\n")
        return EXIT_ERROR
    sys.stderr.write(f"Wrote the digest of {whose} for {content.period} to {output}\n")
    return 0


@dataclass(slots=True)
class _Written:
    """What rendering every subscriber's digest did."""

    paths: list[Path] = field(default_factory=list)
    empty: int = 0
    period: str = ""


async def _render_members(
    settings: Settings, args: argparse.Namespace, directory: Path, progress: Progress
) -> _Written:
    """Preview, render and write each subscriber's personal digest (a phase of ``progress``)."""
    i18n = I18n.load(settings.default_locale)
    build = render_html if args.format == "html" else render_markdown
    written = _Written()
    async with open_services(settings, read_only=True) as services:
        members = await services.digest.subscribers(args.guild)
        with phase(progress, len(members), "Rendering personal digests"):
            for member in members:
                content = await services.digest.preview(args.guild, member)
                written.period = content.period
                if content.empty:
                    written.empty += 1
                else:
                    name = args.name or i18n.t("digest.cli.default_server", content.locale)
                    path = directory / f"{member}.{args.format}"
                    path.write_text(build(content, i18n, name, args.guild, personal=True), encoding="utf-8")
                    written.paths.append(path)
                progress.advance()
    return written


def _render_all(settings: Settings, args: argparse.Namespace) -> int:
    """``--all-members --output-dir DIR``: one file per subscriber; the paths written on standard output."""
    if not (args.all_members and args.output_dir) or args.output or args.member:
        sys.stderr.write("Use --all-members together with --output-dir DIR (and without --member or --output).\n")
        return EXIT_ERROR
    directory = Path(args.output_dir).expanduser()
    if not directory.is_dir():
        sys.stderr.write(f"{directory} is not a directory; create it first or give an existing one.\n")
        return EXIT_ERROR
    try:
        written = asyncio.run(_render_members(settings, args, directory, progress_for()))
    except DomainError as exc:
        sys.stderr.write(error_text(I18n.load(CLI_LOCALE), exc, CLI_LOCALE) + "\n")
        return EXIT_ERROR
    except OSError as exc:
        sys.stderr.write(f"Cannot write to {directory}: {exc.strerror or exc}\n")
        return EXIT_ERROR
    for path in written.paths:
        sys.stdout.write(f"{path}\n")
    period = f" for {written.period}" if written.period else ""
    sys.stderr.write(
        f"Wrote {len(written.paths)} personal digests of server {args.guild}{period} to {directory}"
        f" ({written.empty} empty, not written).\n"
    )
    return 0


def add_digest_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``digest render`` on the CLI."""
    digest = sub.add_parser("digest", help="the weekly digest", description="The weekly digest.")
    what = digest.add_subparsers(dest="digest_command", required=True, metavar="ACTION")
    render = what.add_parser(
        "render", help="a server's digest as Markdown or newsletter HTML", description=cmd_digest_render.__doc__
    )
    render.add_argument("--guild", type=discord_id, required=True, metavar="ID", help="the server")
    whose = render.add_mutually_exclusive_group()
    whose.add_argument(
        "--member", type=discord_id, default=None, metavar="ID", help="render this member's personal digest instead"
    )
    whose.add_argument(
        "--all-members",
        action="store_true",
        help="render every subscriber's personal digest into --output-dir, one file per member",
    )
    render.add_argument("--format", choices=FORMATS, required=True, help="md (Markdown) or html (newsletter)")
    render.add_argument("--output", metavar="FILE", help="write to this file instead of standard output")
    render.add_argument(
        "--output-dir", metavar="DIR", help="with --all-members: the directory for the files (<member id>.md/.html)"
    )
    render.add_argument(
        "--name", metavar="TEXT", help="the server's name in the heading (default: a neutral 'our Discord community')"
    )
    render.set_defaults(handler=cmd_digest_render)
