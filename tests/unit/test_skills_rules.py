"""Pure rules of the skills theme: the taxonomy and its fuzzy lookup, typed languages and dates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.skills.models import LANGUAGES, ORG_SIZES, REGIONS
from bot.domain.skills.profiles import LANGUAGE_NAMES, parse_languages
from bot.domain.skills.rules import parse_date
from bot.domain.skills.taxonomy import Skill, Taxonomy, custom_key, label_score
from bot.errors import Invalid
from bot.i18n import I18n
from bot.render.skills import choice_key

TAXONOMY = Taxonomy.load()


def test_the_built_in_taxonomy_has_every_group_and_skill_in_both_languages() -> None:
    """Eight groups and fifty skills from domain.md D, each with a Dutch and an English label and a known group."""
    assert len(TAXONOMY.groups) == 8 and len(TAXONOMY.skills) == 50
    assert all(s.nl.strip() and s.en.strip() and TAXONOMY.group(s.group) for s in TAXONOMY.skills)
    assert len({s.key for s in TAXONOMY.skills}) == 50


def test_a_malformed_taxonomy_is_refused() -> None:
    """Duplicate ids and ids that could pass for a server's own skill are errors in the data."""
    group = {"id": "g", "nl": "G", "en": "G"}
    with pytest.raises(ValueError, match="duplicate"):
        Taxonomy.from_data({"group": [{**group, "skill": [{"id": "a", "nl": "A", "en": "A"}] * 2}]})
    with pytest.raises(ValueError, match="malformed"):
        Taxonomy.from_data({"group": [{**group, "skill": [{"id": "custom-a", "nl": "A", "en": "A"}]}]})


@pytest.mark.parametrize(
    ("needle", "label", "expected"),
    [
        ("object", "Object and collection photography", 1.0),
        ("photo", "Object and collection photography", 0.95),
        ("tograph", "Object and collection photography", 0.9),
        ("coll photo", "Object and collection photography", 0.88),
        ("photgraphy", "Object and collection photography", 0.86),
        ("knitting", "Object and collection photography", 0.0),
    ],
)
def test_label_score_prefers_prefix_then_word_then_substring_then_typos(
    needle: str, label: str, expected: float
) -> None:
    """The order of how a fragment matches a label."""
    assert label_score(needle, label) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("iiif", "iiif"),
        ("Creative Commons", "cc-licensing"),
        ("fondsenwerving", "fundraising"),
        ("fundraisng", "fundraising"),
        ("LIDO", "metadata-standards"),
        ("scannen", "flat-scanning"),
        ("data", None),  # fits several skills: kept as the member's words
        ("3d", None),  # too short to decide
        ("Glas-in-lood restaureren", None),
    ],
)
def test_free_text_resolves_only_when_close_and_unambiguous(text: str, key: str | None) -> None:
    """Keys, close labels in either language and small typos resolve; vague or unknown text stays free text."""
    found = TAXONOMY.resolve(text)
    assert (found.key if found else None) == key


def test_suggestions_follow_the_members_language_and_include_server_skills() -> None:
    """An empty fragment lists skills in order; a server's own skill is suggested by its label."""
    own = Skill(custom_key("Glass negatives"), "digitisation", "Glasnegatieven", "Glass negatives", custom=True)
    assert own.key == "custom-glass-negatives"
    assert [s.key for s in TAXONOMY.suggest("glasneg", "nl", [own])] == [own.key]
    assert len(TAXONOMY.suggest("", "en")) == 25
    assert TAXONOMY.suggest("fotografie", "nl")[0].key == "object-photography"


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("nl, en", ("nl", "en")),
        ("Nederlands en Engels", ("nl", "en")),
        ("Dutch; Papiamento / frysk", ("nl", "pap", "fy")),
        ("EN, english", ("en",)),
        ("-", ()),
    ],
)
def test_languages_are_read_from_codes_or_names(typed: str, codes: tuple[str, ...]) -> None:
    """Codes and names in Dutch or English, separated as people write them; duplicates once."""
    assert parse_languages(typed) == codes


def test_an_unknown_language_is_named_in_the_error() -> None:
    """Unknown words are refused and named."""
    with pytest.raises(Invalid) as info:
        parse_languages("nl, klingon")
    assert info.value.params["names"] == "klingon"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2027-01-05", date(2027, 1, 5)),
        ("5-1-2027", date(2027, 1, 5)),
        ("05/01/2027", date(2027, 1, 5)),
        ("24.12", date(2026, 12, 24)),
        ("1/1", date(2027, 1, 1)),  # already past this year: next year
    ],
)
def test_dates_are_read_as_members_write_them(typed: str, expected: date) -> None:
    """ISO, day-month-year and day-month (the next such day)."""
    assert parse_date(typed, date(2026, 11, 23)) == expected


@pytest.mark.parametrize("typed", ["tomorrow", "2027-13-01", "31-02-2027", "2027/01/05x"])
def test_unreadable_dates_are_refused(typed: str) -> None:
    """Words, impossible months and days, and trailing junk."""
    with pytest.raises(Invalid):
        parse_date(typed, date(2026, 11, 23))


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_closed_value_has_a_label(i18n: I18n, locale: str) -> None:
    """Regions, sizes and languages each have a catalogue label in both languages; each language has names."""
    catalogue = i18n.catalogue(locale)
    for area, values in (("region", REGIONS), ("org_size", ORG_SIZES), ("language", LANGUAGES)):
        assert all(choice_key(area, v) in catalogue for v in values)
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
