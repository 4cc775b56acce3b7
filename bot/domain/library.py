"""The resource library's use cases: suggest, review, find, curate, check links, import and export."""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, from_iso, to_iso
from bot.domain.qa_models import Page
from bot.domain.resources import NOTE_MAX, STATUSES, Resource, ResourceDraft, clean, make_draft
from bot.domain.search.models import NewDocument
from bot.errors import Invalid, NotFound, RateLimited

if TYPE_CHECKING:
    from bot.db.repos.members import MembersRepo
    from bot.db.repos.resources import ResourcesRepo
    from bot.domain.search.engine import SearchEngine

log = logging.getLogger(__name__)

STARTER_PATH = Path(__file__).resolve().parents[2] / "data" / "content" / "resources.toml"
REOPENABLE = ("changes_requested", "rejected")
"""Statuses from which the original suggester may send the same link again."""
SUGGESTION_LIMIT = 3
SUGGESTION_WINDOW = timedelta(minutes=10)
BOT_ACTOR = 0
"""The actor id recorded for actions the bot takes itself (link checks)."""

EXPORT_FIELDS: tuple[str, ...] = (
    "title",
    "url",
    "summary",
    "theme",
    "tags",
    "language",
    "licence",
    "type",
    "audience",
    "publisher",
    "status",
    "featured",
    "helpful",
    "suggested_by",
    "decision_note",
    "link_status",
    "link_detail",
    "last_verified",
    "seed_key",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a review, for the cog to tell the suggester and update the queue card."""

    resource: Resource
    notify_user: int | None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    added: int
    skipped: int


def with_draft(resource: Resource, draft: ResourceDraft) -> Resource:
    """The resource with every member-editable field taken from a validated draft."""
    fields = (
        "title",
        "url",
        "url_key",
        "summary",
        "theme",
        "type",
        "language",
        "audience",
        "publisher",
        "licence",
        "tags",
    )
    return replace(resource, **{name: getattr(draft, name) for name in fields})


def resource_to_dict(resource: Resource) -> dict[str, Any]:
    """Every exported field of a resource (tags as a list)."""
    data = {name: getattr(resource, name) for name in EXPORT_FIELDS}
    data["tags"] = list(resource.tags)
    return data


class LibraryService:
    """Curated resources of every server, each scoped by ``guild_id``."""

    def __init__(self, repo: ResourcesRepo, members: MembersRepo, search: SearchEngine, clock: Clock) -> None:
        self._repo = repo
        self._members = members
        self._search = search
        self._clock = clock

    async def get(self, guild_id: int, resource_id: int) -> Resource:
        """A resource of this server, or NotFound (also for another server's id)."""
        found = await self._repo.get(guild_id, resource_id)
        if found is None:
            raise NotFound("resources.not_found")
        return found

    # --- suggesting and reviewing ----------------------------------------------------------------

    async def suggest(self, guild_id: int, user_id: int, draft: ResourceDraft) -> Resource:
        """A member suggests a resource: cooldown, duplicate check, then it waits in the queue."""
        since = self._clock.now() - SUGGESTION_WINDOW
        if await self._repo.suggestions_since(guild_id, user_id, since) >= SUGGESTION_LIMIT:
            raise RateLimited("resources.cooldown", minutes=int(SUGGESTION_WINDOW.total_seconds() // 60))
        existing = await self._repo.by_url_key(guild_id, draft.url_key)
        if existing is not None and existing.suggested_by == user_id and existing.status in REOPENABLE:
            return await self._reopen(existing, user_id, draft)
        if existing is not None:
            raise Invalid("resources.duplicate_of", title=existing.title, id=existing.id)
        audit = {"actor_id": user_id, "action": "resource.suggest", "reason": None}
        return await self._repo.insert(
            guild_id, draft, suggested_by=user_id, status="pending", now=self._clock.now(), audit=audit
        )

    async def _reopen(self, existing: Resource, user_id: int, draft: ResourceDraft) -> Resource:
        """The suggester sends an improved version of a suggestion that was sent back: it waits again."""
        after = replace(with_draft(existing, draft), status="pending")
        audit = {"actor_id": user_id, "action": "resource.resubmit", "reason": None}
        return await self._repo.update(existing, after, now=self._clock.now(), audit=audit)

    async def set_queue_card(self, resource: Resource, channel_id: int, message_id: int) -> None:
        """Remember the moderators' queue card of a suggestion."""
        await self._repo.set_queue_card(resource.guild_id, resource.id, channel_id, message_id)

    async def approve(self, guild_id: int, resource_id: int, moderator_id: int) -> Decision:
        """Approve: the resource becomes findable (library and /ask) and the suggester is told."""
        return await self._decide(guild_id, resource_id, moderator_id, "approved", "resource.approve", None)

    async def request_changes(self, guild_id: int, resource_id: int, moderator_id: int, note: str) -> Decision:
        """Send a suggestion back with a note."""
        note = clean(note, NOTE_MAX, key="note")
        return await self._decide(
            guild_id, resource_id, moderator_id, "changes_requested", "resource.request_changes", note
        )

    async def reject(self, guild_id: int, resource_id: int, moderator_id: int, reason: str) -> Decision:
        """Reject with a reason the suggester will see."""
        reason = clean(reason, NOTE_MAX, key="reason")
        return await self._decide(guild_id, resource_id, moderator_id, "rejected", "resource.reject", reason)

    async def archive(self, guild_id: int, resource_id: int, moderator_id: int, reason: str | None = None) -> Resource:
        """Take a resource out of the library (kept for the record)."""
        return (
            await self._decide(guild_id, resource_id, moderator_id, "archived", "resource.archive", reason)
        ).resource

    async def _decide(
        self, guild_id: int, resource_id: int, actor: int, status: str, action: str, note: str | None
    ) -> Decision:
        before = await self.get(guild_id, resource_id)
        if before.status == status:
            raise Invalid("resources.already", status=status)
        after = replace(before, status=status, decision_note=note)
        stored = await self._repo.update(
            before, after, now=self._clock.now(), audit={"actor_id": actor, "action": action, "reason": note}
        )
        await self._sync_index(stored)
        notify = None
        if action != "resource.archive" and before.suggested_by not in (actor, BOT_ACTOR):
            notify = before.suggested_by
            params = {"title": stored.title, "note": note or ""}
            await self._members.add_notice(guild_id, notify, f"resources.notice.{status}", params, self._clock.now())
        return Decision(stored, notify)

    async def queue(self, guild_id: int, page: int, per_page: int = 5) -> Page[Resource]:
        """Pending suggestions, oldest first."""
        items, total = await self._repo.by_status(guild_id, "pending", page * per_page, per_page)
        return Page(items, page, max(1, math.ceil(total / per_page)), total)

    # --- finding ---------------------------------------------------------------------------------

    async def browse(self, guild_id: int, theme: str | None, page: int, per_page: int = 5) -> Page[Resource]:
        """Approved resources of a theme (or all), featured first."""
        items, total = await self._repo.browse(guild_id, theme, page * per_page, per_page)
        return Page(items, page, max(1, math.ceil(total / per_page)), total)

    async def search(self, guild_id: int, query: str, limit: int = 5) -> list[Resource]:
        """Approved resources matching a query, through the same engine as /ask; featured first among equals."""
        text = clean(query, 200, key="query")
        result = await self._search.search(guild_id, text, limit=25)
        found: list[Resource] = []
        for hit in result.hits:
            doc = hit.document
            if doc.source == "resource" and doc.guild_id == guild_id and doc.source_key.isdigit():
                resource = await self._repo.get(guild_id, int(doc.source_key))
                if resource is not None and resource.status == "approved":
                    found.append(resource)
        return found[:limit]

    async def vote_helpful(self, guild_id: int, resource_id: int, user_id: int) -> bool:
        """A member found a resource helpful (once each); returns False if they had voted already."""
        resource = await self.get(guild_id, resource_id)
        if resource.status != "approved":
            raise NotFound("resources.not_found")
        voted = await self._repo.vote_helpful(guild_id, resource_id, user_id, self._clock.now())
        if voted:
            await self._sync_index(replace(resource, helpful=resource.helpful + 1))
        return voted

    # --- curating --------------------------------------------------------------------------------

    async def edit(self, guild_id: int, resource_id: int, moderator_id: int, draft: ResourceDraft) -> Resource:
        """Change a resource's fields (moderators)."""
        before = await self.get(guild_id, resource_id)
        after = with_draft(before, draft)
        audit = {"actor_id": moderator_id, "action": "resource.edit", "reason": None}
        stored = await self._repo.update(before, after, now=self._clock.now(), audit=audit)
        await self._sync_index(stored)
        return stored

    async def set_featured(self, guild_id: int, resource_id: int, moderator_id: int, featured: bool) -> Resource:
        """Feature (or unfeature) an approved resource."""
        before = await self.get(guild_id, resource_id)
        if before.status != "approved":
            raise Invalid("resources.feature_needs_approval")
        after = replace(before, featured=featured)
        action = "resource.feature" if featured else "resource.unfeature"
        stored = await self._repo.update(
            before, after, now=self._clock.now(), audit={"actor_id": moderator_id, "action": action, "reason": None}
        )
        await self._sync_index(stored)
        return stored

    async def _sync_index(self, resource: Resource) -> None:
        """Approved resources are in the knowledge index; anything else is not."""
        if resource.status == "approved":
            await self._search.index(
                NewDocument(
                    guild_id=resource.guild_id,
                    source="resource",
                    source_key=str(resource.id),
                    kind="resource",
                    title=resource.title,
                    body=resource.summary or resource.title,
                    lang=resource.language,
                    theme=resource.theme,
                    tags=resource.tags,
                    url=resource.url,
                    featured=resource.featured,
                )
            )
        else:
            await self._search.remove(resource.guild_id, "resource", str(resource.id))

    async def repair_index(self, limit: int = 500) -> int:
        """Put the search index back in step with the library (after a crash between two writes)."""
        missing, stale = await self._repo.index_drift(limit)
        for resource in missing:
            await self._sync_index(resource)
        for guild_id, key in stale:
            await self._search.remove(guild_id, "resource", key)
        if missing or stale:
            log.warning("Search index repaired: %d resources added, %d removed", len(missing), len(stale))
        return len(missing) + len(stale)

    # --- link checks -----------------------------------------------------------------------------

    async def due_for_check(self, older_than: timedelta, limit: int = 50) -> list[Resource]:
        """Approved resources (all servers) whose link was not verified recently."""
        return await self._repo.due_for_check(self._clock.now() - older_than, limit)

    async def record_link_check(self, resource: Resource, ok: bool, detail: str) -> Resource:
        """Store a check; a broken link sends the resource back to the moderators' queue."""
        now = self._clock.now()
        current = await self.get(resource.guild_id, resource.id)
        after = replace(
            current, link_status="ok" if ok else "broken", link_detail=detail[:200], last_verified=to_iso(now)
        )
        if ok or current.status != "approved":
            return await self._repo.update(current, after, now=now, audit=None)
        after = replace(after, status="pending")
        audit = {"actor_id": BOT_ACTOR, "action": "resource.link_broken", "reason": detail[:200]}
        stored = await self._repo.update(current, after, now=now, audit=audit)
        await self._sync_index(stored)
        return stored

    # --- starter content, import and export ------------------------------------------------------

    async def import_records(
        self, guild_id: int, actor_id: int, records: Iterable[Mapping[str, Any]], *, lang: str | None = None
    ) -> ImportReport:
        """Add approved resources from exported or starter records; existing URLs are skipped (idempotent).

        Every record is validated before anything is stored, so a bad file changes nothing.
        """
        drafts = [(_plain(row), _draft_from_record(row, lang), _status(row)) for row in records]
        added = skipped = 0
        seen: set[str] = set()
        for row, draft, status in drafts:
            if draft.url_key in seen or await self._repo.by_url_key(guild_id, draft.url_key) is not None:
                skipped += 1
                continue
            seen.add(draft.url_key)
            resource = await self._repo.insert(
                guild_id,
                draft,
                suggested_by=_int(row.get("suggested_by"), actor_id),
                status=status,
                now=self._clock.now(),
                featured=row.get("featured") in (True, 1, "1", "true", "True"),
                seed_key=row.get("seed_key") or row.get("key"),
                audit={"actor_id": actor_id, "action": "resource.import", "reason": None},
                restored=dict(row),
            )
            await self._sync_index(resource)
            added += 1
        return ImportReport(added, skipped)

    async def load_starter(self, guild_id: int, actor_id: int, locale: str, path: Path = STARTER_PATH) -> ImportReport:
        """Load the built-in starter library (summaries in the server's language)."""
        return await self.import_records(guild_id, actor_id, load_starter_records(path), lang=locale)

    async def export(self, guild_id: int) -> list[dict[str, Any]]:
        """Every resource of a server as plain records (round-trips through :meth:`import_records`)."""
        return [resource_to_dict(r) for r in await self._repo.all(guild_id)]


def load_starter_records(path: Path = STARTER_PATH) -> list[dict[str, Any]]:
    """The starter resources from ``data/content/resources.toml``."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return list(data.get("resource", []))


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record with CSV's empty strings read as missing values, and carried-over fields checked."""
    plain = {k: (None if v == "" else v) for k, v in row.items()}
    title = str(plain.get("title", "?"))[:80]
    helpful = plain.get("helpful")
    if helpful is not None:
        if isinstance(helpful, bool) or not str(helpful).isdecimal():
            raise Invalid("resources.import.bad_record", title=title)
        plain["helpful"] = int(str(helpful))
    for name in ("created_at", "updated_at", "last_verified"):
        value = plain.get(name)
        if value is not None:
            try:
                plain[name] = to_iso(from_iso(str(value)))
            except ValueError:
                raise Invalid("resources.import.bad_record", title=title) from None
    for name in ("decision_note", "link_status", "link_detail"):
        if plain.get(name) is not None:
            plain[name] = str(plain[name])[:NOTE_MAX]
    return plain


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _status(row: Mapping[str, Any]) -> str:
    status = str(row.get("status") or "approved")
    if status not in STATUSES:
        raise Invalid("resources.import.bad_record", title=str(row.get("title", "?"))[:80])
    return status


def _draft_from_record(row: Mapping[str, Any], lang: str | None) -> ResourceDraft:
    summary = row.get("summary")
    if summary is None:
        summary = row.get(f"summary_{lang or 'nl'}") or row.get("summary_en") or row.get("summary_nl") or ""
    try:
        return make_draft(
            title=str(row.get("title", "")),
            url=str(row.get("url", "")),
            summary=str(summary),
            theme=str(row.get("theme", "")),
            type=str(row.get("type", "")),
            language=str(row.get("language", "")),
            audience=str(row.get("audience") or "beginner"),
            publisher=str(row.get("publisher") or ""),
            licence=row.get("licence") or None,
            tags=row.get("tags") or (),
        )
    except Invalid as exc:
        raise Invalid("resources.import.bad_record", title=str(row.get("title", "?"))[:80], details=[exc]) from None
