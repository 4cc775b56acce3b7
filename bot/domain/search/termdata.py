"""Per-document term data: the one analysed copy of a document, kept for re-ranking and index upkeep (pure).

The full-text index holds the documents' terms for retrieval (which documents have a term, in which field);
it keeps no text. Re-ranking a few candidates needs each one's term frequencies per field and the field
lengths, and removing a document from a contentless index needs the terms it was indexed with. Both come
from one small record per document: the distinct terms of each field with their counts, compressed.

Encoded text (before compression)::

    <title length> <tags length> <body length>
    <title terms>
    <tags terms>
    <body terms>

where a field's terms are ``term`` (once) or ``term:count``, space-separated. Terms are ``[a-z0-9_]`` only
(see :mod:`bot.domain.search.analysis`), so spaces, colons and new lines never occur inside one.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FIELDS = ("title", "tags", "body")
LEVEL = 6
"""zlib level: term lists compress to about a third; decompressing a hundred candidates takes well under 1 ms."""

FieldCounts = tuple[Mapping[str, int], Mapping[str, int], Mapping[str, int]]


def encode(fields: FieldCounts) -> bytes:
    """The stored form of a document's term counts per field (title, tags, body)."""
    lengths = " ".join(str(sum(counts.values())) for counts in fields)
    lines = [lengths] + [" ".join(t if n == 1 else f"{t}:{n}" for t, n in c.items()) for c in fields]
    return zlib.compress("\n".join(lines).encode("ascii"), LEVEL)


def pack_text(text: str) -> bytes:
    """A document's text as stored: compressed UTF-8 (prose halves; reading it back costs microseconds)."""
    return zlib.compress(text.encode("utf-8"), LEVEL)


def unpack_text(stored: str | bytes) -> str:
    """What :func:`pack_text` stored (plain text, as rows written before compression hold, is returned as is)."""
    return zlib.decompress(stored).decode("utf-8") if isinstance(stored, bytes) else str(stored)


@dataclass(frozen=True, slots=True)
class TermData:
    """A stored document's term data, decompressed but not parsed: fields are searched for the query's terms only."""

    lengths: tuple[int, int, int]
    texts: tuple[str, str, str]

    @classmethod
    def decode(cls, blob: bytes | None) -> TermData:
        """Read what :func:`encode` wrote; an empty record for a document not yet (re-)indexed."""
        if not blob:
            return cls((0, 0, 0), ("", "", ""))
        head, title, tags, body = zlib.decompress(blob).decode("ascii").split("\n")
        a, b, c = (int(x) for x in head.split())
        return cls((a, b, c), (title, tags, body))

    def counts(self) -> FieldCounts:
        """Every term of every field with its count (index upkeep; re-ranking uses a :class:`TermProbe`)."""
        return tuple(_parse(text) for text in self.texts)  # type: ignore[return-value]


def index_text(terms: Iterable[str], prefix: str) -> str:
    """The text given to the full-text index: each distinct term once, with the scope ``prefix``.

    The index only records which documents have a term (``detail=none``), so neither counts nor fields are
    repeated there; the re-ranker reads them from the term data.
    """
    return " ".join(prefix + term for term in sorted(set(terms)))


class TermProbe:
    """Finds a fixed set of terms (a query's) in term data, without parsing whole fields."""

    def __init__(self, terms: Iterable[str]) -> None:
        safe = sorted({t for t in terms if _TERM.fullmatch(t)}, key=lambda t: (-len(t), t))
        self._pattern = re.compile(r"(?:^| )(" + "|".join(safe) + r")(?::(\d+))?(?= |$)") if safe else None

    def field(self, text: str) -> dict[str, int]:
        """The probed terms that occur in one field's term text, with their counts."""
        if self._pattern is None or not text:
            return {}
        return {m.group(1): int(m.group(2) or 1) for m in self._pattern.finditer(text)}

    def fields(self, data: TermData) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """The probed terms of each field (title, tags, body)."""
        return self.field(data.texts[0]), self.field(data.texts[1]), self.field(data.texts[2])


_TERM = re.compile(r"[a-z0-9_]+")


def _parse(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for token in text.split():
        term, _, n = token.partition(":")
        found[term] = int(n) if n else 1
    return found
