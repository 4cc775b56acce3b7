"""The resource library's use cases: suggest, review, find, curate, check links, import and export."""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock, to_iso
from bot.domain.qa_models import Page
from bot.domain.resource_import import parse_records
from bot.domain.resources import NOTE_MAX, Resource, ResourceDraft, clean
from bot.domain.search.engine import rekey
from bot.domain.search.models import NewDocument
from bot.errors import Conflict, Invalid, NotFound, RateLimited

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.resources import ResourcesRepo
    from bot.domain.guild_settings import GuildSettings
    from bot.domain.jobs import JobService
    from bot.domain.members import MembersService
    from bot.domain.search.engine import SearchEngine
    from bot.domain.search.models import IndexRecord

log = logging.getLogger(__name__)

STARTER_PATH: Traversable = files("bot") / "data" / "resources.toml"
REOPENABLE = ("changes_requested", "rejected")
"""Statuses from which the original suggester may send the same link again."""
SUGGESTION_LIMIT = 3
SUGGESTION_WINDOW = timedelta(minutes=10)
SCHEDULE_JOB = "links.schedule"
"""The recurring job that queues link checks."""
CHECK_JOB = "links.check"
"""The job that checks one resource's link."""
QUEUE_CARD_JOB = "resources.queue_card"
"""The durable job that posts a suggestion's review card in the moderators' channel."""
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


