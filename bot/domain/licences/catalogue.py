"""The built-in Creative Commons facts: tools (six 4.0 licences, CC0, PDM), elements, chooser and charts.

Read from ``bot/data/licences.toml`` (a transcription of ``../shared/domain/domain.md`` A.2–A.4) with
:mod:`importlib.resources`, and checked on load: ids unique, every chart code known, chart 2 symmetric, the
chooser's paths sound. Nothing here knows a licence by name; everything follows the data.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from bot.domain.licences.chooser import Chooser

log = logging.getLogger(__name__)

DEFAULT_LICENCES_PATH: Traversable = files("bot") / "data" / "licences.toml"
PUBLIC_DOMAIN_ROW = "PD"
"""Chart 1's row for public-domain material (CC0, PDM or otherwise public domain)."""
GRADES = ("allowed", "permitted_not_recommended", "not_allowed")
"""Chart 1's three colours: green, yellow, dark grey."""


@dataclass(frozen=True, slots=True)
class Element:
    """One licence element (BY, SA, NC, ND): its names and what it means (English from CC, Dutch ours)."""

    code: str
    en: str
    nl: str
    meaning_en: str
    meaning_nl: str

    def name(self, locale: str) -> str:
        """The element's name in ``locale``."""
        return self.nl if locale == "nl" else self.en

    def meaning(self, locale: str) -> str:
        """What the element asks, in ``locale``."""
        return self.meaning_nl if locale == "nl" else self.meaning_en


@dataclass(frozen=True, slots=True)
class Tool:
    """A licence or public-domain tool, as in domain.md A.2 (plus its chart codes and our paraphrase)."""

    id: str
    kind: str
    short: str
    name_en: str
    name_nl: str
    elements: tuple[str, ...]
    permits: Mapping[str, bool]
    conditions: Mapping[str, bool]
    openness_rank: int
    free_cultural_work: bool
    europeana_supported: bool
    deed_url: str
    deed_url_nl: str | None
    legalcode_url: str | None
    legalcode_url_nl: str | None
    chart_code: str
    adapter_chart_row: str
    about_en: str
    about_nl: str

    def name(self, locale: str) -> str:
        """The full name in ``locale``."""
        return self.name_nl if locale == "nl" else self.name_en

    def about(self, locale: str) -> str:
        """Our one-sentence explanation in ``locale``."""
        return self.about_nl if locale == "nl" else self.about_en

    def deed(self, locale: str) -> str:
        """The human-readable deed, in Dutch when there is one and the reader is Dutch."""
        return self.deed_url_nl if locale == "nl" and self.deed_url_nl else self.deed_url

    def legalcode(self, locale: str) -> str | None:
        """The legal code, in Dutch when there is one and the reader is Dutch (None for PDM)."""
        return self.legalcode_url_nl if locale == "nl" and self.legalcode_url_nl else self.legalcode_url

    @property
    def is_licence(self) -> bool:
        """Whether this is a licence (not CC0 or PDM)."""
        return self.kind == "licence"


@dataclass(frozen=True, slots=True)
class RemixPair:
    """A.4's ``remix_pairs`` row: whether two chart-2 codes remix, and the adaptation's licences (chart-1 codes)."""

    a: str
    b: str
    can_remix: bool
    options: tuple[str, ...]
    most_open: str | None


