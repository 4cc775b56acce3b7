"""Discord's rate limits, realistically: a global per-second limit and per-route buckets with Discord's headers.

Off by default (tests stay fast); `fake.enable_rate_limits()` switches them on for a test or a bench. What the
fake then does, following docs/topics/rate-limits.mdx:

* **Global limit**: at most `global_per_second` requests (default 50) in any sliding 1 s window, per bot. A request
  beyond it is answered 429 with `X-RateLimit-Global: true`, `X-RateLimit-Scope: global`, `Retry-After`, `Via` and
  a JSON `{"retry_after", "global": true}`: discord.py then holds every request for `retry_after`. Interaction
  endpoints are not bound to it, as on Discord: callbacks (`/interactions/{id}/{token}/callback`) and the
  interaction webhooks (`/webhooks/{application id}/{token}...`: follow-ups, `@original`).
* **Per-route buckets** (fixed windows that start with a bucket's first request, one per major parameter): every
  response of a bucketed route carries `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), `-Reset-After`
  (seconds) and `-Bucket`, so discord.py's own bucket handling paces itself; a request beyond the bucket is answered
  429 with `X-RateLimit-Scope: user`. Defaults: `POST /channels/{id}/messages` 5 per 5 s per channel (Discord's
  long-standing message limit), and the DM-channel create route `POST /users/@me/channels` 10 per 1 s for the
  whole bot (Discord publishes no number for it and warns that opening DMs quickly gets a bot limited;
  configurable).

`RateStats` counts what happened (always, limits on or off) so a bench can print the achieved rate against the
allowed one and the share of 429s by scope.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW = 1.0
"""The global limit's sliding window, in seconds."""

EXEMPT = re.compile(r"^/interactions/\d+/[^/]+/callback$")
"""Interaction callbacks are not bound to the global limit (interaction webhooks are matched separately)."""


@dataclass(frozen=True)
class BucketSpec:
    """A per-route bucket: `limit` requests per `per` seconds for each value of the major parameter.

    `pattern` is matched (``re.search``) against the path below ``/api/v10``; its first group, if any, is the major
    parameter (a channel, guild or webhook id), so each channel gets its own window. `name` is sent as
    ``X-RateLimit-Bucket`` (Discord's hash, non-inclusive of major parameters).
    """

    name: str
    method: str
    pattern: str
    limit: int
    per: float

    def major(self, method: str, path: str) -> str | None:
        """The major parameter ("" for a route without one) if this bucket applies to the request, else None."""
        if method != self.method:
            return None
        match = re.search(self.pattern, path)
        if match is None:
            return None
        return match.group(1) if match.re.groups else ""


CHANNEL_MESSAGES = BucketSpec("channel-messages", "POST", r"^/channels/(\d+)/messages$", 5, 5.0)
"""`POST /channels/{id}/messages`: 5 per 5 s per channel (DM channels included)."""
DM_CREATE = BucketSpec("dm-create", "POST", r"^/users/@me/channels$", 10, 1.0)
"""`POST /users/@me/channels`: one bucket for the whole bot, 10 per 1 s by default."""
DEFAULT_BUCKETS = (CHANNEL_MESSAGES, DM_CREATE)


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class Decision:
    """What the limiter decided for one request: `headers` go on the response; `status` 429 means refused."""

    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    body: dict[str, object] | None = None
    counted: bool = True
    """False for the interaction endpoints, which the global limit and `RateStats.requests` leave out."""


