"""Query plans and re-ranking (pure).

A query becomes a list of *concepts*, one per content word. Each concept has weighted *variants*: the
word's stems (1.0), its prefix key (weak), glossary concepts (0.9, related ones 0.25), a typo correction
(0.85) and, for compounds, the parts as an alternative. A candidate document scores, per concept, the
best of its variants under BM25F (title > tags > body), so a word that matches through three variants
counts once. The sum is scaled by how much of the query (by idf) the document covers, then by small
boosts for solved, featured and helpful documents.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.search.analysis import (
    compound_candidates,
    fold,
    is_content_word,
    prefix_key,
    split_compound,
    stems,
    tokenize,
)
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import Candidate, KnowledgeDocument
from bot.domain.search.termdata import TermProbe

PREFIX_WEIGHT = 0.35
GLOSSARY_WEIGHT = 0.9
RELATED_WEIGHT = 0.25
TYPO_WEIGHT = 0.85
COMPOUND_WEIGHT = 0.8
PART_ALONE = 0.75
"""A compound query word of which a document has only one part still counts for 75 %."""
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "body": 1.0}
FIELD_B = {"title": 0.5, "tags": 0.3, "body": 0.75}
K1 = 1.2
MIN_MATCH_WEIGHT = 0.3
COMMON_SHARE = 0.1
COMMON_FLOOR = 1000
COVERAGE_FLOOR = 0.35
POSTING_BUDGET = 6000
"""Candidate retrieval reads at most about this many postings beyond the :data:`MIN_CONCEPTS` rarest concepts'."""
MIN_CONCEPTS = 2
MAX_CONCEPTS = 32
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(slots=True)
class Concept:
    """One query word and the weighted terms that stand for it."""

    word: str
    variants: dict[str, float] = field(default_factory=dict)
    parts: list[dict[str, float]] = field(default_factory=list)
    correction: str | None = None
    phrase: bool = False

    def add(self, term: str, weight: float) -> None:
        """Add a variant, keeping the higher weight if it is there already."""
        if weight > self.variants.get(term, 0.0):
            self.variants[term] = weight

    def terms(self) -> set[str]:
        """Every term this concept may match."""
        found = set(self.variants)
        for part in self.parts:
            found |= set(part)
        return found


@dataclass(slots=True)
class QueryPlan:
    """The concepts of a query, plus the words that still need a vocabulary check."""

    concepts: list[Concept]
    lookups: set[str]

    def terms(self) -> set[str]:
        """Every term of every concept."""
        found: set[str] = set()
        for concept in self.concepts:
            found |= concept.terms()
        return found


def word_variants(word: str, weight: float = 1.0) -> dict[str, float]:
    """The stems (``weight``) and prefix key (weak) of a word."""
    variants = dict.fromkeys(stems(word), weight)
    key = prefix_key(word)
    if key is not None:
        variants.setdefault(key, weight * PREFIX_WEIGHT)
    return variants


def plan_query(text: str, glossary: Glossary) -> QueryPlan:
    """Analyse a query into concepts (before any vocabulary lookup).

    Every distinct content word is a concept. The joined form of a hyphenated word (``back-up`` ->
    ``backup``) is a variant of each of its parts, not a concept of its own, so it is not counted
    twice. A glossary phrase of two words or more (``digitale strategie``) adds a concept of its
    own: a document that has the phrase, or one of its synonyms, beats one with the words apart.
    """
    stream = tokenize(text)
    concepts: dict[str, Concept] = {}
    positions: dict[int, Concept] = {}
    for i, word in enumerate(stream.words):
        if not is_content_word(word):
            continue
        concept = concepts.get(word)
        if concept is None:
            if len(concepts) >= MAX_CONCEPTS:
                continue
            concept = concepts[word] = Concept(word, word_variants(word))
            for term in glossary.concepts_of_word(word):
                concept.add(term, GLOSSARY_WEIGHT)
        positions[i] = concept
    for start, end, joined in stream.groups:
        extra = {**word_variants(joined), **dict.fromkeys(glossary.concepts_of_word(joined), GLOSSARY_WEIGHT)}
        for i in range(start, end):
            if i in positions:
                for term, weight in extra.items():
                    positions[i].add(term, weight)
    for match in glossary.find(stream.words):
        covered = [positions[i] for i in range(match.start, match.end) if i in positions]
        if match.end - match.start > 1 and match.concept not in concepts and len(concepts) < MAX_CONCEPTS:
            concepts[match.concept] = Concept(match.concept, {match.concept: 1.0}, phrase=True)
            covered.append(concepts[match.concept])
        for concept in covered:
            concept.add(match.concept, GLOSSARY_WEIGHT)
            for rel in glossary.related(match.concept):
                concept.add(rel, RELATED_WEIGHT)
    lookups: set[str] = set()
    for concept in concepts.values():
        if not concept.phrase:
            lookups.add(concept.word)
            for part in compound_candidates(concept.word):
                lookups.add(part)
                lookups.update(stems(part))
    return QueryPlan(list(concepts.values()), lookups)


