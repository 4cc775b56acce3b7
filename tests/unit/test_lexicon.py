"""The shipped search lexicon: loading, compound splits against it, fingerprints, broken files, the build script."""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.search.analysis import STOPWORDS, fold, split_compound
from bot.domain.search.glossary import Glossary
from bot.domain.search.lexicon import DEFAULT_LEXICON_PATH, FORMAT_HEADER, MIN_EXTRA_PART, Lexicon
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
FOLDED_WORD = re.compile(r"[a-z]{4,30}")

COMPOUNDS = {
    "erfgoedinstelling": ["erfgoed", "instelling"],
    "erfgoedinstellingen": ["erfgoed", "instellingen"],
    "digitaliseringsprojecten": ["digitalisering", "projecten"],
    "collectiebeheer": ["collectie", "beheer"],
    "collectiebeheersysteem": ["collectie", "beheer", "systeem"],
    "auteursrecht": ["auteurs", "recht"],
    "auteursrechten": ["auteurs", "rechten"],
    "subsidieaanvraag": ["subsidie", "aanvraag"],
    "museumcollectie": ["museum", "collectie"],
    "vrijwilligersbeleid": ["vrijwilligers", "beleid"],
    "bezoekersonderzoek": ["bezoekers", "onderzoek"],
    "beroepsonderwijs": ["beroeps", "onderwijs"],
    "tentoonstellingsruimte": ["tentoonstelling", "ruimte"],
    "bewaartermijn": ["bewaar", "termijn"],
    "beeldmateriaal": ["beeld", "materiaal"],
    "fondsenwerving": ["fondsen", "werving"],
    "museumconsulent": ["museum", "consulent"],
    "websitebeheer": ["website", "beheer"],
    "jaarverslagen": ["jaar", "verslagen"],
}
"""Sector compounds and how the shipped lexicon alone splits them (linking s kept where it is also a plural)."""

NOT_COMPOUNDS = [
    "registratie",
    "informatie",
    "organisatie",
    "verantwoordelijkheid",
    "toegankelijkheid",
    "digitalisering",
    "automatisering",
    "duidelijk",
    "maandelijks",
    "ondersteuning",
    "opleiding",
    "financiering",
    "vergelijking",
    "verschillende",
    "aanvullende",
    "gesprekken",
    "verslagen",
    "toepassing",
    "presenteren",
    "minister",
]
"""Common words that only look like compounds of short rare words (duide+lijk, gesp+rekken, mini+ster)."""


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture(scope="module")
def with_glossary(lexicon: Lexicon) -> Lexicon:
    return lexicon.with_words(Glossary.load().words)


def test_the_shipped_lexicon_loads_folded_words(lexicon: Lexicon) -> None:
    assert len(lexicon.parts) > 30_000
    assert len(lexicon.words) > 100_000
    assert lexicon.parts <= lexicon.words
    assert all(FOLDED_WORD.fullmatch(w) and fold(w) == w for w in lexicon.words)
    assert not lexicon.parts & STOPWORDS
    assert {"erfgoed", "instelling", "collectie", "museum"} <= lexicon.parts
    assert {"creative", "commons", "persistent", "berekenen"} <= lexicon.words
    assert re.fullmatch(r"[0-9a-f]{12}", lexicon.fingerprint)
    assert Lexicon.load(DEFAULT_LEXICON_PATH).fingerprint == lexicon.fingerprint


@pytest.mark.parametrize(("word", "parts"), COMPOUNDS.items())
def test_sector_compounds_split_into_their_parts(lexicon: Lexicon, with_glossary: Lexicon, word: str, parts: list[str]):
    assert split_compound(word, lexicon.known) == parts
    assert split_compound(word, with_glossary.known) == parts


@pytest.mark.parametrize("word", NOT_COMPOUNDS)
def test_common_words_are_not_cut_apart(lexicon: Lexicon, with_glossary: Lexicon, word: str):
    assert split_compound(word, lexicon.known) == []
    assert split_compound(word, with_glossary.known) == []


def test_glossary_words_become_parts(lexicon: Lexicon, with_glossary: Lexicon):
    assert split_compound("cloudopslag", lexicon.known) == []
    assert split_compound("cloudopslag", with_glossary.known) == ["cloud", "opslag"]


def test_known_accepts_words_and_inflections_but_not_stem_fragments(lexicon: Lexicon):
    assert lexicon.known("erfgoed")
    assert lexicon.known("instellingen")
    assert lexicon.known("projecten")
    # fragments that only share a Snowball stem with a word, and suffixes that are rare words
    for fragment in ("digitali", "aange", "isering", "verantwoor", "delijkheid", "lijk", "sonder", "gesp"):
        assert not lexicon.known(fragment), fragment


def test_fingerprint_is_stable_and_follows_the_content():
    base = Lexicon.of(["erfgoed", "instelling", "museum"])
    assert Lexicon.of(["Museum", "instelling", "erfgoed", "erfgoed", "foto's"]).fingerprint == base.fingerprint
    assert Lexicon.of(["erfgoed", "instelling"]).fingerprint != base.fingerprint
    assert Lexicon.of(["erfgoed", "instelling", "musea"]).fingerprint != base.fingerprint
    moved = Lexicon.of(["erfgoed", "instelling", "museum"], parts=["erfgoed", "instelling"])
    assert moved.fingerprint != base.fingerprint
    assert moved.words == base.words
    assert not moved.known("museum")


