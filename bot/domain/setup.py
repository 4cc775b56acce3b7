"""Server set-up rules: the moderator check, forum tags, and settings export/import.

Everything here works on plain ids and names; the cogs translate Discord objects into a
:class:`GuildDirectory` first. Export and import follow the settings schema
(:mod:`bot.domain.settings_schema`): a setting declared there is exported and imported with no change here.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import tomli_w

from bot.clock import Clock, from_iso, to_iso
from bot.domain.guild_settings import THEMES, GuildSettings, GuildSettingsService
from bot.domain.settings_codec import export_value, import_value
from bot.domain.settings_schema import COMMON_TIMEZONES as COMMON_TIMEZONES
from bot.domain.settings_schema import GuildDirectory as GuildDirectory
from bot.domain.settings_schema import SettingsSchema
from bot.domain.settings_schema import search_timezones as search_timezones
from bot.domain.settings_schema import validate_timezone as validate_timezone
from bot.errors import Invalid

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.setup import SetupRepo
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.retention import Retention

log = logging.getLogger(__name__)

PURGE_JOB = "guild.purge"
"""The durable job that deletes a departed server's data once the retention period is over."""

EXPORT_FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 64 * 1024
SOLVED = "solved"
TAG_PURPOSES: tuple[str, ...] = (SOLVED, *THEMES)
FORUM_TAG_LIMIT = 20
TAG_NAME_MAX = 20

ExportFormat = Literal["json", "toml"]


def is_moderator(settings: GuildSettings, role_ids: Iterable[int], *, manages_server: bool) -> bool:
    """The one moderator rule: the server's configured moderator role, or the Manage Server permission."""
    if manages_server:
        return True
    return settings.moderator_role_id is not None and settings.moderator_role_id in set(role_ids)


@dataclass(frozen=True, slots=True)
class TagPlan:
    """Which forum tags /setup would create, and which do not fit under Discord's 20-tag limit."""

    existing: Mapping[str, int]
    to_create: tuple[tuple[str, str], ...]
    no_room: tuple[str, ...]


def plan_forum_tags(existing_tags: Mapping[int, str], wanted_names: Mapping[str, Sequence[str]]) -> TagPlan:
    """Match the forum's tags to the purposes we need; plan the missing ones within the 20-tag limit.

    ``wanted_names`` maps a purpose to acceptable names, preferred name first (e.g. "Opgelost", "Solved").
    Names compare case-insensitively.
    """
    by_name = {name.strip().lower(): tag_id for tag_id, name in existing_tags.items()}
    found: dict[str, int] = {}
    missing: list[tuple[str, str]] = []
    for purpose in TAG_PURPOSES:
        names = wanted_names[purpose]
        match = next((by_name[n.lower()] for n in names if n.lower() in by_name), None)
        if match is not None:
            found[purpose] = match
        else:
            missing.append((purpose, names[0][:TAG_NAME_MAX]))
    room = max(0, FORUM_TAG_LIMIT - len(existing_tags))
    return TagPlan(found, tuple(missing[:room]), tuple(p for p, _ in missing[room:]))


def export_document(settings: GuildSettings, directory: GuildDirectory) -> dict[str, Any]:
    """The settings as a portable document: every setting of the schema under its export name.

    References are ids as strings plus names, so they also apply on another server.
    """
    doc: dict[str, Any] = {"steunpunt_settings": EXPORT_FORMAT_VERSION}
    for spec in type(settings).schema():
        doc[spec.name] = export_value(spec, getattr(settings, spec.key), directory)
    return doc


def serialise(doc: Mapping[str, Any], fmt: ExportFormat) -> bytes:
    """Write a settings document as JSON or TOML (TOML has no null: unset values are left out)."""
    if fmt == "json":
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    return tomli_w.dumps({k: v for k, v in doc.items() if v is not None}).encode()


