"""The fake drives a minimal real discord.py bot: start-up, command sync, slash commands, options, autocomplete."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import BotCrashedError, CommandUsageError, FakeDiscord, FakeFile
from tests.fakediscord.plugin import start_client

FAQ = ["install", "import", "invite", "export", "privacy"]


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05, help_command=None)
    none = discord.AllowedMentions.none()

    @bot.tree.command(description="Repeat text")
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, allowed_mentions=none)

    resource = app_commands.Group(name="resource", description="Resources")

    @resource.command(description="Suggest a resource")
    @app_commands.describe(title="Title", count="How many")
    @app_commands.choices(
        kind=[app_commands.Choice(name="Book", value="book"), app_commands.Choice(name="Website", value="site")]
    )
    async def suggest(
        interaction: discord.Interaction,
        title: str,
        kind: app_commands.Choice[str],
        count: app_commands.Range[int, 1, 5] = 1,
    ) -> None:
        await interaction.response.send_message(
            f"{title}/{kind.value}/{count}/{interaction.locale.value}", ephemeral=True
        )

    bot.tree.add_command(resource)

    @bot.tree.command(description="Look up an FAQ entry")
    async def faq(interaction: discord.Interaction, entry: str) -> None:
        await interaction.response.send_message(f"FAQ: {entry}")

    @faq.autocomplete("entry")
    async def faq_entry(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=e, value=e) for e in FAQ if e.startswith(current)]

    @bot.tree.command(description="Who is this")
    async def whois(
        interaction: discord.Interaction,
        member: discord.Member,
        where: discord.TextChannel,
        role: discord.Role | None = None,
    ) -> None:
        perms = interaction.app_permissions.send_messages
        await interaction.response.send_message(
            f"{member.display_name} in #{where.name} role={role.name if role else '-'} bot_can_send={perms}",
            allowed_mentions=none,
        )

    @bot.tree.command(name="import", description="Import a file")
    async def import_(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        copy = discord.File(io.BytesIO(data[::-1]), filename="reversed.txt")
        await interaction.response.send_message(f"{file.filename}: {data.decode()}", ephemeral=True, file=copy)

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done", ephemeral=True)
        await interaction.followup.send("and more", file=discord.File(__file__, filename="report.txt"))

    @bot.tree.command(description="Edit the deferred answer")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="filled", embed=discord.Embed(title="T", description="D"))

    @bot.tree.command(description="Greets without allowed_mentions")
    async def greet(interaction: discord.Interaction, who: discord.User) -> None:
        await interaction.response.send_message(f"hi {who.mention} @everyone <@&{interaction.guild_id}>")

    @bot.tree.command(description="Moderators only")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    @bot.tree.command(description="Uses every webhook message route")
    async def tidy(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("original")
        original = await interaction.original_response()
        extra = await interaction.followup.send("extra", wait=True)
        await extra.edit(content="extra (edited)")
        kept = await interaction.followup.send("kept", wait=True)
        await extra.delete()
        await interaction.edit_original_response(content=f"{original.content} (edited)")
        await kept.fetch()

    @bot.tree.context_menu(name="Wave at")
    async def wave(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"wave {member.name}", ephemeral=True)

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}", allowed_mentions=none)

    return bot


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[commands.Bot]:
    async with start_client(make_bot(), fake_discord) as running:
        await running.tree.sync()
        yield running


async def test_start_is_fast_and_complete(fake_discord: FakeDiscord) -> None:
    started = time.perf_counter()
    async with start_client(make_bot(), fake_discord) as bot:
        elapsed = time.perf_counter() - started
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.chunked
        assert {r.name for r in guild.roles} >= {"@everyone", "Moderator"}
        assert guild.default_role.id == guild.id
        forum = guild.get_channel(fake_discord.world.forum.id)
        assert isinstance(forum, discord.ForumChannel)
        assert [t.name for t in forum.available_tags] == ["question", "solved", "idea"]
        assert guild.get_member(fake_discord.alice.id) is not None
    assert elapsed < 1.0
    assert fake_discord.gateway.ops[:2] == [1, 2]
    assert [r.path for r in fake_discord.requests[:2]] == ["/api/v10/users/@me", "/api/v10/oauth2/applications/@me"]


async def test_sync_registers_commands(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    names = {c["name"] for c in fake_discord.commands()}
    assert names == {
        "echo",
        "resource",
        "faq",
        "whois",
        "import",
        "slow",
        "later",
        "greet",
        "tidy",
        "purge",
        "Wave at",
        "Quote",
    }
    cmd = next(c for c in fake_discord.commands() if c["name"] == "echo")
    assert {"id", "application_id", "version", "integration_types"} <= cmd.keys()
    assert isinstance(cmd["integration_types"], list)
    first_id = cmd["id"]
    await bot.tree.sync()
    assert next(c for c in fake_discord.commands() if c["name"] == "echo")["id"] == first_id


async def test_slash_command_reply(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("echo", user=fake_discord.alice, text="hallo <@everyone> @everyone")
    assert result.type == 4
    assert result.content == "hallo <@everyone> @everyone"
    assert not result.ephemeral
    assert result.message is not None and result.message.pings == []
    assert result.message.allowed_mentions == {"parse": []}
    assert fake_discord.messages("general")[-1] is result.message


async def test_subcommand_with_choices_and_locale(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("resource suggest", user=fake_discord.bob, title="Delpher", kind="site", count=3)
    assert result.ephemeral
    assert result.content == "Delpher/site/3/en-GB"


async def test_builder_rejects_what_discord_would_not_send(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    alice = fake_discord.alice
    with pytest.raises(CommandUsageError, match="no registered command 'nope'"):
        await fake_discord.slash("nope", user=alice)
    with pytest.raises(CommandUsageError, match="needs a subcommand"):
        await fake_discord.slash("resource", user=alice)
    with pytest.raises(CommandUsageError, match="not a registered choice"):
        await fake_discord.slash("resource suggest", user=alice, title="x", kind="film")
    with pytest.raises(CommandUsageError, match=r"outside 1\.\.5"):
        await fake_discord.slash("resource suggest", user=alice, title="x", kind="book", count=9)
    with pytest.raises(CommandUsageError, match="wrong type"):
        await fake_discord.slash("echo", user=alice, text=5)
    with pytest.raises(CommandUsageError, match="required option"):
        await fake_discord.slash("echo", user=alice)
    with pytest.raises(CommandUsageError, match="no option 'colour'"):
        await fake_discord.slash("echo", user=alice, text="x", colour="red")


async def test_autocomplete_returns_choices(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    choices = await fake_discord.autocomplete("faq", "entry", "i", user=fake_discord.alice)
    assert [c["value"] for c in choices] == ["install", "import", "invite"]
    assert choices.result.type == 8


async def test_user_channel_role_options_are_resolved(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash(
        "whois",
        user=fake_discord.alice,
        member=fake_discord.bob,
        where=fake_discord.world.general,
        role=fake_discord.role("Moderator"),
    )
    assert result.content == "Bob in #general role=Moderator bot_can_send=True"


async def test_attachment_option_is_downloadable(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    upload = FakeFile("faq.json", b'{"ok": true}', "application/json")
    result = await fake_discord.slash("import", user=fake_discord.alice, options={"file": upload})
    assert result.content == 'faq.json: {"ok": true}'
    assert result.message is not None and result.message.attachment("reversed.txt").data == b'}eurt :"ko"{'


async def test_deferred_followups(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("slow", user=fake_discord.alice)
    assert result.type == 5
    first = await result.wait_followup()
    assert first.id == result.message.id  # the first follow-up replaces the "thinking" message
    assert first.content == "done" and first.ephemeral and not first.loading
    second = await result.wait_followup()
    assert second.content == "and more" and not second.ephemeral
    assert second.attachment("report.txt").text().startswith('"""The fake drives')
    assert [m.content for m in result.messages] == ["done", "and more"]


