"""The resource library on a real database: review flow, audit, search, notices, import/export, link checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.domain.exchange import dump_resources, read_resources
from bot.domain.library import EXPORT_FIELDS, load_starter_records
from bot.domain.resources import make_draft
from bot.domain.search.models import NewDocument
from bot.errors import Invalid, NotFound, RateLimited
from bot.services import Services, build_services

GUILD, OTHER = 10, 20
MEMBER, MOD = 1, 2


def _draft(n: int = 1, **changes: str):
    fields = {
        "title": f"Handleiding digitaliseren {n}",
        "url": f"https://example.org/gids-{n}",
        "summary": "Stap voor stap beeldbank opzetten.",
        "theme": "skills",
        "type": "guide",
        "language": "nl",
        "tags": "digitaliseren, beeldbank",
    }
    fields.update(changes)
    return make_draft(**fields)


async def test_suggest_approve_is_searchable_and_audited(services: Services) -> None:
    """A suggestion waits; once approved it is found by library search and /ask; both actions are audited."""
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    assert resource.status == "pending"
    assert await services.library.search(GUILD, "beeldbank opzetten") == []
    decision = await services.library.approve(GUILD, resource.id, MOD)
    assert decision.notify_user == MEMBER
    assert [r.id for r in await services.library.search(GUILD, "beeldbank opzetten")] == [resource.id]
    _, answer = await services.qa.ask(GUILD, "hoe zet ik een beeldbank op")
    assert answer.hits[0].document.source == "resource"
    log = await services.audit.recent(GUILD, 0)
    assert [e.action for e in log.items] == ["resource.approve", "resource.suggest"]
    assert log.items[0].before["status"] == "pending" and log.items[0].after["status"] == "approved"
    notices = await services.members.take_notices(GUILD, MEMBER)
    assert [n.key for n in notices] == ["resources.notice.approved"]
    assert await services.members.take_notices(GUILD, MEMBER) == []


async def test_reject_gives_the_reason_to_the_suggester(services: Services) -> None:
    """A rejection carries its reason to the member and into the audit log."""
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    await services.library.reject(GUILD, resource.id, MOD, "Dubbel met een bestaande gids")
    notice = (await services.members.take_notices(GUILD, MEMBER))[0]
    assert notice.key == "resources.notice.rejected"
    assert notice.params["note"] == "Dubbel met een bestaande gids"
    assert (await services.audit.recent(GUILD, 0)).items[0].reason == "Dubbel met een bestaande gids"


async def test_duplicates_and_cooldown(services: Services, clock: FixedClock) -> None:
    """The same link (cosmetically different) is refused; a fourth suggestion in ten minutes too, then allowed."""
    await services.library.suggest(GUILD, MEMBER, _draft(1))
    with pytest.raises(Invalid):
        await services.library.suggest(GUILD, MEMBER, _draft(9, url="http://www.example.org/gids-1/"))
    await services.library.suggest(GUILD, MEMBER, _draft(2))
    await services.library.suggest(GUILD, MEMBER, _draft(3))
    with pytest.raises(RateLimited):
        await services.library.suggest(GUILD, MEMBER, _draft(4))
    clock.advance(timedelta(minutes=11))
    await services.library.suggest(GUILD, MEMBER, _draft(4))


async def test_other_server_cannot_touch_a_resource(services: Services) -> None:
    """Ids from another server are unknown: no show, no decision, no vote."""
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    for call in (
        services.library.get(OTHER, resource.id),
        services.library.approve(OTHER, resource.id, MOD),
        services.library.vote_helpful(OTHER, resource.id, MEMBER),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await services.library.get(GUILD, resource.id)).status == "pending"


async def test_featured_first_and_votes(services: Services) -> None:
    """Browsing shows featured resources first; a member's helpful vote counts once."""
    first = await services.library.suggest(GUILD, MEMBER, _draft(1))
    second = await services.library.suggest(GUILD, MOD, _draft(2))
    for r in (first, second):
        await services.library.approve(GUILD, r.id, MOD)
    await services.library.set_featured(GUILD, second.id, MOD, True)
    page = await services.library.browse(GUILD, "skills", 0)
    assert [r.id for r in page.items] == [second.id, first.id]
    assert await services.library.vote_helpful(GUILD, first.id, MEMBER)
    assert not await services.library.vote_helpful(GUILD, first.id, MEMBER)
    assert (await services.library.get(GUILD, first.id)).helpful == 1


async def test_broken_link_goes_back_to_the_queue(services: Services) -> None:
    """A failed link check un-approves the resource, takes it out of search and records the bot's action."""
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    await services.library.approve(GUILD, resource.id, MOD)
    due = await services.library.due_for_check(timedelta(days=7))
    assert [r.id for r in due] == [resource.id]
    stored = await services.library.record_link_check(due[0], False, "HTTP 404")
    assert (stored.status, stored.link_status) == ("pending", "broken")
    assert await services.library.search(GUILD, "beeldbank opzetten") == []
    assert (await services.audit.recent(GUILD, 0)).items[0].action == "resource.link_broken"
    assert await services.library.due_for_check(timedelta(days=7)) == []


