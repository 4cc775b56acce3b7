"""Questions and answers: /ask, the FAQ, help-forum posts, and solutions that flow back into the index."""

from __future__ import annotations

import difflib
import logging
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock
from bot.domain.qa_models import FaqEntry, Gaps, HelpPost, Page
from bot.domain.search.analysis import fold
from bot.domain.search.engine import rekey
from bot.domain.search.models import SHARED_GUILD, NewDocument, SearchHit, SearchResult
from bot.errors import Conflict, Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.audit import AuditRepo
    from bot.db.repos.qa import QaRepo
    from bot.domain.gaps import GapService, Prepared
    from bot.domain.search.engine import SearchEngine

log = logging.getLogger(__name__)

ASK_MIN, ASK_MAX = 3, 300
FAQ_TITLE_MAX, FAQ_BODY_MAX, FAQ_ALIASES_MAX = 100, 3000, 10
POST_TITLE_MAX, POST_BODY_MAX = 100, 1800
SUGGESTIONS = 3
MIN_SUGGESTION_SCORE = 0.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

PostListener = Callable[["Transaction", HelpPost, bool], Awaitable[None]]
"""Told of every new help post inside the transaction that records it: (tx, post, ask_person)."""


def clean_text(text: str, *, limit: int, minimum: int = 1, key: str = "qa.text") -> str:
    """Strip control characters and surrounding space; enforce length (raising a localised Invalid)."""
    cleaned = _CONTROL.sub("", text).strip()
    if len(cleaned) < minimum:
        raise Invalid(f"{key}.too_short", minimum=minimum)
    if len(cleaned) > limit:
        raise Invalid(f"{key}.too_long", limit=limit)
    return cleaned


def parse_aliases(text: str) -> tuple[str, ...]:
    """Aliases typed one per line or comma-separated; empty ones dropped, duplicates removed."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,\n]", text):
        alias = _CONTROL.sub("", part).strip()
        if alias and alias.lower() not in seen:
            seen[alias.lower()] = alias[:FAQ_TITLE_MAX]
    if len(seen) > FAQ_ALIASES_MAX:
        raise Invalid("qa.faq.too_many_aliases", limit=FAQ_ALIASES_MAX)
    return tuple(seen.values())


def faq_match_score(query: str, entry: FaqEntry) -> float:
    """How well a typed fragment matches an entry's title or aliases (0..1): prefix > substring > fuzzy."""
    needle = fold(query)
    if not needle:
        return 0.5
    best = 0.0
    for name in (entry.title, *entry.aliases):
        hay = fold(name)
        if hay.startswith(needle):
            score = 1.0
        elif needle in hay:
            score = 0.9
        else:
            ratio = difflib.SequenceMatcher(None, needle, hay[: len(needle) + 3]).ratio()
            score = 0.8 * ratio if ratio >= 0.6 else 0.0
        best = max(best, score)
    return best


