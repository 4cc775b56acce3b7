"""Private threads as the bot uses them: create one (type 12), add and remove members, list and fetch it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.constants import PRIVATE_THREAD
from tests.fakediscord.plugin import start_client
from tests.fakediscord.state import Overwrite

CREATE_PRIVATE_THREADS = 1 << 36


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[commands.Bot]:
    intents = discord.Intents.none()
    intents.guilds = True
    async with start_client(
        commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05), fake_discord
    ) as running:
        yield running


def general(bot: commands.Bot, fake: FakeDiscord) -> discord.TextChannel:
    channel = bot.get_channel(fake.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_private_thread_with_two_members(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    """A private, non-invitable thread holds the bot (its creator) and the two members it adds, once each."""
    fake = fake_discord
    thread = await general(bot, fake).create_thread(
        name="Kennismaking", type=discord.ChannelType.private_thread, invitable=False, auto_archive_duration=10080
    )
    assert thread.type is discord.ChannelType.private_thread
    for member in (fake.alice, fake.bob, fake.alice):
        await thread.add_user(discord.Object(member.id))
    stored = fake.state.channels[thread.id]
    assert stored.type == PRIVATE_THREAD and not stored.invitable and stored.auto_archive_duration == 10080
    assert stored.member_ids == [fake.state.bot_user.id, fake.alice.id, fake.bob.id]
    assert [m.id for m in await thread.fetch_members()] == stored.member_ids
    await thread.remove_user(discord.Object(fake.bob.id))
    assert stored.member_ids == [fake.state.bot_user.id, fake.alice.id]
    fetched = await bot.fetch_channel(thread.id)
    assert isinstance(fetched, discord.Thread) and fetched.member_count == 2 and not fetched.invitable
    assert fake.requests_to("PUT", r"/thread-members/\d+$")[0].status == 204


async def test_last_message_id_follows_the_thread(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    """Fetching the thread shows its last message: the bot's, then a member's."""
    fake = fake_discord
    thread = await general(bot, fake).create_thread(name="Stil", type=discord.ChannelType.private_thread)
    first = await thread.send("Hallo")
    assert (await bot.fetch_channel(thread.id)).last_message_id == first.id  # type: ignore[union-attr]
    said = await fake.post_message(fake.state.channels[thread.id], fake.alice, "Hoi!")
    assert (await bot.fetch_channel(thread.id)).last_message_id == said.id  # type: ignore[union-attr]


async def test_adding_someone_outside_the_server_or_without_permission_fails(
    bot: commands.Bot, fake_discord: FakeDiscord
) -> None:
    """404 10007 for a user who is not a member; 403 without Create Private Threads; 400 for a non-thread."""
    fake = fake_discord
    channel = general(bot, fake)
    thread = await channel.create_thread(name="Privé", type=discord.ChannelType.private_thread)
    stranger = fake.state.add_user("stranger")
    with pytest.raises(discord.NotFound) as missing:
        await thread.add_user(discord.Object(stranger.id))
    assert missing.value.code == 10007
    with pytest.raises(discord.HTTPException) as not_a_thread:
        await bot.http.add_user_to_thread(channel.id, fake.alice.id)
    assert not_a_thread.value.code == 50024
    bot_role = next(r for r in fake.guild.roles.values() if r.managed)
    fake.world.general.overwrites.append(Overwrite(bot_role.id, 0, deny=CREATE_PRIVATE_THREADS))
    with pytest.raises(discord.Forbidden):
        await channel.create_thread(name="Mag niet", type=discord.ChannelType.private_thread)
