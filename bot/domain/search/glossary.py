"""The bilingual sector glossary: synonym groups, abbreviations and Dutch/English term pairs.

The built-in glossary, ``bot/data/glossary.toml`` (read with :mod:`importlib.resources`), holds
``[[concept]]`` tables::

    [[concept]]
    id = "copyright"
    nl = ["auteursrecht"]
    en = ["copyright"]
    abbr = []
    related = ["licence"]

Every term of a concept, in any language, is recognised in documents and queries and stands for one
index term ``c_<id>``, so ``AVG``, ``GDPR`` and ``Algemene Verordening Gegevensbescherming`` all meet.
Terms match on their Dutch or English stems word by word, so plurals and inflections match too.
``related`` concepts are added to a query with a lower weight (a search for OCR also finds HTR).
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from bot.domain.search.analysis import fold, stems, tokenize

log = logging.getLogger(__name__)

DEFAULT_GLOSSARY_PATH: Traversable = files("bot") / "data" / "glossary.toml"
"""The glossary shipped inside the package (a file on disk, or inside a zip, wherever the package is installed)."""
MAX_PHRASE = 6
WORD_CACHE = 200_000
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    """A glossary concept found at words ``start`` .. ``end - 1`` of a word sequence."""

    start: int
    end: int
    concept: str


def concept_term(concept_id: str) -> str:
    """The index term that stands for a concept."""
    return "c_" + _SLUG.sub("_", fold(concept_id)).strip("_")


@lru_cache(maxsize=100_000)
def _keys(word: str) -> frozenset[str]:
    return frozenset((word, *stems(word)))


class Glossary:
    """Finds glossary concepts in word sequences. Build with :meth:`load` or :meth:`from_data`."""

    def __init__(self, concepts: dict[str, list[tuple[str, ...]]], related: dict[str, tuple[str, ...]], source: str):
        self._related = related
        self._single: dict[str, set[str]] = defaultdict(set)
        # phrases of two words or more, by a key of their first and a key of their second word
        self._pairs: dict[str, dict[str, list[tuple[tuple[frozenset[str], ...], str]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        words: set[str] = set()
        for concept, phrases in concepts.items():
            term = concept_term(concept)
            for phrase in phrases:
                words.update(phrase)
                keyed = tuple(_keys(w) for w in phrase)
                if len(phrase) == 1:
                    for key in keyed[0]:
                        self._single[key].add(term)
                    continue
                for first in keyed[0]:
                    for second in keyed[1]:
                        self._pairs[first][second].append((keyed, term))
        self._first = frozenset(self._pairs)
        self.has_phrases = bool(self._pairs)
        """Whether any concept has a term of two words or more (:meth:`find_phrases` can find something)."""
        self._starts: dict[str, frozenset[str]] = {}
        self._word_cache: dict[str, frozenset[str]] = {}
        self.words: frozenset[str] = frozenset(w for w in words if len(w) >= 4)
        self.size = len(concepts)
        self.fingerprint = hashlib.sha256(source.encode()).hexdigest()[:12]

    @classmethod
    def load(cls, path: Traversable = DEFAULT_GLOSSARY_PATH) -> Glossary:
        """Read a glossary TOML file (default: the built-in one); a :class:`~pathlib.Path` works too."""
        text = path.read_text(encoding="utf-8")
        glossary = cls.from_data(tomllib.loads(text), source=text)
        log.info("Loaded %s glossary concepts from %s", glossary.size, path)
        return glossary

    @classmethod
    def empty(cls) -> Glossary:
        """A glossary that knows nothing (for tests of the plain pipeline)."""
        return cls({}, {}, "")

    @classmethod
    def from_data(cls, data: dict[str, Any], source: str | None = None) -> Glossary:
        """Build from parsed TOML; raises ValueError on duplicate ids or unknown related ids."""
        concepts: dict[str, list[tuple[str, ...]]] = {}
        related: dict[str, tuple[str, ...]] = {}
        for entry in data.get("concept", []):
            cid = str(entry["id"])
            if cid in concepts:
                raise ValueError(f"duplicate glossary concept {cid!r}")
            phrases: list[tuple[str, ...]] = []
            for raw in (*entry.get("nl", []), *entry.get("en", []), *entry.get("abbr", []), *entry.get("terms", [])):
                stream = tokenize(str(raw))
                if stream.words:
                    phrases.append(stream.words[:MAX_PHRASE])
                phrases.extend((j,) for j in stream.joined)
            concepts[cid] = list(dict.fromkeys(phrases))
            related[cid] = tuple(str(r) for r in entry.get("related", []))
        unknown = {r for rs in related.values() for r in rs} - concepts.keys()
        if unknown:
            raise ValueError(f"glossary 'related' names unknown concepts: {sorted(unknown)}")
        terms = {cid: tuple(concept_term(r) for r in rs) for cid, rs in related.items()}
        return cls(
            concepts, {concept_term(c): t for c, t in terms.items()}, source if source is not None else repr(data)
        )

    def find(self, words: Sequence[str]) -> list[ConceptMatch]:
        """Every concept whose term occurs in ``words`` (folded, stop words included), in order."""
        found = {(i, i + 1, term) for i, word in enumerate(words) for term in self.concepts_of_word(word)}
        found |= self.find_phrases(words)
        return [ConceptMatch(start, end, term) for start, end, term in sorted(found)]

    def find_phrases(self, words: Sequence[str]) -> set[tuple[int, int, str]]:
        """The multi-word terms in ``words``, as ``(start, end, concept term)``."""
        found: set[tuple[int, int, str]] = set()
        starts = self._starts
        for i in range(len(words) - 1):
            firsts = starts.get(words[i])
            if firsts is None:
                firsts = _keys(words[i]) & self._first
                if len(starts) < WORD_CACHE:
                    starts[words[i]] = firsts
            if not firsts:
                continue
            for first in firsts:
                seconds = self._pairs[first]
                for second in _keys(words[i + 1]) & seconds.keys():
                    for phrase, term in seconds[second]:
                        end = i + len(phrase)
                        if end <= len(words) and all(phrase[j] & _keys(words[i + j]) for j in range(2, len(phrase))):
                            found.add((i, end, term))
        return found

    def concepts_of_word(self, word: str) -> frozenset[str]:
        """Concepts a single word (a compound part, a joined hyphen word) stands for on its own."""
        found = self._word_cache.get(word)
        if found is None:
            found = frozenset().union(*(self._single.get(key, ()) for key in _keys(word)))
            if len(self._word_cache) < WORD_CACHE:
                self._word_cache[word] = found
        return found

    def related(self, term: str) -> tuple[str, ...]:
        """The concept terms related to a concept term."""
        return self._related.get(term, ())