class QAService:
    """The use cases behind /ask, /faq, the help forum and /unanswered."""

    member_columns: ClassVar[tuple[str, ...]] = (
        "faq_entries.created_by",
        "faq_entries.updated_by",
        "help_posts.author_id",
        "help_posts.answer_author_id",
        "help_posts.solved_by",
        "answer_feedback.user_id",
    )

    def __init__(
        self,
        uow: UnitOfWork,
        repo: QaRepo,
        search: SearchEngine,
        clock: Clock,
        audit: AuditRepo,
        *,
        gaps: GapService | None = None,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._search = search
        self._clock = clock
        self._audit = audit
        self._gaps = gaps
        self._post_listeners: list[PostListener] = []

    async def _record(
        self,
        tx: Transaction,
        guild_id: int,
        actor: int,
        action: str,
        target: str,
        before: FaqEntry | None,
        after: FaqEntry | None,
    ) -> None:
        def snap(e: FaqEntry | None) -> dict[str, object] | None:
            return None if e is None else {"title": e.title, "body": e.body, "aliases": list(e.aliases)}

        await self._audit.record(
            tx,
            guild_id=guild_id,
            actor_id=actor,
            action=action,
            target_type="faq",
            target_id=target,
            before=snap(before),
            after=snap(after),
            reason=None,
            now=self._clock.now(),
        )

    # --- asking ----------------------------------------------------------------------------------

    async def ask(self, guild_id: int, text: str, *, lang: str | None = None) -> tuple[int, SearchResult]:
        """Search the knowledge base for a member's question; returns the search id (for feedback) and hits.

        Nothing here waits for the write lock: the member gets the answer first, and :meth:`after_ask` counts a
        question without a good answer in the knowledge-gap ledger afterwards.
        """
        question = clean_text(text, limit=ASK_MAX, minimum=ASK_MIN, key="qa.ask")
        result = await self._search.search(guild_id, question, limit=SUGGESTIONS, lang=lang)
        search_id = await self._search.log(guild_id, question, len(result.hits))  # written in a later batch
        return search_id, result

    async def after_ask(self, guild_id: int, user_id: int, result: SearchResult) -> int | None:
        """After /ask answered: count the question in the knowledge-gap ledger if it got no good answer.

        Returns the gap's id, or None (a good answer, no words the search reads, or the ledger could not be
        written: that is logged, never shown, since the member already has their answer).
        """
        if self._gaps is None:
            return None
        signal = self._gaps.weak_signal(result)
        if signal is None:
            return None
        try:
            return await self._gaps.record_own(guild_id, user_id, result.query, signal)
        except Exception:  # the answer was sent; the ledger is best effort
            log.exception("Could not record a knowledge gap in server %s", guild_id)
            return None

    async def feedback(
        self, guild_id: int, user_id: int, search_id: int, document_id: int | None, helpful: bool
    ) -> None:
        """Record "useful" / "not useful" for one document of an answer, or "not useful" for the whole answer.

        The verdict is kept per search (the figures and the knowledge-gap signal). A verdict on a document is
        also the member's one helpfulness vote on it, which ranking uses from the next search on: a later verdict
        on the same document replaces it, and a verdict on the whole answer casts none. When the member changes
        this answer's verdict away from a document (and no other verdict of theirs names it), its vote is withdrawn.
        """
        document: tuple[int, str, str] | None = None
        if document_id is not None:
            doc = await self._search.get(document_id)
            if doc is None or doc.guild_id not in (guild_id, SHARED_GUILD):
                raise NotFound("qa.feedback.gone")
            document = (doc.guild_id, doc.source, doc.source_key)
        prepared: Prepared | None = None
        shown: set[int] = set()
        if not helpful and self._gaps is not None:  # "not useful": the question is a knowledge gap
            await self._search.flush_log()
            question = await self._repo.logged_query(guild_id, search_id)
            if question is not None:  # what they were shown never closes it (searched again: not stored)
                prepared = await self._gaps.prepare(guild_id, question)
                answer = await self._search.search(guild_id, question, limit=SUGGESTIONS)
                shown = {hit.document.id for hit in answer.hits} | ({document_id} if document_id else set())
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            replaced = await self._repo.record_feedback(tx, guild_id, user_id, search_id, document_id, helpful, now)
            if replaced is not None and replaced != document:
                await self._search.vote(tx, replaced, guild_id, user_id, None)
            if document is not None:
                await self._search.vote(tx, document, guild_id, user_id, helpful)
            if prepared is not None and self._gaps is not None:
                await self._gaps.record_prepared(tx, prepared, user_id, "not_useful", rejected=shown)

    # --- FAQ -------------------------------------------------------------------------------------

    async def faq_get(self, guild_id: int, entry_id: int) -> FaqEntry:
        """One entry of this server, or NotFound."""
        entry = await self._repo.faq_get(guild_id, entry_id)
        if entry is None:
            raise NotFound("qa.faq.not_found")
        return entry

    async def faq_show(self, guild_id: int, entry_id: int) -> FaqEntry:
        """An entry to show; counts the use."""
        entry = await self.faq_get(guild_id, entry_id)
        async with self._uow.transaction() as tx:
            await self._repo.faq_used(tx, guild_id, entry_id)
        return replace(entry, uses=entry.uses + 1)

    async def faq_find(self, guild_id: int, text: str, limit: int = 25) -> list[FaqEntry]:
        """Entries for autocomplete: by title and alias, prefix first, typo-tolerant."""
        scored = [(faq_match_score(text, e), e) for e in await self._repo.faq_list(guild_id)]
        scored = [(s, e) for s, e in scored if s > 0]
        scored.sort(key=lambda pair: (-pair[0], -pair[1].uses, pair[1].title.lower()))
        return [e for _, e in scored[:limit]]

    async def faq_save(
        self,
        guild_id: int,
        user_id: int,
        *,
        title: str,
        body: str,
        aliases: str = "",
        theme: str | None = None,
        lang: str | None = None,
        entry_id: int | None = None,
        thread_id: int | None = None,
        expected_version: int | None = None,
    ) -> FaqEntry:
        """Create (no ``entry_id``) or edit an entry: row, index entry and audit entry in one transaction.

        An edit based on ``expected_version`` (the version the editor saw) is refused with
        :class:`Conflict` when someone else changed the entry meanwhile.
        """
        title = clean_text(title, limit=FAQ_TITLE_MAX, minimum=3, key="qa.faq.title")
        body = clean_text(body, limit=FAQ_BODY_MAX, minimum=1, key="qa.faq.body")
        entry = FaqEntry(
            0, guild_id, title, body, parse_aliases(aliases), theme, lang, user_id, user_id, thread_id=thread_id
        )
        old: FaqEntry | None = None
        if entry_id is not None:
            old = await self.faq_get(guild_id, entry_id)
            version = old.version if expected_version is None else expected_version
            entry = replace(
                entry,
                id=entry_id,
                created_by=old.created_by,
                uses=old.uses,
                thread_id=old.thread_id,
                version=version,
                created_at=old.created_at,
            )
        records = await self._search.prepare([self._faq_document(entry)])
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            if old is None:
                entry = replace(entry, id=await self._repo.faq_insert(tx, entry, now))
            elif not await self._repo.faq_update(tx, entry, now):
                if await self._repo.faq_get(guild_id, entry.id, tx) is None:
                    raise NotFound("qa.faq.not_found")
                raise Conflict("qa.faq.changed_meanwhile")
            else:
                entry = replace(entry, version=entry.version + 1)
            await self._search.write(tx, [rekey(r, str(entry.id)) for r in records])
            action = "faq.promote" if thread_id and old is None else ("faq.add" if old is None else "faq.edit")
            await self._record(tx, guild_id, user_id, action, str(entry.id), old, entry)
        return entry

    async def faq_remove(self, guild_id: int, entry_id: int, moderator_id: int) -> FaqEntry:
        """Delete an entry and take it out of the index (with its audit entry, in one transaction)."""
        entry = await self.faq_get(guild_id, entry_id)
        async with self._uow.transaction() as tx:
            if not await self._repo.faq_delete(tx, guild_id, entry_id):
                raise NotFound("qa.faq.not_found")
            await self._search.unindex(tx, guild_id, "faq", str(entry_id), for_good=True)  # ids are reused
            await self._record(tx, guild_id, moderator_id, "faq.remove", str(entry_id), entry, None)
        return entry

    @staticmethod
    def _faq_document(entry: FaqEntry) -> NewDocument:
        return NewDocument(
            guild_id=entry.guild_id,
            source="faq",
            source_key=str(entry.id),
            kind="faq",
            title=entry.title,
            body=entry.body,
            lang=entry.lang,
            theme=entry.theme,
            tags=tuple(a.lower() for a in entry.aliases),
        )

    # --- the help forum --------------------------------------------------------------------------

    def on_post_opened(self, listener: PostListener) -> None:
        """Call ``listener(tx, post, ask_person)`` inside the transaction that records each new help post."""
        self._post_listeners.append(listener)

    async def post_opened(self, post: HelpPost, *, ask_person: bool = False, from_ask: bool = False) -> bool:
        """Remember a new help post; returns False if it was already known.

        ``ask_person``: the asker chose "ask a person" in /ask (routing looks at the post at once).
        ``from_ask``: posted from /ask because no answer fitted (an escalation of a knowledge gap).
        """
        title = clean_text(post.title, limit=POST_TITLE_MAX, key="qa.post.title")
        gap = await self._gaps.prepare(post.guild_id, title) if from_ask and self._gaps is not None else None
        async with self._uow.transaction() as tx:
            stored = replace(post, title=title)
            if not await self._repo.post_insert(tx, stored, self._clock.now()):
                return False
            if gap is not None and self._gaps is not None:
                await self._gaps.record_prepared(tx, gap, post.author_id, "forum")
            for listener in self._post_listeners:
                await listener(tx, stored, ask_person)
        return True

    async def post(self, guild_id: int, thread_id: int) -> HelpPost | None:
        """A known help post, or None."""
        return await self._repo.post_get(guild_id, thread_id)

    async def suggestions_for(self, guild_id: int, title: str, body: str = "") -> list[SearchHit]:
        """Up to three related items for a new post (searching its title and the start of its text)."""
        query = f"{title} {body[:200]}".strip()
        if len(query) < ASK_MIN:
            return []
        result = await self._search.search(guild_id, query[:ASK_MAX], limit=SUGGESTIONS)
        return [hit for hit in result.hits if hit.score > MIN_SUGGESTION_SCORE]

    async def claim_suggestion(self, guild_id: int, thread_id: int, message_id: int) -> bool:
        """Record the one suggestion reply of a post; False if there already is one."""
        async with self._uow.transaction() as tx:
            return await self._repo.post_claim_suggestion(tx, guild_id, thread_id, message_id)

    async def may_dismiss(self, guild_id: int, thread_id: int, user_id: int, *, is_moderator: bool) -> bool:
        """The asker or a moderator may dismiss the suggestion."""
        post = await self._repo.post_get(guild_id, thread_id)
        return is_moderator or (post is not None and post.author_id == user_id)

    async def mark_solution(
        self,
        guild_id: int,
        thread_id: int,
        *,
        marker_id: int,
        is_moderator: bool,
        answer_message_id: int,
        answer_author_id: int,
        answer_text: str,
        answer_by_bot: bool = False,
    ) -> HelpPost:
        """Accept an answer (asker or moderator only), and index question + answer for the next /ask.

        Only a member's message can be a solution: a bot's or webhook's message (``answer_by_bot``, such
        as Steunpunt's own suggestions) is refused.
        """
        post = await self._repo.post_get(guild_id, thread_id)
        if post is None:
            raise NotFound("qa.solve.not_a_help_post")
        if marker_id != post.author_id and not is_moderator:
            raise Forbidden("qa.solve.not_allowed")
        if answer_by_bot:
            raise Invalid("qa.solve.not_a_member")
        answer = clean_text(answer_text, limit=4000, key="qa.solve.answer")
        solved = replace(
            post,
            status="solved",
            answer_message_id=answer_message_id,
            answer_author_id=answer_author_id,
            answer_text=answer,
            solved_by=marker_id,
        )
        records = await self._search.prepare([self._thread_document(solved)])
        async with self._uow.transaction() as tx:
            if not await self._repo.post_solve(tx, solved, self._clock.now()):  # the thread was deleted meanwhile
                raise NotFound("qa.solve.not_a_help_post")
            await self._search.write(tx, records)
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=marker_id,
                action="qa.solve",
                target_type="help_post",
                target_id=str(thread_id),
                before={"status": post.status},
                after={"status": "solved", "answer_message_id": str(answer_message_id)},
                reason=None,
                now=self._clock.now(),
            )
        return solved

    async def gaps(self, guild_id: int, days: int = 30) -> Gaps:
        """Figures for moderators: searches without results, answers marked not useful, open posts."""
        await self._search.flush_log()  # include the searches made just now
        figures = await self._repo.gap_figures(guild_id, self._clock.now() - timedelta(days=days), limit=10)
        helpful, unhelpful = await self._repo.feedback_counts(guild_id)
        return Gaps(days=days, helpful=helpful, unhelpful=unhelpful, **figures)  # type: ignore[arg-type]

    # --- privacy ---------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's FAQ entries, help posts, accepted answers and feedback in this server."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's feedback; keep FAQ entries and solved posts without their id (also re-indexed)."""
        touched, faq_ids, thread_ids = await self._repo.forget_member(tx, guild_id, user_id)
        docs: list[NewDocument] = []
        for entry_id in faq_ids:
            entry = await self._repo.faq_get(guild_id, entry_id, tx)
            if entry is not None:
                docs.append(self._faq_document(entry))
        for thread_id in thread_ids:
            post = await self._repo.post_get(guild_id, thread_id, tx)
            if post is not None and post.solved:
                docs.append(self._thread_document(post))
        if docs:
            await self._search.write(tx, await self._search.prepare(docs))
        return touched

    async def indexed_documents(self) -> list[NewDocument]:
        """What the search index must hold for Q&A: every FAQ entry and solved post of every server."""
        faqs = [self._faq_document(e) for e in await self._repo.faq_all()]
        return faqs + [self._thread_document(p) for p in await self._repo.solved_all()]

    @staticmethod
    def _thread_document(post: HelpPost) -> NewDocument:
        body = f"{post.body}\n\n{post.answer_text or ''}".strip()
        return NewDocument(post.guild_id, "thread", str(post.thread_id), "solved_thread", post.title, body, solved=True)

    async def unanswered(self, guild_id: int, page: int, per_page: int = 5) -> Page[HelpPost]:
        """Open help posts, oldest first."""
        items, total = await self._repo.posts_open(guild_id, page * per_page, per_page)
        pages = max(1, math.ceil(total / per_page))
        return Page(items, page, pages, total)

    async def post_removed(self, guild_id: int, thread_id: int) -> None:
        """The thread was deleted: forget the post and take its answer out of the index."""
        async with self._uow.transaction() as tx:
            await self._repo.post_delete(tx, guild_id, thread_id)
            await self._search.unindex(tx, guild_id, "thread", str(thread_id))

    async def promote(self, guild_id: int, thread_id: int, moderator_id: int, *, title: str, body: str) -> FaqEntry:
        """Turn a solved post into an FAQ entry (after the moderator edited it)."""
        await self.solved_post(guild_id, thread_id)
        return await self.faq_save(guild_id, moderator_id, title=title, body=body, thread_id=thread_id)

    async def solved_post(self, guild_id: int, thread_id: int) -> HelpPost:
        """A solved help post (for promotion), or a localised error."""
        post = await self._repo.post_get(guild_id, thread_id)
        if post is None or not post.solved:
            raise Invalid("qa.promote.not_solved")
        return post

    async def question_of(self, guild_id: int, search_id: int) -> str:
        """The question a member asked in an earlier /ask (for the "post in the forum" button)."""
        await self._search.flush_log()  # the button may be pressed before the batch was written
        question = await self._repo.logged_query(guild_id, search_id)
        if question is None:
            raise NotFound("qa.ask.expired")
        return question
