"""The 12 RightsStatements.org statements (domain.md A.5): lookup by code, URI or name, typo-tolerant.

Read from ``bot/data/rights.toml``. A member may type a code (``InC-EDU``, any case), a URI in any of its
forms (``http``/``https``, ``vocab``/``page``, with or without the trailing slash), or part of a name in
Dutch or English; :meth:`RightsCatalogue.suggest` ranks the statements for autocomplete and
:meth:`RightsCatalogue.find` picks one only when the text clearly names it.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from bot.domain.search.analysis import fold
from bot.domain.skills.taxonomy import label_score

log = logging.getLogger(__name__)

DEFAULT_RIGHTS_PATH: Traversable = files("bot") / "data" / "rights.toml"
URI = re.compile(
    r"^\s*<?(?:https?://)?(?:www\.)?rightsstatements\.org/(?:vocab|page|data)/(?P<id>[A-Za-z-]{2,20})"
    r"(?:/(?P<version>[0-9.]+))?/?(?:[?#].*)?>?\s*$",
    re.IGNORECASE,
)
FIND_FLOOR = 0.85
"""A name is taken for a statement only when it scores at least this, and better than every other statement."""
OTHER_LANGUAGE = 0.95
EXACT_SCORE = 1.1
"""A code or a whole name typed exactly: above any prefix match."""


@dataclass(frozen=True, slots=True)
class RightsCollection:
    """One of the three SKOS collections (in copyright / no copyright / unclear), labels verbatim."""

    id: str
    uri: str
    label_en: str
    label_nl: str
    members: tuple[str, ...]

    def label(self, locale: str) -> str:
        """The collection's label in ``locale``."""
        return self.label_nl if locale == "nl" else self.label_en


@dataclass(frozen=True, slots=True)
class RightsStatement:
    """One statement: code, URI, verbatim labels, group, Europeana support, and when to use it (en/nl)."""

    id: str
    uri: str
    label_en: str
    label_nl: str
    group: str
    europeana_supported: bool
    summary_en: str
    summary_nl: str

    def label(self, locale: str) -> str:
        """The statement's name in ``locale``."""
        return self.label_nl if locale == "nl" else self.label_en

    def summary(self, locale: str) -> str:
        """When to use it, in ``locale``."""
        return self.summary_nl if locale == "nl" else self.summary_en


class RightsCatalogue:
    """The statements, their collections and the general notes."""

    def __init__(
        self,
        statements: Sequence[RightsStatement],
        collections: Sequence[RightsCollection],
        notes: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.statements: tuple[RightsStatement, ...] = tuple(statements)
        self.collections: tuple[RightsCollection, ...] = tuple(collections)
        self.notes = {k: dict(v) for k, v in notes.items()}
        self._by_code = {s.id.casefold(): s for s in self.statements}

    @classmethod
    def load(cls, path: Traversable = DEFAULT_RIGHTS_PATH) -> RightsCatalogue:
        """Read and check rights.toml (default: the built-in one)."""
        catalogue = cls.from_data(tomllib.loads(path.read_text(encoding="utf-8")))
        log.info("Loaded %d rights statements", len(catalogue.statements))
        return catalogue

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RightsCatalogue:
        """Build from parsed TOML; raises ValueError when ids repeat or a collection names an unknown one."""
        statements = [
            RightsStatement(
                id=str(s["id"]),
                uri=str(s["uri"]),
                label_en=str(s["label_en"]),
                label_nl=str(s["label_nl"]),
                group=str(s["group"]),
                europeana_supported=bool(s["europeana_supported"]),
                summary_en=str(s["summary_en"]),
                summary_nl=str(s["summary_nl"]),
            )
            for s in data["statement"]
        ]
        collections = [
            RightsCollection(
                str(c["id"]), str(c["uri"]), str(c["label_en"]), str(c["label_nl"]), tuple(str(m) for m in c["members"])
            )
            for c in data["collection"]
        ]
        notes = {str(k): {str(lang): str(t) for lang, t in v.items()} for k, v in data.get("notes", {}).items()}
        ids = [s.id for s in statements]
        if len({i.casefold() for i in ids}) != len(ids):
            raise ValueError("duplicate rights statement id")
        members = [m for c in collections for m in c.members]
        if sorted(members) != sorted(ids):
            raise ValueError("every rights statement must be in exactly one collection")
        bad_uri = [s.id for s in statements if (m := URI.match(s.uri)) is None or m["id"] != s.id]
        if bad_uri:
            raise ValueError(f"rights statements with a URI that does not name them: {bad_uri}")
        return cls(statements, collections, notes)

    def statement(self, code: str) -> RightsStatement | None:
        """A statement by its code, in any case (``inc-edu``), or None."""
        return self._by_code.get(code.strip().casefold())

    def collection_of(self, statement: RightsStatement) -> RightsCollection | None:
        """The collection a statement belongs to."""
        return next((c for c in self.collections if statement.id in c.members), None)

    def note(self, note_id: str, locale: str) -> str:
        """One general note in ``locale`` (our wording)."""
        texts = self.notes.get(note_id, {})
        return texts.get(locale) or texts.get("en") or ""

    def _score(self, needle: str, statement: RightsStatement, locale: str) -> float:
        code = fold(statement.id)
        if needle == code or needle in (fold(statement.label_en), fold(statement.label_nl)):
            return EXACT_SCORE
        own, other = (
            (statement.label_nl, statement.label_en) if locale == "nl" else (statement.label_en, statement.label_nl)
        )
        best = max(label_score(needle, code), label_score(needle, own))
        if best < 1.0:
            best = max(best, OTHER_LANGUAGE * label_score(needle, other))
        return best

    def suggest(self, text: str, locale: str, limit: int = 25) -> list[RightsStatement]:
        """The statements that best match a typed code, URI or name, best first (all of them when empty)."""
        wanted = text.strip()
        if not wanted:
            return list(self.statements[:limit])
        by_uri = self._from_uri(wanted)
        if by_uri is not None:
            return [by_uri]
        needle = fold(wanted)
        scored = [(self._score(needle, s, locale), i, s) for i, s in enumerate(self.statements)]
        ranked = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1]))
        return [s for _, _, s in ranked[:limit]]

    def find(self, text: str, locale: str = "en") -> RightsStatement | None:
        """The statement a text clearly names (code, URI, or a close name in either language), or None."""
        wanted = text.strip()
        found = self.statement(wanted) or self._from_uri(wanted)
        if found is not None or not wanted:
            return found
        needle = fold(wanted)
        scored = [
            (max(self._score(needle, s, locale), self._score(needle, s, "nl" if locale == "en" else "en")), s)
            for s in self.statements
        ]
        top = max(score for score, _ in scored)
        winners = [s for score, s in scored if score == top]
        if len(winners) == 1 and (top >= FIND_FLOOR or all(score == 0 for score, s in scored if s is not winners[0])):
            return winners[0]  # clearly closest, or the only one that fits at all (a typo)
        return None

    def _from_uri(self, text: str) -> RightsStatement | None:
        match = URI.match(text)
        return self.statement(match["id"]) if match is not None else None
