"""Per-server settings, declared once: the :class:`GuildSettings` fields made with ``setting(...)`` are the schema.

Adding a server setting is one line in :class:`GuildSettings` plus its ``setting.<name>`` label and help in
both catalogues (and a placeholder if the wizard asks for it). Storage, ``/setup show``, the wizard,
``/setup set``, export/import and the permission audit all read the declaration
(see :mod:`bot.domain.settings_schema`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.domain.digest.models import SECTIONS
from bot.domain.settings_codec import to_stored
from bot.domain.settings_schema import Kind, SettingsSchema, setting

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.guild_settings import GuildSettingsRepo

log = logging.getLogger(__name__)

THEMES: tuple[str, ...] = ("revenue-and-rights", "skills", "collective", "strategy", "collaboration")
"""The five themes, in the order members see them."""

DEFAULT_TIMEZONE = "Europe/Amsterdam"

_POSTING = ("view_channel", "send_messages", "embed_links", "read_message_history")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's settings. ``None`` means "not configured"; the declared defaults apply.

    Every field made with :func:`setting` is a server setting (in wizard and display order);
    ``guild_id`` and ``left_at`` are the bot's own state, never shown nor exported.
    """

    guild_id: int
    locale: str | None = setting(Kind.LOCALE, "language", wizard=True)
    timezone: str = setting(Kind.TIMEZONE, "timezone", default=DEFAULT_TIMEZONE, wizard=True)
    moderator_role_id: int | None = setting(Kind.ROLE, "moderator_role", wizard=True)
    moderator_channel_id: int | None = setting(
        Kind.TEXT_CHANNEL, "moderator_channel", wizard=True, permissions=_POSTING
    )
    help_forum_id: int | None = setting(
        Kind.FORUM,
        "help_forum",
        wizard=True,
        permissions=(
            "view_channel",
            "send_messages",  # a forum post is created with Send Messages
            "send_messages_in_threads",
            "create_public_threads",
            "manage_threads",
            "embed_links",
            "read_message_history",
        ),
    )
    digest_channel_id: int | None = setting(
        Kind.BROADCAST_CHANNEL, "digest_channel", wizard=True, permissions=(*_POSTING, "attach_files")
    )
    themes: tuple[str, ...] = setting(Kind.THEMES, "themes", default=THEMES, choices=THEMES, wizard=True)
    skills_expiry_days: int = setting(Kind.INTEGER, "skills_expiry_days", default=60, minimum=14, maximum=365)
    """Days an offer or need stays listed unless its owner says it is still valid (reminded a week before)."""
    introductions_channel_id: int | None = setting(
        Kind.TEXT_CHANNEL,
        "introductions_channel",
        permissions=("view_channel", "create_private_threads", "send_messages_in_threads"),
    )
    """Where two members who agreed to an introduction get a private thread (unset: told by DM or notice)."""
    checkin_days: int = setting(Kind.INTEGER, "checkin_days", default=14, minimum=3, maximum=90)
    """Days after an introduction that both are asked "did it help?"."""
    routing_hours: int = setting(Kind.INTEGER, "routing_hours", default=12, minimum=1, maximum=168)
    """Hours a help-forum post may stay unanswered before members who offered a fitting skill are asked."""
    weekly_ask_cap: int = setting(Kind.INTEGER, "weekly_ask_cap", default=2, minimum=1, maximum=10)
    """How many times a week one member may be asked to help with a question, at most."""
    digest_weekday: int = setting(Kind.WEEKDAY, "digest_weekday", default=0)
    """The day of the week the digest is posted (0 = Monday), in the server's ``timezone``."""
    digest_hour: int = setting(Kind.HOUR, "digest_hour", default=9)
    """The local hour the digest is posted."""
    digest_language: str | None = setting(Kind.LOCALE, "digest_language")
    """The digest's language; None: the server's language."""
    digest_sections: tuple[str, ...] = setting(
        Kind.THEMES,
        "digest_sections",
        default=SECTIONS,
        choices=SECTIONS,
        choice_labels="setting.digest_sections.choice.{}",
    )
    """Which sections the digest shows (each only when it has something)."""
    overview_red_days: int = setting(Kind.INTEGER, "overview_red_days", default=3, minimum=1, maximum=60)
    """Days the oldest item of a moderators' queue may wait before /mod overview marks the queue red."""
    left_at: str | None = None
    """When the bot was removed from the server (the purge's retention clock); None while it is there."""

    @classmethod
    def schema(cls) -> SettingsSchema:
        """The settings declared on this class."""
        return SettingsSchema.of(cls)

    def theme_enabled(self, theme: str) -> bool:
        """Whether a theme is switched on in this server."""
        return theme in self.themes


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """What the database holds for one server: the values that differ from the default, and internal state."""

    values: Mapping[str, Any]
    """Storage key → JSON-decoded value."""
    left_at: str | None


