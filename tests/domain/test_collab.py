"""The collaboration board on a real database: propose, join, accept, close, remove, expiry, digest source.

The clock starts on Monday 23 November 2026, 09:00 UTC (10:00 in Amsterdam, the default time zone). A deadline of
1 December ends at the start of 2 December in Amsterdam: 1 December 23:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.collab.models import ASK_JOB, EXPIRE_JOB, TELL_JOB, Draft
from bot.domain.collab.rules import check_deadline, parse_date, parse_themes
from bot.domain.collab.service import expire_key
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.services import Services

GUILD, OTHER = 10, 20
ANNA, BEN, CAS, MOD = 1, 2, 3, 9
DEADLINE_AT = "2026-12-01T23:00:00+00:00"
LABELS = {
    "revenue-and-rights": ("Verdienen en rechten", "Revenue and rights"),
    "skills": ("Vaardigheden", "Skills"),
    "collective": ("Collectief", "Collective"),
    "strategy": ("Strategie", "Strategy"),
    "collaboration": ("Samenwerking", "Collaboration"),
}


def draft(**changes: Any) -> Draft:
    """A valid proposal; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "title": "Samen een IIIF-viewer bouwen",
        "goal": "Drie musea delen één viewer voor hun collecties.",
        "partners": "Een archief en een bibliotheek",
        "themes": ("collaboration", "strategy"),
        "deadline": "2026-12-01",
    }
    fields.update(changes)
    return Draft(**fields)


async def count(db: Database, sql: str, *params: Any) -> int:
    """A count from the committed state."""
    return int(await db.fetch_value(sql, params) or 0)


# --- rules -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2026-12-01", date(2026, 12, 1)), ("01-12-2026", date(2026, 12, 1)), ("1/12/2026", date(2026, 12, 1))],
)
def test_a_deadline_is_read_in_both_orders(typed: str, expected: date) -> None:
    """Year first or day first, with dashes, slashes or dots."""
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["", "morgen", "2026-13-01", "31-02-2026", "12/01/26", "2026-12-01T10:00"])
def test_a_deadline_that_is_no_date_is_refused(typed: str) -> None:
    """Anything else is refused with a message that shows both forms."""
    with pytest.raises(Invalid) as caught:
        parse_date(typed)
    assert caught.value.key == "collab.invalid.deadline_format"


def test_a_deadline_lies_after_today_and_within_a_year() -> None:
    """Today or earlier is refused, and so is more than 365 days ahead."""
    today = date(2026, 11, 23)
    assert check_deadline(date(2026, 11, 24), today) == date(2026, 11, 24)
    assert check_deadline(date(2027, 11, 23), today) == date(2027, 11, 23)
    for day, key in (
        (today, "deadline_past"),
        (date(2026, 1, 1), "deadline_past"),
        (date(2027, 11, 24), "deadline_far"),
    ):
        with pytest.raises(Invalid) as caught:
            check_deadline(day, today)
        assert caught.value.key == f"collab.invalid.{key}"


def test_themes_are_read_by_key_name_or_start_in_either_language() -> None:
    """Keys, Dutch and English names and unambiguous starts; order kept, duplicates dropped; none gives one."""
    enabled = ("skills", "strategy", "collaboration")
    assert parse_themes("Strategie, skills; samenwerking / Strategy", enabled, LABELS) == (
        "strategy",
        "skills",
        "collaboration",
    )
    assert parse_themes("  vaardig ", enabled, LABELS) == ("skills",)
    assert parse_themes("", enabled, LABELS) == ("collaboration",)


def test_unknown_or_switched_off_themes_are_refused_with_the_allowed_ones() -> None:
    """A theme the server switched off counts as unknown; an ambiguous start too ("s" is too short)."""
    with pytest.raises(Invalid) as caught:
        parse_themes("Collectief, iets anders", ("skills", "collaboration"), LABELS)
    assert caught.value.key == "collab.invalid.themes"
    assert caught.value.params["unknown"] == "Collectief, iets anders"
    assert caught.value.params["allowed"] == "Vaardigheden, Samenwerking"
    with pytest.raises(Invalid):
        parse_themes("s", ("skills", "strategy"), LABELS)


# --- proposing -------------------------------------------------------------------------------------------------


