"""Pure parts of routing: reading a question as taxonomy skills, and choosing whom to ask.

A question is long and a skill label short, so the matcher's text similarity (a Dice coefficient) would call
most questions unrelated to every offer. :func:`detect_skills` reads the question the other way round: each
content word of the question counts once, with the weight of the rarest skill term it matches (an idf over
the server's skills, so ``IIIF`` says more than ``collection``; a prefix match counts half). The skills whose
words the question uses most are taken, strongest first, when they pass :data:`MIN_STRENGTH`.

:func:`choose` then ranks the askable members' offers with :func:`bot.domain.matching.rank_offers`, once per
detected skill (the same skill ranks far above the same group) and once by the words of the title (for offers
in members' own words), and merges the lists: the same skill first, then the same group, then similar words;
within a tier the question's stronger skill first, then the matcher's score. Nothing here does I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from bot.domain.matching import MemberFacts, Need, Offer, Suggestion, parse_level, parse_org_size, rank_offers
from bot.domain.routing.models import ASK_CONFIDENCE_FLOOR, Candidate
from bot.domain.search.analysis import tokenize, word_terms
from bot.domain.skills.models import Profile
from bot.domain.skills.taxonomy import Skill

MIN_STRENGTH: Final = 2.5
"""A skill must gather at least this much weight from the question (about one rare word, or two common ones)."""
RELATIVE_STRENGTH: Final = 0.6
"""Further skills are kept only if at least this share of the strongest one's weight."""
MAX_SKILLS: Final = 3
PREFIX_FACTOR: Final = 0.5
_TIERS: Final[Mapping[str, int]] = {"same_skill": 0, "same_group": 1, "similar_skill": 2}


@dataclass(frozen=True, slots=True)
class _Index:
    """The terms of each skill's labels (both languages, named standards, key) and how many skills share each."""

    terms: Mapping[str, frozenset[str]]
    df: Mapping[str, int]
    count: int

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.count - df + 0.5) / (df + 0.5))


@lru_cache(maxsize=64)
def _index(skills: tuple[Skill, ...]) -> _Index:
    terms: dict[str, frozenset[str]] = {}
    for skill in skills:
        found: set[str] = set()
        for text in (skill.nl, skill.en, *skill.refs, skill.key.replace("-", " ")):
            for word in tokenize(text).content_words():
                found.update(word_terms(word))
        terms[skill.key] = frozenset(found)
    df = Counter(term for found in terms.values() for term in found)
    return _Index(terms, df, max(len(terms), 1))


def detect_skills(text: str, skills: Iterable[Skill], limit: int = MAX_SKILLS) -> tuple[str, ...]:
    """The keys of the skills a question is about, strongest first (empty when none is clear enough)."""
    index = _index(tuple(skills))
    words = set(tokenize(text).content_words())
    scored: list[tuple[float, int, str]] = []
    for order, (key, terms) in enumerate(index.terms.items()):
        strength = 0.0
        for word in words:
            best = 0.0
            for term in word_terms(word):
                if term in terms:
                    weight = index.idf(term) * (PREFIX_FACTOR if term.startswith("p_") else 1.0)
                    best = max(best, weight)
            strength += best
        if strength >= MIN_STRENGTH:
            scored.append((strength, order, key))
    if not scored:
        return ()
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[0][0]
    return tuple(key for strength, _, key in scored[:limit] if strength >= RELATIVE_STRENGTH * top)


ANSWER_TEXT: Final = 1000
"""Characters of a result's text that count for its coverage (a long text covers many words by chance)."""


def coverage(question: str, answer: str) -> float:
    """The share of the question's content words that the answer's text uses too (stems or prefix keys), 0 to 1."""
    words = set(tokenize(question).content_words())
    if not words:
        return 0.0
    terms = {term for word in tokenize(answer[:ANSWER_TEXT]).content_words() for term in word_terms(word)}
    return sum(1 for word in words if not terms.isdisjoint(word_terms(word))) / len(words)


def low_confidence(question: str, answers: Sequence[str]) -> bool:
    """Whether an /ask answer is weak enough to offer "ask a person".

    It is when nothing was found, or no result covers at least
    :data:`~bot.domain.routing.models.ASK_CONFIDENCE_FLOOR` of the question's words.
    """
    return max((coverage(question, answer) for answer in answers), default=0.0) < ASK_CONFIDENCE_FLOOR


def facts_of(user_id: int, profile: Profile | None) -> MemberFacts:
    """The asker as the matcher sees them (unknown facts without a profile)."""
    if profile is None:
        return MemberFacts(user_id)
    return MemberFacts(
        user_id,
        org_type=profile.org_type,
        org_size=parse_org_size(profile.org_size),
        region=profile.region,
        languages=frozenset(profile.languages),
    )


def offer_of(candidate: Candidate, group: str | None, load: int, now_iso: str) -> Offer:
    """An askable member's offer as the matcher's :class:`Offer` (paused, load and capacity included)."""
    owner = MemberFacts(
        candidate.user_id,
        org_type=candidate.org_type,
        org_size=parse_org_size(candidate.org_size),
        region=candidate.region,
        languages=frozenset(candidate.languages),
        paused=candidate.paused_until is not None and candidate.paused_until > now_iso,
        open_introductions=load,
        capacity=candidate.capacity,
    )
    return Offer(
        offer_id=candidate.offer_id,
        owner=owner,
        skill_id=candidate.skill,
        group_id=group,
        free_text=candidate.skill_text,
        level=parse_level(candidate.level),
        formats=frozenset({candidate.format}),
        mentor=candidate.mentor,
    )


def choose(
    request_id: int,
    asker: MemberFacts,
    skills: Sequence[Skill],
    title: str,
    offers: Sequence[Offer],
    limit: int = 3,
) -> list[Suggestion]:
    """The members to ask, best first, one suggestion each (the caller has left out who may not be asked)."""
    needs = [Need(request_id, asker, skill.key, skill.group) for skill in skills]
    needs.append(Need(request_id, asker, None, free_text=title))
    best: dict[int, tuple[tuple[int, int, float], Suggestion]] = {}
    for order, need in enumerate(needs):
        for suggestion in rank_offers(need, offers, limit=limit):
            key = (_TIERS.get(str(suggestion.reasons[0][0]), 3), order, -suggestion.score)
            member = suggestion.offer.owner.user_id
            if member not in best or key < best[member][0]:
                best[member] = (key, suggestion)
    ranked = sorted(best.values(), key=lambda item: (item[0], item[1].offer.offer_id))
    return [suggestion for _, suggestion in ranked[:limit]]
