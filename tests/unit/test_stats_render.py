"""The statistics' charts and rows: column charts of weeks in the reader's language and notation, the resources
bar chart with member text drawn literally, and "no data" instead of a division by zero."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image

from bot.charts import (
    PNG_SIGNATURE,
    BarChart,
    ColumnChart,
    Series,
    build_column_figure,
    describe,
    figure_texts,
    png_text,
    render_png,
    value_text,
)
from bot.domain.stats import OUTCOMES, Figures, ResourceVotes, Week, weeks
from bot.i18n import I18n
from bot.render.stats import (
    POSTS_CHART,
    RESOURCES_CHART,
    SEARCH_CHART,
    figure_rows,
    hours_text,
    percent_text,
    stats_charts,
    week_label,
)

I18N = I18n.load("nl")
END = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _figures(**changes: object) -> Figures:
    start = END - timedelta(days=30)
    fields: dict[str, object] = {
        "guild_id": 1,
        "days": 30,
        "start": start,
        "end": END,
        "searches": 12,
        "zero_result_searches": 3,
        "zero_result_share": 0.25,
        "posts_opened": 4,
        "posts_solved": 3,
        "solve_rate": 0.75,
        "answer_hours_median": 2.5,
        "answers_timed": 3,
        "top_resources": (ResourceVotes("1", "Gids voor $5 $10 scanners", 4),),
        "match_requests": 0,
        "match_accepted": 0,
        "acceptance_share": None,
        "outcomes": tuple((kind, 0) for kind in OUTCOMES),
        "digest_subscribers": 2,
        "digest_sent": 5,
        "digest_failed": 1,
        "weeks": weeks(start, END, {"2026-11-16": (12, 3)}, {"2026-11-16": (4, 3)}),
    }
    fields.update(changes)
    return Figures(**fields)  # type: ignore[arg-type]


def test_a_column_chart_draws_its_periods_series_and_counts() -> None:
    """Periods under the columns, the legend, whole-number values in the reader's notation, and a real PNG."""
    chart = ColumnChart(
        "Zoekvragen per week",
        ("9 nov", "16 nov"),
        (Series("Zoekvragen", (7.0, 12.0)), Series("Zonder resultaat", (1.0, 3.0))),
        subtitle="Afgelopen 30 dagen",
        decimal_comma=True,
    )
    texts = figure_texts(build_column_figure(chart))
    for expected in ("Zoekvragen per week", "Afgelopen 30 dagen", "9 nov", "16 nov", "Zonder resultaat", "12", "3"):
        assert expected in texts
    assert describe(chart) == "9 nov: Zoekvragen 7, Zonder resultaat 1; 16 nov: Zoekvragen 12, Zonder resultaat 3"
    data = render_png(chart)
    assert data.startswith(PNG_SIGNATURE) and png_text(data)["Title"] == "Zoekvragen per week"
    assert Image.open(io.BytesIO(data)).format == "PNG"
    assert value_text(2.5, True, 0) == "2" and value_text(2.25, True) == "2,2"  # the old default: one decimal


def test_a_year_of_weeks_names_only_some_and_a_chart_needs_values() -> None:
    """53 weeks: at most 14 period labels; an empty or mismatched chart is refused before drawing."""
    periods = tuple(f"w{n}" for n in range(53))
    chart = ColumnChart("Per week", periods, (Series("A", tuple(float(n) for n in range(53))),))
    texts = figure_texts(build_column_figure(chart))
    assert 1 < len({text for text in texts if text in periods}) <= 14
    with pytest.raises(ValueError, match="at least one"):
        ColumnChart("Leeg", (), (Series("A", ()),))
    with pytest.raises(ValueError, match="one value per period"):
        ColumnChart("Scheef", ("a", "b"), (Series("A", (1.0,)),))


def test_member_text_is_drawn_literally_not_as_a_formula() -> None:
    """A resource titled with dollar signs and backslashes renders (no mathtext) and keeps its text."""
    chart = BarChart("Nuttigste bronnen", (r"$\frac{a}$ en $5",), (Series("Stemmen", (3.0,)),), 3.0, decimals=0)
    meta = png_text(render_png(chart))
    assert meta["Description"] == r"$\frac{a}$ en $5: Stemmen 3"


def test_the_charts_speak_the_readers_language() -> None:
    """Dutch and English titles, series and week labels; the resources chart only when something got votes."""
    for locale, title, week in (("nl", "Zoekvragen per week", "16 nov"), ("en", "Searches per week", "16 Nov")):
        charts = dict(stats_charts(_figures(), I18N, locale))
        assert list(charts) == [SEARCH_CHART, POSTS_CHART, RESOURCES_CHART]
        assert charts[SEARCH_CHART].title == title and week in charts[SEARCH_CHART].categories
        assert png_text(render_png(charts[RESOURCES_CHART]))["Description"].startswith("Gids voor $5 $10 scanners")
    assert [name for name, _ in stats_charts(_figures(top_resources=()), I18N, "nl")] == [SEARCH_CHART, POSTS_CHART]


def test_rows_say_no_data_and_use_the_readers_notation() -> None:
    """Shares as percentages, "no data" with an empty machine value, durations in words, keys stable."""
    rows = {row.key: row for row in figure_rows(_figures(zero_result_share=1 / 3), I18N, "nl", weekly=True)}
    assert (rows["zero_result_share"].value, rows["zero_result_share"].shown) == ("0.3333", "33%")
    assert (rows["acceptance_share"].value, rows["acceptance_share"].shown) == ("", "geen gegevens")
    assert (rows["answer_time_median_hours"].value, rows["answer_time_median_hours"].shown) == ("2.50", "2 u 30 min")
    assert rows["top_resource.1"].label == "Nuttigste bron 1: Gids voor $5 $10 scanners"
    assert rows["week.2026-11-16.searches"].label == "Week van 16 nov: zoekvragen"
    assert {f"outcome.{kind}" for kind in OUTCOMES} <= set(rows)
    assert percent_text(None, I18N, "en") == "no data" and hours_text(None, I18N, "en") == "no data"
    assert hours_text(1e300, I18N, "en").startswith("36")  # absurd values are capped, never an overflow
    assert week_label(date(2027, 1, 4), I18N, "en") == "4 Jan"


def test_a_year_across_new_year_names_weeks_with_their_year_and_a_cut_search_log_is_said() -> None:
    """Week rows carry the year when the period spans two; a search log shorter than the period gets its own row,
    in the reader's language, in the embed and the CSV alike."""
    start, end = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    figures = _figures(
        start=start,
        end=end,
        days=365,
        weeks=(Week(date(2025, 12, 1)), Week(date(2026, 11, 23))),
        searches_since=end - timedelta(days=180),
    )
    rows = {row.key: row for row in figure_rows(figures, I18N, "nl", weekly=True)}
    assert rows["searches_since"].value == "2026-06-03"
    assert rows["searches_since"].label == "Zoekvragen geteld vanaf (het zoeklogboek bewaart 180 dagen)"
    assert rows["week.2025-12-01.searches"].label == "Week van 1 dec 2025: zoekvragen"
    english = {row.key: row for row in figure_rows(figures, I18N, "en", weekly=True)}
    assert english["searches_since"].label == "Searches counted from (the search log keeps 180 days)"
    within = _figures(weeks=(Week(date(2026, 11, 16)), Week(date(2026, 11, 23))), searches_since=None)
    plain = {row.key: row for row in figure_rows(within, I18N, "nl", weekly=True)}
    assert "searches_since" not in plain
    assert plain["week.2026-11-16.searches"].label == "Week van 16 nov: zoekvragen"
