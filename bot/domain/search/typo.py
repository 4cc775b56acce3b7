"""Did-you-mean from the index's own vocabulary, with symmetric-delete candidate keys.

Every vocabulary word is stored under itself and under each string made by deleting one character
(``knowledge_term_keys``). A query word looks up the same keys for itself, so one indexed lookup finds
every word within one insertion, deletion, substitution or adjacent transposition, and some words two
edits away; :func:`distance` then checks the real edit distance. The cost does not grow with the size
of the vocabulary, which is what keeps it fast at 100,000 documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def delete_keys(word: str) -> set[str]:
    """The word and every string made by deleting one of its characters."""
    keys = {word}
    keys.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return keys


def keys_for(words: Iterable[str]) -> list[str]:
    """All lookup keys for several query words, without duplicates."""
    found: set[str] = set()
    for word in words:
        found |= delete_keys(word)
    return sorted(found)


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
