"""Pure parts of the knowledge search: analysis, glossary, typo correction, query plans and ranking helpers."""

from __future__ import annotations

import re

import pytest

from bot.domain.search.analysis import (
    compound_candidates,
    fold,
    is_content_word,
    prefix_key,
    split_compound,
    stems,
    tokenize,
    word_terms,
)
from bot.domain.search.glossary import Glossary, concept_term
from bot.domain.search.indexing import DocumentAnalyser, known_words
from bot.domain.search.models import NewDocument
from bot.domain.search.ranking import (
    add_compound_parts,
    excerpt,
    idf,
    plan_query,
    retrieval_terms,
)
from bot.domain.search.typo import best_correction, correctable, distance, edits, edits1

HOSTILE = [
    "",
    "   ",
    '"unterminated',
    "NEAR(a b, 3) AND NOT OR",
    "title:secret OR body:* ^start",
    "{title tags}: (a OR b)",
    "x* - y + z ( ) [ ] ; -- ' \" \\",
    "\x00\x01\x1f\x7f control",
    "🎉🔥 emoji only 🎉",
    "a" * 10_000,
    "woord " * 2_000,
    "'; DROP TABLE knowledge_documents; --",
]
SAFE_TERM = re.compile(r"[a-z0-9_]+")

GLOSSARY = Glossary.from_data(
    {
        "concept": [
            {"id": "copyright", "nl": ["auteursrecht"], "en": ["copyright"], "related": ["licence"]},
            {"id": "licence", "nl": ["licentie"], "en": ["licence", "license"]},
            {"id": "image-bank", "nl": ["beeldbank", "fotodatabase"], "en": ["image bank"]},
            {"id": "gdpr", "nl": ["algemene verordening gegevensbescherming"], "abbr": ["avg", "gdpr"]},
            {"id": "e-depot", "nl": ["e-depot", "digitaal depot"]},
            {"id": "cc-by-sa", "en": ["cc by-sa"]},
        ]
    }
)


# --- analysis ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Financiële", "financiele"), ("CAFÉ", "cafe"), ("coördinatie", "coordinatie"), ("Straße", "strasse")],
)
def test_fold_lowercases_and_strips_accents(text: str, folded: str) -> None:
    """Accents and case never decide a match."""
    assert fold(text) == folded


def test_tokenize_drops_apostrophes_inside_words() -> None:
    """Dutch plurals with an apostrophe become one word (foto's -> fotos)."""
    assert tokenize("foto's van objecten").words == ("fotos", "van", "objecten")


def test_tokenize_keeps_hyphen_parts_and_the_joined_word() -> None:
    """back-upstrategie gives its parts and the joined backupstrategie."""
    stream = tokenize("Een back-upstrategie en het e-depot")
    assert stream.words == ("een", "back", "upstrategie", "en", "het", "e", "depot")
    assert stream.groups == ((1, 3, "backupstrategie"), (5, 7, "edepot"))
    assert stream.joined == ("backupstrategie", "edepot")


@pytest.mark.parametrize("text", HOSTILE)
def test_tokenize_leaves_only_plain_words(text: str) -> None:
    """Search syntax, quotes, control characters and emoji never survive analysis."""
    for word in tokenize(text).words + tokenize(text).joined:
        assert SAFE_TERM.fullmatch(word)


def test_stop_words_and_single_letters_are_not_content() -> None:
    """Stop words of both languages and lone letters are not indexed."""
    assert [w for w in ("de", "the", "hoe", "what", "e", "museum", "3") if is_content_word(w)] == ["museum", "3"]


def test_stems_cover_both_languages() -> None:
    """Dutch and English stems both stand for a word, without duplicates."""
    assert stems("licenties") == ("licentie", "licenti")
    assert stems("museum") == ("museum",)
    assert "digitaliser" in stems("digitaliseren")
    assert stems("digitaliseren")[0] == stems("digitalisering")[0]


def test_prefix_key_only_for_longer_words() -> None:
    """registratie and registrator share a weak prefix term; short words get none."""
    assert prefix_key("registratie") == prefix_key("registrator") == "p_regist"
    assert prefix_key("foto") is None
    assert "p_regist" in word_terms("registratie")


def test_compound_split_with_linking_s() -> None:
    """A Dutch compound splits into known parts, dropping the tussen-s."""
    known = {"digitalisering", "projecten", "erfgoed", "instelling"}.__contains__
    assert split_compound("digitaliseringsprojecten", known) == ["digitalisering", "projecten"]
    assert split_compound("erfgoedinstelling", known) == ["erfgoed", "instelling"]


def test_compound_split_needs_known_parts_and_no_stop_words() -> None:
    """Unknown parts, stop-word heads and short words are not split."""
    known = {"zoek", "onder", "beeld"}.__contains__
    assert split_compound("onderzoek", known) == []
    assert split_compound("beeldbank", known) == []
    assert split_compound("beeld", known) == []


