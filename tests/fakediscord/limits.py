"""Hand-written checks of Discord's documented limits (the ones the OpenAPI spec misses or gets wrong).

Each check appends `Problem`s (a path into the body, a Discord-style code and a message) to a list.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import discord

VALID_LOCALES = frozenset(locale.value for locale in discord.Locale)
SELECT_TYPES = (3, 5, 6, 7, 8)
NAME_EXTRA = frozenset("-_'")
EPHEMERAL, SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, COMPONENTS_V2 = 1 << 6, 1 << 2, 1 << 12, 1 << 15
ALLOWED_CALLBACK_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One violation: where, Discord's error code string, and a readable message."""

    path: Path
    code: str
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message} ({self.code})"


class Checker:
    """Collects problems while walking one request body."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path, code: str, message: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(path, code, message))

    def length(self, path: Path, value: Any, lo: int, hi: int) -> None:
        """A string's length must be within lo..hi (None passes)."""
        if value is None:
            return
        if not isinstance(value, str):
            self.add(path, "BASE_TYPE_STRING", "Must be a string.")
        elif not lo <= len(value) <= hi:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length (got {len(value)}).")

    def count(self, path: Path, items: Any, lo: int, hi: int, what: str = "items") -> list[Any]:
        """A list must have lo..hi items; returns the list (or [])."""
        if items is None:
            return []
        if not isinstance(items, list):
            self.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
            return []
        if not lo <= len(items) <= hi:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must have between {lo} and {hi} {what} (got {len(items)}).")
        return items


def _valid_name_char(ch: str) -> bool:
    if ch in NAME_EXTRA or unicodedata.category(ch)[0] in "LN":
        return True
    return "\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f"  # Devanagari, Thai