def test_a_loaded_lexicon_has_the_fingerprint_of_its_words(lexicon: Lexicon):
    assert Lexicon.of(lexicon.words, lexicon.parts).fingerprint == lexicon.fingerprint


def test_with_words_adds_long_words_as_parts_and_changes_the_fingerprint():
    base = Lexicon.of(["erfgoed"])
    assert base.with_words(["Erfgoed", "voor"]) is not base  # "voor" is new, as a word only
    assert base.with_words(["Erfgoed"]) is base
    grown = base.with_words(["Instelling", "lend", "voor"])
    assert grown.parts == {"erfgoed", "instelling"}
    assert grown.words == {"erfgoed", "instelling", "lend", "voor"}
    assert len("lend") < MIN_EXTRA_PART
    assert grown.fingerprint != base.fingerprint
    assert split_compound("erfgoedinstelling", grown.known) == ["erfgoed", "instelling"]


def test_stop_words_are_never_parts():
    lexicon = Lexicon.of(["voor", "stellingen", "onder", "zoek"])
    assert lexicon.parts == {"stellingen", "zoek"}
    assert split_compound("voorstellingen", lexicon.known) == []


def _write(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


def test_a_small_lexicon_file_round_trips(tmp_path: Path):
    path = _write(tmp_path / "lexicon.txt.gz", f"{FORMAT_HEADER}\n[parts]\nerfgoed\ninstelling\n[words]\ncreative\n")
    lexicon = Lexicon.load(path)
    assert lexicon.parts == {"erfgoed", "instelling"}
    assert lexicon.words == {"erfgoed", "instelling", "creative"}
    assert (
        lexicon.fingerprint == Lexicon.of(["erfgoed", "instelling", "creative"], ["erfgoed", "instelling"]).fingerprint
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read"),
        (b"not gzip at all", "Cannot read"),
        (gzip.compress(b"\xff\xfe broken utf-8"), "Cannot read"),
        (gzip.compress(f"{FORMAT_HEADER}\n[parts]\nerfgoed\n".encode())[:-6], "Cannot read"),
        (gzip.compress(b"erfgoed\ninstelling\n"), "not a lexicon file"),
        (gzip.compress(f"{FORMAT_HEADER}\n[parts]\nerfgoed\n".encode()), "no [words] section"),
        (gzip.compress(f"{FORMAT_HEADER}\n[parts]\nErfgoed\n[words]\n".encode()), "'Erfgoed'"),
        (gzip.compress(f"{FORMAT_HEADER}\n[parts]\n[words]\nfoto's\n".encode()), '"foto\'s"'),
        (gzip.compress(f"{FORMAT_HEADER}\n[parts]\n[words]\nerfgoed".encode()), "'erfgoed'"),
    ],
)
def test_a_broken_lexicon_file_is_a_clear_config_error(tmp_path: Path, content: bytes | None, message: str):
    path = tmp_path / "lexicon.txt.gz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        Lexicon.load(path)
    assert str(path) in str(caught.value)


@given(st.text(max_size=60))
def test_known_is_deterministic_and_total(lexicon: Lexicon, text: str):
    for part in (text, fold(text)):
        first = lexicon.known(part)
        assert isinstance(first, bool)
        assert lexicon.known(part) is first
    word = fold(text)
    parts = split_compound(word, lexicon.known)
    assert parts == split_compound(word, lexicon.known)
    assert all(lexicon.known(p) for p in parts)


# --- the build script -----------------------------------------------------------------------------------


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_lexicon", ROOT / "scripts" / "build_lexicon.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AFF = """SET UTF-8
FLAG long
SFX Zb Y 2
SFX Zb 0 en/CaCbCp [^eo]
SFX Zb 0 ën/CaCbCp [eo]
SFX Ch Y 1
SFX Ch 0 s/CaCbCxCp .
SFX Za Y 1
SFX Za 0 s .
"""
DIC = """8
erfgoed/CaCc
instelling/ZbCcCh
museum/CaCbCcZa
Museum/PN
lijk/CaCcZb
voor/Ca
erfgoedinstelling/Zb
kijken/Vi
"""


def test_the_build_script_expands_filters_and_is_deterministic(tmp_path: Path):
    build = _build_script()
    dic = tmp_path / "nl.dic"
    aff = tmp_path / "nl.aff"
    english = tmp_path / "english"
    dic.write_text(DIC, encoding="utf-8")
    aff.write_text(AFF, encoding="utf-8")
    english.write_text("Amsterdam\ncreative\ncreative's\nmuseum\nzoo\n", encoding="utf-8")
    first, second = tmp_path / "a.txt.gz", tmp_path / "b.txt.gz"
    build.build(dic, aff, english, first)
    build.build(dic, aff, english, second)
    assert first.read_bytes() == second.read_bytes()
    lexicon = Lexicon.load(first)
    # compound parts with their inflections, not the only-in-compound "instellings", "lijk" or a stop word
    assert lexicon.parts == {"erfgoed", "instelling", "instellingen", "museum", "museums"}
    # other words: infinitives and English, not the compound of parts, names, short words or apostrophes
    assert lexicon.words - lexicon.parts == {"kijken", "creative"}
