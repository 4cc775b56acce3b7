"""Search speed at scale: our engine beside plain SQLite FTS5 on the same 100,000 documents and queries.

Usage: python bench/search_speed.py [PATH_TO_SEARCH_EVAL] [--docs 100000] [--queries 300] [--seed 20261123]

Generates a seeded Dutch/English corpus whose words come from the labelled collection (sentences,
titles, tags) and the glossary, so term frequencies and queries are realistic. Builds our index
through the real importer and engine, and the README's plain FTS5 index, in two database files.
Then runs the same query set (the collection's queries, typo variants, multi-word, keyword and long
queries) against both, through the same aiosqlite wrapper, and prints build time, database size and
p50/p95 latency. Our engine runs complete: analysis, vocabulary and typo lookups, FTS5 candidates,
re-ranking, excerpts and the search-log insert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_quality import DEFAULT_EVAL, PLAIN_SQL, plain_match  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.db.database import Database  # noqa: E402
from bot.db.migrate import apply_migrations  # noqa: E402
from bot.db.repos.knowledge import KnowledgeRepo  # noqa: E402
from bot.domain.search.engine import SearchEngine  # noqa: E402
from bot.domain.search.glossary import DEFAULT_GLOSSARY_PATH, Glossary  # noqa: E402
from bot.domain.search.importer import import_documents  # noqa: E402

SENTENCE = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w[\w'-]*")


# --- corpus and queries ----------------------------------------------------------------------------


def generate_corpus(eval_docs: list[dict[str, Any]], glossary_terms: dict[str, list[str]], n: int, rng: random.Random):
    """``n`` documents shaped like the collection's: per language, titles mixed from real titles and
    glossary terms, bodies of 3–9 real sentences, 2–5 real tags."""
    pools: dict[str, dict[str, list[Any]]] = {}
    for lang in ("nl", "en"):
        docs = [d for d in eval_docs if d["lang"] == lang]
        pools[lang] = {
            "sentences": [s for d in docs for s in SENTENCE.split(d["body"]) if len(s) > 20],
            "titles": [WORD.findall(d["title"]) for d in docs],
            "tags": sorted({t for d in docs for t in d["tags"]}),
            "terms": glossary_terms[lang],
        }
    kinds = ["faq", "resource", "solved_thread"]
    themes = sorted({d["theme"] for d in eval_docs})
    out = []
    for i in range(n):
        lang = "nl" if rng.random() < 0.6 else "en"
        pool = pools[lang]
        title = list(rng.choice(pool["titles"]))
        for _ in range(rng.randint(1, 3)):
            title[rng.randrange(len(title))] = rng.choice(rng.choice(pool["titles"]))
        if rng.random() < 0.5:
            title.insert(rng.randrange(len(title) + 1), rng.choice(pool["terms"]))
        body = " ".join(rng.choice(pool["sentences"]) for _ in range(rng.randint(3, 9)))
        out.append(
            {
                "id": f"s{i:06d}",
                "kind": rng.choice(kinds),
                "lang": lang,
                "theme": rng.choice(themes),
                "title": " ".join(title)[:200],
                "body": body,
                "tags": rng.sample(pool["tags"], rng.randint(2, 5)),
                "url": None,
            }
        )
    return out


def typo(word: str, rng: random.Random) -> str:
    """One random edit: delete, swap, replace or insert a letter."""
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice("dsri")
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if op == "d":
        return word[:i] + word[i + 1 :]
    if op == "s":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "r":
        return word[:i] + letter + word[i + 1 :]
    return word[:i] + letter + word[i:]


def generate_queries(eval_queries: list[dict[str, Any]], corpus: list[dict[str, Any]], n: int, rng: random.Random):
    """The collection's queries, then typo variants, multi-word title queries, keywords and long
    questions made from the corpus, up to ``n``, in a seeded order."""
    queries = [q["query"] for q in eval_queries]
    kinds = ["typo", "multi", "keyword", "long"]
    while len(queries) < n:
        kind = kinds[len(queries) % len(kinds)]
        doc = rng.choice(corpus)
        words = WORD.findall(doc["title"])
        if kind == "typo":
            base = rng.choice([q["query"] for q in eval_queries] + [doc["title"]])
            parts = base.split()
            long = [i for i, w in enumerate(parts) if len(w) >= 6 and w.isalpha()]
            for i in rng.sample(long, min(len(long), rng.randint(1, 2))):
                parts[i] = typo(parts[i], rng)
            queries.append(" ".join(parts))
        elif kind == "multi":
            start = rng.randrange(max(1, len(words) - 3))
            queries.append(" ".join(words[start : start + rng.randint(2, 5)]))
        elif kind == "keyword":
            queries.append(rng.choice(doc["tags"]).replace("-", " "))
        else:
            queries.append(doc["title"] + " " + " ".join(SENTENCE.split(doc["body"])[:2]))
    return queries[:n]


# --- measuring -----------------------------------------------------------------------------------


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def size_of(db: Database) -> int:
    await db.fetch_all("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(await db.fetch_value("PRAGMA page_count")) * int(await db.fetch_value("PRAGMA page_size"))


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    eval_docs = json.loads((args.eval_dir / "corpus.json").read_text(encoding="utf-8"))
    eval_queries = json.loads((args.eval_dir / "queries.json").read_text(encoding="utf-8"))
    import tomllib

    data = tomllib.loads(DEFAULT_GLOSSARY_PATH.read_text(encoding="utf-8"))
    terms = {lang: sorted({t for c in data["concept"] for t in c.get(lang, [])}) for lang in ("nl", "en")}
    t0 = time.perf_counter()
    corpus = generate_corpus(eval_docs, terms, args.docs, rng)
    queries = generate_queries(eval_queries, corpus, args.queries, rng)
    elapsed = time.perf_counter() - t0
    print(f"Generated {len(corpus):,} documents and {len(queries)} queries in {elapsed:.1f}s (seed {args.seed})")

    with tempfile.TemporaryDirectory() as tmp:
        async with (
            Database.open(Path(tmp) / "ours.sqlite3") as ours,
            Database.open(Path(tmp) / "plain.sqlite3") as plain,
        ):
            await apply_migrations(ours)
            clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
            engine = SearchEngine(ours, KnowledgeRepo(ours), clock, Glossary.load())
            t0 = time.perf_counter()
            await import_documents(engine, corpus)
            build_ours = time.perf_counter() - t0
            print(f"Built our index in {build_ours:.1f}s")

            t0 = time.perf_counter()
            async with plain.transaction() as tx:
                await tx.execute(
                    "CREATE VIRTUAL TABLE plain USING fts5(doc_id UNINDEXED, title, body, tags, "
                    "tokenize='unicode61 remove_diacritics 2')"
                )
                await tx.executemany(
                    "INSERT INTO plain (doc_id, title, body, tags) VALUES (?, ?, ?, ?)",
                    [(d["id"], d["title"], d["body"], " ".join(d["tags"])) for d in corpus],
                )
            build_plain = time.perf_counter() - t0
            size_ours, size_plain = await size_of(ours), await size_of(plain)

            async def ask_ours(q: str) -> Any:
                return await engine.search(0, q, limit=10)

            async def ask_plain(q: str) -> Any:
                match = plain_match(q)
                return await plain.fetch_all(PLAIN_SQL, (match, 10)) if match else []

            for q in queries:  # warm both caches once
                await ask_ours(q)
                await ask_plain(q)
            lat_ours: list[float] = []
            lat_plain: list[float] = []
            for q in queries:  # alternate, so both see the same machine state
                lat_ours.append(await timed(lambda q=q: ask_ours(q)))
                lat_plain.append(await timed(lambda q=q: ask_plain(q)))
            corrected = 0
            for q in queries[:100]:
                corrected += (await engine.search(0, q)).corrected

    print(f"\n{'':<22}{'build s':>10}{'size MB':>10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'mean ms':>10}")
    for name, build, size, lat in (
        ("plain FTS5", build_plain, size_plain, lat_plain),
        ("steunpunt engine", build_ours, size_ours, lat_ours),
    ):
        print(
            f"{name:<22}{build:>10.1f}{size / 1e6:>10.1f}{pct(lat, 50):>10.2f}{pct(lat, 95):>10.2f}"
            f"{max(lat):>10.2f}{statistics.mean(lat):>10.2f}"
        )
    ratio = pct(lat_ours, 95) / pct(lat_plain, 95)
    verdict = "meets" if ratio <= 2.0 else "MISSES"
    print(f"\np95 ratio steunpunt / plain FTS5 = {ratio:.2f} ({verdict} the <= 2.0 target)")
    print(f"({corrected} of the first 100 queries were typo-corrected; every search also wrote its search-log row)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261123)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
