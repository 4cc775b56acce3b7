"""The fixed lexicon search analysis splits Dutch compounds with, and spelling corrections come from.

Analysis depends only on the text, the glossary and this lexicon, never on what other servers indexed. The
built-in lexicon is ``bot/data/lexicon/lexicon.txt.gz``, made by ``scripts/build_lexicon.py`` from OpenTaal's
Dutch and SCOWL's English word lists (see the README beside it). It is gzipped UTF-8 text::

    # steunpunt search lexicon 1
    [parts]
    erfgoed
    instelling
    ...
    [words]
    creative
    ...

``[parts]`` are the words a compound may be split into: the words OpenTaal marks as compound parts, with
their inflected forms. ``[words]`` are other words worth knowing (spelling corrections): Dutch nouns,
adjectives and infinitives that are not compounds of parts, and common English words. Each section is
sorted, one word a line, folded as :func:`~bot.domain.search.analysis.fold` folds text, letters ``a``-``z``
only. :attr:`Lexicon.fingerprint` changes whenever a word does, so stored documents are re-analysed after
a lexicon change.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from bot.domain.search.analysis import STOPWORDS, fold, stems
from bot.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_LEXICON_PATH: Traversable = files("bot") / "data" / "lexicon" / "lexicon.txt.gz"
"""The lexicon shipped inside the package (a file on disk, or inside a zip, wherever the package is installed)."""
FORMAT_HEADER = "# steunpunt search lexicon 1"
PARTS_SECTION = "[parts]"
WORDS_SECTION = "[words]"
MIN_EXTRA_PART = 5
"""The shortest word :meth:`Lexicon.with_words` makes a compound part."""
_SECTION = re.compile(r"(?:[a-z]+\n)*")


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Fixed sets of folded words: every known word, and the subset a compound may be split into.

    Build with :meth:`load` (the shipped file) or :meth:`of` (tests); :meth:`with_words` adds the
    glossary's words. Immutable, so one lexicon is shared by every search and indexing task.
    """

    words: frozenset[str]
    """Every known word, the parts included (the candidates for spelling corrections)."""
    parts: frozenset[str]
    """The words a compound may be split into (never a stop word)."""
    fingerprint: str
    """A short hash of the content: equal for equal word sets, different when any word changes."""

    @classmethod
    def of(cls, words: Iterable[str], parts: Iterable[str] | None = None) -> Lexicon:
        """A lexicon of these words, folded (anything but letters is dropped); all are parts unless ``parts`` given."""
        every = _clean(words)
        return cls._make(_parts(every if parts is None else _clean(parts)), every)

    @classmethod
    def load(cls, path: Traversable | None = None) -> Lexicon:
        """Read a lexicon file (default: the built-in one); a :class:`~pathlib.Path` works too.

        Raises :class:`~bot.errors.ConfigError` naming the file if it is missing, unreadable or malformed.
        """
        source = DEFAULT_LEXICON_PATH if path is None else path
        try:
            text = gzip.decompress(source.read_bytes()).decode("utf-8")
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot read the search lexicon {source}: {exc}") from None
        parts, words = _parse(text, source)
        lexicon = cls._make(_parts(parts), words)
        log.info("Loaded %s lexicon words (%s compound parts) from %s", len(lexicon.words), len(lexicon.parts), source)
        return lexicon

    def with_words(self, extra: Iterable[str]) -> Lexicon:
        """A lexicon with some words (the glossary's) added; this one if none is new.

        Words of :data:`MIN_EXTRA_PART` letters or more become parts too. Shorter ones are mostly English
        words and acronyms (``lend``, ``free``) that would cut Dutch words apart (``verschil+lende``); the
        short Dutch ones are parts already.
        """
        words = _clean(extra)
        parts = _parts(frozenset(w for w in words if len(w) >= MIN_EXTRA_PART)) - self.parts
        words -= self.words
        if not parts and not words:
            return self
        return self._make(self.parts | parts, self.words | words | parts)

    def known(self, part: str) -> bool:
        """Whether a folded compound part is a word: a lexicon part, or one of its Snowball stems is one.

        ``projecten`` is known by itself and through ``project``. A part that merely shares a stem with a
        part is not known: the stemmers cut words down to fragments (``digitalis`` -> ``digitali``,
        ``degelijkheid`` -> ``delijk``) that would cut ``digitalisering`` or ``maandelijks`` into nonsense.
        """
        return part in self.parts or any(s in self.parts for s in stems(part))

    @classmethod
    def _make(cls, parts: frozenset[str], words: frozenset[str]) -> Lexicon:
        every = words | parts
        digest = hashlib.sha256()
        for name, group in ((PARTS_SECTION, parts), (WORDS_SECTION, every - parts)):
            digest.update(f"{name}\n".encode())
            digest.update("".join(f"{w}\n" for w in sorted(group)).encode())
        return cls(every, parts, digest.hexdigest()[:12])


def _clean(words: Iterable[str]) -> frozenset[str]:
    """The words folded, keeping those of letters a-z only."""
    folded = (fold(w) for w in words)
    return frozenset(w for w in folded if w.isascii() and w.isalpha())


def _parts(words: frozenset[str]) -> frozenset[str]:
    """The words that may be compound parts: not stop words (``voor`` would let ``voors`` cut ``voorstelling``)."""
    return words - STOPWORDS


def _parse(text: str, source: Traversable) -> tuple[frozenset[str], frozenset[str]]:
    """The parts and the other words of a lexicon file's text; ConfigError if it is not one."""
    head, _, rest = text.partition("\n")
    if head != FORMAT_HEADER or not rest.startswith(PARTS_SECTION + "\n"):
        raise ConfigError(f"The search lexicon {source} is not a lexicon file: it must start with {FORMAT_HEADER!r}.")
    parts_text, found, words_text = rest[len(PARTS_SECTION) + 1 :].partition(WORDS_SECTION + "\n")
    if not found:
        raise ConfigError(f"The search lexicon {source} has no {WORDS_SECTION} section.")
    for section in (parts_text, words_text):
        end = m.end() if (m := _SECTION.match(section)) else 0
        if end != len(section):
            line = section[end:].split("\n", 1)[0]
            raise ConfigError(f"The search lexicon {source} has a line that is not a folded word: {line[:60]!r}.")
    return frozenset(parts_text.split()), frozenset(words_text.split())


@lru_cache(maxsize=4)
def shipped_lexicon(glossary_words: frozenset[str] = frozenset()) -> Lexicon:
    """The built-in lexicon with the glossary's words added, read once per process.

    It never changes while the bot runs: a new version of the file comes with a new release, and its
    fingerprint then triggers the background re-index.
    """
    return Lexicon.load().with_words(glossary_words)
