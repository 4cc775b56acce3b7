"""/privacy through the wire: DM opt-in, export as an attachment, forget after confirmation."""

from __future__ import annotations

import json

from bot.app import SteunpuntBot
from tests.e2e.test_resources import _configure, _suggest
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


async def test_dm_opt_in_export_and_forget(steunpunt: Env) -> None:
    """A member opts in, downloads their data, and deletes it after confirming."""
    fake, bot = steunpunt
    opted = await fake.slash("privacy dm", user=fake.bob, allow=True)
    assert opted.ephemeral and "direct messages" in opted.content
    assert await bot.services.members.dm_opt_in(fake.guild.id, fake.bob.id)
    exported = await fake.slash("privacy export", user=fake.bob)
    doc = json.loads(exported.message.attachments[0].data)
    assert doc["member_id"] == str(fake.bob.id)
    assert doc["data"]["preferences"][0]["dm_opt_in"] == 1
    asked = await fake.slash("privacy forget", user=fake.bob)
    refused = await fake.click(asked.message, "privacy:forget:yes", user=fake.bob)
    assert refused.type == 7
    assert not await bot.services.members.dm_opt_in(fake.guild.id, fake.bob.id)


async def test_outcome_is_sent_by_dm_only_after_opting_in(steunpunt: Env) -> None:
    """A suggester who opted in gets the review outcome by DM at once; one who did not gets no DM."""
    fake, bot = steunpunt
    await _configure(fake, bot)
    await fake.slash("privacy dm", user=fake.bob, allow=True)
    for who, url in ((fake.bob, "https://example.org/bob"), (fake.alice, "https://example.org/alice")):
        _, card = await _suggest(fake, who, f"Gids van {who.user.username}", url)
        approve = next(c for c in card.custom_ids if c.startswith("res:approve:"))
        await fake.click(card, approve, user=fake.moderator)
    dm = await fake.wait_until(lambda: next(iter(fake.dms(fake.bob)), None), what="the DM to bob")
    assert "goedgekeurd" in dm.content and dm.pings == []
    assert fake.dms(fake.alice) == []
    assert await bot.services.members.pending_notices(fake.guild.id, fake.bob.id) == []
    assert len(await bot.services.members.pending_notices(fake.guild.id, fake.alice.id)) == 1
