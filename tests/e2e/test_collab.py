"""The collaboration board through the fake Discord: propose by modal in Dutch and English, list by theme, join,
the owner told and accepting, closing itself at the deadline, and the proposal in the next digest.

The clock starts on Monday 23 November 2026, 09:00 UTC; the server's time zone is Europe/Amsterdam.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.domain.collab.models import Draft
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeMember, InteractionResult

Env = tuple[FakeDiscord, SteunpuntBot]
FORM = {
    "title": "Samen een IIIF-viewer",
    "goal": "Drie musea delen één viewer voor hun collecties.",
    "partners": "Een archief met IIIF-ervaring",
    "themes": "Samenwerking, strategie",
    "deadline": "01-12-2026",
}


async def settle(bot: SteunpuntBot) -> None:
    """Let jobs a command kicked off in the background finish, then run whatever is due (twice: a job may add one)."""
    for _ in range(2):
        kicks = [t for t in asyncio.all_tasks() if t.get_name() == "steunpunt-jobs-kick" and not t.done()]
        if kicks:
            await asyncio.wait(kicks, timeout=5)
        await bot.run_jobs()


async def _propose(fake: FakeDiscord, who: FakeMember, **fields: str) -> InteractionResult:
    opened = await fake.slash("collab propose", user=who)
    assert opened.modal is not None, opened
    return await fake.submit_modal(opened.modal, {**FORM, **fields}, user=who)


async def test_a_proposal_is_made_through_the_modal_in_dutch_and_in_english(steunpunt: Env) -> None:
    """Alice (nl) and Bob (en) each propose; the reply and card are in their language; nobody is pinged."""
    fake, bot = steunpunt
    dutch = await _propose(fake, fake.alice)
    assert dutch.ephemeral and dutch.message.pings == []
    assert "Je voorstel #1 **Samen een IIIF-viewer** staat op het bord tot 2026-12-01" in dutch.content
    card = dutch.message.embed_text
    assert "#1 · Samen een IIIF-viewer" in card and "Samenwerking, Strategie" in card and "Gezochte partners" in card
    english = await _propose(
        fake, fake.bob, title="Shared digitisation line", themes="skills", deadline="2026-12-15", partners=""
    )
    assert english.ephemeral and english.message.pings == []
    assert "Your proposal #2 **Shared digitisation line** is on the board until 2026-12-15" in english.content
    assert "Skills" in english.message.embed_text and "Partners sought" not in english.message.embed_text
    [first, second] = (await bot.services.collab.open_page(fake.guild.id, None, 0)).items
    assert (first.themes, first.deadline_at) == (("collaboration", "strategy"), "2026-12-01T23:00:00+00:00")
    assert (second.owner_id, second.themes) == (fake.bob.id, ("skills",))


async def test_a_bad_deadline_or_theme_is_explained_and_nothing_is_stored(steunpunt: Env) -> None:
    """The member's language, the forms that work, the themes that exist."""
    fake, bot = steunpunt
    late = await _propose(fake, fake.alice, deadline="gisteren")
    assert late.ephemeral and "31-12-2026 of 2026-12-31" in late.content
    past = await _propose(fake, fake.bob, deadline="2026-11-20")
    assert "must lie after today (2026-11-23)" in past.content
    theme = await _propose(fake, fake.bob, themes="knitting")
    assert "knitting" in theme.content and "Revenue and rights" in theme.content
    assert (await bot.services.collab.open_page(fake.guild.id, None, 0)).total == 0


