"""The fake's world: users, guilds, roles, members and channels, plus the store of everything that happened."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from .constants import ADMINISTRATOR, ALL_PERMISSIONS, DISCORD_EPOCH_MS, THREAD_TYPES, now_iso
from .records import InteractionRecord, RegisteredCommand, StoredAttachment, StoredMessage


class Snowflakes:
    """Monotonic, time-based snowflake ids (so `created_at` and `before`/`after` queries behave)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        """A new, strictly increasing id."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


@dataclass
class FakeUser:
    """A Discord account; `locale` is what its interactions carry."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    locale: str = "en-US"
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        """The `<@id>` mention string."""
        return f"<@{self.id}>"


@dataclass
class FakeRole:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int = 0
    mentionable: bool = False
    managed: bool = False
    hoist: bool = False
    color: int = 0
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        """The `<@&id>` mention string (or @everyone)."""
        return "@everyone" if self.name == "@everyone" else f"<@&{self.id}>"


@dataclass
class FakeMember:
    """A user's membership of one guild, with the locale their client uses."""

    user: FakeUser
    guild_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=now_iso)
    nick: str | None = None

    @property
    def id(self) -> int:
        """The user id."""
        return self.user.id

    @property
    def locale(self) -> str:
        """The locale of the member's Discord client (per user, as on Discord)."""
        return self.user.locale

    @property
    def mention(self) -> str:
        """The `<@id>` mention string."""
        return self.user.mention


@dataclass
class Overwrite:
    """A channel permission overwrite: type 0 is a role, 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass
class FakeChannel:
    """A guild channel, forum, thread or DM channel."""

    id: int
    type: int
    name: str
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    recipients: list[int] = field(default_factory=list)
    owner_id: int | None = None
    applied_tags: list[int] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    rate_limit_per_user: int = 0
    message_count: int = 0
    last_message_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    """Threads: who is in it (the bot is in the threads it creates; PUT thread-members adds others)."""
    invitable: bool = True
    """Private threads: whether members who are not moderators may add others."""
    created_at: str = field(default_factory=now_iso)

    @property
    def is_thread(self) -> bool:
        """True for public, private and announcement threads."""
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        """The `<#id>` mention string."""
        return f"<#{self.id}>"

    def tag_named(self, name: str) -> dict[str, Any]:
        """The forum tag with this name (KeyError if the forum has none)."""
        for tag in self.available_tags:
            if tag["name"] == name:
                return tag
        raise KeyError(f"forum {self.name!r} has no tag {name!r}; tags: {[t['name'] for t in self.available_tags]}")


@dataclass
class FakeGuild:
    """A guild with its roles, channels and members."""

    id: int
    name: str
    owner_id: int
    preferred_locale: str = "nl"
    features: list[str] = field(default_factory=list)
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, FakeMember] = field(default_factory=dict)
    system_channel_id: int | None = None

    def role_named(self, name: str) -> FakeRole:
        """The role with this name."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"guild {self.name!r} has no role {name!r}")


@dataclass
class StoredFile:
    """Bytes a test uploads as an ATTACHMENT option, e.g. `FakeFile("faq.json", b"[]")`."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


FakeFile = StoredFile


class FakeState:
    """Everything the fake knows; tests read it to see what members would see."""

    def __init__(self) -> None:
        self.ids = Snowflakes()
        self.users: dict[int, FakeUser] = {}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.pins: dict[int, dict[int, str]] = {}
        self.commands: dict[int | None, list[RegisteredCommand]] = {}
        self.command_versions: dict[tuple[int | None, str, int], int] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self.dm_channels: dict[int, int] = {}
        self.bot_user: FakeUser = self.add_user("Steunpunt Test", bot=True)
        self.application_id: int = self.bot_user.id

    def add_user(self, username: str, *, locale: str = "en-US", bot: bool = False) -> FakeUser:
        """Create a user."""
        user = FakeUser(self.ids.next(), username, None if bot else username.capitalize(), bot, locale)
        self.users[user.id] = user
        return user

    def add_channel(self, guild: FakeGuild | None, type_: int, name: str, **fields: Any) -> FakeChannel:
        """Create a channel (guild channel, thread or DM)."""
        channel = FakeChannel(
            fields.pop("id", None) or self.ids.next(), type_, name, guild.id if guild else None, **fields
        )
        self.channels[channel.id] = channel
        self.channel_messages[channel.id] = []
        if guild is not None and not channel.is_thread:
            guild.channel_ids.append(channel.id)
        return channel

    def add_message(self, message: StoredMessage) -> StoredMessage:
        """Store a message at the end of its channel."""
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        channel = self.channels.get(message.channel_id)
        if channel is not None:
            channel.last_message_id = message.id
            if channel.is_thread:
                channel.message_count += 1
        return message

    def channel_history(self, channel_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """The channel's messages, oldest first."""
        msgs = [self.messages[i] for i in self.channel_messages.get(channel_id, [])]
        return [m for m in msgs if include_deleted or not m.deleted]

    def guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        """The guild a channel belongs to."""
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def permissions(self, guild: FakeGuild, user_id: int, channel: FakeChannel | None = None) -> int:
        """The member's permissions, in a channel if given (Discord's overwrite algorithm; threads use the parent)."""
        member = guild.members.get(user_id)
        if member is None:
            return 0
        if guild.owner_id == user_id:
            return ALL_PERMISSIONS
        perms = guild.roles[guild.id].permissions
        for role_id in member.roles:
            perms |= guild.roles[role_id].permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is not None and channel.is_thread and channel.parent_id:
            channel = self.channels[channel.parent_id]
        if channel is None:
            return perms
        by_id = {(o.type, o.id): o for o in channel.overwrites}
        everyone = by_id.get((0, guild.id))
        if everyone:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            o = by_id.get((0, role_id))
            if o:
                allow, deny = allow | o.allow, deny | o.deny
        perms = (perms & ~deny) | allow
        own = by_id.get((1, user_id))
        if own:
            perms = (perms & ~own.deny) | own.allow
        return perms
