"""A small async pacer: a token bucket that spaces out requests so a burst never exceeds a rate limit.

The digest's fan-out sends thousands of DMs; every request it makes (opening a DM channel, sending a message)
takes one token first. The defaults leave an explicit allowance under Discord's global limit for the bot's other
requests (:data:`HEADROOM`), which do not take tokens. The clock and the sleeper are injectable, so tests need not
sleep for real. No discord import.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Final

DISCORD_GLOBAL_LIMIT: Final = 50
"""Discord's global rate limit: requests per second per bot, over every route (interaction callbacks aside)."""
HEADROOM: Final = 3
"""Requests per second the fan-out leaves to the bot's other requests in the same second: the channel post of the
digest (a message or two), the moderators' report, other cogs' jobs and messages. They do not go through the
pacer; it only keeps out of their way. Without it (48/s + burst 2 = 50) the fan-out alone filled Discord's limit and
every other request pushed a second over it: 1.4 % of the bench's requests were answered 429."""
CEILING: Final = DISCORD_GLOBAL_LIMIT - HEADROOM
"""The most of the fan-out's requests any sliding second may hold (47): the rest of Discord's 50 is the headroom."""
DEFAULT_BURST: Final = 1
"""Requests that may go at once after a pause: one, so a pause never lets a saved-up burst into a busy second."""
DEFAULT_RATE: Final = CEILING - DEFAULT_BURST + 0.9
"""Requests per second (46.9). A sliding second holds at most ``floor(rate + burst)`` of the pacer's requests
(:attr:`Pacer.ceiling`), so any rate below ``CEILING - burst + 1`` keeps that at :data:`CEILING`; 0.1 below it
leaves a margin for floating-point sums. The fan-out then runs at 94 % of Discord's limit (46/s measured 90 % in
bench/digest.py, just short of its goal; 46.9 measured 90 % too until late wake-ups were carried over, see
:attr:`Pacer.capacity`)."""

Sleeper = Callable[[float], Awaitable[None]]
_EPSILON: Final = 1e-9
"""A token this close to whole counts as whole (floating-point sums of tiny refills never quite reach 1)."""
MAX_SLACK: Final = 0.25
"""At most this part of a token may be kept beyond the burst (see :attr:`Pacer.capacity`)."""


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
        self.capacity = burst + min(MAX_SLACK, math.floor(rate + burst) + 1 - (rate + burst) - 0.01)
        """Tokens the bucket may hold: the burst, plus the part of a token that leaves :attr:`ceiling` unchanged
        (``floor(rate + capacity) == floor(rate + burst)``; 0.09 with the defaults). A sleep always ends a little
        late; with the bucket capped at exactly the burst that lateness was lost on every request (the fan-out
        measured 45.0/s of 46.9 in bench/digest.py); the slack carries it over to the next request instead."""
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = asyncio.Lock()
        self.granted = 0
        """How many requests were let through (for figures and tests)."""
        self.waited = 0.0
        """Seconds spent waiting for tokens in total."""

    @property
    def ceiling(self) -> int:
        """The most requests any sliding second can hold from this pacer: its rate plus its burst, rounded down.

        The same as its rate plus its :attr:`capacity`, rounded down.
        """
        return math.floor(self.rate + self.burst)

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
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
