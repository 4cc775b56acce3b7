"""Text analysis for search: folding, tokenising, stop words, Dutch and English stems, compounds.

Everything here is pure and deterministic. Documents and queries go through the same functions, so a
term produced for a query can only match a term produced the same way for a document.

Index terms come in three shapes, all made of ``[a-z0-9_]`` only (the FTS5 tokenizer keeps ``_``):

* a Snowball stem, Dutch and English (``licenties`` -> ``licentie``, ``licenti``);
* a prefix key ``p_`` + the first six letters of a word of six letters or more, a weak match across
  derivations and between the languages (``registratie``/``registrator``, ``collectie``/``collection``);
* a glossary concept ``c_<id>`` (see :mod:`bot.domain.search.glossary`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

ANALYZER_VERSION = "3"
"""Bump when the output of this module changes, so stored documents are re-analysed."""

MAX_WORD = 40
PREFIX_LEN = 6
MIN_COMPOUND = 8
MIN_HEAD = 4
MIN_TAIL = 4
LINKS = ("s", "e", "en", "er")
"""Dutch linking morphemes between compound parts (tussen-s, tussen-e, tussen-n)."""

_NL_TEXT = """
    aan af al alle alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een
    eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je
    jij jou jouw jullie kan kon kunnen kunt maar me meer men met mij mijn moet moeten na naar niet niets nog
    nu of om omdat onder ons onze ook op over reeds te tegen toch toen tot u uit uw van veel voor waar wanneer
    want waren was wat we wel welk welke werd wie wij wil willen word worden wordt zal ze zei zelf zich zij
    zijn zo zonder zou zouden dus daarom hoeveel waarom waarmee waarvoor eigenlijk graag even mogelijk hele
    heel erg via per elk elke ieder iedere zoals
"""
STOPWORDS_NL = frozenset(_NL_TEXT.split())
_EN_TEXT = """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing dont down during each few for from further had has have having he
    her here hers herself him himself his how i if im in into is it its itself ive just me more most my myself
    no nor not now of off on once only or other our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours yourself
    yourselves us also may might must shall cannot cant wont really
"""
STOPWORDS_EN = frozenset(_EN_TEXT.split())
STOPWORDS = STOPWORDS_NL | STOPWORDS_EN

_STEMMERS = {"nl": Stemmer.Stemmer("dutch"), "en": Stemmer.Stemmer("english")}
_FOLD_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHES = re.compile(r"(?<=[a-z0-9])['’`´](?=[a-z0-9])")
_GROUP = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class TokenStream:
    """A text split into words.

    ``words`` are in order, stop words included. ``groups`` are the hyphenated words as
    ``(start, end, joined)``: ``words[start:end]`` are the parts and ``joined`` the parts run together.
    """

    words: tuple[str, ...]
    groups: tuple[tuple[int, int, str], ...] = ()

    @property
    def joined(self) -> tuple[str, ...]:
        """The joined forms of the hyphenated words."""
        return tuple(g[2] for g in self.groups)

    def content_words(self) -> list[str]:
        """The words that carry meaning: no stop words, no single characters."""
        return [w for w in self.words if is_content_word(w)]


def fold(text: str) -> str:
    """Lower-case and strip accents (NFKD): ``Financiële`` -> ``financiele``; control characters vanish."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    return _COMBINING.sub("", unicodedata.normalize("NFKD", lowered.translate(_FOLD_EXTRA)))


def tokenize(text: str) -> TokenStream:
    """Split folded text into words; ``back-up`` gives ``back``, ``up`` and the group ``backup``.

    Apostrophes inside words are dropped (``foto's`` -> ``fotos``). Anything that is not a letter or
    digit separates words, so FTS5 syntax, quotes, emoji and control characters cannot survive.
    """
    folded = fold(text)
    if "'" in folded or "’" in folded or "`" in folded or "´" in folded:
        folded = _APOSTROPHES.sub("", folded)
    found = _GROUP.findall(folded)
    if "-" not in folded and not any(len(w) > MAX_WORD for w in found):
        return TokenStream(tuple(found))  # the common case: no hyphen words, no overlong words
    words: list[str] = []
    groups: list[tuple[int, int, str]] = []
    for group in found:
        parts = [p[:MAX_WORD] for p in group.split("-")]
        start = len(words)
        words.extend(parts)
        if len(parts) > 1 and any(p.isalpha() for p in parts):
            whole = "".join(parts)
            if len(whole) <= MAX_WORD:
                groups.append((start, len(words), whole))
    return TokenStream(tuple(words), tuple(groups))


def is_content_word(word: str) -> bool:
    """Whether a folded word is worth indexing: not a stop word, and two characters or more (or digits)."""
    return word not in STOPWORDS and (len(word) >= 2 or word.isdigit())


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """The Dutch and English Snowball stems of a folded word, without duplicates (Dutch first)."""
    if not word.isalpha():
        return (word,)
    nl = _STEMMERS["nl"].stemWord(word)
    en = _STEMMERS["en"].stemWord(word)
    return (nl,) if nl == en else (nl, en)


def prefix_key(word: str) -> str | None:
    """The weak prefix term of a word of :data:`PREFIX_LEN` letters or more, else None."""
    if len(word) < PREFIX_LEN or not word.isalpha():
        return None
    return "p_" + word[:PREFIX_LEN]


def word_terms(word: str) -> list[str]:
    """Every index term one word stands for: its stems and its prefix key."""
    terms = list(stems(word))
    key = prefix_key(word)
    if key is not None:
        terms.append(key)
    return terms


def compound_candidates(word: str) -> set[str]:
    """Every head and tail a compound split of ``word`` could need looked up in the vocabulary."""
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return set()
    found: set[str] = set()
    for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
        head, tail = word[:cut], word[cut:]
        found.add(tail)
        found.add(head)
        for link in LINKS:
            if head.endswith(link) and len(head) - len(link) >= MIN_HEAD:
                found.add(head[: -len(link)])
    return found


def split_compound(word: str, known: Callable[[str], bool], *, depth: int = 2) -> list[str]:
    """Split a (Dutch) compound into known parts, or return ``[]``.

    ``erfgoedinstelling`` -> ``["erfgoed", "instelling"]``, ``digitaliseringsprojecten`` ->
    ``["digitalisering", "projecten"]`` (tussen-s dropped). Both parts must be known content words of
    four letters or more; the tail may itself be split once more. The shortest known first part wins,
    so the last part, which carries a Dutch compound's meaning, stays as long as possible.
    """
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return []
    for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
        head, tail = word[:cut], word[cut:]
        heads = [head] + [head[: -len(x)] for x in LINKS if head.endswith(x) and len(head) - len(x) >= MIN_HEAD]
        good_head = next((h for h in heads if _usable(h, known)), None)
        if good_head is None:
            continue
        if _usable(tail, known):
            return [good_head, tail]
        if depth > 1:
            rest = split_compound(tail, known, depth=depth - 1)
            if rest:
                return [good_head, *rest]
    return []


def _usable(part: str, known: Callable[[str], bool]) -> bool:
    return part not in STOPWORDS and known(part)
