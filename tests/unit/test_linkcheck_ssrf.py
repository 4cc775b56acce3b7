"""The link checker never reaches the bot's own network (issue 10, defect 5).

Every hop's resolved address is checked, numeric spellings of loopback included; redirects are vetted one by
one, at most five; the connection goes to the vetted address only. Two local servers stand in for "allowed" and
"internal": 127.0.0.1 (allowed by the test policies) and 127.0.0.2 (the internal service a link must never
reach). A guard on the event loop records every TCP connection the checker opens and refuses any outside
127.0.0.1/127.0.0.2, so even a broken checker contacts no other address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot.linkcheck import IPAddress, LinkChecker, address_problem, is_public_address, numeric_address

FIRST = ipaddress.IPv4Address("127.0.0.1")


@dataclass
class Server:
    """A local web server that records what it was asked."""

    host: str
    port: int
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Host header

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]


async def _start(host: str, runners: list[web.AppRunner]) -> Server:
    server = Server(host, 0)

    async def record(request: web.Request) -> web.Response:
        server.requests.append((request.method, request.path_qs, request.headers.get("Host", "")))
        if request.path == "/to":
            raise web.HTTPFound(request.query["target"])
        if request.path.startswith("/hop/"):
            left = int(request.path.removeprefix("/hop/"))
            target = request.query["target"]
            raise web.HTTPFound(f"/hop/{left - 1}?{request.query_string}" if left > 1 else target)
        if request.path.startswith("/chain/"):
            left = int(request.path.removeprefix("/chain/"))
            if left:
                raise web.HTTPFound(f"/chain/{left - 1}")
        return web.Response(text=f"page at {host}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    runners.append(runner)
    site = web.TCPSite(runner, host, 0)
    await site.start()
    server.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return server


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Server, Server]]:
    """The allowed server on 127.0.0.1 and the internal one on 127.0.0.2."""
    runners: list[web.AppRunner] = []
    try:
        yield await _start("127.0.0.1", runners), await _start("127.0.0.2", runners)
    finally:
        for runner in runners:
            await runner.cleanup()


@pytest.fixture
async def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the checker opens a TCP connection to; any outside 127.0.0.1/127.0.0.2 is refused unsent."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    original = loop.sock_connect

    async def guarded(sock: socket.socket, address: tuple[object, ...]) -> None:
        host = str(address[0])
        seen.append(host)
        if host not in ("127.0.0.1", "127.0.0.2"):
            raise ConnectionRefusedError(f"test guard: no connection to {host}")
        await original(sock, address)

    monkeypatch.setattr(loop, "sock_connect", guarded)
    return seen


def only_first(address: IPAddress) -> bool:
    """Test policy: the first server's address only."""
    return address == FIRST


def public_or_first(address: IPAddress) -> bool:
    """Test policy: the default rules, with one exception for the first server."""
    return address == FIRST or is_public_address(address)


