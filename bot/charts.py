"""PNG charts for messages: bars per category, or columns per period (weeks); one or more series side by side.

Drawn with matplotlib's object-oriented API on the Agg canvas (no pyplot, no global state, no display), with
its bundled DejaVu Sans font, so rendering works the same on every machine and may run in a worker thread
(``asyncio.to_thread``): it is CPU work the event loop must not wait for. No discord import: a cog turns the
bytes into an attachment, and other features (statistics) can reuse the same chart.

Readable in Discord's dark and light themes: the chart sits on its own opaque card of a neutral mid-tone grey,
with white text and bar colours that stand out on that grey, so it looks the same whatever is behind it.
The labels are given by the caller, already in the reader's language; the PNG's Title and Description
metadata repeat them (screen readers and tests can read them without looking at pixels).
"""

from __future__ import annotations

import io
import logging
import textwrap
import zlib
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator

log = logging.getLogger(__name__)

CARD = "#5c5f66"
"""The chart's background: a neutral mid-tone grey, distinct from Discord's dark (#313338) and light (#ffffff)."""
INK = "#ffffff"
"""Text and axes: white on the card (contrast about 6:1)."""
GRID = "#8e9199"
PALETTE = ("#8fd3ff", "#ffc56b", "#b8f2a0", "#f4a6c6")
"""Series colours, first the current one: light tones that stand out on the card."""
FONT = "DejaVu Sans"
WRAP = 24
"""Category labels longer than this wrap onto more lines."""
DPI = 100
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Series:
    """One row of values (one per category; None: no value for that category), with its legend label."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class BarChart:
    """What to draw: categories on the vertical axis, each series' value as a horizontal bar.

    ``ticks`` name positions on the value axis (e.g. ``(1, "1 Starting")``); ``maximum`` is the axis's end;
    ``decimal_comma`` writes values as ``2,7`` (Dutch); ``decimals`` is how many decimals values show (0 for
    counts).
    """

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    maximum: float
    ticks: tuple[tuple[float, str], ...] = ()
    subtitle: str = ""
    decimal_comma: bool = False
    decimals: int = 1

    def __post_init__(self) -> None:
        if not self.categories or not self.series:
            raise ValueError("a chart needs at least one category and one series")
        if any(len(s.values) != len(self.categories) for s in self.series):
            raise ValueError("every series needs one value per category")


@dataclass(frozen=True, slots=True)
class ColumnChart:
    """What to draw: periods (e.g. weeks) along the horizontal axis, each series' value as a column.

    ``periods`` are the labels under the columns (only some are written when there are many); the value axis
    starts at 0 and fits the largest value. ``decimals`` is how many decimals values show (0 for counts).
    """

    title: str
    periods: tuple[str, ...]
    series: tuple[Series, ...]
    subtitle: str = ""
    decimal_comma: bool = False
    decimals: int = 0

    def __post_init__(self) -> None:
        if not self.periods or not self.series:
            raise ValueError("a chart needs at least one period and one series")
        if any(len(s.values) != len(self.periods) for s in self.series):
            raise ValueError("every series needs one value per period")

    @property
    def categories(self) -> tuple[str, ...]:
        """The periods (what :func:`describe` names each value by)."""
        return self.periods


Chart = BarChart | ColumnChart
MAX_PERIOD_LABELS = 14
"""A column chart writes at most this many period labels (every n-th one), so they never overlap."""
MAX_COLUMN_VALUES = 12
"""A column chart writes the values above the columns only up to this many periods."""


def value_text(value: float, decimal_comma: bool = False, decimals: int = 1) -> str:
    """A value with one decimal (or ``decimals``), in the reader's notation (``2.7`` or ``2,7``)."""
    text = f"{value:.{max(0, decimals)}f}"
    return text.replace(".", ",") if decimal_comma else text


