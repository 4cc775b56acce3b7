"""Rendering for the moderators' statistics: the figures as rows, the /stats embed, and its charts.

:func:`figure_rows` is the one list of figures: the embed shows each row's label and localised value, and
``steunpunt stats`` writes the same rows (a stable key, the machine value, the label) as CSV, so the two always
agree. Resource titles are member text: escaped in the embed, drawn literally in the charts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import discord

from bot.charts import BarChart, Chart, ColumnChart, Series, value_text
from bot.domain.stats import OUTCOMES, Figures
from bot.i18n import I18n
from bot.render.common import Colours, add_field_within_limits, embed_builder, format_duration, safe, truncate

SEARCH_CHART = "searches.png"
POSTS_CHART = "help-posts.png"
RESOURCES_CHART = "resources.png"
TITLE_MAX = 80
"""Characters of a resource title shown in the embed and the chart."""
HOURS_MAX = 24 * 366 * 10
"""A longer time to an answer is shown as ten years (a timedelta has its limits; no answer takes that long)."""
SECTIONS: tuple[str, ...] = ("search", "help", "resources", "match", "digest")


@dataclass(frozen=True, slots=True)
class FigureRow:
    """One figure: a stable machine key, the machine value ('' for no data), the label and the shown value."""

    section: str
    key: str
    value: str
    label: str
    shown: str


def number_text(value: int) -> str:
    """A count as shown (no grouping: counts stay small and unambiguous in both languages)."""
    return str(value)


def percent_text(ratio: float | None, i18n: I18n, locale: str) -> str:
    """A share as a whole percentage (``25%``), or "no data"."""
    if ratio is None:
        return i18n.t("stats.no_data", locale)
    return i18n.t("stats.percent", locale, value=value_text(ratio * 100, locale == "nl", 0))


def hours_text(hours: float | None, i18n: I18n, locale: str) -> str:
    """A duration given in hours as ``2 u 5 min`` / ``2 h 5 min``, or "no data"."""
    if hours is None:
        return i18n.t("stats.no_data", locale)
    return format_duration(timedelta(hours=min(max(hours, 0.0), HOURS_MAX)), i18n, locale)


def week_label(monday: date, i18n: I18n, locale: str, *, year: bool = False) -> str:
    """A week by its Monday: ``16 nov`` / ``16 Nov``; with ``year`` (a period across New Year) ``16 nov 2026``."""
    months = i18n.t("stats.months", locale).split()
    month = months[monday.month - 1] if len(months) == 12 else str(monday.month)
    key = "stats.week_label_year" if year else "stats.week_label"
    return i18n.t(key, locale, day=monday.day, month=month, year=monday.year)


def spans_years(figures: Figures) -> bool:
    """Whether the period's weeks lie in more than one calendar year (then week labels carry the year)."""
    return len({week.start.year for week in figures.weeks}) > 1


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def figure_rows(figures: Figures, i18n: I18n, locale: str, *, weekly: bool = False) -> list[FigureRow]:
    """Every figure as a row, in the order shown; with ``weekly`` also each week's counts (for the CSV)."""
    t = i18n.t

    def count(section: str, key: str, value: int, label: str | None = None) -> FigureRow:
        return FigureRow(section, key, str(value), label or t(f"stats.figure.{key}", locale), number_text(value))

    def ratio(section: str, key: str, value: float | None) -> FigureRow:
        return FigureRow(
            section, key, _ratio(value), t(f"stats.figure.{key}", locale), percent_text(value, i18n, locale)
        )

    hours = figures.answer_hours_median
    rows = [
        count("search", "searches", figures.searches),
        count("search", "zero_result_searches", figures.zero_result_searches),
        ratio("search", "zero_result_share", figures.zero_result_share),
    ]
    if figures.searches_since is not None:  # the search log's retention is shorter than the period
        kept = round((figures.end - figures.searches_since) / timedelta(days=1))
        rows.append(
            FigureRow(
                "search",
                "searches_since",
                figures.searches_since.date().isoformat(),
                t("stats.figure.searches_since", locale, days=kept),
                _stamp(figures.searches_since),
            )
        )
    rows += [
        count("help", "posts_opened", figures.posts_opened),
        count("help", "posts_solved", figures.posts_solved),
        ratio("help", "solve_rate", figures.solve_rate),
        FigureRow(
            "help",
            "answer_time_median_hours",
            "" if hours is None else f"{hours:.2f}",
            t("stats.figure.answer_time", locale),
            hours_text(hours, i18n, locale),
        ),
        count("help", "answers_timed", figures.answers_timed),
    ]
    for rank, resource in enumerate(figures.top_resources, start=1):
        label = t("stats.figure.top_resource", locale, rank=rank, title=resource.title)
        rows.append(count("resources", f"top_resource.{rank}", resource.votes, label))
    rows += [
        count("match", "match_requests", figures.match_requests),
        count("match", "match_accepted", figures.match_accepted),
        ratio("match", "acceptance_share", figures.acceptance_share),
    ]
    outcomes = dict(figures.outcomes)
    for kind in OUTCOMES:
        rows.append(count("match", f"outcome.{kind}", outcomes.get(kind, 0), t(f"stats.figure.outcome_{kind}", locale)))
    rows += [
        count("digest", "digest_subscribers", figures.digest_subscribers),
        count("digest", "digest_sent", figures.digest_sent),
        count("digest", "digest_failed", figures.digest_failed),
    ]
    if weekly:
        with_year = spans_years(figures)
        for week in figures.weeks:
            name, label = week.start.isoformat(), week_label(week.start, i18n, locale, year=with_year)
            for key, value, text in (
                ("searches", week.searches, "week_searches"),
                ("zero_result_searches", week.zero_result_searches, "week_zero"),
                ("posts_opened", week.posts_opened, "week_opened"),
                ("posts_solved", week.posts_solved, "week_solved"),
            ):
                rows.append(count("week", f"week.{name}.{key}", value, t(f"stats.figure.{text}", locale, week=label)))
    return rows