def parse_document(raw: bytes, filename: str) -> dict[str, Any]:
    """Read an uploaded settings file (JSON or TOML, chosen by extension, else by content)."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise Invalid("setup.import.too_large", limit=MAX_IMPORT_BYTES // 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("setup.import.unreadable") from None
    name = filename.lower()
    as_json = name.endswith(".json") or (not name.endswith(".toml") and text.lstrip().startswith("{"))
    try:
        doc = json.loads(text) if as_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, RecursionError):  # nested too deep: unreadable too
        raise Invalid("setup.import.unreadable") from None
    if not isinstance(doc, dict):
        raise Invalid("setup.import.unreadable")
    return doc


def resolve_import(
    doc: Mapping[str, Any], directory: GuildDirectory, schema: SettingsSchema | None = None
) -> dict[str, Any]:
    """Validate every field of an imported document against the schema and this server; all or nothing.

    Returns the changes for :meth:`GuildSettingsService.update` (by key); fields left out change nothing.
    Raises one :class:`Invalid` whose ``details`` list every problem. A reference is matched by id, else
    by a unique name.
    """
    if schema is None:
        schema = GuildSettings.schema()
    problems: list[Invalid] = []
    changes: dict[str, Any] = {}
    if doc.get("steunpunt_settings") != EXPORT_FORMAT_VERSION:
        problems.append(Invalid("setup.import.bad_version"))
    for name in sorted(k for k in doc if k != "steunpunt_settings" and schema.by_name(str(k)) is None):
        problems.append(Invalid("setup.import.unknown_field", field=str(name)[:40]))
    for spec in schema:
        if spec.name in doc:
            try:
                changes[spec.key] = import_value(spec, doc[spec.name], directory)
            except Invalid as exc:
                problems.append(exc)
    if problems:
        raise Invalid("setup.import.rejected", details=problems)
    return changes


class SetupService:
    """Use cases of server set-up that need storage: forum tags, once-only alerts, joining and leaving."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: SetupRepo,
        guild_settings: GuildSettingsService,
        clock: Clock,
        jobs: JobService,
        retention: Retention,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._settings = guild_settings
        self._clock = clock
        self._jobs = jobs
        self._retention = retention
        guild_settings.on_change(self._left_or_joined)

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the purge of a departed server's data (one job per departure, due after the retention)."""
        runner.register(PURGE_JOB, self._purge_job, lease=timedelta(minutes=10))

    async def _left_or_joined(self, tx: Transaction, before: GuildSettings, after: GuildSettings) -> None:
        """Removal schedules the purge in the same transaction; rejoining cancels it."""
        if before.left_at == after.left_at:
            return
        key = f"{PURGE_JOB}:{after.guild_id}"
        await self._jobs.cancel(tx, key)
        if after.left_at is not None:
            due = from_iso(after.left_at) + timedelta(days=self._retention.guild_days)
            await self._jobs.enqueue(tx, PURGE_JOB, run_at=due, dedupe_key=key, guild_id=after.guild_id)

    async def _purge_job(self, job: Job) -> None:
        if job.guild_id is not None:
            await self.purge_if_departed(job.guild_id)

    async def purge_if_departed(self, guild_id: int) -> bool:
        """Delete every row of a server the bot left longer ago than the retention; False if it came back."""
        cutoff = self._clock.now() - timedelta(days=self._retention.guild_days)
        async with self._uow.transaction() as tx:  # decided inside: a rejoin committed just before wins
            left_at = await self._repo.left_at(tx, guild_id)
            if left_at is None or from_iso(left_at) > cutoff:
                return False
            rows = await self._repo.purge_guild(tx, guild_id)
        self._settings.forget_cached(guild_id)
        log.info("Purged %d rows of server %s (left more than %d days ago)", rows, guild_id, self._retention.guild_days)
        return True

    async def forum_tags(self, guild_id: int, forum_id: int) -> dict[str, int]:
        """The tag id per purpose that /setup remembered for this forum."""
        return await self._repo.forum_tags(guild_id, forum_id)

    async def remember_forum_tags(self, guild_id: int, forum_id: int, tags: Mapping[str, int]) -> None:
        """Store the tag ids found or created for this forum."""
        async with self._uow.transaction() as tx:
            await self._repo.save_forum_tags(tx, guild_id, forum_id, dict(tags))

    async def is_news(self, guild_id: int, kind: str, fingerprint: str) -> bool:
        """Whether a problem (identified by its fingerprint) has not been reported yet; records it if so."""
        async with self._uow.transaction() as tx:
            return await self._repo.swap_alert(tx, guild_id, kind, fingerprint, self._clock.now())

    async def resolved(self, guild_id: int, kind: str) -> None:
        """The problem is gone; report it again should it come back."""
        async with self._uow.transaction() as tx:
            await self._repo.clear_alert(tx, guild_id, kind)

    async def joined(self, guild_id: int) -> GuildSettings:
        """The bot joined (or rejoined) a server: cancel any pending purge."""
        return await self._settings.update(guild_id, left_at=None)

    async def left(self, guild_id: int) -> GuildSettings:
        """The bot was removed: keep the data, start the retention clock."""
        return await self._settings.update(guild_id, left_at=to_iso(self._clock.now()))

    async def purge_departed(self) -> list[int]:
        """Purge every server left longer ago than the retention (a catch-up for departures without a job)."""
        cutoff = self._clock.now() - timedelta(days=self._retention.guild_days)
        return [g for g in await self._repo.departed_before(cutoff) if await self.purge_if_departed(g)]
