"""Declarative server settings: the kinds a setting can have and what each kind means.

A server setting is declared once, as a field of :class:`bot.domain.guild_settings.GuildSettings` made with
:func:`setting`. That declaration (kind, public name, default, limits, whether the wizard asks for it, and for
a channel the permissions the bot needs there) drives storage, ``/setup show``, the wizard, ``/setup set``,
export/import (:mod:`bot.domain.settings_codec`) and the permission audit. Its label and help text live in
both catalogues under ``setting.<name>``. No discord import: references to roles and channels are plain ids.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from enum import StrEnum
from functools import cache
from typing import Any

from bot.errors import Invalid

log = logging.getLogger(__name__)

LOCALES: tuple[str, ...] = ("nl", "en")
"""The server languages a LOCALE setting accepts."""

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Weekday names as exported; a WEEKDAY value is the index (0 = Monday, as ``date.weekday()``)."""

COMMON_TIMEZONES: tuple[str, ...] = (
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "UTC",
    "America/Paramaribo",
    "America/Curacao",
    "America/Aruba",
    "America/Kralendijk",
    "America/New_York",
    "Asia/Jakarta",
)
"""Offered first in /setup: the Netherlands, its neighbours, and the Dutch Caribbean and Suriname."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Kind(StrEnum):
    """What sort of value a setting holds; the kind decides validation, display, the wizard widget and export."""

    LOCALE = "locale"
    """``"nl"`` or ``"en"``; None (if the default) means "each member's own language"."""
    TIMEZONE = "timezone"
    """An IANA time zone name, canonical spelling."""
    ROLE = "role"
    """A role id."""
    TEXT_CHANNEL = "text_channel"
    """A text channel id (not an announcement channel)."""
    BROADCAST_CHANNEL = "broadcast_channel"
    """A text or announcement channel id: somewhere the bot posts for everyone."""
    FORUM = "forum"
    """A forum channel id."""
    THEMES = "themes"
    """A subset of the setting's ``choices`` (the themes, or others named by ``choice_labels``), kept in order."""
    INTEGER = "integer"
    """A whole number between the setting's ``minimum`` and ``maximum``."""
    BOOL = "bool"
    """On or off."""
    WEEKDAY = "weekday"
    """A day of the week: 0 = Monday … 6 = Sunday."""
    HOUR = "hour"
    """An hour of the day, 0–23."""


REFERENCE_KINDS: Mapping[Kind, str] = {
    Kind.ROLE: "roles",
    Kind.TEXT_CHANNEL: "text_channels",
    Kind.BROADCAST_CHANNEL: "text_channels",
    Kind.FORUM: "forums",
}
"""Kinds that point at something in the server, and the :class:`GuildDirectory` mapping they resolve in."""

CHANNEL_KINDS: frozenset[Kind] = frozenset({Kind.TEXT_CHANNEL, Kind.BROADCAST_CHANNEL, Kind.FORUM})


@dataclass(frozen=True, slots=True)
class GuildDirectory:
    """What exists in a server, as plain ids and names (built by the cog from the Discord cache)."""

    roles: Mapping[int, str]
    text_channels: Mapping[int, str]
    forums: Mapping[int, str]

    def names_for(self, kind: Kind) -> Mapping[int, str]:
        """The ids and names a reference of this kind can point at."""
        names: Mapping[int, str] = getattr(self, REFERENCE_KINDS[kind])
        return names


@dataclass(frozen=True, slots=True)
class Setting:
    """The declaration of one server setting (see :func:`setting`)."""

    kind: Kind
    name: str
    """Public name: the export/import field, the wizard step and the catalogue section ``setting.<name>``."""
    key: str = ""
    """Attribute on the settings object and storage key (the dataclass field's name)."""
    default: Any = None
    wizard: bool = False
    """Whether ``/setup start`` has a step for it (in declaration order); every setting is in /setup set."""
    permissions: tuple[str, ...] = ()
    """Channel kinds: the permissions the bot needs there (discord.Permissions flag names)."""
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    choice_labels: str = "theme.{}.name"
    """THEMES kind: the catalogue key of each choice's name, ``{}`` standing for the choice."""

    @property
    def label_key(self) -> str:
        """Catalogue key of the setting's short name."""
        return label_key(self.name)

    @property
    def help_key(self) -> str:
        """Catalogue key of the sentence that explains the setting."""
        return f"setting.{self.name}.help"

    @property
    def placeholder_key(self) -> str:
        """Catalogue key of the wizard widget's placeholder (wizard settings only)."""
        return f"setting.{self.name}.placeholder"

    def choice_key(self, choice: str) -> str:
        """Catalogue key of one choice's name (THEMES kind: a theme, or e.g. a digest section)."""
        return self.choice_labels.format(choice)

    @property
    def nullable(self) -> bool:
        """Whether "not set" is a valid value (it is exactly when the default is "not set")."""
        return self.default is None

    @property
    def is_reference(self) -> bool:
        """Whether the value is the id of a role or channel."""
        return self.kind in REFERENCE_KINDS

    @property
    def is_channel(self) -> bool:
        """Whether the value is a channel id (and so subject to the permission audit)."""
        return self.kind in CHANNEL_KINDS


