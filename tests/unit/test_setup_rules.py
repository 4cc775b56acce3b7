"""Pure set-up rules: moderator check, time zones, forum-tag planning, export/import validation."""

from __future__ import annotations

import json

import pytest

from bot.domain.guild_settings import THEMES, GuildSettings
from bot.domain.setup import (
    GuildDirectory,
    export_document,
    is_moderator,
    parse_document,
    plan_forum_tags,
    resolve_import,
    search_timezones,
    serialise,
    validate_timezone,
)
from bot.errors import Invalid

DIRECTORY = GuildDirectory(
    roles={10: "Moderator", 11: "Leden"},
    text_channels={20: "mods", 21: "digest", 22: "kennismaken"},
    forums={30: "hulp"},
)
CONFIGURED = GuildSettings(
    guild_id=1,
    locale="en",
    timezone="Europe/Brussels",
    moderator_role_id=10,
    moderator_channel_id=20,
    help_forum_id=30,
    digest_channel_id=21,
    themes=("skills", "strategy"),
    introductions_channel_id=22,
    digest_language="nl",
    digest_sections=("resources", "open"),
)


@pytest.mark.parametrize(
    ("role_ids", "manages", "expected"),
    [([10], False, True), ([11], False, False), ([], True, True), ([], False, False)],
)
def test_moderator_rule(role_ids: list[int], manages: bool, expected: bool) -> None:
    """The configured role or Manage Server makes a moderator; nothing else does."""
    assert is_moderator(CONFIGURED, role_ids, manages_server=manages) is expected


def test_no_moderator_role_configured_means_only_managers() -> None:
    """Without a configured role, only Manage Server counts."""
    assert not is_moderator(GuildSettings(guild_id=1), [10, 11], manages_server=False)


def test_timezones() -> None:
    """IANA names validate case-insensitively; nonsense is refused; autocomplete puts common zones first."""
    assert validate_timezone("europe/amsterdam") == "Europe/Amsterdam"
    with pytest.raises(Invalid) as info:
        validate_timezone("Mars/Olympus_Mons")
    assert info.value.key == "setup.timezone.unknown"
    assert search_timezones("")[0] == "Europe/Amsterdam"
    assert "America/Argentina/Buenos_Aires" in search_timezones("buenos")
    assert len(search_timezones("a")) == 25


def test_tag_plan_matches_either_language_and_respects_the_limit() -> None:
    """Existing tags are matched by name in either language; creation stops at Discord's 20 tags."""
    wanted = {p: [f"{p}-nl", f"{p}-en"] for p in ("solved", *THEMES)}
    plan = plan_forum_tags({1: "SOLVED-EN", 2: "skills-nl"}, wanted)
    assert plan.existing == {"solved": 1, "skills": 2}
    assert [p for p, _ in plan.to_create] == ["revenue-and-rights", "collective", "strategy", "collaboration"]
    crowded = plan_forum_tags({i: f"t{i}" for i in range(17)}, wanted)
    assert len(crowded.to_create) == 3
    assert len(crowded.no_room) == 3


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_export_import_round_trip(fmt: str) -> None:
    """An exported file resolves to exactly the same settings."""
    raw = serialise(export_document(CONFIGURED, DIRECTORY), fmt)  # type: ignore[arg-type]
    changes = resolve_import(parse_document(raw, f"s.{fmt}"), DIRECTORY)
    assert changes == {
        "locale": "en",
        "timezone": "Europe/Brussels",
        "moderator_role_id": 10,
        "moderator_channel_id": 20,
        "help_forum_id": 30,
        "digest_channel_id": 21,
        "themes": ("skills", "strategy"),
        "skills_expiry_days": 60,
        "introductions_channel_id": 22,
        "checkin_days": 14,
        "routing_hours": 12,
        "weekly_ask_cap": 2,
        "digest_weekday": 0,
        "digest_hour": 9,
        "digest_language": "nl",
        "digest_sections": ("resources", "open"),
        "overview_red_days": 3,
    }


def test_import_on_another_server_matches_by_name() -> None:
    """Ids from another server fall back to a unique name match."""
    doc = export_document(CONFIGURED, DIRECTORY)
    other = GuildDirectory(
        roles={99: "Moderator"}, text_channels={98: "mods", 97: "digest", 95: "kennismaken"}, forums={96: "hulp"}
    )
    changes = resolve_import(doc, other)
    assert changes["moderator_role_id"] == 99
    assert changes["help_forum_id"] == 96
    assert changes["introductions_channel_id"] == 95


def test_bad_file_is_refused_whole_with_every_problem() -> None:
    """A bad role id, an unknown field and a bad language are all reported; nothing is returned."""
    doc = json.loads(serialise(export_document(CONFIGURED, DIRECTORY), "json"))
    doc["moderator_role"] = {"id": "123", "name": "Nobody"}
    doc["language"] = "fr"
    doc["colour"] = "blue"
    with pytest.raises(Invalid) as info:
        resolve_import(doc, DIRECTORY)
    keys = sorted(d.key for d in info.value.details)
    assert keys == ["setup.import.bad_language", "setup.import.unknown_field", "setup.import.unknown_reference"]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b"\xff\xfe", "x.json"),
        (b"not json", "x.json"),
        (b"= broken", "x.toml"),
        (b"[1, 2]", "x.json"),
        (b"a" * 70000, "x.json"),
    ],
)
def test_unreadable_files(raw: bytes, name: str) -> None:
    """Garbage, wrong shapes and huge files are refused with a clear key."""
    with pytest.raises(Invalid):
        parse_document(raw, name)


def test_wrong_types_are_refused() -> None:
    """Themes must be a list of known themes; references must be tables."""
    with pytest.raises(Invalid) as info:
        resolve_import({"steunpunt_settings": 1, "themes": "skills", "help_forum": 30, "timezone": 5}, DIRECTORY)
    assert sorted(d.key for d in info.value.details) == [
        "setup.import.bad_reference",
        "setup.import.bad_themes",
        "setup.timezone.unknown",
    ]
