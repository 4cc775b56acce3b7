"""Setting values to and from the outside world: storage JSON, portable settings documents, and typed text.

Every conversion follows the setting's kind (:mod:`bot.domain.settings_schema`), so a new setting needs no
code here. No discord import: roles and channels are resolved in a :class:`GuildDirectory` of plain ids and names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.domain.settings_schema import WEEKDAYS, GuildDirectory, Kind, Setting, check, invalid_value
from bot.errors import Invalid

_WEEKDAY_WORDS: tuple[tuple[str, ...], ...] = (
    ("monday", "maandag"),
    ("tuesday", "dinsdag"),
    ("wednesday", "woensdag"),
    ("thursday", "donderdag"),
    ("friday", "vrijdag"),
    ("saturday", "zaterdag"),
    ("sunday", "zondag"),
)
"""Words a weekday may be typed or imported as (any prefix of two letters or more), per index."""

_TRUE = frozenset({"true", "yes", "on", "1", "ja", "aan", "waar"})
_FALSE = frozenset({"false", "no", "off", "0", "nee", "uit", "onwaar"})
_MENTION = re.compile(r"^<(?:#|@&)(\d+)>$")


# --- storage and portable documents -----------------------------------------------------------


def to_stored(spec: Setting, value: Any) -> Any:
    """The JSON-able form a (checked) value is stored in."""
    return list(value) if spec.kind is Kind.THEMES else value


def export_value(spec: Setting, value: Any, directory: GuildDirectory) -> Any:
    """A value as it appears in a portable settings document.

    References carry the id (as a string) and the name, so they also resolve on another server;
    weekdays are names.
    """
    if value is None:
        return None
    if spec.is_reference:
        return {"id": str(value), "name": directory.names_for(spec.kind).get(value, "")}
    if spec.kind is Kind.WEEKDAY:
        return WEEKDAYS[value]
    return to_stored(spec, value)


def import_value(spec: Setting, raw: Any, directory: GuildDirectory) -> Any:
    """Turn a document's value back into a setting value for this server, or raise :class:`Invalid`."""
    if spec.is_reference:
        return _resolve_ref(spec.name, raw, directory.names_for(spec.kind))
    if spec.kind is Kind.WEEKDAY and isinstance(raw, str):
        return _weekday(spec, raw)
    return check(spec, raw)


def _resolve_ref(field_name: str, value: Any, names: Mapping[int, str]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("id", ""), str | int):
        raise Invalid("setup.import.bad_reference", field=field_name)
    raw_id = str(value.get("id", "")).strip()
    name = value.get("name")
    if raw_id.isdigit() and int(raw_id) in names:
        return int(raw_id)
    if isinstance(name, str) and name:
        matches = [i for i, n in names.items() if n == name]
        if len(matches) == 1:
            return matches[0]
    raise Invalid("setup.import.unknown_reference", field=field_name, id=raw_id[:25] or "?", name=str(name or "")[:100])


def _weekday(spec: Setting, text: str) -> int:
    word = text.strip().lower()
    if len(word) >= 2:
        for index, words in enumerate(_WEEKDAY_WORDS):
            if any(w.startswith(word) for w in words):
                return index
    raise invalid_value(spec, text)


# --- typed text (/setup set) ----------------------------------------------------------------------


def parse_text(spec: Setting, text: str, directory: GuildDirectory) -> Any:
    """Read a value typed by a server manager (``/setup set``), or raise :class:`Invalid`.

    References accept a mention, an id or a name; themes a comma-separated list; booleans on/off, yes/no
    or ja/nee; hours ``9`` or ``09:00``; weekdays their English or Dutch name.
    """
    word = text.strip()
    lowered = word.lower()
    kind = spec.kind
    if spec.is_reference:
        return _parse_reference(spec, word, directory.names_for(kind))
    if kind is Kind.THEMES:
        parts = [p for p in re.split(r"[,\s]+", lowered) if p]
        return check(spec, parts)
    if kind is Kind.BOOL:
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise invalid_value(spec, word)
    if kind is Kind.WEEKDAY:
        return _weekday(spec, word)
    if kind is Kind.HOUR:
        match = re.fullmatch(r"(\d{1,2})(?::00)?(?:\s*u(?:ur)?|\s*h)?", lowered)
        return check(spec, int(match.group(1)) if match else word)
    if kind is Kind.INTEGER:
        return check(spec, int(word) if re.fullmatch(r"[+-]?\d{1,9}", word) else word)
    return check(spec, lowered if kind is Kind.LOCALE else word)


def _parse_reference(spec: Setting, word: str, names: Mapping[int, str]) -> int:
    mention = _MENTION.match(word)
    digits = mention.group(1) if mention else word
    if digits.isdigit() and int(digits) in names:
        return int(digits)
    bare = word.lstrip("#@").strip().lower()
    matches = [i for i, n in names.items() if n.lower() == bare]
    if len(matches) == 1:
        return matches[0]
    raise Invalid("setup.import.unknown_reference", field=spec.name, id=digits[:25], name=word[:100])
