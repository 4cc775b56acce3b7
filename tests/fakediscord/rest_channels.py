"""REST routes for channels: messages, pins, threads and forum posts, channel edits and DMs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import payloads
from .constants import DM, FORUM, MANAGE_CHANNELS, MANAGE_MESSAGES, MANAGE_THREADS, PIN_MESSAGES, PUBLIC_THREAD, now_iso
from .limits import Problem
from .rest import (
    FAKE,
    RECORD,
    ApiError,
    check,
    check_edit,
    echo_channel,
    echo_message,
    edit_message,
    get_channel,
    get_message,
    json_response,
    new_message,
    read_body,
    require,
    require_send,
)
from .state import FakeChannel

REQUIRE_TAG = 1 << 4
routes = web.RouteTableDef()


@routes.get("/channels/{channel_id}")
async def get_channel_route(request: web.Request) -> web.Response:
    """GET a channel, thread or DM."""
    fake = request.app[FAKE]
    return json_response(payloads.channel(get_channel(fake, request), fake.state))


@routes.get("/channels/{channel_id}/messages/pins")
async def list_pins(request: web.Request) -> web.Response:
    """GET the newer paginated pins list ({items: [{pinned_at, message}], has_more})."""
    fake = request.app[FAKE]
    channel = get_channel(fake, request)
    pins = sorted(fake.state.pins.get(channel.id, {}).items(), key=lambda kv: kv[1], reverse=True)
    items = [{"pinned_at": at, "message": payloads.message(fake.state.messages[mid], fake.state)} for mid, at in pins]
    return json_response({"items": items, "has_more": False})


@routes.get("/channels/{channel_id}/pins")
async def list_pins_legacy(request: web.Request) -> web.Response:
    """GET the legacy pins list (an array of messages)."""
    fake = request.app[FAKE]
    channel = get_channel(fake, request)
    ids = sorted(fake.state.pins.get(channel.id, {}), reverse=True)
    return json_response([payloads.message(fake.state.messages[m], fake.state) for m in ids])


@routes.put("/channels/{channel_id}/messages/pins/{message_id}")
@routes.put("/channels/{channel_id}/pins/{message_id}")
async def pin(request: web.Request) -> web.Response:
    """Pin a message (discord.py 2.7 uses /messages/pins/{id}; the legacy /pins/{id} also works)."""
    return await _set_pinned(request, pinned=True)


@routes.delete("/channels/{channel_id}/messages/pins/{message_id}")
@routes.delete("/channels/{channel_id}/pins/{message_id}")
async def unpin(request: web.Request) -> web.Response:
    """Unpin a message."""
    return await _set_pinned(request, pinned=False)


async def _set_pinned(request: web.Request, *, pinned: bool) -> web.Response:
    fake = request.app[FAKE]
    await read_body(request)
    channel = get_channel(fake, request)
    msg = get_message(fake, channel, request.match_info["message_id"])
    guild = fake.state.guild_of(channel)
    if guild and not fake.state.permissions(guild, fake.state.bot_user.id, channel) & (MANAGE_MESSAGES | PIN_MESSAGES):
        raise ApiError(403, 50013, "Missing Permissions")
    msg.pinned = pinned
    pins = fake.state.pins.setdefault(channel.id, {})
    if pinned:
        pins[msg.id] = now_iso()
    else:
        pins.pop(msg.id, None)
    await echo_message(fake, "MESSAGE_UPDATE", msg)
    return json_response(None, 204)


@routes.get("/channels/{channel_id}/messages")
async def history(request: web.Request) -> web.Response:
    """GET channel messages, newest first (limit, before, after, around)."""
    fake = request.app[FAKE]
    channel = get_channel(fake, request)
    msgs = [m for m in fake.state.channel_history(channel.id) if not m.ephemeral]
    q = request.query
    limit = min(int(q.get("limit", 50)), 100)
    if "before" in q:
        msgs = [m for m in msgs if m.id < int(q["before"])][-limit:]
    elif "after" in q:
        msgs = [m for m in msgs if m.id > int(q["after"])][:limit]
    elif "around" in q:
        pivot = int(q["around"])
        older = [m for m in msgs if m.id <= pivot][-(limit // 2 + 1) :]
        msgs = older + [m for m in msgs if m.id > pivot][: limit - len(older)]
    else:
        msgs = msgs[-limit:]
    return json_response([payloads.message(m, fake.state) for m in reversed(msgs)])


@routes.post("/channels/{channel_id}/messages")
async def send(request: web.Request) -> web.Response:
    """POST a message (JSON or multipart with files). With `nonce` and `enforce_nonce: true`, a resend within
    `fake.nonce_window` returns the message that nonce created (200, nothing new, no MESSAGE_CREATE)."""
    fake = request.app[FAKE]
    body, uploads = await read_body(request)
    channel = get_channel(fake, request)
    check(fake, request, "message_create", body, has_files=bool(uploads))
    if channel.type == FORUM:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    require_send(fake, channel)
    nonce, author = body.get("nonce"), fake.state.bot_user.id
    if nonce is not None and body.get("enforce_nonce") is True:
        found = fake.nonces.find(channel.id, author, nonce)
        existing = fake.state.messages.get(found) if found is not None else None
        if existing is not None and not existing.deleted:
            request[RECORD].deduplicated = True
            fake.deduplicated.append(existing.id)
            return json_response(payloads.message(existing, fake.state))
    msg = new_message(
        fake, channel.id, body, uploads, interaction=False, type=19 if body.get("message_reference") else 0
    )
    if nonce is not None:
        fake.nonces.remember(channel.id, author, nonce, msg.id)
    await echo_message(fake, "MESSAGE_CREATE", msg)
    return json_response(payloads.message(msg, fake.state))


@routes.get("/channels/{channel_id}/messages/{message_id}")
async def fetch_message(request: web.Request) -> web.Response:
    """GET one message."""
    fake = request.app[FAKE]
    channel = get_channel(fake, request)
    return json_response(payloads.message(get_message(fake, channel, request.match_info["message_id"]), fake.state))


@routes.patch("/channels/{channel_id}/messages/{message_id}")
async def edit(request: web.Request) -> web.Response:
    """PATCH a message the bot wrote."""
    fake = request.app[FAKE]
    body, uploads = await read_body(request)
    channel = get_channel(fake, request)
    msg = get_message(fake, channel, request.match_info["message_id"])
    check_edit(fake, request, msg, body, uploads)
    if msg.author_id != fake.state.bot_user.id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    edit_message(fake, msg, body, uploads, interaction=False)
    await echo_message(fake, "MESSAGE_UPDATE", msg)
    return json_response(payloads.message(msg, fake.state))


@routes.delete("/channels/{channel_id}/messages/{message_id}")
async def delete(request: web.Request) -> web.Response:
    """DELETE a message (own messages, or anyone's with MANAGE_MESSAGES)."""
    fake = request.app[FAKE]
    channel = get_channel(fake, request)
    msg = get_message(fake, channel, request.match_info["message_id"])
    if msg.author_id != fake.state.bot_user.id and channel.type != DM:
        require(fake, channel, MANAGE_MESSAGES)
    msg.deleted = True
    await echo_message(fake, "MESSAGE_DELETE", msg)
    return json_response(None, 204)


@routes.post("/channels/{channel_id}/threads")
async def create_thread(request: web.Request) -> web.Response:
    """POST a thread: a forum post (with nested `message`) or a thread without a starter message."""
    fake = request.app[FAKE]
    body, uploads = await read_body(request)
    channel = get_channel(fake, request)
    if channel.type != FORUM:
        check(fake, request, "thread", body)
        thread = _new_thread(fake, channel, body, type_=int(body.get("type") or 12))
        await echo_channel(fake, "THREAD_CREATE", thread)
        return json_response(payloads.channel(thread, fake.state), 201)
    extra = [] if "message" in body else [Problem(("message",), "BASE_TYPE_REQUIRED", "Forum posts need a message")]
    extra += _unknown_tags(channel, body.get("applied_tags"), ("applied_tags",))
    check(fake, request, "forum_thread", body, has_files=bool(uploads), extra=extra)
    if channel.flags & REQUIRE_TAG and not body.get("applied_tags"):
        raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
    require_send(fake, channel)
    thread = _new_thread(fake, channel, body, type_=PUBLIC_THREAD)
    msg = new_message(fake, thread.id, body["message"], uploads, interaction=False, id=thread.id)
    await echo_channel(fake, "THREAD_CREATE", thread)
    await echo_message(fake, "MESSAGE_CREATE", msg)
    out = payloads.channel(thread, fake.state)
    out["message"] = payloads.message(msg, fake.state)
    out["member"] = {
        "id": str(thread.id),
        "user_id": str(fake.state.bot_user.id),
        "join_timestamp": now_iso(),
        "flags": 1,
    }
    return json_response(out, 201)


@routes.post("/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(request: web.Request) -> web.Response:
    """POST a thread started from a message (the thread gets the message's id)."""
    fake = request.app[FAKE]
    body, _ = await read_body(request)
    channel = get_channel(fake, request)
    msg = get_message(fake, channel, request.match_info["message_id"])
    check(fake, request, "thread_from_message", body)
    if msg.id in fake.state.channels:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    thread = _new_thread(fake, channel, body, type_=PUBLIC_THREAD, id=msg.id)
    await echo_channel(fake, "THREAD_CREATE", thread)
    return json_response(payloads.channel(thread, fake.state), 201)


def _new_thread(fake: Any, parent: FakeChannel, body: dict[str, Any], *, type_: int, **fields: Any) -> FakeChannel:
    guild = fake.state.guild_of(parent)
    require(fake, parent, 1 << 35 if type_ == PUBLIC_THREAD else 1 << 36)  # CREATE_PUBLIC/PRIVATE_THREADS
    return fake.state.add_channel(
        guild,
        type_,
        body["name"].strip(),
        parent_id=parent.id,
        owner_id=fake.state.bot_user.id,
        applied_tags=[int(t) for t in body.get("applied_tags") or []],
        auto_archive_duration=body.get("auto_archive_duration") or 1440,
        rate_limit_per_user=body.get("rate_limit_per_user") or 0,
        member_ids=[fake.state.bot_user.id],
        invitable=body.get("invitable", True) is not False,
        **fields,
    )


def _unknown_tags(forum: FakeChannel | None, tags: Any, path: tuple[str, ...]) -> list[Problem]:
    known = {int(t["id"]) for t in forum.available_tags} if forum else set()
    return [
        Problem((*path, i), "UNKNOWN_TAG", f"Tag {t} does not exist in this forum")
        for i, t in enumerate(tags or [])
        if int(t) not in known
    ]


@routes.patch("/channels/{channel_id}")
async def edit_channel(request: web.Request) -> web.Response:
    """PATCH a thread (name, archived, locked, applied_tags...) or a channel (incl. forum available_tags)."""
    fake = request.app[FAKE]
    body, _ = await read_body(request)
    channel = get_channel(fake, request)
    if channel.is_thread:
        parent = fake.state.channels.get(channel.parent_id)
        extra = _unknown_tags(parent, body.get("applied_tags"), ("applied_tags",)) if "applied_tags" in body else []
        check(fake, request, "thread_edit", body, extra=extra)
        if channel.owner_id != fake.state.bot_user.id or "locked" in body:
            require(fake, channel, MANAGE_THREADS)
        for key in ("name", "archived", "locked", "auto_archive_duration", "rate_limit_per_user"):
            if key in body and body[key] is not None:
                setattr(channel, key, body[key])
        if "applied_tags" in body:
            channel.applied_tags = [int(t) for t in body["applied_tags"] or []]
        await echo_channel(fake, "THREAD_UPDATE", channel)
        return json_response(payloads.channel(channel, fake.state))
    extra = []
    if "available_tags" in body:
        known = {int(t["id"]) for t in channel.available_tags}
        extra = [
            Problem(("available_tags", i, "id"), "UNKNOWN_TAG", f"Tag {t['id']} does not exist")
            for i, t in enumerate(body["available_tags"] or [])
            if t.get("id") and int(t["id"]) not in known
        ]
    check(fake, request, "channel_edit", body, extra=extra)
    require(fake, channel, MANAGE_CHANNELS)
    for key in ("name", "topic", "flags", "position", "rate_limit_per_user"):
        if key in body and body[key] is not None:
            setattr(channel, key, body[key])
    if "available_tags" in body:
        channel.available_tags = [
            {**t, "id": int(t["id"]) if t.get("id") else fake.state.ids.next()} for t in body["available_tags"] or []
        ]
    await echo_channel(fake, "CHANNEL_UPDATE", channel)
    return json_response(payloads.channel(channel, fake.state))


@routes.post("/channels/{channel_id}/typing")
async def typing(request: web.Request) -> web.Response:
    """POST typing indicator."""
    get_channel(request.app[FAKE], request)
    return json_response(None, 204)


@routes.post("/users/@me/channels")
async def open_dm(request: web.Request) -> web.Response:
    """POST a DM channel with a user (created once, then reused)."""
    fake = request.app[FAKE]
    body, _ = await read_body(request)
    check(fake, request, "dm_create", body)
    user_id = int(body["recipient_id"])
    if user_id not in fake.state.users:
        raise ApiError(400, 50033, "Invalid Recipient(s)")
    return json_response(payloads.channel(fake.dm_channel(fake.state.users[user_id]), fake.state))
