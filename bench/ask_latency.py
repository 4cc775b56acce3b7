"""/ask latency through the wire: the real bot against the fake Discord, with the evaluation corpus indexed.

Usage: python bench/ask_latency.py [--queries N] [--corpus PATH] [--documents N]

Starts the fake Discord and the real bot (production composition root, temporary database), imports
the search-eval corpus (plus, with --documents, that many seeded synthetic documents from
bench/search_speed.py's generator), then sends N /ask interactions one after another and prints the
p50/p95/max time from sending the interaction to the bot's answer reaching the fake's REST API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
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


async def main(queries: int, corpus_dir: Path, documents: int) -> None:
    """Run the benchmark and print the figures."""
    docs = json.loads((corpus_dir / "corpus.json").read_text(encoding="utf-8"))
    if documents:
        docs += synthetic(corpus_dir, documents)
    questions = [q["query"] for q in json.loads((corpus_dir / "queries.json").read_text(encoding="utf-8"))]
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = await FakeDiscord(timeout=10).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.for_tests(
                database_path=Path(tmp) / "bench.sqlite3",
                discord_api_base_url=fake.api_base,
                discord_gateway_url=fake.gateway_url,
                log_level="WARNING",
            )
            clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
            async with running_app(settings, clock=clock, guild_ready_timeout=0.05) as bot, start_client(bot, fake):
                await import_documents(bot.services.search, docs)
                members = [fake.alice, fake.bob]
                for warm in questions[:5]:
                    await fake.slash("ask", user=fake.alice, question=warm)
                timings, round_trips = [], []
                for i in range(queries):
                    question = questions[i % len(questions)][:300]
                    started = time.perf_counter()
                    result = await fake.slash("ask", user=members[i % 2], question=question)
                    round_trips.append((time.perf_counter() - started) * 1000)
                    assert result.type == 4, result.errors
                    answered = result.record.callbacks[0].received_at
                    timings.append((answered - result.record.dispatched_at) * 1000)
    finally:
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
    print(f"/ask through the fake Discord: {len(timings)} interactions over a {len(docs)}-document index")
    for label, values in (
        ("answered (INTERACTION_CREATE sent → the bot's callback arrives)", timings),
        ("test round trip (also the fake's own checks of the reply)", round_trips),
    ):
        values.sort()
        p95 = values[max(0, round(0.95 * len(values)) - 1)]
        print(f"  {label}")
        print(f"    p50 {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms   max {values[-1]:6.1f} ms")
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    print(f"  target: answered in under 50 ms at p95: {'met' if p95 < 50 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--documents", type=int, default=0, help="add this many synthetic documents")
    args = parser.parse_args()
    asyncio.run(main(args.queries, args.corpus, args.documents))
