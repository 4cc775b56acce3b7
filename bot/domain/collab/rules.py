"""Pure rules of the collaboration board: reading a deadline and themes as typed, checking a proposal's fields."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.collab.models import (
    DEFAULT_THEME,
    GOAL_MAX,
    MAX_DAYS_AHEAD,
    PARTNERS_MAX,
    TITLE_MAX,
    Draft,
)
from bot.domain.search.analysis import fold
from bot.errors import Invalid

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DUTCH = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_THEME_SEPARATORS = re.compile(r"[,;/|\n+&]+")
PREFIX_MIN = 3
"""A typed theme of at least this many letters may be the start of a theme's name."""


def clean(text: str, limit: int, *, field: str, required: bool = True, multiline: bool = False) -> str:
    """Strip control characters (newlines stay in ``multiline`` text) and spaces; enforce presence and length."""
    pattern = _CONTROL_BUT_NEWLINE if multiline else _CONTROL
    value = pattern.sub(" ", text).strip()
    if required and not value:
        raise Invalid("collab.invalid.empty", field_key=f"collab.field.{field}")
    if len(value) > limit:
        raise Invalid("collab.invalid.too_long", field_key=f"collab.field.{field}", limit=limit)
    return value


def parse_date(text: str) -> date:
    """A date typed as ``YYYY-MM-DD`` or ``DD-MM-YYYY`` (also with ``/`` or ``.``); Invalid otherwise."""
    raw = text.strip()
    if iso := _ISO.fullmatch(raw):
        year, month, day = (int(part) for part in iso.groups())
    elif dutch := _DUTCH.fullmatch(raw):
        day, month, year = (int(part) for part in dutch.groups())
    else:
        raise Invalid("collab.invalid.deadline_format", value=raw[:20])
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("collab.invalid.deadline_format", value=raw[:20]) from None


def check_deadline(day: date, today: date) -> date:
    """The deadline must lie after ``today`` and at most :data:`MAX_DAYS_AHEAD` days ahead."""
    if day <= today:
        raise Invalid("collab.invalid.deadline_past", today=today.isoformat())
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid("collab.invalid.deadline_far", days=MAX_DAYS_AHEAD)
    return day


def local_today(now: datetime, timezone: str) -> date:
    """Today's date in the server's time zone."""
    return now.astimezone(ZoneInfo(timezone)).date()


def deadline_moment(day: date, timezone: str) -> datetime:
    """When a proposal with this last day closes itself: the start of the next day in the server's zone (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(timezone)).astimezone(UTC)


def parse_themes(text: str, enabled: Sequence[str], labels: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Themes typed as a list (commas, semicolons, slashes): keys or names in any language, a typed start will do.

    Only the server's ``enabled`` themes are accepted; ``labels`` gives each theme's names (the reader's language
    first, used in the error). Nothing typed gives the collaboration theme. Order is kept, duplicates dropped.
    """
    chosen: list[str] = []
    unknown: list[str] = []
    for token in _THEME_SEPARATORS.split(text):
        word = " ".join(fold(token).split())
        if not word:
            continue
        found = _match_theme(word, enabled, labels)
        if found is None:
            unknown.append(" ".join(token.split())[:40])
        elif found not in chosen:
            chosen.append(found)
    if unknown:
        allowed = ", ".join((labels.get(key) or (key,))[0] for key in enabled)
        raise Invalid("collab.invalid.themes", unknown=", ".join(unknown)[:120], allowed=allowed or "—")
    return tuple(chosen) or (DEFAULT_THEME,)


def _match_theme(word: str, enabled: Sequence[str], labels: Mapping[str, Sequence[str]]) -> str | None:
    names = {key: {fold(key), *(" ".join(fold(label).split()) for label in labels.get(key, ()))} for key in enabled}
    for key, known in names.items():
        if word in known:
            return key
    if len(word) < PREFIX_MIN:
        return None
    starts = [key for key, known in names.items() if any(name.startswith(word) for name in known)]
    return starts[0] if len(starts) == 1 else None


def check_draft(draft: Draft, enabled: Collection[str]) -> Draft:
    """The draft with its texts cleaned; raises :class:`Invalid` naming the first field that is wrong."""
    themes = tuple(dict.fromkeys(draft.themes)) or (DEFAULT_THEME,)
    if any(theme not in enabled and theme != DEFAULT_THEME for theme in themes):
        raise Invalid("collab.invalid.theme_off")
    return Draft(
        title=clean(draft.title, TITLE_MAX, field="title"),
        goal=clean(draft.goal, GOAL_MAX, field="goal", multiline=True),
        partners=clean(draft.partners, PARTNERS_MAX, field="partners", required=False, multiline=True),
        themes=themes,
        deadline=draft.deadline,
    )
