"""SQL for members' own data: everything stored about one member in one server, and forgetting it.

Content other members rely on (FAQ entries, solved answers, approved resources) stays, but the
member's id is replaced by :data:`FORGOTTEN`; personal traces (votes, feedback, notices,
preferences) are deleted. One transaction, so a failure forgets nothing half-way.
"""

from __future__ import annotations

from typing import Any

from bot.db.database import Database

FORGOTTEN = -1
"""The id that replaces a forgotten member's id."""

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
    "resource_suggestions": """
        SELECT id, title, url, summary, status, decision_note, created_at FROM resources
        WHERE guild_id = :guild_id AND suggested_by = :user_id ORDER BY id""",
    "resource_votes": """
        SELECT resource_id, created_at FROM resource_votes
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY created_at""",
    "moderation_actions": """
        SELECT id, action, target_type, target_id, reason, created_at FROM audit_log
        WHERE guild_id = :guild_id AND actor_id = :user_id ORDER BY id""",
    "notices": """
        SELECT key, params, created_at, delivered_at FROM member_notices
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY id""",
    "preferences": """
        SELECT dm_opt_in, updated_at FROM member_prefs
        WHERE guild_id = :guild_id AND user_id = :user_id""",
}

_FORGET: tuple[str, ...] = (
    """UPDATE knowledge_documents
       SET helpful = max(0, helpful - (SELECT count(*) FROM answer_feedback AS f
                                       WHERE f.document_id = knowledge_documents.id AND f.guild_id = :guild_id
                                         AND f.user_id = :user_id AND f.helpful = 1))
       WHERE id IN (SELECT document_id FROM answer_feedback WHERE guild_id = :guild_id AND user_id = :user_id)""",
    "DELETE FROM answer_feedback WHERE guild_id = :guild_id AND user_id = :user_id",
    """UPDATE resources SET helpful = max(0, helpful - 1)
       WHERE guild_id = :guild_id AND id IN (SELECT resource_id FROM resource_votes
                                              WHERE guild_id = :guild_id AND user_id = :user_id)""",
    "DELETE FROM resource_votes WHERE guild_id = :guild_id AND user_id = :user_id",
    "DELETE FROM member_notices WHERE guild_id = :guild_id AND user_id = :user_id",
    "DELETE FROM member_prefs WHERE guild_id = :guild_id AND user_id = :user_id",
    "UPDATE faq_entries SET created_by = :forgotten WHERE guild_id = :guild_id AND created_by = :user_id",
    "UPDATE faq_entries SET updated_by = :forgotten WHERE guild_id = :guild_id AND updated_by = :user_id",
    "UPDATE help_posts SET author_id = :forgotten WHERE guild_id = :guild_id AND author_id = :user_id",
    "UPDATE help_posts SET answer_author_id = :forgotten WHERE guild_id = :guild_id AND answer_author_id = :user_id",
    "UPDATE help_posts SET solved_by = :forgotten WHERE guild_id = :guild_id AND solved_by = :user_id",
    "UPDATE resources SET suggested_by = :forgotten WHERE guild_id = :guild_id AND suggested_by = :user_id",
    "UPDATE audit_log SET actor_id = :forgotten WHERE guild_id = :guild_id AND actor_id = :user_id",
)


class PrivacyRepo:
    """Export and erasure of one member's data in one server."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every stored row that concerns the member, grouped by kind."""
        params = {"guild_id": guild_id, "user_id": user_id}
        found: dict[str, list[dict[str, Any]]] = {}
        for name, sql in _EXPORT.items():
            found[name] = [dict(row) for row in await self._db.fetch_all(sql, params)]
        return found

    async def forget(self, guild_id: int, user_id: int) -> int:
        """Delete or anonymise everything about the member; returns the number of rows touched."""
        params = {"guild_id": guild_id, "user_id": user_id, "forgotten": FORGOTTEN}
        touched = 0
        async with self._db.transaction() as tx:
            for sql in _FORGET:
                touched += await tx.execute_rowcount(sql, params)
        return touched
