"""/ask latency through the wire: the real bot against the fake Discord, with the evaluation corpus indexed.

Usage: python bench/ask_latency.py [--queries N] [--corpus PATH] [--documents N] [--concurrency C] [--workers W]

Starts the fake Discord and the real bot (production composition root, temporary database), imports
the search-eval corpus (plus, with --documents, that many seeded synthetic documents from
bench/search_speed.py's generator), then sends N /ask interactions twice: one after another, and with
C (default 20) in flight at once. For both runs it prints throughput and the p50/p95/max time from
sending the interaction to the bot's answer reaching the fake's REST API, and the concurrent run's
figures as multiples of the sequential run's, measured in the same process. ``--workers`` (default 2, as in
production) sets the bot's search worker processes (``SEARCH_WORKERS``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402

from bench._load import Load, print_loads, ratio, run_load  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import DEFAULT_SEARCH_WORKERS, Settings  # noqa: E402
from bot.domain.search.importer import import_documents  # noqa: E402
from bot.wiring import running_app  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.plugin import start_client  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "search-eval"


def synthetic(corpus_dir: Path, count: int) -> list[dict[str, object]]:
    """Seeded Dutch/English filler documents, made the same way as in bench/search_speed.py."""
    import random
    import tomllib

    from bench.search_speed import generate_corpus
    from bot.domain.search.glossary import DEFAULT_GLOSSARY_PATH

    data = tomllib.loads(DEFAULT_GLOSSARY_PATH.read_text(encoding="utf-8"))
    terms = {lang: sorted({t for c in data["concept"] for t in c.get(lang, [])}) for lang in ("nl", "en")}
    eval_docs = json.loads((corpus_dir / "corpus.json").read_text(encoding="utf-8"))
    return [dict(d, id=f"s{d['id']}") for d in generate_corpus(eval_docs, terms, count, random.Random(20261123))]


async def main(queries: int, corpus_dir: Path, documents: int, concurrency: int, workers: int) -> None:
    """Run the benchmark and print the figures."""
    docs = json.loads((corpus_dir / "corpus.json").read_text(encoding="utf-8"))
    if documents:
        docs += synthetic(corpus_dir, documents)
    questions = [q["query"] for q in json.loads((corpus_dir / "queries.json").read_text(encoding="utf-8"))]
    asked = [(i, questions[i % len(questions)][:300]) for i in range(queries)]
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = await FakeDiscord(timeout=30).start()
    answered: dict[int, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.for_tests(
                database_path=Path(tmp) / "bench.sqlite3",
                discord_api_base_url=fake.api_base,
                discord_gateway_url=fake.gateway_url,
                log_level="WARNING",
                search_workers=workers,
            )
            clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
            async with running_app(settings, clock=clock, guild_ready_timeout=0.05) as bot, start_client(bot, fake):
                started = time.perf_counter()
                await import_documents(bot.services.search, docs)
                print(f"Indexed {len(docs):,} documents in {time.perf_counter() - started:.1f}s", flush=True)
                members = [fake.alice, fake.bob]
                for warm in questions[:5]:
                    await fake.slash("ask", user=fake.alice, question=warm)

                async def ask(item: tuple[int, str]) -> None:
                    index, question = item
                    result = await fake.slash("ask", user=members[index % 2], question=question)
                    assert result.type == 4, result.errors
                    answered_at = result.record.callbacks[0].received_at
                    answered[index] = [(answered_at - result.record.dispatched_at) * 1000]

                runs: list[tuple[str, Load, Load]] = []
                for label, in_flight in (("sequential", 1), (f"{concurrency} concurrent", concurrency)):
                    answered.clear()
                    trip = await run_load(ask, asked, in_flight)
                    answer = Load(in_flight, tuple(answered[i][0] for i, _ in asked), trip.wall, trip.cpu)
                    runs.append((label, answer, trip))
    finally:
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
    print(f"\n/ask through the fake Discord: {queries} interactions per run over a {len(docs):,}-document index")
    print_loads(
        "answered (INTERACTION_CREATE sent → the bot's callback arrives)",
        [(label, answer) for label, answer, _ in runs],
        indent="  ",
    )
    print_loads(
        "test round trip (also the fake's own checks of the reply; the fake runs in the same process)",
        [(label, trip) for label, _, trip in runs],
        indent="  ",
    )
    p95 = runs[0][1].p(95)
    gain = ratio(runs[1][1].throughput, runs[0][1].throughput)
    print(f"\n  sequential answered p95 {p95:.1f} ms: target at most 30 ms {'met' if p95 <= 30 else 'NOT met'}")
    print(
        f"  throughput {concurrency} concurrent / sequential = {gain:.2f}× "
        f"(target >= 1.7: {'met' if gain >= 1.7 else 'NOT met'})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--documents", type=int, default=0, help="add this many synthetic documents")
    parser.add_argument("--concurrency", type=int, default=20, help="interactions in flight in the concurrent run")
    parser.add_argument("--workers", type=int, default=DEFAULT_SEARCH_WORKERS, help="search worker processes")
    args = parser.parse_args()
    asyncio.run(main(args.queries, args.corpus, args.documents, max(1, args.concurrency), max(0, args.workers)))
