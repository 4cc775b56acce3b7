"""REST plumbing shared by the route modules: the middleware, error type, bodies, messages and echo events."""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web

from . import payloads, validation
from .constants import DM, EPHEMERAL, LOADING, SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL, now_iso
from .gateway import DIRECT_MESSAGES, GUILD_MESSAGES, GUILDS
from .ratelimits import Decision
from .records import StoredAttachment, StoredMessage
from .state import FakeChannel

if TYPE_CHECKING:
    from .server import FakeDiscord

API_PREFIX = "/api/v10"
FAKE: web.AppKey[FakeDiscord] = web.AppKey("fake")


class ApiError(Exception):
    """Answer a request with a Discord error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.body = status, payloads.error(code, message, errors)


@dataclass
class Upload:
    """One `files[n]` part of a multipart request."""

    index: int
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class RequestRecord:
    """A request as it reached the fake (after multipart parsing)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[Upload] = field(default_factory=list)
    status: int = 0
    deduplicated: bool = False
    """A message create answered with the message its `nonce` already created (`enforce_nonce`); nothing new."""


RECORD: web.RequestKey[RequestRecord] = web.RequestKey("record")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Content-Type exactly `application/json` (discord.py compares the whole string)."""
    if status == 204:
        return web.Response(status=204, headers=headers)
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={hdrs.CONTENT_TYPE: "application/json", **(headers or {})},
    )


@web.middleware
async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Injected failures first, then the route; unknown routes answer 404 and fail the test."""
    fake = request.app[FAKE]
    api = request.path.startswith(API_PREFIX)
    sub = request.path[len(API_PREFIX) :] if api else request.path
    record = request[RECORD] = RequestRecord(request.method, request.path, dict(request.query), None)
    fake.requests.append(record)
    decision = fake.limiter.decide(request.method, sub) if api else None
    response: web.StreamResponse | None = None
    try:
        response = fake.injections.take(request.method, sub)
        if response is None and decision is not None and decision.status == 429:
            response = json_response(decision.body, 429, decision.headers)
        if response is None:
            response = await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        fake.record_failure(f"unknown route: {request.method} {request.path_qs} (the fake answered 404)")
        response = json_response(payloads.error(0, "404: Not Found"), 404)
    except ApiError as exc:
        response = json_response(exc.body, exc.status)
    finally:
        record.status = response.status if response is not None else 500
        if response is not None and decision is not None:
            finish_rate_limit(fake, decision, response)
        fake.notify()
    return response


def finish_rate_limit(fake: FakeDiscord, decision: Decision, response: web.StreamResponse) -> None:
    """Put the bucket headers on every response of a bucketed route (errors too); count 429s by scope."""
    for key, value in decision.headers.items():
        response.headers.setdefault(key, value)
    if not decision.counted:
        return
    fake.limiter.stats.by_status[response.status] += 1
    if response.status == 429:
        fake.limiter.stats.limited[response.headers.get("X-RateLimit-Scope", "user")] += 1


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """The JSON body, or `payload_json` plus `files[n]` parts of a multipart body; recorded on the fake."""
    uploads: list[Upload] = []
    body: Any = None
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None) or ""
            if name == "payload_json":
                body = json.loads(await part.text())  # type: ignore[union-attr]
            elif match := re.fullmatch(r"files\[(\d+)\]", name):
                data = bytes(await part.read())  # type: ignore[union-attr]
                filename = getattr(part, "filename", None) or f"file{match[1]}"
                uploads.append(Upload(int(match[1]), filename, data, part.headers.get(hdrs.CONTENT_TYPE)))
            else:
                request.app[FAKE].record_failure(f"multipart part {name!r} not understood on {request.path}")
    elif request.can_read_body:
        raw = await request.read()
        if raw:
            body = json.loads(raw)
    record = request[RECORD]
    record.body, record.files = body, uploads
    return body, uploads


def check(
    fake: FakeDiscord,
    request: web.Request,
    kind: str,
    body: Any,
    *,
    has_files: bool = False,
    extra: list[validation.Problem] | None = None,
) -> None:
    """Validate a body; on problems record a violation and answer 400 (50035, or 50006 for empty messages)."""
    found = (extra or []) + validation.problems(kind, body, has_files=has_files)
    if not found:
        return
    empty = all(p.code == "EMPTY_MESSAGE" for p in found)
    code, message = (50006, "Cannot send an empty message") if empty else (50035, "Invalid Form Body")
    fake.record_violation(validation.Violation(request.method, request.path, code, found))
    raise ApiError(400, code, message, None if empty else validation.errors_tree(found))


def parse_id(value: str) -> int:
    """A snowflake from the URL (404 Unknown if it isn't one)."""
    if not value.isdigit():
        raise ApiError(404, 10003, "Unknown Channel")
    return int(value)


def get_channel(fake: FakeDiscord, request: web.Request, key: str = "channel_id") -> FakeChannel:
    """The channel named in the URL, or 404 10003."""
    channel = fake.state.channels.get(parse_id(request.match_info[key]))
    if channel is None:
        raise ApiError(404, 10003, "Unknown Channel")
    return channel


def get_message(fake: FakeDiscord, channel: FakeChannel, message_id: str) -> StoredMessage:
    """A live, non-ephemeral message of the channel, or 404 10008."""
    msg = fake.state.messages.get(int(message_id)) if message_id.isdigit() else None
    if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral:
        raise ApiError(404, 10008, "Unknown Message")
    return msg


