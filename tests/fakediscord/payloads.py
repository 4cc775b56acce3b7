"""JSON payloads in Discord's exact shapes, built from the fake's state (schema-complete per the OpenAPI spec)."""

from __future__ import annotations

import re
from typing import Any

from .constants import DM, FORUM
from .records import RegisteredCommand, StoredMessage
from .state import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeState, FakeUser

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


def user(u: FakeUser) -> dict[str, Any]:
    """A User object."""
    return {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "avatar": None,
        "global_name": u.global_name,
        "public_flags": 0,
        "flags": 0,
        "bot": u.bot,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }


def me(u: FakeUser) -> dict[str, Any]:
    """The bot's own user (GET /users/@me)."""
    return {**user(u), "mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}


def member(m: FakeMember, *, with_user: bool = True) -> dict[str, Any]:
    """A guild Member object."""
    out: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "flags": 0,
        "joined_at": m.joined_at,
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "pending": False,
        "premium_since": None,
        "mute": False,
        "deaf": False,
    }
    if with_user:
        out["user"] = user(m.user)
    return out


def role(r: FakeRole) -> dict[str, Any]:
    """A Role object."""
    out: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": r.managed,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if r.bot_id:
        out["tags"] = {"bot_id": str(r.bot_id)}
    return out


def forum_tag(tag: dict[str, Any]) -> dict[str, Any]:
    """A forum tag as Discord returns it (all five keys, ids as strings)."""
    return {
        "id": str(tag["id"]),
        "name": tag["name"],
        "moderated": bool(tag.get("moderated", False)),
        "emoji_id": None if tag.get("emoji_id") is None else str(tag["emoji_id"]),
        "emoji_name": tag.get("emoji_name"),
    }


def channel(c: FakeChannel, state: FakeState) -> dict[str, Any]:
    """A Channel object: guild channel, forum, thread or DM."""
    if c.type == DM:
        return {
            "id": str(c.id),
            "type": DM,
            "flags": 0,
            "last_message_id": _opt(c.last_message_id),
            "recipients": [user(state.users[u]) for u in c.recipients],
        }
    out: dict[str, Any] = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "flags": c.flags,
        "parent_id": _opt(c.parent_id),
        "last_message_id": _opt(c.last_message_id),
        "rate_limit_per_user": c.rate_limit_per_user,
        "last_pin_timestamp": None,
    }
    if c.is_thread:
        out.update(
            owner_id=str(c.owner_id),
            message_count=c.message_count,
            member_count=max(len(c.member_ids), 1),
            total_message_sent=c.message_count,
            applied_tags=[str(t) for t in c.applied_tags],
            thread_metadata={
                "archived": c.archived,
                "locked": c.locked,
                "auto_archive_duration": c.auto_archive_duration,
                "archive_timestamp": c.created_at,
                "create_timestamp": c.created_at,
                "invitable": c.invitable,
            },
        )
        return out
    out.update(
        position=c.position,
        nsfw=False,
        topic=c.topic,
        permission_overwrites=[
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in c.overwrites
        ],
    )
    if c.type == FORUM:
        out.update(
            available_tags=[forum_tag(t) for t in c.available_tags],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_thread_rate_limit_per_user=0,
            default_auto_archive_duration=1440,
            default_tag_setting="match_some",
        )
    return out


def guild_create(g: FakeGuild, state: FakeState, *, large_threshold: int = 250) -> dict[str, Any]:
    """The GUILD_CREATE event body: guild, roles, channels, threads and members.

    Like Discord, a guild with more than `large_threshold` members is `large` and only carries the bot's own
    member, so discord.py requests the rest with op 8 (answered with GUILD_MEMBERS_CHUNK).
    """
    large = len(g.members) > large_threshold
    members = [m for m in g.members.values() if not large or m.id == state.bot_user.id]
    channels = [state.channels[c] for c in g.channel_ids]
    threads = [c for c in state.channels.values() if c.guild_id == g.id and c.is_thread and not c.archived]
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 0,
        "system_channel_id": str(g.system_channel_id) if g.system_channel_id else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.preferred_locale,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "features": list(g.features),
        "max_members": 500000,
        "max_video_channel_users": 25,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "joined_at": g.members[state.bot_user.id].joined_at if state.bot_user.id in g.members else None,
        "large": large,
        "unavailable": False,
        "member_count": len(g.members),
        "members": [member(m) for m in members],
        "channels": [{k: v for k, v in channel(c, state).items() if k != "guild_id"} for c in channels],
        "threads": [channel(t, state) for t in threads],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)


