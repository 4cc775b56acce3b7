"""REST routes for interaction callbacks (every type, with the full `with_response` body) and webhook follow-ups."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from . import payloads, validation
from .constants import EPHEMERAL, LOADING
from .limits import ALLOWED_CALLBACK_FLAGS, Checker, Problem, check_choices, check_message, check_modal
from .records import CallbackRecord, InteractionRecord, ModalRecord, StoredMessage
from .rest import FAKE, ApiError, check, check_edit, echo_message, edit_message, json_response, new_message, read_body

routes = web.RouteTableDef()
VALID_CALLBACKS = {2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9, 12}, 4: {8}, 5: {4, 5, 6, 7}}
MESSAGE_TYPE = {2: 20, 3: 19, 5: 19}


def callback_problems(rec: InteractionRecord, body: Any, *, has_files: bool) -> list[Problem]:
    """Type rules for this interaction, hand-written limits of the data, then the spec schema for the type."""
    c = Checker()
    if not isinstance(body, dict):
        c.add((), "BASE_TYPE_DICT", "Body must be a JSON object.")
        return c.problems
    type_, data = body.get("type"), body.get("data")
    allowed = set(VALID_CALLBACKS.get(rec.type, set()))
    if rec.type == 5 and rec.source_message_id is None:
        allowed -= {6, 7}
    if type_ not in allowed:
        c.add(
            ("type",),
            "INTERACTION_RESPONSE_TYPE_INVALID",
            f"Callback type {type_} is not valid for interaction type {rec.type} (allowed: {sorted(allowed)}).",
        )
    if isinstance(data, dict) and type_ in (4, 5, 7) and int(data.get("flags") or 0) & ~ALLOWED_CALLBACK_FLAGS:
        c.add(("data", "flags"), "INTERACTION_FLAGS_INVALID", f"Flags {data['flags']} not allowed.")
    if type_ == 4:
        check_message(c, data or {}, ("data",), has_files=has_files)
    elif type_ == 7:
        check_message(c, data or {}, ("data",), create=False)
    elif type_ == 8:
        check_choices(c, (data or {}).get("choices"), ("data", "choices"))
    elif type_ == 9:
        check_modal(c, data or {}, ("data",))
    schema = validation.CALLBACK_SCHEMAS.get(type_) if isinstance(type_, int) else None
    if schema is not None:
        known = {p.path for p in c.problems}
        c.problems += [p for p in validation.spec_problems(schema, body) if p.path not in known]
    return c.problems


@routes.post("/interactions/{interaction_id}/{token}/callback")
async def callback(request: web.Request) -> web.Response:
    """The initial response: 10062 when unknown or late, 40060 when already acknowledged."""
    fake = request.app[FAKE]
    arrived = asyncio.get_running_loop().time()
    body, uploads = await read_body(request)
    iid = request.match_info["interaction_id"]
    rec = fake.state.interactions.get(int(iid)) if iid.isdigit() else None
    if rec is None or rec.token != request.match_info["token"]:
        raise ApiError(404, 10062, "Unknown interaction")
    type_ = body.get("type") if isinstance(body, dict) else None
    data = (body.get("data") if isinstance(body, dict) else None) or {}
    attempt = CallbackRecord(type_ if isinstance(type_, int) else -1, data or None, 400, received_at=arrived)
    rec.callbacks.append(attempt)
    try:
        if rec.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged")
        if asyncio.get_running_loop().time() - rec.dispatched_at > fake.deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        check(fake, request, "callback", body, extra=callback_problems(rec, body, has_files=bool(uploads)))
        out = await _respond(fake, rec, type_, data, uploads)
    except ApiError as exc:
        attempt.status, attempt.code = exc.status, exc.body["code"]
        raise
    attempt.status, attempt.response = 200, out
    rec.response_type = type_
    return json_response(out)


async def _respond(fake: Any, rec: InteractionRecord, type_: int, data: dict[str, Any], uploads: list[Any]) -> Any:
    interaction: dict[str, Any] = {"id": str(rec.id), "type": rec.type, "channel_id": str(rec.channel_id)}
    if rec.guild_id:
        interaction["guild_id"] = str(rec.guild_id)
    out: dict[str, Any] = {"interaction": interaction}
    msg: StoredMessage | None = None
    if type_ in (4, 5):
        flags = int(data.get("flags") or 0)
        if type_ == 5:
            flags, data = (flags & EPHEMERAL) | LOADING, {}
        msg = new_message(
            fake,
            rec.channel_id,
            data,
            uploads,
            interaction=True,
            flags=flags,
            type=MESSAGE_TYPE.get(rec.type, 0),
            webhook_id=fake.state.application_id,
            interaction_id=rec.id,
            visible_to=rec.user_id if flags & EPHEMERAL else None,
        )
        rec.original_message_id = msg.id
        await echo_message(fake, "MESSAGE_CREATE", msg)
    elif type_ in (6, 7):
        rec.original_message_id = rec.source_message_id
        msg = fake.state.messages[rec.source_message_id]
        if type_ == 7:
            edit_message(fake, msg, data, uploads, interaction=True)
            await echo_message(fake, "MESSAGE_UPDATE", msg)
    elif type_ == 8:
        rec.choices = list(data.get("choices") or [])
    elif type_ == 9:
        rec.modal = ModalRecord(data["custom_id"], data["title"], data["components"], rec.id)
    if msg is not None:
        interaction.update(
            response_message_id=str(msg.id),
            response_message_loading=msg.loading,
            response_message_ephemeral=msg.ephemeral,
        )
        if type_ != 6:
            out["resource"] = {"type": type_, "message": payloads.message(msg, fake.state)}
    return out


def _webhook_interaction(fake: Any, request: web.Request) -> InteractionRecord:
    token = request.match_info["token"]
    rec = next((r for r in fake.state.interactions.values() if r.token == token), None)
    if rec is None or request.match_info["webhook_id"] != str(fake.state.application_id):
        raise ApiError(404, 10015, "Unknown Webhook")
    return rec


@routes.post("/webhooks/{webhook_id}/{token}")
async def followup(request: web.Request) -> web.Response:
    """A follow-up; the first one after a deferred (type 5) response replaces the "thinking" message."""
    fake = request.app[FAKE]
    body, uploads = await read_body(request)
    rec = _webhook_interaction(fake, request)
    check(fake, request, "webhook_execute", body, has_files=bool(uploads))
    if not rec.acknowledged:
        raise ApiError(404, 10015, "Unknown Webhook")
    original = fake.state.messages.get(rec.original_message_id or 0)
    if rec.response_type == 5 and original is not None and original.loading:
        msg = edit_message(fake, original, body, uploads, interaction=True)
        await echo_message(fake, "MESSAGE_UPDATE", msg)
    else:
        flags = int(body.get("flags") or 0)
        msg = new_message(
            fake,
            rec.channel_id,
            body,
            uploads,
            interaction=True,
            flags=flags,
            type=MESSAGE_TYPE.get(rec.type, 0),
            webhook_id=fake.state.application_id,
            interaction_id=rec.id,
            visible_to=rec.user_id if flags & EPHEMERAL else None,
        )
        await echo_message(fake, "MESSAGE_CREATE", msg)
    rec.followup_ids.append(msg.id)
    if request.query.get("wait") in ("1", "true", "True"):
        return json_response(payloads.message(msg, fake.state))
    return json_response(None, 204)


def _webhook_message(fake: Any, rec: InteractionRecord, message_id: str) -> StoredMessage:
    if message_id == "@original":
        mid = rec.original_message_id
    else:
        mid = int(message_id) if message_id.isdigit() else None
        if mid not in rec.followup_ids and mid != rec.original_message_id:
            mid = None
    msg = fake.state.messages.get(mid or 0)
    if msg is None or msg.deleted:
        raise ApiError(404, 10008, "Unknown Message")
    return msg


@routes.get("/webhooks/{webhook_id}/{token}/messages/{message_id}")
async def get_webhook_message(request: web.Request) -> web.Response:
    """GET @original or a follow-up."""
    fake = request.app[FAKE]
    msg = _webhook_message(fake, _webhook_interaction(fake, request), request.match_info["message_id"])
    return json_response(payloads.message(msg, fake.state))


@routes.patch("/webhooks/{webhook_id}/{token}/messages/{message_id}")
async def edit_webhook_message(request: web.Request) -> web.Response:
    """PATCH @original (fills a deferred response) or a follow-up."""
    fake = request.app[FAKE]
    body, uploads = await read_body(request)
    rec = _webhook_interaction(fake, request)
    msg = _webhook_message(fake, rec, request.match_info["message_id"])
    check_edit(fake, request, msg, body, uploads)
    was_loading = msg.loading
    edit_message(fake, msg, body, uploads, interaction=True)
    if was_loading and msg.id not in rec.followup_ids:
        rec.followup_ids.append(msg.id)
    await echo_message(fake, "MESSAGE_UPDATE", msg)
    return json_response(payloads.message(msg, fake.state))


@routes.delete("/webhooks/{webhook_id}/{token}/messages/{message_id}")
async def delete_webhook_message(request: web.Request) -> web.Response:
    """DELETE @original or a follow-up."""
    fake = request.app[FAKE]
    rec = _webhook_interaction(fake, request)
    msg = _webhook_message(fake, rec, request.match_info["message_id"])
    msg.deleted = True
    await echo_message(fake, "MESSAGE_DELETE", msg)
    return json_response(None, 204)
