"""The operators' consistency check (``steunpunt db check``): a sound database, an index equal to its sources.

Every feature that puts documents in the index implements :class:`IndexSource`; the check compares a
content fingerprint of what each source says with what the index stores, and ``fix`` repairs the
difference (index missing and stale documents, remove orphans).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from bot.domain.progress import NO_PROGRESS, Progress, phase
from bot.domain.search.models import NewDocument

if TYPE_CHECKING:
    from bot.db.database import UnitOfWork
    from bot.db.repos.maintenance import MaintenanceRepo
    from bot.domain.search.engine import SearchEngine

log = logging.getLogger(__name__)

CHECKED_SOURCES: tuple[str, ...] = ("faq", "resource", "thread")
"""Index sources that have a table of their own to compare with (``import`` documents do not)."""

DifferenceKind = Literal["missing", "stale", "orphaned"]
REPORT_EVERY = 1000
"""Documents fingerprinted between two progress reports."""


class IndexSource(Protocol):
    """A feature whose rows are mirrored in the search index."""

    async def indexed_documents(self) -> list[NewDocument]:
        """Every document the index must hold for this feature, in every server."""
        ...


@dataclass(frozen=True, slots=True)
class IndexDifference:
    """One document where the index and its source disagree."""

    guild_id: int
    source: str
    source_key: str
    kind: DifferenceKind


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``db check`` found (and, with ``fix``, repaired)."""

    integrity: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)
    fts: list[str] = field(default_factory=list)
    differences: list[IndexDifference] = field(default_factory=list)
    documents: int = 0
    fixed: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing is wrong (or everything found was fixed)."""
        unfixed = len(self.differences) - self.fixed
        return not (self.integrity or self.foreign_keys or self.fts) and unfixed <= 0


def fingerprint(doc: NewDocument) -> str:
    """A hash of everything the index stores about a document's content."""
    data = asdict(doc)
    data["tags"] = list(doc.tags)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def compare(
    expected: Sequence[NewDocument], stored: Sequence[NewDocument], progress: Progress = NO_PROGRESS
) -> list[IndexDifference]:
    """Documents missing from the index, stored with other content, or stored without a source.

    ``progress`` is advanced by every document fingerprinted (the caller starts and finishes its phase).
    """
    want = _fingerprints(expected, progress)
    have = _fingerprints(stored, progress)
    found: list[IndexDifference] = []
    for key, print_ in sorted(want.items()):
        if key not in have:
            found.append(IndexDifference(*key, "missing"))
        elif have[key] != print_:
            found.append(IndexDifference(*key, "stale"))
    found.extend(IndexDifference(*key, "orphaned") for key in sorted(have.keys() - want.keys()))
    return found


def _fingerprints(docs: Sequence[NewDocument], progress: Progress) -> dict[tuple[int, str, str], str]:
    prints: dict[tuple[int, str, str], str] = {}
    for number, doc in enumerate(docs, start=1):
        prints[(doc.guild_id, doc.source, doc.source_key)] = fingerprint(doc)
        if number % REPORT_EVERY == 0:
            progress.advance(REPORT_EVERY)
    progress.advance(len(docs) % REPORT_EVERY)
    return prints


class MaintenanceService:
    """Checks (and optionally repairs) the database and the search index."""

    def __init__(
        self, uow: UnitOfWork, repo: MaintenanceRepo, search: SearchEngine, sources: Sequence[IndexSource]
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._search = search
        self._sources = tuple(sources)

    async def check(self, *, fix: bool = False, progress: Progress = NO_PROGRESS) -> CheckReport:
        """Run every check; with ``fix``, re-index missing and stale documents and remove orphans.

        Each step is a phase of ``progress``: reading the sources, comparing, the database checks, repairing.
        """
        expected: list[NewDocument] = []
        with phase(progress, len(self._sources) + 1, "Reading indexed sources"):
            for source in self._sources:
                expected.extend(await source.indexed_documents())
                progress.advance()
            stored = [d.as_new() for d in await self._search.stored(CHECKED_SOURCES)]
            progress.advance()
        with phase(progress, len(expected) + len(stored), "Comparing the search index"):
            differences = compare(expected, stored, progress)
        fixed = await self._fix(expected, differences, progress) if fix and differences else 0
        with phase(progress, 3, "Checking the database"):
            integrity = await self._repo.integrity_problems()
            progress.advance()
            foreign_keys = await self._repo.foreign_key_problems()
            progress.advance()
            fts = await self._fts_problems()
            progress.advance()
        return CheckReport(
            integrity=integrity,
            foreign_keys=foreign_keys,
            fts=fts,
            differences=differences,
            documents=len(expected),
            fixed=fixed,
        )

    async def reindex(self, *, progress: Progress = NO_PROGRESS) -> int:
        """Analyse now every stored document the current analyser has not analysed; return how many changed.

        What the bot's background re-index job does a slice at a time, in one go (``steunpunt db reindex``).
        A document this analyser already analysed would get the same index entry again, so it is left alone.
        """
        return await self._search.reindex_stale(progress=progress)

    async def _fts_problems(self) -> list[str]:
        async with self._uow.transaction() as tx:
            return await self._repo.fts_problems(tx)

    async def _fix(self, expected: list[NewDocument], differences: list[IndexDifference], progress: Progress) -> int:
        by_key = {(d.guild_id, d.source, d.source_key): d for d in expected}
        to_index = [by_key[(d.guild_id, d.source, d.source_key)] for d in differences if d.kind != "orphaned"]
        with phase(progress, len(differences), "Repairing the search index"):
            if to_index:
                await self._search.index_many(to_index, progress=progress)
            for diff in differences:
                if diff.kind == "orphaned":
                    await self._search.remove(diff.guild_id, diff.source, diff.source_key)
                    progress.advance()
        log.warning("db check: repaired %d index differences", len(differences))
        return len(differences)