@dataclass
class RateStats:
    """What reached the fake's REST API, for benches: rate achieved and 429s by scope.

    `requests` counts every API request that is bound to the global limit (429s included); `exempt` counts the
    interaction endpoints. `limited` counts 429 answers by `X-RateLimit-Scope` (`global`, `user`, `shared`;
    injected 429s included), `by_status` the answers of counted requests by HTTP status, `by_bucket` the requests
    per bucket name. `peak_per_second` is the most requests the fake let through in one sliding second.
    """

    requests: int = 0
    exempt: int = 0
    limited: Counter[str] = field(default_factory=Counter)
    by_bucket: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    peak_per_second: int = 0
    first: float | None = None
    last: float | None = None

    @property
    def accepted(self) -> int:
        """Requests bound to the global limit that were not answered 429."""
        return self.requests - sum(self.limited.values())

    @property
    def duration(self) -> float:
        """Seconds from the first to the last counted request."""
        return 0.0 if self.first is None or self.last is None else self.last - self.first

    @property
    def rate(self) -> float:
        """Accepted requests per second over `duration` (0 with fewer than two requests)."""
        return self.accepted / self.duration if self.duration > 0 else 0.0

    @property
    def share_429(self) -> float:
        """The share of counted requests answered 429 (any scope)."""
        return sum(self.limited.values()) / self.requests if self.requests else 0.0

    def summary(self) -> str:
        """One line for a bench or a failing assert."""
        scopes = ", ".join(f"{k} {v}" for k, v in sorted(self.limited.items())) or "none"
        return (
            f"{self.requests} requests in {self.duration:.2f} s ({self.rate:.1f}/s accepted, peak "
            f"{self.peak_per_second} in 1 s), 429s: {scopes} ({self.share_429:.2%}), exempt {self.exempt}"
        )


class RateLimiter:
    """The global limit and the per-route buckets of one fake (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.enabled = False
        self.global_per_second = 50
        self.buckets: tuple[BucketSpec, ...] = DEFAULT_BUCKETS
        self.stats = RateStats()
        self.application_id: int | None = None
        self._accepted: deque[float] = deque()
        self._windows: dict[tuple[str, str], _Window] = {}

    def configure(self, *, global_per_second: int | None, buckets: tuple[BucketSpec, ...]) -> None:
        """Switch the limits on (`global_per_second=None` leaves only the buckets)."""
        self.enabled = True
        self.global_per_second = global_per_second or 0
        self.buckets = buckets
        self._accepted.clear()
        self._windows.clear()

    def disable(self) -> None:
        """Switch the limits off (statistics keep counting)."""
        self.enabled = False

    def reset_stats(self) -> RateStats:
        """Start counting afresh; returns the statistics so far."""
        old, self.stats = self.stats, RateStats()
        return old

    def exempt(self, path: str) -> bool:
        """Interaction endpoints: callbacks and the application's interaction webhooks."""
        if EXEMPT.search(path):
            return True
        return self.application_id is not None and path.startswith(f"/webhooks/{self.application_id}/")

    def decide(self, method: str, path: str) -> Decision:
        """Count the request and decide: a global 429, a bucket 429, or let it through (with bucket headers)."""
        now = self.clock()
        stats = self.stats
        if self.exempt(path):
            stats.exempt += 1
            return Decision(counted=False)
        stats.requests += 1
        stats.first = now if stats.first is None else stats.first
        stats.last = now
        accepted = self._accepted
        while accepted and accepted[0] <= now - WINDOW:
            accepted.popleft()
        if self.enabled and self.global_per_second and len(accepted) >= self.global_per_second:
            return _global_429(accepted[0] + WINDOW - now)
        accepted.append(now)
        stats.peak_per_second = max(stats.peak_per_second, len(accepted))
        if not self.enabled:
            return Decision()
        for spec in self.buckets:
            major = spec.major(method, path)
            if major is not None:
                stats.by_bucket[spec.name] += 1
                return self._bucket(spec, major, now)
        return Decision()

    def _bucket(self, spec: BucketSpec, major: str, now: float) -> Decision:
        window = self._windows.get((spec.name, major))
        if window is None or now >= window.started + spec.per:
            window = self._windows[(spec.name, major)] = _Window(now)
        reset_after = max(0.0, window.started + spec.per - now)
        headers = {
            "X-RateLimit-Limit": str(spec.limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": spec.name,
        }
        if window.used >= spec.limit:
            headers.update(
                {
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Scope": "user",
                    "Retry-After": str(math.ceil(reset_after)),
                    "Via": "1.1 google",
                }
            )
            body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3), "global": False}
            return Decision(headers, 429, body)
        window.used += 1
        headers["X-RateLimit-Remaining"] = str(spec.limit - window.used)
        return Decision(headers)


def _global_429(retry_after: float) -> Decision:
    retry_after = max(retry_after, 0.001)
    headers = {
        "X-RateLimit-Global": "true",
        "X-RateLimit-Scope": "global",
        "Retry-After": str(math.ceil(retry_after)),
        "Via": "1.1 google",
    }
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": True}
    return Decision(headers, 429, body)
