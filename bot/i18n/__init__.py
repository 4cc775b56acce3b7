"""Dutch and English message catalogues, and the one place where a reply's language is chosen.

Catalogues are TOML files in ``locales/<locale>/``, one file per area (``core.toml``, ``setup.toml``…)
so each theme keeps its own text; nested tables flatten to dotted keys (``help.title``).
Text is looked up by key, then formatted with named placeholders. No discord import here.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).with_name("locales")
Locale = str  # "nl" or "en"
SUPPORTED: tuple[Locale, ...] = ("nl", "en")


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Turn nested TOML tables into ``{"a.b.c": "text"}``."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{full}."))
        elif isinstance(value, str):
            flat[full] = value
        else:
            raise ValueError(f"Catalogue entry {full!r} must be text, not {type(value).__name__}")
    return flat


def load_file(path: Path) -> dict[str, str]:
    """Load one catalogue file as a flat key → text mapping."""
    with path.open("rb") as fh:
        return flatten(tomllib.load(fh))


def load_catalogue(directory: Path) -> dict[str, str]:
    """Merge every ``*.toml`` file of one locale's folder; a key defined twice is an error."""
    merged: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        for key, text in load_file(path).items():
            if key in merged:
                raise ValueError(f"Catalogue key {key!r} is defined twice (again in {path.name})")
            merged[key] = text
    if not merged:
        raise FileNotFoundError(f"No catalogue files in {directory}")
    return merged


def placeholders(text: str) -> set[str]:
    """The named ``{placeholders}`` a catalogue text uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def to_supported(discord_locale: str | None) -> Locale | None:
    """Map a Discord locale code (``nl``, ``en-GB``, ``en-US``…) to ``nl``/``en``, or None if neither."""
    if not discord_locale:
        return None
    code = discord_locale.lower()
    if code == "nl" or code.startswith("nl-"):
        return "nl"
    if code == "en" or code.startswith("en-"):
        return "en"
    return None


class I18n:
    """The loaded catalogues plus the process default locale."""

    def __init__(self, catalogues: Mapping[Locale, Mapping[str, str]], default_locale: Locale = "nl") -> None:
        if default_locale not in catalogues:
            raise ValueError(f"No catalogue for default locale {default_locale!r}")
        self._catalogues = {k: dict(v) for k, v in catalogues.items()}
        self.default_locale = default_locale

    @classmethod
    def load(cls, default_locale: Locale = "nl", directory: Path = LOCALES_DIR) -> I18n:
        """Load the ``nl`` and ``en`` catalogue folders from ``directory``."""
        return cls({loc: load_catalogue(directory / loc) for loc in SUPPORTED}, default_locale)

    def catalogue(self, locale: Locale) -> Mapping[str, str]:
        """The raw catalogue of one locale."""
        return self._catalogues[locale]

    def has(self, key: str) -> bool:
        """Whether the key exists (in the default catalogue)."""
        return key in self._catalogues[self.default_locale]

    def negotiate(self, member_locale: str | None, guild_locale: str | None = None) -> Locale:
        """Choose the reply language: the member's Discord locale, else the server's setting, else the default."""
        return to_supported(member_locale) or to_supported(guild_locale) or self.default_locale

    def t(self, key: str, locale: Locale, /, **params: Any) -> str:
        """Translate ``key`` into ``locale`` and fill its placeholders.

        A missing key falls back to the other language and then to the key itself, and is logged,
        so a gap in a catalogue never breaks a reply.
        """
        text = self._catalogues.get(locale, {}).get(key)
        if text is None:
            log.warning("Missing catalogue key %s for locale %s", key, locale)
            text = next((c[key] for c in self._catalogues.values() if key in c), key)
        try:
            return text.format(**params) if params or "{" in text else text
        except (KeyError, IndexError, ValueError):
            log.exception("Bad placeholders for catalogue key %s (%s)", key, locale)
            return text
