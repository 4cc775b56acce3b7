"""Server set-up rules: the moderator check, time zones, forum tags, and settings export/import.

Everything here works on plain ids and names; the cogs translate Discord objects into a
:class:`GuildDirectory` first.
"""

from __future__ import annotations

import json
import logging
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import tomli_w

from bot.clock import Clock, to_iso
from bot.domain.guild_settings import THEMES, GuildSettings, GuildSettingsService
from bot.errors import Invalid

if TYPE_CHECKING:
    from bot.db.repos.setup import SetupRepo

log = logging.getLogger(__name__)

EXPORT_FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 64 * 1024
SOLVED = "solved"
TAG_PURPOSES: tuple[str, ...] = (SOLVED, *THEMES)
FORUM_TAG_LIMIT = 20
TAG_NAME_MAX = 20
COMMON_TIMEZONES: tuple[str, ...] = (
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "UTC",
    "America/Paramaribo",
    "America/Curacao",
    "America/Aruba",
    "America/Kralendijk",
    "America/New_York",
    "Asia/Jakarta",
)
"""Offered first in /setup: the Netherlands, its neighbours, and the Dutch Caribbean and Suriname."""

ExportFormat = Literal["json", "toml"]


@dataclass(frozen=True, slots=True)
class GuildDirectory:
    """What exists in a server, as plain ids and names (built by the cog from the Discord cache)."""

    roles: Mapping[int, str]
    text_channels: Mapping[int, str]
    forums: Mapping[int, str]


def is_moderator(settings: GuildSettings, role_ids: Iterable[int], *, manages_server: bool) -> bool:
    """The one moderator rule: the server's configured moderator role, or the Manage Server permission."""
    if manages_server:
        return True
    return settings.moderator_role_id is not None and settings.moderator_role_id in set(role_ids)


