"""Localises command metadata (names, descriptions, options, choices) for Discord from our catalogues."""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Loc

from bot.i18n import I18n

log = logging.getLogger(__name__)

LOCALE_MAP: dict[discord.Locale, str] = {
    discord.Locale.dutch: "nl",
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
}
"""Discord locales we publish command metadata for, and the catalogue each one reads."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def command_key(qualified_name: str) -> str:
    """Catalogue prefix of a slash command or group: ``setup show`` → ``cmd.setup.show``."""
    return "cmd." + ".".join(_slug(part) for part in qualified_name.split())


def context_menu_key(name: str) -> str:
    """Catalogue prefix of a context-menu command: ``Mark as solution`` → ``ctx.mark_as_solution``."""
    return f"ctx.{_slug(name)}"


def metadata_key(string: app_commands.locale_str, context: app_commands.TranslationContextTypes) -> str | None:
    """The catalogue key for one piece of command metadata, or None if it is not ours to translate."""
    if key := string.extras.get("key"):
        return str(key)
    data = context.data
    loc = context.location
    if loc in (Loc.command_name, Loc.group_name, Loc.command_description, Loc.group_description):
        suffix = "name" if loc in (Loc.command_name, Loc.group_name) else "description"
        if isinstance(data, app_commands.ContextMenu):
            return f"{context_menu_key(data.name)}.{suffix}"
        if isinstance(data, app_commands.Command | app_commands.Group):
            return f"{command_key(data.qualified_name)}.{suffix}"
        return None
    if loc in (Loc.parameter_name, Loc.parameter_description) and isinstance(data, app_commands.Parameter):
        suffix = "name" if loc is Loc.parameter_name else "description"
        return f"{command_key(data.command.qualified_name)}.options.{data.name}.{suffix}"
    if loc is Loc.choice_name and isinstance(data, app_commands.Choice):
        return f"choice.{_slug(str(data.value))}"
    return None


class SteunpuntTranslator(app_commands.Translator):
    """Reads command metadata from the ``nl``/``en`` catalogues; Discord falls back to the default names."""

    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n
        self.missing: set[str] = set()

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """Return the catalogue text for ``string`` in ``locale``, or None for locales we do not publish."""
        ours = LOCALE_MAP.get(locale)
        if ours is None:
            return None
        key = metadata_key(string, context)
        if key is None:
            return None
        text = self._i18n.catalogue(ours).get(key)
        if text is None:
            if key not in self.missing:
                log.warning("No %s translation for command metadata %s", ours, key)
                self.missing.add(key)
            return None
        return text