def message(m: StoredMessage, state: FakeState) -> dict[str, Any]:
    """A Message object as Discord returns it."""
    ch = state.channels.get(m.channel_id)
    author = state.users[m.author_id]
    pinged_users = [int(p[2:-1]) for p in m.pings if p.startswith("<@") and not p.startswith("<@&")]
    out: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "content": m.content,
        "author": user(author),
        "embeds": m.embeds,
        "components": m.components,
        "flags": m.flags,
        "attachments": [a.payload() for a in m.attachments],
        "timestamp": m.timestamp,
        "edited_timestamp": m.edited_timestamp,
        "pinned": m.pinned,
        "tts": m.tts,
        "mention_everyone": "@everyone" in m.pings or "@here" in m.pings,
        "mentions": [user(state.users[u]) for u in pinged_users if u in state.users],
        "mention_roles": [p[3:-1] for p in m.pings if p.startswith("<@&")],
        "sticker_items": [],
        "stickers": [],
    }
    if m.nonce is not None:
        out["nonce"] = m.nonce
    if m.webhook_id is not None:
        out["webhook_id"] = str(m.webhook_id)
        out["application_id"] = str(state.application_id)
    if m.message_reference is not None:
        out["message_reference"] = m.message_reference
    if m.interaction_id is not None and m.interaction_id in state.interactions:
        rec = state.interactions[m.interaction_id]
        out["interaction_metadata"] = {
            "id": str(rec.id),
            "type": rec.type,
            "user": user(state.users[rec.user_id]),
            "authorizing_integration_owners": {"0": str(rec.guild_id)} if rec.guild_id else {"1": str(rec.user_id)},
        }
        if rec.type == 3:
            out["interaction_metadata"]["interacted_message_id"] = str(rec.source_message_id)
    if ch is not None and ch.guild_id is not None:
        out["guild_id"] = str(ch.guild_id)
        guild = state.guilds.get(ch.guild_id)
        if guild and m.author_id in guild.members and m.webhook_id is None:
            out["member"] = member(guild.members[m.author_id], with_user=False)
    return out


def application(state: FakeState) -> dict[str, Any]:
    """GET /oauth2/applications/@me (PrivateApplicationResponse)."""
    owner = next((u for u in state.users.values() if not u.bot), state.bot_user)
    return {
        "id": str(state.application_id),
        "name": state.bot_user.username,
        "icon": None,
        "description": "A fake application",
        "type": None,
        "bot": user(state.bot_user),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": user(owner),
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": [],
        "rpc_origins": [],
        "tags": [],
        "summary": "",
        "hook": True,
        "integration_types_config": {"0": {}},
    }


def command(body: dict[str, Any], state: FakeState, guild_id: int | None, version: int, cid: int) -> dict[str, Any]:
    """An ApplicationCommand object for a registered command body."""
    out = {k: v for k, v in body.items() if v is not None}
    out.update(
        id=str(cid),
        application_id=str(state.application_id),
        version=str(version),
        type=body.get("type") or 1,
        description=body.get("description") or "",
        default_member_permissions=body.get("default_member_permissions"),
        integration_types=body.get("integration_types") or [0],
        contexts=body.get("contexts"),
        nsfw=bool(body.get("nsfw", False)),
        dm_permission=body.get("dm_permission", True),
        name_localizations=body.get("name_localizations") or None,
        description_localizations=body.get("description_localizations") or None,
    )
    if guild_id is not None:
        out["guild_id"] = str(guild_id)
        out.pop("dm_permission", None)
    return out


def commands(state: FakeState, guild_id: int | None) -> list[dict[str, Any]]:
    """The registered commands of one scope."""
    return [c.data for c in state.commands.get(guild_id, [])]


def find_command(state: FakeState, name: str, guild_id: int | None, type_: int) -> RegisteredCommand | None:
    """A registered command by name: guild scope first, then global (as Discord resolves them)."""
    for scope in ([guild_id] if guild_id else []) + [None]:
        for cmd in state.commands.get(scope, []):
            if cmd.name == name and cmd.type == type_:
                return cmd
    return None


def compute_pings(
    content: str, allowed: dict[str, Any] | None, *, interaction: bool, replied_user: int | None = None
) -> list[str]:
    """What a message would ping under Discord's allowed_mentions rules.

    Defaults when `allowed_mentions` is omitted: channel messages parse users, roles and everyone;
    interaction responses and webhooks parse users only. The author's MENTION_EVERYONE permission and role
    mentionability are deliberately ignored, so the check is strict. A reply pings the replied-to author
    when `allowed_mentions` is omitted or has `replied_user: true`.
    """
    ping_reply = allowed is None or bool(allowed.get("replied_user"))
    if allowed is None:
        allowed = {"parse": ["users"]} if interaction else {"parse": ["users", "roles", "everyone"]}
    parse = set(allowed.get("parse") or [])
    users = {int(u) for u in allowed.get("users") or []}
    roles = {int(r) for r in allowed.get("roles") or []}
    pings: list[str] = []
    for uid in dict.fromkeys(int(x) for x in USER_MENTION.findall(content)):
        if "users" in parse or uid in users:
            pings.append(f"<@{uid}>")
    for rid in dict.fromkeys(int(x) for x in ROLE_MENTION.findall(content)):
        if "roles" in parse or rid in roles:
            pings.append(f"<@&{rid}>")
    if "everyone" in parse:
        pings += [w for w in ("@everyone", "@here") if w in content]
    if replied_user is not None and ping_reply and f"<@{replied_user}>" not in pings:
        pings.append(f"<@{replied_user}>")
    return pings


def error(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Discord error body."""
    out: dict[str, Any] = {"code": code, "message": message}
    if errors:
        out["errors"] = errors
    return out
