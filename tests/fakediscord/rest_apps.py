"""REST routes for the bot user, the application and its commands, guilds/members/roles, and attachment files."""

from __future__ import annotations

from typing import Any

from aiohttp import hdrs, web

from . import payloads
from .constants import MANAGE_ROLES
from .gateway import GUILD_MEMBERS
from .records import RegisteredCommand
from .rest import FAKE, ApiError, check, json_response, parse_id, read_body
from .state import FakeGuild

routes = web.RouteTableDef()
GLOBAL = "/applications/{application_id}/commands"
GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"


@routes.get("/users/@me")
async def users_me(request: web.Request) -> web.Response:
    """The bot user (static_login)."""
    return json_response(payloads.me(request.app[FAKE].state.bot_user))


@routes.get("/oauth2/applications/@me")
async def application(request: web.Request) -> web.Response:
    """The application (sets discord.py's application_id)."""
    return json_response(payloads.application(request.app[FAKE].state))


@routes.get("/users/{user_id}")
async def get_user(request: web.Request) -> web.Response:
    """GET a user (fetch_user)."""
    fake = request.app[FAKE]
    user = fake.state.users.get(parse_id(request.match_info["user_id"]))
    if user is None:
        raise ApiError(404, 10013, "Unknown User")
    return json_response(payloads.user(user))


@routes.get("/gateway")
@routes.get("/gateway/bot")
async def gateway_url(request: web.Request) -> web.Response:
    """Gateway discovery (only AutoShardedClient asks)."""
    fake = request.app[FAKE]
    return json_response(
        {
            "url": fake.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }
    )


def _scope(request: web.Request) -> int | None:
    fake = request.app[FAKE]
    if request.match_info["application_id"] != str(fake.state.application_id):
        raise ApiError(403, 20012, "You are not authorized to perform this action on this application")
    if "guild_id" not in request.match_info:
        return None
    gid = parse_id(request.match_info["guild_id"])
    if gid not in fake.state.guilds:
        raise ApiError(404, 10004, "Unknown Guild")
    return gid


def _register(fake: Any, scope: int | None, body: dict[str, Any], *, keep_id: int | None = None) -> dict[str, Any]:
    state = fake.state
    type_ = int(body.get("type") or 1)
    old = next((c for c in state.commands.get(scope, []) if c.name == body["name"] and c.type == type_), None)
    cid = keep_id or (int(old.data["id"]) if old else state.ids.next())
    data = payloads.command(body, state, scope, state.ids.next(), cid)
    cmds = [c for c in state.commands.get(scope, []) if int(c.data["id"]) != cid]
    state.commands[scope] = [*cmds, RegisteredCommand(data, scope)]
    return data


@routes.get(GLOBAL)
@routes.get(GUILD)
async def list_commands(request: web.Request) -> web.Response:
    """GET the registered commands of a scope."""
    return json_response(payloads.commands(request.app[FAKE].state, _scope(request)))


@routes.put(GLOBAL)
@routes.put(GUILD)
async def bulk_overwrite(request: web.Request) -> web.Response:
    """PUT (bulk overwrite) the commands of a scope; ids are kept for unchanged names."""
    fake = request.app[FAKE]
    body, _ = await read_body(request)
    scope = _scope(request)
    check(fake, request, "commands_bulk", body)
    previous = {(c.name, c.type): int(c.data["id"]) for c in fake.state.commands.get(scope, [])}
    fake.state.commands[scope] = []
    out = [_register(fake, scope, cmd, keep_id=previous.get((cmd["name"], int(cmd.get("type") or 1)))) for cmd in body]
    return json_response(out)


@routes.post(GLOBAL)
@routes.post(GUILD)
async def create_command(request: web.Request) -> web.Response:
    """POST (upsert) one command."""
    fake = request.app[FAKE]
    body, _ = await read_body(request)
    scope = _scope(request)
    check(fake, request, "command_create", body)
    return json_response(_register(fake, scope, body), 201)


def _command(request: web.Request) -> tuple[int | None, RegisteredCommand]:
    scope = _scope(request)
    for cmd in request.app[FAKE].state.commands.get(scope, []):
        if cmd.data["id"] == request.match_info["command_id"]:
            return scope, cmd
    raise ApiError(404, 10063, "Unknown application command")


@routes.get(GLOBAL + "/{command_id}")
@routes.get(GUILD + "/{command_id}")
async def get_command(request: web.Request) -> web.Response:
    """GET one command."""
    return json_response(_command(request)[1].data)


