"""The self-scan's instrument (bot/data/maturity_scan.toml) against domain.md B, and its pure scoring."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from bot.domain.guild_settings import THEMES
from bot.domain.scan.instrument import Instrument
from bot.domain.scan.scoring import (
    DimensionScore,
    average,
    changes,
    from_means,
    level_of,
    next_question,
    score,
    weakest,
)
from bot.domain.skills.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_PATH = ROOT.parent / "shared/domain/domain.md"
INSTRUMENT = Instrument.load()
CROSSWALK = (
    "strategy-leadership",
    "people-skills",
    "collections-data",
    "audience-value",
    "processes-technology",
    "rights-revenue-collaboration",
)
"""The six dimensions of domain.md B.3's crosswalk, in its order."""
DEN_STATEMENT_WORDS = ("Startend", "Lerend", "Uitvoerend", "Verbindend", "Integraal")
"""DEN's own level names: our levels are named differently (domain.md B.3: write your own)."""


def _domain() -> str:
    if not DOMAIN_PATH.is_file():
        pytest.skip(f"{DOMAIN_PATH} not available")
    return DOMAIN_PATH.read_text(encoding="utf-8")


def test_the_instrument_has_15_to_20_questions_in_5_or_6_dimensions_of_the_crosswalk() -> None:
    """Sizes within the brief; the dimensions are B.3's, and each has at least two statements."""
    assert 15 <= INSTRUMENT.size <= 20
    assert 5 <= len(INSTRUMENT.dimensions) <= 6
    assert tuple(d.id for d in INSTRUMENT.dimensions) == CROSSWALK
    assert all(len(d.questions) >= 2 for d in INSTRUMENT.dimensions)
    assert [q.number for q in INSTRUMENT.questions] == list(range(1, INSTRUMENT.size + 1))


def test_dimension_labels_follow_the_crosswalk_of_domain_md() -> None:
    """Each dimension's Dutch and English name is the one B.3 proposes."""
    domain = _domain()
    for dimension in INSTRUMENT.dimensions:
        assert f"en: {dimension.name.en}" in domain and f"nl: {dimension.name.nl}" in domain, dimension.id


def test_every_text_is_there_in_dutch_and_english_and_our_own() -> None:
    """Statements, answers and levels have distinct Dutch and English wording; the level names are not DEN's."""
    texts = [q.text for q in INSTRUMENT.questions] + list(INSTRUMENT.scale)
    texts += [level.name for level in INSTRUMENT.levels] + [level.about for level in INSTRUMENT.levels]
    for text in texts:
        assert text.nl.strip() and text.en.strip() and text.nl != text.en
    assert not {level.name.nl for level in INSTRUMENT.levels} & set(DEN_STATEMENT_WORDS)
    assert [level.name.en for level in INSTRUMENT.levels] == [
        "Starting",
        "Exploring",
        "Applying",
        "Embedded",
        "Leading",
    ]


def test_the_header_names_the_models_and_says_the_wording_is_ours() -> None:
    """The data file says where its structure comes from and that its wording is ours."""
    header = (files("bot") / "data" / "maturity_scan.toml").read_text(encoding="utf-8").split("version")[0]
    for model in ("DEN", "Digital Culture Compass", "Digital Maturity Framework", "NCVO", "meemoo", "NDSA"):
        assert model in header
    assert re.search(r"wording .* is ours", header, re.DOTALL)


def test_help_skills_themes_and_links_are_real() -> None:
    """Each dimension's help skill is in the skills taxonomy, its theme a library theme; compare links are sourced."""
    taxonomy = Taxonomy.load()
    for dimension in INSTRUMENT.dimensions:
        assert taxonomy.skill(dimension.help_skill) is not None, dimension.help_skill
        assert dimension.theme in THEMES
        assert dimension.search.strip() and dimension.related
    domain = _domain()
    assert any("den.nl" in c.url for c in INSTRUMENT.compare)
    assert [c.url for c in INSTRUMENT.compare if c.url not in domain] == []


