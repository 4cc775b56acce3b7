"""The fan-out's pacer: a token bucket that never lets more than its rate through, on a simulated clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.pacing import DEFAULT_BURST, DEFAULT_RATE, Pacer


class SimulatedTime:
    """A clock that only moves when the pacer sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_a_long_run_goes_at_the_rate_and_no_second_exceeds_discords_limit() -> None:
    """1,000 requests with the defaults (48/s, burst 2) take (1000 - 2) / 48 seconds; any sliding second holds at
    most 50 of them, Discord's global limit, and a long run reaches 99 % of the rate."""
    time = SimulatedTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    moments = []
    for _ in range(1000):
        await pacer.acquire()
        moments.append(time.now)
    assert time.now == pytest.approx((1000 - DEFAULT_BURST) / DEFAULT_RATE)
    assert pacer.granted == 1000
    busiest = max(sum(start <= m < start + 1.0 for m in moments) for start in moments)
    assert busiest <= 50
    assert 1000 / time.now >= 0.99 * DEFAULT_RATE


async def test_the_burst_goes_at_once_and_refills_with_time() -> None:
    """After a pause the saved-up burst goes without waiting; never more than the burst is saved."""
    time = SimulatedTime()
    pacer = Pacer(10, 3, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await pacer.acquire()
    assert time.sleeps == []
    await pacer.acquire()
    assert time.sleeps == [pytest.approx(0.1)]
    time.now += 60  # a long pause saves at most 3
    for _ in range(3):
        await pacer.acquire()
    assert len(time.sleeps) == 1
    await pacer.acquire()
    assert len(time.sleeps) == 2


async def test_concurrent_senders_share_one_rate() -> None:
    """Eight tasks acquiring at once together get the one rate, not eight times it."""
    time = SimulatedTime()
    pacer = Pacer(DEFAULT_RATE, 1, clock=time.clock, sleep=time.sleep)

    async def sender() -> None:
        for _ in range(12):
            await pacer.acquire()

    await asyncio.gather(*(sender() for _ in range(8)))
    assert pacer.granted == 96
    assert time.now == pytest.approx(95 / DEFAULT_RATE)


def test_a_pacer_needs_a_positive_rate() -> None:
    """A zero rate or burst would wait forever: refused at once."""
    with pytest.raises(ValueError):
        Pacer(0)
    with pytest.raises(ValueError):
        Pacer(10, 0)