async def test_deferred_then_edit_original(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("later", user=fake_discord.alice)
    final = await result.final()
    assert final.content == "filled" and final.embeds[0]["title"] == "T"
    assert final.embed_text == "T\nD"


async def test_context_menus(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    wave = await fake_discord.context_menu("Wave at", fake_discord.bob, user=fake_discord.alice)
    assert wave.content == "wave bob" and wave.ephemeral
    said = await fake_discord.post_message("general", fake_discord.bob, "hello there")
    quoted = await fake_discord.context_menu("Quote", said, user=fake_discord.alice)
    assert quoted.content == "> hello there"


async def test_interaction_default_mentions_ping_users_only(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("greet", user=fake_discord.alice, who=fake_discord.bob)
    assert result.message is not None and result.message.allowed_mentions is None
    assert result.message.pings == [fake_discord.bob.mention]


async def test_slash_command_in_a_dm(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    dm = fake_discord.dm_channel(fake_discord.bob)
    result = await fake_discord.slash("echo", user=fake_discord.bob, channel=dm, text="privé")
    assert result.content == "privé"
    assert fake_discord.dms(fake_discord.bob)[-1] is result.message
    assert "user" in result.record.payload and "member" not in result.record.payload


async def test_large_guild_is_chunked_with_op_8(fake_discord: FakeDiscord) -> None:
    for i in range(260):
        await fake_discord.add_member(f"member{i:03}")
    async with start_client(make_bot(), fake_discord) as bot:
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.large and guild.chunked
        assert len(guild.members) == len(fake_discord.guild.members) > 260
    assert 8 in fake_discord.gateway.ops


async def test_a_client_crash_fails_the_wait_at_once(fake_discord: FakeDiscord) -> None:
    started = time.perf_counter()
    with pytest.raises(BotCrashedError, match="KeyError"):
        async with start_client(make_bot(), fake_discord):
            await fake_discord.dispatch("THREAD_CREATE", {"id": "1"})  # no guild_id: discord.py's parser dies
            await fake_discord.wait_until(lambda: None, within=3, what="anything")
    assert time.perf_counter() - started < 1.0


async def test_webhook_message_routes(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("tidy", user=fake_discord.alice)
    await fake_discord.wait_until(lambda: fake_discord.requests_to("GET", r"/messages/\d+$"), what="the fetch")
    assert [m.content for m in result.messages] == ["original (edited)", "kept"]
    deleted = [m for m in fake_discord.messages("general", include_deleted=True) if m.deleted]
    assert [(m.content, m.edits[0]["content"]) for m in deleted] == [("extra (edited)", "extra")]
    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_discord.requests if "/webhooks/" in r.path]
    assert ("GET", "@original") in methods and ("PATCH", "@original") in methods
    assert {m for m, _ in methods} == {"GET", "POST", "PATCH", "DELETE"}


async def test_default_member_permissions_and_contexts(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    assert (await fake_discord.slash("purge", user=fake_discord.moderator)).content == "purged"
    with pytest.raises(CommandUsageError, match="default_member_permissions"):
        await fake_discord.slash("purge", user=fake_discord.alice)
    with pytest.raises(CommandUsageError, match="not available"):
        await fake_discord.slash(
            "purge", user=fake_discord.moderator, channel=fake_discord.dm_channel(fake_discord.bob)
        )
