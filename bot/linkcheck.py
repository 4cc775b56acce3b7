"""A polite link checker: timeouts, a concurrency limit, a user agent naming the bot, no redirect loops.

It only does HTTP; deciding what a result means for a resource is the library service's job.

It never lets a link point it at the bot's own network. Every hop (the link itself and each redirect, at most
``MAX_REDIRECTS`` of them, followed by hand) is resolved here, and refused when any address the host resolves
to is not public: loopback, private, link-local, multicast, reserved or unspecified, in IPv4 or IPv6, also when
hidden in an IPv4-mapped, 6to4, Teredo or NAT64 address. Numeric forms such as ``127.1``, ``0x7f.1`` or
``0177.0.0.1`` are decoded first. The connection then goes only to the addresses that were vetted: numeric hosts
are rewritten to their canonical address and names are answered by a resolver that knows only the vetted
addresses, so a second DNS answer (DNS rebinding) is never used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot import __version__

log = logging.getLogger(__name__)

USER_AGENT = f"SteunpuntBot/{__version__} (+https://github.com/steunpunt; link check for a community library)"
MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]
"""Decides whether the checker may connect to an address (True: allowed)."""
HostResolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""Resolves a host name and port to every address it may connect to."""


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome of checking one URL.

    ``ok`` is True when the page answered; False only when it is gone for sure (404, 410, a redirect
    loop, a host that does not exist or refuses connections, an address that is not public). ``None`` means
    "could not tell" (a time-out, 401/403 from bot protection, 429, 5xx): such a link is left alone and
    checked again later.
    """

    url: str
    ok: bool | None
    detail: str


GONE = frozenset({404, 410})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
WEB_SCHEMES = frozenset({"http", "https"})

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (IPv4-mapped, 6to4, Teredo, NAT64); empty for IPv4."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def address_problem(address: IPAddress) -> str | None:
    """Why an address is not public ("loopback", "private", ...), or None when it is a public address."""
    for candidate in (*embedded_ipv4(address), address):  # the embedded address names the real problem
        if candidate.is_unspecified:
            return "unspecified"
        if candidate.is_loopback:
            return "loopback"
        if candidate.is_link_local:
            return "link-local"
        if candidate.is_multicast:
            return "multicast"
        if candidate.is_private:
            return "private"
        if candidate.is_reserved:
            return "reserved"
        if isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local:
            return "site-local"
        if not candidate.is_global:
            return "not global"
    return None


def is_public_address(address: IPAddress) -> bool:
    """The default address policy: only public (global unicast) addresses may be contacted."""
    return address_problem(address) is None


def numeric_address(host: str) -> IPAddress | None:
    """The address a numeric host stands for (``127.1``, ``0x7f.1``, ``0177.0.0.1``, ``::1``), else None."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        pass
    if ":" in host or not _LEGACY_IPV4.fullmatch(host):
        return None
    try:  # the forms the C library accepts: fewer than four parts, octal and hexadecimal parts
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to for a TCP connection (the system resolver, without blocking)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _looks_numeric(host: str) -> bool:
    """Whether aiohttp would connect to ``host`` as written instead of asking the resolver."""
    return ":" in host or host.replace(".", "").isdigit()


def _pin_key(host: str) -> str:
    return host.rstrip(".").lower()