def test_a_malformed_instrument_is_refused() -> None:
    """Duplicate ids, a missing answer label or a dimension without questions fail loudly."""
    scale = [{"value": v, "nl": f"n{v}", "en": f"e{v}"} for v in range(1, 6)]
    levels = [{"value": v, "nl": f"n{v}", "en": f"e{v}", "about_nl": "a", "about_en": "b"} for v in range(1, 6)]
    question = {"id": "q", "nl": "v", "en": "q"}
    dimension = {"id": "d", "nl": "d", "en": "d", "short_nl": "d", "short_en": "d", "search": "x", "theme": "skills"}
    dimension |= {"help_skill": "iiif", "question": [question]}
    good = {"scale": scale, "level": levels, "dimension": [dimension]}
    assert Instrument.from_data(good).size == 1
    with pytest.raises(ValueError, match="duplicate"):
        Instrument.from_data(good | {"dimension": [dimension, dimension]})
    with pytest.raises(ValueError, match="1-5"):
        Instrument.from_data(good | {"scale": scale[:4]})
    with pytest.raises(ValueError, match="no questions"):
        Instrument.from_data(good | {"dimension": [dimension | {"question": []}]})
    with pytest.raises(ValueError, match="malformed"):
        Instrument.from_data(good | {"dimension": [dimension | {"id": "Bad Id"}]})


@pytest.mark.parametrize(
    ("mean", "level"),
    [(1.0, 1), (1.49, 1), (1.5, 2), (2.33, 2), (2.5, 3), (3.67, 4), (4.49, 4), (4.5, 5), (5.0, 5), (0.0, 1), (9.0, 5)],
)
def test_a_mean_falls_in_the_nearest_named_level_halves_rounding_up(mean: float, level: int) -> None:
    """The boundaries between levels are the halves."""
    assert level_of(mean) == level


def test_scores_are_means_per_dimension_and_the_weakest_come_first_in_scan_order() -> None:
    """Means with two decimals; unanswered questions do not count; equal means keep the scan's order."""
    answers = {q.id: 3 for q in INSTRUMENT.questions}
    strategy = INSTRUMENT.dimensions[0].questions
    answers |= {strategy[0].id: 1, strategy[1].id: 2, strategy[2].id: 2}
    del answers[INSTRUMENT.dimensions[5].questions[0].id]
    scores = {s.dimension: s for s in score(INSTRUMENT, answers)}
    assert scores["strategy-leadership"] == DimensionScore("strategy-leadership", 1.67, 2, 3)
    assert scores["rights-revenue-collaboration"].answered == 2 and scores["rights-revenue-collaboration"].mean == 3.0
    ordered = weakest(list(scores.values()))
    assert [s.dimension for s in ordered] == ["strategy-leadership", "people-skills"]
    assert [s.dimension for s in weakest(score(INSTRUMENT, {}), 3)] == list(CROSSWALK[:3])


def test_changes_averages_and_stored_means() -> None:
    """Change per dimension both scans have; an organisation's average; stored means back as scores."""
    current = from_means(INSTRUMENT, {"strategy-leadership": 3.0, "people-skills": 2.33, "unknown": 4.0})
    assert [s.dimension for s in current] == ["strategy-leadership", "people-skills"]
    assert current[1].level == 2
    assert changes(current, {"strategy-leadership": 2.33}) == {"strategy-leadership": 0.67}
    assert average([{"a": 1.0, "b": 2.0}, {"a": 2.0}]) == {"a": 1.5, "b": 2.0}


def test_next_question_goes_forward_then_wraps_to_the_first_open_one() -> None:
    """After answering n, the first open question after n; else the first open one; None when all are answered."""
    questions = INSTRUMENT.questions
    assert next_question(INSTRUMENT, {}) == 1
    answered = {q.id: 3 for q in questions[:7]}
    assert next_question(INSTRUMENT, answered) == 8
    gap = {q.id: 3 for q in questions if q.number not in (2, 18)}
    assert next_question(INSTRUMENT, gap, after=17) == 18
    assert next_question(INSTRUMENT, gap | {questions[17].id: 1}, after=18) == 2
    assert next_question(INSTRUMENT, {q.id: 1 for q in questions}) is None
