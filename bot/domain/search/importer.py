"""Bulk import of knowledge documents from JSON (the search-eval ``corpus.json`` format).

Each entry: ``{"id", "kind", "lang", "theme", "title", "body", "tags", "url"}``. Entries are stored as
shared documents (guild 0, source ``import``) keyed by their ``id``, so importing a file again updates
what changed and adds nothing twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain.progress import NO_PROGRESS, Progress, phase
from bot.domain.search.engine import SearchEngine
from bot.domain.search.models import KINDS, SHARED_GUILD, NewDocument
from bot.errors import Invalid

log = logging.getLogger(__name__)

IMPORT_SOURCE = "import"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: how many entries it read, how many were new or changed, their ids."""

    imported: int
    changed: int
    ids: tuple[int, ...]


def to_new_document(entry: Mapping[str, Any], guild_id: int = SHARED_GUILD) -> NewDocument:
    """Map one JSON entry onto a :class:`NewDocument`; raise :class:`Invalid` naming the bad field."""
    key = entry.get("id")
    if not isinstance(key, str) or not key.strip():
        raise Invalid("search.import_bad_entry", field="id", id=str(key))
    kind = entry.get("kind")
    if kind not in KINDS:
        raise Invalid("search.import_bad_entry", field="kind", id=key)
    title, body = entry.get("title"), entry.get("body", "")
    if not isinstance(title, str) or not title.strip() or not isinstance(body, str):
        raise Invalid("search.import_bad_entry", field="title" if not isinstance(body, str) else "body", id=key)
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Invalid("search.import_bad_entry", field="tags", id=key)
    url = entry.get("url")
    return NewDocument(
        guild_id=guild_id,
        source=IMPORT_SOURCE,
        source_key=key.strip(),
        kind=str(kind),
        title=title.strip(),
        body=body.strip(),
        lang=_optional_str(entry.get("lang")),
        theme=_optional_str(entry.get("theme")),
        tags=tuple(t.strip().lower() for t in tags if t.strip()),
        url=url if isinstance(url, str) and url else None,
        solved=kind == "solved_thread",
    )


async def import_documents(
    engine: SearchEngine, docs: Iterable[Mapping[str, Any]], *, progress: Progress = NO_PROGRESS
) -> ImportReport:
    """Validate every entry first, then index them all (idempotent by ``id``), reporting on ``progress``."""
    entries = list(docs)
    new = [to_new_document(entry) for entry in entries]
    seen: set[str] = set()
    for doc in new:
        if doc.source_key in seen:
            raise Invalid("search.import_duplicate_id", id=doc.source_key)
        seen.add(doc.source_key)
    with phase(progress, len(new), "Indexing documents"):
        done = await engine.index_many(new, progress=progress)
    log.info("Imported %s knowledge documents (%s new or changed)", len(done.ids), done.changed)
    return ImportReport(imported=len(done.ids), changed=done.changed, ids=done.ids)


def load_json(path: Path) -> list[dict[str, Any]]:
    """Read an import file: a JSON list of entries."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Invalid("search.import_unreadable", path=str(path), reason=str(exc)) from exc
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise Invalid("search.import_not_a_list", path=str(path))
    return data


async def import_file(engine: SearchEngine, path: Path) -> ImportReport:
    """Import a JSON file (for ``steunpunt import FILE``)."""
    return await import_documents(engine, load_json(path))


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