def is_known(word: str, counts: Mapping[str, int], glossary: Glossary) -> bool:
    """Whether a word (or one of its stems) occurs in the index or the glossary."""
    return word in glossary.words or any(counts.get(w, 0) > 0 for w in (word, *stems(word)))


def add_compound_parts(
    plan: QueryPlan, counts: dict[str, int], glossary: Glossary, lexicon: Callable[[str], bool] | None = None
) -> None:
    """Give every compound query word its known parts as an alternative match.

    Parts are those of the lexicon documents are split with, so a query word splits as it would in a
    document (without a lexicon, for tools and tests: parts the server's index knows).
    ``counts`` must hold the parts and their stems (see :func:`plan_query`); a part's prefix key and
    glossary concepts get the part's own count, a close enough idf, so no second lookup is needed.
    """

    def is_part(word: str) -> bool:
        return lexicon(word) if lexicon is not None else is_known(word, counts, glossary)

    for concept in plan.concepts:
        if concept.phrase:
            continue
        for part in split_compound(concept.word, is_part):
            variants = word_variants(part)
            for term in glossary.concepts_of_word(part):
                variants[term] = GLOSSARY_WEIGHT
            known = max((counts.get(t, 0) for t in variants), default=0)
            for term in variants:
                counts.setdefault(term, known)
            concept.parts.append(variants)


def add_correction(concept: Concept, corrected: str, glossary: Glossary) -> None:
    """Let a misspelt word also match its correction."""
    concept.correction = corrected
    for term, weight in word_variants(corrected, TYPO_WEIGHT).items():
        concept.add(term, weight)
    for term in glossary.concepts_of_word(corrected):
        concept.add(term, GLOSSARY_WEIGHT * TYPO_WEIGHT)


def retrieval_terms(plan: QueryPlan, counts: Mapping[str, int], n_docs: int, budget: int = POSTING_BUDGET) -> list[str]:
    """The terms worth asking the full-text index for candidates: the rarest concepts' terms, within a budget.

    Weak variants (related concepts) only re-rank. A concept whose every variant is in more than a tenth of
    the documents (and over :data:`COMMON_FLOOR`) does not fetch candidates either, unless the query has
    nothing rarer. The remaining concepts are taken rarest first (by their rarest term) while the documents
    their terms are in add up to at most ``budget``; the :data:`MIN_CONCEPTS` rarest always count. So the
    full-text query reads a bounded number of postings, however common the other words are, and the
    re-ranker still scores every concept of the query for the candidates this brings in. Small indexes
    never reach the budget.
    """
    cap = max(COMMON_FLOOR, COMMON_SHARE * n_docs)
    groups: list[tuple[int, list[str]]] = []
    fallback: set[str] = set()
    for concept in plan.concepts:
        variants = [t for t, w in concept.variants.items() if w >= MIN_MATCH_WEIGHT]
        variants += [t for part in concept.parts for t, w in part.items() if w >= MIN_MATCH_WEIGHT]
        known = {t: counts[t] for t in variants if counts.get(t, 0) > 0}
        rare = [t for t, df in known.items() if df <= cap]
        if rare:
            groups.append((min(known[t] for t in rare), rare))
        elif known:
            fallback.add(min(known, key=lambda t: (known[t], t)))
    chosen: set[str] = set()
    spent = 0
    for i, (_, terms) in enumerate(sorted(groups, key=lambda g: (g[0], sorted(g[1])))):
        new = [t for t in terms if t not in chosen]
        cost = sum(counts[t] for t in new)
        if i >= MIN_CONCEPTS and spent + cost > budget:
            continue
        chosen.update(new)
        spent += cost
    return sorted(chosen or fallback)


def retrieval_groups(
    plan: QueryPlan, terms: Sequence[str], counts: Mapping[str, int], n_docs: int
) -> list[tuple[list[str], float]]:
    """The retrieval terms grouped by the concept they stand for, each group with its weight.

    Candidates are picked by the sum of the weights of the groups a document matches: one per concept, so a word
    matched through its stem, prefix and glossary concept counts once. A group weighs as its best term
    (idf × variant weight): a cheap stand-in for the re-ranker's concept coverage.
    """
    chosen = set(terms)
    taken: set[str] = set()
    groups: list[tuple[list[str], float]] = []
    for concept in plan.concepts:
        variants = dict(concept.variants)
        for part in concept.parts:
            for term, weight in part.items():
                variants[term] = max(variants.get(term, 0.0), weight * COMPOUND_WEIGHT)
        group = [t for t in sorted(variants) if t in chosen and t not in taken and counts.get(t, 0) > 0]
        if group:
            taken.update(group)
            groups.append((group, max(variants[t] * idf(counts[t], n_docs) for t in group)))
    return groups


def idf(df: int, n_docs: int) -> float:
    """Okapi idf, never negative."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True)
class RankContext:
    """What scoring needs besides the candidates: document frequencies, N, the member's language."""

    counts: Mapping[str, int]
    n_docs: int
    lang: str | None = None


