"""A week before an offer or need expires its owner is asked "still valid?": by DM with a button that survives a
restart (only after opting in to DMs), else on their next command; without an answer it expires, once."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


async def test_the_dm_button_extends_the_offer_after_a_restart(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock
) -> None:
    """Alice opted in: the reminder comes by DM; after a restart its button still extends the offer."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await fake.slash("privacy dm", user=fake.alice, allow=True)
        await fake.slash("skills offer", user=fake.alice, skill="iiif", level="basic")
        clock.advance(timedelta(days=53))
        await bot.run_jobs()
        dm = await fake.wait_until(lambda: next(iter(fake.dms(fake.alice)), None), what="the reminder DM")
        assert "je aanbod #1" in dm.content and "Beeldinteroperabiliteit (IIIF)" in dm.content and dm.pings == []
        await bot.run_jobs()
        assert len(fake.dms(fake.alice)) == 1  # reminded once
    async with launch() as bot:
        clicked = await fake.click(dm, f"skills:keep:{fake.guild.id}:1", user=fake.alice)
        assert clicked.type == 7 and "blijft staan tot" in clicked.message.content
        assert clicked.message.components == []
        clock.advance(timedelta(days=8))  # past the first expiry moment
        await bot.run_jobs()
        [offer] = await bot.services.skills.listings.mine(fake.guild.id, fake.alice.id)
        assert offer.expires_at == "2027-03-16T09:00:00+00:00"


async def test_without_dm_opt_in_the_reminder_waits_for_the_next_command(steunpunt: Env, clock: FixedClock) -> None:
    """Bob is told on his next command, and /skills mine has the button; nobody gets a DM."""
    fake, bot = steunpunt
    await fake.slash("skills need", user=fake.bob, skill="fundraising")
    clock.advance(timedelta(days=53))
    await bot.run_jobs()
    assert fake.dms(fake.bob) == []
    later = await fake.slash("help", user=fake.bob)
    told = await later.wait_followup()
    assert told.ephemeral and "Your need #1" in told.content and "Still valid" in told.content
    mine = await fake.slash("skills mine", user=fake.bob)
    kept = await fake.click(mine.message, f"skills:keep:{fake.guild.id}:1", user=fake.bob)
    assert kept.ephemeral and "stays listed until" in kept.content
    again = await fake.click(mine.message, f"skills:keep:{fake.guild.id}:1", user=fake.bob)
    assert again.ephemeral and "stays listed until" in again.content  # clicking again simply extends again
    mine.message.visible_to = None  # as if Bob had shared it: Alice cannot extend his need
    refused = await fake.click(mine.message, f"skills:keep:{fake.guild.id}:1", user=fake.alice)
    assert refused.ephemeral and "iemand anders" in refused.content


async def test_a_refused_dm_falls_back_to_a_notice(steunpunt: Env, clock: FixedClock) -> None:
    """Alice opted in but does not accept DMs from server members: the reminder waits as a notice instead."""
    fake, bot = steunpunt
    await fake.slash("privacy dm", user=fake.alice, allow=True)
    fake.alice.user.accepts_dms = False
    await fake.slash("skills offer", user=fake.alice, skill="iiif", level="basic")
    clock.advance(timedelta(days=53))
    await bot.run_jobs()
    notices = await bot.services.members.pending_notices(fake.guild.id, fake.alice.id)
    assert [n.key for n in notices] == ["skills.notice.remind_offer"]


async def test_an_unanswered_offer_expires_once_and_its_owner_is_told(steunpunt: Env, clock: FixedClock) -> None:
    """No "still valid": after the period the offer is gone and Alice hears it on her next command."""
    fake, bot = steunpunt
    await fake.slash("skills offer", user=fake.alice, skill="iiif", level="basic")
    clock.advance(timedelta(days=60))
    await bot.run_jobs()
    await bot.run_jobs()
    assert await bot.services.skills.listings.mine(fake.guild.id, fake.alice.id) == []
    later = await fake.slash("skills mine", user=fake.alice)
    told = await later.wait_followup()
    assert "is verlopen en verwijderd" in told.content
    assert "Je hebt nog geen aanbod" in later.message.embed_text
    stale = await fake.slash("help", user=fake.alice)
    assert stale.followups == []
