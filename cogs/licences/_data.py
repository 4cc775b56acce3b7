"""The built-in licence and rights facts the cog shows, and the licence choices built from them.

The facts are read once from the packaged data files (``bot/data/licences.toml``, ``rights.toml``) when the
cog is imported: Discord's choices are declared with the commands, so they must exist at that moment. They
never change while the bot runs.
"""

from __future__ import annotations

import re

from discord import app_commands

from bot.domain.licences import LicenceCatalogue, RightsCatalogue
from bot.i18n import LOCALES_DIR, load_file

LICENCES = LicenceCatalogue.load()
RIGHTS = RightsCatalogue.load()
_ENGLISH = load_file(LOCALES_DIR / "en" / "licences.toml")


def choice_key(tool_id: str) -> str:
    """The catalogue key of a tool's choice name (``cc-by-4.0`` → ``licences.choice.cc_by_4_0``)."""
    return "licences.choice." + re.sub(r"[^a-z0-9]+", "_", tool_id.lower()).strip("_")


def tool_choices(catalogue: LicenceCatalogue) -> list[app_commands.Choice[str]]:
    """Every tool of the catalogue as a choice, most open first, named in the member's language."""
    found = []
    for tool in catalogue.by_openness():
        key = choice_key(tool.id)
        found.append(app_commands.Choice(name=app_commands.locale_str(_ENGLISH[key], key=key), value=tool.id))
    return found


TOOL_CHOICES = tool_choices(LICENCES)