def require(fake: FakeDiscord, channel: FakeChannel, perm: int) -> None:
    """403 50013 unless the bot has `perm` in the channel (DMs always pass)."""
    guild = fake.state.guild_of(channel)
    if guild is None:
        return
    if fake.state.permissions(guild, fake.state.bot_user.id, channel) & (perm | VIEW_CHANNEL) != perm | VIEW_CHANNEL:
        raise ApiError(403, 50013, "Missing Permissions")


def require_send(fake: FakeDiscord, channel: FakeChannel) -> None:
    """The checks Discord makes before a bot posts: permissions, DMs open, locked/archived threads."""
    if channel.type == DM:
        other = next((fake.state.users[u] for u in channel.recipients if u != fake.state.bot_user.id), None)
        if other is not None and not other.accepts_dms:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        return
    require(fake, channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
    if channel.is_thread:
        if channel.locked:
            raise ApiError(403, 160005, "Thread is locked")
        channel.archived = False


def make_attachments(fake: FakeDiscord, body: dict[str, Any], uploads: list[Upload]) -> list[StoredAttachment]:
    """Store uploaded files as attachments (filename/description from the `attachments` array of the payload)."""
    described = {int(a["id"]): a for a in body.get("attachments") or [] if str(a.get("id", "")).isdigit()}
    out: list[StoredAttachment] = []
    for up in uploads:
        meta = described.get(up.index, {})
        att_id = fake.state.ids.next()
        filename = meta.get("filename") or up.filename
        content_type = up.content_type or mimetypes.guess_type(filename)[0]
        att = StoredAttachment(
            att_id,
            filename,
            up.data,
            f"{fake.http_base}/attachments/{att_id}/{filename}",
            content_type,
            meta.get("description"),
        )
        fake.state.attachments[att_id] = att
        out.append(att)
    return out


def new_message(
    fake: FakeDiscord,
    channel_id: int,
    body: dict[str, Any],
    uploads: list[Upload],
    *,
    interaction: bool,
    flags: int | None = None,
    **fields: Any,
) -> StoredMessage:
    """Create and store a message from a request body, computing what it would ping."""
    state = fake.state
    replied = None
    ref = body.get("message_reference")
    if ref and ref.get("message_id") and int(ref["message_id"]) in state.messages:
        replied = state.messages[int(ref["message_id"])].author_id
    msg = StoredMessage(
        id=fields.pop("id", None) or state.ids.next(),
        channel_id=channel_id,
        author_id=fields.pop("author_id", state.bot_user.id),
        content=body.get("content") or "",
        embeds=body.get("embeds") or [],
        components=body.get("components") or [],
        flags=int(body.get("flags") or 0) if flags is None else flags,
        attachments=make_attachments(fake, body, uploads),
        allowed_mentions=body.get("allowed_mentions"),
        pings=payloads.compute_pings(
            body.get("content") or "", body.get("allowed_mentions"), interaction=interaction, replied_user=replied
        ),
        message_reference=ref,
        tts=bool(body.get("tts")),
        nonce=body.get("nonce"),
        **fields,
    )
    return state.add_message(msg)


def check_edit(fake: FakeDiscord, request: web.Request, msg: StoredMessage, body: Any, uploads: list[Upload]) -> None:
    """Validate an edit body, and reject (50006) an edit that would leave the message empty."""
    check(
        fake, request, "message_edit" if "/channels/" in request.path else "webhook_edit", body, has_files=bool(uploads)
    )
    after = {k: body.get(k, getattr(msg, k)) for k in ("content", "embeds", "components")}
    kept = body.get("attachments", msg.attachments)
    if not (any(after.values()) or kept or uploads):
        found = [validation.Problem((), "EMPTY_MESSAGE", "Cannot send an empty message")]
        check(fake, request, "", body, extra=found)


def edit_message(
    fake: FakeDiscord, msg: StoredMessage, body: dict[str, Any], uploads: list[Upload], *, interaction: bool
) -> StoredMessage:
    """Apply an edit; the previous version is kept in `msg.edits`. Filling a deferred message computes its pings."""
    msg.edits.append(payloads.message(msg, fake.state))
    was_loading = msg.loading
    for key in ("content", "embeds", "components"):
        if key in body:
            setattr(msg, key, body[key] or ("" if key == "content" else []))
    if "allowed_mentions" in body:
        msg.allowed_mentions = body["allowed_mentions"]
    if "attachments" in body or uploads:
        keep = {int(a["id"]) for a in body.get("attachments") or [] if str(a.get("id", "")).isdigit()}
        kept = [a for a in msg.attachments if "attachments" not in body or a.id in keep]
        msg.attachments = kept + make_attachments(fake, body, uploads)
    msg.flags &= ~LOADING
    if was_loading:
        msg.pings = payloads.compute_pings(msg.content, msg.allowed_mentions, interaction=interaction)
    msg.edited_timestamp = None if was_loading else now_iso()
    return msg


async def echo_message(fake: FakeDiscord, event: str, msg: StoredMessage) -> None:
    """Send MESSAGE_CREATE/UPDATE/DELETE as Discord would (never for ephemeral messages; intents respected)."""
    channel = fake.state.channels.get(msg.channel_id)
    if channel is None or msg.flags & EPHEMERAL:
        return
    intent = DIRECT_MESSAGES if channel.type == DM else GUILD_MESSAGES
    if event == "MESSAGE_DELETE":
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
    else:
        data = payloads.message(msg, fake.state)
    await fake.echo(event, data, intent)


async def echo_channel(fake: FakeDiscord, event: str, channel: FakeChannel) -> None:
    """Send CHANNEL_/THREAD_ events (GUILDS intent)."""
    data = payloads.channel(channel, fake.state)
    if event == "THREAD_CREATE":
        data["newly_created"] = True
    await fake.echo(event, data, GUILDS)