async def test_the_list_shows_open_proposals_by_theme_in_pages(steunpunt: Env) -> None:
    """Seven proposals: five on the first page, the rest after "next"; the theme option narrows it."""
    fake, bot = steunpunt
    for n in range(7):
        themes = ("strategy",) if n < 2 else ("collaboration",)
        draft = Draft(f"Plan {n}", "Samen iets doen.", "", themes, f"2027-01-{10 + n:02d}")
        await bot.services.collab.propose(fake.guild.id, fake.alice.id, draft)
    listed = await fake.slash("collab list", user=fake.bob)
    text = listed.message.embed_text
    assert listed.ephemeral and "Plan 0" in text and "Plan 4" in text and "Plan 5" not in text
    assert "1/2" in text and "Collaboration proposals" in text
    turned = await fake.click(listed.message, "page:next", user=fake.bob)
    assert "Plan 5" in turned.message.embed_text and "Plan 6" in turned.message.embed_text
    strategy = await fake.slash("collab list", user=fake.alice, theme="strategy")
    text = strategy.message.embed_text
    assert "Samenwerkingsvoorstellen · Strategie" in text and "Plan 1" in text and "Plan 2" not in text


async def test_join_the_owner_is_told_and_accepts(steunpunt: Env) -> None:
    """Bob asks to join; Alice (no DM opt-in) hears it on her next command, accepts in /collab show; Bob is told
    and listed as a partner."""
    fake, bot = steunpunt
    await _propose(fake, fake.alice)
    joined = await fake.slash("collab join", user=fake.bob, proposal="1")
    assert joined.ephemeral and "You asked to join #1" in joined.content
    await settle(bot)
    assert fake.dms(fake.alice) == []
    later = await fake.slash("collab list", user=fake.alice)
    told = await later.wait_followup()
    assert told.ephemeral and f"<@{fake.bob.id}> wil aansluiten bij je samenwerkingsvoorstel #1" in told.content
    assert told.pings == []
    shown = await fake.slash("collab show", user=fake.alice, proposal="#1")
    assert "Wacht op jouw antwoord" in shown.message.embed_text
    accept = next(c for c in shown.message.custom_ids if c.endswith(":yes"))
    accepted = await fake.click(shown.message, accept, user=fake.alice)
    assert accepted.ephemeral and f"<@{fake.bob.id}> is nu partner in #1" in accepted.content
    await settle(bot)
    again = await fake.slash("collab show", user=fake.bob, proposal="1")
    assert f"<@{fake.bob.id}>" in again.message.embed_text and again.message.components == []
    bob_told = await again.wait_followup()
    assert "You are a partner in collaboration proposal #1" in bob_told.content


