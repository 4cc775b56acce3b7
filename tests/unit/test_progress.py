"""The progress reporters of the command line, driven by a fake time source (no sleeping)."""

from __future__ import annotations

import io

import pytest

from bot.domain.progress import NO_PROGRESS, phase
from bot.progress import (
    LineProgress,
    TerminalProgress,
    format_duration,
    format_rate,
    progress_for,
)


class FakeTime:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_durations_and_rates_read_like_clocks() -> None:
    """Time left is a clock (m:ss, h:mm:ss); rates are whole from 10 a second up."""
    assert [format_duration(s) for s in (0, 4.6, 65, 3725)] == ["0:00", "0:05", "1:05", "1:02:05"]
    assert [format_rate(r) for r in (0.25, 9.94, 10, 1234.4)] == ["0.2/s", "9.9/s", "10/s", "1,234/s"]


def test_plain_lines_come_every_few_seconds_with_rate_and_time_left() -> None:
    """A line at the start, none between the interval's ticks, a line per interval, and a final summary."""
    time, out = FakeTime(), io.StringIO()
    progress = LineProgress(out, time, interval=5.0)
    progress.start(1000, "Indexing documents")
    for _ in range(4):  # 4 × 100 units in 4 × 1 s: under the interval, so silent
        time.tick(1)
        progress.advance(100)
    assert out.getvalue() == "Indexing documents: 1,000 to do\n"
    time.tick(1)
    progress.advance(100)  # 500 done in 5 s: 100/s, 500 left → 0:05
    time.tick(2)
    progress.advance(100)  # 2 s after the last line: silent
    time.tick(3)
    progress.advance(400)  # 1,000 done in 10 s, a line again (complete: no time left)
    progress.finish()
    assert out.getvalue().splitlines() == [
        "Indexing documents: 1,000 to do",
        "Indexing documents: 500/1,000 (50%), 100/s, 0:05 left",
        "Indexing documents: 1,000/1,000 (100%), 100/s",
        "Indexing documents: done, 1,000 in 0:10 (100/s)",
    ]


def test_plain_reporting_of_an_unknown_total_and_of_work_stopped_early() -> None:
    """Without a total: counts and rate only. A phase that ends early says where it stopped."""
    time, out = FakeTime(), io.StringIO()
    progress = LineProgress(out, time, interval=1.0)
    progress.start(None, "Reading")
    time.tick(2)
    progress.advance(50)
    progress.finish()
    with pytest.raises(RuntimeError), phase(progress, 10, "Repairing"):
        time.tick(3)
        progress.advance(4)
        raise RuntimeError("disk full")
    assert out.getvalue().splitlines() == [
        "Reading: started",
        "Reading: 50, 25/s",
        "Reading: done, 50 in 0:02 (25/s)",
        "Repairing: 10 to do",
        "Repairing: 4/10 (40%), 1.3/s, 0:05 left",
        "Repairing: stopped at 4/10 after 0:03",
    ]


def test_the_terminal_bar_redraws_in_place_throttled_and_ends_with_a_newline() -> None:
    """Carriage returns, at most one redraw per 0.1 s, bar/percent/rate/time left, padded over a longer line."""
    time, out = FakeTime(), Tty()
    progress = TerminalProgress(out, time, width=200)
    progress.start(200, "Rendering")
    first = out.getvalue()
    assert first.startswith("\rRendering  [------------------------]  0/200    0%")
    time.tick(0.05)
    progress.advance(10)
    assert out.getvalue() == first, "redrawn within 0.1 s"
    time.tick(0.05)
    progress.advance(40)  # 50 in 0.1 s: 500/s, 150 left → 0:00
    drawn = out.getvalue()[len(first) :]
    assert drawn == "\rRendering  [######------------------]  50/200   25%  500/s  0:00 left"
    time.tick(1.9)
    progress.advance(150)  # all 200 in 2 s
    progress.finish()
    last = out.getvalue().rsplit("\r", 1)[1]
    assert last == "Rendering  [########################]  200/200  100%  100/s  done in 0:02\n"
    assert "\n" not in out.getvalue()[:-1], "one line, redrawn"


def test_the_bar_fits_the_terminal_and_covers_a_longer_previous_line() -> None:
    """A line is cut to the terminal's width; a shorter line is padded so nothing of the old one remains."""
    time, out = FakeTime(), Tty()
    progress = TerminalProgress(out, time, width=30)
    progress.start(None, "A label that is rather long for this terminal")
    assert all(len(part) <= 29 for part in out.getvalue().split("\r"))
    progress.finish()
    progress.start(None, "X")
    time.tick(0.1)
    progress.advance(500)
    assert out.getvalue().endswith("\rX  500  5,000/s")
    time.tick(100)
    progress.advance(1)
    assert out.getvalue().endswith("\rX  501  5.0/s  ")


def test_the_reporter_is_chosen_by_the_stream() -> None:
    """A terminal gets the bar, anything else (a pipe, a log file) plain lines; the default is silent."""
    assert isinstance(progress_for(Tty()), TerminalProgress)
    assert isinstance(progress_for(io.StringIO()), LineProgress)
    NO_PROGRESS.start(3, "x")
    NO_PROGRESS.advance()
    NO_PROGRESS.finish()


def test_a_closed_stream_never_stops_the_work() -> None:
    """Reporting to a stream that was closed is silently skipped."""
    out = io.StringIO()
    progress = LineProgress(out, FakeTime(), interval=0)
    out.close()
    progress.start(2, "x")
    progress.advance(2)
    progress.finish()


def test_on_a_narrow_terminal_the_bar_shrinks_before_the_figures_do() -> None:
    """80 columns: the figures (and "done in") stay whole; the bar narrows, and goes when there is no room."""
    time, out = FakeTime(), Tty()
    progress = TerminalProgress(out, time, width=80)
    progress.start(3000, "Indexing documents")
    time.tick(0.5)
    progress.advance(1500)
    time.tick(0.5)
    progress.advance(1500)
    progress.finish()
    drawn = out.getvalue().split("\r")[1:]
    assert drawn[-1] == "Indexing documents  [##############]  3,000/3,000  100%  3,000/s  done in 0:01\n"
    assert all(len(line.rstrip()) <= 79 for line in drawn)
    assert len({line.index("]") for line in drawn}) == 1, "the bar keeps its width while the figures change"
    narrow = TerminalProgress(Tty(), time, width=40)
    narrow.start(3000, "Indexing documents")
    assert narrow.line() == "Indexing documents  0/3,000    0%"
