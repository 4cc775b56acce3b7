"""Every suggestion gets its moderators' card: posted by a durable job that waits for a channel and survives 403s.

Issue 10, defect 1: a suggestion made before a moderators' channel was set (or while posting the card got
403) used to stay without a card for good.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.db.database import Database
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, payloads
from tests.fakediscord.constants import SEND_MESSAGES
from tests.fakediscord.state import Overwrite

Env = tuple[FakeDiscord, SteunpuntBot]


async def _suggest(fake: FakeDiscord, title: str, url: str) -> None:
    opened = await fake.slash("resource suggest", user=fake.alice, theme="skills", type="guide", language="nl")
    done = await fake.submit_modal(opened.modal, {"title": title, "url": url, "summary": "Een gids.", "tags": ""})
    assert done.ephemeral, done.errors


def _cards(fake: FakeDiscord) -> list[Any]:
    return [m for m in fake.messages(fake.world.moderators) if any(c.startswith("res:") for c in m.custom_ids)]


async def _card(fake: FakeDiscord, bot: SteunpuntBot) -> Any:
    """Run due jobs and wait for the card (the jobs loop may be the one that posts it)."""
    await bot.run_jobs()
    return await fake.wait_until(lambda: next(iter(_cards(fake)), None), what="the queue card")


async def test_card_waits_for_the_moderators_channel_then_appears_once(steunpunt: Env, clock: FixedClock) -> None:
    """Suggested before /setup chose a moderators' channel: the card is posted as soon as one is set, once."""
    fake, bot = steunpunt
    await _suggest(fake, "Gids zonder kanaal", "https://example.org/zonder-kanaal")
    await bot.run_jobs()
    assert _cards(fake) == []
    again = await fake.slash("resource suggest", user=fake.alice, theme="skills", type="guide", language="nl")
    twice = await fake.submit_modal(
        again.modal, {"title": "Nog eens", "url": "https://example.org/zonder-kanaal", "summary": "", "tags": ""}
    )
    assert "wacht al op beoordeling" in twice.content  # not "already in the library"
    await bot.services.guild_settings.update(fake.guild.id, moderator_channel_id=fake.world.moderators.id)
    card = await _card(fake, bot)  # setting the channel woke the waiting card
    assert "Gids zonder kanaal" in card.embed_text
    clock.advance(timedelta(hours=2))
    await bot.run_jobs()
    assert len(_cards(fake)) == 1


async def test_card_refused_with_403_is_posted_after_the_permission_is_fixed(steunpunt: Env, clock: FixedClock) -> None:
    """A 403 on the card: the moderators hear of it once, the job waits, and posts when the permission is back."""
    fake, bot = steunpunt
    mods = fake.world.moderators
    await bot.services.guild_settings.update(fake.guild.id, moderator_channel_id=mods.id)
    bot_role = next(r for r in fake.guild.roles.values() if r.managed)
    deny = Overwrite(bot_role.id, 0, deny=SEND_MESSAGES)
    mods.overwrites.append(deny)
    await fake.dispatch("CHANNEL_UPDATE", payloads.channel(mods, fake.state))
    await _suggest(fake, "Gids bij een 403", "https://example.org/403")
    await bot.run_jobs()
    assert _cards(fake) == []
    mods.overwrites.remove(deny)
    await fake.dispatch("CHANNEL_UPDATE", payloads.channel(mods, fake.state))
    await fake.slash("help", user=fake.alice)  # a round trip, so the bot has seen the update
    clock.advance(timedelta(minutes=16))
    card = await _card(fake, bot)
    assert "Gids bij een 403" in card.embed_text
    await bot.run_jobs()
    assert len(_cards(fake)) == 1


async def test_waiting_card_survives_a_restart(fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock) -> None:
    """The card job is stored: a restart in between changes nothing, and it is posted once after it."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await _suggest(fake, "Gids over een herstart", "https://example.org/herstart")
        await bot.run_jobs()
    async with launch() as bot:
        await bot.services.guild_settings.update(fake.guild.id, moderator_channel_id=fake.world.moderators.id)
        await _card(fake, bot)
        await bot.run_jobs()
        assert len(_cards(fake)) == 1


async def test_every_pending_suggestion_can_be_decided_from_the_queue(
    fake_discord: FakeDiscord, launch: Launcher
) -> None:
    """/resource queue offers a menu of the page's suggestions; picking one shows its card with the decisions."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await bot.services.guild_settings.update(fake.guild.id, moderator_role_id=fake.world.moderator_role.id)
        await _suggest(fake, "Gids zonder kaart", "https://example.org/zonder-kaart")  # no channel: no card
        queue = await fake.slash("resource queue", user=fake.moderator)
        assert queue.ephemeral and "Gids zonder kaart" in queue.message.embed_text
    async with launch() as bot:  # the menu lives in the message: it works after a restart
        menu = queue.message.component("res:pick")
        resource_id = menu["options"][0]["value"]
        picked = await fake.click(queue.message, "res:pick", user=fake.moderator, values=[resource_id])
        assert picked.ephemeral and "Gids zonder kaart" in picked.message.embed_text
        approve = next(c for c in picked.message.custom_ids if c.startswith("res:approve:"))
        decided = await fake.click(picked.message, approve, user=fake.moderator)
        assert decided.type == 7 and decided.errors == []
        assert (await bot.services.library.get(fake.guild.id, int(resource_id))).status == "approved"
        queue.message.visible_to = None  # as if a moderator had shared the menu: a member is still refused
        refused = await fake.click(queue.message, "res:pick", user=fake.alice, values=[resource_id])
        assert refused.ephemeral and "moderator" in refused.content.lower()


async def test_a_card_whose_job_died_is_posted_when_the_channel_is_set(steunpunt: Env, clock: FixedClock) -> None:
    """Even after its job gave up, setting the moderators' channel posts the waiting card (once)."""
    fake, bot = steunpunt
    await _suggest(fake, "Gids na een storing", "https://example.org/storing")
    async with Database.open(bot.settings.database_path) as db, db.transaction() as tx:  # as if every try failed
        await tx.execute(  # (also if the jobs loop holds it right now: its lease goes with it)
            "UPDATE jobs SET status = 'dead', finished_at = run_at, lease_owner = NULL, lease_expires_at = NULL"
            " WHERE kind = 'resources.queue_card'"
        )
    await bot.run_jobs()
    assert _cards(fake) == []
    await bot.services.guild_settings.update(fake.guild.id, moderator_channel_id=fake.world.moderators.id)
    card = await _card(fake, bot)
    assert "Gids na een storing" in card.embed_text
    await bot.run_jobs()
    assert len(_cards(fake)) == 1
