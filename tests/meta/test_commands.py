"""The command tree: valid names, every option described, full nl/en-US/en-GB localisation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import SteunpuntBot
from bot.config import Settings
from bot.wiring import running_app

NAME = re.compile(r"^[-_'\w]{1,32}$")
LOCALES = {"nl", "en-US", "en-GB"}


@pytest.fixture
async def loaded_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SteunpuntBot]:
    """The real bot with every cog loaded, not connected to anything."""
    import discord

    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )
    settings = Settings.for_tests(database_path=tmp_path / "db.sqlite3")
    async with running_app(settings, auto_sync=False) as bot:
        await bot.setup_hook()
        yield bot


def _walk(command: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    here = f"{path} {command['name']}".strip()
    found = [(here, command)]
    for option in command.get("options") or []:
        found.extend(_walk(option, here))
    return found


async def test_every_command_and_option_is_localised(loaded_bot: SteunpuntBot) -> None:
    """Names and descriptions of every command and option carry nl, en-US and en-GB."""
    problems = []
    for command in await loaded_bot.command_payload():
        for path, node in _walk(command):
            if set(node.get("name_localizations") or {}) != LOCALES:
                problems.append(f"{path}: name_localizations {sorted(node.get('name_localizations') or {})}")
            is_menu = command.get("type") in (2, 3)
            if not is_menu and set(node.get("description_localizations") or {}) != LOCALES:
                problems.append(f"{path}: description_localizations")
            for choice in node.get("choices") or []:
                if set(choice.get("name_localizations") or {}) != LOCALES:
                    problems.append(f"{path}: choice {choice['name']}")
    assert problems == []


async def test_names_and_descriptions_are_valid(loaded_bot: SteunpuntBot) -> None:
    """Slash names are lower-case and match Discord's pattern in every language; descriptions fit 1–100."""
    problems = []
    for command in await loaded_bot.command_payload():
        if command.get("type", 1) != 1:
            continue
        for path, node in _walk(command):
            for name in [node["name"], *(node.get("name_localizations") or {}).values()]:
                if not NAME.match(name) or name != name.lower():
                    problems.append(f"{path}: bad name {name!r}")
            for text in [node["description"], *(node.get("description_localizations") or {}).values()]:
                if not 1 <= len(text) <= 100 or text == "…":
                    problems.append(f"{path}: bad description {text!r}")
    assert problems == []


async def test_command_names_are_unique(loaded_bot: SteunpuntBot) -> None:
    """No two top-level commands share a name, in any language."""
    payload = [c for c in await loaded_bot.command_payload() if c.get("type", 1) == 1]
    for locale in ("default", *sorted(LOCALES)):
        names = [c["name"] if locale == "default" else c["name_localizations"][locale] for c in payload]
        assert len(names) == len(set(names)), locale


async def test_english_catalogue_matches_code_defaults(loaded_bot: SteunpuntBot) -> None:
    """The English localisation equals the name in code, so the two never drift apart."""
    for command in await loaded_bot.command_payload():
        for path, node in _walk(command):
            assert node["name_localizations"]["en-US"] == node["name"], path


DM_COMMANDS = {"help", "about"}
"""Commands that also work in a direct message with the bot; every other one needs a server."""


async def test_every_server_command_is_offered_in_servers_only(loaded_bot: SteunpuntBot) -> None:
    """Commands that need a server are registered for servers only (Discord does not offer them in a DM)."""
    offenders = [
        command["name"]
        for command in await loaded_bot.command_payload()
        if command["name"] not in DM_COMMANDS and command.get("contexts") != [0]
    ]
    assert offenders == []
