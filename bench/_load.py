"""Shared measuring for the search benches: percentiles, and one workload run sequentially or from concurrent tasks.

``run_load`` runs an async operation once per item from ``concurrency`` tasks that pull from one shared
list, so exactly that many operations are in flight until the list runs out. It records each item's
latency (start of its operation to its end, so time spent waiting behind other operations counts) and
the wall-clock time of the whole run, from which throughput follows. The benches run the same items
with concurrency 1 and with C in the same process and print the ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def pct(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank on the sorted values); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True, slots=True)
class Load:
    """What one run of a workload measured: per-item latencies (ms) and the run's wall-clock time (s)."""

    concurrency: int
    latencies: tuple[float, ...]
    wall: float
    cpu: float = 0.0
    """CPU seconds the whole process used during the run (every thread: the event loop and SQLite's)."""

    @property
    def throughput(self) -> float:
        """Completed operations per second of wall-clock time."""
        return len(self.latencies) / self.wall if self.wall > 0 else 0.0

    def p(self, percentile: float) -> float:
        """A latency percentile in ms."""
        return pct(self.latencies, percentile)

    @property
    def cores(self) -> float:
        """Cores busy on average during the run (process CPU time / wall time; at most 2 on this machine)."""
        return self.cpu / self.wall if self.wall > 0 else 0.0

    @property
    def mean(self) -> float:
        """Mean latency in ms."""
        return statistics.mean(self.latencies) if self.latencies else 0.0


async def run_load(operation: Callable[[T], Awaitable[Any]], items: Sequence[T], concurrency: int = 1) -> Load:
    """Run ``operation`` on every item, ``concurrency`` at a time, and time each one and the whole run."""
    latencies = [0.0] * len(items)
    todo = iter(enumerate(items))

    async def worker() -> None:
        for index, item in todo:  # one shared iterator: a task takes the next item when it is free
            started = time.perf_counter()
            await operation(item)
            latencies[index] = (time.perf_counter() - started) * 1000

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(items))))))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Load(concurrency=concurrency, latencies=tuple(latencies), wall=wall, cpu=cpu)


def print_loads(title: str, runs: Sequence[tuple[str, Load]], *, indent: str = "") -> None:
    """A table of runs: in flight, wall time, cores busy, throughput, p50/p95/max latency, and each run's
    throughput and p50/p95 as a multiple of the first run's (the baseline, measured in the same process)."""
    base = runs[0][1]
    print(f"{indent}{title}")
    print(
        f"{indent}{'':<24}{'in flight':>10}{'wall s':>9}{'cores':>7}{'q/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'q/s ×':>8}{'p50 ×':>8}{'p95 ×':>8}"
    )
    for name, run in runs:
        print(
            f"{indent}{name:<24}{run.concurrency:>10}{run.wall:>9.2f}{run.cores:>7.2f}{run.throughput:>9.1f}{run.p(50):>9.1f}"
            f"{run.p(95):>9.1f}{max(run.latencies, default=0):>9.1f}"
            f"{ratio(run.throughput, base.throughput):>8.2f}{ratio(run.p(50), base.p(50)):>8.2f}"
            f"{ratio(run.p(95), base.p(95)):>8.2f}"
        )


def ratio(value: float, baseline: float) -> float:
    """``value / baseline``, or 0 when there is no baseline."""
    return value / baseline if baseline else 0.0