async def test_a_proposal_is_stored_with_its_expiry_job_at_the_deadline(services: Services, db: Database) -> None:
    """The deadline is the end of that day in the server's time zone; the job runs then."""
    proposal = await services.collab.propose(GUILD, ANNA, draft(deadline="01-12-2026"))
    assert proposal.open and proposal.owner_id == ANNA and proposal.theme == "collaboration"
    assert (proposal.deadline_date, proposal.deadline_at) == ("2026-12-01", DEADLINE_AT)
    job = await services.jobs.find_active(expire_key(proposal.id, DEADLINE_AT))
    assert job is not None and job.kind == EXPIRE_JOB
    assert job.run_at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC) and job.guild_id == GUILD


async def test_the_servers_time_zone_sets_the_moment(services: Services) -> None:
    """In New York the same date ends five hours later than in UTC."""
    await services.guild_settings.update(GUILD, timezone="America/New_York")
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    assert proposal.deadline_at == "2026-12-02T05:00:00+00:00"


async def test_a_bad_proposal_stores_nothing(services: Services, db: Database) -> None:
    """A past deadline, an empty title or a switched-off theme: refused, no row, no job."""
    await services.guild_settings.update(GUILD, themes=("skills", "collaboration"))
    for bad, key in (
        (draft(deadline="2026-11-23", themes=()), "collab.invalid.deadline_past"),
        (draft(title="  ", themes=("skills",)), "collab.invalid.empty"),
        (draft(goal="x" * 1001, themes=("skills",)), "collab.invalid.too_long"),
        (draft(), "collab.invalid.theme_off"),
    ):
        with pytest.raises(Invalid) as caught:
            await services.collab.propose(GUILD, ANNA, bad)
        assert caught.value.key == key
    assert await count(db, "SELECT count(*) FROM collab_proposals") == 0
    assert await count(db, "SELECT count(*) FROM jobs WHERE kind LIKE 'collab.%'") == 0


async def test_editing_the_deadline_moves_the_expiry_job(services: Services, clock: FixedClock) -> None:
    """The old moment's job is cancelled and one at the new moment takes its place; a stale edit is refused."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    edited = await services.collab.edit(GUILD, ANNA, proposal.id, draft(deadline="2026-12-15"), proposal.version)
    assert edited.deadline_at == "2026-12-15T23:00:00+00:00" and edited.version == proposal.version + 1
    assert await services.jobs.find_active(expire_key(proposal.id, DEADLINE_AT)) is None
    assert await services.jobs.find_active(expire_key(proposal.id, edited.deadline_at)) is not None
    with pytest.raises(Conflict):
        await services.collab.edit(GUILD, ANNA, proposal.id, draft(title="Oud"), proposal.version)
    with pytest.raises(Forbidden):
        await services.collab.edit(GUILD, BEN, proposal.id, draft(), edited.version)
    clock.advance(timedelta(days=8, hours=14))  # 1 December 23:00 UTC: the old moment does nothing
    await services.job_runner.run_due()
    assert (await services.collab.get(GUILD, proposal.id)).open


# --- joining, accepting ----------------------------------------------------------------------------------------


async def test_join_tells_the_owner_by_notice_and_accepting_lists_the_partner(services: Services, db: Database) -> None:
    """Ben asks; without a DM opt-in Anna gets a notice (once); she accepts, Ben is told and listed."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    partner = await services.collab.join(GUILD, BEN, proposal.id)
    assert partner.status == "pending"
    job = await services.jobs.find_active(f"{ASK_JOB}:{partner.id}")
    assert job is not None and job.payload["user_id"] == ANNA
    ask = await services.collab.due_ask(job)
    assert ask is not None and not ask.dm and ask.partner.member_id == BEN
    assert await services.collab.ask_by_notice(ask)
    assert not await services.collab.ask_by_notice(ask)  # told once
    assert await services.collab.due_ask(job) is None
    [notice] = await services.members.take_notices(GUILD, ANNA)
    assert notice.key == "collab.notice.request" and notice.params == {
        "id": proposal.id,
        "title": proposal.title,
        "member": BEN,
    }
    board = await services.collab.board(GUILD, proposal.id, ANNA)
    assert [p.member_id for p in board.pending] == [BEN] and board.accepted == ()
    assert (await services.collab.board(GUILD, proposal.id, CAS)).pending == ()  # only the owner sees requests
    answered = await services.collab.answer(GUILD, ANNA, partner.id, accept=True)
    assert answered.result == "accepted"
    assert (await services.collab.answer(GUILD, ANNA, partner.id, accept=False)).result == "gone"
    board = await services.collab.board(GUILD, proposal.id, CAS)
    assert [p.member_id for p in board.accepted] == [BEN]
    [told] = await services.members.take_notices(GUILD, BEN)
    assert told.key == "collab.notice.accepted" and told.params["owner"] == ANNA
    assert await services.jobs.find_active(f"{TELL_JOB}:{GUILD}:{BEN}") is not None


