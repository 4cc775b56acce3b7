"""The digital-maturity self-scan's instrument: dimensions, statements, the answer scale and the named levels.

The built-in instrument is ``bot/data/maturity_scan.toml`` (read with :mod:`importlib.resources`): our own
wording in Dutch and English, its structure modelled on the public maturity models of domain.md section B.
Questions are numbered 1..n in the order of the file (dimension by dimension); stored answers refer to a
question's stable id, so a renumbered instrument keeps every answer that still has a question.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_INSTRUMENT_PATH: Traversable = files("bot") / "data" / "maturity_scan.toml"
SCALE = (1, 2, 3, 4, 5)
"""The value of every answer, and of every named level."""
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Labelled:
    """A Dutch and an English text."""

    nl: str
    en: str

    def label(self, locale: str) -> str:
        """The text in ``locale`` (``nl`` or ``en``)."""
        return self.nl if locale == "nl" else self.en


@dataclass(frozen=True, slots=True)
class Level:
    """A named maturity level (1..5) and what it means."""

    value: int
    name: Labelled
    about: Labelled


@dataclass(frozen=True, slots=True)
class Question:
    """One statement a member rates on the scale; ``number`` is its place in the scan (1-based)."""

    id: str
    number: int
    dimension: str
    text: Labelled


@dataclass(frozen=True, slots=True)
class Dimension:
    """One dimension: labels (full and short, for charts), its statements, and where help is found."""

    id: str
    name: Labelled
    short: Labelled
    search: str
    """Words to search the approved library for (both languages)."""
    theme: str
    """The library theme to browse when the search finds nothing."""
    help_skill: str
    """The taxonomy skill (bot/data/skills.toml) a member may ask help with for this dimension."""
    related: tuple[str, ...]
    """Dimensions of the public models this one is traced to (domain.md B.3)."""
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class CompareLink:
    """A public tool to compare one's result with."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Instrument:
    """The whole scan."""

    version: str
    scale: tuple[Labelled, ...]
    """The answer labels of values 1..5."""
    levels: tuple[Level, ...]
    dimensions: tuple[Dimension, ...]
    compare: tuple[CompareLink, ...]

    @classmethod
    def load(cls, path: Traversable = DEFAULT_INSTRUMENT_PATH) -> Instrument:
        """Read the instrument TOML (default: the built-in one); a :class:`~pathlib.Path` works too."""
        instrument = cls.from_data(tomllib.loads(path.read_text(encoding="utf-8")))
        log.info("Loaded the self-scan: %d questions in %d dimensions", instrument.size, len(instrument.dimensions))
        return instrument

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Instrument:
        """Build from parsed TOML; raises ValueError on duplicate or malformed ids, or an incomplete scale."""
        scale = {int(e["value"]): Labelled(str(e["nl"]), str(e["en"])) for e in data.get("scale", [])}
        levels = {
            int(e["value"]): Level(
                int(e["value"]),
                Labelled(str(e["nl"]), str(e["en"])),
                Labelled(str(e["about_nl"]), str(e["about_en"])),
            )
            for e in data.get("level", [])
        }
        if sorted(scale) != list(SCALE) or sorted(levels) != list(SCALE):
            raise ValueError("the self-scan needs answers and levels for exactly the values 1-5")
        dimensions: list[Dimension] = []
        number = 0
        for entry in data.get("dimension", []):
            questions: list[Question] = []
            for item in entry.get("question", []):
                number += 1
                text = Labelled(str(item["nl"]), str(item["en"]))
                questions.append(Question(str(item["id"]), number, str(entry["id"]), text))
            if not questions:
                raise ValueError(f"dimension {entry['id']!r} has no questions")
            dimensions.append(
                Dimension(
                    id=str(entry["id"]),
                    name=Labelled(str(entry["nl"]), str(entry["en"])),
                    short=Labelled(str(entry["short_nl"]), str(entry["short_en"])),
                    search=str(entry["search"]),
                    theme=str(entry["theme"]),
                    help_skill=str(entry["help_skill"]),
                    related=tuple(str(r) for r in entry.get("related", [])),
                    questions=tuple(questions),
                )
            )
        ids = [d.id for d in dimensions] + [q.id for d in dimensions for q in d.questions]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate id in the self-scan")
        bad = [i for i in ids if not _ID.match(i)]
        if bad:
            raise ValueError(f"malformed ids in the self-scan: {bad}")
        compare = tuple(CompareLink(str(e["title"]), str(e["url"])) for e in data.get("compare", []))
        return cls(
            str(data.get("version", "1")),
            tuple(scale[v] for v in SCALE),
            tuple(levels[v] for v in SCALE),
            tuple(dimensions),
            compare,
        )

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, in scan order."""
        return tuple(q for d in self.dimensions for q in d.questions)

    @property
    def size(self) -> int:
        """How many questions the scan has."""
        return sum(len(d.questions) for d in self.dimensions)

    def question(self, number: int) -> Question | None:
        """The question at ``number`` (1-based), or None."""
        every = self.questions
        return every[number - 1] if 1 <= number <= len(every) else None

    def dimension(self, dimension_id: str) -> Dimension | None:
        """A dimension by id, or None."""
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def level(self, value: int) -> Level:
        """The named level ``value`` (1..5)."""
        return self.levels[min(max(value, 1), len(self.levels)) - 1]
