"""Matching speed: one need against 10,000 offers, our ranking beside a naive score-everything-then-sort baseline.

Usage: python bench/matching.py [--offers N] [--needs N] [--members N] [--seed N]

Builds seeded synthetic offers from the skills taxonomy (bot/data/skills.toml; skill popularity is skewed, a tenth
are custom free-text skills), members with sizes, regions, languages, capacity, pauses and blocks, and a history
of declined pairs and outcomes. Then it ranks every need with ``rank_offers`` and prints p50/p95/max in
milliseconds, beside a baseline computed in the same run on the same needs: ``score_offer`` for every offer (the
need side worked out again each time), every candidate kept, one full sort. Both must give the same top scores.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.matching import (  # noqa: E402
    LEVELS,
    ORG_SIZES,
    History,
    MemberFacts,
    Need,
    Offer,
    Suggestion,
    rank_offers,
    score_offer,
)

TAXONOMY = ROOT / "bot" / "data" / "skills.toml"
_REGIONS_TEXT = """
    groningen friesland drenthe overijssel flevoland gelderland utrecht noord-holland zuid-holland zeeland
    noord-brabant limburg flanders caribbean-netherlands other
"""
REGIONS = _REGIONS_TEXT.split()
ORG_TYPES = ("museum", "archive", "library", "heritage-foundation", "maker", "knowledge-institute", "other")
FORMATS = ("1:1", "workshop", "review", "documentation")
_WORDS_TEXT = """
    crowdfunding subsidie aanvragen podcast maken erfgoed educatie vrijwilligers werven nieuwsbrief schrijven
    wikipedia bewerken kaarten georeferentie oude kranten transcriberen boekhouding stichting bestuur fondsen
    tentoonstelling ontwerp toegankelijkheid website beheer sociale media fotografie archief inventaris museum
    collectie database migratie video montage audio tour workshop geven grant writing volunteer management
    exhibition design accessibility audit maintenance social strategy oral history interviews
"""
WORDS = _WORDS_TEXT.split()


def load_taxonomy() -> list[tuple[str, str]]:
    """Every (skill id, group id) of the taxonomy."""
    data = tomllib.loads(TAXONOMY.read_text(encoding="utf-8"))
    return [(skill["id"], group["id"]) for group in data["group"] for skill in group["skill"]]


def pick_subset(rng: random.Random, items: Sequence[str], most: int, empty_ok: bool) -> frozenset[str]:
    count = rng.randint(0 if empty_ok else 1, most)
    return frozenset(rng.sample(list(items), count))


def make_members(rng: random.Random, count: int) -> list[MemberFacts]:
    members = []
    for user_id in range(1, count + 1):
        capacity = rng.randint(1, 3)
        languages = rng.choices([{"nl"}, {"nl", "en"}, {"en"}, set()], weights=[65, 22, 8, 5])[0]
        blocked = frozenset(rng.randint(1, count) for _ in range(rng.randint(1, 3))) if rng.random() < 0.03 else None
        members.append(
            MemberFacts(
                user_id=user_id,
                org_type=rng.choice([*ORG_TYPES, None]),
                org_size=rng.choices([*ORG_SIZES, None], weights=[30, 30, 15, 10, 15])[0],
                region=rng.choice([*REGIONS, None]),
                languages=frozenset(languages),
                active=rng.random() < 0.9,
                paused=rng.random() < 0.04,
                open_introductions=rng.randint(0, capacity),
                capacity=capacity,
                blocked=blocked or frozenset(),
            )
        )
    return members


def custom_text(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, rng.randint(2, 5)))


def make_offers(
    rng: random.Random, count: int, members: list[MemberFacts], skills: list[tuple[str, str]], weights: list[float]
) -> list[Offer]:
    groups = sorted({g for _, g in skills})
    offers = []
    for offer_id in range(1, count + 1):
        skill_id: str | None
        group_id: str | None
        text: str | None
        if rng.random() < 0.1:  # a custom skill, described in words, half of them naming a group
            skill_id, group_id, text = None, rng.choice(groups) if rng.random() < 0.5 else None, custom_text(rng)
        else:
            (skill_id, group_id), text = rng.choices(skills, weights=weights)[0], None
        offers.append(
            Offer(
                offer_id=offer_id,
                owner=rng.choice(members),
                skill_id=skill_id,
                group_id=group_id,
                free_text=text,
                level=rng.choice(LEVELS),
                formats=pick_subset(rng, FORMATS, 3, empty_ok=False),
                mentor=rng.random() < 0.25,
                visible=rng.random() < 0.5,
            )
        )
    return offers


def make_needs(
    rng: random.Random, count: int, members: list[MemberFacts], skills: list[tuple[str, str]], weights: list[float]
) -> list[Need]:
    groups = sorted({g for _, g in skills})
    needs = []
    for need_id in range(1, count + 1):
        roll = rng.random()
        skill_id: str | None
        group_id: str | None
        text: str | None
        if roll < 0.8:
            (skill_id, group_id), text = rng.choices(skills, weights=weights)[0], None
        else:  # custom: half name a group, half are words only (every free-text offer gets compared)
            skill_id, group_id, text = None, rng.choice(groups) if roll < 0.9 else None, custom_text(rng)
        needs.append(
            Need(
                need_id=need_id,
                owner=rng.choice(members),
                skill_id=skill_id,
                group_id=group_id,
                free_text=text,
                urgency=rng.choice(["low", "normal", "high"]),
                formats=pick_subset(rng, FORMATS, 2, empty_ok=True),
                preferred_level=rng.choice([None, *LEVELS]),
            )
        )
    return needs


def make_history(rng: random.Random, members: int) -> History:
    declined = frozenset((rng.randint(1, members), rng.randint(1, members)) for _ in range(members))
    outcomes = {rng.randint(1, members): (rng.randint(0, 6), rng.randint(0, 3)) for _ in range(members // 4)}
    return History(declined_pairs=declined, outcomes=outcomes)


def naive_rank(need: Need, offers: list[Offer], history: History, limit: int = 5) -> list[Suggestion]:
    """The baseline: score every offer on its own, keep each member's best, sort everything."""
    scored = [s for offer in offers if (s := score_offer(need, offer, history)) is not None]
    scored.sort(key=lambda s: (s.score, -s.offer.owner.open_introductions, -s.offer.offer_id), reverse=True)
    seen: set[int] = set()
    out = []
    for s in scored:
        if s.offer.owner.user_id not in seen:
            seen.add(s.offer.owner.user_id)
            out.append(s)
    return out[:limit]


