"""SQL for the resource library. Every change is written together with its audit entry."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.audit import insert_audit
from bot.db.repos.privacy import neutralise_text
from bot.domain.privacy import FORGOTTEN
from bot.domain.resources import Resource, ResourceDraft
from bot.errors import Conflict

_COLUMNS_SELECT = """
    SELECT id, guild_id, title, url, url_key, summary, theme, tags, language, licence, type, audience, publisher,
           suggested_by, status, featured, helpful, decision_note, link_status, link_detail, last_verified,
           queue_channel_id, queue_message_id, seed_key, created_at, updated_at, version
    FROM resources"""

_GET = (
    _COLUMNS_SELECT
    + """
    WHERE guild_id = :guild_id AND id = :id"""
)

_BY_KEY = (
    _COLUMNS_SELECT
    + """
    WHERE guild_id = :guild_id AND url_key = :url_key"""
)

_BY_STATUS = (
    _COLUMNS_SELECT
    + """
    WHERE guild_id = :guild_id AND status = :status
    ORDER BY created_at, id
    LIMIT :limit OFFSET :offset"""
)

_COUNT_STATUS = """
    SELECT count(*) FROM resources WHERE guild_id = :guild_id AND status = :status"""

_BROWSE = (
    _COLUMNS_SELECT
    + """
    WHERE guild_id = :guild_id AND status = 'approved' AND (:theme IS NULL OR theme = :theme)
    ORDER BY featured DESC, helpful DESC, lower(title)
    LIMIT :limit OFFSET :offset"""
)

_COUNT_BROWSE = """
    SELECT count(*) FROM resources
    WHERE guild_id = :guild_id AND status = 'approved' AND (:theme IS NULL OR theme = :theme)"""

_ALL = (
    _COLUMNS_SELECT
    + """
    WHERE guild_id = :guild_id
    ORDER BY id"""
)

_DUE_FOR_CHECK = (
    _COLUMNS_SELECT
    + """
    WHERE status = 'approved' AND (last_verified IS NULL OR last_verified <= :before)
    ORDER BY last_verified IS NOT NULL, last_verified, id
    LIMIT :limit"""
)

_RECENT_BY_MEMBER = """
    SELECT count(*) FROM resources WHERE guild_id = :guild_id AND suggested_by = :user_id AND created_at >= :since"""

_INSERT = """
    INSERT INTO resources (guild_id, title, url, url_key, summary, theme, tags, language, licence, type, audience,
                           publisher, suggested_by, status, featured, helpful, decision_note, link_status,
                           link_detail, last_verified, seed_key, created_at, updated_at)
    VALUES (:guild_id, :title, :url, :url_key, :summary, :theme, :tags, :language, :licence, :type, :audience,
            :publisher, :suggested_by, :status, :featured, :helpful, :decision_note, :link_status,
            :link_detail, :last_verified, :seed_key, :created_at, :updated_at)"""

RESTORABLE = ("helpful", "decision_note", "link_status", "link_detail", "last_verified", "created_at", "updated_at")
"""Fields an import may carry over from an export, so a round trip reproduces every field."""

_UPDATE = """
    UPDATE resources
    SET title = :title, url = :url, url_key = :url_key, summary = :summary, theme = :theme, tags = :tags,
        language = :language, licence = :licence, type = :type, audience = :audience, publisher = :publisher,
        status = :status, featured = :featured, decision_note = :decision_note, link_status = :link_status,
        link_detail = :link_detail, last_verified = :last_verified, updated_at = :now, version = version + 1
    WHERE guild_id = :guild_id AND id = :id AND version = :expected_version"""

_APPROVED = (
    _COLUMNS_SELECT
    + """
    WHERE status = 'approved'
    ORDER BY id"""
)

_PENDING_WITHOUT_CARD = (
    _COLUMNS_SELECT
    + """
    WHERE guild_id = :guild_id AND status = 'pending' AND queue_message_id IS NULL
    ORDER BY id"""
)

_SET_CARD = """
    UPDATE resources SET queue_channel_id = :channel_id, queue_message_id = :message_id
    WHERE guild_id = :guild_id AND id = :id"""

_VOTE = """
    INSERT INTO resource_votes (guild_id, resource_id, user_id, created_at) VALUES (:guild_id, :id, :user_id, :now)
    ON CONFLICT (resource_id, user_id) DO NOTHING"""

_BUMP_HELPFUL = """
    UPDATE resources SET helpful = helpful + 1 WHERE guild_id = :guild_id AND id = :id"""


_EXPORT: dict[str, str] = {
    "resource_suggestions": """
        SELECT id, title, url, summary, status, decision_note, created_at FROM resources
        WHERE guild_id = :guild_id AND suggested_by = :user_id ORDER BY id""",
    "resource_votes": """
        SELECT resource_id, created_at FROM resource_votes
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY created_at""",
}

_FORGET: tuple[str, ...] = (
    """UPDATE resources SET helpful = max(0, helpful - 1)
       WHERE guild_id = :guild_id AND id IN (SELECT resource_id FROM resource_votes
                                              WHERE guild_id = :guild_id AND user_id = :user_id)""",
    "DELETE FROM resource_votes WHERE guild_id = :guild_id AND user_id = :user_id",
    "UPDATE resources SET suggested_by = :forgotten WHERE guild_id = :guild_id AND suggested_by = :user_id",
)

_TEXT = ("title", "url", "url_key", "summary", "tags", "publisher", "decision_note", "link_detail")


class ResourcesRepo:
    """Resources of all servers; every query is scoped by ``guild_id``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, resource_id: int, tx: Reader | None = None) -> Resource | None:
        """One resource of this server."""
        row = await (tx or self._db).fetch_one(_GET, {"guild_id": guild_id, "id": resource_id})
        return None if row is None else _to_resource(row)

    async def by_url_key(self, guild_id: int, url_key: str, tx: Reader | None = None) -> Resource | None:
        """The resource with this normalised URL in this server."""
        row = await (tx or self._db).fetch_one(_BY_KEY, {"guild_id": guild_id, "url_key": url_key})
        return None if row is None else _to_resource(row)

    async def by_status(self, guild_id: int, status: str, offset: int, limit: int) -> tuple[list[Resource], int]:
        """Resources with one status, oldest first; plus the total."""
        params = {"guild_id": guild_id, "status": status, "offset": offset, "limit": limit}
        async with self._db.snapshot() as read:  # the page and its total from one committed state
            rows = await read.fetch_all(_BY_STATUS, params)
            total = int(await read.fetch_value(_COUNT_STATUS, {"guild_id": guild_id, "status": status}) or 0)
        return [_to_resource(r) for r in rows], total

    async def browse(self, guild_id: int, theme: str | None, offset: int, limit: int) -> tuple[list[Resource], int]:
        """Approved resources, featured first; plus the total."""
        params = {"guild_id": guild_id, "theme": theme, "offset": offset, "limit": limit}
        async with self._db.snapshot() as read:
            rows = await read.fetch_all(_BROWSE, params)
            total = int(await read.fetch_value(_COUNT_BROWSE, {"guild_id": guild_id, "theme": theme}) or 0)
        return [_to_resource(r) for r in rows], total

    async def all(self, guild_id: int) -> list[Resource]:
        """Every resource of a server (for export)."""
        return [_to_resource(r) for r in await self._db.fetch_all(_ALL, {"guild_id": guild_id})]

    async def due_for_check(self, before: datetime, limit: int) -> list[Resource]:
        """Approved resources (of every server) not verified since ``before``, never-checked first."""
        rows = await self._db.fetch_all(_DUE_FOR_CHECK, {"before": to_iso(before), "limit": limit})
        return [_to_resource(r) for r in rows]

    async def suggestions_since(self, guild_id: int, user_id: int, since: datetime, tx: Reader | None = None) -> int:
        """How many resources a member suggested since a moment (for the cooldown)."""
        params = {"guild_id": guild_id, "user_id": user_id, "since": to_iso(since)}
        return int(await (tx or self._db).fetch_value(_RECENT_BY_MEMBER, params) or 0)

    async def insert(
        self,
        tx: Transaction,
        guild_id: int,
        draft: ResourceDraft,
        *,
        suggested_by: int,
        status: str,
        now: datetime,
        audit: dict[str, Any] | None,
        seed_key: str | None = None,
        featured: bool = False,
        restored: dict[str, Any] | None = None,
    ) -> Resource:
        """Store a new resource (and its audit entry, if given); a duplicate URL is a Conflict.

        ``restored`` carries the :data:`RESTORABLE` fields of an exported record.
        """
        extra = {name: (restored or {}).get(name) for name in RESTORABLE}
        params = {
            **_draft_params(draft),
            **extra,
            "helpful": int(extra["helpful"] or 0),
            "created_at": extra["created_at"] or to_iso(now),
            "updated_at": extra["updated_at"] or to_iso(now),
            "guild_id": guild_id,
            "suggested_by": suggested_by,
            "status": status,
            "featured": int(featured),
            "seed_key": seed_key,
        }
        try:
            new_id = await tx.execute(_INSERT, params)
        except sqlite3.IntegrityError:
            raise Conflict("resources.duplicate", url=draft.url) from None
        row = await tx.fetch_one(_GET, {"guild_id": guild_id, "id": new_id})
        assert row is not None
        resource = _to_resource(row)
        if audit is not None:
            await insert_audit(
                tx,
                guild_id=guild_id,
                target_type="resource",
                target_id=str(new_id),
                before=None,
                after=resource.snapshot(),
                now=now,
                **audit,
            )
        return resource

    async def update(
        self, tx: Transaction, before: Resource, after: Resource, *, now: datetime, audit: dict[str, Any] | None
    ) -> Resource:
        """Store a changed resource together with its audit entry, inside the caller's transaction.

        Optimistic: if someone changed the resource since ``before`` was read (two moderators deciding at
        once, an edit racing a link check), nothing is written and :class:`Conflict` is raised.
        """
        params = {
            "expected_version": before.version,
            **_draft_params(after),
            "guild_id": after.guild_id,
            "id": after.id,
            "status": after.status,
            "featured": int(after.featured),
            "decision_note": after.decision_note,
            "link_status": after.link_status,
            "link_detail": after.link_detail,
            "last_verified": after.last_verified,
            "now": to_iso(now),
        }
        try:
            changed = await tx.execute_rowcount(_UPDATE, params)
        except sqlite3.IntegrityError:
            raise Conflict("resources.duplicate", url=after.url) from None
        if changed == 0:
            raise Conflict("resources.changed_meanwhile")
        if audit is not None:
            await insert_audit(
                tx,
                guild_id=after.guild_id,
                target_type="resource",
                target_id=str(after.id),
                before=before.snapshot(),
                after=after.snapshot(),
                now=now,
                **audit,
            )
        return replace(after, updated_at=to_iso(now), version=before.version + 1)

    async def set_queue_card(
        self, tx: Transaction, guild_id: int, resource_id: int, channel_id: int | None, message_id: int | None
    ) -> None:
        """Remember where the queue card of a resource was posted (not a content change: no new version)."""
        params = {"guild_id": guild_id, "id": resource_id, "channel_id": channel_id, "message_id": message_id}
        await tx.execute(_SET_CARD, params)

    async def vote_helpful(self, tx: Transaction, guild_id: int, resource_id: int, user_id: int, now: datetime) -> bool:
        """One "helpful" vote per member; returns False if they had voted already."""
        params = {"guild_id": guild_id, "id": resource_id, "user_id": user_id, "now": to_iso(now)}
        if await tx.execute_rowcount(_VOTE, params) == 0:
            return False
        await tx.execute(_BUMP_HELPFUL, {"guild_id": guild_id, "id": resource_id})
        return True

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's suggestions and votes in one server."""
        params = {"guild_id": guild_id, "user_id": user_id}
        return {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> tuple[int, list[int]]:
        """Delete the member's votes, anonymise their suggestions, mask their id in resource texts.

        Returns the rows touched and the ids of resources whose text changed (to re-index).
        """
        params = {"guild_id": guild_id, "user_id": user_id, "forgotten": FORGOTTEN}
        touched = 0
        for sql in _FORGET:
            touched += await tx.execute_rowcount(sql, params)
        changed = await neutralise_text(tx, "resources", _TEXT, guild_id, user_id, key="id", versioned=True)
        return touched + len(changed), changed

    async def pending_without_card(self, guild_id: int, tx: Reader | None = None) -> list[Resource]:
        """Suggestions of a server that wait for review and whose card was never posted."""
        rows = await (tx or self._db).fetch_all(_PENDING_WITHOUT_CARD, {"guild_id": guild_id})
        return [_to_resource(r) for r in rows]

    async def approved(self) -> list[Resource]:
        """Every approved resource of every server (what the search index must hold)."""
        return [_to_resource(r) for r in await self._db.fetch_all(_APPROVED)]


def _draft_params(draft: ResourceDraft | Resource) -> dict[str, Any]:
    return {
        "title": draft.title,
        "url": draft.url,
        "url_key": draft.url_key,
        "summary": draft.summary,
        "theme": draft.theme,
        "tags": json.dumps(list(draft.tags), ensure_ascii=False),
        "language": draft.language,
        "licence": draft.licence,
        "type": draft.type,
        "audience": draft.audience,
        "publisher": draft.publisher,
    }


def _to_resource(row: sqlite3.Row) -> Resource:
    return Resource(
        id=row["id"],
        guild_id=row["guild_id"],
        title=row["title"],
        url=row["url"],
        url_key=row["url_key"],
        summary=row["summary"],
        theme=row["theme"],
        tags=tuple(json.loads(row["tags"])),
        language=row["language"],
        licence=row["licence"],
        type=row["type"],
        audience=row["audience"],
        publisher=row["publisher"],
        suggested_by=row["suggested_by"],
        status=row["status"],
        featured=bool(row["featured"]),
        helpful=row["helpful"],
        decision_note=row["decision_note"],
        link_status=row["link_status"],
        link_detail=row["link_detail"],
        last_verified=row["last_verified"],
        queue_channel_id=row["queue_channel_id"],
        queue_message_id=row["queue_message_id"],
        seed_key=row["seed_key"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )
