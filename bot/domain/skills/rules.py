"""Pure rules of the skills theme: cleaning member text, checking closed values, reading typed dates."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.errors import Invalid

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE_FORMATS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})"),
)


def clean_text(text: str | None, limit: int, field: str, *, required: bool = False) -> str:
    """One line of member text: control characters and runs of spaces folded, length checked."""
    value = " ".join(_CONTROL.sub(" ", text or "").split())
    if required and not value:
        raise Invalid("skills.invalid.empty", field_key=f"skills.field.{field}")
    if len(value) > limit:
        raise Invalid("skills.invalid.too_long", field_key=f"skills.field.{field}", limit=limit)
    return value


def check_choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    """Refuse a value outside a closed field's declared values."""
    if value not in allowed:
        raise Invalid("skills.invalid.choice", field_key=f"skills.field.{field}")


def parse_date(text: str, today: date) -> date:
    """A date as members type it: ``2026-12-31``, ``31-12-2026``, ``31/12`` (the next 31 December)."""
    wanted = text.strip()
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(wanted)
        if match is None:
            continue
        year = int(match.group("y")) if "y" in pattern.groupindex else today.year
        try:
            found = date(year, int(match.group("m")), int(match.group("d")))
        except ValueError:
            break
        if "y" not in pattern.groupindex and found < today:
            found = found.replace(year=today.year + 1)
        return found
    raise Invalid("skills.pause.bad_date", value=wanted[:30])


def start_of_day(day: date, zone: str) -> datetime:
    """The first moment of a day in a time zone."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone))
