"""Buttons, selects, persistent views and modals, round-tripped through the real discord.py view store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import CommandUsageError, FakeDiscord
from tests.fakediscord.plugin import start_client


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="fb_text", max_length=200)
    mail = discord.ui.TextInput(label="E-mail", custom_id="fb_mail", required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value} / {self.mail.value or '-'}", ephemeral=True)


class Counter(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.count = 0

    @discord.ui.button(label="+1", custom_id="count:add")
    async def add(self, interaction: discord.Interaction, button: discord.ui.Button[Counter]) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"count={self.count}", view=self)

    @discord.ui.button(label="Feedback", custom_id="count:feedback")
    async def feedback(self, interaction: discord.Interaction, button: discord.ui.Button[Counter]) -> None:
        await interaction.response.send_modal(Feedback())

    @discord.ui.button(label="Later", custom_id="count:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[Counter]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited after deferred update", view=None)

    @discord.ui.select(
        custom_id="count:pick", options=[discord.SelectOption(label=x, value=x) for x in "abc"], max_values=2
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Counter]) -> None:
        await interaction.response.send_message(f"picked {','.join(select.values)}", ephemeral=True)


class Persistent(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Help", custom_id="persistent:help", style=discord.ButtonStyle.primary)
    async def help(self, interaction: discord.Interaction, button: discord.ui.Button[Persistent]) -> None:
        await interaction.response.send_message(f"help for {interaction.user.name}", ephemeral=True)

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="persistent:who")
    async def who(self, interaction: discord.Interaction, select: discord.ui.UserSelect[Persistent]) -> None:
        await interaction.response.send_message(f"chose {select.values[0].name}", ephemeral=True)


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    @bot.tree.command(description="A counter")
    async def counter(interaction: discord.Interaction, private: bool = False) -> None:
        await interaction.response.send_message("count=0", view=Counter(), ephemeral=private)

    @bot.tree.command(description="Open the feedback form")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @bot.tree.command(description="Post the help panel")
    async def panel(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("Need help?", view=Persistent())
        await interaction.response.send_message("posted", ephemeral=True)

    async def setup_hook() -> None:
        bot.add_view(Persistent())

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[commands.Bot]:
    async with start_client(make_bot(), fake_discord) as running:
        await running.tree.sync()
        yield running


async def test_button_updates_the_message_it_is_on(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("counter", user=fake_discord.alice)
    message = result.message
    assert message is not None and message.custom_ids == ["count:add", "count:feedback", "count:later", "count:pick"]
    clicked = await fake_discord.click(message, "count:add", user=fake_discord.bob)
    assert clicked.type == 7
    assert clicked.message is message and message.content == "count=1"
    await fake_discord.click(message, "count:add", user=fake_discord.alice)
    assert message.content == "count=2" and len(message.edits) == 2


async def test_ephemeral_view_routes_by_response_message_id(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    result = await fake_discord.slash("counter", user=fake_discord.alice, private=True)
    assert result.ephemeral and result.message is not None
    response = result.callback.response
    assert response["interaction"]["response_message_id"] == str(result.message.id)
    assert response["interaction"]["response_message_ephemeral"] is True
    assert response["resource"]["message"]["flags"] & 64
    clicked = await fake_discord.click(result.message, "count:add", user=fake_discord.alice)
    assert clicked.message.content == "count=1"
    with pytest.raises(CommandUsageError, match="ephemeral"):
        await fake_discord.click(result.message, "count:add", user=fake_discord.bob)


async def test_select_values_are_checked_and_delivered(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    message = (await fake_discord.slash("counter", user=fake_discord.alice)).message
    picked = await fake_discord.click(message, "count:pick", user=fake_discord.alice, values=["a", "c"])
    assert picked.content == "picked a,c" and picked.ephemeral
    with pytest.raises(CommandUsageError, match="no option"):
        await fake_discord.click(message, "count:pick", user=fake_discord.alice, values=["z"])
    with pytest.raises(CommandUsageError, match=r"takes 1\.\.2 values"):
        await fake_discord.click(message, "count:pick", user=fake_discord.alice, values=["a", "b", "c"])


async def test_deferred_update_then_edit_original(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    message = (await fake_discord.slash("counter", user=fake_discord.alice)).message
    result = await fake_discord.click(message, "count:later", user=fake_discord.alice)
    assert result.type == 6
    final = await result.final()
    assert final is message and message.content == "edited after deferred update" and message.components == []


async def test_modal_round_trip(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    opened = await fake_discord.slash("feedback", user=fake_discord.bob)
    assert opened.type == 9
    modal = opened.modal
    assert modal.title == "Feedback" and modal.field_ids() == ["fb_text", "fb_mail"]
    assert len(modal.custom_id) == 32  # discord.py's random id, read back from the type-9 callback
    submitted = await fake_discord.submit_modal(modal, {"fb_text": "great bot"})
    assert submitted.content == "thanks: great bot / -" and submitted.ephemeral
    with pytest.raises(CommandUsageError, match="required"):
        await fake_discord.submit_modal(modal.custom_id, {"fb_mail": "x@example.org"}, user=fake_discord.bob)
    with pytest.raises(CommandUsageError, match="no field"):
        await fake_discord.submit_modal(modal, {"fb_nope": "x"})


async def test_modal_from_a_button(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    message = (await fake_discord.slash("counter", user=fake_discord.alice)).message
    opened = await fake_discord.click(message, "count:feedback", user=fake_discord.alice)
    submitted = await fake_discord.submit_modal(opened.modal, {"fb_text": "via button", "fb_mail": "a@b.nl"})
    assert submitted.content == "thanks: via button / a@b.nl"


async def test_persistent_view_click(bot: commands.Bot, fake_discord: FakeDiscord) -> None:
    await fake_discord.slash("panel", user=fake_discord.moderator)
    panel = fake_discord.messages("general", public=True)[-1]
    assert panel.content == "Need help?" and panel.custom_ids == ["persistent:help", "persistent:who"]
    helped = await fake_discord.click(panel, "persistent:help", user=fake_discord.alice)
    assert helped.content == "help for alice"
    chose = await fake_discord.click(panel, "persistent:who", user=fake_discord.alice, values=[fake_discord.bob])
    assert chose.content == "chose bob"


async def test_persistent_view_survives_restart(fake_discord: FakeDiscord) -> None:
    async with start_client(make_bot(), fake_discord) as first:
        await first.tree.sync()
        await fake_discord.slash("panel", user=fake_discord.moderator)
    panel = fake_discord.messages("general", public=True)[-1]
    async with start_client(make_bot(), fake_discord):
        helped = await fake_discord.click(panel, "persistent:help", user=fake_discord.bob)
        assert helped.content == "help for bob"
