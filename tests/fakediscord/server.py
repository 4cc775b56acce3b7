"""`FakeDiscord`: the HTTP + websocket server the real discord.py client talks to, and the test-facing API."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, MutableSequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

from aiohttp import web

from . import payloads, rest_apps, rest_channels, rest_interactions, rest_threads, world
from .constants import DM, PUBLIC_THREAD
from .gateway import GUILD_MEMBERS, GUILD_MESSAGES, GUILDS, Gateway, Outcome, close_outcome
from .injections import Injection, Injections
from .interactions import Interactions
from .nonces import NonceStore
from .ratelimits import CHANNEL_MESSAGES, DM_CREATE, BucketSpec, RateLimiter, RateStats
from .records import ModalRecord, StoredMessage
from .rest import API_PREFIX, FAKE, RequestRecord, echo_channel, echo_message, middleware
from .results import Choices, InteractionResult
from .state import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeState, FakeUser
from .validation import Violation, spec_available

T = TypeVar("T")


class FakeTimeoutError(AssertionError):
    """The bot did not do what the test waited for in time."""


class BotCrashedError(AssertionError):
    """The discord.py client task ended while the fake was waiting on it."""


class FakeDiscord:
    """A wire-level fake of Discord's REST API and gateway, with state tests can inspect."""

    def __init__(self, *, deadline: float = 3.0, timeout: float = 5.0) -> None:
        self.deadline = deadline
        self.timeout = timeout
        self.state = FakeState()
        self.world = world.seed(self.state)
        self.gateway = Gateway(self)
        self.injections = Injections()
        self.interactions = Interactions(self)
        self.failures: list[str] = []
        self.violations: list[Violation] = []
        self.requests: MutableSequence[RequestRecord] = []
        """Every request as it reached the fake, oldest first (see `keep_requests` to bound it for benches)."""
        self._clock_offset = 0.0
        self.limiter = RateLimiter(self.monotonic)
        """Discord's rate limits (off until `enable_rate_limits`) and the request statistics (`rate_stats`)."""
        self.limiter.application_id = self.state.application_id
        self.nonces = NonceStore(self.monotonic)
        self.deduplicated: list[int] = []
        """Ids of messages returned again to a resend with the same nonce (`enforce_nonce`); one entry per resend."""
        self.bot_task: asyncio.Task[Any] | None = None
        self.reidentify_delay = 5.0
        """Seconds a client started by `start_client` waits before a non-initial IDENTIFY (discord.py's default
        `before_identify_hook` waits 5 s); tests of INVALID_SESSION d=false and close 4007/4009 lower it."""
        self.permission_overrides: set[str] = set()
        """Top-level command names a server admin opened to everyone (Server Settings → Integrations),
        which lifts Discord's default_member_permissions gate, so only the bot's own checks remain."""
        self._expecting: list[list[Violation]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 on a free port (after loading the spec: a missing one fails here in CI)."""
        spec_available()
        app = web.Application(middlewares=[middleware], client_max_size=32 * 1024 * 1024)
        app[FAKE] = self
        for table in (rest_apps.routes, rest_channels.routes, rest_threads.routes, rest_interactions.routes):
            for route in table:
                app.router.add_route(route.method, API_PREFIX + route.path, route.handler)  # type: ignore[attr-defined]
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", rest_apps.serve_attachment)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Close client sockets and the server."""
        await self.gateway.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def http_base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for `discord.http.Route.BASE`."""
        return self.http_base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The value for `DiscordWebSocket.DEFAULT_GATEWAY` (also sent as resume_gateway_url)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- failures, violations, waiting -------------------------------------------------------------------------
    def record_failure(self, message: str) -> None:
        """Something the bot did that must fail the test."""
        self.failures.append(message)

    def record_violation(self, violation: Violation) -> None:
        """A request broke Discord's rules; fails the test unless inside `expect_violations()`."""
        self.violations.append(violation)
        if self._expecting:
            self._expecting[-1].append(violation)
        else:
            self.failures.append(f"rejected request: {violation}")

    @contextmanager
    def expect_violations(self, minimum: int = 1) -> Iterator[list[Violation]]:
        """Within the block, rejected requests are collected (yielded list) instead of failing the test."""
        caught: list[Violation] = []
        self._expecting.append(caught)
        try:
            yield caught
        finally:
            self._expecting.remove(caught)
        assert len(caught) >= minimum, f"expected at least {minimum} rejected request(s), got {caught}"

    def format_failures(self) -> str:
        """The recorded failures, one per line."""
        return "fake Discord recorded failures:\n" + "\n".join(f"  - {f}" for f in self.failures)

    def notify(self) -> None:
        """Wake everything waiting in `wait_until` (called after every request and gateway message)."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def watch(self, task: asyncio.Task[Any] | None) -> None:
        """The client task: if it ends while the fake waits, the wait fails at once."""
        self.bot_task = task

    def _check_bot(self) -> None:
        task = self.bot_task
        if task is None or not task.done():
            return
        exc = None if task.cancelled() else task.exception()
        raise BotCrashedError(f"the discord.py client stopped while the fake was waiting: {exc!r}") from exc

    async def wait_until(
        self, predicate: Callable[[], T | None], *, within: float | None = None, what: str = "a condition"
    ) -> T:
        """Wait until `predicate()` returns a truthy value; fails at once if the client task dies."""
        loop = asyncio.get_running_loop()
        limit = self.timeout if within is None else within
        deadline = loop.time() + limit
        while True:
            value = predicate()
            if value:
                return value
            self._check_bot()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise FakeTimeoutError(f"timed out after {limit:.1f}s waiting for {what}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            watched: set[asyncio.Future[Any]] = {fut}
            if self.bot_task is not None:
                watched.add(self.bot_task)
            # woken by any request/gateway message; polled too, so predicates over the bot's own state work
            await asyncio.wait(watched, timeout=min(remaining, 0.01), return_when=asyncio.FIRST_COMPLETED)
            fut.cancel()

    # -- gateway -----------------------------------------------------------------------------------------------
    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send any gateway event: written at once, or buffered while the client is away (see Gateway.dispatch)."""
        await self.gateway.dispatch(event, data)

    async def echo(self, event: str, data: dict[str, Any], intent: int) -> None:
        """Send an event caused by the bot's own request, if the session asked for the intent (buffered while the
        client is away, lost when no session is alive, as on Discord)."""
        if self.gateway.live is not None and self.gateway.wants(intent):
            await self.gateway.emit(event, data)

    async def close_gateway(self, code: int = 4000, *, wait: bool = True, within: float | None = None) -> None:
        """Close the websocket with `code`, as Discord does, and by default wait until the client is back.

        What "back" means follows from `gateway.close_outcome(code)`: RESUMEd (same session, missed events
        replayed) for most codes; IDENTIFYd anew for 4007/4009, which end the session (lower
        `reidentify_delay` first); for the fatal codes 4004 and 4010-4014, stopped (read `bot_task.exception()`).
        """
        outcome = close_outcome(code)
        await self.gateway.fault(lambda: self.gateway.close(code), outcome, wait, within, f"close {code}")

    async def reconnect_gateway(self, *, wait: bool = True, within: float | None = None) -> None:
        """Send op 7 RECONNECT; by default wait until the client has RESUMEd."""
        await self.gateway.fault(self.gateway.reconnect, "resume", wait, within, "op 7 RECONNECT")

    async def invalidate_session(self, *, resumable: bool, wait: bool = True, within: float | None = None) -> None:
        """Send op 9 INVALID_SESSION with d=`resumable`; by default wait until the client RESUMEd (d=true) or
        IDENTIFYd a new session (d=false; events meanwhile are lost; lower `reidentify_delay` first)."""
        outcome: Outcome = "resume" if resumable else "reidentify"
        await self.gateway.fault(
            lambda: self.gateway.invalidate(resumable=resumable), outcome, wait, within, f"op 9 d={resumable}"
        )

    # -- clock, nonces, rate limits ----------------------------------------------------------------------------
    def monotonic(self) -> float:
        """The fake's own monotonic clock (seconds): `time.monotonic()` plus what `advance` added."""
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward: nonces older than `nonce_window` and rate-limit windows expire."""
        self._clock_offset += seconds

    @property
    def nonce_window(self) -> float:
        """Seconds within which a resend with the same nonce (`enforce_nonce`) returns the first message (300)."""
        return self.nonces.window

    @nonce_window.setter
    def nonce_window(self, seconds: float) -> None:
        self.nonces.window = seconds

    def enable_rate_limits(
        self,
        global_per_second: int | None = 50,
        *,
        messages: tuple[int, float] | None = (5, 5.0),
        dm_create: tuple[int, float] | None = (10, 1.0),
        buckets: Iterable[BucketSpec] = (),
    ) -> RateLimiter:
        """Switch on Discord's rate limits (see ratelimits.py): `global_per_second` in a sliding second (None: no
        global limit; interaction callbacks and follow-ups are exempt), `messages` = (limit, seconds) per channel
        for POST /channels/{id}/messages, `dm_create` = (limit, seconds) for POST /users/@me/channels (None drops
        a bucket), plus any other `buckets`. Statistics: `fake.rate_stats` (reset with `reset_rate_stats`)."""
        specs = [*buckets]
        if messages is not None:
            specs.append(replace(CHANNEL_MESSAGES, limit=messages[0], per=messages[1]))
        if dm_create is not None:
            specs.append(replace(DM_CREATE, limit=dm_create[0], per=dm_create[1]))
        self.limiter.configure(global_per_second=global_per_second, buckets=tuple(specs))
        return self.limiter

    def disable_rate_limits(self) -> None:
        """Back to no rate limits (statistics keep counting)."""
        self.limiter.disable()

    @property
    def rate_stats(self) -> RateStats:
        """Requests counted since the start or the last `reset_rate_stats`: rate, peak per second, 429s by scope."""
        return self.limiter.stats

    def reset_rate_stats(self) -> RateStats:
        """Start counting afresh (e.g. just before a fan-out); returns the statistics so far."""
        return self.limiter.reset_stats()

    def keep_requests(self, last: int | None) -> None:
        """Keep only the `last` requests in `fake.requests` (0: none; None: all, the default). A bench sending
        tens of thousands of requests bounds it so the fake's memory does not grow with the run."""
        kept = list(self.requests)
        self.requests = kept if last is None else deque(kept[-last:] if last else [], maxlen=last)

    # -- injected failures -------------------------------------------------------------------------------------
    def rate_limit(
        self, method: str, path_regex: str, *, retry_after: float = 0.2, times: int = 1, global_: bool = False
    ) -> Injection:
        """Answer the next `times` matching requests with 429 (Via, Retry-After, JSON retry_after)."""
        return self.injections.add(Injection(method.upper(), re.compile(path_regex), times, 429, retry_after, global_))

    def fail_next(self, method: str, path_regex: str, *, status: int = 502, times: int = 1) -> Injection:
        """Answer the next `times` matching requests with a 5xx (discord.py retries 500/502/504 after 1 s)."""
        return self.injections.add(Injection(method.upper(), re.compile(path_regex), times, status))

    # -- lookups -----------------------------------------------------------------------------------------------
    @property
    def guild(self) -> FakeGuild:
        """The default guild."""
        return self.world.guild

    @property
    def alice(self) -> FakeMember:
        """A member whose client is Dutch (nl)."""
        return self.world.alice

    @property
    def bob(self) -> FakeMember:
        """A member whose client is British English (en-GB)."""
        return self.world.bob

    @property
    def moderator(self) -> FakeMember:
        """A member with the Moderator role (nl)."""
        return self.world.moderator

    def channel(self, name: str, guild: FakeGuild | None = None) -> FakeChannel:
        """A channel or thread by name (default guild)."""
        gid = (guild or self.guild).id
        for ch in self.state.channels.values():
            if ch.guild_id == gid and ch.name == name:
                return ch
        raise KeyError(f"no channel named {name!r}")

    def role(self, name: str) -> FakeRole:
        """A role of the default guild by name."""
        return self.guild.role_named(name)

    def messages(
        self, channel: FakeChannel | str, *, public: bool = False, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """The messages of a channel, oldest first (ephemeral ones too, unless `public`)."""
        ch = channel if isinstance(channel, FakeChannel) else self.channel(channel)
        msgs = self.state.channel_history(ch.id, include_deleted=include_deleted)
        return [m for m in msgs if not (public and m.ephemeral)]

    def dm_channel(self, user: FakeMember | FakeUser) -> FakeChannel:
        """The bot's DM channel with a user (created on first use)."""
        u = user.user if isinstance(user, FakeMember) else user
        if u.id not in self.state.dm_channels:
            ch = self.state.add_channel(None, DM, "", recipients=[u.id, self.state.bot_user.id])
            self.state.dm_channels[u.id] = ch.id
        return self.state.channels[self.state.dm_channels[u.id]]

    def dms(self, user: FakeMember | FakeUser) -> list[StoredMessage]:
        """The DMs a user received (and sent) in their DM channel with the bot."""
        u = user.user if isinstance(user, FakeMember) else user
        cid = self.state.dm_channels.get(u.id)
        return self.state.channel_history(cid) if cid else []

    def threads(self, parent: FakeChannel | str | None = None) -> list[FakeChannel]:
        """Threads (forum posts included), optionally of one parent channel."""
        pid = None if parent is None else (parent if isinstance(parent, FakeChannel) else self.channel(parent)).id
        return [c for c in self.state.channels.values() if c.is_thread and (pid is None or c.parent_id == pid)]

    def commands(self, guild: FakeGuild | None = None) -> list[dict[str, Any]]:
        """The commands the bot registered (global, or for a guild)."""
        return payloads.commands(self.state, guild.id if guild else None)

    def requests_to(self, method: str, path_regex: str) -> list[RequestRecord]:
        """Requests that reached the fake (after injections), filtered by method and path regex."""
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and rx.search(r.path)]

    # -- the world changes -------------------------------------------------------------------------------------
    def add_users(
        self,
        count: int,
        *,
        prefix: str = "member",
        locale: str = "nl",
        guild: FakeGuild | None = None,
        member: bool = True,
        accepts_dms: bool = True,
    ) -> list[FakeUser]:
        """Create `count` users at once (10,000 in well under a second), named `<prefix>1`, `<prefix>2`, ...

        They are members of `guild` (default guild) unless `member=False`, and no gateway event is sent: a bot
        without the members intent never hears of joins anyway, and one with it learns of them by chunking or
        `fetch_member`. The bot can `fetch_user` them and open DMs with them (`POST /users/@me/channels`);
        `accepts_dms=False` (or `close_dms` later) makes a DM to them fail with 403 50007.
        """
        g = (guild or self.guild) if member else None
        start = len(self.state.users)
        users: list[FakeUser] = []
        for n in range(start, start + count):
            user = self.state.add_user(f"{prefix}{n}", locale=locale)
            user.accepts_dms = accepts_dms
            if g is not None:
                g.members[user.id] = FakeMember(user, g.id)
            users.append(user)
        return users

    def close_dms(self, *users: FakeMember | FakeUser) -> None:
        """These users turn off DMs from server members: the bot's DMs to them fail with 403 50007."""
        for u in users:
            (u.user if isinstance(u, FakeMember) else u).accepts_dms = False

    def open_dms(self, *users: FakeMember | FakeUser) -> None:
        """These users accept DMs again."""
        for u in users:
            (u.user if isinstance(u, FakeMember) else u).accepts_dms = True

    async def add_member(
        self, username: str, *, locale: str = "nl", roles: list[FakeRole] | None = None, guild: FakeGuild | None = None
    ) -> FakeMember:
        """A new member joins (GUILD_MEMBER_ADD is sent if the client is connected with the members intent)."""
        g = guild or self.guild
        member = world.add_member(self.state, g, username, locale=locale, roles=roles)
        await self.echo("GUILD_MEMBER_ADD", {**payloads.member(member), "guild_id": str(g.id)}, GUILD_MEMBERS)
        return member

    async def add_guild(
        self,
        name: str,
        *,
        locale: str = "nl",
        channels: tuple[tuple[int, str], ...] = ((0, "general"),),
        roles: tuple[str, ...] = (),
    ) -> FakeGuild:
        """The bot joins a new guild (GUILD_CREATE) with these (type, name) channels and extra roles."""
        g = world.add_guild(self.state, name, locale=locale)
        for position, (type_, channel_name) in enumerate(channels):
            channel = self.state.add_channel(g, type_, channel_name, position=position)
            if g.system_channel_id is None and type_ == 0:
                g.system_channel_id = channel.id  # Discord's default: the first text channel
        for position, role_name in enumerate(roles, start=1):
            role = FakeRole(self.state.ids.next(), role_name, 0, position)
            g.roles[role.id] = role
        data = payloads.guild_create(g, self.state)
        del data["unavailable"]  # discord.py tells a join (no key) from a guild becoming available (false)
        await self.echo("GUILD_CREATE", data, GUILDS)
        return g

    async def remove_guild(self, guild: FakeGuild) -> None:
        """The bot is removed from a guild (GUILD_DELETE)."""
        self.state.guilds.pop(guild.id, None)
        await self.echo("GUILD_DELETE", {"id": str(guild.id)}, GUILDS)

    async def post_message(
        self, channel: FakeChannel | str, author: FakeMember | FakeUser, content: str, **fields: Any
    ) -> StoredMessage:
        """A user posts a message (MESSAGE_CREATE; content is blanked without the message content intent)."""
        ch = channel if isinstance(channel, FakeChannel) else self.channel(channel)
        user = author.user if isinstance(author, FakeMember) else author
        msg = self.state.add_message(StoredMessage(self.state.ids.next(), ch.id, user.id, content, **fields))
        msg.pings = payloads.compute_pings(content, None, interaction=False)
        data = payloads.message(msg, self.state)
        if not self.gateway.wants(1 << 15) and f"<@{self.state.bot_user.id}>" not in content:
            data.update(content="", embeds=[], attachments=[], components=[])
        await self.echo("MESSAGE_CREATE", data, GUILD_MESSAGES if ch.guild_id else 1 << 12)
        return msg

    async def create_forum_post(
        self,
        author: FakeMember | FakeUser,
        title: str,
        content: str,
        *,
        forum: FakeChannel | None = None,
        tags: list[str] = (),
    ) -> FakeChannel:  # type: ignore[assignment]
        """A user opens a forum post (THREAD_CREATE, then MESSAGE_CREATE for the starter message)."""
        parent = forum or self.world.forum
        user = author.user if isinstance(author, FakeMember) else author
        thread = self.state.add_channel(
            self.state.guild_of(parent),
            PUBLIC_THREAD,
            title,
            parent_id=parent.id,
            owner_id=user.id,
            applied_tags=[int(parent.tag_named(t)["id"]) for t in tags],
        )
        await echo_channel(self, "THREAD_CREATE", thread)
        msg = self.state.add_message(StoredMessage(thread.id, thread.id, user.id, content))
        await echo_message(self, "MESSAGE_CREATE", msg)
        return thread

    # -- interactions (see interactions.py) --------------------------------------------------------------------
    async def slash(self, path: str, *, user: FakeMember | FakeUser, **kwargs: Any) -> InteractionResult:
        """`/path` with options (kwargs or options={...}); see Interactions.slash."""
        return await self.interactions.slash(path, user=user, **kwargs)

    async def send_slash(self, path: str, *, user: FakeMember | FakeUser, **kwargs: Any) -> InteractionResult:
        """Dispatch `/path` at once, without waiting for a connection or an answer; see Interactions.send_slash."""
        return await self.interactions.send_slash(path, user=user, **kwargs)

    async def autocomplete(
        self, path: str, focused: str, value: Any, *, user: FakeMember | FakeUser, **kwargs: Any
    ) -> Choices:
        """The choices the bot offers while `value` is typed into `focused`."""
        return await self.interactions.autocomplete(path, focused, value, user=user, **kwargs)

    async def click(
        self,
        message: StoredMessage | int,
        custom_id: str,
        *,
        user: FakeMember | FakeUser,
        values: list[Any] | None = None,
        **kwargs: Any,
    ) -> InteractionResult:
        """Click a button / pick select values on a message."""
        return await self.interactions.click(message, custom_id, user=user, values=values, **kwargs)

    async def submit_modal(
        self,
        modal: ModalRecord | str,
        values: dict[str, Any],
        *,
        user: FakeMember | FakeUser | None = None,
        **kwargs: Any,
    ) -> InteractionResult:
        """Submit a modal the bot opened."""
        return await self.interactions.submit_modal(modal, values, user=user, **kwargs)

    async def context_menu(
        self, name: str, target: StoredMessage | FakeMember | FakeUser, *, user: FakeMember | FakeUser, **kwargs: Any
    ) -> InteractionResult:
        """A user or message context-menu command."""
        return await self.interactions.context_menu(name, target, user=user, **kwargs)
