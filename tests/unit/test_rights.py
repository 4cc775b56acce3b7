"""The 12 RightsStatements.org statements (domain.md A.5) and finding one by code, URI or name."""

from __future__ import annotations

import pytest

from bot.domain.licences import RightsCatalogue

RIGHTS = RightsCatalogue.load()
# domain.md A.5, transcribed by hand: code → (English label, Dutch label, group, accepted by Europeana)
A5 = {
    "InC": ("In Copyright", "Auteursrechtelijk beschermd", "in_copyright", True),
    "InC-OW-EU": (
        "In Copyright - EU Orphan Work",
        "Auteursrechtelijk beschermd - EU Verweesd Werk",
        "in_copyright",
        True,
    ),
    "InC-EDU": (
        "In Copyright - Educational Use Permitted",
        "Auteursrechtelijk beschermd - educatief gebruik toegestaan",
        "in_copyright",
        True,
    ),
    "InC-NC": (
        "In Copyright - Non-Commercial Use Permitted",
        "Auteursrechtelijk beschermd - niet-commercieel gebruik toegestaan",
        "in_copyright",
        False,
    ),
    "InC-RUU": (
        "In Copyright - Rights-holder(s) Unlocatable or Unidentifiable",
        "Auteursrechtelijk beschermd - rechthebbende(n) niet-lokaliseerbaar of niet-identificeerbaar",
        "in_copyright",
        False,
    ),
    "NoC-CR": (
        "No Copyright - Contractual Restrictions",
        "Niet auteursrechtelijk beschermd - contractuele beperkingen",
        "no_copyright",
        False,
    ),
    "NoC-NC": (
        "No Copyright - Non-Commercial Use Only",
        "Niet auteursrechtelijk beschermd - uitsluitend niet-commercieel gebruik toegestaan",
        "no_copyright",
        True,
    ),
    "NoC-OKLR": (
        "No Copyright - Other Known Legal Restrictions",
        "Niet auteursrechtelijk beschermd - andere juridische beperkingen",
        "no_copyright",
        True,
    ),
    "NoC-US": (
        "No Copyright - United States",
        "Niet auteursrechtelijk beschermd - Verenigde Staten",
        "no_copyright",
        False,
    ),
    "CNE": ("Copyright Not Evaluated", "Auteursrechtelijke status niet geëvalueerd", "unclear", True),
    "UND": ("Copyright Undetermined", "Auteursrechtelijke bescherming niet bepaald", "unclear", False),
    "NKC": ("No Known Copyright", "Geen auteursrechtelijke beperkingen bekend", "unclear", False),
}
COLLECTIONS = {
    "collection-ic": {"InC", "InC-OW-EU", "InC-RUU", "InC-EDU", "InC-NC"},
    "collection-nc": {"NoC-NC", "NoC-CR", "NoC-OKLR", "NoC-US"},
    "collection-other": {"NKC", "CNE", "UND"},
}


def test_the_twelve_statements_are_domain_md_a5() -> None:
    """Codes, verbatim labels, groups, Europeana support, URIs and collections as in A.5."""
    got = {s.id: (s.label_en, s.label_nl, s.group, s.europeana_supported) for s in RIGHTS.statements}
    assert got == A5
    for statement in RIGHTS.statements:
        assert statement.uri == f"http://rightsstatements.org/vocab/{statement.id}/1.0/"
        assert (
            statement.summary("en") and statement.summary("nl") and statement.summary("nl") != statement.summary("en")
        )
    assert {c.id: set(c.members) for c in RIGHTS.collections} == COLLECTIONS
    europeana = {s.id for s in RIGHTS.statements if s.europeana_supported}
    assert europeana == {"InC", "InC-EDU", "InC-OW-EU", "NoC-NC", "NoC-OKLR", "CNE"}  # A.5: 6 of the 12


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("InC-EDU", "InC-EDU"),
        ("inc-edu", "InC-EDU"),
        ("  NKC ", "NKC"),
        ("http://rightsstatements.org/vocab/InC-EDU/1.0/", "InC-EDU"),
        ("https://rightsstatements.org/vocab/NoC-US/1.0", "NoC-US"),
        ("rightsstatements.org/page/CNE/1.0/?language=nl", "CNE"),
        ("<http://rightsstatements.org/vocab/UND/1.0/>", "UND"),
        ("In Copyright", "InC"),
        ("Educational use permitted", "InC-EDU"),
        ("educatief gebruik", "InC-EDU"),
        ("verweesd werk", "InC-OW-EU"),
        ("Copyrigt not evaluted", "CNE"),
        ("Verenigde Staten", "NoC-US"),
    ],
)
def test_find_by_code_uri_or_name_in_either_language(text: str, code: str) -> None:
    """A code in any case, a URI in any of its forms, or a (slightly misspelt) name in Dutch or English."""
    found = RIGHTS.find(text, "en")
    assert found is not None and found.id == code


@pytest.mark.parametrize("text", ["no copyright", "", "xyzzy", "http://rightsstatements.org/vocab/FOO/1.0/"])
def test_vague_or_unknown_text_finds_nothing(text: str) -> None:
    """Text that fits several statements, or none, is not guessed."""
    assert RIGHTS.find(text, "nl") is None


def test_suggestions_rank_the_best_fit_first() -> None:
    """Autocomplete: everything for an empty field, the right one first for a fragment, a URI to itself."""
    assert len(RIGHTS.suggest("", "nl")) == 12
    assert [s.id for s in RIGHTS.suggest("no copyright", "en")][:4] == ["NoC-CR", "NoC-NC", "NoC-OKLR", "NoC-US"]
    assert RIGHTS.suggest("niet-comm", "nl")[0].id in {"InC-NC", "NoC-NC"}
    assert [s.id for s in RIGHTS.suggest("http://rightsstatements.org/vocab/InC-RUU/1.0/", "en")] == ["InC-RUU"]


def test_each_statement_has_its_category_and_the_notes_exist() -> None:
    """Every statement belongs to one collection; both notes exist in both languages."""
    for statement in RIGHTS.statements:
        collection = RIGHTS.collection_of(statement)
        assert collection is not None and collection.label("nl") != collection.label("en")
    for note in ("not_a_licence", "http_uri"):
        assert (
            RIGHTS.note(note, "nl") and RIGHTS.note(note, "en") and RIGHTS.note(note, "nl") != RIGHTS.note(note, "en")
        )
