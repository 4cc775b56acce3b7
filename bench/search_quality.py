"""Search quality on the labelled collection: our engine beside a plain SQLite FTS5 baseline.

Usage: python bench/search_quality.py [PATH_TO_SEARCH_EVAL] [--lang] [--misses] [--queries FILE]

Loads corpus.json into a temporary database through the real migrations, importer and engine (the
path `steunpunt import` uses), runs every query of queries.json, and prints MRR@10, recall@3 and
nDCG@10 overall, per difficulty class and per language, beside the plain-FTS5 baseline of the
collection's README (unicode61 remove_diacritics 2, bm25() over title, body, tags, terms OR-ed),
computed in the same run with the README's reference score function.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sqlite3
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import FixedClock  # noqa: E402
from bot.db.database import Database  # noqa: E402
from bot.db.migrate import apply_migrations  # noqa: E402
from bot.db.repos.knowledge import KnowledgeRepo  # noqa: E402
from bot.domain.search.engine import SearchEngine  # noqa: E402
from bot.domain.search.glossary import DEFAULT_GLOSSARY_PATH, Glossary  # noqa: E402
from bot.domain.search.importer import import_documents  # noqa: E402

DEFAULT_EVAL = ROOT.parent / "shared" / "search-eval"
Ranked = dict[str, list[str]]


def score(ranked: list[str], relevant: list[str]) -> tuple[float, float, float]:
    """The README's reference implementation: (reciprocal rank, recall@3, nDCG@10)."""
    ranked = list(dict.fromkeys(ranked))[:10]
    rr = next((1 / (i + 1) for i, d in enumerate(ranked) if d in relevant), 0.0)
    recall3 = len(set(ranked[:3]) & set(relevant)) / len(relevant)
    gain = {d: (2 if i == 0 else 1) for i, d in enumerate(relevant)}
    dcg = sum(gain.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(gain.values(), reverse=True)))
    return rr, recall3, dcg / idcg


# --- plain FTS5 baseline -------------------------------------------------------------------------------


def build_plain(conn: sqlite3.Connection, docs: Iterable[dict[str, Any]]) -> None:
    """The README baseline index: title, body, tags with unicode61 remove_diacritics 2."""
    conn.execute(
        "CREATE VIRTUAL TABLE plain USING fts5(doc_id UNINDEXED, title, body, tags, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    conn.executemany(
        "INSERT INTO plain (doc_id, title, body, tags) VALUES (?, ?, ?, ?)",
        ((d["id"], d["title"], d["body"], " ".join(d["tags"])) for d in docs),
    )
    conn.commit()


def plain_match(query: str) -> str:
    """All query terms, quoted, joined with OR."""
    terms = re.findall(r"\w+", query)
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


PLAIN_SQL = "SELECT doc_id FROM plain WHERE plain MATCH ? ORDER BY bm25(plain) LIMIT ?"


def plain_search(conn: sqlite3.Connection, query: str, k: int = 10) -> list[str]:
    match = plain_match(query)
    return [r[0] for r in conn.execute(PLAIN_SQL, (match, k))] if match else []


# --- our engine ----------------------------------------------------------------------------------------


async def run_engine(
    docs: list[dict[str, Any]], queries: list[dict[str, Any]], glossary: Glossary, use_lang: bool
) -> tuple[Ranked, dict[str, Any]]:
    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with Database.open(Path(tmp) / "quality.sqlite3") as db:
            await apply_migrations(db)
            engine = SearchEngine(db, KnowledgeRepo(db), FixedClock(datetime(2026, 1, 1, tzinfo=UTC)), glossary)
            await import_documents(engine, docs)
            again = await import_documents(engine, docs)  # idempotent: same ids, nothing added
            assert await engine.count() == len(docs), "re-import added documents"
            ranked: Ranked = {}
            for q in queries:
                result = await engine.search(0, q["query"], limit=10, lang=q["lang"] if use_lang else None)
                key = {h.document.id: h.document.source_key for h in result.hits}
                ranked[q["id"]] = [key[h.document.id] for h in result.hits]
                if result.suggestion:
                    extra.setdefault("suggestions", {})[q["id"]] = result.suggestion
            extra["reimported"] = again.changed
    return ranked, extra


# --- report --------------------------------------------------------------------------------------------


def table(queries: list[dict[str, Any]], systems: dict[str, Ranked]) -> list[str]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in queries:
        groups["all"].append(q)
        groups[f"difficulty={q['difficulty']}"].append(q)
        groups[f"lang={q['lang']}"].append(q)
    order = ["all", *sorted(k for k in groups if k.startswith("difficulty"))]
    order += sorted(k for k in groups if k.startswith("lang"))
    names = list(systems)
    head = f"{'group':<28}{'n':>4}  " + "  ".join(f"{n + ' MRR':>14}{'R@3':>7}{'nDCG':>7}" for n in names)
    lines = [head, "-" * len(head)]
    for group in order:
        qs = groups[group]
        cells = []
        for name in names:
            scores = [score(systems[name][q["id"]], q["relevant"]) for q in qs]
            mean: Callable[[int], float] = lambda i, s=scores: sum(x[i] for x in s) / len(s)  # noqa: E731
            cells.append(f"{mean(0):>14.3f}{mean(1):>7.3f}{mean(2):>7.3f}")
        lines.append(f"{group:<28}{len(qs):>4}  " + "  ".join(cells))
    return lines


def misses(queries: list[dict[str, Any]], ranked: Ranked, titles: dict[str, str]) -> list[str]:
    out = []
    for q in queries:
        rr, r3, _ = score(ranked[q["id"]], q["relevant"])
        if rr < 1.0 or r3 < 1.0:
            out.append(f"{q['id']} [{q['difficulty']}] rr={rr:.2f} r@3={r3:.2f} {q['query']!r}")
            out.append(f"    want: {[(d, titles[d][:50]) for d in q['relevant']]}")
            out.append(f"    got:  {[(d, titles[d][:50]) for d in ranked[q['id']][:3]]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--queries", type=Path, help="another queries file in the same format")
    parser.add_argument("--glossary", type=Path, default=DEFAULT_GLOSSARY_PATH)
    parser.add_argument("--no-glossary", action="store_true")
    parser.add_argument("--lang", action="store_true", help="pass each query's language to the engine")
    parser.add_argument("--misses", action="store_true", help="list queries not answered perfectly")
    args = parser.parse_args()

    docs = json.loads((args.eval_dir / "corpus.json").read_text(encoding="utf-8"))
    queries = json.loads((args.queries or args.eval_dir / "queries.json").read_text(encoding="utf-8"))
    glossary = Glossary.empty() if args.no_glossary else Glossary.load(args.glossary)

    conn = sqlite3.connect(":memory:")
    build_plain(conn, docs)
    baseline = {q["id"]: plain_search(conn, q["query"]) for q in queries}
    ours, extra = asyncio.run(run_engine(docs, queries, glossary, args.lang))

    print(f"Search quality: {len(docs)} documents, {len(queries)} queries, glossary {glossary.size} concepts")
    print(f"(importing the same corpus again changed {extra['reimported']} documents and added none)\n")
    for line in table(queries, {"fts5": baseline, "steunpunt": ours}):
        print(line)
    if args.misses:
        titles = {d["id"]: d["title"] for d in docs}
        print("\nNot perfect (steunpunt):")
        for line in misses(queries, ours, titles):
            print(line)
        print("\nSuggestions:", extra.get("suggestions", {}))


if __name__ == "__main__":
    main()
