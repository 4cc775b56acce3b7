"""Channels, forum posts and tags, threads, DMs, pins, attachments and guild routes, as the bot uses them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.plugin import start_client


class Recorder(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.seen: list[tuple[str, object]] = []

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(("message", message.content))

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.seen.append(("thread", thread.name))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.seen.append(("join", guild.name))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.seen.append(("remove", guild.name))

    async def on_member_join(self, member: discord.Member) -> None:
        self.seen.append(("member", member.name))


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[Recorder]:
    async with start_client(Recorder(), fake_discord) as running:
        yield running


def forum_of(bot: commands.Bot, fake: FakeDiscord) -> discord.ForumChannel:
    channel = bot.get_channel(fake.world.forum.id)
    assert isinstance(channel, discord.ForumChannel)
    return channel


async def test_forum_post_with_tags(bot: Recorder, fake_discord: FakeDiscord) -> None:
    forum = forum_of(bot, fake_discord)
    question = next(t for t in forum.available_tags if t.name == "question")
    created = await forum.create_thread(
        name="  Hoe importeer ik?  ",
        content="Zie de handleiding",
        applied_tags=[question],
        allowed_mentions=discord.AllowedMentions.none(),
    )
    thread, message = created.thread, created.message
    assert thread.name == "Hoe importeer ik?" and thread.parent_id == forum.id
    assert [t.name for t in thread.applied_tags] == ["question"]
    assert message.id == thread.id and message.content == "Zie de handleiding"
    stored = fake_discord.threads("questions")[0]
    assert stored.applied_tags == [question.id]
    assert fake_discord.messages(stored)[0].content == "Zie de handleiding"
    assert fake_discord.requests_to("POST", r"/threads$")[0].query == {"use_nested_fields": "1"}


async def test_create_forum_tags_and_edit_thread(bot: Recorder, fake_discord: FakeDiscord) -> None:
    forum = forum_of(bot, fake_discord)
    edited = await forum.edit(available_tags=[*forum.available_tags, discord.ForumTag(name="archief", emoji="📦")])
    new_tag = next(t for t in edited.available_tags if t.name == "archief")
    assert new_tag.id and new_tag.emoji is not None and new_tag.emoji.name == "📦"
    assert [t["name"] for t in fake_discord.world.forum.available_tags][-1] == "archief"
    created = await forum.create_thread(name="Oud", content="x")
    thread = await created.thread.edit(applied_tags=[new_tag], archived=True, locked=True, name="Oud (gearchiveerd)")
    stored = fake_discord.state.channels[thread.id]
    assert (stored.name, stored.archived, stored.locked, stored.applied_tags) == (
        "Oud (gearchiveerd)",
        True,
        True,
        [new_tag.id],
    )


async def test_dm(bot: Recorder, fake_discord: FakeDiscord) -> None:
    user = await bot.fetch_user(fake_discord.alice.id)
    await user.send("Je vraag is beantwoord")
    assert [m.content for m in fake_discord.dms(fake_discord.alice)] == ["Je vraag is beantwoord"]
    fake_discord.bob.user.accepts_dms = False
    bob = await bot.fetch_user(fake_discord.bob.id)
    with pytest.raises(discord.Forbidden) as err:
        await bob.send("hallo")
    assert err.value.code == 50007


async def test_multipart_attachment_upload(bot: Recorder, fake_discord: FakeDiscord) -> None:
    channel = bot.get_channel(fake_discord.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(
        "export",
        file=discord.File(
            __import__("io").BytesIO(b"id;vraag\n1;hoe"), filename="export.csv", description="CSV export"
        ),
    )
    stored = fake_discord.messages("general")[-1]
    att = stored.attachment("export.csv")
    assert att.data == b"id;vraag\n1;hoe" and att.description == "CSV export"
    assert await sent.attachments[0].read() == b"id;vraag\n1;hoe"
    assert stored.pings == []


async def test_edit_delete_history_pins(bot: Recorder, fake_discord: FakeDiscord) -> None:
    channel = bot.get_channel(fake_discord.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("one")
    second = await channel.send("two @everyone")
    await first.edit(content="one (edited)")
    await first.pin()
    assert [m.id async for m in channel.pins()] == [first.id]
    await first.unpin()
    await second.delete()
    history = [m.content async for m in channel.history(limit=10)]
    assert history == ["one (edited)"]
    stored = fake_discord.state.messages[second.id]
    assert stored.deleted and stored.pings == ["@everyone"]  # channel messages parse everyone by default
    assert fake_discord.state.messages[first.id].edits[0]["content"] == "one"


async def test_guild_routes_and_roles(bot: Recorder, fake_discord: FakeDiscord) -> None:
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    member = await guild.fetch_member(fake_discord.alice.id)
    assert member.name == "alice"
    assert {c.name for c in await guild.fetch_channels()} >= {"general", "moderators", "questions"}
    assert "Moderator" in {r.name for r in await guild.fetch_roles()}
    await member.add_roles(discord.Object(fake_discord.role("Moderator").id))
    assert fake_discord.role("Moderator").id in fake_discord.alice.roles
    fetched = await bot.fetch_channel(fake_discord.world.forum.id)
    assert isinstance(fetched, discord.ForumChannel)


async def test_user_activity_reaches_the_bot(bot: Recorder, fake_discord: FakeDiscord) -> None:
    await fake_discord.post_message("general", fake_discord.alice, "hoi")
    await fake_discord.create_forum_post(fake_discord.bob, "Vraag over IIIF", "Hoe werkt het?", tags=["question"])
    await fake_discord.add_member("carol", locale="de")
    guild = await fake_discord.add_guild("Tweede server")
    await fake_discord.remove_guild(guild)
    await fake_discord.wait_until(lambda: len(bot.seen) >= 6, what="events")
    assert bot.seen == [
        ("message", "hoi"),
        ("thread", "Vraag over IIIF"),
        ("message", "Hoe werkt het?"),
        ("member", "carol"),
        ("join", "Tweede server"),
        ("remove", "Tweede server"),
    ]


async def test_raw_dispatch(bot: Recorder, fake_discord: FakeDiscord) -> None:
    got: asyncio.Future[discord.RawTypingEvent] = asyncio.get_running_loop().create_future()

    async def on_raw_typing(event: discord.RawTypingEvent) -> None:
        got.set_result(event)

    bot.add_listener(on_raw_typing)
    await fake_discord.dispatch(
        "TYPING_START",
        {
            "channel_id": str(fake_discord.world.general.id),
            "guild_id": str(fake_discord.guild.id),
            "user_id": str(fake_discord.alice.id),
            "timestamp": 0,
        },
    )
    event = await asyncio.wait_for(got, 2)
    assert event.user_id == fake_discord.alice.id


async def test_threads_in_text_channels_and_legacy_pin_routes(bot: Recorder, fake_discord: FakeDiscord) -> None:
    channel = bot.get_channel(fake_discord.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    loose = await channel.create_thread(name="overleg", type=discord.ChannelType.public_thread)
    starter = await channel.send("start here")
    from_message = await starter.create_thread(name="discussie")
    assert from_message.id == starter.id
    assert {t.name for t in fake_discord.threads("general")} == {"overleg", "discussie"}
    await loose.send("in the thread")
    assert fake_discord.messages(fake_discord.state.channels[loose.id])[0].content == "in the thread"
    route = discord.http.Route(
        "PUT", "/channels/{channel_id}/pins/{message_id}", channel_id=channel.id, message_id=starter.id
    )
    await bot.http.request(route)
    assert fake_discord.state.messages[starter.id].pinned
    with pytest.raises(discord.HTTPException) as err:
        await starter.create_thread(name="again")
    assert err.value.code == 160004
