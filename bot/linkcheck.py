"""A polite link checker: timeouts, a concurrency limit, a user agent naming the bot, no redirect loops.

It only does HTTP; deciding what a result means for a resource is the library service's job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp

from bot import __version__

log = logging.getLogger(__name__)

USER_AGENT = f"SteunpuntBot/{__version__} (+https://github.com/steunpunt; link check for a community library)"
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome of checking one URL.

    ``ok`` is True when the page answered; False only when it is gone for sure (404, 410, a redirect
    loop, a host that does not exist or refuses connections). ``None`` means "could not tell" (a time-out,
    401/403 from bot protection, 429, 5xx): such a link is left alone and checked again later.
    """

    url: str
    ok: bool | None
    detail: str


GONE = frozenset({404, 410})


class LinkChecker:
    """Checks URLs with HEAD (falling back to GET), at most ``concurrency`` at a time."""

    def __init__(self, *, timeout: float = 10.0, concurrency: int = 4, max_redirects: int = MAX_REDIRECTS) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0))
        self._limit = asyncio.Semaphore(concurrency)
        self._max_redirects = max_redirects

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Check every URL (politely, in parallel up to the limit); never raises."""
        async with aiohttp.ClientSession(
            timeout=self._timeout, headers={"User-Agent": USER_AGENT}, raise_for_status=False
        ) as session:
            return list(await asyncio.gather(*(self._check(session, url) for url in urls)))

    async def _check(self, session: aiohttp.ClientSession, url: str) -> LinkResult:
        async with self._limit:
            try:
                status = await self._status(session, "HEAD", url)
                if status in (403, 405, 501):  # servers that refuse HEAD
                    status = await self._status(session, "GET", url)
            except aiohttp.TooManyRedirects:
                return LinkResult(url, False, "redirect loop")
            except TimeoutError:
                return LinkResult(url, None, "timeout")
            except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
                return LinkResult(url, False, f"unreachable: {type(exc).__name__}")
            except aiohttp.ClientError as exc:
                return LinkResult(url, None, f"error: {type(exc).__name__}")
            except Exception as exc:  # a checker must never take the bot down
                log.warning("Unexpected error checking a link: %s", type(exc).__name__)
                return LinkResult(url, None, f"error: {type(exc).__name__}")
        if status < 400:
            return LinkResult(url, True, f"HTTP {status}")
        return LinkResult(url, False if status in GONE else None, f"HTTP {status}")

    async def _status(self, session: aiohttp.ClientSession, method: str, url: str) -> int:
        async with session.request(method, url, allow_redirects=True, max_redirects=self._max_redirects) as response:
            return response.status
