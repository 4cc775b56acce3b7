"""Did-you-mean: real words one edit (long words: some two edits) away that the server's index knows.

A misspelt query word's candidates are the strings :func:`edits` makes of it that are words of the shipped
lexicon (or the glossary); the engine then asks the server's own index which of them occur, and
:func:`best_correction` picks the closest, most frequent one. Nothing is stored per document for this, and a
server is never offered another server's words.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.search.analysis import STOPWORDS

MIN_TYPO_WORD = 6
MAX_TYPO_WORD = 24
LONG_WORD = 8
"""Words this long may be corrected across two edits; shorter ones across one."""


def correctable(word: str) -> bool:
    """Whether a folded query word may be corrected: letters only, 6–24 long, not a stop word.

    Shorter words have too many real neighbours (took/tool, lives/gives) to guess well.
    """
    return word.isalpha() and MIN_TYPO_WORD <= len(word) <= MAX_TYPO_WORD and word not in STOPWORDS


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def edits1(word: str) -> set[str]:
    """Every string one deletion, adjacent swap, substitution or insertion (a-z) away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    found |= {a + c + b for a, b in splits for c in _LETTERS}
    found.discard(word)
    return found


def edits(word: str) -> set[str]:
    """Candidate spellings: one edit away, and for long words also a deletion plus one more edit."""
    found = edits1(word)
    if len(word) >= LONG_WORD:
        for shorter in {word[:i] + word[i + 1 :] for i in range(len(word))}:
            found |= edits1(shorter)
        found.discard(word)
    return found


def distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (Levenshtein plus adjacent swaps); ``limit + 1`` if larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def best_correction(word: str, candidates: Mapping[str, int]) -> str | None:
    """The most likely intended word among vocabulary ``candidates`` (word -> document count).

    Closest first, then most frequent. One edit is allowed for every word, two for long words and
    only towards a word that occurs more than once (a rare word two edits away is more often noise).
    """
    limit = 2 if len(word) >= LONG_WORD else 1
    best: tuple[int, int, str] | None = None
    for candidate, count in candidates.items():
        if candidate == word or count <= 0 or len(candidate) < MIN_TYPO_WORD - 1 or candidate in STOPWORDS:
            continue
        d = distance(word, candidate, limit)
        if d > limit or (d == 2 and count < 2):
            continue
        rank = (d, -count, candidate)
        if best is None or rank < best:
            best = rank
    return None if best is None else best[2]
