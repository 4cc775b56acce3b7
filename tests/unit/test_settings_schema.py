"""The declarative settings schema: catalogue coverage, validation, and that a setting declared once
appears everywhere (show, export, import, wizard, /setup set, permission audit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import discord
import pytest

from bot.domain.guild_settings import THEMES, GuildSettings
from bot.domain.settings_codec import parse_text
from bot.domain.settings_schema import GuildDirectory, Kind, SettingsSchema, check, setting
from bot.domain.setup import export_document, parse_document, resolve_import, serialise
from bot.errors import Invalid
from bot.i18n import LOCALES_DIR, I18n, load_catalogue
from bot.permissions import _configured
from bot.render.setup import settings_lines, step_embed, wizard_steps
from cogs.setup._wizard import select_options

DIRECTORY = GuildDirectory(
    roles={10: "Moderator", 11: "Leden"},
    text_channels={20: "mods", 21: "digest", 22: "welkom", 23: "kennismaken"},
    forums={30: "hulp"},
)


@dataclass(frozen=True, slots=True)
class Extended(GuildSettings):
    """The real schema plus one setting of every other kind, declared exactly as a later issue would."""

    weekly_ask_cap: int = setting(Kind.INTEGER, "weekly_ask_cap", default=3, minimum=1, maximum=100)
    skills_expiry_days: int | None = setting(Kind.INTEGER, "skills_expiry_days", minimum=30, maximum=40)
    digest_weekday: int = setting(Kind.WEEKDAY, "digest_weekday", default=0, wizard=True)
    digest_hour: int = setting(Kind.HOUR, "digest_hour", default=9, wizard=True)
    checkins: bool = setting(Kind.BOOL, "checkins", default=True)
    welcome_channel_id: int | None = setting(
        Kind.TEXT_CHANNEL, "welcome_channel", permissions=("view_channel", "send_messages")
    )


EXTRA_NAMES = ("weekly_ask_cap", "skills_expiry_days", "digest_weekday", "digest_hour", "checkins", "welcome_channel")

CONFIGURED = Extended(
    guild_id=1,
    locale="en",
    timezone="Europe/Brussels",
    moderator_role_id=10,
    moderator_channel_id=20,
    help_forum_id=30,
    digest_channel_id=21,
    themes=("skills", "strategy"),
    weekly_ask_cap=7,
    skills_expiry_days=35,
    introductions_channel_id=23,
    checkin_days=21,
    digest_weekday=4,
    digest_hour=17,
    checkins=False,
    welcome_channel_id=22,
    digest_language="nl",
    digest_sections=("open", "skills"),
)


@pytest.fixture(scope="module")
def extended_i18n() -> I18n:
    """The real catalogues plus labels for the extra settings (what adding them to the catalogues would do)."""
    catalogues = {}
    for loc in ("nl", "en"):
        extra = {f"setting.{n}.{part}": f"{n} {part} {loc}" for n in EXTRA_NAMES for part in ("label", "help")}
        extra |= {f"setting.{n}.placeholder": f"{n} {loc}" for n in ("digest_weekday", "digest_hour")}
        catalogues[loc] = {**load_catalogue(LOCALES_DIR / loc), **extra}
    return I18n(catalogues)


# --- the real schema and the catalogues ----------------------------------------------------------


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_setting_has_label_and_help_in_both_catalogues(locale: str) -> None:
    """Each setting has a label and a help text (and a placeholder when the wizard asks for it)."""
    catalogue = load_catalogue(LOCALES_DIR / locale)
    missing = []
    for spec in GuildSettings.schema():
        keys = [spec.label_key, spec.help_key] + ([spec.placeholder_key] if spec.wizard else [])
        missing += [k for k in keys if not catalogue.get(k, "").strip()]
    assert missing == []


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_channel_setting_declares_real_permissions_with_names(locale: str) -> None:
    """The permissions a channel setting needs are discord.Permissions flags, each named in the catalogue."""
    catalogue = load_catalogue(LOCALES_DIR / locale)
    channels = GuildSettings.schema().channels()
    assert {spec.name for spec in channels} == {
        "moderator_channel",
        "help_forum",
        "digest_channel",
        "introductions_channel",
    }
    for spec in channels:
        assert spec.permissions
        for flag in spec.permissions:
            assert flag in discord.Permissions.VALID_FLAGS, (spec.name, flag)
            assert f"perms.name.{flag}" in catalogue, (spec.name, flag)


def test_the_schema_matches_the_settings_and_leaves_internal_state_out() -> None:
    """Every setting is a field; left_at is internal state (never shown, exported or settable as a setting)."""
    schema = GuildSettings.schema()
    assert [s.name for s in schema] == [
        "language",
        "timezone",
        "moderator_role",
        "moderator_channel",
        "help_forum",
        "digest_channel",
        "themes",
        "skills_expiry_days",
        "introductions_channel",
        "checkin_days",
        "routing_hours",
        "weekly_ask_cap",
        "digest_weekday",
        "digest_hour",
        "digest_language",
        "digest_sections",
        "overview_red_days",
    ]
    assert schema.internal == ("left_at",)
    assert "left_at" not in export_document(GuildSettings(guild_id=1, left_at="2026-01-01"), DIRECTORY)
    assert wizard_steps(schema)[-1] == "summary"


def test_bad_declarations_are_refused_at_import_time() -> None:
    """A channel without permissions, an integer without a range or a default that does not fit is a TypeError."""

    @dataclass(frozen=True)
    class NoPermissions:
        guild_id: int
        channel_id: int | None = setting(Kind.TEXT_CHANNEL, "channel")

    @dataclass(frozen=True)
    class NoRange:
        guild_id: int
        cap: int = setting(Kind.INTEGER, "cap", default=3)

    @dataclass(frozen=True)
    class BadDefault:
        guild_id: int
        hour: int = setting(Kind.HOUR, "hour", default=24)

    for cls in (NoPermissions, NoRange, BadDefault):
        with pytest.raises(TypeError):
            SettingsSchema.of(cls)


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"colour": "blue"}, "setup.setting.unknown"),
        ({"locale": "fr"}, "setup.import.bad_language"),
        ({"timezone": "Mars/Base"}, "setup.timezone.unknown"),
        ({"timezone": None}, "setup.timezone.unknown"),
        ({"moderator_role_id": "10"}, "setup.setting.invalid.reference"),
        ({"help_forum_id": True}, "setup.setting.invalid.reference"),
        ({"themes": ("skills", "cooking")}, "setup.import.bad_themes"),
        ({"themes": "skills"}, "setup.import.bad_themes"),
        ({"weekly_ask_cap": 0}, "setup.setting.invalid.integer"),
        ({"weekly_ask_cap": 3.5}, "setup.setting.invalid.integer"),
        ({"checkins": "yes"}, "setup.setting.invalid.bool"),
        ({"digest_weekday": 7}, "setup.setting.invalid.weekday"),
        ({"digest_hour": -1}, "setup.setting.invalid.hour"),
        ({"left_at": 5}, "setup.setting.unknown"),
    ],
)
def test_wrong_values_and_unknown_keys_are_refused_with_a_catalogue_key(changes: dict[str, Any], key: str) -> None:
    """Every refusal carries a key that exists in both catalogues."""
    with pytest.raises(Invalid) as info:
        Extended.schema().check_changes(changes)
    assert info.value.key == key
    for loc in ("nl", "en"):
        assert key in load_catalogue(LOCALES_DIR / loc)


def test_several_problems_are_reported_together() -> None:
    """Two bad changes give one refusal listing both."""
    with pytest.raises(Invalid) as info:
        GuildSettings.schema().check_changes({"locale": "de", "nonsense": 1})
    assert info.value.key == "setup.setting.rejected"
    assert sorted(d.key for d in info.value.details) == ["setup.import.bad_language", "setup.setting.unknown"]


def test_values_are_normalised() -> None:
    """Time zones get their canonical spelling and themes their canonical order; None only where allowed."""
    schema = Extended.schema()
    checked = schema.check_changes(
        {"timezone": "europe/london", "themes": ["strategy", "skills"], "locale": None, "skills_expiry_days": None}
    )
    assert checked == {
        "timezone": "Europe/London",
        "themes": ("skills", "strategy"),
        "locale": None,
        "skills_expiry_days": None,
    }
    spec = schema.by_name("weekly_ask_cap")
    assert spec is not None
    with pytest.raises(Invalid):
        check(spec, None)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("language", " EN ", "en"),
        ("timezone", "america/curacao", "America/Curacao"),
        ("moderator_role", "<@&10>", 10),
        ("moderator_role", "@leden", 11),
        ("digest_channel", "#digest", 21),
        ("help_forum", "30", 30),
        ("themes", "strategy, skills", ("skills", "strategy")),
        ("themes", "", ()),
        ("weekly_ask_cap", "12", 12),
        ("checkins", "uit", False),
        ("checkins", "Yes", True),
        ("digest_weekday", "vrijdag", 4),
        ("digest_weekday", "Mon", 0),
        ("digest_hour", "09:00", 9),
        ("digest_hour", "17", 17),
    ],
)
def test_typed_values_are_read_by_kind(name: str, text: str, expected: Any) -> None:
    """/setup set reads mentions, names, lists, on/off and day names in either language."""
    spec = Extended.schema().by_name(name)
    assert spec is not None
    assert parse_text(spec, text, DIRECTORY) == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("language", "fr"),
        ("moderator_role", "<@&99>"),
        ("weekly_ask_cap", "many"),
        ("digest_hour", "25"),
        ("digest_weekday", "x"),
        ("checkins", "maybe"),
        ("themes", "cooking"),
    ],
)
def test_typed_nonsense_is_refused(name: str, text: str) -> None:
    """A value that does not fit the kind is an Invalid, never a crash."""
    spec = Extended.schema().by_name(name)
    assert spec is not None
    with pytest.raises(Invalid):
        parse_text(spec, text, DIRECTORY)


# --- one declaration, everywhere -----------------------------------------------------------------


def test_a_setting_declared_once_is_shown(extended_i18n: I18n) -> None:
    """/setup show lists the extra settings with their labels and values rendered by kind."""
    lines = dict(settings_lines(CONFIGURED, extended_i18n, "en"))
    assert lines["weekly_ask_cap label en"] == "7"
    assert lines["digest_weekday label en"] == "Friday"
    assert lines["digest_hour label en"] == "17:00"
    assert lines["checkins label en"] == "off"
    assert lines["welcome_channel label en"] == "<#22>"
    assert dict(settings_lines(Extended(guild_id=1), extended_i18n, "nl"))["digest_weekday label nl"] == "maandag"


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_every_setting_round_trips_through_export_and_import(fmt: str) -> None:
    """Export then import gives back every setting of the schema, including ones added by declaration only."""
    raw = serialise(export_document(CONFIGURED, DIRECTORY), fmt)  # type: ignore[arg-type]
    doc = parse_document(raw, f"s.{fmt}")
    assert doc["digest_weekday"] == "friday"
    assert doc["welcome_channel"] == {"id": "22", "name": "welkom"}
    changes = resolve_import(doc, DIRECTORY, Extended.schema())
    schema = Extended.schema()
    assert changes == {spec.key: getattr(CONFIGURED, spec.key) for spec in schema}
    assert len(changes) == len(schema) == 19


def test_import_of_an_extra_setting_is_validated() -> None:
    """A bad value for a declared-only setting is refused like any other; unknown names stay unknown."""
    doc = {"steunpunt_settings": 1, "digest_hour": 30, "weekly_ask_cap": 5, "welcome_channel": {"id": "1", "name": "x"}}
    with pytest.raises(Invalid) as info:
        resolve_import(doc, DIRECTORY, Extended.schema())
    assert sorted(d.key for d in info.value.details) == ["setup.import.unknown_reference", "setup.setting.invalid.hour"]
    with pytest.raises(Invalid) as info:
        resolve_import({"steunpunt_settings": 1, "checkins": True}, DIRECTORY)  # the real schema has no such field
    assert [d.key for d in info.value.details] == ["setup.import.unknown_field"]


def test_a_version_1_file_still_imports() -> None:
    """A settings file written before the schema existed (format version 1) imports unchanged."""
    v1 = {
        "steunpunt_settings": 1,
        "language": "nl",
        "timezone": "Europe/Amsterdam",
        "moderator_role": {"id": "10", "name": "Moderator"},
        "moderator_channel": {"id": "20", "name": "mods"},
        "help_forum": None,
        "digest_channel": {"id": "555", "name": "digest"},
        "themes": ["revenue-and-rights", "skills", "collective", "strategy", "collaboration"],
    }
    changes = resolve_import(parse_document(json.dumps(v1, indent=2).encode(), "old.json"), DIRECTORY)
    assert changes == {
        "locale": "nl",
        "timezone": "Europe/Amsterdam",
        "moderator_role_id": 10,
        "moderator_channel_id": 20,
        "help_forum_id": None,
        "digest_channel_id": 21,
        "themes": THEMES,
    }


def test_a_declared_channel_is_audited_with_its_own_permissions() -> None:
    """The permission audit checks every set channel setting, with the permissions it declares."""
    configured = {spec.name: (cid, spec.permissions) for spec, cid in _configured(CONFIGURED)}
    assert configured["welcome_channel"] == (22, ("view_channel", "send_messages"))
    assert set(configured) == {
        "moderator_channel",
        "help_forum",
        "digest_channel",
        "introductions_channel",
        "welcome_channel",
    }
    assert [spec.name for spec, _ in _configured(Extended(guild_id=1))] == []


def test_wizard_steps_and_widgets_follow_the_declaration(extended_i18n: I18n) -> None:
    """Settings declared for the wizard become steps whose choices come from their kind."""
    steps = wizard_steps(Extended.schema())
    assert steps[-3:] == ("digest_weekday", "digest_hour", "summary")
    schema = Extended.schema()

    def t(key: str) -> str:
        return extended_i18n.t(key, "nl")

    weekday, hour, cap, expiry = (
        schema.by_name(n) for n in ("digest_weekday", "digest_hour", "weekly_ask_cap", "skills_expiry_days")
    )
    assert weekday is not None and hour is not None and cap is not None and expiry is not None
    days = select_options(weekday, 4, t)
    assert days is not None and len(days) == 7 and days[4] == ("vrijdag", "friday", True)
    hours = select_options(hour, 9, t)
    assert hours is not None and len(hours) == 24 and hours[9][2]
    assert select_options(cap, 3, t) is None  # 100 values: typed in a modal instead
    expiry_options = select_options(expiry, None, t)
    assert expiry_options is not None and len(expiry_options) == 11
    embed = step_embed("digest_hour", CONFIGURED, extended_i18n, "en").to_dict()
    assert embed["description"] == "digest_hour help en"
    assert embed["fields"][0]["value"] == "17:00"


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_choice_of_a_subset_setting_has_a_name(locale: str) -> None:
    """Themes are named by theme.<x>.name, the digest's sections by their own keys; each exists in both catalogues."""
    catalogue = load_catalogue(LOCALES_DIR / locale)
    subsets = [spec for spec in GuildSettings.schema() if spec.kind is Kind.THEMES]
    assert {spec.name for spec in subsets} == {"themes", "digest_sections"}
    for spec in subsets:
        missing = [spec.choice_key(choice) for choice in spec.choices if spec.choice_key(choice) not in catalogue]
        assert missing == [], spec.name
    sections = GuildSettings.schema().by_name("digest_sections")
    assert sections is not None and sections.choice_key("open") == "setting.digest_sections.choice.open"
