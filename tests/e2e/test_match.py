"""Introductions through the wire: a need is matched with why, the offerer accepts, and only then do the two meet,
in a private thread; a decline shares nothing and moves on; blocks; the inbox; the moderators' figures."""

from __future__ import annotations

import asyncio
import json

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from tests.fakediscord import FakeDiscord, FakeMember, StoredMessage
from tests.fakediscord.constants import PRIVATE_THREAD

Env = tuple[FakeDiscord, SteunpuntBot]


async def _offer(fake: FakeDiscord, member: FakeMember, level: str = "expert", **profile: object) -> None:
    if profile:
        await fake.slash("profile set", user=member, **profile)
    await fake.slash("skills offer", user=member, skill="iiif", level=level)


async def _introductions_channel(fake: FakeDiscord, bot: SteunpuntBot) -> None:
    await bot.services.guild_settings.update(fake.guild.id, introductions_channel_id=fake.world.general.id)


def _mentions(fake: FakeDiscord, member: FakeMember) -> tuple[str, str]:
    return f"<@{member.id}>", member.user.username


def _names_nobody(message: StoredMessage, *members: FakeMember) -> bool:
    text = message.text + message.embed_text
    return all(str(m.id) not in text and m.user.username.lower() not in text.lower() for m in members)


async def test_offer_need_match_explained_both_accept_and_meet_in_a_private_thread(steunpunt: Env) -> None:
    """Bob's need is matched with why (nobody named); Alice accepts by DM; a private thread holds both, once."""
    fake, bot = steunpunt
    await _introductions_channel(fake, bot)
    await fake.slash("privacy dm", user=fake.alice, allow=True)
    await _offer(fake, fake.alice, organisation="Rijksmuseum", size="large", region="noord-holland", languages="nl")
    await fake.slash("skills offer", user=fake.alice, skill="iiif", level="expert", mentor=True)
    await fake.slash("profile set", user=fake.bob, size="volunteer-run", languages="nl, en")
    await fake.slash("skills need", user=fake.bob, skill="iiif", note="Ons depot wil IIIF")
    requested = await fake.slash("match request", user=fake.bob, need="2")
    assert requested.ephemeral and requested.message.pings == []
    text = requested.message.embed_text
    assert (
        "the skill you need" in text and "mentor from a larger organisation (Large)" in text and "speaks Dutch" in text
    )
    assert _names_nobody(requested.message, fake.alice)
    await bot.run_jobs()
    [ask] = await fake.wait_until(lambda: fake.dms(fake.alice) or None, what="the ask by DM")
    assert "Beeldinteroperabiliteit (IIIF)" in ask.content and "Ons depot wil IIIF" in ask.content
    assert _names_nobody(ask, fake.bob) and ask.pings == []
    accepted = await fake.click(ask, f"match:answer:{fake.guild.id}:1:yes", user=fake.alice)
    assert accepted.type == 7 and accepted.message.components == []
    await bot.run_jobs()
    [thread] = await fake.wait_until(lambda: fake.threads("general") or None, what="the private thread")
    assert thread.type == PRIVATE_THREAD and not thread.invitable
    assert set(thread.member_ids) == {fake.state.bot_user.id, fake.alice.id, fake.bob.id}
    [opening] = await fake.wait_until(lambda: fake.messages(thread) or None, what="the opening message")
    assert sorted(opening.pings) == sorted([f"<@{fake.alice.id}>", f"<@{fake.bob.id}>"])
    assert opening.content.count(f"<@{fake.bob.id}>") == opening.content.count(f"<@{fake.alice.id}>") == 1
    assert "Ons depot wil IIIF" in opening.content
    await bot.run_jobs()
    assert len(fake.threads("general")) == 1 and len(fake.messages(thread)) == 1  # once
    inbox = await fake.slash("match inbox", user=fake.bob)
    assert f"<@{fake.alice.id}>" in inbox.message.embed_text and f"<#{thread.id}>" in inbox.message.embed_text


async def test_a_decline_shares_nothing_moves_on_and_the_requester_is_told(steunpunt: Env) -> None:
    """Alice (no DM opt-in) declines in her inbox; Carol is asked next; Bob hears it without a name."""
    fake, bot = steunpunt
    carol = await fake.add_member("carol", locale="nl")
    await _offer(fake, fake.alice, "expert")
    await _offer(fake, carol, "basic")
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    requested = await fake.slash("match request", user=fake.bob, need="3")
    await bot.run_jobs()
    assert fake.dms(fake.alice) == []  # she did not opt in to DMs
    told = await (await fake.slash("help", user=fake.alice)).wait_followup()
    assert "/koppeling postvak" in told.content
    inbox = await fake.slash("match inbox", user=fake.alice)
    assert "Beeldinteroperabiliteit (IIIF)" in inbox.message.embed_text and _names_nobody(inbox.message, fake.bob)
    declined = await fake.click(inbox.message, f"match:answer:{fake.guild.id}:1:no", user=fake.alice)
    assert declined.ephemeral and "iemand anders" in declined.content
    again = await fake.click(inbox.message, f"match:answer:{fake.guild.id}:1:yes", user=fake.alice)
    assert again.ephemeral and "al afgeslagen" in again.content
    await bot.run_jobs()
    carols = await fake.slash("match inbox", user=carol)
    assert f"match:answer:{fake.guild.id}:2:yes" in carols.message.custom_ids
    notice = await (await fake.slash("help", user=fake.bob)).wait_followup()
    assert "the member I asked is not available" in notice.content and _names_nobody(notice, fake.alice, carol)
    assert _names_nobody(requested.message, fake.alice, carol)
    bobs = await fake.slash("match inbox", user=fake.bob)
    assert "I asked a match" in bobs.message.embed_text and _names_nobody(bobs.message, fake.alice, carol)
    assert fake.threads("general") == []


