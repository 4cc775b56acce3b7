"""Members' own data: export shows everything about them; forget deletes traces and anonymises content."""

from __future__ import annotations

import json

from bot.db.repos.privacy import FORGOTTEN
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
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
