"""Turning documents into analysed index records (pure; the engine supplies the vocabulary)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.domain.search.analysis import (
    ANALYZER_VERSION,
    TokenStream,
    compound_candidates,
    is_content_word,
    split_compound,
    stems,
    tokenize,
    word_terms,
)
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import IndexRecord, NewDocument

Known = Callable[[str], bool]
WORD_CACHE = 200_000


def analyzer_fingerprint(glossary: Glossary) -> str:
    """Identifies the analysis (code version + glossary), stored with every document."""
    return f"{ANALYZER_VERSION}:{glossary.fingerprint}"


def known_words(words: Iterable[str]) -> Known:
    """A compound-part test: the word, or one of its stems, is a stem of one of ``words``."""
    vocabulary = set(words)
    stemmed = {s for w in vocabulary for s in stems(w)}
    return lambda part: part in vocabulary or any(s in stemmed for s in stems(part))


class DocumentAnalyser:
    """Analyses documents into index records, caching per-word work (words repeat a lot).

    Compounds are split in Dutch documents (and those of unknown language) only: English writes its
    compounds apart, and splitting ``handwritten`` or ``copyright`` would only add noise.
    """

    def __init__(self, glossary: Glossary, known: Known, fingerprint: str) -> None:
        self._glossary = glossary
        self._known = known
        self._fingerprint = fingerprint
        self._cache: dict[tuple[str, bool], list[str]] = {}

    def record(self, doc: NewDocument, streams: Sequence[TokenStream] | None = None) -> IndexRecord:
        """Analyse a document (optionally already tokenised) into the record the repository stores."""
        split = doc.lang != "en"
        streams = streams or document_streams(doc)
        title, tags, body = (self.field(stream, split=split) for stream in streams)
        return IndexRecord(
            doc=doc,
            title_terms=" ".join(title[0]),
            tags_terms=" ".join(tags[0]),
            body_terms=" ".join(body[0]),
            words=" ".join(sorted(title[1] | tags[1] | body[1])),
            analyzer=self._fingerprint,
        )

    def field(self, stream: TokenStream, *, split: bool = True) -> tuple[list[str], set[str]]:
        """Index terms of a tokenised field and its surface words.

        Terms: stems, prefix keys and glossary concepts of every content word, of the parts of
        compound words (split against the known words) and of joined hyphen words, and the concepts
        of glossary phrases.
        """
        terms: list[str] = []
        words: set[str] = set()
        for word in stream.words:
            if is_content_word(word):
                words.add(word)
                terms.extend(self._word(word, split))
        for joined in stream.joined:
            words.add(joined)
            terms.extend(self._word(joined, False))
        terms.extend(term for _, _, term in sorted(self._glossary.find_phrases(stream.words)))
        return terms, words

    def _word(self, word: str, split: bool) -> list[str]:
        found = self._cache.get((word, split))
        if found is None:
            found = [*word_terms(word), *sorted(self._glossary.concepts_of_word(word))]
            if split:
                for part in split_compound(word, self._known):
                    found.extend(word_terms(part))
                    found.extend(sorted(self._glossary.concepts_of_word(part)))
            if len(self._cache) < WORD_CACHE:
                self._cache[(word, split)] = found
        return found


def document_streams(doc: NewDocument) -> tuple[TokenStream, TokenStream, TokenStream]:
    """The tokenised title, tags and body of a document."""
    title, tags, body = document_texts(doc)
    return tokenize(title), tokenize(tags), tokenize(body)


def document_texts(doc: NewDocument) -> tuple[str, str, str]:
    """The title, tags and body text of a document as analysed (tags joined by spaces)."""
    return doc.title, " ".join(doc.tags), doc.body


def split_candidates(streams: Iterable[Sequence[TokenStream]]) -> tuple[set[str], set[str]]:
    """The surface words of some tokenised documents, and the compound parts (with their stems) to look up."""
    words: set[str] = set()
    parts: set[str] = set()
    for fields in streams:
        for stream in fields:
            words.update(stream.joined)
            for word in stream.words:
                if word not in words and is_content_word(word):
                    words.add(word)
                    for part in compound_candidates(word):
                        parts.add(part)
                        parts.update(stems(part))
    return words, parts - words
