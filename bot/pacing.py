"""A small async pacer: a token bucket that spaces out requests so a burst never exceeds a rate limit.

The digest's fan-out sends thousands of DMs; every request it makes (opening a DM channel, sending a message)
takes one token first, so together they stay under Discord's global limit of 50 requests per second. The
clock and the sleeper are injectable, so tests need not sleep for real. No discord import.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Final

DEFAULT_RATE: Final = 48.0
"""Requests per second: just under Discord's global 50, leaving room for the bot's other requests."""
DEFAULT_BURST: Final = 2
"""Requests that may go at once after a pause. Any one second holds at most the burst plus the rate, so
48 + 2 never exceeds Discord's 50."""

Sleeper = Callable[[float], Awaitable[None]]
_EPSILON: Final = 1e-9
"""A token this close to whole counts as whole (floating-point sums of tiny refills never quite reach 1)."""


class Pacer:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up; :meth:`acquire` waits for one.

    Waiters are served in the order they arrived (one lock), so concurrent senders share the rate fairly.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("A pacer needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = asyncio.Lock()
        self.granted = 0
        """How many requests were let through (for figures and tests)."""
        self.waited = 0.0
        """Seconds spent waiting for tokens in total."""

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        """Wait until a request may go, and take its token."""
        async with self._lock:
            self._refill()
            while self._tokens < 1.0 - _EPSILON:
                delay = (1.0 - self._tokens) / self.rate
                self.waited += delay
                await self._sleep(delay)
                self._refill()
            self._tokens = max(0.0, self._tokens - 1.0)
            self.granted += 1