def check_chat_name(c: Checker, path: Path, name: Any) -> None:
    """CHAT_INPUT command and option names: `^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, lowercase."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32 or not all(map(_valid_name_char, name)):
        c.add(path, "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}: must match the name regex, 1-32.")
    elif name != name.lower():
        c.add(path, "APPLICATION_COMMAND_INVALID_NAME", f"Name {name!r} must be lowercase.")


def check_localizations(c: Checker, path: Path, locs: Any, *, name: bool) -> None:
    """Locale keys must be discord.Locale values; values follow the rules of the field."""
    if not locs:
        return
    for key, value in locs.items():
        if key not in VALID_LOCALES:
            c.add((*path, key), "LOCALE_INVALID", f"{key!r} is not a valid locale (valid: discord.Locale values).")
        elif name:
            check_chat_name(c, (*path, key), value)
        else:
            c.length((*path, key), value, 1, 100)


def check_message(
    c: Checker, body: dict[str, Any], path: Path = (), *, create: bool = True, has_files: bool = False
) -> None:
    """Content, embeds, components, allowed_mentions and the empty-message rule of a message-like body."""
    c.length((*path, "content"), body.get("content"), 0, 2000)
    check_embeds(c, body.get("embeds"), (*path, "embeds"))
    check_components(c, body.get("components"), (*path, "components"), int(body.get("flags") or 0))
    check_allowed_mentions(c, body.get("allowed_mentions"), (*path, "allowed_mentions"))
    c.count((*path, "sticker_ids"), body.get("sticker_ids"), 0, 3)
    c.count((*path, "attachments"), body.get("attachments"), 0, 10)
    c.length((*path, "nonce"), body.get("nonce") if isinstance(body.get("nonce"), str) else None, 0, 25)
    if (
        create
        and not has_files
        and not any(body.get(k) for k in ("content", "embeds", "sticker_ids", "components", "attachments", "poll"))
    ):
        c.add(path, "EMPTY_MESSAGE", "Cannot send an empty message")


def check_embeds(c: Checker, embeds: Any, path: Path) -> None:
    """Per-embed limits and the 6000-character total across all embeds."""
    total = 0
    for i, e in enumerate(c.count(path, embeds, 0, 10, "embeds")):
        p = (*path, i)
        texts = {
            "title": (e.get("title"), 256),
            "description": (e.get("description"), 4096),
            "footer": ((e.get("footer") or {}).get("text"), 2048),
            "author": ((e.get("author") or {}).get("name"), 256),
        }
        for key, (text, hi) in texts.items():
            where = (*p, key) if key in ("title", "description") else (*p, key, "text" if key == "footer" else "name")
            c.length(where, text, 0, hi)
            total += len((text or "").strip())
        for j, f in enumerate(c.count((*p, "fields"), e.get("fields"), 0, 25, "fields")):
            c.length((*p, "fields", j, "name"), f.get("name"), 1, 256)
            c.length((*p, "fields", j, "value"), f.get("value"), 1, 1024)
            total += len((f.get("name") or "").strip()) + len((f.get("value") or "").strip())
    if total > 6000:
        c.add(path, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of 6000 (got {total}).")


def check_components(c: Checker, comps: Any, path: Path, flags: int) -> None:
    """Action rows, buttons, selects, custom_id uniqueness (legacy and Components V2 messages)."""
    seen: set[str] = set()
    if flags & COMPONENTS_V2:
        total = _walk_v2(c, comps or [], path, seen)
        if total > 40:
            c.add(path, "COMPONENT_LIMIT", f"Components V2 messages allow 40 components in total (got {total}).")
        return
    for i, row in enumerate(c.count(path, comps, 0, 5, "action rows")):
        p = (*path, i)
        if row.get("type") != 1:
            c.add((*p, "type"), "COMPONENT_TYPE_INVALID", "Top-level components must be action rows (type 1).")
            continue
        children = c.count((*p, "components"), row.get("components"), 1, 5, "components")
        if any(ch.get("type") in SELECT_TYPES for ch in children) and len(children) > 1:
            c.add((*p, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select menu must be alone in its row.")
        for j, child in enumerate(children):
            _check_interactive(c, child, (*p, "components", j), seen)


def _walk_v2(c: Checker, comps: list[dict[str, Any]], path: Path, seen: set[str]) -> int:
    total = 0
    for i, comp in enumerate(comps):
        total += 1
        p = (*path, i)
        if comp.get("type") in (2, *SELECT_TYPES):
            _check_interactive(c, comp, p, seen)
        total += _walk_v2(c, comp.get("components") or [], (*p, "components"), seen)
        if isinstance(comp.get("accessory"), dict):
            total += _walk_v2(c, [comp["accessory"]], (*p, "accessory"), seen)
    return total


def _check_interactive(c: Checker, comp: dict[str, Any], p: Path, seen: set[str]) -> None:
    cid = comp.get("custom_id")
    if comp.get("type") == 2 and comp.get("style") == 5:
        if cid is not None:
            c.add((*p, "custom_id"), "BUTTON_LINK_CUSTOM_ID", "Link buttons cannot have a custom_id.")
        c.length((*p, "url"), comp.get("url") or "", 1, 512)
    elif comp.get("type") == 2 and comp.get("style") == 6:
        pass
    elif cid is None:
        c.add((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    else:
        c.length((*p, "custom_id"), cid, 1, 100)
        if cid in seen:
            c.add((*p, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", f"custom_id {cid!r} is not unique.")
        seen.add(cid)
    if comp.get("type") == 2:
        c.length((*p, "label"), comp.get("label"), 0, 80)
        return
    c.length((*p, "placeholder"), comp.get("placeholder"), 0, 150)
    lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
    if not 0 <= lo <= 25 or not 1 <= hi <= 25 or lo > hi:
        c.add(p, "SELECT_VALUES_INVALID", f"min_values {lo} / max_values {hi} out of range.")
    if comp.get("type") == 3:
        options = c.count((*p, "options"), comp.get("options"), 1, 25, "options")
        for k, opt in enumerate(options):
            for key, low in (("label", 1), ("value", 1), ("description", 0)):
                c.length((*p, "options", k, key), opt.get(key), low, 100)
        if hi > len(options):
            c.add((*p, "max_values"), "SELECT_VALUES_INVALID", "max_values exceeds the number of options.")


def check_allowed_mentions(c: Checker, am: Any, path: Path) -> None:
    """parse values, parse/list exclusivity, ≤100 ids each."""
    if not am:
        return
    parse = am.get("parse") or []
    for i, value in enumerate(parse):
        if value not in ("users", "roles", "everyone"):
            c.add((*path, "parse", i), "BASE_TYPE_CHOICES", f"{value!r} is not one of users, roles, everyone.")
    for kind in ("users", "roles"):
        ids = c.count((*path, kind), am.get(kind), 0, 100, "ids")
        if ids and kind in parse:
            c.add(
                (*path, "parse"),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
            )


def check_modal(c: Checker, data: dict[str, Any], path: Path) -> None:
    """Modal title ≤45, custom_id 1-100, 1-5 components, text input and label limits."""
    c.length((*path, "title"), data.get("title"), 1, 45)
    c.length((*path, "custom_id"), data.get("custom_id"), 1, 100)
    seen: set[str] = set()
    for i, comp in enumerate(c.count((*path, "components"), data.get("components"), 1, 5, "components")):
        p = (*path, "components", i)
        if comp.get("type") == 1:
            inner = c.count((*p, "components"), comp.get("components"), 1, 1, "components")
            items = [((*p, "components", j), x) for j, x in enumerate(inner)]
        elif comp.get("type") == 18:
            c.length((*p, "label"), comp.get("label"), 1, 45)
            c.length((*p, "description"), comp.get("description"), 0, 100)
            items = [((*p, "component"), comp.get("component") or {})]
        elif comp.get("type") == 10:
            items = []
        else:
            c.add((*p, "type"), "COMPONENT_TYPE_INVALID", f"Component type {comp.get('type')} not allowed in a modal.")
            items = []
        for ip, item in items:
            cid = item.get("custom_id")
            c.length((*ip, "custom_id"), cid, 1, 100)
            if cid in seen:
                c.add((*ip, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", f"custom_id {cid!r} is not unique.")
            seen.add(cid)
            if item.get("type") == 4:
                _check_text_input(c, item, ip)


def _check_text_input(c: Checker, item: dict[str, Any], p: Path) -> None:
    if item.get("style") not in (1, 2):
        c.add((*p, "style"), "BASE_TYPE_CHOICES", "Text input style must be 1 or 2.")
    c.length((*p, "label"), item.get("label"), 1, 45)
    c.length((*p, "placeholder"), item.get("placeholder"), 0, 100)
    c.length((*p, "value"), item.get("value"), 0, 4000)
    lo, hi = item.get("min_length"), item.get("max_length")
    if lo is not None and not 0 <= lo <= 4000:
        c.add((*p, "min_length"), "NUMBER_TYPE_MAX", "min_length must be 0-4000.")
    if hi is not None and not 1 <= hi <= 4000:
        c.add((*p, "max_length"), "NUMBER_TYPE_MAX", "max_length must be 1-4000.")
    if lo is not None and hi is not None and lo > hi:
        c.add((*p, "min_length"), "BASE_TYPE_BAD_LENGTH", "min_length exceeds max_length.")


def check_choices(c: Checker, choices: Any, path: Path) -> None:
    """≤25 choices; name 1-100 (and its localizations); string values ≤100."""
    for i, ch in enumerate(c.count(path, choices, 0, 25, "choices")):
        c.length((*path, i, "name"), ch.get("name"), 1, 100)
        check_localizations(c, (*path, i, "name_localizations"), ch.get("name_localizations"), name=False)
        if isinstance(ch.get("value"), str):
            c.length((*path, i, "value"), ch["value"], 0, 100)
