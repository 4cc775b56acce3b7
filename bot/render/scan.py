"""Rendering for the digital-maturity self-scan: questions, the completed scan, results, chart, help draft.

Statements, levels and dimension names come from our own instrument (bot/data/maturity_scan.toml); the
organisation name, library resources and skill labels of a server's own skills are member text and escaped,
resource links go through :func:`safe_link`. Scores are shown with one decimal in the reader's notation.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.charts import BarChart, Series, value_text
from bot.domain.resources import Resource
from bot.domain.scan.instrument import Dimension, Instrument
from bot.domain.scan.models import HelpAsked, Report, Step
from bot.domain.scan.scoring import DimensionScore, level_of
from bot.i18n import I18n
from bot.render.common import (
    Colours,
    add_field_within_limits,
    content_builder,
    embed_builder,
    safe,
    safe_link,
    truncate,
)
from bot.render.skills import timestamp

CHART_FILE = "scan.png"
RESOURCE_TITLE_MAX = 90


def scan_score(value: float, locale: str) -> str:
    """A mean with one decimal, ``2,7`` in Dutch and ``2.7`` in English."""
    return value_text(value, decimal_comma=locale == "nl")


def scan_change(change: float, i18n: I18n, locale: str) -> str:
    """A change since the previous scan: ``▲ 0,7``, ``▼ 0,3`` or "no change" (below a twentieth counts as none)."""
    if abs(change) < 0.05:
        return i18n.t("scan.results.same", locale)
    key = "scan.results.up" if change > 0 else "scan.results.down"
    return i18n.t(key, locale, change=scan_score(abs(change), locale))


def _level(instrument: Instrument, mean: float, locale: str) -> str:
    return instrument.level(level_of(mean)).name.label(locale)


def _overall(scores: Sequence[DimensionScore]) -> float:
    return round(sum(s.mean for s in scores) / len(scores), 2) if scores else 1.0


@embed_builder
def question_embed(step: Step, instrument: Instrument, i18n: I18n, locale: str) -> discord.Embed:
    """One statement to rate, with the scale, the answer given so far and the progress."""
    t = i18n.t
    question = step.question
    dimension = instrument.dimension(question.dimension)
    name = dimension.name.label(locale) if dimension else question.dimension
    title = t("scan.step.title", locale, number=question.number, total=step.total, dimension=name)
    lines = [f"**{question.text.label(locale)}**", ""]
    if step.resumed:
        lines.append(t("scan.step.resumed", locale))
    elif question.number == 1 and step.answered == 0:
        lines.append(t("scan.step.intro", locale))
    if step.answer is not None:
        lines.append(t("scan.step.current", locale, answer=instrument.scale[step.answer - 1].label(locale)))
    embed = discord.Embed(title=title, description="\n".join(lines).strip(), colour=Colours.brand)
    scale = "\n".join(f"**{n}** · {label.label(locale)}" for n, label in enumerate(instrument.scale, start=1))
    add_field_within_limits(embed, t("scan.step.scale", locale), scale)
    embed.set_footer(text=t("scan.step.progress", locale, answered=step.answered, total=step.total))
    return embed


@content_builder
def stopped_text(step: Step, i18n: I18n, locale: str) -> str:
    """What a member reads after Stop: how far they are and where /scan start continues."""
    return i18n.t("scan.stopped.text", locale, answered=step.answered, total=step.total, number=step.question.number)


def _score_fields(
    embed: discord.Embed,
    scores: Sequence[DimensionScore],
    instrument: Instrument,
    i18n: I18n,
    locale: str,
    changes: dict[str, float] | None = None,
) -> None:
    for item in scores:
        dimension = instrument.dimension(item.dimension)
        name = dimension.name.label(locale) if dimension else item.dimension
        value = i18n.t(
            "scan.results.line",
            locale,
            score=scan_score(item.mean, locale),
            level=_level(instrument, item.mean, locale),
        )
        if changes is not None and item.dimension in changes:
            value += "\n" + scan_change(changes[item.dimension], i18n, locale)
        add_field_within_limits(embed, name, value, inline=True)


@embed_builder
def scan_done_embed(scores: Sequence[DimensionScore], instrument: Instrument, i18n: I18n, locale: str) -> discord.Embed:
    """The scan was just completed: the level per dimension, and where to see more."""
    embed = discord.Embed(
        title=i18n.t("scan.done.title", locale), description=i18n.t("scan.done.body", locale), colour=Colours.success
    )
    _score_fields(embed, scores, instrument, i18n, locale)
    return embed


def library_line(resource: Resource) -> str:
    """One library resource as a safe link with its publisher."""
    link = safe_link(truncate(resource.title, RESOURCE_TITLE_MAX), resource.url, limit=300)
    publisher = safe(truncate(resource.publisher, 60)) if resource.publisher else ""
    return f"• {link}" + (f" · {publisher}" if publisher else "")


@embed_builder
def scan_results_embed(
    report: Report, instrument: Instrument, i18n: I18n, locale: str, *, chart: bool
) -> discord.Embed:
    """The latest scan per dimension, with the change since the previous one, and help for the weakest.

    Also the organisation's picture, library resources for the two weakest dimensions, and public tools to
    compare with.
    """
    t = i18n.t
    overall = _overall(report.scores)
    level = instrument.level(level_of(overall))
    lines = [
        t(
            "scan.results.summary",
            locale,
            date=timestamp(report.current.completed_at or report.current.updated_at),
            score=scan_score(overall, locale),
            level=level.name.label(locale),
            about=level.about.label(locale)[:1].lower() + level.about.label(locale)[1:],
        )
    ]
    if report.previous is not None:
        lines.append(t("scan.results.since", locale, date=timestamp(report.previous.completed_at or "")))
    else:
        lines.append(t("scan.results.first", locale))
    embed = discord.Embed(title=t("scan.results.title", locale), description="\n".join(lines), colour=Colours.brand)
    _score_fields(embed, report.scores, instrument, i18n, locale, report.changes if report.previous else None)
    if report.organisation is not None:
        picture = report.organisation
        means = [
            f"{d.short.label(locale)} {scan_score(picture.means[d.id], locale)}"
            for d in instrument.dimensions
            if d.id in picture.means
        ]
        name = t(
            "scan.results.organisation",
            locale,
            organisation=safe(truncate(picture.organisation, 80)),
            count=picture.members,
        )
        add_field_within_limits(embed, name, " · ".join(means))
    for weak in report.weakest:
        dimension = instrument.dimension(weak.dimension)
        if dimension is None:
            continue
        add_field_within_limits(
            embed,
            t("scan.results.weak", locale, dimension=dimension.name.label(locale)),
            _weak_value(dimension, weak, report.resources.get(dimension.id, []), instrument, i18n, locale),
        )
    if instrument.compare:
        add_field_within_limits(
            embed,
            t("scan.results.compare", locale),
            "\n".join(f"• {safe_link(c.title, c.url, limit=300)}" for c in instrument.compare),
        )
    if chart:
        embed.set_image(url=f"attachment://{CHART_FILE}")
    embed.set_footer(text=t("scan.results.footer", locale))
    return embed


def _weak_value(
    dimension: Dimension,
    score: DimensionScore,
    resources: Sequence[Resource],
    instrument: Instrument,
    i18n: I18n,
    locale: str,
) -> str:
    intro = i18n.t(
        "scan.results.weak_intro",
        locale,
        level=_level(instrument, score.mean, locale),
        score=scan_score(score.mean, locale),
        related="; ".join(dimension.related[:3]),
    )
    found = [library_line(r) for r in resources[:3]] or [i18n.t("scan.results.no_resources", locale)]
    return "\n".join([intro, *found])


def scan_chart(report: Report, instrument: Instrument, i18n: I18n, locale: str) -> BarChart:
    """The results as a bar chart with labels in ``locale``: this scan and, if there is one, the previous one."""
    means = {s.dimension: s.mean for s in report.scores}
    dimensions = [d for d in instrument.dimensions if d.id in means]
    series = [Series(i18n.t("scan.chart.current", locale), tuple(means[d.id] for d in dimensions))]
    if report.previous is not None and report.previous.means:
        before = report.previous.means
        label = i18n.t("scan.chart.previous", locale, date=(report.previous.completed_at or "")[:10])
        series.append(Series(label, tuple(before.get(d.id) for d in dimensions)))
    overall = _overall(report.scores)
    return BarChart(
        title=i18n.t("scan.chart.title", locale, date=(report.current.completed_at or "")[:10]),
        subtitle=i18n.t(
            "scan.chart.subtitle", locale, score=scan_score(overall, locale), level=_level(instrument, overall, locale)
        ),
        categories=tuple(d.name.label(locale) for d in dimensions),
        series=tuple(series),
        maximum=float(len(instrument.levels)),
        ticks=tuple((float(level.value), f"{level.value}\n{level.name.label(locale)}") for level in instrument.levels),
        decimal_comma=locale == "nl",
    )


@embed_builder
def help_draft_embed(dimension: Dimension, skill: str, note: str, i18n: I18n, locale: str) -> discord.Embed:
    """The skill need the scan drafted, for the member to confirm or cancel."""
    t = i18n.t
    embed = discord.Embed(
        title=t("scan.help.draft_title", locale, dimension=dimension.name.label(locale)),
        description=t("scan.help.draft", locale),
        colour=Colours.brand,
    )
    add_field_within_limits(embed, t("scan.help.skill", locale), safe(truncate(skill, 100)))
    add_field_within_limits(embed, t("scan.help.note_field", locale), safe(note))
    return embed


@content_builder
def help_saved_text(asked: HelpAsked, skill: str, i18n: I18n, locale: str) -> str:
    """The need is listed (or updated): its number, and how to ask for an introduction."""
    key = "scan.help.saved" if asked.created else "scan.help.updated"
    text = i18n.t(key, locale, id=asked.need.id, skill=safe(truncate(skill, 100)))
    return text + "\n" + i18n.t("scan.help.match", locale, id=asked.need.id)
