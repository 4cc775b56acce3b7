"""The central error path through the wire, with test commands added to the real bot's tree."""

from __future__ import annotations

import logging
import re

import discord
import pytest
from discord import app_commands

from bot.app import SteunpuntBot
from bot.errors import Invalid
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


@pytest.fixture
async def with_test_commands(steunpunt: Env) -> Env:
    """The real bot plus four test commands that fail in different ways, synced to the fake."""
    fake, bot = steunpunt

    async def boom(interaction: discord.Interaction[SteunpuntBot]) -> None:
        raise RuntimeError("secret internal detail")

    async def late_boom(interaction: discord.Interaction[SteunpuntBot]) -> None:
        await interaction.response.send_message("working on it", ephemeral=True)
        raise RuntimeError("after responding")

    async def refuse(interaction: discord.Interaction[SteunpuntBot]) -> None:
        raise Invalid("resources.invalid.url")

    async def shout(interaction: discord.Interaction[SteunpuntBot]) -> None:
        await interaction.response.send_message("x" * 2001)

    for name, callback in (("boom", boom), ("late-boom", late_boom), ("refuse", refuse), ("shout", shout)):
        bot.tree.add_command(app_commands.Command(name=name, description=f"test command {name}", callback=callback))
    await bot.sync_commands()
    return fake, bot


async def test_unexpected_error_gives_a_localised_apology_with_a_reference(
    with_test_commands: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is logged with a reference; the member gets that reference, not a traceback."""
    fake, _ = with_test_commands
    with caplog.at_level(logging.ERROR, logger="bot.interaction_errors"):
        result = await fake.slash("boom", user=fake.alice)
    assert result.ephemeral
    match = re.search(r"`([0-9A-F]{8})`", result.content)
    assert match and result.content.startswith("Er ging iets mis")
    assert "secret internal detail" not in result.content
    record = next(r for r in caplog.records if match.group(1) in r.getMessage())
    assert record.exc_info is not None


async def test_error_after_a_response_is_a_follow_up_not_a_second_response(with_test_commands: Env) -> None:
    """When the command already answered, the apology comes as a follow-up (no 40060 double acknowledgement)."""
    fake, _ = with_test_commands
    result = await fake.slash("late-boom", user=fake.bob)
    apology = await result.wait_followup()
    assert result.content == "working on it"
    assert apology.ephemeral and apology.content.startswith("Something went wrong")
    assert result.errors == []


async def test_domain_error_is_a_localised_ephemeral_message(with_test_commands: Env) -> None:
    """A typed domain error becomes its catalogue text in the member's language."""
    fake, _ = with_test_commands
    dutch = await fake.slash("refuse", user=fake.alice)
    english = await fake.slash("refuse", user=fake.bob)
    assert dutch.ephemeral and dutch.content.startswith("Dat is geen webadres")
    assert english.ephemeral and english.content.startswith("That is not a web address")


async def test_oversize_message_is_rejected_by_the_fake(with_test_commands: Env) -> None:
    """A 2001-character reply is refused with 400/50035 as Discord would; the bot then apologises within limits."""
    fake, _ = with_test_commands
    with fake.expect_violations() as caught:
        result = await fake.slash("shout", user=fake.bob)
        apology = await result.final()
    assert any("2000" in str(v) or "content" in str(v) for v in caught)
    assert apology.ephemeral and apology.content.startswith("Something went wrong")