@cache
def _all_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> str:
    """Return the canonical IANA name, or raise :class:`Invalid` (case-insensitive match allowed)."""
    wanted = name.strip()
    zones = _all_timezones()
    if wanted in zones:
        return wanted
    folded = {z.lower(): z for z in zones}
    if wanted.lower() in folded:
        return folded[wanted.lower()]
    raise Invalid("setup.timezone.unknown", name=wanted[:60])


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Time zones for autocomplete: common ones first, then every IANA name containing the text."""
    needle = text.strip().lower().replace(" ", "_")
    common = [z for z in COMMON_TIMEZONES if needle in z.lower()]
    rest = sorted(z for z in _all_timezones() if needle in z.lower() and z not in COMMON_TIMEZONES)
    return (common + rest)[:limit]


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
    """The settings as a portable document: ids as strings plus names, so they also apply on another server."""

    def ref(id_: int | None, names: Mapping[int, str]) -> dict[str, str] | None:
        return None if id_ is None else {"id": str(id_), "name": names.get(id_, "")}

    doc: dict[str, Any] = {
        "steunpunt_settings": EXPORT_FORMAT_VERSION,
        "language": settings.locale,
        "timezone": settings.timezone,
        "moderator_role": ref(settings.moderator_role_id, directory.roles),
        "moderator_channel": ref(settings.moderator_channel_id, directory.text_channels),
        "help_forum": ref(settings.help_forum_id, directory.forums),
        "digest_channel": ref(settings.digest_channel_id, directory.text_channels),
        "themes": list(settings.themes),
    }
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
    except (json.JSONDecodeError, tomllib.TOMLDecodeError):
        raise Invalid("setup.import.unreadable") from None
    if not isinstance(doc, dict):
        raise Invalid("setup.import.unreadable")
    return doc


_REF_FIELDS = {
    "moderator_role": ("moderator_role_id", "roles"),
    "moderator_channel": ("moderator_channel_id", "text_channels"),
    "help_forum": ("help_forum_id", "forums"),
    "digest_channel": ("digest_channel_id", "text_channels"),
}
_KNOWN = {"steunpunt_settings", "language", "timezone", "themes", *_REF_FIELDS}


def resolve_import(doc: Mapping[str, Any], directory: GuildDirectory) -> dict[str, Any]:
    """Validate every field of an imported document against this server; all or nothing.

    Returns the changes for :meth:`GuildSettingsService.update`. Raises one :class:`Invalid` whose
    ``details`` list every problem. A reference is matched by id, else by a unique name.
    """
    problems: list[Invalid] = []
    changes: dict[str, Any] = {}
    if doc.get("steunpunt_settings") != EXPORT_FORMAT_VERSION:
        problems.append(Invalid("setup.import.bad_version"))
    problems.extend(Invalid("setup.import.unknown_field", field=str(k)[:40]) for k in sorted(set(doc) - _KNOWN))
    if "language" in doc:
        lang = doc["language"]
        if lang is not None and lang not in ("nl", "en"):
            problems.append(Invalid("setup.import.bad_language", value=str(lang)[:20]))
        else:
            changes["locale"] = lang
    if "timezone" in doc:
        zone = doc["timezone"]
        try:
            if not isinstance(zone, str):
                raise Invalid("setup.timezone.unknown", name=str(zone)[:60])
            changes["timezone"] = validate_timezone(zone)
        except Invalid as exc:
            problems.append(exc)
    if "themes" in doc:
        themes = doc["themes"]
        if not isinstance(themes, list) or not all(isinstance(t, str) and t in THEMES for t in themes):
            problems.append(Invalid("setup.import.bad_themes", allowed=", ".join(THEMES)))
        else:
            changes["themes"] = tuple(t for t in THEMES if t in themes)
    for field, (attr, kind) in _REF_FIELDS.items():
        if field in doc:
            try:
                changes[attr] = _resolve_ref(field, doc[field], getattr(directory, kind))
            except Invalid as exc:
                problems.append(exc)
    if problems:
        raise Invalid("setup.import.rejected", details=problems)
    return changes


def _resolve_ref(field: str, value: Any, names: Mapping[int, str]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("id", ""), str | int):
        raise Invalid("setup.import.bad_reference", field=field)
    raw_id = str(value.get("id", "")).strip()
    name = value.get("name")
    if raw_id.isdigit() and int(raw_id) in names:
        return int(raw_id)
    if isinstance(name, str) and name:
        matches = [i for i, n in names.items() if n == name]
        if len(matches) == 1:
            return matches[0]
    raise Invalid("setup.import.unknown_reference", field=field, id=raw_id[:25] or "?", name=str(name or "")[:100])


class SetupService:
    """Use cases of server set-up that need storage: forum tags, once-only alerts, joining and leaving."""

    def __init__(self, repo: SetupRepo, guild_settings: GuildSettingsService, clock: Clock) -> None:
        self._repo = repo
        self._settings = guild_settings
        self._clock = clock

    async def forum_tags(self, guild_id: int, forum_id: int) -> dict[str, int]:
        """The tag id per purpose that /setup remembered for this forum."""
        return await self._repo.forum_tags(guild_id, forum_id)

    async def remember_forum_tags(self, guild_id: int, forum_id: int, tags: Mapping[str, int]) -> None:
        """Store the tag ids found or created for this forum."""
        await self._repo.save_forum_tags(guild_id, forum_id, dict(tags))

    async def is_news(self, guild_id: int, kind: str, fingerprint: str) -> bool:
        """Whether a problem (identified by its fingerprint) has not been reported yet; records it if so."""
        return await self._repo.swap_alert(guild_id, kind, fingerprint, self._clock.now())

    async def resolved(self, guild_id: int, kind: str) -> None:
        """The problem is gone; report it again should it come back."""
        await self._repo.clear_alert(guild_id, kind)

    async def joined(self, guild_id: int) -> GuildSettings:
        """The bot joined (or rejoined) a server: cancel any pending purge."""
        return await self._settings.update(guild_id, left_at=None)

    async def left(self, guild_id: int) -> GuildSettings:
        """The bot was removed: keep the data, start the retention clock."""
        return await self._settings.update(guild_id, left_at=to_iso(self._clock.now()))

    async def purge_departed(self, retention_days: int) -> list[int]:
        """Delete all data of servers the bot left more than ``retention_days`` ago; return their ids."""
        cutoff = self._clock.now() - timedelta(days=retention_days)
        purged = []
        for guild_id in await self._repo.departed_before(cutoff):
            rows = await self._repo.purge_guild(guild_id)
            self._settings.forget_cached(guild_id)
            log.info("Purged %d rows of server %s (left more than %d days ago)", rows, guild_id, retention_days)
            purged.append(guild_id)
        return purged