async def test_an_owner_who_opted_in_is_asked_by_dm(services: Services) -> None:
    """The ask job says to DM; recording it once."""
    await services.members.set_dm_opt_in(GUILD, ANNA, True)
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    partner = await services.collab.join(GUILD, BEN, proposal.id)
    job = await services.jobs.find_active(f"{ASK_JOB}:{partner.id}")
    assert job is not None
    ask = await services.collab.due_ask(job)
    assert ask is not None and ask.dm
    assert await services.collab.asked_by_dm(ask)
    assert not await services.collab.asked_by_dm(ask)
    assert await services.members.pending_notices(GUILD, ANNA) == []


async def test_join_rules(services: Services) -> None:
    """Not one's own proposal, not twice, only in this server; only the owner answers; a decline tells the member."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    with pytest.raises(Invalid):
        await services.collab.join(GUILD, ANNA, proposal.id)
    partner = await services.collab.join(GUILD, BEN, proposal.id)
    with pytest.raises(Conflict):
        await services.collab.join(GUILD, BEN, proposal.id)
    with pytest.raises(NotFound):
        await services.collab.join(OTHER, CAS, proposal.id)
    with pytest.raises(Forbidden):
        await services.collab.answer(GUILD, CAS, partner.id, accept=True)
    assert (await services.collab.answer(GUILD, ANNA, partner.id, accept=False)).result == "declined"
    assert [n.key for n in await services.members.take_notices(GUILD, BEN)] == ["collab.notice.declined"]
    assert (await services.collab.board(GUILD, proposal.id, ANNA)).accepted == ()


# --- closing, removing, expiring -------------------------------------------------------------------------------


async def test_the_owner_closes_with_an_outcome_and_partners_are_told(services: Services) -> None:
    """Only the owner closes; the expiry job goes; accepted partners hear the outcome; closed takes no joins."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    partner = await services.collab.join(GUILD, BEN, proposal.id)
    await services.collab.answer(GUILD, ANNA, partner.id, accept=True)
    await services.members.take_notices(GUILD, BEN)
    with pytest.raises(Forbidden):
        await services.collab.close(GUILD, BEN, proposal.id, "done", None)
    closed = await services.collab.close(GUILD, ANNA, proposal.id, "done", "  De viewer draait  ")
    assert (closed.status, closed.outcome, closed.outcome_note) == ("closed", "done", "De viewer draait")
    assert await services.jobs.find_active(expire_key(proposal.id, DEADLINE_AT)) is None
    assert [n.key for n in await services.members.take_notices(GUILD, BEN)] == ["collab.notice.closed_done"]
    with pytest.raises(Conflict) as caught:
        await services.collab.join(GUILD, CAS, proposal.id)
    assert caught.value.key == "collab.not_open.closed"
    with pytest.raises(Invalid):
        await services.collab.close(GUILD, ANNA, proposal.id, "gelukt", None)


