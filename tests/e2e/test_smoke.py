"""Smoke test of the real bot against the fake Discord: it starts, registers commands and answers /help."""

from __future__ import annotations

from bot.app import SteunpuntBot
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord


async def test_help_answers_in_the_members_language(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    fake, _ = steunpunt
    dutch = await fake.slash("help", user=fake.alice)  # Discord client in Dutch (nl)
    english = await fake.slash("help", user=fake.bob)  # Discord client in British English (en-GB)
    assert dutch.ephemeral and english.ephemeral
    assert dutch.message is not None and english.message is not None
    assert dutch.message.embeds[0]["title"] == "Steunpunt — wat ik kan"
    assert english.message.embeds[0]["title"] == "Steunpunt — what I can do"
    assert dutch.message.pings == [] and english.message.pings == []


async def test_commands_are_registered_with_valid_localizations(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    fake, _ = steunpunt
    names = {c["name"] for c in fake.commands()}
    assert {"help", "about"} <= names
    help_command = next(c for c in fake.commands() if c["name"] == "help")
    assert set(help_command.get("description_localizations") or {}) <= {"nl", "en-US", "en-GB"}


async def test_commands_sync_only_when_the_tree_changes(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """The first start syncs; a restart with the same commands does not; a changed tree syncs again."""
    fake = fake_discord
    for _ in range(2):
        async with launch():
            pass
    assert len(fake.requests_to("PUT", r"/applications/\d+/commands$")) == 1
    async with launch() as bot:
        await bot.services.system.record_sync(None, "hash of an older command tree")  # as after an upgrade
    async with launch():
        pass
    assert len(fake.requests_to("PUT", r"/applications/\d+/commands$")) == 2