class _PinnedResolver(AbstractResolver):
    """Answers aiohttp only with addresses the checker vetted; a host it did not vet does not resolve."""

    def __init__(self) -> None:
        self._vetted: dict[str, tuple[IPAddress, ...]] = {}

    def pin(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """Remember the vetted addresses of ``host``; only these are ever handed to the connector."""
        self._vetted[_pin_key(host)] = tuple(addresses)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The vetted addresses of ``host`` (of ``family`` unless unspecified); OSError if none."""
        results: list[ResolveResult] = []
        for address in self._vetted.get(_pin_key(host), ()):
            address_family = socket.AF_INET if address.version == 4 else socket.AF_INET6
            if family not in (socket.AF_UNSPEC, address_family):
                continue
            results.append(
                {
                    "hostname": host,
                    "host": str(address),
                    "port": port,
                    "family": address_family,
                    "proto": socket.IPPROTO_TCP,
                    "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                }
            )
        if not results:
            raise OSError(f"{host} has no vetted address")
        return results

    async def close(self) -> None:
        """Nothing to release."""


class _Verdict(Exception):
    """Ends a check early with a known result (a refused address, too many redirects, a bad URL)."""

    def __init__(self, ok: bool | None, detail: str) -> None:
        super().__init__(detail)
        self.ok = ok
        self.detail = detail


class LinkChecker:
    """Checks URLs with HEAD (falling back to GET), at most ``concurrency`` at a time.

    ``allow_address`` decides which resolved addresses may be contacted (default: public addresses only) and
    ``resolve`` turns a host name into addresses (default: the system resolver). Both exist for tests, which
    must check servers on 127.0.0.1; the bot uses the defaults.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        concurrency: int = 4,
        max_redirects: int = MAX_REDIRECTS,
        allow_address: AddressPolicy = is_public_address,
        resolve: HostResolver = resolve_host,
    ) -> None:
        self._total = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0))
        self._limit = asyncio.Semaphore(concurrency)
        self._max_redirects = max(0, max_redirects)
        self._allow = allow_address
        self._resolve = resolve

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Check every URL (politely, in parallel up to the limit); never raises."""
        pins = _PinnedResolver()
        connector = aiohttp.TCPConnector(resolver=pins, use_dns_cache=False)
        async with aiohttp.ClientSession(
            connector=connector, timeout=self._timeout, headers={"User-Agent": USER_AGENT}, raise_for_status=False
        ) as session:
            return list(await asyncio.gather(*(self._check(session, pins, url) for url in urls)))

    async def _check(self, session: aiohttp.ClientSession, pins: _PinnedResolver, url: str) -> LinkResult:
        async with self._limit:
            try:
                status = await self._status(session, pins, "HEAD", url)
                if status in (403, 405, 501):  # servers that refuse HEAD
                    status = await self._status(session, pins, "GET", url)
            except _Verdict as verdict:
                return LinkResult(url, verdict.ok, verdict.detail)
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

    async def _status(self, session: aiohttp.ClientSession, pins: _PinnedResolver, method: str, url: str) -> int:
        """The final status of ``url``, following at most ``max_redirects`` redirects, each one vetted."""
        try:
            current = URL(url)
        except (TypeError, ValueError):
            raise _Verdict(False, "unreachable: InvalidURL") from None
        visited = {current}
        async with asyncio.timeout(self._total):  # the whole chain, lookups included, as one request was
            for hop in range(self._max_redirects + 1):
                target = await self._vetted(pins, current, redirected=hop > 0)
                async with session.request(method, target, allow_redirects=False) as response:
                    status = response.status
                    location = response.headers.get("Location") if status in REDIRECTS else None
                if location is None:
                    return status
                following = _redirect_target(current, location)
                if hop == self._max_redirects:
                    break
                visited.add(following)
                current = following
        raise _Verdict(False, "redirect loop" if following in visited else "too many redirects")

    async def _vetted(self, pins: _PinnedResolver, url: URL, *, redirected: bool) -> URL:
        """``url`` ready to fetch, going only to vetted addresses; raises a verdict when it may not be fetched."""
        host = url.raw_host
        if url.scheme not in WEB_SCHEMES or not host or url.port is None:
            raise _Verdict(False, "unreachable: InvalidURL")
        numeric = numeric_address(host)
        if numeric is not None:
            self._vet(host, [numeric], redirected=redirected)
            canonical = str(numeric)
            return url if host == canonical else url.with_host(canonical)
        if _looks_numeric(host):  # aiohttp would not ask the resolver, so the address could not be pinned
            raise _Verdict(False, "unreachable: InvalidURL")
        try:
            addresses = await self._resolve(host, url.port)
        except (OSError, UnicodeError, ValueError):
            addresses = []
        if not addresses:
            raise _Verdict(False, "unreachable: host not found")
        self._vet(host, addresses, redirected=redirected)
        pins.pin(host, addresses)
        return url

    def _vet(self, host: str, addresses: Iterable[IPAddress], *, redirected: bool) -> None:
        """Raise a broken verdict when any of ``addresses`` may not be contacted."""
        for address in addresses:
            if self._allow(address):
                continue
            reason = address_problem(address) or "not allowed"
            where = "redirect to " if redirected else ""
            name = str(address) if host.strip("[]") == str(address) else f"{host} ({address})"
            log.debug("Link check refused %s%s: %s", where, name, reason)
            raise _Verdict(False, f"blocked: {where}{name} is not a public address ({reason})")


def _redirect_target(current: URL, location: str) -> URL:
    """The absolute URL a ``Location`` header points to from ``current``; a verdict when it is no web page."""
    try:
        following = current.join(URL(location)).with_fragment(None)
    except (TypeError, ValueError):
        raise _Verdict(None, "error: invalid redirect") from None
    if following.scheme not in WEB_SCHEMES:
        raise _Verdict(None, "error: redirect to a non-web address")
    return following
