"""Dataclasses of the knowledge search: documents in and out, analysed records, results."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.search.termdata import FieldCounts, TermData

SOURCES: tuple[str, ...] = ("faq", "resource", "thread", "import")
KINDS: tuple[str, ...] = ("faq", "resource", "solved_thread")
SHARED_GUILD = 0
"""Documents stored under guild 0 are visible in every server."""


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A document to index. ``(guild_id, source, source_key)`` identifies it; indexing it again updates it."""

    guild_id: int
    source: str
    source_key: str
    kind: str
    title: str
    body: str
    lang: str | None = None
    theme: str | None = None
    tags: tuple[str, ...] = ()
    url: str | None = None
    solved: bool = False
    featured: bool = False


@dataclass(frozen=True, slots=True)
class KnowledgeDocument:
    """A stored document as members see it."""

    id: int
    guild_id: int
    source: str
    source_key: str
    kind: str
    lang: str | None
    theme: str | None
    title: str
    body: str
    tags: tuple[str, ...]
    url: str | None
    solved: bool
    featured: bool
    helpful: int
    unhelpful: int
    created_at: str
    updated_at: str

    def as_new(self) -> NewDocument:
        """The indexed content of this document, as it would be given to the engine."""
        return NewDocument(
            guild_id=self.guild_id,
            source=self.source,
            source_key=self.source_key,
            kind=self.kind,
            title=self.title,
            body=self.body,
            lang=self.lang,
            theme=self.theme,
            tags=self.tags,
            url=self.url,
            solved=self.solved,
            featured=self.featured,
        )


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """A document with its analysed fields, ready to store. Built by the engine, stored by the repo.

    ``fields`` holds each field's index terms (title, tags, body) with how often they occur: the one analysed
    copy of the document (see :mod:`bot.domain.search.termdata`).
    """

    doc: NewDocument
    fields: FieldCounts
    analyzer: str
    packed_terms: bytes = b""
    """``fields`` as stored (:func:`~bot.domain.search.termdata.encode`), made with the analysis."""
    packed_body: bytes = b""
    """The body as stored (:func:`~bot.domain.search.termdata.pack_text`), made with the analysis."""

    def terms(self) -> set[str]:
        """Every distinct index term of the document."""
        return set().union(*self.fields)


@dataclass(frozen=True, slots=True)
class Upserted:
    """What a batch upsert did: the documents' ids in input order, and how many rows changed."""

    ids: tuple[int, ...]
    changed: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A document the full-text index returned for a query, with its stored term data for re-ranking."""

    document: KnowledgeDocument
    data: TermData


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the document, its score (higher is better) and a short plain-text excerpt."""

    document: KnowledgeDocument
    score: float
    excerpt: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The answer to a search.

    ``suggestion`` is the query with misspelt words corrected ("did you mean"), or None. ``corrected``
    is True when the corrections were used to find the ``hits`` (there are some), so the reply can say
    "showing results for"; with a suggestion but no hits, offer it as "did you mean".
    """

    query: str
    hits: list[SearchHit] = field(default_factory=list)
    suggestion: str | None = None
    corrected: bool = False
