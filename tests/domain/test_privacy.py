"""Members' own data: export shows everything about them; forget deletes traces and anonymises content."""

from __future__ import annotations

import json

import pytest

from bot.db.database import Database
from bot.domain.privacy import FORGOTTEN
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.errors import Conflict
from bot.services import Services

GUILD, OTHER = 10, 20
ALICE, BOB, MOD = 1, 2, 3


async def _history(services: Services) -> None:
    draft = make_draft(
        title="Gids", url="https://example.org/g", summary="", theme="skills", type="guide", language="nl"
    )
    resource = await services.library.suggest(GUILD, ALICE, draft)
    await services.library.approve(GUILD, resource.id, MOD)
    await services.library.vote_helpful(GUILD, resource.id, ALICE)
    await services.qa.post_opened(HelpPost(900, GUILD, 50, ALICE, "Vraag over depots"))
    await services.qa.mark_solution(
        GUILD,
        900,
        marker_id=ALICE,
        is_moderator=False,
        answer_message_id=1,
        answer_author_id=BOB,
        answer_text="Antwoord",
    )
    search_id, result = await services.qa.ask(GUILD, "gids")
    await services.qa.feedback(GUILD, ALICE, search_id, result.hits[0].document.id, True)
    await services.members.set_dm_opt_in(GUILD, ALICE, True)
    await services.members.set_dm_opt_in(OTHER, ALICE, True)


async def test_export_lists_the_members_data(services: Services) -> None:
    """The export holds the member's suggestions, posts, votes, feedback and preferences, and nobody else's."""
    await _history(services)
    doc = json.loads(await services.privacy.export(GUILD, ALICE))
    data = doc["data"]
    assert doc["member_id"] == str(ALICE)
    assert [r["title"] for r in data["resource_suggestions"]] == ["Gids"]
    assert [p["title"] for p in data["help_posts"]] == ["Vraag over depots"]
    assert len(data["resource_votes"]) == 1 and len(data["answer_feedback"]) == 1
    assert data["preferences"][0]["dm_opt_in"] == 1
    assert data["accepted_answers"] == []
    bob = json.loads(await services.privacy.export(GUILD, BOB))["data"]
    assert [a["answer_text"] for a in bob["accepted_answers"]] == ["Antwoord"]


async def test_forget_removes_traces_and_keeps_shared_content(services: Services) -> None:
    """Nothing points at the member afterwards; the resource and solved post remain; other servers are untouched."""
    await _history(services)
    assert await services.privacy.forget(GUILD, ALICE) > 0
    data = json.loads(await services.privacy.export(GUILD, ALICE))["data"]
    assert all(rows == [] for rows in data.values())
    resource = (await services.library.browse(GUILD, None, 0)).items[0]
    assert resource.suggested_by == FORGOTTEN and resource.helpful == 0
    post = await services.qa.post(GUILD, 900)
    assert post is not None and post.author_id == FORGOTTEN and post.solved
    assert not await services.members.dm_opt_in(GUILD, ALICE)
    assert await services.members.dm_opt_in(OTHER, ALICE)


CAROL = 412345678901234567
"""A realistic snowflake, so a scan for it cannot match small numbers by chance."""


async def _everywhere(services: Services) -> None:
    """Carol acts everywhere, and others write about her (mentions in answers, FAQ bodies, reasons, searches)."""
    mention = f"<@{CAROL}>"
    draft = make_draft(
        title="Gids van Carol",
        url="https://example.org/carol",
        summary=f"Tip van {mention}: eerst een plan.",
        theme="skills",
        type="guide",
        language="nl",
    )
    mine = await services.library.suggest(GUILD, CAROL, draft)
    await services.library.approve(GUILD, mine.id, MOD)
    await services.library.vote_helpful(GUILD, mine.id, CAROL)
    other = make_draft(
        title="Gids van Bob",
        url="https://example.org/bob",
        summary="Over depots.",
        theme="skills",
        type="guide",
        language="nl",
    )
    bobs = await services.library.suggest(GUILD, BOB, other)
    await services.library.reject(GUILD, bobs.id, CAROL, f"Vraag het <@!{CAROL}> maar")
    await services.qa.post_opened(HelpPost(901, GUILD, 50, CAROL, "Hoe bewaar ik negatieven?"))
    await services.qa.mark_solution(
        GUILD,
        901,
        marker_id=CAROL,
        is_moderator=False,
        answer_message_id=2,
        answer_author_id=BOB,
        answer_text=f"{mention}, koel en droog, zie {CAROL}.",
    )
    await services.qa.promote(GUILD, 901, MOD, title="Negatieven bewaren", body=f"Zoals {mention} vroeg: koel.")
    search_id, result = await services.qa.ask(GUILD, f"negatieven {mention}")
    await services.qa.feedback(GUILD, CAROL, search_id, result.hits[0].document.id, True)
    await services.members.set_dm_opt_in(GUILD, CAROL, True)


async def _find_everywhere(db: Database, needle: int) -> list[str]:
    """Every table.column (FTS5 shadow tables included) where the id appears as a value or inside text."""
    found = []
    tables = await db.fetch_all(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
    )
    text, raw = str(needle), str(needle).encode()
    for table in tables:
        rows = await db.fetch_all(f'SELECT * FROM "{table["name"]}"')
        for row in rows:
            for column in row.keys():  # noqa: SIM118 - sqlite3.Row has no __iter__ over names
                value = row[column]
                if (
                    value == needle
                    or (isinstance(value, str) and text in value)
                    or (isinstance(value, bytes) and raw in value)
                ):
                    found.append(f"{table['name']}.{column}")
    return sorted(set(found))


async def test_after_forget_the_id_is_nowhere(services: Services, db: Database) -> None:
    """After forget, a scan of every column of every table finds the member's id nowhere in that server's data."""
    await _everywhere(services)
    assert await _find_everywhere(db, CAROL)  # the scan does see the id before
    await services.privacy.forget(GUILD, CAROL)
    assert await services.job_runner.run_due() >= 1  # the index compaction drops deleted texts for good
    assert await _find_everywhere(db, CAROL) == []
    _, found = await services.qa.ask(GUILD, "negatieven bewaren")
    assert found.hits and all(str(CAROL) not in h.document.body for h in found.hits)
    assert (await services.maintenance.check()).clean


async def test_an_edit_started_before_forget_cannot_write_the_id_back(services: Services) -> None:
    """Forget changes the version of the texts it masks: a moderator's stale edit or decision is refused."""
    draft = make_draft(
        title="Gids",
        url="https://example.org/g",
        summary=f"Tip van <@{CAROL}>",
        theme="skills",
        type="guide",
        language="nl",
    )
    resource = await services.library.suggest(GUILD, BOB, draft)
    entry = await services.qa.faq_save(GUILD, MOD, title="Vraag", body=f"Zoals <@{CAROL}> zei.")
    seen = await services.library.get(GUILD, resource.id)  # the moderator opens the edit form
    await services.privacy.forget(GUILD, CAROL)
    with pytest.raises(Conflict):
        await services.library.edit(GUILD, resource.id, MOD, draft, expected_version=seen.version)
    with pytest.raises(Conflict):
        await services.qa.faq_save(
            GUILD, MOD, title="Vraag", body=f"Zoals <@{CAROL}> zei.", entry_id=entry.id, expected_version=entry.version
        )
    assert str(CAROL) not in (await services.library.get(GUILD, resource.id)).summary
