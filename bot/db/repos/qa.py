"""SQL for questions and answers: FAQ entries, help-forum posts and answer feedback."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.db.repos.privacy import neutralise_text
from bot.domain.privacy import FORGOTTEN
from bot.domain.qa_models import FaqEntry, HelpPost
from bot.errors import Conflict

_FAQ_GET = """
    SELECT id, guild_id, title, body, aliases, theme, lang, created_by, updated_by, uses, thread_id,
           created_at, updated_at, version
    FROM faq_entries
    WHERE guild_id = :guild_id AND id = :id"""

_FAQ_LIST = """
    SELECT id, guild_id, title, body, aliases, theme, lang, created_by, updated_by, uses, thread_id,
           created_at, updated_at, version
    FROM faq_entries
    WHERE guild_id = :guild_id ORDER BY lower(title)"""

_FAQ_INSERT = """
    INSERT INTO faq_entries (guild_id, title, body, aliases, theme, lang, created_by, updated_by, thread_id,
                             created_at, updated_at)
    VALUES (:guild_id, :title, :body, :aliases, :theme, :lang, :user_id, :user_id, :thread_id, :now, :now)"""

_FAQ_UPDATE = """
    UPDATE faq_entries
    SET title = :title, body = :body, aliases = :aliases, theme = :theme, lang = :lang,
        updated_by = :user_id, updated_at = :now, version = version + 1
    WHERE guild_id = :guild_id AND id = :id AND version = :version"""

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
    SELECT f.document_id, d.guild_id AS doc_guild_id, d.source, d.source_key
    FROM answer_feedback AS f LEFT JOIN knowledge_documents AS d ON d.id = f.document_id
    WHERE f.guild_id = :guild_id AND f.user_id = :user_id AND f.search_id = :search_id"""

_FEEDBACK_NAMES = """
    SELECT EXISTS (SELECT 1 FROM answer_feedback
                   WHERE guild_id = :guild_id AND user_id = :user_id AND document_id = :document_id)"""

_FEEDBACK_UPSERT = """
    INSERT INTO answer_feedback (guild_id, user_id, search_id, document_id, helpful, created_at)
    VALUES (:guild_id, :user_id, :search_id, :document_id, :helpful, :now)
    ON CONFLICT (guild_id, user_id, search_id) DO UPDATE SET
        document_id = excluded.document_id, helpful = excluded.helpful, created_at = excluded.created_at"""

_FAQ_ALL = """
    SELECT id, guild_id, title, body, aliases, theme, lang, created_by, updated_by, uses, thread_id,
           created_at, updated_at, version
    FROM faq_entries
    ORDER BY id"""

_SOLVED_ALL = """
    SELECT thread_id, guild_id, forum_id, author_id, title, body, status, suggestion_message_id,
           answer_message_id, answer_author_id, answer_text, solved_by, solved_at, created_at
    FROM help_posts
    WHERE status = 'solved'
    ORDER BY thread_id"""

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


_EXPORT: dict[str, str] = {
    "faq_entries": """
        SELECT id, title, body, created_at FROM faq_entries
        WHERE guild_id = :guild_id AND (created_by = :user_id OR updated_by = :user_id) ORDER BY id""",
    "help_posts": """
        SELECT thread_id, title, body, status, created_at FROM help_posts
        WHERE guild_id = :guild_id AND author_id = :user_id ORDER BY created_at""",
    "accepted_answers": """
        SELECT thread_id, title, answer_text, solved_at FROM help_posts
        WHERE guild_id = :guild_id AND answer_author_id = :user_id ORDER BY solved_at""",
    "answer_feedback": """
        SELECT search_id, document_id, helpful, created_at FROM answer_feedback
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY id""",
}