async def test_an_owner_who_opted_in_gets_a_dm_whose_button_works_after_a_restart(
    fake_discord: FakeDiscord, launch: Launcher
) -> None:
    """The DM carries Accept / Decline; after a restart, Decline still answers and Bob is told."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await fake.slash("privacy dm", user=fake.alice, allow=True)
        await _propose(fake, fake.alice)
        await fake.slash("collab join", user=fake.bob, proposal="1")
        await settle(bot)
        dm = await fake.wait_until(lambda: next(iter(fake.dms(fake.alice)), None), what="the owner's DM")
        assert f"<@{fake.bob.id}> wil aansluiten" in dm.content and dm.pings == []
    async with launch() as bot:
        decline = next(c for c in dm.custom_ids if c.endswith(":no"))
        clicked = await fake.click(dm, decline, user=fake.alice)
        assert clicked.type == 7 and "Afgewezen" in clicked.message.content and clicked.message.components == []
        await settle(bot)  # Bob did not opt in to DMs: his notice waits
        notices = await bot.services.members.pending_notices(fake.guild.id, fake.bob.id)
        assert [n.key for n in notices] == ["collab.notice.declined"]


async def test_the_proposal_closes_itself_at_its_deadline(steunpunt: Env, clock: FixedClock) -> None:
    """Advancing the clock past the deadline and running the jobs closes it; the owner hears it; join is refused."""
    fake, bot = steunpunt
    await _propose(fake, fake.alice)
    clock.advance(datetime(2026, 12, 1, 22, 59, tzinfo=UTC) - clock.now())
    await bot.run_jobs()
    assert (await bot.services.collab.get(fake.guild.id, 1)).open
    clock.advance(timedelta(minutes=1))
    await bot.run_jobs()
    assert (await bot.services.collab.get(fake.guild.id, 1)).status == "expired"
    refused = await fake.slash("collab join", user=fake.bob, proposal="1")
    assert refused.ephemeral and "passed its deadline and closed itself" in refused.content
    shown = await fake.slash("collab show", user=fake.alice, proposal="1")
    assert "Gesloten bij de deadline" in shown.message.embed_text
    told = await shown.wait_followup()
    assert "heeft de deadline bereikt en zichzelf gesloten" in told.content


async def test_the_owner_closes_and_a_moderator_removes_with_an_audit_entry(steunpunt: Env) -> None:
    """Closing is the owner's; removing is a moderator's (in /modlog); the owner hears why."""
    fake, bot = steunpunt
    await bot.services.guild_settings.update(fake.guild.id, moderator_role_id=fake.world.moderator_role.id)
    await _propose(fake, fake.alice)
    await _propose(fake, fake.alice, title="Reclame voor ons bureau")
    refused = await fake.slash("collab close", user=fake.bob, proposal="1", outcome="done")
    assert refused.ephemeral and "Only the member who made this proposal" in refused.content
    closed = await fake.slash("collab close", user=fake.alice, proposal="1", outcome="done", note="De viewer draait")
    assert "Voorstel #1 is gesloten (Gelukt)" in closed.content
    shown = await fake.slash("collab show", user=fake.bob, proposal="1")
    assert "Done: De viewer draait" in shown.message.embed_text
    removed = await fake.slash("collab remove", user=fake.moderator, proposal="2", reason="Geen samenwerking")
    assert removed.ephemeral and "Voorstel #2 **Reclame voor ons bureau** is verwijderd" in removed.content
    log = await fake.slash("modlog", user=fake.moderator)
    assert "Samenwerkingsvoorstel verwijderd" in log.message.embed_text
    assert "Geen samenwerking" in log.message.embed_text
    later = await fake.slash("collab list", user=fake.alice)
    assert "Nog geen open voorstellen" in later.message.embed_text
    told = await later.wait_followup()
    assert "Reden: Geen samenwerking" in told.content
    again = await fake.slash("collab remove", user=fake.moderator, proposal="1", reason="Misbruik")
    assert again.ephemeral and "Voorstel #1 **Samen een IIIF-viewer** is verwijderd" in again.content  # closed
    gone = await fake.slash("collab show", user=fake.bob, proposal="1")
    assert "That proposal does not exist (any more)" in gone.content


async def test_a_new_proposal_appears_in_the_next_digest(steunpunt: Env, clock: FixedClock) -> None:
    """The digest's preview of this period holds the proposal in its collaboration section."""
    fake, bot = steunpunt
    await _propose(fake, fake.alice)
    clock.advance(timedelta(hours=1))
    content = await bot.services.digest.preview(fake.guild.id)
    [item] = content.sections["collab"]
    assert (item.key, item.title, item.theme) == ("collab:1", "Samen een IIIF-viewer", "collaboration")
    assert item.summary == FORM["goal"]


async def test_the_next_weekly_digest_posts_the_proposal(steunpunt: Env, clock: FixedClock) -> None:
    """With a digest channel, Monday's digest in that channel names the proposal in its collaboration section."""
    fake, bot = steunpunt
    channel = fake.world.general
    await bot.services.guild_settings.update(fake.guild.id, digest_channel_id=channel.id)
    await _propose(fake, fake.alice)
    clock.advance(datetime(2026, 11, 30, 8, 0, tzinfo=UTC) - clock.now())  # Monday 09:00 in Amsterdam
    await settle(bot)
    await settle(bot)

    def posted() -> str | None:
        texts = [m.embed_text for m in fake.messages(channel, public=True)]
        return next((t for t in texts if "Samen een IIIF-viewer" in t), None)

    digest = await fake.wait_until(posted, what="the digest with the proposal")
    assert "Samenwerkingsvoorstellen" in digest and "Drie musea delen" in digest
