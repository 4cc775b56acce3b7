"""Pure scoring of the self-scan: means per dimension, named levels, the weakest dimensions, change.

A dimension's score is the mean of its answers (1-5), its level the nearest named level (halves round up), the
weakest dimensions those with the lowest means (ties in scan order).

No I/O: the service stores what these functions compute, and tests check them on their own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.scan.instrument import SCALE, Instrument

WEAKEST = 2
"""How many of the weakest dimensions /scan results offers help for."""


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """One dimension's result: the mean of its answers (1-5, two decimals) and the named level it falls in."""

    dimension: str
    mean: float
    level: int
    answered: int


def level_of(mean: float) -> int:
    """The named level (1..5) of a mean: the nearest one, halves rounding up (2.5 is level 3)."""
    return min(max(math.floor(mean + 0.5), SCALE[0]), SCALE[-1])


def score(instrument: Instrument, answers: Mapping[str, int]) -> tuple[DimensionScore, ...]:
    """Every dimension's score from the answers given (unanswered questions do not count; none: the lowest)."""
    found: list[DimensionScore] = []
    for dimension in instrument.dimensions:
        values = [answers[q.id] for q in dimension.questions if q.id in answers]
        mean = round(sum(values) / len(values), 2) if values else float(SCALE[0])
        found.append(DimensionScore(dimension.id, mean, level_of(mean), len(values)))
    return tuple(found)


def from_means(instrument: Instrument, means: Mapping[str, float]) -> tuple[DimensionScore, ...]:
    """Stored means back as scores, in the instrument's order (dimensions without a mean are left out)."""
    return tuple(
        DimensionScore(d.id, means[d.id], level_of(means[d.id]), len(d.questions))
        for d in instrument.dimensions
        if d.id in means
    )


def weakest(scores: Sequence[DimensionScore], count: int = WEAKEST) -> tuple[DimensionScore, ...]:
    """The ``count`` dimensions with the lowest means; equal means keep the scan's order."""
    order = {s.dimension: i for i, s in enumerate(scores)}
    return tuple(sorted(scores, key=lambda s: (s.mean, order[s.dimension]))[:count])


def changes(current: Sequence[DimensionScore], previous: Mapping[str, float]) -> dict[str, float]:
    """How much each dimension's mean moved since the previous scan (only dimensions both scans have)."""
    return {s.dimension: round(s.mean - previous[s.dimension], 2) for s in current if s.dimension in previous}


def next_question(instrument: Instrument, answers: Mapping[str, int], after: int = 0) -> int | None:
    """The number of the first unanswered question after ``after``, else the first unanswered at all; None: done."""
    open_numbers = [q.number for q in instrument.questions if q.id not in answers]
    later = [n for n in open_numbers if n > after]
    if later:
        return later[0]
    return open_numbers[0] if open_numbers else None


def average(means: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """The mean per dimension over several members' scans (an organisation's picture)."""
    totals: dict[str, list[float]] = {}
    for one in means:
        for dimension, value in one.items():
            totals.setdefault(dimension, []).append(value)
    return {d: round(sum(v) / len(v), 2) for d, v in totals.items()}
