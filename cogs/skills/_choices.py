"""Choices of the skills commands, built from the values the domain declares, named from the catalogues.

Each choice carries its catalogue key (``skills.choice.<area>.<value>``), so Discord shows it in the member's
language; the English text is also the default name.
"""

from __future__ import annotations

from discord import app_commands

from bot.domain.skills.models import FORMATS, LEVELS, ORG_SIZES, ORG_TYPES, REGIONS, URGENCIES
from bot.i18n import LOCALES_DIR, load_file
from bot.render.skills import choice_key

_ENGLISH = load_file(LOCALES_DIR / "en" / "skills.toml")


def choices(area: str, values: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    """The choices of one closed field, in declaration order."""
    found = []
    for value in values:
        key = choice_key(area, value)
        found.append(app_commands.Choice(name=app_commands.locale_str(_ENGLISH[key], key=key), value=value))
    return found


ORG_TYPE_CHOICES = choices("org_type", ORG_TYPES)
ORG_SIZE_CHOICES = choices("org_size", ORG_SIZES)
REGION_CHOICES = choices("region", REGIONS)
LEVEL_CHOICES = choices("level", LEVELS)
FORMAT_CHOICES = choices("format", FORMATS)
URGENCY_CHOICES = choices("urgency", URGENCIES)