def rank(plan: QueryPlan, candidates: Sequence[Candidate], ctx: RankContext) -> list[tuple[Candidate, float]]:
    """Score and sort candidates, best first; documents matching nothing are dropped."""
    if not candidates:
        return []
    weights = {t: idf(ctx.counts[t], ctx.n_docs) for t in plan.terms() if ctx.counts.get(t, 0) > 0}
    probe = TermProbe(weights)
    found = [probe.fields(c.data) for c in candidates]
    avg = [max(1.0, sum(c.data.lengths[i] for c in candidates) / len(candidates)) for i in range(3)]
    importance = [_importance(c, weights) for c in plan.concepts]
    total_importance = sum(importance) or 1.0
    scored: list[tuple[Candidate, float]] = []
    for candidate, fields in zip(candidates, found, strict=True):
        scores = _term_scores(fields, candidate.data.lengths, avg, weights)
        total = 0.0
        covered = 0.0
        for concept, imp in zip(plan.concepts, importance, strict=True):
            value, strength = _concept_score(concept, scores)
            total += value
            covered += imp * strength
        if total > 0:
            coverage = covered / total_importance
            score = total * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * coverage) * boost(candidate.document, ctx.lang)
            scored.append((candidate, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].document.id))
    return scored


def boost(doc: KnowledgeDocument, lang: str | None) -> float:
    """Small multipliers for answers members can trust, net helpful votes and the member's language.

    FAQ entries and resources are curated, and a solved thread has an accepted answer: they get
    the same lift over an unsolved thread. Featured documents get more, and net helpful votes up
    to 20 % (a document ten votes ahead of a featured one overtakes it), net unhelpful votes down.
    """
    factor = 1.0
    if doc.solved or doc.kind != "solved_thread":
        factor *= 1.05
    if doc.featured:
        factor *= 1.15
    net = doc.helpful - doc.unhelpful
    factor *= 1.0 + 0.2 * math.tanh(net / 5.0)
    if lang is not None and doc.lang == lang:
        factor *= 1.05
    return factor


_FIELDS = (("title", 0), ("tags", 1), ("body", 2))


def _term_scores(
    fields: Sequence[Mapping[str, int]], lengths: Sequence[int], avg: Sequence[float], weights: Mapping[str, float]
) -> dict[str, float]:
    """BM25F of every query term in one document: field-weighted, length-normalised tf, saturated."""
    tf: dict[str, float] = {}
    for name, i in _FIELDS:
        counts = fields[i]
        if not counts or not lengths[i]:
            continue
        b = FIELD_B[name]
        norm = FIELD_WEIGHTS[name] / (1.0 - b + b * lengths[i] / avg[i])
        for term, hits in counts.items():
            if term in weights:
                tf[term] = tf.get(term, 0.0) + hits * norm
    return {t: weights[t] * v * (K1 + 1.0) / (v + K1) for t, v in tf.items()}


def _best(variants: Mapping[str, float], scores: Mapping[str, float]) -> tuple[float, float]:
    best, strength = 0.0, 0.0
    for term, weight in variants.items():
        score = scores.get(term)
        if score:
            best = max(best, weight * score)
            strength = max(strength, weight)
    return best, strength


def _concept_score(concept: Concept, scores: Mapping[str, float]) -> tuple[float, float]:
    """The concept's best score in a document and how strong (variant weight) the best evidence was."""
    whole, strength = _best(concept.variants, scores)
    if concept.parts:
        found = [_best(p, scores) for p in concept.parts]
        parts = COMPOUND_WEIGHT * max(sum(v for v, _ in found) / len(found), PART_ALONE * max(v for v, _ in found))
        part_strength = COMPOUND_WEIGHT * max(
            sum(s for _, s in found) / len(found), PART_ALONE * max(s for _, s in found)
        )
        whole, strength = max(whole, parts), max(strength, part_strength)
    return whole, strength


def _importance(concept: Concept, weights: Mapping[str, float]) -> float:
    """How much a concept weighs in coverage: the idf of its strongest known variants.

    A guessed correction counts half: the "misspelt" word may just be a word the index lacks.
    """
    strong = [weights[t] for t, v in concept.variants.items() if v >= TYPO_WEIGHT and t in weights]
    if strong:
        return max(strong) * (0.5 if concept.correction else 1.0)
    parts = [max((weights[t] for t in p if t in weights), default=0.0) for p in concept.parts]
    return COMPOUND_WEIGHT * sum(parts) / len(parts) if parts else 0.0


def excerpt(body: str, plan: QueryPlan, width: int = 240) -> str:
    """The sentence of ``body`` that mentions most query concepts, and the next, cut to ``width``.

    Stems are looked for as substrings of the folded sentence: cheap, and good enough to pick one.
    """
    sentences = [s.strip() for s in _SENTENCE.split(body) if s.strip()]
    if not sentences:
        return ""
    probes = [
        {t for t in concept.terms() if t.isalpha() and len(t) >= 3} for concept in plan.concepts if not concept.phrase
    ]
    folded = [fold(sentence) for sentence in sentences]
    best = max(range(len(sentences)), key=lambda i: (sum(any(p in folded[i] for p in g) for g in probes), -i))
    text = " ".join(sentences[best : best + 2])
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"