def test_compound_split_in_three() -> None:
    """The tail may be split once more."""
    known = {"collectie", "beheer", "systeem"}.__contains__
    assert split_compound("collectiebeheersysteem", known) == ["collectie", "beheer", "systeem"]


def test_compound_candidates_contain_the_parts() -> None:
    """Everything a split could look up is offered for one vocabulary query."""
    found = compound_candidates("digitaliseringsprojecten")
    assert {"digitalisering", "projecten", "digitaliserings"} <= found
    assert compound_candidates("kort") == set()


def test_known_words_accepts_inflections() -> None:
    """A compound part counts as known when one of its stems is the stem of a known word."""
    known = known_words({"lijst", "terminologie"})
    assert known("lijsten")
    assert not known("woordenboek")


# --- glossary ---------------------------------------------------------------------------------------


def test_glossary_finds_phrases_by_stem_and_across_languages() -> None:
    """Plurals and multi-word terms match; every variant stands for the same concept term."""
    found = GLOSSARY.find(tokenize("Twee beeldbanken en een image bank").words)
    assert [(m.start, m.end, m.concept) for m in found] == [(1, 2, "c_image_bank"), (4, 6, "c_image_bank")]


def test_glossary_abbreviation_and_full_form_meet() -> None:
    """AVG and its full name are one concept."""
    full = GLOSSARY.find(tokenize("de Algemene Verordening Gegevensbescherming").words)
    assert {m.concept for m in full} == {"c_gdpr"} == GLOSSARY.concepts_of_word("avg")


def test_glossary_phrase_with_stop_word_and_hyphen() -> None:
    """'CC BY-SA' matches although 'by' is a stop word; 'e-depot' matches its joined form too."""
    assert {m.concept for m in GLOSSARY.find(tokenize("onder CC BY-SA delen").words)} == {"c_cc_by_sa"}
    assert GLOSSARY.concepts_of_word("edepot") == {"c_e_depot"}


def test_glossary_related_and_errors() -> None:
    """Related concepts are listed; duplicates and unknown related ids are refused."""
    assert GLOSSARY.related(concept_term("copyright")) == ("c_licence",)
    with pytest.raises(ValueError, match="duplicate"):
        Glossary.from_data({"concept": [{"id": "a", "nl": ["x"]}, {"id": "a", "nl": ["y"]}]})
    with pytest.raises(ValueError, match="unknown"):
        Glossary.from_data({"concept": [{"id": "a", "nl": ["x"], "related": ["b"]}]})


def test_shipped_glossary_covers_the_sector() -> None:
    """The real glossary loads, is large, and links the key bilingual pairs and abbreviations."""
    glossary = Glossary.load()
    assert glossary.size >= 150

    def concepts(text: str) -> set[str]:
        return {m.concept for m in glossary.find(tokenize(text).words)}

    pairs = [
        ("auteursrecht", "copyright"),
        ("AVG", "GDPR"),
        ("AVG", "privacywet"),
        ("CC", "Creative Commons"),
        ("beeldbank", "image bank"),
        ("fotodatabase", "beeldbank"),
        ("PID", "persistent identifier"),
        ("TCO", "total cost of ownership"),
        ("SFPK", "Sociaal Fonds Podiumkunsten"),
        ("OCR", "tekstherkenning"),
        ("HTR", "handwritten text recognition"),
        ("digitaliseren", "digitisation"),
        ("metadata", "metagegevens"),
    ]
    for left, right in pairs:
        assert concepts(left) & concepts(right), (left, right)


# --- typo correction ----------------------------------------------------------------------------------


def test_edits_reach_every_single_edit_and_long_words_further() -> None:
    """Deletion, swap, substitution and insertion are one edit; long words also reach a deletion plus one more."""
    found = edits1("abc")
    assert {"bc", "bac", "abd", "abcd", "xabc"} <= found and "abc" not in found
    assert all(distance("abc", e) == 1 for e in found)
    assert "museum" in edits("musuem") and "metadata" in edits("metedata")
    assert "digitalisering" in edits("digittaliseringg")  # two edits, long word
    assert "digitalisering" not in edits1("digittaliseringg")


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [("musuem", "museum", 1), ("comons", "commons", 1), ("metedata", "metadata", 1), ("abc", "xyz", 3)],
)
def test_distance(a: str, b: str, d: int) -> None:
    """Transpositions count once; the distance stops counting above the limit."""
    assert distance(a, b, limit=2) == d


def test_best_correction_prefers_close_then_frequent() -> None:
    """The nearest word wins, then the more frequent one; far or unknown words give nothing."""
    assert best_correction("museom", {"museum": 5, "musea": 50}) == "museum"
    assert best_correction("creatve", {"creative": 3, "kreative": 40}) == "creative"
    assert best_correction("musuem", {"museum": 2, "musuems": 1}) == "museum"
    assert best_correction("persistant", {"persistent": 4}) == "persistent"
    assert best_correction("kasten", {"kaarten": 9}) is None
    assert best_correction("identifers", {"identifiers": 1, "identifier": 1}) in {"identifiers", "identifier"}


