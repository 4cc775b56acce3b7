"""The fake gateway: a websocket at /gateway that speaks plain-text JSON (compression requests are ignored)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger("fakediscord.gateway")

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS, HELLO, INVALID_SESSION, HEARTBEAT_ACK = 0, 1, 2, 6, 8, 10, 9, 11
GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1, 1 << 1, 1 << 9, 1 << 12, 1 << 15


@dataclass
class Session:
    """One gateway session (survives reconnects through RESUME)."""

    id: str
    intents: int
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class Gateway:
    """Accepts discord.py's websocket, runs the handshake and sends events."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.session: Session | None = None
        self.ops: list[int] = []
        self.identify: dict[str, Any] | None = None
        self.connections = 0
        self.sent: list[dict[str, Any]] = []
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def intents(self) -> int:
        """The intents of the current session (0 before IDENTIFY)."""
        return self.session.intents if self.session else 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket handler mounted at /gateway."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections += 1
        await self._send_raw(ws, {"op": HELLO, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_message(ws, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    self.fake.record_failure("gateway: client sent a BINARY frame (unsupported by the fake)")
        finally:
            self._sockets.discard(ws)
            if self.session is not None and self.session.ws is ws:
                self.session.ws = None
                self.session.ready.clear()
            self.fake.notify()
        return ws

    async def _on_message(self, ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        op, data = msg.get("op"), msg.get("d")
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

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.identify = data
        self.session = Session(uuid.uuid4().hex, int(data.get("intents", 0)), ws=ws)
        state = self.fake.state
        ready = {
            "v": 10,
            "user": payloads.me(state.bot_user),
            "guilds": [{"id": str(g), "unavailable": True} for g in state.guilds],
            "session_id": self.session.id,
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
        await self._send_dispatch("READY", ready)
        for guild in state.guilds.values():
            threshold = int(data.get("large_threshold") or 250)
            await self._send_dispatch("GUILD_CREATE", payloads.guild_create(guild, state, large_threshold=threshold))
        self.session.ready.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.session
        if session is None or data.get("session_id") != session.id:
            await self._send_raw(ws, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        session.ws = ws
        await self._send_dispatch("RESUMED", {"_trace": ["fakediscord"]})
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
        await self._send_dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _send_raw(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        self.sent.append(payload)
        await ws.send_str(json.dumps(payload))

    async def _send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        session = self.session
        if session is None or session.ws is None:
            raise RuntimeError(f"fakediscord: cannot send {event}: no client is connected to the gateway")
        session.seq += 1
        await self._send_raw(session.ws, {"op": DISPATCH, "t": event, "s": session.seq, "d": data})

    async def wait_connected(self, within: float) -> Session:
        """The live, identified (or resumed) session; waits up to `within` seconds for one."""
        deadline = asyncio.get_running_loop().time() + within

        def live() -> Session | None:
            s = self.session
            return s if s is not None and s.ws is not None and s.ready.is_set() else None

        return await self.fake.wait_until(
            live, within=max(0.0, deadline - asyncio.get_running_loop().time()), what="a connected gateway session"
        )

    async def dispatch(self, event: str, data: dict[str, Any], *, within: float = 5.0) -> None:
        """Send a DISPATCH event, waiting for a live session first."""
        await self.wait_connected(within)
        await self._send_dispatch(event, data)

    def wants(self, intent: int) -> bool:
        """Whether the connected client asked for this intent."""
        return bool(self.intents & intent)

    async def close(self, code: int = 4000) -> None:
        """Close the live socket with `code` (4000 makes discord.py reconnect and RESUME)."""
        session = self.session
        if session is not None and session.ws is not None:
            ws = session.ws
            session.ready.clear()
            session.ws = None
            await ws.close(code=code, message=b"fakediscord closed the connection")

    async def shutdown(self) -> None:
        """Close every open socket (used when the fake stops)."""
        for ws in list(self._sockets):
            await ws.close(code=1001)
