"""SQL for questions and answers: FAQ entries, help-forum posts and answer feedback."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.clock import to_iso
from bot.db.database import Database
from bot.domain.qa_models import FaqEntry, HelpPost
from bot.errors import Conflict

_FAQ_GET = """
    SELECT id, guild_id, title, body, aliases, theme, lang, created_by, updated_by, uses, thread_id,
           created_at, updated_at
    FROM faq_entries
    WHERE guild_id = :guild_id AND id = :id"""

_FAQ_LIST = """
    SELECT id, guild_id, title, body, aliases, theme, lang, created_by, updated_by, uses, thread_id,
           created_at, updated_at
    FROM faq_entries
    WHERE guild_id = :guild_id ORDER BY lower(title)"""

_FAQ_INSERT = """
    INSERT INTO faq_entries (guild_id, title, body, aliases, theme, lang, created_by, updated_by, thread_id,
                             created_at, updated_at)
    VALUES (:guild_id, :title, :body, :aliases, :theme, :lang, :user_id, :user_id, :thread_id, :now, :now)"""

_FAQ_UPDATE = """
    UPDATE faq_entries
    SET title = :title, body = :body, aliases = :aliases, theme = :theme, lang = :lang,
        updated_by = :user_id, updated_at = :now
    WHERE guild_id = :guild_id AND id = :id"""

_FAQ_DELETE = """
    DELETE FROM faq_entries
    WHERE guild_id = :guild_id AND id = :id"""

_FAQ_USE = """
    UPDATE faq_entries SET uses = uses + 1
    WHERE guild_id = :guild_id AND id = :id"""

_POST_GET = """
    SELECT thread_id, guild_id, forum_id, author_id, title, body, status, suggestion_message_id,
           answer_message_id, answer_author_id, answer_text,
           solved_by, solved_at, created_at
    FROM help_posts
    WHERE guild_id = :guild_id AND thread_id = :thread_id"""

_POST_INSERT = """
    INSERT INTO help_posts (thread_id, guild_id, forum_id, author_id, title, body, created_at)
    VALUES (:thread_id, :guild_id, :forum_id, :author_id, :title, :body, :now)
    ON CONFLICT (thread_id) DO NOTHING"""

_POST_SUGGESTION = """
    UPDATE help_posts SET suggestion_message_id = :message_id
    WHERE guild_id = :guild_id AND thread_id = :thread_id AND suggestion_message_id IS NULL"""

_POST_SOLVE = """
    UPDATE help_posts
    SET status = 'solved', answer_message_id = :message_id, answer_author_id = :answer_author_id,
        answer_text = :answer_text, solved_by = :solved_by, solved_at = :now
    WHERE guild_id = :guild_id AND thread_id = :thread_id"""

_POST_OPEN = """
    SELECT thread_id, guild_id, forum_id, author_id, title, body, status, suggestion_message_id,
           answer_message_id, answer_author_id, answer_text,
           solved_by, solved_at, created_at
    FROM help_posts
    WHERE guild_id = :guild_id AND status = 'open'
    ORDER BY created_at, thread_id
    LIMIT :limit OFFSET :offset"""

_POST_OPEN_COUNT = """
    SELECT count(*) FROM help_posts WHERE guild_id = :guild_id AND status = 'open'"""

_POST_DELETE = """
    DELETE FROM help_posts WHERE guild_id = :guild_id AND thread_id = :thread_id"""

_FEEDBACK_GET = """
    SELECT document_id, helpful FROM answer_feedback
    WHERE guild_id = :guild_id AND user_id = :user_id AND search_id = :search_id"""

_FEEDBACK_UPSERT = """
    INSERT INTO answer_feedback (guild_id, user_id, search_id, document_id, helpful, created_at)
    VALUES (:guild_id, :user_id, :search_id, :document_id, :helpful, :now)
    ON CONFLICT (guild_id, user_id, search_id) DO UPDATE SET
        document_id = excluded.document_id, helpful = excluded.helpful, created_at = excluded.created_at"""

_COUNTER = {
    True: "UPDATE knowledge_documents SET helpful = max(0, helpful + :delta) WHERE id = :id",
    False: "UPDATE knowledge_documents SET unhelpful = max(0, unhelpful + :delta) WHERE id = :id",
}

_FAQ_NOT_INDEXED = """
    SELECT id, guild_id, title, body, aliases, theme, lang, created_by, updated_by, uses, thread_id,
           created_at, updated_at
    FROM faq_entries
    WHERE NOT EXISTS (
        SELECT 1 FROM knowledge_documents AS k
        WHERE k.guild_id = faq_entries.guild_id AND k.source = 'faq' AND k.source_key = CAST(faq_entries.id AS TEXT))
    LIMIT :limit"""

_SOLVED_NOT_INDEXED = """
    SELECT thread_id, guild_id, forum_id, author_id, title, body, status, suggestion_message_id,
           answer_message_id, answer_author_id, answer_text, solved_by, solved_at, created_at
    FROM help_posts
    WHERE status = 'solved' AND NOT EXISTS (
        SELECT 1 FROM knowledge_documents AS k
        WHERE k.guild_id = help_posts.guild_id AND k.source = 'thread'
          AND k.source_key = CAST(help_posts.thread_id AS TEXT))
    LIMIT :limit"""

_INDEXED_WITHOUT_SOURCE = """
    SELECT k.guild_id, k.source, k.source_key FROM knowledge_documents AS k
    WHERE (k.source = 'faq' AND NOT EXISTS (
               SELECT 1 FROM faq_entries AS f WHERE f.guild_id = k.guild_id AND CAST(f.id AS TEXT) = k.source_key))
       OR (k.source = 'thread' AND NOT EXISTS (
               SELECT 1 FROM help_posts AS p
               WHERE p.guild_id = k.guild_id AND CAST(p.thread_id AS TEXT) = k.source_key AND p.status = 'solved'))
    LIMIT :limit"""

_LOG_SEARCH = """
    INSERT INTO search_log (guild_id, query, result_count, created_at) VALUES (:guild_id, :query, :count, :now)"""

_LOGGED_QUERY = """
    SELECT query FROM search_log WHERE guild_id = :guild_id AND id = :id"""

_NO_RESULT = """
    SELECT lower(query) AS q, count(*) AS n FROM search_log
    WHERE guild_id = :guild_id AND result_count = 0 AND created_at >= :since
    GROUP BY q ORDER BY n DESC, q LIMIT :limit"""

_NOT_USEFUL = """
    SELECT lower(s.query) AS q, count(*) AS n
    FROM answer_feedback AS f JOIN search_log AS s ON s.id = f.search_id AND s.guild_id = f.guild_id
    WHERE f.guild_id = :guild_id AND f.helpful = 0 AND f.created_at >= :since
    GROUP BY q ORDER BY n DESC, q LIMIT :limit"""

_OPEN_STATS = """
    SELECT count(*), min(created_at) FROM help_posts WHERE guild_id = :guild_id AND status = 'open'"""

_SEARCH_COUNT = """
    SELECT count(*), sum(result_count = 0) FROM search_log WHERE guild_id = :guild_id AND created_at >= :since"""

_FEEDBACK_COUNTS = """
    SELECT sum(helpful), sum(1 - helpful) FROM answer_feedback WHERE guild_id = :guild_id"""


class QaRepo:
    """FAQ entries, help posts and feedback for one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- FAQ -------------------------------------------------------------------------------------

    async def faq_get(self, guild_id: int, entry_id: int) -> FaqEntry | None:
        """One FAQ entry of this server."""
        row = await self._db.fetch_one(_FAQ_GET, {"guild_id": guild_id, "id": entry_id})
        return None if row is None else _to_faq(row)

    async def faq_list(self, guild_id: int) -> list[FaqEntry]:
        """Every FAQ entry of this server, by title."""
        return [_to_faq(row) for row in await self._db.fetch_all(_FAQ_LIST, {"guild_id": guild_id})]

    async def faq_insert(self, entry: FaqEntry, now: datetime) -> int:
        """Store a new entry; a duplicate title in the same server is a Conflict."""
        try:
            async with self._db.transaction() as tx:
                return await tx.execute(_FAQ_INSERT, _faq_params(entry, now))
        except sqlite3.IntegrityError:
            raise Conflict("qa.faq.duplicate", title=entry.title) from None

    async def faq_update(self, entry: FaqEntry, now: datetime) -> bool:
        """Change an entry; returns False if it does not exist in this server."""
        try:
            async with self._db.transaction() as tx:
                return await tx.execute_rowcount(_FAQ_UPDATE, _faq_params(entry, now)) > 0
        except sqlite3.IntegrityError:
            raise Conflict("qa.faq.duplicate", title=entry.title) from None

    async def faq_delete(self, guild_id: int, entry_id: int) -> bool:
        """Remove an entry; returns whether it existed."""
        async with self._db.transaction() as tx:
            return await tx.execute_rowcount(_FAQ_DELETE, {"guild_id": guild_id, "id": entry_id}) > 0

    async def faq_used(self, guild_id: int, entry_id: int) -> None:
        """Count one more use."""
        async with self._db.transaction() as tx:
            await tx.execute(_FAQ_USE, {"guild_id": guild_id, "id": entry_id})

    # --- help posts ------------------------------------------------------------------------------

    async def post_get(self, guild_id: int, thread_id: int) -> HelpPost | None:
        """A help post of this server."""
        row = await self._db.fetch_one(_POST_GET, {"guild_id": guild_id, "thread_id": thread_id})
        return None if row is None else _to_post(row)

    async def post_insert(self, post: HelpPost, now: datetime) -> bool:
        """Record a new post; returns False if it was already known."""
        params = {
            "thread_id": post.thread_id,
            "guild_id": post.guild_id,
            "forum_id": post.forum_id,
            "author_id": post.author_id,
            "title": post.title,
            "body": post.body,
            "now": to_iso(now),
        }
        async with self._db.transaction() as tx:
            return await tx.execute_rowcount(_POST_INSERT, params) > 0

    async def post_claim_suggestion(self, guild_id: int, thread_id: int, message_id: int) -> bool:
        """Record the suggestion message; False if one was already recorded (reply once)."""
        params = {"guild_id": guild_id, "thread_id": thread_id, "message_id": message_id}
        async with self._db.transaction() as tx:
            return await tx.execute_rowcount(_POST_SUGGESTION, params) > 0

    async def post_solve(self, post: HelpPost, now: datetime) -> None:
        """Store the accepted answer and mark the post solved."""
        params = {
            "guild_id": post.guild_id,
            "thread_id": post.thread_id,
            "message_id": post.answer_message_id,
            "answer_author_id": post.answer_author_id,
            "answer_text": post.answer_text,
            "solved_by": post.solved_by,
            "now": to_iso(now),
        }
        async with self._db.transaction() as tx:
            await tx.execute(_POST_SOLVE, params)

    async def posts_open(self, guild_id: int, offset: int, limit: int) -> tuple[list[HelpPost], int]:
        """Open posts, oldest first, one page; plus the total."""
        rows = await self._db.fetch_all(_POST_OPEN, {"guild_id": guild_id, "offset": offset, "limit": limit})
        total = int(await self._db.fetch_value(_POST_OPEN_COUNT, {"guild_id": guild_id}) or 0)
        return [_to_post(row) for row in rows], total

    async def post_delete(self, guild_id: int, thread_id: int) -> None:
        """Forget a post (its thread was deleted)."""
        async with self._db.transaction() as tx:
            await tx.execute(_POST_DELETE, {"guild_id": guild_id, "thread_id": thread_id})

    # --- feedback --------------------------------------------------------------------------------

    async def record_feedback(
        self, guild_id: int, user_id: int, search_id: int, document_id: int | None, helpful: bool, now: datetime
    ) -> None:
        """Store one member's verdict on one answer, replacing an earlier one, and keep counters right."""
        key = {"guild_id": guild_id, "user_id": user_id, "search_id": search_id}
        async with self._db.transaction() as tx:
            old = await tx.fetch_one(_FEEDBACK_GET, key)
            if old is not None and old["document_id"] is not None:
                await tx.execute(_COUNTER[bool(old["helpful"])], {"delta": -1, "id": old["document_id"]})
            await tx.execute(
                _FEEDBACK_UPSERT, {**key, "document_id": document_id, "helpful": int(helpful), "now": to_iso(now)}
            )
            if document_id is not None:
                await tx.execute(_COUNTER[helpful], {"delta": 1, "id": document_id})

    async def index_drift(self, limit: int) -> tuple[list[FaqEntry], list[HelpPost], list[tuple[int, str, str]]]:
        """FAQ entries and solved posts missing from the index, and index entries whose source is gone."""
        faqs = [_to_faq(r) for r in await self._db.fetch_all(_FAQ_NOT_INDEXED, {"limit": limit})]
        posts = [_to_post(r) for r in await self._db.fetch_all(_SOLVED_NOT_INDEXED, {"limit": limit})]
        rows = await self._db.fetch_all(_INDEXED_WITHOUT_SOURCE, {"limit": limit})
        return faqs, posts, [(r["guild_id"], r["source"], r["source_key"]) for r in rows]

    async def log_search(self, guild_id: int, query: str, result_count: int, now: datetime) -> int:
        """Record an /ask search (for feedback and moderators' gap figures); return its id."""
        params = {"guild_id": guild_id, "query": query, "count": result_count, "now": to_iso(now)}
        async with self._db.transaction() as tx:
            return await tx.execute(_LOG_SEARCH, params)

    async def logged_query(self, guild_id: int, search_id: int) -> str | None:
        """The text of an earlier search in this server."""
        value = await self._db.fetch_value(_LOGGED_QUERY, {"guild_id": guild_id, "id": search_id})
        return None if value is None else str(value)

    async def gap_figures(self, guild_id: int, since: datetime, limit: int) -> dict[str, object]:
        """What the community lacks: searches without results, answers marked not useful, open posts."""
        params = {"guild_id": guild_id, "since": to_iso(since), "limit": limit}
        no_result = [(r["q"], r["n"]) for r in await self._db.fetch_all(_NO_RESULT, params)]
        not_useful = [(r["q"], r["n"]) for r in await self._db.fetch_all(_NOT_USEFUL, params)]
        open_row = await self._db.fetch_one(_OPEN_STATS, {"guild_id": guild_id})
        search_row = await self._db.fetch_one(_SEARCH_COUNT, params)
        return {
            "no_result": no_result,
            "not_useful": not_useful,
            "open_posts": int(open_row[0] or 0) if open_row else 0,
            "oldest_open": open_row[1] if open_row else None,
            "searches": int(search_row[0] or 0) if search_row else 0,
            "searches_without_result": int(search_row[1] or 0) if search_row else 0,
        }

    async def feedback_counts(self, guild_id: int) -> tuple[int, int]:
        """(helpful, not useful) verdicts in this server."""
        row = await self._db.fetch_one(_FEEDBACK_COUNTS, {"guild_id": guild_id})
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def _faq_params(entry: FaqEntry, now: datetime) -> dict[str, object]:
    return {
        "id": entry.id,
        "guild_id": entry.guild_id,
        "title": entry.title,
        "body": entry.body,
        "aliases": json.dumps(list(entry.aliases), ensure_ascii=False),
        "theme": entry.theme,
        "lang": entry.lang,
        "user_id": entry.updated_by,
        "thread_id": entry.thread_id,
        "now": to_iso(now),
    }


def _to_faq(row: sqlite3.Row) -> FaqEntry:
    return FaqEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        title=row["title"],
        body=row["body"],
        aliases=tuple(json.loads(row["aliases"])),
        theme=row["theme"],
        lang=row["lang"],
        created_by=row["created_by"],
        updated_by=row["updated_by"],
        uses=row["uses"],
        thread_id=row["thread_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _to_post(row: sqlite3.Row) -> HelpPost:
    return HelpPost(
        thread_id=row["thread_id"],
        guild_id=row["guild_id"],
        forum_id=row["forum_id"],
        author_id=row["author_id"],
        title=row["title"],
        body=row["body"],
        status=row["status"],
        suggestion_message_id=row["suggestion_message_id"],
        answer_message_id=row["answer_message_id"],
        answer_author_id=row["answer_author_id"],
        answer_text=row["answer_text"],
        solved_by=row["solved_by"],
        solved_at=row["solved_at"],
        created_at=row["created_at"],
    )
