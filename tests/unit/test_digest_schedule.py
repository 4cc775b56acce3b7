"""The digest's schedule: one slot per ISO week at the configured local weekday and hour, also around DST."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.digest.schedule import (
    first_of_month,
    latest,
    latest_slot,
    local_instant,
    next_slot,
    parse_period,
    period_of,
    slot_of,
)

AMS = "Europe/Amsterdam"
NYC = "America/New_York"
MONDAY, SUNDAY = 0, 6


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # 2026: summer time from Sunday 29 March, winter time from Sunday 25 October
        ("2026-W12", utc(2026, 3, 16, 8)),  # Monday 09:00 CET (UTC+1)
        ("2026-W14", utc(2026, 3, 30, 7)),  # Monday 09:00 CEST (UTC+2)
        ("2026-W43", utc(2026, 10, 19, 7)),
        ("2026-W44", utc(2026, 10, 26, 8)),
        # 2027: summer time from Sunday 28 March, winter time from Sunday 31 October
        ("2027-W12", utc(2027, 3, 22, 8)),
        ("2027-W13", utc(2027, 3, 29, 7)),
        ("2027-W43", utc(2027, 10, 25, 7)),
        ("2027-W44", utc(2027, 11, 1, 8)),
    ],
)
def test_monday_nine_is_nine_local_in_the_weeks_around_both_changes(period: str, expected: datetime) -> None:
    """The slot stays at 09:00 Amsterdam time whatever the offset to UTC that week."""
    slot = slot_of(period, MONDAY, 9, AMS)
    assert slot == expected
    local = slot.astimezone(ZoneInfo(AMS))
    assert (local.weekday(), local.hour, local.minute) == (MONDAY, 9, 0)
    assert period_of(slot, AMS) == period


@pytest.mark.parametrize(
    ("period", "tz", "hour", "expected"),
    [
        ("2026-W13", AMS, 2, utc(2026, 3, 29, 1)),  # 02:00 does not exist: 03:00 CEST, when the clocks jump
        ("2027-W12", AMS, 2, utc(2027, 3, 28, 1)),
        ("2026-W10", NYC, 2, utc(2026, 3, 8, 7)),  # 02:00 does not exist: 03:00 EDT
        ("2027-W10", NYC, 2, utc(2027, 3, 14, 7)),
    ],
)
def test_a_missing_hour_moves_to_the_first_instant_after_the_gap(
    period: str, tz: str, hour: int, expected: datetime
) -> None:
    """Spring forward: the slot is the moment the clocks jump, an hour after the wall time that was skipped."""
    slot = slot_of(period, SUNDAY, hour, tz)
    assert slot == expected
    assert slot.astimezone(ZoneInfo(tz)).hour == hour + 1
    assert local_instant(slot.astimezone(ZoneInfo(tz)).date(), hour + 1, tz) == slot


@pytest.mark.parametrize(
    ("period", "tz", "hour", "expected"),
    [
        ("2026-W43", AMS, 2, utc(2026, 10, 25, 0)),  # 02:00 happens twice: the first time, still CEST
        ("2027-W43", AMS, 2, utc(2027, 10, 31, 0)),
        ("2026-W44", NYC, 1, utc(2026, 11, 1, 5)),  # 01:00 happens twice: the first time, still EDT
        ("2027-W44", NYC, 1, utc(2027, 11, 7, 5)),
    ],
)
def test_an_hour_that_happens_twice_takes_the_first(period: str, tz: str, hour: int, expected: datetime) -> None:
    """Fall back: the earlier of the two moments with that wall time."""
    slot = slot_of(period, SUNDAY, hour, tz)
    assert slot == expected
    assert slot.astimezone(ZoneInfo(tz)).hour == hour
    assert (slot + timedelta(hours=1)).astimezone(ZoneInfo(tz)).hour == hour  # the second occurrence


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-W10", utc(2026, 3, 2, 14)),  # Monday 09:00 EST (UTC-5)
        ("2026-W11", utc(2026, 3, 9, 13)),  # Monday 09:00 EDT (UTC-4)
        ("2026-W44", utc(2026, 10, 26, 13)),
        ("2026-W45", utc(2026, 11, 2, 14)),
        ("2027-W10", utc(2027, 3, 8, 14)),
        ("2027-W11", utc(2027, 3, 15, 13)),
        ("2027-W44", utc(2027, 11, 1, 13)),
        ("2027-W45", utc(2027, 11, 8, 14)),
    ],
)
def test_new_york_changes_on_other_days(period: str, expected: datetime) -> None:
    """America/New_York changes weeks apart from Europe; its slots follow its own offsets."""
    assert slot_of(period, MONDAY, 9, NYC) == expected


def test_latest_and_next_slot() -> None:
    """The latest slot is at or before now, the next strictly after; at the slot itself both agree."""
    slot = utc(2026, 11, 23, 8)  # Monday 09:00 CET
    assert latest_slot(slot, MONDAY, 9, AMS) == slot
    assert next_slot(slot, MONDAY, 9, AMS) == slot + timedelta(days=7)
    just_before = slot - timedelta(seconds=1)
    assert latest_slot(just_before, MONDAY, 9, AMS) == slot - timedelta(days=7)
    assert next_slot(just_before, MONDAY, 9, AMS) == slot
    # Sunday evening in New York is already Monday in Amsterdam: the local week decides
    assert latest(utc(2026, 11, 23, 0), SUNDAY, 20, AMS) == ("2026-W47", utc(2026, 11, 22, 19))


def test_three_missed_weeks_have_one_latest_slot() -> None:
    """A bot down for weeks sees only the most recent slot as the latest."""
    now = utc(2026, 12, 16, 12)  # Wednesday, three Mondays after 23 November
    assert latest(now, MONDAY, 9, AMS) == ("2026-W51", utc(2026, 12, 14, 8))


def test_periods_and_months() -> None:
    """Period keys parse back; the first slot of a local month is the one on day 1–7."""
    assert parse_period("2026-W53") == (2026, 53)
    with pytest.raises(ValueError):
        parse_period("2027-W53")  # 2027 has 52 ISO weeks
    with pytest.raises(ValueError):
        parse_period("2026-49")
    assert first_of_month(utc(2026, 12, 7, 8), AMS)
    assert not first_of_month(utc(2026, 12, 14, 8), AMS)
    assert first_of_month(utc(2026, 11, 30, 23, 30), AMS)  # already 1 December in Amsterdam


ZONES = ("Europe/Amsterdam", "America/New_York", "America/Paramaribo", "Australia/Sydney", "UTC", "Europe/London")


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 1)),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    tz=st.sampled_from(ZONES),
)
def test_slots_follow_the_wall_clock_once_per_week(start: date, weekday: int, hour: int, tz: str) -> None:
    """Over ten weeks: each slot is at the local weekday and hour when that wall time exists (else within an hour
    after), slots strictly increase, and each ISO week has exactly one (next_slot walks from one to the next)."""
    zone = ZoneInfo(tz)
    moment = datetime.combine(start, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    slots = []
    for _ in range(10):
        moment = next_slot(moment, weekday, hour, tz)
        slots.append(moment)
    assert all(a < b for a, b in itertools.pairwise(slots))
    periods = [period_of(s, tz) for s in slots]
    assert len(set(periods)) == len(periods)
    for a, b in itertools.pairwise(periods):
        (ya, wa), (yb, wb) = parse_period(a), parse_period(b)
        assert date.fromisocalendar(yb, wb, 1) - date.fromisocalendar(ya, wa, 1) == timedelta(days=7)
    for slot, period in zip(slots, periods, strict=True):
        assert slot_of(period, weekday, hour, tz) == slot
        assert latest_slot(slot, weekday, hour, tz) == slot
        local = slot.astimezone(zone)
        wall = datetime.combine(local.date(), datetime.min.time()).replace(hour=hour)
        exists = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
        if exists:
            assert (local.weekday(), local.hour, local.minute) == (weekday, hour, 0)
        else:
            assert local.weekday() == weekday
            assert timedelta(0) < local.replace(tzinfo=None) - wall <= timedelta(hours=1)
