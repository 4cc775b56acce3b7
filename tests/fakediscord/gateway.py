"""The fake gateway: a websocket at /gateway that speaks plain-text JSON (compression requests are ignored).

Sessions work like Discord's: every DISPATCH gets the session's next sequence number and is kept in the session's
buffer. While the client is away (a closed socket, op 7 RECONNECT, op 9 INVALID_SESSION with d=true) new events
are buffered, not dropped; a RESUME with the session id and the last sequence number the client saw gets every
event after that number again, in order, and then RESUMED. A session that ends (op 9 with d=false, close codes
4007/4009 and the fatal ones, a client close with 1000/1001, a new IDENTIFY) is gone: a RESUME of it is answered
with op 9 d=false, and events that were never written to a socket, or that happen before the next READY, are lost
(kept in `Gateway.lost`), as on Discord, where an interaction created in that gap never reaches the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

from . import payloads

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger("fakediscord.gateway")

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1, 1 << 1, 1 << 9, 1 << 12, 1 << 15

CLOSE_CODES: dict[int, str] = {
    1000: "Normal closure",
    1001: "Going away",
    4000: "Unknown error",
    4001: "Unknown opcode",
    4002: "Decode error",
    4003: "Not authenticated",
    4004: "Authentication failed",
    4005: "Already authenticated",
    4007: "Invalid seq",
    4008: "Rate limited",
    4009: "Session timed out",
    4010: "Invalid shard",
    4011: "Sharding required",
    4012: "Invalid API version",
    4013: "Invalid intent(s)",
    4014: "Disallowed intent(s)",
}
"""Discord's gateway close codes (events/gateway.mdx, opcodes-and-status-codes.mdx) and the two websocket ones."""

FATAL_CLOSES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})
"""discord.py does not reconnect after these (`DiscordWebSocket._can_handle_close`): `Client.start()` raises
`ConnectionClosed`, or `PrivilegedIntentsRequired` for 4014. The fake ends the session."""

SESSION_ENDING_CLOSES = frozenset({4007, 4009})
"""Discord ends the session ("reconnect and start a new session"). discord.py tries to RESUME anyway (it resumes
after every non-fatal code), gets op 9 INVALID_SESSION d=false, closes with 1000 and IDENTIFYs again after its
`before_identify_hook` (5 s by default; see `FakeDiscord.reidentify_delay`)."""

Outcome = Literal["resume", "reidentify", "stop"]
"""How discord.py recovers from a fault: RESUME the session, IDENTIFY a new one, or stop with an error."""

Delivery = Literal["sent", "buffered", "lost"]
"""What became of a dispatched event: written to the live socket, kept for the client's RESUME, or lost."""


def close_outcome(code: int) -> Outcome:
    """What discord.py 2.7 does when the fake closes the socket with `code`, given what the fake does with the session.

    Every code but the fatal ones makes discord.py reconnect and RESUME, a server-sent 1000 included (an
    "improper close" to discord.py); that RESUME succeeds unless the code ended the session.
    """
    if code in FATAL_CLOSES:
        return "stop"
    return "reidentify" if code in SESSION_ENDING_CLOSES else "resume"


@dataclass
class GatewayEvent:
    """One DISPATCH: the sequence number its session gave it (0 when it was lost), its name and data."""

    seq: int
    event: str
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """The frame as sent."""
        return {"op": DISPATCH, "t": self.event, "s": self.seq, "d": self.data}