def test_short_and_non_alphabetic_words_are_not_corrected() -> None:
    """Short words have too many real neighbours to guess; numbers and stop words are left alone."""
    assert correctable("musuem")
    assert not correctable("took")
    assert not correctable("2025abc")
    assert not correctable("because")


# --- query plans and ranking helpers ----------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_query_terms_are_always_safe(text: str) -> None:
    """Whatever the query, every term it plans is made of [a-z0-9_] only (the index's own alphabet)."""
    plan = plan_query(text, GLOSSARY)
    assert all(re.fullmatch(r"[a-z0-9_]+", t) for t in plan.terms())
    assert len(plan.concepts) <= 32


def test_plan_joins_hyphen_words_and_adds_phrase_concepts() -> None:
    """A hyphenated word is not counted twice, and a glossary phrase becomes a concept of its own."""
    plan = plan_query("back-up van de image bank", GLOSSARY)
    words = [c.word for c in plan.concepts]
    assert words == ["back", "image", "bank", "c_image_bank"]
    assert "backup" in plan.concepts[0].variants
    assert plan.concepts[-1].phrase


def test_plan_adds_compound_parts_once_the_vocabulary_is_known() -> None:
    """A compound query word may also match its parts, looked up in one go with the other terms."""
    plan = plan_query("digitaliseringsprojecten", GLOSSARY)
    assert {"digitalisering", "projecten"} <= plan.lookups
    counts = {"digitalisering": 3, "projecten": 2}
    add_compound_parts(plan, counts, GLOSSARY)
    assert len(plan.concepts[0].parts) == 2


def test_retrieval_terms_skip_weak_and_very_common_terms() -> None:
    """Related concepts only re-rank; a concept in most documents fetches nothing unless it is alone."""
    plan = plan_query("copyright museum", GLOSSARY)
    counts = {"copyright": 50, "c_copyright": 60, "c_licence": 5, "museum": 90_000, "p_museum": 90_000}
    assert retrieval_terms(plan, counts, 100_000) == ["c_copyright", "copyright"]
    only_common = plan_query("museum", GLOSSARY)
    assert retrieval_terms(only_common, counts, 100_000) == ["museum"]
    small = {"copyright": 5, "c_copyright": 6, "museum": 120}
    assert "museum" in retrieval_terms(plan, small, 150)  # small indexes are never pruned


def test_retrieval_terms_take_the_rarest_concepts_within_a_budget() -> None:
    """The two rarest concepts always fetch; others only while their postings fit the budget."""
    plan = plan_query("beeldbank subsidie collectie", GLOSSARY)
    counts = {"beeldbank": 10, "c_image_bank": 12, "subsidie": 900, "p_subsid": 950, "collectie": 5000}
    everything = retrieval_terms(plan, counts, 100_000, budget=10_000)
    assert "collectie" in everything and "subsidie" in everything
    tight = retrieval_terms(plan, counts, 100_000, budget=2_000)
    assert "beeldbank" in tight and "subsidie" in tight and "collectie" not in tight


def test_idf_is_never_negative() -> None:
    """A term in every document still weighs a little, never less than nothing."""
    assert idf(100, 100) > 0
    assert idf(1, 100) > idf(50, 100)


def test_excerpt_picks_the_sentence_that_mentions_the_query() -> None:
    """The excerpt is the best-matching sentence, shortened with an ellipsis."""
    body = "Dit gaat over iets anders. Een beeldbank delen met het archief is goed te doen. Slot."
    plan = plan_query("beeldbank archief", GLOSSARY)
    assert excerpt(body, plan).startswith("Een beeldbank delen")
    assert excerpt("", plan) == ""
    long = excerpt("woord " * 200, plan, width=50)
    assert len(long) <= 50
    assert long.endswith("…")


def test_document_analyser_splits_only_dutch_compounds() -> None:
    """Dutch documents index compound parts; English ones do not (handwritten is not hand + written)."""
    analyser = DocumentAnalyser(GLOSSARY, known_words({"erfgoed", "instelling", "hand", "written"}), "v")
    nl = analyser.record(NewDocument(0, "import", "a", "faq", "erfgoedinstelling", "", lang="nl"))
    en = analyser.record(NewDocument(0, "import", "b", "faq", "handwritten", "", lang="en"))
    assert "erfgoed" in nl.fields[0] and nl.fields[0]["erfgoedinstel"] == 1
    assert "written" not in en.fields[0]
    assert nl.fields[1] == {} and nl.fields[2] == {}
    assert "erfgoed" in nl.terms()