@routes.patch(GLOBAL + "/{command_id}")
@routes.patch(GUILD + "/{command_id}")
async def edit_command(request: web.Request) -> web.Response:
    """PATCH one command."""
    fake = request.app[FAKE]
    body, _ = await read_body(request)
    scope, cmd = _command(request)
    merged = {**cmd.data, **body}
    check(fake, request, "command_edit", body)
    return json_response(_register(fake, scope, merged, keep_id=int(cmd.data["id"])))


@routes.delete(GLOBAL + "/{command_id}")
@routes.delete(GUILD + "/{command_id}")
async def delete_command(request: web.Request) -> web.Response:
    """DELETE one command."""
    fake = request.app[FAKE]
    scope, cmd = _command(request)
    fake.state.commands[scope] = [c for c in fake.state.commands[scope] if c is not cmd]
    return json_response(None, 204)


def _guild(request: web.Request) -> FakeGuild:
    guild = request.app[FAKE].state.guilds.get(parse_id(request.match_info["guild_id"]))
    if guild is None:
        raise ApiError(404, 10004, "Unknown Guild")
    return guild


@routes.get("/guilds/{guild_id}")
async def get_guild(request: web.Request) -> web.Response:
    """GET a guild (without members and channels, as the REST route does)."""
    fake = request.app[FAKE]
    data = payloads.guild_create(_guild(request), fake.state)
    for key in (
        "members",
        "channels",
        "threads",
        "voice_states",
        "presences",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
        "joined_at",
        "large",
        "member_count",
    ):
        data.pop(key, None)
    return json_response(data)


@routes.get("/guilds/{guild_id}/channels")
async def guild_channels(request: web.Request) -> web.Response:
    """GET the guild's channels (not threads)."""
    fake = request.app[FAKE]
    guild = _guild(request)
    return json_response([payloads.channel(fake.state.channels[c], fake.state) for c in guild.channel_ids])


@routes.get("/guilds/{guild_id}/roles")
async def guild_roles(request: web.Request) -> web.Response:
    """GET the guild's roles."""
    return json_response([payloads.role(r) for r in _guild(request).roles.values()])


@routes.get("/guilds/{guild_id}/members")
async def list_members(request: web.Request) -> web.Response:
    """GET members (limit, after)."""
    guild = _guild(request)
    after = int(request.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return json_response([payloads.member(m) for m in members[: int(request.query.get("limit", 1))]])


@routes.get("/guilds/{guild_id}/members/{user_id}")
async def get_member(request: web.Request) -> web.Response:
    """GET one member."""
    member = _guild(request).members.get(parse_id(request.match_info["user_id"]))
    if member is None:
        raise ApiError(404, 10007, "Unknown Member")
    return json_response(payloads.member(member))


@routes.put("/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
@routes.delete("/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def member_role(request: web.Request) -> web.Response:
    """Add (PUT) or remove (DELETE) a role: needs MANAGE_ROLES and a role below the bot's highest role."""
    fake = request.app[FAKE]
    guild = _guild(request)
    member = guild.members.get(parse_id(request.match_info["user_id"]))
    role = guild.roles.get(parse_id(request.match_info["role_id"]))
    if member is None:
        raise ApiError(404, 10007, "Unknown Member")
    if role is None:
        raise ApiError(404, 10011, "Unknown Role")
    bot = guild.members[fake.state.bot_user.id]
    top = max((guild.roles[r].position for r in bot.roles), default=0)
    if not fake.state.permissions(guild, bot.id) & MANAGE_ROLES or role.position >= top or role.managed:
        raise ApiError(403, 50013, "Missing Permissions")
    if request.method == hdrs.METH_PUT and role.id not in member.roles:
        member.roles.append(role.id)
    elif request.method == hdrs.METH_DELETE and role.id in member.roles:
        member.roles.remove(role.id)
    await fake.echo("GUILD_MEMBER_UPDATE", {**payloads.member(member), "guild_id": str(guild.id)}, GUILD_MEMBERS)
    return json_response(None, 204)


async def serve_attachment(request: web.Request) -> web.Response:
    """The bytes of a stored attachment (so `Attachment.read()` works against the fake)."""
    fake = request.app[FAKE]
    att = fake.state.attachments.get(parse_id(request.match_info["attachment_id"]))
    if att is None or att.filename != request.match_info["filename"]:
        raise ApiError(404, 0, "404: Not Found")
    return web.Response(body=att.data, headers={hdrs.CONTENT_TYPE: att.content_type or "application/octet-stream"})