async def test_only_the_asked_member_can_answer(steunpunt: Env) -> None:
    """Bob cannot accept the ask meant for Alice, even with its button."""
    fake, _ = steunpunt
    await _offer(fake, fake.alice)
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    await fake.slash("match request", user=fake.bob, need="2")
    inbox = await fake.slash("match inbox", user=fake.alice)
    inbox.message.visible_to = None  # as if Alice had shared it
    refused = await fake.click(inbox.message, f"match:answer:{fake.guild.id}:1:yes", user=fake.bob)
    assert refused.ephemeral and "meant for someone else" in refused.content
    twice = await fake.slash("match request", user=fake.bob, need="2")
    assert twice.ephemeral and "already finding a match" in twice.content


async def test_a_blocked_member_is_never_suggested_and_is_not_told(steunpunt: Env) -> None:
    """Bob blocks Alice: his request finds nobody; unblocking makes her a match again."""
    fake, _ = steunpunt
    await _offer(fake, fake.alice)
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    blocked = await fake.slash("match block", user=fake.bob, member=fake.alice)
    assert blocked.ephemeral and blocked.message.pings == [] and "They are not told" in blocked.content
    nobody = await fake.slash("match request", user=fake.bob, need="2")
    assert "Nobody who offers that skill" in nobody.content
    assert fake.dms(fake.alice) == []
    await fake.slash("match unblock", user=fake.bob, member=fake.alice)
    found = await fake.slash("match request", user=fake.bob, need="2")
    assert "the skill you need" in found.message.embed_text
    self_block = await fake.slash("match block", user=fake.bob, member=fake.bob)
    assert "cannot block yourself" in self_block.content


async def test_stats_count_requests_acceptances_and_helped(steunpunt: Env) -> None:
    """/skills stats shows the introductions' figures to moderators."""
    fake, bot = steunpunt
    await _offer(fake, fake.alice)
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    await fake.slash("match request", user=fake.bob, need="2")
    await bot.services.match.requests.answer(fake.guild.id, fake.alice.id, 1, True)
    await bot.services.guild_settings.update(fake.guild.id, moderator_role_id=fake.world.moderator_role.id)
    stats = await fake.slash("skills stats", user=fake.moderator)
    assert "Aanvragen: **1** · leden gevraagd: **1** · aangenomen: **1**" in stats.message.embed_text


async def test_privacy_export_holds_the_request_and_forget_ends_it(steunpunt: Env) -> None:
    """Bob's /privacy export lists his request and its introduction (nobody named); after forget both are gone."""
    fake, bot = steunpunt
    await _offer(fake, fake.alice)
    await fake.slash("skills need", user=fake.bob, skill="iiif")
    await fake.slash("match request", user=fake.bob, need="2")
    exported = await fake.slash("privacy export", user=fake.bob)
    data = json.loads(exported.message.attachment("steunpunt-my-data.json").data)["data"]
    assert [r["status"] for r in data["match_requests"]] == ["open"]
    assert [(i["role"], i["status"], i["other_member_id"]) for i in data["introductions"]] == [
        ("requester", "asked", None)
    ]
    await bot.services.privacy.forget(fake.guild.id, fake.bob.id)
    alices = await fake.slash("match inbox", user=fake.alice)
    assert "match:answer" not in " ".join(alices.message.custom_ids)  # the ask to Alice was withdrawn
    again = json.loads(await bot.services.privacy.export(fake.guild.id, fake.bob.id))["data"]
    assert again["match_requests"] == [] and again["introductions"] == []


async def test_a_command_marks_the_member_active(
    steunpunt: tuple[FakeDiscord, SteunpuntBot], clock: FixedClock
) -> None:
    """Using any command in a server records the day the member was last active (matching passes by quiet ones)."""
    fake, bot = steunpunt
    assert await bot.services.members.last_active(fake.guild.id, fake.alice.id) is None
    await fake.slash("help", user=fake.alice)
    seen = None
    for _ in range(200):  # recorded after the answer, when the command completes
        if (seen := await bot.services.members.last_active(fake.guild.id, fake.alice.id)) is not None:
            break
        await asyncio.sleep(0.01)
    assert seen == clock.now()