class LicenceCatalogue:
    """Every tool, the elements, the chooser, both compatibility charts and the collections table."""

    def __init__(
        self,
        tools: Sequence[Tool],
        elements: Mapping[str, Element],
        chooser: Chooser,
        adapter_chart: Mapping[str, Mapping[str, tuple[str, ...]]],
        remix_order: Sequence[str],
        remix_matrix: Mapping[str, Sequence[bool]],
        remix_pairs: Sequence[RemixPair],
        collections: Mapping[str, Mapping[str, bool]],
    ) -> None:
        self.tools: tuple[Tool, ...] = tuple(tools)
        self.elements = dict(elements)
        self.chooser = chooser
        self.adapter_chart = {row: dict(grades) for row, grades in adapter_chart.items()}
        self.remix_order: tuple[str, ...] = tuple(remix_order)
        self.remix_matrix = {code: tuple(row) for code, row in remix_matrix.items()}
        self.remix_pairs: tuple[RemixPair, ...] = tuple(remix_pairs)
        self.collections = {row: dict(v) for row, v in collections.items()}
        self._tools = {t.id: t for t in self.tools}
        self._by_code = {t.chart_code: t for t in self.tools}

    @classmethod
    def load(cls, path: Traversable = DEFAULT_LICENCES_PATH) -> LicenceCatalogue:
        """Read and check licences.toml (default: the built-in one); a :class:`~pathlib.Path` works too."""
        catalogue = cls.from_data(tomllib.loads(path.read_text(encoding="utf-8")))
        log.info("Loaded %d licences and public-domain tools", len(catalogue.tools))
        return catalogue

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> LicenceCatalogue:
        """Build from parsed TOML; raises ValueError when the data contradicts itself."""
        tools = [_tool(entry) for entry in data["tool"]]
        elements = {
            str(code): Element(str(code), str(e["en"]), str(e["nl"]), str(e["meaning_en"]), str(e["meaning_nl"]))
            for code, e in data["element"].items()
        }
        adapter_chart = {
            str(row): {grade: tuple(str(c) for c in grades.get(grade, [])) for grade in GRADES}
            for row, grades in data["adapter_chart"].items()
        }
        remix = data["remix_chart"]
        matrix = {str(code): [bool(x) for x in row] for code, row in remix["matrix"].items()}
        pairs = [
            RemixPair(
                str(p["a"]),
                str(p["b"]),
                bool(p["can_remix"]),
                tuple(str(o) for o in p.get("adaptation_licence_options", [])),
                str(p["most_open_option"]) if "most_open_option" in p else None,
            )
            for p in data["remix_pair"]
        ]
        collections = {
            str(row): {str(k): bool(v) for k, v in values.items()}
            for row, values in data["collection_chart"]["may_include"].items()
        }
        catalogue = cls(
            tools,
            elements,
            Chooser.from_data(data["chooser"]),
            adapter_chart,
            [str(c) for c in remix["order"]],
            matrix,
            pairs,
            collections,
        )
        catalogue.validate()
        return catalogue

    def validate(self) -> None:
        """Check ids, codes and the charts against each other's shape; raises ValueError."""
        ids = [t.id for t in self.tools]
        if len(ids) != len(set(ids)) or len(self._by_code) != len(self.tools):
            raise ValueError("duplicate tool id or chart code in licences.toml")
        unknown_elements = {e for t in self.tools for e in t.elements} - set(self.elements)
        if unknown_elements:
            raise ValueError(f"unknown licence elements: {sorted(unknown_elements)}")
        rows = set(self.adapter_chart)
        if {t.adapter_chart_row for t in self.tools} != rows:
            raise ValueError("chart 1's rows are not the tools' adapter_chart_row values")
        for row, grades in self.adapter_chart.items():
            seen = [c for grade in GRADES for c in grades[grade]]
            if len(seen) != len(set(seen)) or not set(seen) <= rows:
                raise ValueError(f"chart 1 row {row!r} names a code twice or an unknown code")
        if set(self.remix_order) != set(self._by_code) or set(self.remix_matrix) != set(self.remix_order):
            raise ValueError("chart 2's codes are not the tools' chart codes")
        for code, values in self.remix_matrix.items():
            if len(values) != len(self.remix_order):
                raise ValueError(f"chart 2 row {code!r} has the wrong length")
        for a in self.remix_order:
            for b in self.remix_order:
                if self.can_remix(a, b) != self.can_remix(b, a):
                    raise ValueError(f"chart 2 is not symmetric for {a} and {b}")
        if set(self.collections) != rows:
            raise ValueError("the collections table's rows are not chart 1's rows")
        for pair in self.remix_pairs:
            if pair.a not in self._by_code or pair.b not in self._by_code or not set(pair.options) <= rows:
                raise ValueError(f"remix pair {pair.a}/{pair.b} names an unknown code")
        self.chooser.validate(ids)

    # -- lookups -------------------------------------------------------------------------------------------------

    def tool(self, tool_id: str) -> Tool | None:
        """A tool by id (``cc-by-4.0``), or None."""
        return self._tools.get(tool_id)

    def by_code(self, chart_code: str) -> Tool | None:
        """A tool by its chart-2 code (``BY-SA``, ``CC0``, ``PDM``), or None."""
        return self._by_code.get(chart_code)

    def by_openness(self) -> list[Tool]:
        """Every tool, most open first (the CC openness scale; PDM before CC0)."""
        return sorted(self.tools, key=lambda t: t.openness_rank)

    def can_remix(self, a: str, b: str) -> bool:
        """Chart 2: whether material under chart codes ``a`` and ``b`` can be remixed into one adaptation."""
        return self.remix_matrix[a][self.remix_order.index(b)]

    def pair(self, a: str, b: str) -> RemixPair | None:
        """The remix_pairs row of two chart-2 codes, in either order."""
        return next((p for p in self.remix_pairs if (p.a, p.b) in ((a, b), (b, a))), None)

    def row_tools(self, row: str) -> list[Tool]:
        """The tools that a chart-1 code stands for (``PD``: CC0 and PDM), most open first."""
        return [t for t in self.by_openness() if t.adapter_chart_row == row]

    def row_rank(self, row: str) -> int:
        """How open a chart-1 code is (the openness rank of its most open tool)."""
        return min(t.openness_rank for t in self.row_tools(row))


def _tool(entry: Mapping[str, Any]) -> Tool:
    ours = dict(entry.get("ours", {}))

    def optional(key: str) -> str | None:
        value = entry.get(key)
        return str(value) if value else None

    return Tool(
        id=str(entry["id"]),
        kind=str(entry["kind"]),
        short=str(entry["short"]),
        name_en=str(entry["name_en"]),
        name_nl=str(entry["name_nl"]),
        elements=tuple(str(e) for e in entry.get("elements", [])),
        permits={str(k): bool(v) for k, v in dict(entry["permits"]).items()},
        conditions={str(k): bool(v) for k, v in dict(entry["conditions"]).items()},
        openness_rank=int(entry["openness_rank"]),
        free_cultural_work=bool(entry["free_cultural_work"]),
        europeana_supported=bool(entry.get("europeana_supported", False)),
        deed_url=str(entry["deed_url"]),
        deed_url_nl=optional("deed_url_nl"),
        legalcode_url=optional("legalcode_url"),
        legalcode_url_nl=optional("legalcode_url_nl"),
        chart_code=str(entry["chart_code"]),
        adapter_chart_row=str(entry["adapter_chart_row"]),
        about_en=str(ours.get("about_en", "")),
        about_nl=str(ours.get("about_nl", "")),
    )
