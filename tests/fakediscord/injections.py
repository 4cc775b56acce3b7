"""Injected failures: 429 rate limits (per route or global) and 5xx errors, switchable per test."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from aiohttp import hdrs, web


@dataclass
class Injection:
    """Answer the next `times` matching requests with `status` instead of handling them."""

    method: str
    pattern: re.Pattern[str]
    times: int
    status: int
    retry_after: float = 0.0
    global_: bool = False
    hits: list[str] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        """Same method (or "*") and the regex is found in the path below /api/v10."""
        return self.times > 0 and self.method in ("*", method) and self.pattern.search(path) is not None

    def response(self) -> web.Response:
        """The 429 (with Via, Retry-After and a JSON retry_after, as discord.py needs) or the 5xx."""
        if self.status != 429:
            body = {"message": f"{self.status}: injected server error", "code": 0}
            return _json(body, self.status, {})
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(self.retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Scope": "global" if self.global_ else "user",
        }
        if self.global_:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": self.global_}
        return _json(body, 429, headers)


def _json(body: object, status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(), status=status, headers={hdrs.CONTENT_TYPE: "application/json", **headers}
    )


class Injections:
    """The active injections of one fake."""

    def __init__(self) -> None:
        self.items: list[Injection] = []

    def add(self, injection: Injection) -> Injection:
        """Activate an injection."""
        self.items.append(injection)
        return injection

    def take(self, method: str, path: str) -> web.Response | None:
        """The injected response for this request, if an injection matches (consuming one use)."""
        for inj in self.items:
            if inj.matches(method, path):
                inj.times -= 1
                inj.hits.append(f"{method} {path}")
                return inj.response()
        return None
