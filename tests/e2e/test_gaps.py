"""The knowledge-gap ledger through the wire: /ask without a good answer → /gaps; an FAQ entry closes it; dismiss."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import SteunpuntBot
from bot.db.database import Database
from tests.e2e.conftest import Launcher, handlers_done
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]
ESCAPE = "subsidie voor een escape room in het depot"
OTHER = "Hoe lang bewaren we bezoekersgegevens?"


async def _configure(fake: FakeDiscord, bot: SteunpuntBot) -> None:
    world = fake.world
    await bot.services.guild_settings.update(
        fake.guild.id,
        help_forum_id=world.forum.id,
        moderator_role_id=world.moderator_role.id,
        moderator_channel_id=world.moderators.id,
    )


@pytest.fixture
async def ledger(steunpunt: Env) -> Env:
    """A server with a moderator role and a help forum, and nothing in its knowledge base yet."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    return fake, bot


async def test_a_gap_closes_itself_when_a_matching_faq_entry_is_added(ledger: Env) -> None:
    """A member's unanswered question is listed; the moderator's /faq add answers it and it leaves the list."""
    fake, bot = ledger
    asked = await fake.slash("ask", user=fake.alice, question=ESCAPE)
    assert asked.message.embeds[0].get("fields", []) == []  # nothing found
    await fake.slash("ask", user=fake.bob, question="Escape room in our depot: which grant? subsidie")
    await fake.slash("ask", user=fake.alice, question=OTHER)
    await handlers_done()  # each gap is recorded right after its answer

    listed = await fake.slash("gaps", user=fake.moderator)
    assert listed.ephemeral and listed.message.pings == []
    text = listed.message.embed_text
    assert ESCAPE in text and OTHER in text
    assert text.index(ESCAPE) < text.index(OTHER)  # two askers weigh more than one
    assert "Kennisgaten: 2 open" in text

    opened = await fake.slash("faq add", user=fake.moderator)
    saved = await fake.submit_modal(
        opened.modal,
        {
            "title": "Subsidie voor een escape room in het depot",
            "body": "Het Mondriaan Fonds en provinciale fondsen steunen een escape room in het depot.",
        },
        user=fake.moderator,
    )
    assert saved.ephemeral
    [entry] = await bot.services.qa.faq_find(fake.guild.id, "Subsidie voor een escape")
    await bot.run_jobs()

    again = await fake.slash("gaps", user=fake.moderator)
    [open_field] = [f["name"] for f in again.message.embeds[0]["fields"] if f["name"].startswith("#")]
    assert OTHER in open_field and ESCAPE not in open_field
    assert f"FAQ-item #{entry.id}" in again.message.embed_text  # recently closed, and by what
    ledger_now = await bot.services.gaps.ledger(fake.guild.id, 0)
    [closed] = ledger_now.closed
    assert (closed.question, closed.status, closed.closed_source, closed.closed_source_key) == (
        ESCAPE,
        "closed",
        "faq",
        str(entry.id),
    )


async def test_a_moderator_dismisses_a_gap_with_a_reason(ledger: Env) -> None:
    """Pick a gap from the list, give the reason in the modal; the gap leaves the list and the log has it."""
    fake, bot = ledger
    await fake.slash("ask", user=fake.alice, question=ESCAPE)
    await handlers_done()
    listed = await fake.slash("gaps", user=fake.moderator)
    [gap] = (await bot.services.gaps.ledger(fake.guild.id, 0)).page.items
    picked = await fake.click(listed.message, "gaps:pick", user=fake.moderator, values=[str(gap.id)])
    assert picked.modal is not None
    done = await fake.submit_modal(picked.modal, {"reason": "Valt buiten ons werkveld"}, user=fake.moderator)
    assert done.ephemeral and f"Kennisgat #{gap.id} opzij gezet." in done.content
    after = await fake.slash("gaps", user=fake.moderator)
    assert "Geen open kennisgaten" in after.message.embed_text
    [entry] = (await bot.services.audit.recent(fake.guild.id, 0)).items
    assert (entry.action, entry.actor_id, entry.reason) == (
        "gap.dismiss",
        fake.moderator.id,
        "Valt buiten ons werkveld",
    )
    stale = await fake.click(listed.message, "gaps:pick", user=fake.moderator, values=[str(gap.id)])
    assert stale.ephemeral and "al gesloten" in stale.content


async def test_members_are_refused(ledger: Env) -> None:
    """A plain member gets the moderators-only refusal (the default permission gate lifted)."""
    fake, _ = ledger
    await fake.slash("ask", user=fake.alice, question=ESCAPE)
    fake.permission_overrides.add("gaps")
    refused = await fake.slash("gaps", user=fake.alice)
    assert refused.ephemeral and "moderator" in refused.content and refused.message.embeds == []


async def test_pages_turn_after_a_restart(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """Seven gaps are two pages; the page button of a /gaps reply still answers after the bot restarted."""
    fake = fake_discord
    words = ("glasnegatieven", "microfilm", "lakplaten", "wasrollen", "daguerreotypieen", "tapes", "diaramen")
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await _configure(fake, bot)
        for word in words:
            await fake.slash("ask", user=fake.alice, question=f"{word} conserveren")
        await handlers_done()
        listed = await fake.slash("gaps", user=fake.moderator)
        assert "Pagina 1 van 2" in listed.message.embed_text
    async with launch() as bot:
        turned = await fake.click(listed.message, "gaps:page:30:1:n", user=fake.moderator)
        assert turned.type == 7
        assert "Pagina 2 van 2" in turned.message.embed_text
        assert len([f for f in turned.message.embeds[0]["fields"] if f["name"].startswith("#")]) == 2


async def test_ask_answers_before_the_gap_is_written(ledger: Env) -> None:
    """Another write holds the database for a while: /ask still answers in time; its gap is counted afterwards."""
    fake, bot = ledger
    fake.deadline = 1.0
    held, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:  # e.g. a long import batch, from another connection
        async with Database.open(bot.settings.database_path) as other, other.transaction():
            held.set()
            await release.wait()

    holding = asyncio.create_task(writer())
    await held.wait()
    try:
        asked = await asyncio.wait_for(fake.slash("ask", user=fake.alice, question=ESCAPE), timeout=3)
        assert asked.errors == [] and asked.ephemeral
        assert asked.message.embeds[0].get("fields", []) == []  # nothing found: a gap, not yet written
        assert (await bot.services.gaps.ledger(fake.guild.id, 0)).page.items == []
    finally:
        release.set()
        await holding
    await handlers_done()
    [gap] = (await bot.services.gaps.ledger(fake.guild.id, 0)).page.items
    assert (gap.question, gap.askers) == (ESCAPE, 1)
