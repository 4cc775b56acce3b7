"""The default world every fake starts with, and helpers to add guilds and members."""

from __future__ import annotations

from dataclasses import dataclass

from discord import Permissions

from .constants import CATEGORY, FORUM, TEXT, VIEW_CHANNEL
from .state import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeState, Overwrite

EVERYONE_PERMISSIONS = Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    read_message_history=True,
    use_application_commands=True,
    external_emojis=True,
    connect=True,
    speak=True,
    change_nickname=True,
    create_instant_invite=True,
    use_external_apps=True,
    send_polls=True,
).value
MODERATOR_PERMISSIONS = Permissions(
    manage_messages=True,
    manage_threads=True,
    kick_members=True,
    moderate_members=True,
    mention_everyone=True,
    manage_nicknames=True,
    pin_messages=True,
    view_audit_log=True,
).value
BOT_PERMISSIONS = Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    manage_threads=True,
    manage_messages=True,
    manage_channels=True,
    manage_roles=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_application_commands=True,
    pin_messages=True,
).value


def add_guild(state: FakeState, name: str, *, locale: str = "nl", owner: FakeMember | None = None) -> FakeGuild:
    """A guild with @everyone (id == guild id), the bot's managed role and the bot as a member."""
    gid = state.ids.next()
    owner_user = owner.user if owner else state.add_user(f"owner{len(state.guilds) or ''}", locale="en-US")
    guild = FakeGuild(gid, name, owner_user.id, preferred_locale=locale, features=["COMMUNITY"])
    guild.roles[gid] = FakeRole(gid, "@everyone", EVERYONE_PERMISSIONS, 0)
    bot_role = FakeRole(
        state.ids.next(), state.bot_user.username, BOT_PERMISSIONS, 2, managed=True, bot_id=state.bot_user.id
    )
    guild.roles[bot_role.id] = bot_role
    state.guilds[gid] = guild
    guild.members[owner_user.id] = FakeMember(owner_user, gid)
    guild.members[state.bot_user.id] = FakeMember(state.bot_user, gid, [bot_role.id])
    return guild


def add_member(
    state: FakeState, guild: FakeGuild, username: str, *, locale: str = "nl", roles: list[FakeRole] | None = None
) -> FakeMember:
    """A new user who is a member of `guild` (their client uses `locale`)."""
    user = state.add_user(username, locale=locale)
    member = FakeMember(user, guild.id, [r.id for r in roles or []])
    guild.members[user.id] = member
    return member


@dataclass
class World:
    """The default guild and the people and channels in it."""

    guild: FakeGuild
    category: FakeChannel
    general: FakeChannel
    moderators: FakeChannel
    forum: FakeChannel
    moderator_role: FakeRole
    owner: FakeMember
    alice: FakeMember
    bob: FakeMember
    moderator: FakeMember


def seed(state: FakeState) -> World:
    """One guild (preferred locale nl) with a category, #general, a private #moderators, a #questions forum
    with tags, a "Moderator" role, and members alice (nl), bob (en-GB), maud the moderator (nl) and the owner."""
    guild = add_guild(state, "Steunpunt Testserver", locale="nl")
    owner = guild.members[guild.owner_id]
    mod_role = FakeRole(
        state.ids.next(), "Moderator", MODERATOR_PERMISSIONS, 1, mentionable=True, hoist=True, color=0x2ECC71
    )
    guild.roles[mod_role.id] = mod_role
    bot_role = next(r for r in guild.roles.values() if r.managed)
    category = state.add_channel(guild, CATEGORY, "Steunpunt", position=0)
    general = state.add_channel(guild, TEXT, "general", position=1, parent_id=category.id, topic="Alles en nog wat")
    moderators = state.add_channel(
        guild,
        TEXT,
        "moderators",
        position=2,
        parent_id=category.id,
        overwrites=[
            Overwrite(guild.id, 0, deny=VIEW_CHANNEL),
            Overwrite(mod_role.id, 0, allow=VIEW_CHANNEL),
            Overwrite(bot_role.id, 0, allow=VIEW_CHANNEL),
        ],
    )
    forum = state.add_channel(guild, FORUM, "questions", position=3, parent_id=category.id, topic="Stel je vraag")
    forum.available_tags = [
        {"id": state.ids.next(), "name": "question", "moderated": False, "emoji_id": None, "emoji_name": "❓"},
        {"id": state.ids.next(), "name": "solved", "moderated": True, "emoji_id": None, "emoji_name": "✅"},
        {"id": state.ids.next(), "name": "idea", "moderated": False, "emoji_id": None, "emoji_name": None},
    ]
    alice = add_member(state, guild, "alice", locale="nl")
    bob = add_member(state, guild, "bob", locale="en-GB")
    moderator = add_member(state, guild, "maud", locale="nl", roles=[mod_role])
    return World(guild, category, general, moderators, forum, mod_role, owner, alice, bob, moderator)