def _wrap(text: str, width: int) -> str:
    """Wrap each line of ``text`` at ``width`` characters, never inside a word."""
    return "\n".join(textwrap.fill(line, width, break_long_words=False) for line in text.split("\n"))


def build_figure(chart: BarChart) -> Figure:
    """The chart as a matplotlib figure (not yet rendered)."""
    count, groups = len(chart.categories), len(chart.series)
    inches = max(3.0 if chart.subtitle and groups == 1 else 0.0, 1.6 + 0.62 * count * max(1, groups) ** 0.5)
    figure = Figure(figsize=(8.0, inches), dpi=DPI, facecolor=CARD)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_facecolor(CARD)
    height = 0.8 / groups
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        positions = [c - 0.4 + height * (index + 0.5) for c in range(count)]
        widths = [v if v is not None else 0.0 for v in series.values]
        bars = axes.barh(positions, widths, height=height * 0.9, color=colour, label=series.label, zorder=3)
        for bar, value in zip(bars, series.values, strict=True):
            if value is None:
                continue
            axes.text(
                bar.get_width() + chart.maximum * 0.01,
                bar.get_y() + bar.get_height() / 2,
                value_text(value, chart.decimal_comma, chart.decimals),
                va="center",
                ha="left",
                color=INK,
                fontsize=9,
                fontfamily=FONT,
                zorder=4,
            )
    axes.set_yticks(range(count), [_wrap(c, WRAP) for c in chart.categories])
    axes.invert_yaxis()  # the first category on top
    axes.set_xlim(0, chart.maximum * 1.08)
    if chart.ticks:
        axes.set_xticks([t for t, _ in chart.ticks], [_wrap(label, 14) for _, label in chart.ticks])
    else:  # the axis's own ticks, in the reader's notation (whole numbers for counts)
        if chart.decimals == 0:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.xaxis.set_major_formatter(
            FuncFormatter(lambda value, _pos: value_text(value, chart.decimal_comma, chart.decimals))
        )
    axes.tick_params(colors=INK, labelsize=9, length=0)
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontfamily(FONT)
        label.set_color(INK)
    axes.grid(axis="x", color=GRID, linewidth=0.8, zorder=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(GRID)
    figure.suptitle(chart.title, color=INK, fontsize=13, fontweight="bold", fontfamily=FONT, x=0.02, ha="left")
    if chart.subtitle:
        # below the title; without a legend also in a short chart (a fixed 0.925 would touch the title there)
        top = 0.925 if groups > 1 else min(0.925, 1 - 0.52 / inches)
        figure.text(0.02, top, chart.subtitle, color=INK, fontsize=9, fontfamily=FONT, ha="left", va="top")
    if groups > 1:
        _legend(axes, groups)
    _literal(figure)
    figure.tight_layout(
        rect=(0, 0, 1, (0.91 if groups > 1 else min(0.91, 1 - 0.62 / inches)) if chart.subtitle else 0.95)
    )
    return figure


def _literal(figure: Figure) -> None:
    """Draw every text as written: a label such as ``$5 $10`` (member text) is no mathtext formula."""
    for text in figure.findobj(Text):
        if isinstance(text, Text):
            text.set_parse_math(False)


def _style_axes(axes: Any, grid_axis: str) -> None:
    """Ticks, grid and frame in the card's colours."""
    axes.tick_params(colors=INK, labelsize=9, length=0)
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontfamily(FONT)
        label.set_color(INK)
    axes.grid(axis=grid_axis, color=GRID, linewidth=0.8, zorder=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(GRID)


def build_column_figure(chart: ColumnChart) -> Figure:
    """A column chart as a matplotlib figure (not yet rendered): grouped columns per period."""
    count, groups = len(chart.periods), len(chart.series)
    figure = Figure(figsize=(max(6.0, min(12.0, 4.0 + 0.22 * count * groups)), 4.6), dpi=DPI, facecolor=CARD)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_facecolor(CARD)
    width = 0.8 / groups
    highest = max((v for s in chart.series for v in s.values if v is not None), default=0.0)
    top = highest * 1.15 if highest > 0 else 1.0
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        positions = [p - 0.4 + width * (index + 0.5) for p in range(count)]
        heights = [v if v is not None else 0.0 for v in series.values]
        bars = axes.bar(positions, heights, width=width * 0.9, color=colour, label=series.label, zorder=3)
        if count > MAX_COLUMN_VALUES:
            continue
        for bar, value in zip(bars, series.values, strict=True):
            if value is None:
                continue
            axes.text(
                bar.get_x() + bar.get_width() / 2,
                bar.get_height() + top * 0.01,
                value_text(value, chart.decimal_comma, chart.decimals),
                va="bottom",
                ha="center",
                color=INK,
                fontsize=8,
                fontfamily=FONT,
                zorder=4,
            )
    step = max(1, -(-count // MAX_PERIOD_LABELS))
    shown = list(range(0, count, step))
    axes.set_xticks(shown, [_wrap(chart.periods[i], 10) for i in shown])
    axes.set_xlim(-0.6, count - 0.4)
    axes.set_ylim(0, top)
    if chart.decimals == 0:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: value_text(value, chart.decimal_comma, chart.decimals))
    )
    _style_axes(axes, "y")
    figure.suptitle(chart.title, color=INK, fontsize=13, fontweight="bold", fontfamily=FONT, x=0.02, ha="left")
    if chart.subtitle:
        figure.text(0.02, 0.905, chart.subtitle, color=INK, fontsize=9, fontfamily=FONT, ha="left", va="top")
    if groups > 1:
        _legend(axes, groups)
    _literal(figure)
    figure.tight_layout(rect=(0, 0, 1, 0.88 if chart.subtitle else 0.94))
    return figure


def _legend(axes: Any, groups: int) -> None:
    """The series' names in one row above the plot, in the card's ink."""
    legend = axes.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=groups, frameon=False, prop={"family": FONT, "size": 9}
    )
    for text in legend.get_texts():
        text.set_color(INK)


def chart_figure(chart: Chart) -> Figure:
    """Either kind of chart as a matplotlib figure."""
    return build_column_figure(chart) if isinstance(chart, ColumnChart) else build_figure(chart)


def figure_texts(figure: Figure) -> list[str]:
    """Every non-empty text drawn on a figure (titles, labels, values, legend), in drawing order."""
    return [t.get_text() for t in figure.findobj(Text) if isinstance(t, Text) and t.get_text().strip()]


def describe(chart: Chart) -> str:
    """The chart in words (for alt text and the PNG's Description): each category with each series' value."""
    lines = []
    for index, category in enumerate(chart.categories):
        values = [
            f"{s.label} {value_text(v, chart.decimal_comma, chart.decimals)}"
            for s in chart.series
            if (v := s.values[index]) is not None
        ]
        lines.append(f"{category}: {', '.join(values)}")
    return "; ".join(lines)


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes, with its title and description in the PNG's metadata (CPU work: use a thread)."""
    figure = chart_figure(chart)
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        facecolor=CARD,
        metadata={"Title": chart.title, "Description": describe(chart), "Software": "Steunpunt"},
    )
    data = buffer.getvalue()
    log.debug("Rendered a chart of %d categories (%d bytes)", len(chart.categories), len(data))
    return data


def png_text(data: bytes) -> dict[str, str]:
    """The text metadata (tEXt and iTXt chunks) of a PNG, by keyword; for tests and checks."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    found: dict[str, str] = {}
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            found[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed = rest[0]
            _language, _, rest = rest[2:].partition(b"\0")
            _translated, _, value = rest.partition(b"\0")
            if compressed:
                value = zlib.decompress(value)
            found[key.decode("latin-1")] = value.decode("utf-8")
        elif kind == b"IEND":
            break
    return found