_FORGET: tuple[str, ...] = (
    # the member's helpfulness votes (knowledge_votes) are the search engine's: it deletes them and recounts
    "DELETE FROM answer_feedback WHERE guild_id = :guild_id AND user_id = :user_id",
    "UPDATE faq_entries SET created_by = :forgotten WHERE guild_id = :guild_id AND created_by = :user_id",
    "UPDATE faq_entries SET updated_by = :forgotten WHERE guild_id = :guild_id AND updated_by = :user_id",
    "UPDATE help_posts SET author_id = :forgotten WHERE guild_id = :guild_id AND author_id = :user_id",
    "UPDATE help_posts SET answer_author_id = :forgotten WHERE guild_id = :guild_id AND answer_author_id = :user_id",
    "UPDATE help_posts SET solved_by = :forgotten WHERE guild_id = :guild_id AND solved_by = :user_id",
)

_FAQ_TEXT = ("title", "body", "aliases")
_POST_TEXT = ("title", "body", "answer_text")


class QaRepo:
    """FAQ entries, help posts and feedback for one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- FAQ -------------------------------------------------------------------------------------

    async def faq_get(self, guild_id: int, entry_id: int, tx: Reader | None = None) -> FaqEntry | None:
        """One FAQ entry of this server."""
        row = await (tx or self._db).fetch_one(_FAQ_GET, {"guild_id": guild_id, "id": entry_id})
        return None if row is None else _to_faq(row)

    async def faq_list(self, guild_id: int) -> list[FaqEntry]:
        """Every FAQ entry of this server, by title."""
        return [_to_faq(row) for row in await self._db.fetch_all(_FAQ_LIST, {"guild_id": guild_id})]

    async def faq_insert(self, tx: Transaction, entry: FaqEntry, now: datetime) -> int:
        """Store a new entry; a duplicate title in the same server is a Conflict."""
        try:
            return await tx.execute(_FAQ_INSERT, _faq_params(entry, now))
        except sqlite3.IntegrityError:
            raise Conflict("qa.faq.duplicate", title=entry.title) from None

    async def faq_update(self, tx: Transaction, entry: FaqEntry, now: datetime) -> bool:
        """Change an entry if it is still at ``entry.version``; False if it is gone or was changed meanwhile."""
        try:
            return await tx.execute_rowcount(_FAQ_UPDATE, _faq_params(entry, now)) > 0
        except sqlite3.IntegrityError:
            raise Conflict("qa.faq.duplicate", title=entry.title) from None

    async def faq_delete(self, tx: Transaction, guild_id: int, entry_id: int) -> bool:
        """Remove an entry; returns whether it existed."""
        return await tx.execute_rowcount(_FAQ_DELETE, {"guild_id": guild_id, "id": entry_id}) > 0

    async def faq_used(self, tx: Transaction, guild_id: int, entry_id: int) -> None:
        """Count one more use."""
        await tx.execute(_FAQ_USE, {"guild_id": guild_id, "id": entry_id})

    async def faq_all(self) -> list[FaqEntry]:
        """Every FAQ entry of every server (what the search index must hold)."""
        return [_to_faq(row) for row in await self._db.fetch_all(_FAQ_ALL)]

    async def solved_all(self) -> list[HelpPost]:
        """Every solved help post of every server (what the search index must hold)."""
        return [_to_post(row) for row in await self._db.fetch_all(_SOLVED_ALL)]

    # --- help posts ------------------------------------------------------------------------------

    async def post_get(self, guild_id: int, thread_id: int, tx: Reader | None = None) -> HelpPost | None:
        """A help post of this server."""
        row = await (tx or self._db).fetch_one(_POST_GET, {"guild_id": guild_id, "thread_id": thread_id})
        return None if row is None else _to_post(row)

    async def post_insert(self, tx: Transaction, post: HelpPost, now: datetime) -> bool:
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
        return await tx.execute_rowcount(_POST_INSERT, params) > 0

    async def post_claim_suggestion(self, tx: Transaction, guild_id: int, thread_id: int, message_id: int) -> bool:
        """Record the suggestion message; False if one was already recorded (reply once)."""
        params = {"guild_id": guild_id, "thread_id": thread_id, "message_id": message_id}
        return await tx.execute_rowcount(_POST_SUGGESTION, params) > 0

    async def post_solve(self, tx: Transaction, post: HelpPost, now: datetime) -> bool:
        """Store the accepted answer and mark the post solved; False if the post is gone (thread deleted)."""
        params = {
            "guild_id": post.guild_id,
            "thread_id": post.thread_id,
            "message_id": post.answer_message_id,
            "answer_author_id": post.answer_author_id,
            "answer_text": post.answer_text,
            "solved_by": post.solved_by,
            "now": to_iso(now),
        }
        return await tx.execute_rowcount(_POST_SOLVE, params) > 0

    async def posts_open(self, guild_id: int, offset: int, limit: int) -> tuple[list[HelpPost], int]:
        """Open posts, oldest first, one page; plus the total."""
        async with self._db.snapshot() as read:  # the page and its total from one committed state
            rows = await read.fetch_all(_POST_OPEN, {"guild_id": guild_id, "offset": offset, "limit": limit})
            total = int(await read.fetch_value(_POST_OPEN_COUNT, {"guild_id": guild_id}) or 0)
        return [_to_post(row) for row in rows], total

    async def post_delete(self, tx: Transaction, guild_id: int, thread_id: int) -> bool:
        """Forget a post (its thread was deleted); False if it was not known."""
        return await tx.execute_rowcount(_POST_DELETE, {"guild_id": guild_id, "thread_id": thread_id}) > 0

    # --- feedback --------------------------------------------------------------------------------

    async def record_feedback(
        self,
        tx: Transaction,
        guild_id: int,
        user_id: int,
        search_id: int,
        document_id: int | None,
        helpful: bool,
        now: datetime,
    ) -> tuple[int, str, str] | None:
        """Store one member's verdict on one answer (a search), replacing their earlier verdict on it.

        Returns the identity ``(guild_id, source, source_key)`` of the document the earlier verdict named when
        the member's verdicts in this server no longer name it (so the vote it cast can be withdrawn); else None.
        """
        key = {"guild_id": guild_id, "user_id": user_id, "search_id": search_id}
        old = await tx.fetch_one(_FEEDBACK_GET, key)
        await tx.execute(
            _FEEDBACK_UPSERT, {**key, "document_id": document_id, "helpful": int(helpful), "now": to_iso(now)}
        )
        if old is None or old["document_id"] is None or old["document_id"] == document_id or old["source"] is None:
            return None
        named = {"guild_id": guild_id, "user_id": user_id, "document_id": old["document_id"]}
        if await tx.fetch_value(_FEEDBACK_NAMES, named):
            return None
        return int(old["doc_guild_id"]), str(old["source"]), str(old["source_key"])

    async def logged_query(self, guild_id: int, search_id: int) -> str | None:
        """The text of an earlier search in this server."""
        value = await self._db.fetch_value(_LOGGED_QUERY, {"guild_id": guild_id, "id": search_id})
        return None if value is None else str(value)

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """FAQ entries, posts, accepted answers and feedback of one member in one server."""
        params = {"guild_id": guild_id, "user_id": user_id}
        return {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> tuple[int, list[int], list[int]]:
        """Delete the member's feedback and anonymise their FAQ entries and posts; mask their id in texts.

        Returns the rows touched, and the ids of FAQ entries and threads whose text changed (to re-index).
        """
        params = {"guild_id": guild_id, "user_id": user_id, "forgotten": FORGOTTEN}
        touched = 0
        for sql in _FORGET:
            touched += await tx.execute_rowcount(sql, params)
        faqs = await neutralise_text(tx, "faq_entries", _FAQ_TEXT, guild_id, user_id, key="id", versioned=True)
        threads = await neutralise_text(tx, "help_posts", _POST_TEXT, guild_id, user_id, key="thread_id")
        touched += len(faqs) + len(threads)
        return touched, faqs, threads

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
        "version": entry.version,
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
        version=row["version"],
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
