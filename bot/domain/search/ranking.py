"""Query plans and re-ranking (pure).

A query becomes a list of *concepts*, one per content word. Each concept has weighted *variants*: the
word's stems (1.0), its prefix key (weak), glossary concepts (0.9, related ones 0.4), a typo correction
(0.85) and, for compounds, the parts as an alternative. A candidate document scores, per concept, the
best of its variants under BM25F (title > tags > body), so a word that matches through three variants
counts once. The sum is scaled by how much of the query (by idf) the document covers, then by small
boosts for solved, featured and helpful documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.search.analysis import (
    compound_candidates,
    dedupe,
    is_content_word,
    prefix_key,
    split_compound,
    stems,
    tokenize,
)
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import Candidate, KnowledgeDocument

PREFIX_WEIGHT = 0.35
GLOSSARY_WEIGHT = 0.9
RELATED_WEIGHT = 0.25
TYPO_WEIGHT = 0.85
COMPOUND_WEIGHT = 0.8
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "body": 1.0}
FIELD_B = {"title": 0.5, "tags": 0.3, "body": 0.75}
K1 = 1.2
COVERAGE_FLOOR = 0.35
MAX_CONCEPTS = 32


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


def add_compound_parts(plan: QueryPlan, counts: dict[str, int], glossary: Glossary) -> None:
    """Give every compound query word its known parts as an alternative match.

    ``counts`` must hold the parts and their stems (see :func:`plan_query`); a part's prefix key and
    glossary concepts get the part's own count, a close enough idf, so no second lookup is needed.
    """
    for concept in plan.concepts:
        if concept.phrase:
            continue
        for part in split_compound(concept.word, lambda w: is_known(w, counts, glossary)):
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


def match_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH string: our own analysed terms, each quoted, joined with OR."""
    safe = [t for t in terms if re.fullmatch(r"[a-z0-9_]+", t)]
    return " OR ".join(f'"{t}"' for t in safe)


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
    fields = [_fields(c) for c in candidates]
    avg = {f: max(1.0, sum(x[f][1] for x in fields) / len(fields)) for f in FIELD_WEIGHTS}
    importance = [_importance(c, weights) for c in plan.concepts]
    total_importance = sum(importance) or 1.0
    scored: list[tuple[Candidate, float]] = []
    for candidate, doc_fields in zip(candidates, fields, strict=True):
        total = 0.0
        covered = 0.0
        for concept, imp in zip(plan.concepts, importance, strict=True):
            value, strength = _concept_score(concept, doc_fields, avg, weights)
            total += value
            covered += imp * strength
        if total > 0:
            coverage = covered / total_importance
            score = total * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * coverage) * boost(candidate.document, ctx.lang)
            scored.append((candidate, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].document.id))
    return scored


def boost(doc: KnowledgeDocument, lang: str | None) -> float:
    """Small multipliers: solved and featured documents, net helpful votes, the member's language."""
    factor = 1.0
    if doc.solved:
        factor *= 1.05
    if doc.featured:
        factor *= 1.15
    net = doc.helpful - doc.unhelpful
    factor *= 1.0 + 0.15 * math.tanh(net / 5.0)
    if lang is not None and doc.lang == lang:
        factor *= 1.05
    return factor


FieldStats = dict[str, tuple[Counter[str], int]]


def _fields(candidate: Candidate) -> FieldStats:
    out: FieldStats = {}
    for name, text in (("title", candidate.title_terms), ("tags", candidate.tags_terms), ("body", candidate.body_terms)):
        terms = text.split()
        out[name] = (Counter(terms), len(terms))
    return out


def _term_score(term: str, doc: FieldStats, avg: Mapping[str, float], weights: Mapping[str, float]) -> float:
    tf = 0.0
    for name, (counts, length) in doc.items():
        hits = counts.get(term)
        if hits:
            b = FIELD_B[name]
            tf += FIELD_WEIGHTS[name] * hits / (1.0 - b + b * length / avg[name])
    if tf == 0.0:
        return 0.0
    return weights.get(term, 0.0) * tf * (K1 + 1.0) / (tf + K1)


def _best(
    variants: Mapping[str, float], doc: FieldStats, avg: Mapping[str, float], w: Mapping[str, float]
) -> tuple[float, float]:
    best, strength = 0.0, 0.0
    for term, weight in variants.items():
        value = weight * _term_score(term, doc, avg, w)
        if value > best:
            best = value
        if value > 0 and weight > strength:
            strength = weight
    return best, strength


def _concept_score(
    concept: Concept, doc: FieldStats, avg: Mapping[str, float], w: Mapping[str, float]
) -> tuple[float, float]:
    """The concept's best score in a document and how strong (variant weight) the best evidence was."""
    whole, strength = _best(concept.variants, doc, avg, w)
    if concept.parts:
        found = [_best(p, doc, avg, w) for p in concept.parts]
        parts = COMPOUND_WEIGHT * sum(v for v, _ in found) / len(found)
        part_strength = COMPOUND_WEIGHT * sum(s for _, s in found) / len(found)
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
    """The sentence of ``body`` that mentions most query concepts, shortened to about ``width`` characters."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", body) if s.strip()]
    if not sentences:
        return ""
    wanted = [concept.terms() for concept in plan.concepts]

    def hits(sentence: str) -> int:
        words = tokenize(sentence).words
        terms = {t for w in words for t in (*stems(w), prefix_key(w) or "")}
        return sum(1 for concept_terms in wanted if concept_terms & terms)

    best = max(range(len(sentences)), key=lambda i: (hits(sentences[i]), -i))
    text = " ".join(dedupe(sentences[best : best + 2]))
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"
