"""Reading resource records from a file (export, CSV or the starter list): every record checked before any is stored.

A file is taken whole or not at all: :func:`parse_records` returns the validated records, or raises one
:class:`Invalid` whose details name every problem with its record number and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.clock import from_iso, to_iso
from bot.domain.resources import NOTE_MAX, STATUSES, ResourceDraft, make_draft
from bot.errors import Invalid

MAX_ID = 2**63 - 1
"""The largest Discord id (and SQLite integer)."""
MAX_PROBLEMS = 50
"""A hopeless file stops being read after this many problems."""
TEXT_FIELDS = ("title", "url", "summary", "summary_nl", "summary_en", "theme", "type", "language", "audience")
OPTIONAL_TEXT = ("publisher", "licence", "seed_key", "key", "decision_note", "link_status", "link_detail")
DATE_FIELDS = ("created_at", "updated_at", "last_verified")
FLAGS: dict[object, bool] = {True: True, False: False, "1": True, "0": False, "true": True, "false": False}
"""Accepted spellings of yes/no (True == 1 and False == 0 in Python, so those cover the numbers too)."""


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One valid record: the resource's fields, and what an export carries over."""

    draft: ResourceDraft
    status: str
    featured: bool
    suggested_by: int | None
    seed_key: str | None
    restored: dict[str, Any]


def parse_records(records: Iterable[Any], lang: str | None = None) -> list[ParsedRecord]:
    """Validate every record; raise one :class:`Invalid` listing each problem (record number, field)."""
    parsed: list[ParsedRecord] = []
    problems: list[Invalid] = []
    for number, raw in enumerate(records, start=1):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not isinstance(raw, Mapping):
            problems.append(_problem(number, "-", "resources.import.expected.record"))
            continue
        found: list[Invalid] = []
        record = _parse(number, raw, lang, found)
        problems += found
        if record is not None and not found:
            parsed.append(record)
    if problems:
        raise Invalid("resources.import.rejected", count=len(problems), details=problems)
    return parsed


def _problem(record: int, field: str, expected_key: str) -> Invalid:
    return Invalid("resources.import.problem", record=record, field=field, expected_key=expected_key)


def _parse(number: int, raw: Mapping[str, Any], lang: str | None, found: list[Invalid]) -> ParsedRecord | None:
    row = {str(k): (None if v == "" else v) for k, v in raw.items()}
    for name in TEXT_FIELDS + OPTIONAL_TEXT:
        if row.get(name) is not None and not isinstance(row[name], str):
            found.append(_problem(number, name, "resources.import.expected.text"))
    tags = row.get("tags")
    if tags is not None and not (
        isinstance(tags, str) or (isinstance(tags, list | tuple) and all(isinstance(t, str) for t in tags))
    ):
        found.append(_problem(number, "tags", "resources.import.expected.tags"))
    featured = _flag(row.get("featured"))
    if featured is None:
        found.append(_problem(number, "featured", "resources.import.expected.flag"))
    status = row.get("status") or "approved"
    if status not in STATUSES:
        found.append(_problem(number, "status", "resources.import.expected.status"))
    suggested_by = _whole(row.get("suggested_by"), number, "suggested_by", found)
    helpful = _whole(row.get("helpful"), number, "helpful", found)
    for name in DATE_FIELDS:
        if row.get(name) is not None:
            try:
                row[name] = to_iso(from_iso(str(row[name])))
            except (ValueError, TypeError):
                found.append(_problem(number, name, "resources.import.expected.date"))
    if found:
        return None
    try:
        draft = _draft(row, lang)
    except Invalid as exc:
        found.append(Invalid("resources.import.in_record", record=number, problem=exc))
        return None
    restored = {k: row.get(k) for k in ("decision_note", "link_status", "link_detail", *DATE_FIELDS)}
    for name in ("decision_note", "link_status", "link_detail"):
        if restored[name] is not None:
            restored[name] = str(restored[name])[:NOTE_MAX]
    restored["helpful"] = helpful or 0
    return ParsedRecord(
        draft=draft,
        status=str(status),
        featured=bool(featured),
        suggested_by=suggested_by,
        seed_key=row.get("seed_key") or row.get("key"),
        restored=restored,
    )


def _flag(value: Any) -> bool | None:
    """True/False from a JSON boolean, 0/1 or a CSV cell ("true", "1", ...); False when absent; None if unclear."""
    if value is None:
        return False
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, bool | int | str) and key in FLAGS:
        return FLAGS[key]
    return None


def _whole(value: Any, number: int, field: str, found: list[Invalid]) -> int | None:
    """A non-negative whole number up to :data:`MAX_ID` (a CSV cell is text), or None when absent."""
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isdecimal() or len(text) > 19 or int(text) > MAX_ID:
        found.append(_problem(number, field, "resources.import.expected.number"))
        return None
    return int(text)


def _draft(row: Mapping[str, Any], lang: str | None) -> ResourceDraft:
    summary = row.get("summary")
    if summary is None:
        summary = row.get(f"summary_{lang or 'nl'}") or row.get("summary_en") or row.get("summary_nl") or ""
    return make_draft(
        title=row.get("title") or "",
        url=row.get("url") or "",
        summary=summary,
        theme=row.get("theme") or "",
        type=row.get("type") or "",
        language=row.get("language") or "",
        audience=row.get("audience") or "beginner",
        publisher=row.get("publisher") or "",
        licence=row.get("licence") or None,
        tags=row.get("tags") or (),
    )
