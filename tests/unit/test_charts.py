"""The PNG charts: a real PNG with the caller's (localised) labels drawn and in its metadata, readable on Discord's
dark and light themes, and the scan's chart built in the member's language."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.charts import (
    CARD,
    INK,
    PALETTE,
    PNG_SIGNATURE,
    BarChart,
    Series,
    build_figure,
    describe,
    figure_texts,
    png_text,
    render_png,
    value_text,
)
from bot.domain.scan.instrument import Instrument
from bot.domain.scan.models import Report, Scan
from bot.domain.scan.scoring import from_means, weakest
from bot.i18n import I18n
from bot.render.scan import scan_chart

I18N = I18n.load("nl")
INSTRUMENT = Instrument.load()
DISCORD_DARK, DISCORD_LIGHT = "#313338", "#ffffff"


def _chart(**changes: object) -> BarChart:
    fields: dict[str, object] = {
        "title": "Digitale volwassenheid",
        "categories": ("Strategie", "Mensen & cultuur"),
        "series": (Series("Nu", (2.67, 4.0)), Series("Vorige", (2.0, None))),
        "maximum": 5.0,
        "ticks": ((1.0, "1\nBeginnend"), (5.0, "5\nToonaangevend")),
        "subtitle": "Gemiddeld 3,3",
        "decimal_comma": True,
    }
    fields.update(changes)
    return BarChart(**fields)  # type: ignore[arg-type]


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_render_png_is_a_png_with_the_labels_in_its_metadata() -> None:
    """PNG signature; Title and Description (UTF-8 text, accents kept) carry the chart's words and values."""
    data = render_png(_chart(title="Volwassenheid — financiële ruimte"))
    assert data.startswith(PNG_SIGNATURE)
    meta = png_text(data)
    assert meta["Title"] == "Volwassenheid — financiële ruimte"
    assert meta["Description"] == "Strategie: Nu 2,7, Vorige 2,0; Mensen & cultuur: Nu 4,0"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.width == 800 and image.height > 200


def test_the_figure_draws_every_label_and_value_given() -> None:
    """Title, subtitle, categories, tick names, legend and values (in Dutch notation) are drawn as text."""
    texts = figure_texts(build_figure(_chart()))
    for expected in ("Digitale volwassenheid", "Gemiddeld 3,3", "Strategie", "Mensen & cultuur", "Nu", "Vorige"):
        assert expected in texts
    assert "1\nBeginnend" in texts and "5\nToonaangevend" in texts
    assert {"2,7", "4,0", "2,0"} <= set(texts) and "2.7" not in texts


def test_one_series_has_no_legend_and_english_notation() -> None:
    """A single series needs no legend; values use a decimal point unless a comma is asked for."""
    texts = figure_texts(build_figure(_chart(series=(Series("Now", (1.0, 3.33)),), decimal_comma=False)))
    assert "Now" not in texts and "3.3" in texts
    assert value_text(2.25) == "2.2" and value_text(2.25, decimal_comma=True) == "2,2"


def test_a_chart_needs_matching_values() -> None:
    """No categories, no series, or a series of the wrong length are refused before drawing."""
    with pytest.raises(ValueError, match="at least one"):
        _chart(categories=())
    with pytest.raises(ValueError, match="one value per category"):
        _chart(series=(Series("Nu", (1.0,)),))


def test_readable_on_discords_dark_and_light_themes() -> None:
    """The chart is an opaque mid-tone card: it differs from both Discord backgrounds, text contrasts 4.5:1 on
    it, every bar colour stands out from it, and composited on either theme the pixels are the same."""
    assert _contrast(INK, CARD) >= 4.5
    assert all(_contrast(colour, CARD) >= 2.5 for colour in PALETTE)
    assert _contrast(CARD, DISCORD_DARK) >= 1.5 and _contrast(CARD, DISCORD_LIGHT) >= 3
    image = Image.open(io.BytesIO(render_png(_chart()))).convert("RGBA")
    assert image.getextrema()[3] == (255, 255)  # fully opaque: nothing of the theme shows through
    composed = []
    for background in (DISCORD_DARK, DISCORD_LIGHT):
        canvas = Image.new("RGBA", image.size, background)
        canvas.alpha_composite(image)
        composed.append(canvas.tobytes())
    assert composed[0] == composed[1]
    assert image.getpixel((2, 2))[:3] == tuple(int(CARD[i : i + 2], 16) for i in (1, 3, 5))


def _report(previous: bool) -> Report:
    current_means = {d.id: 2.0 + i / 3 for i, d in enumerate(INSTRUMENT.dimensions)}
    scan = Scan(1, 1, 1, "1", "completed", {}, current_means, None, "", "", "2026-11-23T09:00:00+00:00")
    before = Scan(
        0, 1, 1, "1", "completed", {}, {"strategy-leadership": 1.0}, None, "", "", "2026-08-01T09:00:00+00:00"
    )
    scores = from_means(INSTRUMENT, current_means)
    return Report(scan, scores, before if previous else None, {}, weakest(scores))


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_scan_chart_speaks_the_members_language(locale: str) -> None:
    """Dimension names, level names, legend and title in the member's language; the other language nowhere."""
    chart = scan_chart(_report(previous=True), INSTRUMENT, I18N, locale)
    other = "en" if locale == "nl" else "nl"
    assert chart.categories == tuple(d.name.label(locale) for d in INSTRUMENT.dimensions)
    assert [label.split("\n")[1] for _, label in chart.ticks] == [lv.name.label(locale) for lv in INSTRUMENT.levels]
    assert chart.decimal_comma == (locale == "nl") and len(chart.series) == 2
    assert chart.series[1].values[0] == 1.0 and chart.series[1].values[1] is None
    drawn = "\n".join(figure_texts(build_figure(chart))).replace("\n", " ")
    assert all(d.name.label(other) not in drawn for d in INSTRUMENT.dimensions)
    expected = {
        "nl": ("Digitale volwassenheid, 2026-11-23", "Deze scan"),
        "en": ("Digital maturity, 2026-11-23", "This scan"),
    }
    title, current = expected[locale]
    assert title in drawn and current in drawn
    assert describe(chart).startswith(INSTRUMENT.dimensions[0].name.label(locale))


def test_a_first_scan_has_one_series() -> None:
    """Without a previous scan there is nothing to compare: one series, no legend."""
    chart = scan_chart(_report(previous=False), INSTRUMENT, I18N, "en")
    assert [s.label for s in chart.series] == ["This scan"]