async def test_a_moderator_removes_with_an_audit_entry_and_the_owner_is_told(services: Services) -> None:
    """Removed: off the list, audited with the reason, the owner hears why, nobody else can open it."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    removed = await services.collab.remove(GUILD, MOD, proposal.id, "Reclame, geen samenwerking")
    assert (removed.status, removed.removed_by, removed.reason) == ("removed", MOD, "Reclame, geen samenwerking")
    [entry] = (await services.audit.recent(GUILD, 0)).items
    assert (entry.actor_id, entry.action, entry.target_id) == (MOD, "collab.remove", str(proposal.id))
    assert entry.reason == "Reclame, geen samenwerking" and entry.before == {"id": proposal.id, "status": "open"}
    [notice] = await services.members.take_notices(GUILD, ANNA)
    assert notice.key == "collab.notice.removed" and notice.params["reason"] == "Reclame, geen samenwerking"
    assert (await services.collab.open_page(GUILD, None, 0)).total == 0
    with pytest.raises(NotFound):
        await services.collab.board(GUILD, proposal.id, BEN)
    assert (await services.collab.board(GUILD, proposal.id, ANNA)).proposal.status == "removed"
    assert await services.jobs.find_active(expire_key(proposal.id, DEADLINE_AT)) is None


async def test_a_moderator_removes_a_closed_or_expired_proposal_that_is_still_shown(
    services: Services, clock: FixedClock
) -> None:
    """/collab show still shows closed and expired proposals, so a moderator can remove them too: the audit entry
    keeps the previous status, others can no longer open it, when it ended stays; removing twice is refused."""
    closed = await services.collab.propose(GUILD, ANNA, draft(title="Scheldwoorden"))
    ended = await services.collab.close(GUILD, ANNA, closed.id, "other", "Klaar")
    lapsing = await services.collab.propose(GUILD, BEN, draft(title="Verlopen"))
    clock.advance(datetime(2026, 12, 1, 23, 0, tzinfo=UTC) - clock.now())
    await services.job_runner.run_due()
    assert (await services.collab.board(GUILD, lapsing.id, CAS)).proposal.status == "expired"
    for proposal, previous in ((closed, "closed"), (lapsing, "expired")):
        assert (await services.collab.board(GUILD, proposal.id, CAS)).proposal.title == proposal.title
        removed = await services.collab.remove(GUILD, MOD, proposal.id, "Misbruik")
        assert (removed.status, removed.removed_by, removed.reason) == ("removed", MOD, "Misbruik")
        with pytest.raises(NotFound):
            await services.collab.board(GUILD, proposal.id, CAS)
        entry = (await services.audit.recent(GUILD, 0)).items[0]
        assert (entry.action, entry.target_id) == ("collab.remove", str(proposal.id))
        assert entry.before == {"id": proposal.id, "status": previous} and entry.after == {"status": "removed"}
    kept = await services.collab.get(GUILD, closed.id)
    assert (kept.outcome, kept.outcome_note) == (None, None)  # a removed proposal has no outcome (and no note)
    assert kept.closed_at == ended.closed_at and kept.closed_at != kept.updated_at  # when it ended stays
    with pytest.raises(Conflict) as caught:
        await services.collab.remove(GUILD, MOD, closed.id, "Nog eens")
    assert caught.value.key == "collab.not_open.removed"
    assert (await services.audit.recent(GUILD, 0)).total == 2


async def test_past_its_deadline_a_proposal_is_no_longer_listed_or_joinable_before_its_job_runs(
    services: Services, db: Database, clock: FixedClock
) -> None:
    """The bot was down at the deadline (the expiry job has not run): still 'open' in the table, but the list,
    autocomplete, join and the digest source treat it as ended; a minute earlier it was all still possible."""
    since = clock.now()
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    window_end = since + timedelta(hours=1)
    clock.advance(datetime(2026, 12, 1, 22, 59, tzinfo=UTC) - clock.now())
    assert (await services.collab.open_page(GUILD, None, 0)).total == 1
    assert [p.id for p in await services.collab.lookup(GUILD, "", owner_id=BEN)] == [proposal.id]
    assert [i.key for i in await services.collab.digest_items(GUILD, since, window_end, 5)] == [f"collab:{proposal.id}"]
    await services.collab.join(GUILD, BEN, proposal.id)
    clock.advance(timedelta(minutes=1))  # the deadline moment; no run_due: the job is late
    assert (await services.collab.get(GUILD, proposal.id)).status == "open"
    page = await services.collab.open_page(GUILD, None, 0)
    assert (page.total, page.items) == (0, [])
    assert (await services.collab.open_page(GUILD, "collaboration", 0)).total == 0
    assert await services.collab.lookup(GUILD, "", owner_id=BEN) == []
    assert [p.id for p in await services.collab.lookup(GUILD, "", owner_id=ANNA)] == [proposal.id]  # her own
    with pytest.raises(Conflict) as caught:
        await services.collab.join(GUILD, CAS, proposal.id)
    assert caught.value.key == "collab.not_open.expired"
    assert await services.collab.digest_items(GUILD, since, window_end, 5) == []  # a late digest skips it
    assert await services.collab.live_keys(GUILD, [f"collab:{proposal.id}"]) == set()
    assert await count(db, "SELECT count(*) FROM collab_partners") == 1  # only Ben's, from before the deadline


async def test_the_expiry_job_closes_it_at_the_deadline_not_before(services: Services, clock: FixedClock) -> None:
    """A minute before the deadline nothing happens; at the deadline it expires and owner and partners are told."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    partner = await services.collab.join(GUILD, BEN, proposal.id)
    await services.collab.answer(GUILD, ANNA, partner.id, accept=True)
    await services.members.take_notices(GUILD, BEN)
    clock.advance(datetime(2026, 12, 1, 22, 59, tzinfo=UTC) - clock.now())
    await services.job_runner.run_due()
    assert (await services.collab.get(GUILD, proposal.id)).open
    clock.advance(timedelta(minutes=1))
    await services.job_runner.run_due()
    expired = await services.collab.get(GUILD, proposal.id)
    assert expired.status == "expired" and expired.closed_at == DEADLINE_AT
    assert [n.key for n in await services.members.take_notices(GUILD, ANNA)] == ["collab.notice.expired"]
    assert [n.key for n in await services.members.take_notices(GUILD, BEN)] == ["collab.notice.expired_partner"]
    clock.advance(timedelta(days=1))
    await services.job_runner.run_due()
    assert await services.members.take_notices(GUILD, ANNA) == []  # once


