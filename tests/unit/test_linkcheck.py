"""The link checker against a local aiohttp server: ok, not found, timeout, redirect loop, slow but fine.

The default policy refuses every non-public address, so these tests allow exactly 127.0.0.1 (``LOCAL``);
tests/unit/test_linkcheck_ssrf.py covers the policy itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.linkcheck import USER_AGENT, IPAddress, LinkChecker


def only_127_0_0_1(address: IPAddress) -> bool:
    """A test policy: the local test server's address, and nothing else."""
    return address == ipaddress.IPv4Address("127.0.0.1")


LOCAL = only_127_0_0_1


@pytest.fixture
async def site() -> AsyncIterator[tuple[str, list[str]]]:
    """A small web server with one route per behaviour; yields its base URL and the user agents it saw."""
    agents: list[str] = []

    async def ok(request: web.Request) -> web.Response:
        agents.append(request.headers.get("User-Agent", ""))
        return web.Response(text="ok")

    async def missing(_: web.Request) -> web.Response:
        return web.Response(status=404)

    async def hang(_: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.Response(text="too late")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response(text="slow but fine")

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def no_head(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=405)
        return web.Response(text="get only")

    async def forbidden(_: web.Request) -> web.Response:
        return web.Response(status=403)

    async def unavailable(_: web.Request) -> web.Response:
        return web.Response(status=503)

    app = web.Application()
    app.router.add_route("*", "/forbidden", forbidden)
    app.router.add_route("*", "/unavailable", unavailable)
    app.router.add_route("*", "/ok", ok)
    app.router.add_route("*", "/missing", missing)
    app.router.add_route("*", "/hang", hang)
    app.router.add_route("*", "/slow", slow)
    app.router.add_route("*", "/loop", loop)
    app.router.add_route("*", "/no-head", no_head)

    async def redirect(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/ok")

    async def chain(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        if left == 0:
            return web.Response(text="end of the chain")
        raise web.HTTPFound(f"/chain/{left - 1}")

    app.router.add_get("/redirect", redirect)
    app.router.add_route("*", "/chain/{left}", chain)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", agents
    await runner.cleanup()


async def test_each_behaviour_is_classified(site: tuple[str, list[str]]) -> None:
    """200 and a redirect to 200 are fine; 404, a hang and a redirect loop are broken; slow but in time is fine."""
    base, agents = site
    checker = LinkChecker(timeout=0.8, concurrency=2, allow_address=LOCAL)
    paths = ["/ok", "/missing", "/hang", "/loop", "/slow", "/redirect", "/no-head"]
    results = {r.url.removeprefix(base): r for r in await checker.check_many(base + p for p in paths)}
    assert results["/ok"].ok
    assert (results["/missing"].ok, results["/missing"].detail) == (False, "HTTP 404")
    assert (results["/hang"].ok, results["/hang"].detail) == (None, "timeout")  # can't tell: not unlisted
    assert (results["/loop"].ok, results["/loop"].detail) == (False, "redirect loop")
    assert results["/slow"].ok
    assert results["/redirect"].ok
    assert results["/no-head"].ok
    assert agents and all(a == USER_AGENT for a in agents)


async def test_bot_protection_and_server_errors_are_inconclusive(site: tuple[str, list[str]]) -> None:
    """403 from bot protection or a 503 says nothing about the page: such links are not marked broken."""
    base, _ = site
    results = await LinkChecker(timeout=1.0, allow_address=LOCAL).check_many(
        [f"{base}/forbidden", f"{base}/unavailable"]
    )
    assert [r.ok for r in results] == [None, None]


async def test_concurrency_is_limited(site: tuple[str, list[str]]) -> None:
    """With a limit of two, six slow pages take three rounds, not one."""
    base, _ = site
    checker = LinkChecker(timeout=2.0, concurrency=2, allow_address=LOCAL)
    started = asyncio.get_running_loop().time()
    results = await checker.check_many([f"{base}/slow"] * 6)
    elapsed = asyncio.get_running_loop().time() - started
    assert all(r.ok for r in results)
    assert elapsed >= 0.85


async def test_unreachable_host_never_raises() -> None:
    """A closed port is reported as unreachable, not raised."""
    results = await LinkChecker(timeout=1.0, allow_address=LOCAL).check_many(["http://127.0.0.1:9/nothing"])
    assert results[0].ok is False
    assert results[0].detail.startswith("unreachable")


async def test_five_redirects_are_followed_six_are_broken(site: tuple[str, list[str]]) -> None:
    """At most five redirects: a chain of five reaches the page, a chain of six is broken (not a loop)."""
    base, _ = site
    five, six = await LinkChecker(timeout=2.0, allow_address=LOCAL).check_many([f"{base}/chain/5", f"{base}/chain/6"])
    assert (five.ok, five.detail) == (True, "HTTP 200")
    assert (six.ok, six.detail) == (False, "too many redirects")


async def test_unreachable_name_never_raises() -> None:
    """A host name that does not resolve is unreachable (the resolver is a stub: no DNS is asked)."""

    async def nowhere(host: str, port: int) -> list[IPAddress]:
        raise OSError(f"{host} does not exist")

    results = await LinkChecker(timeout=1.0, resolve=nowhere, allow_address=LOCAL).check_many(
        ["http://gone.example/page"]
    )
    assert (results[0].ok, results[0].detail) == (False, "unreachable: host not found")