def label_key(name: str) -> str:
    """Catalogue key of a setting's short name, by its public name."""
    return f"setting.{name}.label"


def setting(
    kind: Kind,
    name: str,
    *,
    default: Any = None,
    wizard: bool = False,
    permissions: tuple[str, ...] = (),
    choices: tuple[str, ...] = (),
    minimum: int | None = None,
    maximum: int | None = None,
    choice_labels: str = "theme.{}.name",
) -> Any:
    """Declare a dataclass field as a server setting; the field's name becomes its storage key.

    ``default`` None means the setting may be "not set". Typed ``Any`` like :func:`dataclasses.field`, so
    the field keeps its own annotation. ``choice_labels`` names the catalogue key of each choice of a THEMES
    setting whose choices are not the themes.
    """
    spec = Setting(
        kind,
        name,
        default=default,
        wizard=wizard,
        permissions=permissions,
        choices=choices,
        minimum=minimum,
        maximum=maximum,
        choice_labels=choice_labels,
    )
    return field(default=default, metadata={"setting": spec})


class SettingsSchema:
    """Every setting of a settings dataclass, in declaration order, with lookups by key and by public name."""

    def __init__(self, cls: type[Any], settings: tuple[Setting, ...], internal: tuple[str, ...]) -> None:
        self.cls = cls
        self.settings = settings
        self.internal = internal
        """Other fields besides ``guild_id``: state the bot keeps (``left_at``), never shown nor exported."""
        self._by_key = {s.key: s for s in settings}
        self._by_name = {s.name: s for s in settings}

    @classmethod
    def of(cls, settings_cls: type[Any]) -> SettingsSchema:
        """Read (and check) the schema declared on a settings dataclass; cached per class."""
        return _schema_of(settings_cls)  # type: ignore[arg-type]  # classes are hashable

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.settings)

    def __len__(self) -> int:
        return len(self.settings)

    def by_key(self, key: str) -> Setting | None:
        """The setting stored under this key (attribute name), if any."""
        return self._by_key.get(key)

    def by_name(self, name: str) -> Setting | None:
        """The setting with this public name, if any."""
        return self._by_name.get(name)

    def wizard_steps(self) -> tuple[Setting, ...]:
        """The settings the wizard asks for, in order."""
        return tuple(s for s in self.settings if s.wizard)

    def channels(self) -> tuple[Setting, ...]:
        """The channel settings (each declaring the permissions it needs)."""
        return tuple(s for s in self.settings if s.is_channel)

    def check_changes(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and normalise changes by key; unknown keys and bad values raise one :class:`Invalid`."""
        checked: dict[str, Any] = {}
        problems: list[Invalid] = []
        for key, value in changes.items():
            spec = self._by_key.get(key)
            try:
                if spec is not None:
                    checked[key] = check(spec, value)
                elif key in self.internal:
                    checked[key] = _check_internal(key, value)
                else:
                    raise Invalid("setup.setting.unknown", name=str(key)[:40])
            except Invalid as exc:
                problems.append(exc)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise Invalid("setup.setting.rejected", details=problems)
        return checked

    def build(self, guild_id: int, stored: Mapping[str, Any], internal: Mapping[str, Any]) -> Any:
        """A settings object from stored values (JSON-decoded); unknown or invalid stored values are skipped."""
        values: dict[str, Any] = {}
        for key, raw in stored.items():
            spec = self._by_key.get(key)
            if spec is None:
                log.debug("Ignoring stored setting %s of server %s: not in the schema", key, guild_id)
                continue
            try:
                values[key] = check(spec, raw)
            except Invalid:
                log.warning("Stored setting %s of server %s is not valid any more; using the default", key, guild_id)
        values.update({k: v for k, v in internal.items() if k in self.internal})
        return self.cls(guild_id=guild_id, **values)


@cache
def _schema_of(settings_cls: type[Any]) -> SettingsSchema:
    specs: list[Setting] = []
    internal: list[str] = []
    for f in fields(settings_cls):
        spec = f.metadata.get("setting")
        if spec is None:
            if f.name != "guild_id":
                internal.append(f.name)
            continue
        specs.append(_validated(replace(spec, key=f.name), f.default))
    names = [s.name for s in specs]
    if len(names) != len(set(names)):
        raise TypeError(f"Two settings share a public name in {settings_cls.__name__}: {names}")
    return SettingsSchema(settings_cls, tuple(specs), tuple(internal))


def _validated(spec: Setting, field_default: Any) -> Setting:
    """Refuse a malformed declaration at import time (a programming error, not a member's)."""
    problems = []
    if not _NAME.match(spec.name):
        problems.append("the public name must be lower_snake_case")
    if field_default is MISSING:
        problems.append("a setting needs a default")
    if spec.is_channel != bool(spec.permissions):
        problems.append("channel settings, and only they, declare the permissions the bot needs")
    if (spec.kind is Kind.THEMES) != bool(spec.choices):
        problems.append("a THEMES setting, and only it, declares its choices")
    ranged = spec.kind is Kind.INTEGER
    if ranged != (spec.minimum is not None and spec.maximum is not None) or (
        ranged and spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum
    ):
        problems.append("an INTEGER setting, and only it, declares minimum <= maximum")
    if not problems:
        try:
            check(spec, spec.default)
        except Invalid:
            problems.append("the default is not a valid value")
    if problems:
        raise TypeError(f"Setting {spec.key!r} ({spec.name}): " + "; ".join(problems))
    return spec


def _check_internal(key: str, value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise Invalid("setup.setting.unknown", name=key[:40])
    return value


# --- validation of values -------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check(spec: Setting, value: Any) -> Any:
    """Validate and normalise one value for a setting; raise :class:`Invalid` with a localised key."""
    if value is None:
        if spec.nullable:
            return None
        raise invalid_value(spec, value)
    kind = spec.kind
    if kind is Kind.LOCALE:
        ok = value in LOCALES
    elif kind is Kind.TIMEZONE:
        if not isinstance(value, str):
            raise invalid_value(spec, value)
        return validate_timezone(value)
    elif kind in REFERENCE_KINDS:
        ok = _is_int(value) and value > 0
    elif kind is Kind.THEMES:
        if not isinstance(value, list | tuple | set | frozenset) or not all(v in spec.choices for v in value):
            raise invalid_value(spec, value)
        return tuple(c for c in spec.choices if c in value)
    elif kind is Kind.INTEGER:
        low, high = spec.minimum, spec.maximum
        ok = _is_int(value) and low is not None and high is not None and low <= value <= high
    elif kind is Kind.BOOL:
        ok = isinstance(value, bool)
    elif kind is Kind.WEEKDAY:
        ok = _is_int(value) and 0 <= value < len(WEEKDAYS)
    else:  # Kind.HOUR
        ok = _is_int(value) and 0 <= value <= 23
    if not ok:
        raise invalid_value(spec, value)
    return value


def invalid_value(spec: Setting, value: Any) -> Invalid:
    """The error for a value that does not fit the setting's kind (its key names the kind's rule)."""
    shown = str(value)[:60]
    match spec.kind:
        case Kind.LOCALE:
            return Invalid("setup.import.bad_language", value=shown[:20])
        case Kind.TIMEZONE:
            return Invalid("setup.timezone.unknown", name=shown)
        case Kind.THEMES:
            return Invalid("setup.import.bad_themes", allowed=", ".join(spec.choices))
        case Kind.INTEGER:
            return Invalid(
                "setup.setting.invalid.integer", setting_key=spec.label_key, minimum=spec.minimum, maximum=spec.maximum
            )
        case Kind.BOOL:
            return Invalid("setup.setting.invalid.bool", setting_key=spec.label_key, value=shown)
        case Kind.WEEKDAY:
            return Invalid("setup.setting.invalid.weekday", setting_key=spec.label_key, value=shown)
        case Kind.HOUR:
            return Invalid("setup.setting.invalid.hour", setting_key=spec.label_key, value=shown)
        case _:  # references
            return Invalid("setup.setting.invalid.reference", setting_key=spec.label_key, value=shown)


@cache
def _all_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> str:
    """Return the canonical IANA name, or raise :class:`Invalid` (case-insensitive match allowed)."""
    wanted = name.strip()
    zones = _all_timezones()
    if wanted in zones:
        return wanted
    folded = {z.lower(): z for z in zones}
    if wanted.lower() in folded:
        return folded[wanted.lower()]
    raise Invalid("setup.timezone.unknown", name=wanted[:60])


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Time zones for autocomplete: common ones first, then every IANA name containing the text."""
    needle = text.strip().lower().replace(" ", "_")
    common = [z for z in COMMON_TIMEZONES if needle in z.lower()]
    rest = sorted(z for z in _all_timezones() if needle in z.lower() and z not in COMMON_TIMEZONES)
    return (common + rest)[:limit]
