"""Every multi-step use case commits whole or not at all: a fault after any of its statements leaves nothing.

The database's step hook raises after the n-th statement of a transaction, for n = 1, 2, ... until the use
case completes within n statements. After each fault the whole database (every table, the full-text
index's own tables included) must be byte-for-byte what it was before; after the complete run, every part
of the use case (row, index entry, audit entry, notice) must be there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.db.database import Database
from bot.db.repos.knowledge import KnowledgeRepo
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.services import Services
from tests.domain.faults import fault_after_every_step, snapshot

GUILD = 10
MEMBER, MOD, HELPER = 1001, 1002, 1003
THREAD = 5000


def _draft(n: int = 1, **changes: str) -> Any:
    fields = {
        "title": f"Handleiding digitaliseren {n}",
        "url": f"https://example.org/gids-{n}",
        "summary": "Stap voor stap een beeldbank opzetten.",
        "theme": "skills",
        "type": "guide",
        "language": "nl",
        "tags": "digitaliseren, beeldbank",
    }
    fields.update(changes)
    return make_draft(**fields)


async def count(db: Database, sql: str, *params: Any) -> int:
    return int(await db.fetch_value(sql, params) or 0)


async def indexed(db: Database, source: str, key: object) -> int:
    return await count(
        db, "SELECT count(*) FROM knowledge_documents WHERE source = ? AND source_key = ?", source, str(key)
    )


async def audited(db: Database, action: str) -> int:
    return await count(db, "SELECT count(*) FROM audit_log WHERE action = ?", action)


@dataclass
class Case:
    """One use case: arrange the state before it, act, and check that all of it happened."""

    name: str
    arrange: Callable[[Services], Awaitable[dict[str, Any]]]
    act: Callable[[Services, dict[str, Any]], Awaitable[Any]]
    done: Callable[[Database, dict[str, Any]], Awaitable[None]]


async def _pending(services: Services) -> dict[str, Any]:
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    return {"resource": resource}


async def _approved(services: Services) -> dict[str, Any]:
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    await services.library.approve(GUILD, resource.id, MOD)
    return {"resource": await services.library.get(GUILD, resource.id)}


async def _faq(services: Services) -> dict[str, Any]:
    entry = await services.qa.faq_save(GUILD, MOD, title="Depotbeheer", body="Over depots en klimaat.")
    return {"entry": entry}


async def _post(services: Services) -> dict[str, Any]:
    post = HelpPost(THREAD, GUILD, 50, MEMBER, "Welke licentie voor foto's van onze collectie?")
    await services.qa.post_opened(post)
    return {"post": post}


async def _solved(services: Services) -> dict[str, Any]:
    ctx = await _post(services)
    await services.qa.mark_solution(
        GUILD,
        THREAD,
        marker_id=MEMBER,
        is_moderator=False,
        answer_message_id=7,
        answer_author_id=HELPER,
        answer_text="Gebruik CC BY voor de foto's, zie de licentiekiezer.",
    )
    return ctx


async def _everything(services: Services) -> dict[str, Any]:
    ctx = await _approved(services)
    await services.library.vote_helpful(GUILD, ctx["resource"].id, MEMBER)
    await _solved(services)
    await services.qa.faq_save(GUILD, MEMBER, title="Mijn vraag", body="Mijn antwoord.")
    return ctx


async def _done_suggest(db: Database, ctx: dict[str, Any]) -> None:
    assert await count(db, "SELECT count(*) FROM resources WHERE status = 'pending'") == 1
    assert await audited(db, "resource.suggest") == 1


def _done_decision(status: str, action: str, notice: bool) -> Callable[[Database, dict[str, Any]], Awaitable[None]]:
    async def check(db: Database, ctx: dict[str, Any]) -> None:
        rid = ctx["resource"].id
        assert await count(db, "SELECT count(*) FROM resources WHERE id = ? AND status = ?", rid, status) == 1
        assert await audited(db, action) == 1
        assert await indexed(db, "resource", rid) == (1 if status == "approved" else 0)
        notices = await count(db, "SELECT count(*) FROM member_notices WHERE user_id = ?", MEMBER)
        assert notices >= (1 if notice else 0)

    return check


CASES: list[Case] = []


def case(name: str, arrange: Any, act: Any, done: Any) -> None:
    CASES.append(Case(name, arrange, act, done))


async def _no_setup(services: Services) -> dict[str, Any]:
    return {}


def _build() -> None:
    approve_done = _done_decision("approved", "resource.approve", True)
    reject_done = _done_decision("rejected", "resource.reject", True)
    changes_done = _done_decision("changes_requested", "resource.request_changes", True)
    archive_done = _done_decision("archived", "resource.archive", False)

    case(
        "resource suggest",
        _no_setup,
        lambda s, c: s.library.suggest(GUILD, MEMBER, _draft()),
        _done_suggest,
    )
    case("resource approve", _pending, lambda s, c: s.library.approve(GUILD, c["resource"].id, MOD), approve_done)
    case(
        "resource reject", _pending, lambda s, c: s.library.reject(GUILD, c["resource"].id, MOD, "Dubbel"), reject_done
    )
    case(
        "resource request changes",
        _pending,
        lambda s, c: s.library.request_changes(GUILD, c["resource"].id, MOD, "Graag een samenvatting"),
        changes_done,
    )
    case("resource archive", _approved, lambda s, c: s.library.archive(GUILD, c["resource"].id, MOD), archive_done)

    async def edited(db: Database, ctx: dict[str, Any]) -> None:
        rid = ctx["resource"].id
        assert await count(db, "SELECT count(*) FROM resources WHERE id = ? AND title = 'Nieuwe titel'", rid) == 1
        assert await count(db, "SELECT count(*) FROM knowledge_documents WHERE title = 'Nieuwe titel'") == 1
        assert await audited(db, "resource.edit") == 1

    case(
        "resource edit",
        _approved,
        lambda s, c: s.library.edit(GUILD, c["resource"].id, MOD, _draft(title="Nieuwe titel")),
        edited,
    )

    async def voted(db: Database, ctx: dict[str, Any]) -> None:
        assert await count(db, "SELECT count(*) FROM resource_votes") == 1
        assert await count(db, "SELECT helpful FROM resources WHERE id = ?", ctx["resource"].id) == 1

    case("resource vote", _approved, lambda s, c: s.library.vote_helpful(GUILD, c["resource"].id, MEMBER), voted)

    async def faq_added(db: Database, ctx: dict[str, Any]) -> None:
        entry_id = await count(db, "SELECT id FROM faq_entries")
        assert await indexed(db, "faq", entry_id) == 1
        assert await audited(db, "faq.add") == 1

    case(
        "faq add",
        _no_setup,
        lambda s, c: s.qa.faq_save(GUILD, MOD, title="Depotbeheer", body="Over depots."),
        faq_added,
    )

    async def faq_edited(db: Database, ctx: dict[str, Any]) -> None:
        indexed = await KnowledgeRepo(db).get_by_key(GUILD, "faq", str(ctx["entry"].id))  # the body is stored packed
        assert indexed is not None and indexed.body == "Nieuw antwoord."
        assert await count(db, "SELECT version FROM faq_entries") == 2
        assert await audited(db, "faq.edit") == 1

    case(
        "faq edit",
        _faq,
        lambda s, c: s.qa.faq_save(GUILD, MOD, title="Depotbeheer", body="Nieuw antwoord.", entry_id=c["entry"].id),
        faq_edited,
    )

    async def faq_removed(db: Database, ctx: dict[str, Any]) -> None:
        assert await count(db, "SELECT count(*) FROM faq_entries") == 0
        assert await indexed(db, "faq", ctx["entry"].id) == 0
        assert await audited(db, "faq.remove") == 1

    case("faq remove", _faq, lambda s, c: s.qa.faq_remove(GUILD, c["entry"].id, MOD), faq_removed)

    async def solved(db: Database, ctx: dict[str, Any]) -> None:
        assert await count(db, "SELECT count(*) FROM help_posts WHERE status = 'solved'") == 1
        assert await indexed(db, "thread", THREAD) == 1
        assert await audited(db, "qa.solve") == 1

    case(
        "mark as solution",
        _post,
        lambda s, c: s.qa.mark_solution(
            GUILD,
            THREAD,
            marker_id=MEMBER,
            is_moderator=False,
            answer_message_id=7,
            answer_author_id=HELPER,
            answer_text="Gebruik CC BY.",
        ),
        solved,
    )

    async def promoted(db: Database, ctx: dict[str, Any]) -> None:
        entry_id = await count(db, "SELECT id FROM faq_entries WHERE thread_id = ?", THREAD)
        assert entry_id and await indexed(db, "faq", entry_id) == 1
        assert await audited(db, "faq.promote") == 1

    case(
        "promote to FAQ",
        _solved,
        lambda s, c: s.qa.promote(GUILD, THREAD, MOD, title="Licentie voor foto's", body="Gebruik CC BY."),
        promoted,
    )

    async def removed(db: Database, ctx: dict[str, Any]) -> None:
        assert await count(db, "SELECT count(*) FROM help_posts") == 0
        assert await indexed(db, "thread", THREAD) == 0

    case("post removal", _solved, lambda s, c: s.qa.post_removed(GUILD, THREAD), removed)

    async def forgotten(db: Database, ctx: dict[str, Any]) -> None:
        assert await count(db, "SELECT count(*) FROM resource_votes") == 0
        assert await count(db, "SELECT count(*) FROM resources WHERE suggested_by = ?", MEMBER) == 0
        assert await count(db, "SELECT count(*) FROM help_posts WHERE author_id = ?", MEMBER) == 0
        assert await count(db, "SELECT count(*) FROM faq_entries WHERE created_by = ?", MEMBER) == 0

    case("forget", _everything, lambda s, c: s.privacy.forget(GUILD, MEMBER), forgotten)


_build()


@pytest.mark.parametrize("use_case", CASES, ids=[c.name for c in CASES])
async def test_a_fault_after_any_step_leaves_nothing(use_case: Case, services: Services, db: Database) -> None:
    """Raise after statement 1, 2, ... of the use case: each time nothing changed; in the end all of it is there."""
    ctx = await use_case.arrange(services)
    before = await snapshot(db)
    await fault_after_every_step(db, use_case.name, lambda: use_case.act(services, ctx))
    assert await snapshot(db) != before
    await use_case.done(db, ctx)
