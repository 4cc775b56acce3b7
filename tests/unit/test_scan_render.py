"""Property tests: the self-scan's builders, fed hostile resources, organisation names and skill labels, stay
within Discord's limits, link only to stored addresses and ping nobody."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.resources import Resource
from bot.domain.scan.instrument import Dimension, Instrument
from bot.domain.scan.models import HelpAsked, OrganisationPicture, Report, Scan, Step
from bot.domain.scan.scoring import from_means, weakest
from bot.domain.skills.models import Listing
from bot.render.scan import (
    help_draft_embed,
    help_saved_text,
    library_line,
    question_embed,
    scan_change,
    scan_done_embed,
    scan_results_embed,
    scan_score,
    stopped_text,
)
from tests.unit.test_render_limits import FAST, I18N, Allowed, check_embed, check_text, member_text, resources
from tests.unit.test_skills_render import listings

INSTRUMENT = Instrument.load()
locales = st.sampled_from(("nl", "en"))
means = st.floats(min_value=1.0, max_value=5.0, allow_nan=False).map(lambda v: round(v, 2))
mean_maps = st.fixed_dictionaries({d.id: means for d in INSTRUMENT.dimensions})
moments = st.sampled_from(("2026-11-23T09:00:00+00:00", "2099-12-31T23:59:59+00:00"))


def _scan(values: dict[str, float], organisation: str | None, when: str) -> Scan:
    return Scan(7, 1, 2, "1", "completed", {}, values, organisation, when, when, when)


def _allowed(report: Report) -> Allowed:
    allowed = Allowed()
    for found in report.resources.values():
        for resource in found:
            allowed.url(resource.url)
    for link in INSTRUMENT.compare:
        allowed.url(link.url)
    return allowed


@st.composite
def reports(draw: st.DrawFn) -> Report:
    current = _scan(draw(mean_maps), draw(st.one_of(st.none(), member_text)), draw(moments))
    previous = draw(st.one_of(st.none(), mean_maps.map(lambda m: _scan(m, None, "2026-08-01T09:00:00+00:00"))))
    scores = from_means(INSTRUMENT, current.means or {})
    weak = weakest(scores)
    found = {w.dimension: draw(st.lists(resources, max_size=4)) for w in weak}
    picture = draw(
        st.one_of(
            st.none(),
            st.builds(OrganisationPicture, organisation=member_text, members=st.integers(3, 10**6), means=mean_maps),
        )
    )
    changes = {s.dimension: round(s.mean - (previous.means or {})[s.dimension], 2) for s in scores} if previous else {}
    return Report(current, scores, previous, changes, weak, found, picture)


@FAST
@given(st.integers(1, INSTRUMENT.size), st.one_of(st.none(), st.integers(1, 5)), st.booleans(), locales)
def test_question_embed(number: int, answer: int | None, resumed: bool, locale: str) -> None:
    """Every question, with or without an answer so far, fits and shows the statement in the reader's language."""
    question = INSTRUMENT.questions[number - 1]
    step = Step(_scan({}, None, ""), question, answer, number - 1, INSTRUMENT.size, resumed)
    embed = question_embed(step, INSTRUMENT, I18N, locale)
    check_embed(embed, Allowed())
    assert question.text.label(locale) in (embed.description or "")
    check_text(stopped_text(step, I18N, locale), Allowed())


@FAST
@given(reports(), locales, st.booleans())
def test_results_and_done_embeds(report: Report, locale: str, chart: bool) -> None:
    """Hostile organisation names and resources (titles, addresses, publishers) fit and link only where stored."""
    check_embed(scan_results_embed(report, INSTRUMENT, I18N, locale, chart=chart), _allowed(report))
    check_embed(scan_done_embed(report.scores, INSTRUMENT, I18N, locale), Allowed())


@FAST
@given(resources)
def test_library_line(resource: Resource) -> None:
    """One resource line: its real host shows, nobody is pinged."""
    allowed = Allowed()
    allowed.url(resource.url)
    check_text(library_line(resource), allowed)


@FAST
@given(st.sampled_from(INSTRUMENT.dimensions), member_text, member_text, listings, st.booleans(), locales)
def test_help_draft_and_saved(
    dimension: Dimension, skill: str, note: str, need: Listing, created: bool, locale: str
) -> None:
    """A server's own skill label and a note full of mentions and links are shown harmlessly."""
    check_embed(help_draft_embed(dimension, skill, note, I18N, locale), Allowed())
    asked = HelpAsked(need, created, [])
    text = help_saved_text(asked, skill, I18N, locale)
    check_text(text, Allowed())
    assert len(text) <= 2000


def test_scores_and_changes_are_written_in_the_readers_notation() -> None:
    """2,7 in Dutch and 2.7 in English; a change below a twentieth is no change."""
    assert scan_score(2.67, "nl") == "2,7" and scan_score(2.67, "en") == "2.7"
    assert scan_change(0.67, I18N, "nl") == "▲ 0,7" and scan_change(-1.0, I18N, "en") == "▼ 1.0"
    assert scan_change(0.04, I18N, "en") == "= no change"


def test_the_organisation_average_is_labelled_as_that_of_the_other_members() -> None:
    """The picture never counts the reader: its heading says whose average it is and how many they are."""
    scores = from_means(INSTRUMENT, {d.id: 3.0 for d in INSTRUMENT.dimensions})
    picture = OrganisationPicture("Archief Emmen", 3, {d.id: 4.0 for d in INSTRUMENT.dimensions})
    report = Report(
        _scan({d.id: 3.0 for d in INSTRUMENT.dimensions}, "Archief Emmen", "2026-11-23T09:00:00+00:00"),
        scores,
        None,
        {},
        weakest(scores),
        {},
        picture,
    )
    names = {
        locale: [f.name for f in scan_results_embed(report, INSTRUMENT, I18N, locale, chart=False).fields]
        for locale in ("nl", "en")
    }
    assert "Other members of your organisation Archief Emmen (3): their average" in names["en"]
    assert "Andere leden van je organisatie Archief Emmen (3): hun gemiddelde" in names["nl"]