def resolver(answers: dict[str, list[list[str]]]) -> tuple[Callable[[str, int], Awaitable[list[IPAddress]]], list[str]]:
    """A stub resolver: each name gives its answers in turn (the last one repeats); records the names asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        turns = answers[host]
        answer = turns[min(asked.count(host), len(turns)) - 1]
        return [ipaddress.ip_address(a) for a in answer]

    return resolve, asked


NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "169.254.169.254",  # cloud metadata
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::",
    "::1",
    "fe80::1",
    "fec0::1",  # site-local
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "ff0e::1",  # global-scope multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo around 127.0.0.1
]
PUBLIC = ["93.184.216.34", "1.1.1.1", "145.97.39.155", "2606:2800:220:1:248:1893:25c8:1946", "2a00:1450:400e::200e"]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_not_public_addresses_are_refused_by_default(text: str) -> None:
    """Loopback, private, link-local, multicast, reserved, unspecified, also wrapped in IPv6, are not public."""
    address = ipaddress.ip_address(text)
    assert not is_public_address(address)
    assert address_problem(address)


def test_the_reason_names_the_embedded_address() -> None:
    """An IPv4 address wrapped in IPv6 is refused for what it is."""
    assert address_problem(ipaddress.ip_address("::ffff:127.0.0.1")) == "loopback"
    assert address_problem(ipaddress.ip_address("64:ff9b::a9fe:a9fe")) == "link-local"
    assert address_problem(ipaddress.ip_address("::ffff:10.0.0.1")) == "private"


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_allowed_by_default(text: str) -> None:
    """Ordinary public addresses pass the default policy."""
    assert is_public_address(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
        ("[::1]", "::1"),
        ("example.org", None),
        ("cafe.be", None),
        ("999.1.1.1", None),
    ],
)
def test_numeric_hosts_are_decoded(host: str, expected: str | None) -> None:
    """The numeric spellings the C library accepts are decoded the way a connection would decode them."""
    decoded = numeric_address(host)
    assert (str(decoded) if decoded else None) == expected


async def test_default_policy_refuses_the_bots_own_network_without_connecting(
    servers: tuple[Server, Server], connections: list[str]
) -> None:
    """Every spelling of a local or internal address is broken ("blocked"), and nothing is contacted."""
    first, _ = servers
    port = first.port
    urls = [
        f"http://127.0.0.1:{port}/",
        f"http://127.1:{port}/",
        f"http://0x7f.1:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://[2002:7f00:1::1]:{port}/",
        f"http://[64:ff9b::7f00:1]:{port}/",
        f"http://localhost:{port}/",
        f"http://0.0.0.0:{port}/",
        "http://[::]/",
        "http://10.0.0.1/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "https://[::ffff:10.0.0.1]/",
    ]
    results = await LinkChecker(timeout=2.0).check_many(urls)
    for url, result in zip(urls, results, strict=True):
        assert result.ok is False, (url, result)
        assert result.detail.startswith("blocked: ") and "is not a public address" in result.detail, (url, result)
    assert connections == []
    assert first.requests == []


async def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(connections: list[str]) -> None:
    """A name resolving to a local address, or to a public and a local one, is refused before connecting."""
    resolve, asked = resolver(
        {
            "intranet.example": [["10.1.2.3"]],
            "mixed.example": [["93.184.216.34", "127.0.0.1"]],
            "metadata.example": [["169.254.169.254"]],
            "mapped.example": [["::ffff:127.0.0.1"]],
        }
    )
    urls = [f"http://{name}/" for name in ("intranet.example", "mixed.example", "metadata.example", "mapped.example")]
    results = await LinkChecker(timeout=2.0, resolve=resolve).check_many(urls)
    assert [r.ok for r in results] == [False] * 4
    assert results[1].detail == "blocked: mixed.example (127.0.0.1) is not a public address (loopback)"
    assert results[2].detail == "blocked: metadata.example (169.254.169.254) is not a public address (link-local)"
    assert sorted(asked) == sorted(["intranet.example", "mixed.example", "metadata.example", "mapped.example"])
    assert connections == []


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/internal/admin",
        "http://127.2:{port}/internal/admin",
        "http://0x7f.0.0.2:{port}/internal/admin",
        "http://2130706434:{port}/internal/admin",
        "http://[::ffff:127.0.0.2]:{port}/internal/admin",
        "http://[::1]:{port}/internal/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/internal/admin",
        "//127.0.0.2:{port}/internal/admin",  # scheme-relative
    ],
)
async def test_a_redirect_to_a_forbidden_address_is_refused(
    servers: tuple[Server, Server], connections: list[str], target: str
) -> None:
    """The allowed server redirects to an internal address: reported broken, the internal server never asked."""
    first, internal = servers
    location = target.format(port=internal.port)
    url = f"{first.base}/to?target={location}"
    [result] = await LinkChecker(timeout=2.0, allow_address=public_or_first).check_many([url])
    assert result.ok is False, result
    assert result.detail.startswith("blocked: redirect to "), result
    assert internal.requests == []
    assert set(connections) == {"127.0.0.1"}


async def test_every_hop_of_a_redirect_chain_is_checked(servers: tuple[Server, Server], connections: list[str]) -> None:
    """Two harmless redirects on the allowed server, then one to the internal server: refused at that hop."""
    first, internal = servers
    url = f"{first.base}/hop/3?target={internal.base}/internal/admin"
    [result] = await LinkChecker(timeout=2.0, allow_address=public_or_first).check_many([url])
    assert result.ok is False
    assert result.detail == "blocked: redirect to 127.0.0.2 is not a public address (loopback)"
    assert [path.split("?")[0] for path in first.paths] == ["/hop/3", "/hop/2", "/hop/1"]
    assert internal.requests == []
    assert set(connections) == {"127.0.0.1"}


async def test_at_most_five_redirects_are_followed(servers: tuple[Server, Server]) -> None:
    """Five redirects reach the page; the sixth is not followed, and the chain is reported broken."""
    first, _ = servers
    five, six = await LinkChecker(timeout=2.0, allow_address=only_first).check_many(
        [f"{first.base}/chain/5", f"{first.base}/chain/6"]
    )
    assert (five.ok, six.ok, six.detail) == (True, False, "too many redirects")
    asked = [p for p in first.paths if p.startswith("/chain/")]
    assert sorted(asked) == sorted([f"/chain/{n}" for n in range(6)] + [f"/chain/{n}" for n in range(1, 7)])


async def test_the_connection_goes_to_the_vetted_address(
    servers: tuple[Server, Server], connections: list[str]
) -> None:
    """DNS rebinding: the name is resolved once per hop and only that vetted answer is used to connect.

    The stub resolver answers 127.0.0.1 (allowed) the first time and 127.0.0.2 (forbidden) after that; the
    page is fetched from 127.0.0.1 with the name as Host, and 127.0.0.2 is never contacted.
    """
    first, internal = servers
    resolve, asked = resolver({"library.example": [["127.0.0.1"], ["127.0.0.2"]]})
    [result] = await LinkChecker(timeout=2.0, allow_address=only_first, resolve=resolve).check_many(
        [f"http://library.example:{first.port}/page"]
    )
    assert (result.ok, result.detail) == (True, "HTTP 200")
    assert asked == ["library.example"]
    assert first.requests == [("HEAD", "/page", f"library.example:{first.port}")]
    assert internal.requests == []
    assert connections == ["127.0.0.1"]


async def test_numeric_spellings_connect_to_the_address_they_stand_for(
    servers: tuple[Server, Server], connections: list[str]
) -> None:
    """When a policy allows 127.0.0.1, its other spellings reach exactly that server (decoded, not looked up)."""
    first, internal = servers
    urls = [f"http://{host}:{first.port}/page" for host in ("127.1", "0x7f.1", "0177.0.0.1", "2130706433")]
    results = await LinkChecker(timeout=2.0, allow_address=only_first).check_many(urls)
    assert [r.ok for r in results] == [True] * 4
    assert len(first.requests) == 4
    assert internal.requests == []
    assert set(connections) == {"127.0.0.1"}


async def test_a_redirect_to_another_scheme_is_not_followed(servers: tuple[Server, Server]) -> None:
    """A redirect to file: or ftp: is never followed, and not reported as a working page."""
    first, _ = servers
    urls = [f"{first.base}/to?target=file:///etc/passwd", f"{first.base}/to?target=ftp://127.0.0.2/x"]
    results = await LinkChecker(timeout=2.0, allow_address=only_first).check_many(urls)
    assert [(r.ok, r.detail) for r in results] == [(None, "error: redirect to a non-web address")] * 2
