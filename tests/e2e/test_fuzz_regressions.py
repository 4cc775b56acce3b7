"""Defects the fuzzing (tests/e2e/test_fuzz.py) found, each minimised to one focused test.

A test for a defect not yet fixed is marked ``xfail(strict=True)``; the fix makes it pass, and the strict
marker then fails the run until it is removed.
"""

from __future__ import annotations

import logging

import pytest

from bot.app import SteunpuntBot
from tests.fakediscord import FakeDiscord, FakeFile

Env = tuple[FakeDiscord, SteunpuntBot]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERROR (and worse) records, with their messages."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def test_ask_in_a_dm_is_refused_or_not_offered(steunpunt: Env, caplog: pytest.LogCaptureFixture) -> None:
    """/ask in a DM with the bot is either not offered there, or refused politely without an error."""
    # Found by the fuzzing: /ask was registered without `contexts` (a class-level guild_only on a plain Cog does
    # not reach its commands), so Discord offered it in a DM, where an assert failed (fixed in 3790dfc).
    fake, _ = steunpunt
    ask = next(c for c in fake.commands() if c["name"] == "ask")
    if ask.get("contexts") == [0]:
        return  # registered for servers only: Discord does not offer it in DMs
    with caplog.at_level(logging.ERROR):
        result = await fake.slash("ask", user=fake.alice, channel=fake.dm_channel(fake.alice), question="x")
    assert result.ephemeral and result.errors == []
    assert result.content == "Dit werkt alleen in een server, niet in privéberichten."
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("s.json", b"[" * 5000 + b"]" * 5000),
        ("s.toml", b"a = " + b"[" * 5000 + b"]" * 5000),
    ],
)
async def test_settings_import_nested_too_deeply_is_unreadable(
    steunpunt: Env, caplog: pytest.LogCaptureFixture, filename: str, data: bytes
) -> None:
    """A deeply nested settings file is refused as unreadable, ephemerally, without an error in the log."""
    # Found by the fuzzing: RecursionError escaped json.loads / tomllib.loads (fixed in 3790dfc).
    fake, bot = steunpunt
    before = await bot.services.guild_settings.get(fake.guild.id)
    with caplog.at_level(logging.ERROR):
        result = await fake.slash("setup import", user=fake.world.owner, file=FakeFile(filename, data))
        final = await result.final()
    assert final.ephemeral and result.errors == []
    assert errors_logged(caplog) == []
    assert "Something went wrong" not in final.content
    assert await bot.services.guild_settings.get(fake.guild.id) == before


async def test_profile_of_someone_outside_the_server_is_refused_politely(
    steunpunt: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """/profile show for a user who is not a member answers with a clear ephemeral message, not an error."""
    fake, _ = steunpunt
    outsider = fake.state.add_user("stranger", locale="fr")  # e.g. someone who left; their id can still be given
    with caplog.at_level(logging.ERROR):
        result = await fake.slash("profile show", user=fake.alice, options={"member": outsider})
    assert result.ephemeral and result.errors == []
    assert errors_logged(caplog) == []
    assert "Er ging iets mis" not in result.content
    assert "iemand uit deze server" in result.content