async def test_starter_content_loads_once(services: Services) -> None:
    """Loading the starter library twice adds nothing the second time."""
    first = await services.library.load_starter(GUILD, MOD, "nl")
    assert first.added >= 40 and first.skipped == 0
    second = await services.library.load_starter(GUILD, MOD, "nl")
    assert (second.added, second.skipped) == (0, first.added)
    assert (await services.library.browse(GUILD, None, 0)).total == first.added
    assert len({r["theme"] for r in load_starter_records()}) == 5


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_export_import_round_trip_keeps_every_field(
    services: Services, tmp_path: Path, clock: FixedClock, fmt: str
) -> None:
    """Export → import into an empty database reproduces every exported field of every resource."""
    a = await services.library.suggest(GUILD, MEMBER, _draft(1, licence="CC-BY-4.0", publisher="DEN"))
    await services.library.approve(GUILD, a.id, MOD)
    await services.library.set_featured(GUILD, a.id, MOD, True)
    await services.library.vote_helpful(GUILD, a.id, MEMBER)
    b = await services.library.suggest(GUILD, MEMBER, _draft(2, language="en", title='Title with "quotes", commas'))
    await services.library.reject(GUILD, b.id, MOD, "Niet relevant")
    exported = await services.library.export(GUILD)
    raw = dump_resources(exported, fmt)  # type: ignore[arg-type]
    async with Database.open(tmp_path / "fresh.sqlite3") as fresh_db:
        await apply_migrations(fresh_db)
        fresh = build_services(fresh_db, clock)
        report = await fresh.library.import_records(GUILD, MOD, read_resources(raw, f"x.{fmt}"))
        assert report.added == 2
        again = await fresh.library.export(GUILD)
    for before, after in zip(exported, again, strict=True):
        assert {k: before[k] for k in EXPORT_FIELDS} == {k: after[k] for k in EXPORT_FIELDS}


async def test_bad_import_changes_nothing(services: Services) -> None:
    """One invalid record refuses the whole file before anything is stored."""
    rows = [
        {"title": "Goed", "url": "https://example.org/ok", "theme": "skills", "type": "guide", "language": "nl"},
        {"title": "Fout", "url": "not a url", "theme": "skills", "type": "guide", "language": "nl"},
    ]
    with pytest.raises(Invalid):
        await services.library.import_records(GUILD, MOD, rows)
    assert await services.library.export(GUILD) == []


async def test_sent_back_suggestion_can_be_resubmitted(services: Services) -> None:
    """After "request changes", the suggester sends the same link again with fixes; it waits in the queue again."""
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    await services.library.request_changes(GUILD, resource.id, MOD, "Voeg een samenvatting toe")
    again = await services.library.suggest(GUILD, MEMBER, _draft(summary="Nu met samenvatting."))
    assert (again.id, again.status, again.summary) == (resource.id, "pending", "Nu met samenvatting.")
    assert [r.id for r in (await services.library.queue(GUILD, 0)).items] == [resource.id]
    with pytest.raises(Invalid):  # someone else cannot take it over
        await services.library.suggest(GUILD, MOD, _draft())


async def test_two_moderators_deciding_at_once(services: Services) -> None:
    """When approve and reject race, exactly one wins; the other gets a Conflict and nothing is doubled."""
    import asyncio

    from bot.errors import Conflict

    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    results = await asyncio.gather(
        services.library.approve(GUILD, resource.id, MOD),
        services.library.reject(GUILD, resource.id, MOD + 1, "Nee"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    notices = await services.members.take_notices(GUILD, MEMBER)
    assert len(notices) == 1
    decisions = [e for e in (await services.audit.recent(GUILD, 0)).items if e.action != "resource.suggest"]
    assert len(decisions) == 1


async def test_db_check_finds_and_repairs_index_drift(services: Services) -> None:
    """db check reports a missing, a stale and an orphaned index entry by content fingerprint; fix repairs them."""
    resource = await services.library.suggest(GUILD, MEMBER, _draft())
    await services.library.approve(GUILD, resource.id, MOD)
    await services.search.remove(GUILD, "resource", str(resource.id))  # an index write that was lost
    entry = await services.qa.faq_save(GUILD, MOD, title="Depotbeheer", body="Over depots.")
    await services.search.index(NewDocument(GUILD, "faq", str(entry.id), "faq", "Depotbeheer", "Oude tekst."))
    await services.search.index(NewDocument(GUILD, "faq", "999", "faq", "Verweesd", "Bestaat niet meer."))
    report = await services.maintenance.check()
    kinds = sorted((d.source, d.kind) for d in report.differences)
    assert kinds == [("faq", "orphaned"), ("faq", "stale"), ("resource", "missing")]
    assert not report.clean
    fixed = await services.maintenance.check(fix=True)
    assert fixed.fixed == 3 and fixed.clean
    assert [r.id for r in await services.library.search(GUILD, "beeldbank opzetten")] == [resource.id]
    _, gone = await services.qa.ask(GUILD, "verweesd")
    assert gone.hits == []
    again = await services.maintenance.check()
    assert again.differences == [] and again.clean and again.documents == 2
