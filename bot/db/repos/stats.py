"""Read-only SQL for the moderators' statistics (/stats, ``steunpunt stats``): counts over existing tables.

Nothing here writes. Every method takes the :class:`Reader` it runs on, so the service can read every figure
from one snapshot. A period is closed, ``[start, end]`` (its end is now: what happened this second counts), and
compared as ISO-8601 UTC text (as the Clock stores it); weeks are UTC weeks, keyed by their Monday (``YYYY-MM-DD``).
"""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Reader

# date(x, '-6 days', 'weekday 1'): the Monday on or before x (back six days, then on to a Monday, inclusive)
_SEARCHES = """
    SELECT date(created_at, '-6 days', 'weekday 1') AS week, count(*) AS total, sum(result_count = 0) AS zero
    FROM search_log
    WHERE guild_id = :guild_id AND created_at >= :start AND created_at <= :end
    GROUP BY week"""

_POSTS = """
    SELECT date(created_at, '-6 days', 'weekday 1') AS week, count(*) AS opened, sum(status = 'solved') AS solved
    FROM help_posts
    WHERE guild_id = :guild_id AND created_at >= :start AND created_at <= :end
    GROUP BY week"""

_ANSWERS = """
    SELECT thread_id, answer_message_id FROM help_posts
    WHERE guild_id = :guild_id AND created_at >= :start AND created_at <= :end
      AND status = 'solved' AND answer_message_id IS NOT NULL"""

_TOP_RESOURCES = """
    SELECT d.title, d.source_key, count(*) AS votes
    FROM knowledge_votes AS v
    JOIN knowledge_documents AS d
      ON d.guild_id = v.doc_guild_id AND d.source = v.source AND d.source_key = v.source_key
    WHERE v.guild_id = :guild_id AND v.helpful = 1 AND d.kind = 'resource'
      AND v.created_at >= :start AND v.created_at <= :end
    GROUP BY v.doc_guild_id, v.source, v.source_key
    ORDER BY votes DESC, d.title, d.id
    LIMIT :limit"""

_MATCHES = """
    SELECT count(*) AS requests, coalesce(sum(status = 'matched'), 0) AS accepted
    FROM match_requests
    WHERE guild_id = :guild_id AND created_at >= :start AND created_at <= :end"""

_OUTCOMES = """
    SELECT coalesce(i.requester_outcome, i.offerer_outcome, 'awaiting') AS outcome, count(*) AS n
    FROM introductions AS i JOIN match_requests AS r ON r.id = i.request_id
    WHERE r.guild_id = :guild_id AND r.created_at >= :start AND r.created_at <= :end AND i.status = 'accepted'
    GROUP BY outcome"""

_SUBSCRIBERS = """
    SELECT count(*) FROM digest_subscriptions WHERE guild_id = :guild_id AND unreachable_at IS NULL"""

_DELIVERIES = """
    SELECT coalesce(sum(status = 'sent' AND sent_at >= :start AND sent_at <= :end), 0) AS sent,
           coalesce(sum(status IN ('failed', 'unreachable')
                        AND coalesce(attempted_at, created_at) >= :start
                        AND coalesce(attempted_at, created_at) <= :end), 0) AS failed
    FROM digest_deliveries
    WHERE guild_id = :guild_id
      AND ((sent_at >= :start AND sent_at <= :end)
           OR (coalesce(attempted_at, created_at) >= :start AND coalesce(attempted_at, created_at) <= :end))"""

_KNOWN = """
    SELECT EXISTS (SELECT 1 FROM guild_settings WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM search_log WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM help_posts WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM resources WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM knowledge_votes WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM match_requests WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM digest_subscriptions WHERE guild_id = :guild_id)
        OR EXISTS (SELECT 1 FROM digest_deliveries WHERE guild_id = :guild_id)"""


def _period(guild_id: int, start: datetime, end: datetime) -> dict[str, object]:
    return {"guild_id": guild_id, "start": to_iso(start), "end": to_iso(end)}


class StatsRepo:
    """Counts for one server over a period; every query is scoped by ``guild_id`` and only reads."""

    async def searches_by_week(
        self, read: Reader, guild_id: int, start: datetime, end: datetime
    ) -> dict[str, tuple[int, int]]:
        """Searches per week (Monday ``YYYY-MM-DD``): ``(all, without results)``."""
        rows = await read.fetch_all(_SEARCHES, _period(guild_id, start, end))
        return {str(r["week"]): (int(r["total"]), int(r["zero"] or 0)) for r in rows}

    async def posts_by_week(
        self, read: Reader, guild_id: int, start: datetime, end: datetime
    ) -> dict[str, tuple[int, int]]:
        """Help posts opened per week, and how many of them are solved now: ``(opened, solved)``."""
        rows = await read.fetch_all(_POSTS, _period(guild_id, start, end))
        return {str(r["week"]): (int(r["opened"]), int(r["solved"] or 0)) for r in rows}

    async def accepted_answers(
        self, read: Reader, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, int]]:
        """``(thread id, accepted answer's message id)`` of the posts opened in the period and solved since."""
        rows = await read.fetch_all(_ANSWERS, _period(guild_id, start, end))
        return [(int(r["thread_id"]), int(r["answer_message_id"])) for r in rows]

    async def top_resources(
        self, read: Reader, guild_id: int, start: datetime, end: datetime, limit: int
    ) -> list[tuple[str, str, int]]:
        """Resources with the most "helpful" votes cast in this server in the period: ``(title, key, votes)``."""
        rows = await read.fetch_all(_TOP_RESOURCES, {**_period(guild_id, start, end), "limit": limit})
        return [(str(r["title"]), str(r["source_key"]), int(r["votes"])) for r in rows]

    async def match_requests(self, read: Reader, guild_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        """Match requests made in the period, and how many of them an offerer accepted."""
        row = await read.fetch_one(_MATCHES, _period(guild_id, start, end))
        return (0, 0) if row is None else (int(row["requests"]), int(row["accepted"]))

    async def match_outcomes(self, read: Reader, guild_id: int, start: datetime, end: datetime) -> dict[str, int]:
        """Accepted introductions of the period's requests by outcome (``awaiting``: no answer yet)."""
        rows = await read.fetch_all(_OUTCOMES, _period(guild_id, start, end))
        return {str(r["outcome"]): int(r["n"]) for r in rows}

    async def digest_subscribers(self, read: Reader, guild_id: int) -> int:
        """Members subscribed to a personal digest now (not marked unreachable)."""
        return int(await read.fetch_value(_SUBSCRIBERS, {"guild_id": guild_id}) or 0)

    async def digest_deliveries(self, read: Reader, guild_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        """Personal digests sent in the period, and those that failed for good (closed DMs included)."""
        row = await read.fetch_one(_DELIVERIES, _period(guild_id, start, end))
        return (0, 0) if row is None else (int(row["sent"]), int(row["failed"]))

    async def known(self, read: Reader, guild_id: int) -> bool:
        """Whether the database holds anything at all of this server."""
        return bool(await read.fetch_value(_KNOWN, {"guild_id": guild_id}))