def timed(run: Callable[[Need], list[Suggestion]], needs: list[Need]) -> tuple[list[float], list[list[Suggestion]]]:
    times, results = [], []
    for need in needs:
        start = time.perf_counter()
        results.append(run(need))
        times.append((time.perf_counter() - start) * 1000)
    return times, results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=300)
    parser.add_argument("--members", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    skills = load_taxonomy()
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(skills))]  # a few popular skills, a long tail
    rng.shuffle(weights)
    start = time.perf_counter()
    members = make_members(rng, args.members)
    offers = make_offers(rng, args.offers, members, skills, weights)
    history = make_history(rng, args.members)
    needs = make_needs(rng, args.needs, members, skills, weights)
    build = time.perf_counter() - start

    # The first need described in words only compares every free-text offer: their analysis is memoised then.
    cold = next(need for need in needs if need.skill_id is None and need.group_id is None)
    start = time.perf_counter()
    rank_offers(cold, offers, history)
    first = (time.perf_counter() - start) * 1000

    ours, our_results = timed(lambda need: rank_offers(need, offers, history), needs)
    base, base_results = timed(lambda need: naive_rank(need, offers, history), needs)
    # Worst case: every offer is for the one skill every need asks for, so every offer is fully scored.
    skill_id, group_id = skills[0]
    same_skill = [replace(o, skill_id=skill_id, group_id=group_id, free_text=None) for o in offers]
    worst_needs = [replace(n, skill_id=skill_id, group_id=group_id, free_text=None) for n in needs[:50]]
    worst, worst_results = timed(lambda need: rank_offers(need, same_skill, history), worst_needs)
    worst_base, worst_base_results = timed(lambda need: naive_rank(need, same_skill, history), worst_needs)
    candidates = [sum(score_offer(n, o, history) is not None for o in offers) for n in needs[:50]]
    pairs = [*zip(our_results, base_results, strict=True), *zip(worst_results, worst_base_results, strict=True)]
    same = all([s.score for s in a] == [s.score for s in b] for a, b in pairs)
    found = sum(len(r) for r in our_results) / len(needs)

    print(
        f"Matching speed: {len(offers):,} offers of {len(members):,} members over {len(skills)} taxonomy skills, "
        f"{len(needs)} needs, {len(history.declined_pairs):,} declined pairs, {len(history.outcomes):,} outcomes"
    )
    print(f"build {build:.2f} s; first free-text need (analyses every free-text offer once) {first:.1f} ms")
    print(f"candidates per need (first 50 needs) mean {statistics.mean(candidates):.0f}, max {max(candidates)}")
    print(f"suggestions per need mean {found:.2f}; same top scores as the baseline for every need: {same}\n")
    head = f"{'ms per need':<42}{'p50':>8}{'p95':>8}{'max':>8}"
    print(head)
    print("-" * len(head))
    rows = (
        ("rank_offers (ours)", ours),
        ("score everything, then sort (baseline)", base),
        ("worst case, every offer the same skill:", None),
        (f"  rank_offers (ours), {len(worst_needs)} needs", worst),
        (f"  baseline, {len(worst_needs)} needs", worst_base),
    )
    for name, times in rows:
        cells = "" if times is None else f"{percentile(times, 50):>8.2f}{percentile(times, 95):>8.2f}{max(times):>8.2f}"
        print(f"{name:<42}{cells}".rstrip())
    ratio50 = percentile(base, 50) / percentile(ours, 50)
    ratio95 = percentile(base, 95) / percentile(ours, 95)
    print(f"\nbaseline / ours: p50 {ratio50:.1f}x, p95 {ratio95:.1f}x; goal p95 < 50 ms: ", end="")
    print("met" if percentile(ours, 95) < 50 else "NOT met", end="")
    print(f" (worst case p95 {percentile(worst, 95):.1f} ms)")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