@dataclass
class Session:
    """One gateway session: survives reconnects through RESUME until it ends."""

    id: str
    intents: int
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    alive: bool = True
    buffer: list[GatewayEvent] = field(default_factory=list)
    """Every dispatch of the session, in order: `buffer[n].seq == n + 1`."""
    written: int = 0
    """The last sequence number written to the current socket (set to the client's seq on RESUME)."""
    written_ever: int = 0
    """The highest sequence number ever written to any socket of this session."""
    resumes: int = 0
    replayed: list[GatewayEvent] = field(default_factory=list)
    """Events sent again because a RESUME asked for them (over all resumes)."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Gateway:
    """Accepts discord.py's websocket, runs the handshake, and sends, buffers and replays events."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.session: Session | None = None
        """The most recent session (it may have ended: see `Session.alive`)."""
        self.sessions: dict[str, Session] = {}
        self.ops: list[int] = []
        self.identify: dict[str, Any] | None = None
        self.connections = 0
        self.sent: list[dict[str, Any]] = []
        self.lost: list[GatewayEvent] = []
        """Events no session took (none alive), and events a session never wrote before it ended."""
        self.closes: list[tuple[str, int | None]] = []
        """Every close, in order: ("fake", code) for the fake's, ("client", code) for the client's."""
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def intents(self) -> int:
        """The intents of the current session (0 before IDENTIFY)."""
        return self.session.intents if self.session else 0

    @property
    def live(self) -> Session | None:
        """The session that takes events now (connected or not), or None before IDENTIFY and after it ended."""
        s = self.session
        return s if s is not None and s.alive else None

    def wants(self, intent: int) -> bool:
        """Whether the connected client asked for this intent."""
        return bool(self.intents & intent)

    # -- the socket ----------------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket handler mounted at /gateway."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections += 1
        client_code: int | None = None
        await self._send_raw(ws, {"op": HELLO, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            while True:
                msg = await ws.receive()
                if msg.type is WSMsgType.TEXT:
                    await self._on_message(ws, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    self.fake.record_failure("gateway: client sent a BINARY frame (unsupported by the fake)")
                else:
                    if msg.type is WSMsgType.CLOSE:
                        client_code = int(msg.data)
                    break
        finally:
            self._sockets.discard(ws)
            self._gone(ws, client_code)
            self.fake.notify()
        return ws

    def _gone(self, ws: web.WebSocketResponse, client_code: int | None) -> None:
        """A socket ended; if the fake did not close it, the client did (or the connection dropped)."""
        for session in self.sessions.values():
            if session.ws is not ws:
                continue
            session.ws = None
            session.ready.clear()
            self.closes.append(("client", client_code))
            if client_code in (1000, 1001):  # Discord: a client closing with 1000/1001 ends its session
                self._end(session)

    async def _on_message(self, ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        op: int = msg.get("op", -1)
        data: Any = msg.get("d")
        self.ops.append(op)
        if op == HEARTBEAT:
            await self._send_raw(ws, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(ws, data)
        elif op == RESUME:
            await self._resume(ws, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(data)
        elif op not in (3, 4):  # presence and voice state updates are accepted silently
            self.fake.record_failure(f"gateway: unexpected op {op}: {msg!r}")
        self.fake.notify()

    # -- handshakes ----------------------------------------------------------------------------------------------
    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.identify = data
        if self.session is not None:
            self._end(self.session)  # one connection per bot: a new session replaces the old one
        session = Session(uuid.uuid4().hex, int(data.get("intents", 0)), ws=ws)
        self.session = self.sessions[session.id] = session
        state = self.fake.state
        ready = {
            "v": 10,
            "user": payloads.me(state.bot_user),
            "guilds": [{"id": str(g), "unavailable": True} for g in state.guilds],
            "session_id": session.id,
            "resume_gateway_url": self.fake.gateway_url,
            "application": {"id": str(state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "session_type": "normal",
            "auth": {},
            "_trace": ["fakediscord"],
        }
        # READY and the GUILD_CREATEs are queued together, so no other event can come between them
        self._append(session, "READY", ready)
        threshold = int(data.get("large_threshold") or 250)
        for guild in state.guilds.values():
            self._append(session, "GUILD_CREATE", payloads.guild_create(guild, state, large_threshold=threshold))
        await self._pump(session)
        if session.ws is ws:
            session.ready.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.alive:
            await self._send_raw(ws, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        seq = data.get("seq") or 0
        if not isinstance(seq, int) or not 0 <= seq <= session.seq:
            self.fake.record_failure(f"gateway: RESUME with seq {seq!r}, but the session's last seq is {session.seq}")
            self._end(session)
            self.closes.append(("fake", 4007))
            await ws.close(code=4007, message=CLOSE_CODES[4007].encode())
            return
        async with session.lock:
            session.ws, session.written = ws, seq
            session.resumes += 1
            session.replayed += session.buffer[seq:]
            self._append(session, "RESUMED", {"_trace": ["fakediscord"]})
        await self._pump(session)
        if session.ws is ws:
            session.ready.set()

    async def _members_chunk(self, data: dict[str, Any]) -> None:
        guild = self.fake.state.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        found = [
            m
            for m in guild.members.values()
            if (m.id in wanted if wanted else m.user.username.lower().startswith(query))
        ]
        if data.get("limit"):
            found = found[: int(data["limit"])]
        chunk = {
            "guild_id": str(guild.id),
            "members": [payloads.member(m) for m in found],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.id for m in found}],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self.emit("GUILD_MEMBERS_CHUNK", chunk)

    # -- sending -------------------------------------------------------------------------------------------------
    async def _send_raw(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        await ws.send_str(json.dumps(payload))
        self.sent.append(payload)

    def _append(self, session: Session, event: str, data: dict[str, Any]) -> GatewayEvent:
        session.seq += 1
        entry = GatewayEvent(session.seq, event, data)
        session.buffer.append(entry)
        return entry

    async def _pump(self, session: Session) -> None:
        """Write every buffered event after `session.written` to the session's socket, in order, one writer at a
        time. A write that fails leaves the event buffered (the client's RESUME asks for it again)."""
        async with session.lock:
            while session.alive and session.ws is not None and session.written < session.seq:
                ws, entry = session.ws, session.buffer[session.written]
                try:
                    await self._send_raw(ws, entry.payload())
                except (ConnectionError, RuntimeError) as exc:
                    log.debug("could not write %s (seq %d): %r", entry.event, entry.seq, exc)
                    return
                if session.ws is ws:
                    session.written = entry.seq
                    session.written_ever = max(session.written_ever, entry.seq)

    async def emit(self, event: str, data: dict[str, Any]) -> Delivery:
        """Dispatch an event now, without waiting for anything: written to the live socket ("sent"), kept in the
        session's buffer while the client is away ("buffered"), or "lost" when no session is alive (before the
        first IDENTIFY, or after the session ended and before the next one), as on Discord."""
        session = self.live
        if session is None:
            self.lost.append(GatewayEvent(0, event, data))
            return "lost"
        entry = self._append(session, event, data)
        if session.ws is None:
            return "buffered"
        await self._pump(session)
        return "sent" if session.written_ever >= entry.seq else "buffered"

    async def dispatch(self, event: str, data: dict[str, Any], *, within: float = 5.0) -> Delivery:
        """Dispatch an event (see `emit`); with no live session yet, first wait up to `within` s for one."""
        if self.live is None:
            await self.fake.wait_until(lambda: self.live, within=within, what="a gateway session (IDENTIFY)")
        return await self.emit(event, data)

    @property
    def connected(self) -> Session | None:
        """The live session, if a client is connected to it and its READY or RESUMED has been sent."""
        s = self.live
        return s if s is not None and s.ws is not None and s.ready.is_set() else None

    async def wait_connected(self, within: float) -> Session:
        """The live, identified (or resumed) and connected session; waits up to `within` seconds for one."""
        return await self.fake.wait_until(lambda: self.connected, within=within, what="a connected gateway session")

    # -- faults --------------------------------------------------------------------------------------------------
    def _end(self, session: Session) -> None:
        """The session is over: it cannot be resumed, and events it never wrote are lost."""
        if not session.alive:
            return
        session.alive = False
        session.ready.clear()
        self.lost += session.buffer[session.written_ever :]

    def _detach(self) -> tuple[Session, web.WebSocketResponse]:
        session = self.session
        if session is None or not session.alive or session.ws is None:
            raise RuntimeError("fakediscord: no client is connected to the gateway")
        ws = session.ws
        session.ws = None
        session.ready.clear()
        return session, ws

    async def close(self, code: int = 4000) -> None:
        """Close the live socket with `code`, as Discord does. The session survives (the client's RESUME gets what
        it missed), except for `SESSION_ENDING_CLOSES` and `FATAL_CLOSES`, which end it."""
        session, ws = self._detach()
        if code in SESSION_ENDING_CLOSES or code in FATAL_CLOSES:
            self._end(session)
        self.closes.append(("fake", code))
        await ws.close(code=code, message=CLOSE_CODES.get(code, "fakediscord closed the connection").encode())

    async def reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes the socket (4000) and RESUMEs; events meanwhile are buffered."""
        _, ws = self._detach()
        await self._send_raw(ws, {"op": RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate(self, *, resumable: bool) -> None:
        """Send op 9 INVALID_SESSION. With d=true discord.py closes (4000) and RESUMEs, and gets what it missed;
        with d=false the session ends now: discord.py closes (1000) and IDENTIFYs again after its
        `before_identify_hook`, and events until the new READY are lost."""
        session, ws = self._detach()
        if not resumable:
            self._end(session)
        await self._send_raw(ws, {"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    async def fault(
        self,
        act: Callable[[], Awaitable[None]],
        outcome: Outcome,
        wait: bool,
        within: float | None,
        label: str,
    ) -> None:
        """Run a fault (`act`); with `wait`, wait until the client has recovered as `outcome` says: RESUMEd the same
        session, IDENTIFYd a new one (`within` plus `fake.reidentify_delay`), or stopped (its task ended)."""
        fake = self.fake
        old = self.session
        resumes = old.resumes if old is not None else 0
        await act()
        if not wait:
            return
        limit = (fake.timeout if within is None else within) + (fake.reidentify_delay if outcome == "reidentify" else 0)
        if outcome == "stop":
            task = fake.bot_task
            if task is not None:
                await asyncio.wait({task}, timeout=limit)
                if not task.done():
                    from .server import FakeTimeoutError  # here: server imports this module

                    raise FakeTimeoutError(f"the client did not stop within {limit:.1f}s after {label}")
            return

        def back() -> bool:
            live = self.connected
            if live is None:
                return False
            return live is old and live.resumes > resumes if outcome == "resume" else live is not old

        await fake.wait_until(back, within=limit, what=f"the client to {outcome.upper()} after {label}")

    async def shutdown(self) -> None:
        """Close every open socket (used when the fake stops)."""
        for session in self.sessions.values():
            session.ws = None
            session.ready.clear()
        for ws in list(self._sockets):
            await ws.close(code=1001)
