"""REST routes for thread members: add, remove and list who is in a thread (private threads above all).

As on Discord: adding someone needs Send Messages in Threads in the parent, an unarchived thread, and for a
private thread either being in it or Manage Threads; the user must be a member of the server. The bot is a
member of the threads it creates. THREAD_MEMBERS_UPDATE needs the privileged members intent, as on Discord.
"""

from __future__ import annotations

from aiohttp import web

from .constants import MANAGE_THREADS, PRIVATE_THREAD, SEND_MESSAGES_IN_THREADS, now_iso
from .gateway import GUILD_MEMBERS
from .rest import FAKE, ApiError, get_channel, json_response, parse_id, read_body, require
from .state import FakeChannel

routes = web.RouteTableDef()


def _thread(request: web.Request) -> FakeChannel:
    channel = get_channel(request.app[FAKE], request)
    if not channel.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    return channel


def _user_id(request: web.Request) -> int:
    raw = request.match_info["user_id"]
    return request.app[FAKE].state.bot_user.id if raw == "@me" else parse_id(raw)


def _member_object(thread: FakeChannel, user_id: int) -> dict[str, object]:
    return {"id": str(thread.id), "user_id": str(user_id), "join_timestamp": now_iso(), "flags": 0}


async def _members_update(request: web.Request, thread: FakeChannel, added: int | None, removed: int | None) -> None:
    data: dict[str, object] = {
        "id": str(thread.id),
        "guild_id": str(thread.guild_id),
        "member_count": len(thread.member_ids),
    }
    if added is not None:
        data["added_members"] = [_member_object(thread, added)]
    if removed is not None:
        data["removed_member_ids"] = [str(removed)]
    await request.app[FAKE].echo("THREAD_MEMBERS_UPDATE", data, GUILD_MEMBERS)


@routes.put("/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(request: web.Request) -> web.Response:
    """PUT a member into a thread (204); 404 10007 if they are not in the server."""
    fake = request.app[FAKE]
    await read_body(request)
    thread = _thread(request)
    guild = fake.state.guild_of(thread)
    user_id = _user_id(request)
    if guild is None or user_id not in guild.members:
        raise ApiError(404, 10007, "Unknown Member")
    if thread.archived:
        raise ApiError(400, 50083, "Thread is archived")
    require(fake, thread, SEND_MESSAGES_IN_THREADS)
    bot_id = fake.state.bot_user.id
    if thread.type == PRIVATE_THREAD and bot_id not in thread.member_ids and user_id != bot_id:
        require(fake, thread, MANAGE_THREADS)
    if user_id not in thread.member_ids:
        thread.member_ids.append(user_id)
        await _members_update(request, thread, user_id, None)
    return json_response(None, 204)


@routes.delete("/channels/{channel_id}/thread-members/{user_id}")
async def remove_thread_member(request: web.Request) -> web.Response:
    """DELETE a member from a thread (204): the bot itself, or anyone with Manage Threads."""
    fake = request.app[FAKE]
    thread = _thread(request)
    user_id = _user_id(request)
    if user_id != fake.state.bot_user.id:
        require(fake, thread, MANAGE_THREADS)
    if user_id in thread.member_ids:
        thread.member_ids.remove(user_id)
        await _members_update(request, thread, None, user_id)
    return json_response(None, 204)


@routes.get("/channels/{channel_id}/thread-members")
async def list_thread_members(request: web.Request) -> web.Response:
    """GET the members of a thread."""
    thread = _thread(request)
    return json_response([_member_object(thread, uid) for uid in thread.member_ids])
