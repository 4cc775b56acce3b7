"""Questions and answers through the wire: /ask with feedback, the help forum, solutions, /unanswered, FAQ."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import SteunpuntBot
from tests.fakediscord import FakeDiscord, payloads

Env = tuple[FakeDiscord, SteunpuntBot]


@pytest.fixture
async def qa(steunpunt: Env) -> Env:
    """A server with a help forum (and its Solved tag), a moderator role, and two FAQ entries."""
    fake, bot = steunpunt
    world = fake.world
    await bot.services.guild_settings.update(
        fake.guild.id,
        help_forum_id=world.forum.id,
        moderator_role_id=world.moderator_role.id,
        moderator_channel_id=world.moderators.id,
    )
    solved = next(t["id"] for t in world.forum.available_tags if t["name"] == "solved")
    await bot.services.setup.remember_forum_tags(fake.guild.id, world.forum.id, {"solved": solved})
    await bot.services.qa.faq_save(
        fake.guild.id,
        world.moderator.id,
        title="Welke Creative Commons-licentie past bij onze collectie?",
        body="Begin bij CC BY 4.0: hergebruik met naamsvermelding. Kies CC0 voor metadata.",
        aliases="cc licentie",
    )
    await bot.services.qa.faq_save(
        fake.guild.id,
        world.moderator.id,
        title="How do we choose a digitisation partner?",
        body="Compare quotes on image quality, metadata delivery and file formats such as TIFF.",
    )
    return fake, bot


async def test_ask_in_dutch_and_english_with_feedback(qa: Env) -> None:
    """Both languages get answers in their own words, from either language, with working feedback buttons."""
    fake, bot = qa
    dutch = await fake.slash("ask", user=fake.alice, question="welke licentie voor onze collectie")
    assert dutch.ephemeral
    embed = dutch.message.embeds[0]
    assert embed["title"].startswith("Je vroeg")
    assert "Creative Commons" in embed["fields"][0]["name"]
    english = await fake.slash("ask", user=fake.bob, question="which Creative Commons licence for our collection?")
    assert english.message.embeds[0]["title"].startswith("You asked")
    assert "Creative Commons" in english.message.embeds[0]["fields"][0]["name"]  # a Dutch answer, found in English
    helped = next(c for c in dutch.message.custom_ids if c.startswith("qa:fb:") and not c.endswith(":x"))
    thanks = await fake.click(dutch.message, helped, user=fake.alice)
    assert thanks.ephemeral and "Dank je" in thanks.content
    doc_id = int(helped.rsplit(":", 1)[1])
    assert (await bot.services.search.get(doc_id)).helpful == 1
    not_useful = next(c for c in english.message.custom_ids if c.endswith(":x"))
    reply = await fake.click(english.message, not_useful, user=fake.bob)
    assert "Thanks for telling me" in reply.content
    assert dutch.message.pings == [] and english.message.pings == []


async def test_nothing_found_offers_the_help_forum(qa: Env) -> None:
    """With no match, a button opens a prefilled modal that posts the question in the forum for the member."""
    fake, bot = qa
    asked = await fake.slash("ask", user=fake.alice, question="subsidie voor een escape room in het depot")
    assert asked.message.embeds[0].get("fields", []) == []
    offer = next(c for c in asked.message.custom_ids if c.startswith("qa:post:"))
    opened = await fake.click(asked.message, offer, user=fake.alice)
    assert opened.modal.title
    assert opened.modal.value("title").startswith("subsidie voor een escape room")
    posted = await fake.submit_modal(
        opened.modal, {"title": "Subsidie voor escape room?", "details": "Wie weet een fonds?"}
    )
    final = await posted.final()
    assert "hulpforum" in final.content
    thread = next(t for t in fake.threads(fake.world.forum) if t.name == "Subsidie voor escape room?")
    starter = fake.messages(thread)[0]
    assert fake.alice.mention in starter.content
    assert starter.pings == [fake.alice.mention]
    post = await bot.services.qa.post(fake.guild.id, thread.id)
    assert post is not None and post.author_id == fake.alice.id


async def test_forum_suggestion_once_and_dismiss(qa: Env) -> None:
    """A new post gets one reply with related items; only the asker (or a moderator) can dismiss it."""
    fake, _ = qa
    thread = await fake.create_forum_post(fake.alice, "Welke licentie voor foto's van de collectie?", "Graag advies")
    reply = await fake.wait_until(
        lambda: next((m for m in fake.messages(thread) if m.author_id != fake.alice.id), None), what="the suggestion"
    )
    assert "Creative Commons" in reply.embed_text
    dismiss = next(c for c in reply.custom_ids if c.startswith("qa:dismiss:"))
    refused = await fake.click(reply, dismiss, user=fake.bob)
    assert refused.ephemeral and not reply.deleted
    await fake.click(reply, dismiss, user=fake.alice)
    await fake.wait_until(lambda: reply.deleted or None, what="the suggestion to be deleted")
    # a second THREAD_CREATE for the same post (e.g. after a reconnect) does not reply again
    await fake.dispatch("THREAD_CREATE", {**payloads.channel(thread, fake.state), "newly_created": True})
    await fake.slash("help", user=fake.alice)  # a round trip after the event, so the bot has handled it
    assert [
        m for m in fake.messages(thread) if m.author_id != fake.alice.id and not m.deleted and not m.ephemeral
    ] == []


async def test_mark_as_solution_by_asker_moderator_and_others(qa: Env) -> None:
    """The asker and a moderator may mark the solution; a stranger is refused; the answer is found next time."""
    fake, bot = qa
    thread = await fake.create_forum_post(fake.alice, "Hoe bewaar ik born-digital archieven duurzaam?", "Vraag")
    await fake.wait_until(lambda: bot.get_channel(thread.id), what="the thread in the bot's cache")
    answer = await fake.post_message(thread, fake.bob, "Gebruik open bestandsformaten en een e-depot met checksums.")
    stranger = await fake.add_member("carol", locale="en-GB")
    other_answer = await fake.post_message(thread, stranger, "Print everything.")
    no = await fake.context_menu("Mark as solution", other_answer, user=stranger)
    assert no.ephemeral and "Only the person who asked" in no.content
    assert not (await bot.services.qa.post(fake.guild.id, thread.id)).solved
    by_asker = await fake.context_menu("Mark as solution", answer, user=fake.alice)
    done = await by_asker.final()
    assert "oplossing" in done.content.lower()
    solved_tag = next(t["id"] for t in fake.world.forum.available_tags if t["name"] == "solved")
    await fake.wait_until(lambda: solved_tag in thread.applied_tags or None, what="the Solved tag")
    thanks = await fake.wait_until(
        lambda: next((m for m in fake.messages(thread) if "Opgelost" in m.content), None), what="the thank-you"
    )
    assert thanks.pings == [fake.bob.mention]
    asked = await fake.slash("ask", user=fake.alice, question="born-digital archief duurzaam bewaren")
    assert "born-digital" in asked.message.embeds[0]["fields"][0]["name"]
    second = await fake.create_forum_post(fake.bob, "Welk e-depot voor een kleine stichting?", "?")
    await fake.wait_until(lambda: bot.get_channel(second.id), what="the second thread")
    reply = await fake.post_message(second, fake.alice, "Kijk naar een gedeeld e-depot in je provincie.")
    by_mod = await fake.context_menu("Mark as solution", reply, user=fake.moderator)
    await by_mod.final()
    assert (await bot.services.qa.post(fake.guild.id, second.id)).solved


async def test_unanswered_pages(qa: Env) -> None:
    """Open posts are listed oldest first, five per page, and the buttons turn pages."""
    fake, bot = qa
    for i in range(7):
        await fake.create_forum_post(fake.alice, f"Open vraag nummer {i}", "…")
    await fake.wait_until(lambda: len(fake.threads(fake.world.forum)) >= 7 or None, what="threads")
    for _ in range(100):  # the bot records posts as their THREAD_CREATE events arrive
        if (await bot.services.qa.unanswered(fake.guild.id, 0)).total == 7:
            break
        await asyncio.sleep(0.01)
    listing = await fake.slash("unanswered", user=fake.bob)
    first = listing.message.embeds[0]
    assert first["title"].startswith("Open questions (7)")
    assert [f["name"] for f in first["fields"]] == [f"Open vraag nummer {i}" for i in range(5)]
    turned = await fake.click(listing.message, "page:next", user=fake.bob)
    second = turned.message.embeds[0]
    assert [f["name"] for f in second["fields"]] == ["Open vraag nummer 5", "Open vraag nummer 6"]
    assert "2" in second["footer"]["text"]


async def test_faq_modals_and_autocomplete(qa: Env) -> None:
    """A moderator adds and edits an entry through modals; members find it by typing part of an alias."""
    fake, bot = qa
    opened = await fake.slash("faq add", user=fake.moderator)
    saved = await fake.submit_modal(
        opened.modal,
        {
            "title": "Wat is een PID?",
            "body": "Een persistente identifier, zoals een Handle of ARK.",
            "aliases": "persistent identifier\nhandle",
        },
    )
    assert saved.ephemeral and "aangemaakt" in saved.content
    choices = await fake.autocomplete("faq show", "entry", "persistnt", user=fake.alice)
    assert choices[0]["name"] == "Wat is een PID?"
    entry_id = choices[0]["value"]
    edit = await fake.slash("faq edit", user=fake.moderator, entry=entry_id)
    assert edit.modal.value("title") == "Wat is een PID?"
    await fake.submit_modal(edit.modal, {"title": "Wat is een PID (persistente identifier)?"})
    shown = await fake.slash("faq show", user=fake.alice, entry=entry_id)
    assert not shown.ephemeral
    assert shown.message.embeds[0]["title"] == "Wat is een PID (persistente identifier)?"
    log = await bot.services.audit.recent(fake.guild.id, 0)
    assert [e.action for e in log.items][:2] == ["faq.edit", "faq.add"]


async def test_member_cannot_add_faq(qa: Env) -> None:
    """A plain member is refused the moderator modal, and nothing is stored."""
    fake, bot = qa
    result = await fake.slash("faq add", user=fake.alice)
    assert result.ephemeral and result.type == 4
    assert "moderator" in result.content
    assert len(await bot.services.qa.faq_find(fake.guild.id, "")) == 2


async def test_query_full_of_search_syntax(qa: Env) -> None:
    """FTS5 operators, quotes and brackets in a question are answered normally."""
    fake, _ = qa
    result = await fake.slash("ask", user=fake.bob, question='licentie" OR title:* NEAR(collectie AND ^cc) ((( -x')
    assert result.ephemeral and result.type == 4
    assert result.message.embeds[0]["fields"][0]["name"].startswith("1.")


async def test_moderator_promotes_a_solved_post_to_faq(qa: Env) -> None:
    """Under a solved post, a moderator edits the prefilled question and answer into an FAQ entry."""
    fake, bot = qa
    thread = await fake.create_forum_post(fake.alice, "Hoe lang bewaren we bezoekersgegevens?", "AVG-vraag")
    await fake.wait_until(lambda: bot.get_channel(thread.id), what="the thread")
    answer = await fake.post_message(
        thread, fake.bob, "Niet langer dan nodig; leg de termijn vast in je privacybeleid."
    )
    await (await fake.context_menu("Mark as solution", answer, user=fake.alice)).final()
    thanks = await fake.wait_until(
        lambda: next((m for m in fake.messages(thread) if m.custom_ids), None), what="the thank-you"
    )
    promote = next(c for c in thanks.custom_ids if c.startswith("qa:promote:"))
    refused = await fake.click(thanks, promote, user=fake.bob)
    assert refused.ephemeral and refused.type == 4
    opened = await fake.click(thanks, promote, user=fake.moderator)
    assert opened.modal.value("body").startswith("Niet langer dan nodig")
    saved = await fake.submit_modal(opened.modal, {"title": "Bewaartermijn bezoekersgegevens (AVG)"})
    assert saved.ephemeral
    entries = await bot.services.qa.faq_find(fake.guild.id, "Bewaartermijn")
    assert entries and entries[0].thread_id == thread.id


async def test_gaps_show_what_was_not_found(qa: Env) -> None:
    """Moderators see questions nobody could answer and answers marked not useful; members are refused."""
    fake, _ = qa
    await fake.slash("ask", user=fake.alice, question="subsidie voor een escape room")
    asked = await fake.slash("ask", user=fake.bob, question="creative commons licence")
    await fake.click(asked.message, next(c for c in asked.message.custom_ids if c.endswith(":x")), user=fake.bob)
    report = await fake.slash("gaps", user=fake.moderator)
    text = report.message.embed_text
    assert "subsidie voor een escape room" in text
    assert "creative commons licence" in text
    fake.permission_overrides.add("gaps")
    refused = await fake.slash("gaps", user=fake.alice)
    assert refused.ephemeral and "moderator" in refused.content


async def test_forum_that_requires_a_tag_still_gets_the_post(qa: Env) -> None:
    """When the help forum requires a tag, the post made for a member carries one members may use."""
    fake, _ = qa
    fake.world.forum.flags |= 1 << 4  # REQUIRE_TAG
    await fake.dispatch("CHANNEL_UPDATE", payloads.channel(fake.world.forum, fake.state))
    asked = await fake.slash("ask", user=fake.alice, question="subsidie voor een escape room in het depot")
    opened = await fake.click(
        asked.message, next(c for c in asked.message.custom_ids if c.startswith("qa:post:")), user=fake.alice
    )
    await (await fake.submit_modal(opened.modal, {"title": "Escape room?"})).final()
    thread = next(t for t in fake.threads(fake.world.forum) if t.name == "Escape room?")
    question_tag = next(t["id"] for t in fake.world.forum.available_tags if t["name"] == "question")
    assert thread.applied_tags == [question_tag]


async def test_mark_as_solution_refuses_the_bots_own_message(qa: Env) -> None:
    """The bot's suggestion cannot be marked as the solution (issue 10, defect 9): nothing thanked or indexed."""
    fake, bot = qa
    thread = await fake.create_forum_post(fake.alice, "Welke licentie voor foto's van de collectie?", "Graag advies")
    suggestion = await fake.wait_until(
        lambda: next((m for m in fake.messages(thread) if m.author_id != fake.alice.id), None), what="the suggestion"
    )
    refused = await fake.context_menu("Mark as solution", suggestion, user=fake.alice)
    assert refused.ephemeral and "bericht van een lid" in refused.content
    post = await bot.services.qa.post(fake.guild.id, thread.id)
    assert post is not None and not post.solved
    assert await bot.services.search.stored(("thread",)) == []
    assert [m for m in fake.messages(thread) if "Opgelost" in m.content] == []
