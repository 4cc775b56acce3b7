"""Progress of long command-line work, on standard error: a bar on a terminal, plain lines in logs and CI.

:func:`progress_for` picks the reporter by ``stream.isatty()``. :class:`TerminalProgress` redraws one line in
place (at most every :data:`REDRAW_SECONDS`) with done/total, percentage, rate and time left;
:class:`LineProgress` writes a line when a phase starts, every :data:`LINE_SECONDS` while it runs, and when it
ends, so a log shows the work is alive without a line per item. Both implement
:class:`bot.domain.progress.Progress`, which is all the services see. Standard output stays free for data.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

from bot.domain.progress import Progress

REDRAW_SECONDS = 0.1
"""A terminal bar is redrawn at most this often (and always at the end)."""
LINE_SECONDS = 5.0
"""Plain reporting writes a line at most this often while a phase runs."""
BAR_WIDTH = 24
"""The widest bar, in characters."""
MIN_BAR = 8
"""A narrower bar is left out (the figures matter more)."""

Clock = Callable[[], float]
monotonic: Clock = time.monotonic
"""The default time source (seconds); tests pass their own ``now`` instead of sleeping."""


def format_count(n: int) -> str:
    """A count with thousands separators: ``12,345``."""
    return f"{n:,}"


def format_duration(seconds: float) -> str:
    """Seconds as a clock: ``0:05``, ``12:30``, ``1:02:03``."""
    whole = max(0, int(seconds + 0.5))  # half up: 4.5 s left reads 0:05
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def format_rate(per_second: float) -> str:
    """Units per second: whole numbers from 10 up, one decimal below."""
    return f"{per_second:,.0f}/s" if per_second >= 10 else f"{per_second:.1f}/s"


class _Reporter:
    """What both reporters share: the current phase, its counts and timing."""

    def __init__(self, stream: TextIO, now: Clock) -> None:
        self._stream = stream
        self._now = now
        self._active = False
        self.label = ""
        self.total: int | None = None
        self.done = 0
        self.started = 0.0

    def start(self, total: int | None, label: str) -> None:
        """Begin a phase (finishing one still running)."""
        if self._active:
            self.finish()
        self._active = True
        self.label, self.total, self.done, self.started = label, total, 0, self._now()
        self._started()

    def advance(self, n: int = 1) -> None:
        """Count work done in the current phase."""
        if self._active:
            self.done += n
            self._advanced()

    def finish(self) -> None:
        """End the current phase (once)."""
        if self._active:
            self._active = False
            self._finished()

    # --- what is shown ---------------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        """Seconds since the phase started."""
        return max(0.0, self._now() - self.started)

    @property
    def rate(self) -> float | None:
        """Units per second so far, or None before anything measurable was done."""
        elapsed = self.elapsed
        return self.done / elapsed if self.done and elapsed > 0 else None

    @property
    def left(self) -> float | None:
        """Estimated seconds until the phase is done, or None when that cannot be told yet."""
        rate = self.rate
        if self.total is None or rate is None:
            return None
        return max(0, self.total - self.done) / rate

    @property
    def complete(self) -> bool:
        """Whether everything of a known total is done."""
        return self.total is not None and self.done >= self.total

    def _counts(self) -> str:
        if self.total is None:
            return format_count(self.done)
        return f"{format_count(min(self.done, self.total))}/{format_count(self.total)}"

    def _percent(self) -> str:
        if not self.total:
            return "100%" if self.total == 0 else ""
        return f"{100 * min(self.done, self.total) // self.total}%"

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not stop the work itself
            pass

    def _started(self) -> None:
        raise NotImplementedError

    def _advanced(self) -> None:
        raise NotImplementedError

    def _finished(self) -> None:
        raise NotImplementedError


class LineProgress(_Reporter):
    """Plain lines for logs and CI: at the start, every ``interval`` seconds, and at the end of each phase."""

    def __init__(self, stream: TextIO, now: Clock = monotonic, *, interval: float = LINE_SECONDS) -> None:
        super().__init__(stream, now)
        self._interval = interval
        self._last_line = 0.0

    def line(self) -> str:
        """The progress line as it would be written now."""
        parts = [self._counts()]
        if self.total:
            parts[0] += f" ({self._percent()})"
        if (rate := self.rate) is not None:
            parts.append(format_rate(rate))
        if (left := self.left) is not None and not self.complete:
            parts.append(f"{format_duration(left)} left")
        return f"{self.label}: {', '.join(parts)}"

    def _started(self) -> None:
        self._last_line = self.started
        todo = "started" if self.total is None else f"{format_count(self.total)} to do"
        self._write(f"{self.label}: {todo}\n")

    def _advanced(self) -> None:
        now = self._now()
        if now - self._last_line >= self._interval:
            self._last_line = now
            self._write(self.line() + "\n")

    def _finished(self) -> None:
        took = format_duration(self.elapsed)
        if self.total is None or self.complete:
            rate = self.rate
            speed = f" ({format_rate(rate)})" if rate is not None else ""
            self._write(f"{self.label}: done, {format_count(self.done)} in {took}{speed}\n")
        else:
            self._write(f"{self.label}: stopped at {self._counts()} after {took}\n")


class TerminalProgress(_Reporter):
    """A bar redrawn in place (carriage return, throttled), ending with a newline when the phase finishes."""

    def __init__(
        self, stream: TextIO, now: Clock = monotonic, *, redraw: float = REDRAW_SECONDS, width: int | None = None
    ) -> None:
        super().__init__(stream, now)
        self._redraw = redraw
        self._width = width
        self._drawn = 0.0
        self._shown = 0

    def line(self, *, final: bool = False) -> str:
        """The bar as it would be drawn now (``final``: with the time taken instead of the time left).

        The bar itself shrinks (down to :data:`MIN_BAR`, else it is left out) so the figures fit the terminal.
        """
        figures = [self._counts()]
        if self.total is not None:
            figures.append(f"{self._percent():>4}")
        if (rate := self.rate) is not None:
            figures.append(format_rate(rate))
        if final:
            ended = "done" if self.total is None or self.complete else "stopped"
            figures.append(f"{ended} in {format_duration(self.elapsed)}")
        elif (left := self.left) is not None:
            figures.append(f"{format_duration(left)} left")
        text = "  ".join(figures)
        width = self._bar_width()
        if self.total is None or width < MIN_BAR:
            return f"{self.label}  {text}"
        filled = width if not self.total else width * min(self.done, self.total) // self.total
        return f"{self.label}  [{'#' * filled}{'-' * (width - filled)}]  {text}"

    def _columns(self) -> int:
        return self._width if self._width is not None else shutil.get_terminal_size((80, 24)).columns

    def _bar_width(self) -> int:
        """The phase's bar width: what the terminal leaves beside the widest figures this phase can show."""
        if self.total is None:
            return 0
        counts = len(f"{self.total:,}/{self.total:,}")
        figures = counts + len("  100%  12,345/s  ") + len("1:00:00 left")
        return min(BAR_WIDTH, self._columns() - 1 - len(self.label) - len("  []  ") - figures)

    def _draw(self, *, final: bool = False) -> None:
        text = self.line(final=final)[: max(10, self._columns() - 1)]
        pad = " " * max(0, self._shown - len(text))
        self._shown = len(text)
        self._drawn = self._now()
        self._write(f"\r{text}{pad}" + ("\n" if final else ""))

    def _started(self) -> None:
        self._shown = 0
        self._draw()

    def _advanced(self) -> None:
        if self._now() - self._drawn >= self._redraw:
            self._draw()

    def _finished(self) -> None:
        self._draw(final=True)


def progress_for(stream: TextIO | None = None, *, now: Clock | None = None) -> Progress:
    """The reporter for ``stream`` (default standard error): a bar on a terminal, plain lines otherwise."""
    out = sys.stderr if stream is None else stream
    clock = now if now is not None else monotonic
    try:
        tty = out.isatty()
    except (AttributeError, ValueError):
        tty = False
    return TerminalProgress(out, clock) if tty else LineProgress(out, clock)
