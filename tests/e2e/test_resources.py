"""The resource library through the wire: suggest → review → find, the audit log, restarts, abuse."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.domain.resources import make_draft
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeMember

Env = tuple[FakeDiscord, SteunpuntBot]


async def _configure(fake: FakeDiscord, bot: SteunpuntBot) -> None:
    await bot.services.guild_settings.update(
        fake.guild.id, moderator_role_id=fake.world.moderator_role.id, moderator_channel_id=fake.world.moderators.id
    )


async def _suggest(fake: FakeDiscord, who: FakeMember, title: str, url: str, summary: str = "Een goede gids."):
    opened = await fake.slash("resource suggest", user=who, theme="skills", type="guide", language="nl")
    submitted = await fake.submit_modal(
        opened.modal, {"title": title, "url": url, "summary": summary, "tags": "digitaliseren", "publisher": "DEN"}
    )
    assert submitted.ephemeral, submitted.errors
    card = await fake.wait_until(
        lambda: next((m for m in reversed(fake.messages(fake.world.moderators)) if m.custom_ids), None),
        what="the queue card",
    )
    return submitted, card


async def test_suggest_approve_find_and_reject_with_reason(steunpunt: Env) -> None:
    """Approved suggestions are found by /resource search and /ask; a rejection's reason reaches the member."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    _, card = await _suggest(fake, fake.alice, "Handboek beeldbank inrichten", "https://example.org/beeldbank")
    approve = next(c for c in card.custom_ids if c.startswith("res:approve:"))
    approved = await fake.click(card, approve, user=fake.moderator)
    assert approved.type == 7 and card.components == []
    found = await fake.slash("resource search", user=fake.bob, query="beeldbank inrichten")
    assert "Handboek beeldbank inrichten" in found.message.embed_text
    asked = await fake.slash("ask", user=fake.alice, question="hoe richt ik een beeldbank in")
    assert "Handboek beeldbank inrichten" in asked.message.embeds[0]["fields"][0]["name"]
    notice = await asked.wait_followup()  # told after their next command
    assert notice.ephemeral and "goedgekeurd" in notice.content

    _, card2 = await _suggest(fake, fake.bob, "Random blog", "https://example.org/blog")
    reject = next(c for c in card2.custom_ids if c.startswith("res:reject:"))
    opened = await fake.click(card2, reject, user=fake.moderator)
    await fake.submit_modal(opened.modal, {"note": "Geen bron over erfgoed"})
    later = await fake.slash("help", user=fake.bob)
    told = await later.wait_followup()
    assert "Random blog" in told.content and "Geen bron over erfgoed" in told.content
    log = await fake.slash("modlog", user=fake.moderator)
    text = log.message.embed_text
    assert "Goedgekeurd" in text and "Afgewezen" in text and "Geen bron over erfgoed" in text


async def test_plain_member_cannot_approve(steunpunt: Env) -> None:
    """Pressing Approve without the moderator role is refused and the suggestion stays pending."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    _, card = await _suggest(fake, fake.alice, "Toolkit open data", "https://example.org/open-data")
    approve = next(c for c in card.custom_ids if c.startswith("res:approve:"))
    result = await fake.click(card, approve, user=fake.bob)
    assert result.ephemeral and "moderators" in result.content
    resource_id = int(approve.rsplit(":", 1)[1])
    assert (await bot.services.library.get(fake.guild.id, resource_id)).status == "pending"
    assert card.custom_ids  # the card still has its buttons


async def test_hostile_title_is_harmless(steunpunt: Env) -> None:
    """A title with @everyone and a masked link is stored as typed, but pings nobody and shows no masked link."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    title = "@everyone [https://good.example](https://evil.example)"
    confirmation, card = await _suggest(fake, fake.alice, title, "https://real.example/page")
    resource_id = int(next(c for c in card.custom_ids if c.startswith("res:")).rsplit(":", 1)[1])
    assert (await bot.services.library.get(fake.guild.id, resource_id)).title == title
    approve = next(c for c in card.custom_ids if c.startswith("res:approve:"))
    await fake.click(card, approve, user=fake.moderator)
    shown = await fake.slash("resource show", user=fake.bob, resource=str(resource_id))
    browse = await fake.slash("resource browse", user=fake.bob)
    for message in (confirmation.message, card, shown.message, browse.message):
        assert message.pings == []
        wire = json.dumps({"content": message.content, "embeds": message.embeds})
        assert "](https://evil.example)" not in wire
        assert "@everyone" not in wire.replace("@\\u200beveryone", "")


async def test_queue_card_works_after_a_restart(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """A queue card posted before a restart is approved by its old Approve button after the restart."""
    fake = fake_discord
    async with launch() as bot:
        await _configure(fake, bot)
        _, card = await _suggest(fake, fake.alice, "Cursus metadata", "https://example.org/metadata")
    async with launch() as bot:
        approve = next(c for c in card.custom_ids if c.startswith("res:approve:"))
        result = await fake.click(card, approve, user=fake.moderator)
        assert result.type == 7
        resource_id = int(approve.rsplit(":", 1)[1])
        assert (await bot.services.library.get(fake.guild.id, resource_id)).status == "approved"


async def test_starter_content_and_export(steunpunt: Env) -> None:
    """A manager loads the starter library (twice adds nothing); a moderator exports it as a file."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    first = await fake.slash("setup starter", user=fake.world.owner)
    text = (await first.final()).content
    assert "58" in text or "added" in text
    second = await fake.slash("setup starter", user=fake.world.owner)
    assert "0 resources added" in (await second.final()).content
    exported = await fake.slash("resource export", user=fake.moderator, format="csv")
    csv_file = (await exported.final()).attachments[0]
    assert csv_file.filename.endswith(".csv")
    assert (
        csv_file.data.decode("utf-8-sig").count("\n")
        == (await bot.services.library.browse(fake.guild.id, None, 0)).total + 1
    )


async def test_queue_lists_pending_oldest_first_in_pages(steunpunt: Env, clock: FixedClock) -> None:
    """Moderators page through pending suggestions, oldest first; members are refused."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    for i in range(7):
        draft = make_draft(
            title=f"Voorstel {i}",
            url=f"https://example.org/{i}",
            summary="",
            theme="skills",
            type="guide",
            language="nl",
        )
        await bot.services.library.suggest(fake.guild.id, 1000 + i, draft)
        clock.advance(timedelta(minutes=1))
    queue = await fake.slash("resource queue", user=fake.moderator)
    names = [f["name"] for f in queue.message.embeds[0]["fields"]]
    assert [n.split(" ", 1)[1] for n in names] == [f"Voorstel {i}" for i in range(5)]
    turned = await fake.click(queue.message, "page:last", user=fake.moderator)
    assert [f["name"].split(" ", 1)[1] for f in turned.message.embeds[0]["fields"]] == ["Voorstel 5", "Voorstel 6"]
    refused = await fake.slash("resource queue", user=fake.alice)
    assert refused.ephemeral and "moderator" in refused.content
