"""The fake rejects what Discord would reject (400 50035 / 50006), records it, and keeps its own answers valid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, payloads, validation
from tests.fakediscord.plugin import start_client
from tests.fakediscord.records import StoredMessage
from tests.fakediscord.validation import SpecMissingWarning

needs_spec = pytest.mark.skipif(not validation.spec_available(), reason="OpenAPI spec not found")


class Oversize(discord.ui.Modal, title="A title that is far too long for any Discord modal"):
    text = discord.ui.TextInput(label="Text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    @bot.tree.command(description="Too much embed")
    async def bigembed(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="t", description="d" * 4096)
        for i in range(5):
            embed.add_field(name=f"f{i}", value="v" * 400)
        await interaction.response.send_message(embed=embed)

    @bot.tree.command(description="Too many suggestions")
    async def tags(interaction: discord.Interaction, tag: str) -> None:
        await interaction.response.send_message(tag)

    @tags.autocomplete("tag")
    async def tag_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"tag {i}", value=f"t{i}") for i in range(26)]

    @bot.tree.command(description="Opens a bad modal")
    async def badmodal(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Oversize())

    return bot


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[commands.Bot]:
    async with start_client(make_bot(), fake_discord) as running:
        await running.tree.sync()
        yield running


def general(bot: commands.Bot, fake: FakeDiscord) -> discord.TextChannel:
    channel = bot.get_channel(fake.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_oversize_embed_in_a_channel_message(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    embed = discord.Embed(description="x" * 4000)
    embed.add_field(name="n", value="y" * 1024).add_field(name="n", value="y" * 1024)
    with fake_discord.expect_violations() as caught, pytest.raises(discord.HTTPException) as err:
        await general(bot, fake_discord).send(embeds=[embed, discord.Embed(title="z" * 10)])
    assert (err.value.status, err.value.code) == (400, 50035)
    assert "6000" in str(caught[0])
    assert fake_discord.messages("general") == []


async def test_oversize_embed_in_an_interaction_response(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    with fake_discord.expect_violations() as caught:
        result = await fake_discord.slash("bigembed", user=fake_discord.alice)
    assert result.callback is None and result.errors[0].code == 50035
    assert caught[0].problems[0].code == "MAX_EMBED_SIZE_EXCEEDED"


async def test_26_autocomplete_results(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    with fake_discord.expect_violations() as caught:
        choices = await fake_discord.autocomplete("tags", "tag", "t", user=fake_discord.alice)
    assert choices == [] and choices.result.errors[0].code == 50035
    assert caught[0].problems[0].path == ("data", "choices")


async def test_26th_choice_in_a_registered_command(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    @bot.tree.command(description="Too many choices")
    @app_commands.choices(pick=[app_commands.Choice(name=f"c{i}", value=i) for i in range(26)])
    async def many(interaction: discord.Interaction, pick: int) -> None:
        await interaction.response.send_message(str(pick))

    with fake_discord.expect_violations() as caught, pytest.raises(discord.HTTPException) as err:
        await bot.tree.sync()
    assert (err.value.status, err.value.code) == (400, 50035)
    assert isinstance(err.value, app_commands.CommandSyncFailure)
    assert any(p.path[-1] == "choices" for p in caught[0].problems)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "Echo", "description": "x"}, "APPLICATION_COMMAND_INVALID_NAME"),
        ({"name": "echo", "description": ""}, "BASE_TYPE_BAD_LENGTH"),
        ({"name": "echo", "description": "x", "name_localizations": {"nl-NL": "echo"}}, "LOCALE_INVALID"),
        ({"name": "echo", "description": "x", "description_localizations": {"en": "x"}}, "LOCALE_INVALID"),
        (
            {"name": "echo", "description": "x", "options": [{"type": 3, "name": "a", "description": "d"}] * 2},
            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
        ),
        (
            {
                "name": "echo",
                "description": "x" * 100,
                "options": [
                    {
                        "type": 3,
                        "name": f"o{i}",
                        "description": "d" * 100,
                        "choices": [{"name": "n" * 100, "value": "v" * 100} for _ in range(25)],
                    }
                    for i in range(5)
                ],
            },
            "APPLICATION_COMMAND_TOO_LARGE",
        ),
    ],
)
async def test_bad_command_bodies_on_the_wire(
    bot: commands.Bot, fake_discord: FakeDiscord, body: dict[str, object], code: str
) -> None:
    assert bot.application_id is not None
    with fake_discord.expect_violations() as caught, pytest.raises(discord.HTTPException) as err:
        await bot.http.bulk_upsert_global_commands(bot.application_id, [{"type": 1, **body}])
    assert (err.value.status, err.value.code) == (400, 50035)
    assert code in {p.code for p in caught[0].problems}


async def test_modal_title_over_45(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    with fake_discord.expect_violations() as caught:
        result = await fake_discord.slash("badmodal", user=fake_discord.alice)
    assert result.type is None and caught[0].problems[0].path == ("data", "title")


async def test_message_rules(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    channel = general(bot, fake_discord)
    with fake_discord.expect_violations(minimum=3) as caught:
        with pytest.raises(discord.HTTPException) as err:
            await channel.send("x" * 2001)
        assert err.value.code == 50035
        with pytest.raises(discord.HTTPException) as err:
            await channel.send("")
        assert err.value.code == 50006
        with pytest.raises(discord.HTTPException):
            await bot.http.send_message(
                channel.id,
                params=discord.http.MultipartParameters(
                    payload={"content": "hi", "allowed_mentions": {"parse": ["users"], "users": [1]}},
                    multipart=None,
                    files=None,
                ),
            )
    assert [c.code for c in caught] == [50035, 50006, 50035]
    assert caught[2].problems[0].code == "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"


async def test_forum_rules(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    forum = bot.get_channel(fake_discord.world.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    fake_tags = [discord.Object(fake_discord.state.ids.next()) for _ in range(6)]
    with fake_discord.expect_violations(minimum=3) as caught:
        for kwargs in ({"name": "x" * 101}, {"name": "ok", "applied_tags": fake_tags}):
            with pytest.raises(discord.HTTPException):
                await forum.create_thread(content="c", **kwargs)  # type: ignore[arg-type]
        with pytest.raises(discord.HTTPException):
            await forum.edit(available_tags=[discord.ForumTag(name=f"tag{i}") for i in range(21)])
    assert {p.path[0] for c in caught for p in c.problems} >= {"name", "applied_tags", "available_tags"}


@needs_spec
async def test_spec_catches_what_hand_written_checks_do_not(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    with fake_discord.expect_violations() as caught, pytest.raises(discord.HTTPException):
        await general(bot, fake_discord).send(embed=discord.Embed(title="t", url="https://example.org/" + "a" * 2100))
    assert caught[0].problems[0].code.startswith("SPEC_")
    assert caught[0].problems[0].path == ("embeds", 0, "url")


async def test_violation_outside_expect_fails_the_test() -> None:
    fake = await FakeDiscord().start()
    try:
        async with start_client(make_bot(), fake) as bot:
            with pytest.raises(discord.HTTPException):
                await general(bot, fake).send("x" * 2001)
    finally:
        await fake.stop()
    assert len(fake.failures) == 1 and "content" in fake.failures[0] and "2001" in fake.failures[0]


def test_spec_missing_skips_spec_checks_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)  # where the spec is required, a missing one is an error instead
    monkeypatch.delenv("STEUNPUNT_REQUIRE_SPEC", raising=False)
    monkeypatch.setenv("STEUNPUNT_OPENAPI_SPEC", str(tmp_path / "missing.json"))
    with pytest.warns(SpecMissingWarning, match=r"spec not found at .*missing\.json; spec validation skipped"):
        found = validation.problems(
            "message_create", {"content": "x" * 2001, "embeds": [{"url": "https://e.org/" + "a" * 3000}]}
        )
    assert [p.path for p in found] == [("content",)]
    assert not validation.spec_available()


@needs_spec
async def test_the_fakes_own_payloads_match_the_response_schemas(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    state, world = fake_discord.state, fake_discord.world
    result = await fake_discord.slash("tags", user=fake_discord.alice, tag="x")
    created = await forum_post(bot, fake_discord)
    msg = state.add_message(StoredMessage(state.ids.next(), world.general.id, state.bot_user.id, "hi"))
    checks = {
        "UserPIIResponse": payloads.me(state.bot_user),
        "PrivateApplicationResponse": payloads.application(state),
        "MessageResponse": payloads.message(msg, state),
        "ThreadResponse": payloads.channel(state.channels[created.id], state),
        "GuildChannelResponse": payloads.channel(world.forum, state),
        "PrivateChannelResponse": payloads.channel(fake_discord.dm_channel(fake_discord.alice), state),
        "GuildMemberResponse": payloads.member(fake_discord.alice),
        "GuildRoleResponse": payloads.role(world.moderator_role),
        "InteractionCallbackResponse": result.callback.response,
    }
    checks.update({f"ApplicationCommandResponse {c['name']}": c for c in fake_discord.commands()})
    for schema, body in checks.items():
        assert validation.spec_problems(schema.split()[0], body) == [], schema


async def forum_post(bot: commands.Bot, fake: FakeDiscord) -> discord.Thread:
    forum = bot.get_channel(fake.world.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    return (await forum.create_thread(name="post", content="body")).thread