def _stamp(moment: datetime) -> str:
    """A moment as a Discord date, shown in each reader's own time zone and language."""
    return f"<t:{int(moment.timestamp())}:D>"


@embed_builder
def stats_embed(figures: Figures, i18n: I18n, locale: str, *, image: str | None = None) -> discord.Embed:
    """The figures of a period, one field per theme; ``image``: the attached chart to show in the embed."""
    t = i18n.t
    embed = discord.Embed(
        title=t("stats.title", locale, days=figures.days),
        description=t("stats.period", locale, start=_stamp(figures.start), end=_stamp(figures.end)),
        colour=Colours.brand,
    )
    rows = figure_rows(figures, i18n, locale)
    for section in SECTIONS:
        if section == "resources":
            value = _resources_value(figures, i18n, locale)
        else:
            value = "\n".join(f"{row.label}: **{row.shown}**" for row in rows if row.section == section)
        add_field_within_limits(embed, t(f"stats.section.{section}", locale), value)
    embed.set_footer(text=t("stats.footer", locale))
    if image is not None:
        embed.set_image(url=f"attachment://{image}")
    return embed


def _resources_value(figures: Figures, i18n: I18n, locale: str) -> str:
    if not figures.top_resources:
        return i18n.t("stats.no_resources", locale)
    lines = []
    for rank, resource in enumerate(figures.top_resources, start=1):
        title = safe(truncate(resource.title, TITLE_MAX))
        votes = f"**{number_text(resource.votes)}**"
        lines.append(i18n.t("stats.resource_line", locale, rank=rank, title=title, votes=votes))
    return "\n".join(lines)


def stats_charts(figures: Figures, i18n: I18n, locale: str) -> list[tuple[str, Chart]]:
    """The charts of /stats as ``(file name, chart)``: searches and help posts per week; top resources if any."""
    t = i18n.t
    comma = locale == "nl"
    periods = tuple(week_label(w.start, i18n, locale) for w in figures.weeks)
    searches = ColumnChart(
        title=t("stats.chart.searches_title", locale),
        periods=periods,
        series=(
            Series(t("stats.chart.searches_all", locale), tuple(float(w.searches) for w in figures.weeks)),
            Series(t("stats.chart.searches_zero", locale), tuple(float(w.zero_result_searches) for w in figures.weeks)),
        ),
        subtitle=t(
            "stats.chart.searches_subtitle",
            locale,
            days=figures.days,
            searches=figures.searches,
            share=percent_text(figures.zero_result_share, i18n, locale),
        ),
        decimal_comma=comma,
    )
    posts = ColumnChart(
        title=t("stats.chart.posts_title", locale),
        periods=periods,
        series=(
            Series(t("stats.chart.posts_opened", locale), tuple(float(w.posts_opened) for w in figures.weeks)),
            Series(t("stats.chart.posts_solved", locale), tuple(float(w.posts_solved) for w in figures.weeks)),
        ),
        subtitle=t(
            "stats.chart.posts_subtitle",
            locale,
            days=figures.days,
            opened=figures.posts_opened,
            rate=percent_text(figures.solve_rate, i18n, locale),
        ),
        decimal_comma=comma,
    )
    charts: list[tuple[str, Chart]] = [(SEARCH_CHART, searches), (POSTS_CHART, posts)]
    if figures.top_resources:
        top = figures.top_resources
        charts.append(
            (
                RESOURCES_CHART,
                BarChart(
                    title=t("stats.chart.resources_title", locale),
                    categories=tuple(truncate(r.title, TITLE_MAX) for r in top),
                    series=(Series(t("stats.chart.resources_votes", locale), tuple(float(r.votes) for r in top)),),
                    maximum=float(max(r.votes for r in top)),
                    subtitle=t("stats.chart.resources_subtitle", locale, days=figures.days),
                    decimal_comma=comma,
                    decimals=0,
                ),
            )
        )
    return charts