def index_document(resource: Resource) -> NewDocument:
    """The search-index document of an approved resource."""
    return NewDocument(
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


def _draft_document(guild_id: int, draft: ResourceDraft) -> NewDocument:
    """The index document a draft will have once stored (its key is set after the insert)."""
    return NewDocument(
        guild_id=guild_id,
        source="resource",
        source_key="new",
        kind="resource",
        title=draft.title,
        body=draft.summary or draft.title,
        lang=draft.language,
        theme=draft.theme,
        tags=draft.tags,
        url=draft.url,
    )


def resource_to_dict(resource: Resource) -> dict[str, Any]:
    """Every exported field of a resource (tags as a list)."""
    data = {name: getattr(resource, name) for name in EXPORT_FIELDS}
    data["tags"] = list(resource.tags)
    return data


class LibraryService:
    """Curated resources of every server, each scoped by ``guild_id``."""

    member_columns: ClassVar[tuple[str, ...]] = ("resources.suggested_by", "resource_votes.user_id")

    def __init__(
        self,
        uow: UnitOfWork,
        repo: ResourcesRepo,
        members: MembersService,
        search: SearchEngine,
        clock: Clock,
        jobs: JobService,
    ) -> None:
        self._uow = uow
        self._jobs = jobs
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
        async with self._uow.transaction() as tx:
            if await self._repo.suggestions_since(guild_id, user_id, since, tx) >= SUGGESTION_LIMIT:
                raise RateLimited("resources.cooldown", minutes=int(SUGGESTION_WINDOW.total_seconds() // 60))
            existing = await self._repo.by_url_key(guild_id, draft.url_key, tx)
            if existing is not None and existing.suggested_by == user_id and existing.status in REOPENABLE:
                after = replace(with_draft(existing, draft), status="pending")
                audit = {"actor_id": user_id, "action": "resource.resubmit", "reason": None}
                stored = await self._repo.update(tx, existing, after, now=self._clock.now(), audit=audit)
            elif existing is not None and existing.status == "pending":
                raise Invalid("resources.duplicate_pending", title=existing.title, id=existing.id)
            elif existing is not None:
                raise Invalid("resources.duplicate_of", title=existing.title, id=existing.id)
            else:
                audit = {"actor_id": user_id, "action": "resource.suggest", "reason": None}
                stored = await self._repo.insert(
                    tx, guild_id, draft, suggested_by=user_id, status="pending", now=self._clock.now(), audit=audit
                )
            await self._queue_card(tx, stored)
            return stored

    async def _queue_card(self, tx: Transaction, resource: Resource) -> None:
        """A resource entered the review queue: its card for the moderators is posted by a durable job.

        The job posts once the server has a moderators' channel the bot may use, and retries when Discord
        refuses or is down, so no suggestion stays without a card.
        """
        await self._repo.set_queue_card(tx, resource.guild_id, resource.id, None, None)
        await self._jobs.enqueue(
            tx,
            QUEUE_CARD_JOB,
            {"resource_id": resource.id},
            guild_id=resource.guild_id,
            dedupe_key=f"{QUEUE_CARD_JOB}:{resource.id}",
        )

    async def waiting_for_card(self, guild_id: int, resource_id: int) -> Resource | None:
        """The resource whose queue card a job should post, or None when there is nothing (left) to post."""
        resource = await self._repo.get(guild_id, resource_id)
        if resource is None or resource.status != "pending" or resource.queue_message_id is not None:
            return None
        return resource

    async def settings_changed(self, tx: Transaction, before: GuildSettings, after: GuildSettings) -> None:
        """A moderators' channel was set or changed: cards waiting for one are posted now."""
        if after.moderator_channel_id is not None and after.moderator_channel_id != before.moderator_channel_id:
            await self._jobs.wake(tx, QUEUE_CARD_JOB, after.guild_id)
            for resource in await self._repo.pending_without_card(after.guild_id, tx):
                await self._queue_card(tx, resource)  # also those whose job died: the dedupe key adds no twin

    async def set_queue_card(self, resource: Resource, channel_id: int | None, message_id: int | None) -> None:
        """Remember the moderators' queue card of a suggestion."""
        async with self._uow.transaction() as tx:
            await self._repo.set_queue_card(tx, resource.guild_id, resource.id, channel_id, message_id)

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
        """Change the status: row, audit entry, index entry and the suggester's notice in one transaction."""
        before = await self.get(guild_id, resource_id)
        if before.status == status:
            raise Invalid("resources.already", status=status)
        after = replace(before, status=status, decision_note=note)
        records = await self._prepare(after)
        notify = None
        if action != "resource.archive" and before.suggested_by not in (actor, BOT_ACTOR):
            notify = before.suggested_by
        async with self._uow.transaction() as tx:
            stored = await self._repo.update(
                tx, before, after, now=self._clock.now(), audit={"actor_id": actor, "action": action, "reason": note}
            )
            await self._write_index(tx, stored, records)
            if notify is not None:
                params = {"title": stored.title, "note": note or ""}
                await self._members.add_notice(tx, guild_id, notify, f"resources.notice.{status}", params)
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
        """A member found a resource helpful (once each); returns False if that changed nothing.

        The library counts the vote for its own lists, and it is the member's one helpfulness vote on the
        resource's search document (ranking uses it from the next search on; it replaces a "not useful" the
        member gave the resource in /ask), both in one transaction.
        """
        resource = await self.get(guild_id, resource_id)
        if resource.status != "approved":
            raise NotFound("resources.not_found")
        async with self._uow.transaction() as tx:
            counted = await self._repo.vote_helpful(tx, guild_id, resource_id, user_id, self._clock.now())
            voted = await self._search.vote(tx, (guild_id, "resource", str(resource_id)), guild_id, user_id, True)
        return counted or voted

    # --- curating --------------------------------------------------------------------------------

    async def edit(
        self,
        guild_id: int,
        resource_id: int,
        moderator_id: int,
        draft: ResourceDraft,
        *,
        expected_version: int | None = None,
    ) -> Resource:
        """Change a resource's fields (moderators).

        ``expected_version`` is the version the moderator saw when they started editing; if the resource
        changed since, the edit is refused rather than silently overwriting the other change.
        """
        before = await self.get(guild_id, resource_id)
        if expected_version is not None and before.version != expected_version:
            raise Conflict("resources.changed_meanwhile")
        after = with_draft(before, draft)
        records = await self._prepare(after)
        audit = {"actor_id": moderator_id, "action": "resource.edit", "reason": None}
        async with self._uow.transaction() as tx:
            stored = await self._repo.update(tx, before, after, now=self._clock.now(), audit=audit)
            await self._write_index(tx, stored, records)
        return stored

    async def set_featured(self, guild_id: int, resource_id: int, moderator_id: int, featured: bool) -> Resource:
        """Feature (or unfeature) an approved resource."""
        before = await self.get(guild_id, resource_id)
        if before.status != "approved":
            raise Invalid("resources.feature_needs_approval")
        after = replace(before, featured=featured)
        records = await self._prepare(after)
        action = "resource.feature" if featured else "resource.unfeature"
        async with self._uow.transaction() as tx:
            audit = {"actor_id": moderator_id, "action": action, "reason": None}
            stored = await self._repo.update(tx, before, after, now=self._clock.now(), audit=audit)
            await self._write_index(tx, stored, records)
        return stored

    async def _prepare(self, resource: Resource) -> list[IndexRecord]:
        """The analysed index record of a resource that will be approved; none for any other status."""
        if resource.status != "approved":
            return []
        return await self._search.prepare([index_document(resource)])

    async def _write_index(self, tx: Transaction, resource: Resource, records: list[IndexRecord]) -> None:
        """Approved resources are in the knowledge index; anything else is not."""
        if resource.status == "approved":
            await self._search.write(tx, [rekey(r, str(resource.id)) for r in records])
        else:
            await self._search.unindex(tx, resource.guild_id, "resource", str(resource.id))

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's suggestions and "helpful" votes in this server."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's votes; keep their suggestions without their id (texts re-indexed)."""
        touched, changed = await self._repo.forget_member(tx, guild_id, user_id)
        docs = []
        for resource_id in changed:
            resource = await self._repo.get(guild_id, resource_id, tx)
            if resource is not None and resource.status == "approved":
                docs.append(index_document(resource))
        if docs:
            await self._search.write(tx, await self._search.prepare(docs))
        return touched

    async def indexed_documents(self) -> list[NewDocument]:
        """What the search index must hold for the library: every approved resource of every server."""
        return [index_document(r) for r in await self._repo.approved()]

    # --- link checks -----------------------------------------------------------------------------

    async def due_for_check(self, older_than: timedelta, limit: int = 50) -> list[Resource]:
        """Approved resources (all servers) whose link was not verified recently."""
        return await self._repo.due_for_check(self._clock.now() - older_than, limit)

    async def schedule_link_checks(self, older_than: timedelta, limit: int = 50) -> int:
        """Queue one check job per approved resource not verified recently (none twice); returns how many."""
        due = await self.due_for_check(older_than, limit)
        queued = 0
        async with self._uow.transaction() as tx:
            for resource in due:
                job = await self._jobs.enqueue(
                    tx,
                    CHECK_JOB,
                    {"resource_id": resource.id},
                    guild_id=resource.guild_id,
                    dedupe_key=f"{CHECK_JOB}:{resource.id}",
                )
                queued += job is not None
        return queued

    async def record_link_check(self, resource: Resource, ok: bool, detail: str) -> Resource:
        """Store a check; a broken link sends the resource back to the moderators' queue.

        Based on the version that was checked: if the resource changed meanwhile (an edit, a decision),
        the result is refused with :class:`Conflict` and the next check looks again.
        """
        now = self._clock.now()
        current = await self.get(resource.guild_id, resource.id)
        if current.version != resource.version:
            raise Conflict("resources.changed_meanwhile")
        after = replace(
            current, link_status="ok" if ok else "broken", link_detail=detail[:200], last_verified=to_iso(now)
        )
        async with self._uow.transaction() as tx:
            if ok or current.status != "approved":
                return await self._repo.update(tx, current, after, now=now, audit=None)
            after = replace(after, status="pending")
            audit = {"actor_id": BOT_ACTOR, "action": "resource.link_broken", "reason": detail[:200]}
            stored = await self._repo.update(tx, current, after, now=now, audit=audit)
            await self._write_index(tx, stored, [])
            await self._queue_card(tx, stored)
            return stored

    # --- starter content, import and export ------------------------------------------------------

    async def import_records(
        self, guild_id: int, actor_id: int, records: Iterable[Any], *, lang: str | None = None
    ) -> ImportReport:
        """Add resources from exported or starter records; existing URLs are skipped (idempotent).

        Every record is validated (all problems listed with record number and field) and analysed before
        anything is stored; then all are stored in one transaction, so a bad file changes nothing.
        """
        parsed = parse_records(records, lang)
        prepared = await self._search.prepare([_draft_document(guild_id, p.draft) for p in parsed])
        added = skipped = 0
        seen: set[str] = set()
        async with self._uow.transaction() as tx:
            for item, record in zip(parsed, prepared, strict=True):
                key = item.draft.url_key
                if key in seen or await self._repo.by_url_key(guild_id, key, tx) is not None:
                    skipped += 1
                    continue
                seen.add(key)
                resource = await self._repo.insert(
                    tx,
                    guild_id,
                    item.draft,
                    suggested_by=actor_id if item.suggested_by is None else item.suggested_by,
                    status=item.status,
                    now=self._clock.now(),
                    featured=item.featured,
                    seed_key=item.seed_key,
                    audit={"actor_id": actor_id, "action": "resource.import", "reason": None},
                    restored=item.restored,
                )
                if resource.status == "approved":
                    featured = replace(record, doc=replace(record.doc, featured=resource.featured))
                    await self._write_index(tx, resource, [featured])
                elif resource.status == "pending":
                    await self._queue_card(tx, resource)
                added += 1
        return ImportReport(added, skipped)

    async def load_starter(
        self, guild_id: int, actor_id: int, locale: str, path: Traversable = STARTER_PATH
    ) -> ImportReport:
        """Load the built-in starter library (summaries in the server's language)."""
        return await self.import_records(guild_id, actor_id, load_starter_records(path), lang=locale)

    async def export(self, guild_id: int) -> list[dict[str, Any]]:
        """Every resource of a server as plain records (round-trips through :meth:`import_records`)."""
        return [resource_to_dict(r) for r in await self._repo.all(guild_id)]


def load_starter_records(path: Traversable = STARTER_PATH) -> list[dict[str, Any]]:
    """The starter resources, by default the built-in ``bot/data/resources.toml`` (a Path works too)."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return list(data.get("resource", []))
