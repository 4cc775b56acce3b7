"""When a server's digest is due: one slot per ISO week, at a local weekday and hour, in the server's time zone.

Pure functions, no I/O. A period is the ISO week of the slot's local date (``"2026-W49"``); its slot is the
configured weekday and hour of that week, in local wall time, as a UTC moment. Around daylight-saving changes a
wall time can be missing (spring forward: the slot moves to the first valid instant after the gap, the moment the
clocks jump) or occur twice (fall back: the first occurrence). Either way every ISO week has exactly one slot.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d{4})-W(\d{2})$")


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def period_key(day: date) -> str:
    """The period a local date belongs to: its ISO week, ``"2026-W49"``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def period_of(moment: datetime, tz: str | ZoneInfo) -> str:
    """The period of a moment: the ISO week of its local date in ``tz``."""
    return period_key(moment.astimezone(_zone(tz)).date())


def parse_period(period: str) -> tuple[int, int]:
    """(ISO year, ISO week) of a period key; ValueError for anything else."""
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f"not a period key: {period!r}")
    year, week = int(match.group(1)), int(match.group(2))
    date.fromisocalendar(year, week, 1)  # raises ValueError for a week the year does not have
    return year, week


def local_instant(day: date, hour: int, tz: str | ZoneInfo) -> datetime:
    """The UTC moment a local wall time ``day hour:00`` stands for.

    A wall time that does not exist (skipped by a spring-forward change) becomes the first instant after the gap;
    one that occurs twice (fall back) is its first occurrence.
    """
    zone = _zone(tz)
    wall = datetime.combine(day, time(hour))
    first = wall.replace(tzinfo=zone, fold=0)
    moment = first.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == wall:
        return moment  # exists (fold=0 is the first of two occurrences)
    # In a gap: fold=0 reads the wall time with the offset from before the change (a moment after the gap),
    # fold=1 with the offset from after it (a moment before the gap). The change lies between the two.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = moment
    if low > high:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def slot_of(period: str, weekday: int, hour: int, tz: str | ZoneInfo) -> datetime:
    """The UTC moment of a period's slot: ``weekday`` (0 = Monday) at ``hour`` local time in that ISO week."""
    year, week = parse_period(period)
    return local_instant(date.fromisocalendar(year, week, weekday + 1), hour, tz)


def _nominal_day(moment: datetime, weekday: int, tz: ZoneInfo) -> date:
    """The configured weekday's date in the local ISO week of ``moment``."""
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday()) + timedelta(days=weekday)


def latest(now: datetime, weekday: int, hour: int, tz: str | ZoneInfo) -> tuple[str, datetime]:
    """The period and slot of the latest slot at or before ``now``."""
    zone = _zone(tz)
    day = _nominal_day(now, weekday, zone)
    for offset in (0, -7, -14):
        candidate = day + timedelta(days=offset)
        slot = local_instant(candidate, hour, zone)
        if slot <= now:
            return period_key(candidate), slot
    raise AssertionError("a slot two weeks back is always in the past")  # pragma: no cover


def upcoming(now: datetime, weekday: int, hour: int, tz: str | ZoneInfo) -> tuple[str, datetime]:
    """The period and slot of the first slot strictly after ``now``."""
    zone = _zone(tz)
    day = _nominal_day(now, weekday, zone)
    for offset in (0, 7, 14):
        candidate = day + timedelta(days=offset)
        slot = local_instant(candidate, hour, zone)
        if slot > now:
            return period_key(candidate), slot
    raise AssertionError("a slot two weeks ahead is always in the future")  # pragma: no cover


def latest_slot(now: datetime, weekday: int, hour: int, tz: str | ZoneInfo) -> datetime:
    """The latest slot at or before ``now`` (UTC)."""
    return latest(now, weekday, hour, tz)[1]


def next_slot(now: datetime, weekday: int, hour: int, tz: str | ZoneInfo) -> datetime:
    """The first slot strictly after ``now`` (UTC)."""
    return upcoming(now, weekday, hour, tz)[1]


def first_of_month(slot: datetime, tz: str | ZoneInfo) -> bool:
    """Whether a weekly slot is the first of its local month (monthly subscribers get that one)."""
    return slot.astimezone(_zone(tz)).day <= 7
