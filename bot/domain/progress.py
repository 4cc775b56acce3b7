"""Progress of long work (imports, re-indexing, checks, rendering many digests), without knowing who watches.

A service that does long work takes a :class:`Progress` and reports phases on it; the command line passes a
reporter that draws a bar on a terminal or writes plain lines for logs (:mod:`bot.progress`), everything else
passes nothing and gets :data:`NO_PROGRESS`. Whoever calls :meth:`Progress.start` calls :meth:`Progress.finish`;
helpers that only do part of a phase (``SearchEngine.index_many``) only :meth:`Progress.advance`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    """Told how far long work is: one phase at a time (start, advance as work is done, finish)."""

    def start(self, total: int | None, label: str) -> None:
        """A phase begins: ``total`` units of work (None when unknown), described by ``label``."""
        ...

    def advance(self, n: int = 1) -> None:
        """``n`` more units of the current phase are done."""
        ...

    def finish(self) -> None:
        """The current phase ended (completely, or stopped early by an error)."""
        ...


class NoProgress:
    """Reports nothing: the default for callers nobody watches (the bot, its jobs, tests)."""

    def start(self, total: int | None, label: str) -> None:
        """Ignore the start of a phase."""

    def advance(self, n: int = 1) -> None:
        """Ignore work done."""

    def finish(self) -> None:
        """Ignore the end of a phase."""


NO_PROGRESS: Progress = NoProgress()
"""The shared do-nothing reporter."""


@contextmanager
def phase(progress: Progress, total: int | None, label: str) -> Iterator[Progress]:
    """Start a phase of ``progress`` and always finish it, errors included (a ``with`` block)."""
    progress.start(total, label)
    try:
        yield progress
    finally:
        progress.finish()