async def test_the_list_is_open_only_by_theme_and_nearest_deadline_first(services: Services) -> None:
    """Pages of five; a theme filter; a closed proposal drops out."""
    made = []
    for n in range(7):
        themes = ("strategy",) if n % 2 else ("collaboration",)
        made.append(
            await services.collab.propose(
                GUILD, ANNA, draft(title=f"Plan {n}", deadline=f"2027-01-{20 - n}", themes=themes)
            )
        )
    await services.collab.close(GUILD, ANNA, made[6].id, "stopped", None)
    first = await services.collab.open_page(GUILD, None, 0)
    assert (first.total, first.pages) == (6, 2)
    assert [p.title for p in first.items] == ["Plan 5", "Plan 4", "Plan 3", "Plan 2", "Plan 1"]
    strategy = await services.collab.open_page(GUILD, "strategy", 0)
    assert [p.title for p in strategy.items] == ["Plan 5", "Plan 3", "Plan 1"]
    assert (await services.collab.open_page(OTHER, None, 0)).total == 0
    assert [p.id for p in await services.collab.lookup(GUILD, "plan 2")] == [made[2].id]
    assert [p.id for p in await services.collab.lookup(GUILD, f"#{made[6].id}", owner_id=ANNA)] == [made[6].id]
    assert await services.collab.lookup(GUILD, f"#{made[6].id}", owner_id=BEN) == []


# --- the digest's source ---------------------------------------------------------------------------------------


async def test_the_digest_source_gives_new_open_proposals_and_drops_ended_ones(
    services: Services, clock: FixedClock
) -> None:
    """Items of the window with goal and main theme; live_keys keeps only open proposals."""
    since = clock.now()
    one = await services.collab.propose(GUILD, ANNA, draft(title="Een", themes=("strategy", "collaboration")))
    two = await services.collab.propose(GUILD, BEN, draft(title="Twee", deadline="2026-11-30"))
    three = await services.collab.propose(GUILD, CAS, draft(title="Drie"))
    clock.advance(timedelta(hours=1))
    items = await services.collab.digest_items(GUILD, since, clock.now(), 5)
    assert [i.key for i in items] == [f"collab:{two.id}", f"collab:{one.id}", f"collab:{three.id}"]
    first = items[1]
    assert (first.section, first.title, first.summary, first.theme) == ("collab", "Een", one.goal, "strategy")
    assert first.created_at == one.created_at
    assert await services.collab.digest_items(GUILD, clock.now(), clock.now() + timedelta(days=1), 5) == []
    assert len(await services.collab.digest_items(GUILD, since, clock.now(), 2)) == 2
    await services.collab.close(GUILD, BEN, two.id, "other", "Anders opgelost")
    await services.collab.remove(GUILD, MOD, three.id, "Dubbel")
    keys = [f"collab:{p.id}" for p in (one, two, three)] + ["collab:x", "resource:1"]
    assert set(await services.collab.live_keys(GUILD, keys)) == {f"collab:{one.id}"}


async def test_a_new_proposal_is_in_the_digest_preview(services: Services, clock: FixedClock) -> None:
    """Registered as the digest's source: the server's digest preview shows it in the collab section."""
    proposal = await services.collab.propose(GUILD, ANNA, draft())
    clock.advance(timedelta(minutes=5))
    content = await services.digest.preview(GUILD)
    assert [i.key for i in content.sections.get("collab", ())] == [f"collab:{proposal.id}"]
    await services.guild_settings.update(GUILD, themes=("skills",))
    assert "collab" not in (await services.digest.preview(GUILD)).sections  # theme off: no section
