"""`enforce_nonce`: a resend with the same nonce returns the first message, creates nothing and sends no event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands
from discord.http import Route

from tests.fakediscord import FakeDiscord
from tests.fakediscord.plugin import start_client
from tests.fakediscord.validation import spec_available, spec_problems


class Sender(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[Sender]:
    async with start_client(Sender(), fake_discord) as running:
        yield running


def general(bot: commands.Bot, fake: FakeDiscord) -> discord.TextChannel:
    channel = bot.get_channel(fake.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def message_creates(fake: FakeDiscord) -> list[str]:
    session = fake.gateway.session
    assert session is not None
    return [e.data["content"] for e in session.buffer if e.event == "MESSAGE_CREATE"]


async def test_resend_with_the_same_nonce_returns_the_first_message(bot: Sender, fake_discord: FakeDiscord) -> None:
    channel = general(bot, fake_discord)
    none = discord.AllowedMentions.none()
    first = await channel.send("Weekoverzicht", nonce="dg1.0", allowed_mentions=none)
    again = await channel.send("Weekoverzicht (opnieuw)", nonce="dg1.0", allowed_mentions=none)
    assert again.id == first.id and again.content == "Weekoverzicht"
    assert [m.content for m in fake_discord.messages("general")] == ["Weekoverzicht"]
    assert fake_discord.deduplicated == [first.id]
    sends = fake_discord.requests_to("POST", r"/channels/\d+/messages$")
    assert [(r.body["enforce_nonce"], r.deduplicated) for r in sends] == [(True, False), (True, True)]
    assert message_creates(fake_discord) == ["Weekoverzicht"]  # no MESSAGE_CREATE for the resend


async def test_a_dm_resent_after_a_crash_arrives_once(bot: Sender, fake_discord: FakeDiscord) -> None:
    dm = await bot.create_dm(discord.Object(id=fake_discord.alice.id))
    for _ in range(3):
        await dm.send("Jouw digest", nonce="dd42")
    assert [m.content for m in fake_discord.dms(fake_discord.alice)] == ["Jouw digest"]
    assert len(fake_discord.deduplicated) == 2


async def test_nonce_scope_window_and_enforcement(bot: Sender, fake_discord: FakeDiscord) -> None:
    channel = general(bot, fake_discord)
    first = await channel.send("een", nonce="n1")
    other = bot.get_channel(fake_discord.world.moderators.id)
    assert isinstance(other, discord.TextChannel)
    elsewhere = await other.send("twee", nonce="n1")  # another channel: a new message
    assert elsewhere.id != first.id
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    raw = await bot.http.request(route, json={"content": "drie", "nonce": "n1"})  # no enforce_nonce: a duplicate
    assert int(raw["id"]) != first.id
    fake_discord.advance(fake_discord.nonce_window + 1)  # "a few minutes" later the nonce is forgotten
    late = await channel.send("vier", nonce="n1")
    assert late.id not in (first.id, int(raw["id"]))
    assert [m.content for m in fake_discord.messages("general")] == ["een", "drie", "vier"]
    assert fake_discord.deduplicated == []


async def test_a_deleted_message_is_not_returned_again(bot: Sender, fake_discord: FakeDiscord) -> None:
    channel = general(bot, fake_discord)
    first = await channel.send("weg", nonce="n2")
    await first.delete()
    second = await channel.send("weg", nonce="n2")
    assert second.id != first.id and [m.id for m in fake_discord.messages("general")] == [second.id]


@pytest.mark.skipif(not spec_available(), reason="Discord's OpenAPI spec is not available")
def test_the_spec_accepts_enforce_nonce() -> None:
    assert spec_problems("MessageCreateRequest", {"content": "x", "nonce": "dd1", "enforce_nonce": True}) == []
    wrong = spec_problems("MessageCreateRequest", {"content": "x", "nonce": "dd1", "enforce_nonce": "yes"})
    assert [p.path for p in wrong] == [("enforce_nonce",)]