SettingsListener = Callable[["Transaction", "GuildSettings", "GuildSettings"], Awaitable[None]]
"""Told of every change of a server's settings, inside the change's transaction: (tx, before, after)."""


class GuildSettingsService:
    """Reads and changes server settings; reads are cached because every reply needs the language.

    ``settings_type`` is the settings dataclass whose declaration is the schema (tests pass an extended one).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        repo: GuildSettingsRepo,
        clock: Clock,
        settings_type: type[GuildSettings] = GuildSettings,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock
        self._type = settings_type
        self._cache: dict[int, GuildSettings] = {}
        self._lock = asyncio.Lock()
        self._listeners: list[SettingsListener] = []

    def on_change(self, listener: SettingsListener) -> None:
        """Call ``listener(tx, before, after)`` inside the transaction of every change (e.g. to wake jobs)."""
        self._listeners.append(listener)

    @property
    def schema(self) -> SettingsSchema:
        """The settings this service stores."""
        return self._type.schema()

    async def get(self, guild_id: int) -> GuildSettings:
        """The settings of a server, or the defaults if it never ran /setup."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        stored = await self._repo.get(guild_id)
        if stored is None:
            found = self._type(guild_id=guild_id)
        else:
            found = self.schema.build(guild_id, stored.values, {"left_at": stored.left_at})
        self._cache[guild_id] = found
        return found

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some settings of a server (by key, e.g. ``timezone="UTC"``) and return the result.

        Every change is checked against the schema first: an unknown key or a value that does not fit the
        setting raises :class:`~bot.errors.Invalid` and nothing changes. Serialised, so two changes at once
        (the wizard and /setup timezone) never overwrite each other. A value equal to its default is stored
        as "no row", so a server that never chose follows the default.
        """
        checked = self.schema.check_changes(changes)
        async with self._lock:
            current = await self.get(guild_id)
            updated = replace(current, **checked)
            store: dict[str, Any] = {}
            reset: list[str] = []
            for key, value in checked.items():
                spec = self.schema.by_key(key)
                if spec is None:
                    continue  # internal state: stored with the server's row
                if value == spec.default:
                    reset.append(key)
                else:
                    store[key] = to_stored(spec, value)
            async with self._uow.transaction() as tx:
                await self._repo.save(
                    tx, guild_id, store=store, reset=reset, left_at=updated.left_at, now=self._clock.now()
                )
                for listener in self._listeners:
                    await listener(tx, current, updated)
            self._cache[guild_id] = updated
            return updated

    def forget_cached(self, guild_id: int) -> None:
        """Drop a cached entry (after its rows were deleted)."""
        self._cache.pop(guild_id, None)

    async def count_configured(self) -> int:
        """How many servers have stored settings."""
        return await self._repo.count()

    async def configured_guilds(self) -> list[int]:
        """The servers with stored settings that the bot has not left (``steunpunt doctor`` checks each)."""
        return await self._repo.present()
