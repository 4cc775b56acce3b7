"""File formats for moving data in and out: resource exports (JSON/CSV), audit exports, and reading them back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from bot.domain.library import EXPORT_FIELDS
from bot.errors import Invalid

ExportFormat = Literal["json", "csv"]
RESOURCES_FORMAT = 1
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def dump_records(records: list[dict[str, Any]], fmt: ExportFormat, *, kind: str, fields: Iterable[str]) -> bytes:
    """Write records as ``{"steunpunt_<kind>": 1, "<kind>": [...]}`` JSON, or CSV with one column per field."""
    if fmt == "json":
        doc = {f"steunpunt_{kind}": RESOURCES_FORMAT, kind: records}
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()
    out = io.StringIO()
    names = list(fields)
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(record.get(k)) for k in names})
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def dump_resources(records: list[dict[str, Any]], fmt: ExportFormat) -> bytes:
    """A resource export."""
    return dump_records(records, fmt, kind="resources", fields=EXPORT_FIELDS)


def read_resources(raw: bytes, filename: str) -> list[dict[str, Any]]:
    """Read a resource export (JSON or CSV) back into records; raises a localised Invalid if it is not one."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise Invalid("resources.import.too_large", limit=MAX_IMPORT_BYTES // 1024 // 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("resources.import.unreadable") from None
    if filename.lower().endswith(".csv") or not text.lstrip().startswith(("{", "[")):
        rows = list(csv.DictReader(io.StringIO(text)))
        if not rows or "url" not in rows[0] or "title" not in rows[0]:
            raise Invalid("resources.import.unreadable")
        return rows
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise Invalid("resources.import.unreadable") from None
    if is_resource_export(doc):
        return [dict(r) for r in doc["resources"] if isinstance(r, Mapping)]
    raise Invalid("resources.import.unreadable")


def is_resource_export(doc: Any) -> bool:
    """Whether a parsed JSON document is a Steunpunt resource export."""
    return (
        isinstance(doc, Mapping)
        and doc.get("steunpunt_resources") == RESOURCES_FORMAT
        and isinstance(doc.get("resources"), list)
    )
