"""Turning documents into analysed index records (pure; the engine supplies the vocabulary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from bot.domain.search.analysis import (
    ANALYZER_VERSION,
    TokenStream,
    is_content_word,
    split_compound,
    stems,
    tokenize,
    word_terms,
)
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import IndexRecord, NewDocument
from bot.domain.search.termdata import encode, pack_text

Known = Callable[[str], bool]
WORD_CACHE = 200_000


def analyzer_fingerprint(glossary: Glossary, lexicon: str = "") -> str:
    """Identifies the analysis (code version, glossary and lexicon), stored with every document."""
    base = f"{ANALYZER_VERSION}:{glossary.fingerprint}"
    return f"{base}:{lexicon}" if lexicon else base


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
        self._split: dict[str, list[str]] = {}
        self._whole: dict[str, list[str]] = {}

    def record(self, doc: NewDocument, streams: Sequence[TokenStream] | None = None) -> IndexRecord:
        """Analyse a document (optionally already tokenised) into the record the repository stores."""
        split = doc.lang != "en"
        streams = streams or document_streams(doc)
        fields = tuple(Counter(self.terms(stream, split=split)) for stream in streams)
        title, tags, body = fields
        return IndexRecord(
            doc=doc,
            fields=(title, tags, body),
            analyzer=self._fingerprint,
            packed_terms=encode((title, tags, body)),
            packed_body=pack_text(doc.body),
        )

    def terms(self, stream: TokenStream, *, split: bool = True) -> list[str]:
        """Index terms of a tokenised field, in order.

        Stems, prefix keys and glossary concepts of every content word, of the parts of compound words (split
        against the known words) and of joined hyphen words, and the concepts of glossary phrases.
        """
        cache = self._split if split else self._whole
        terms: list[str] = []
        for word in stream.words:
            found = cache.get(word)
            if found is None:
                found = self._word(word, split) if is_content_word(word) else []
                if len(cache) < WORD_CACHE:
                    cache[word] = found
            if found:
                terms.extend(found)
        for joined in stream.joined:
            terms.extend(self._word(joined, False))
        if self._glossary.has_phrases:
            terms.extend(term for _, _, term in sorted(self._glossary.find_phrases(stream.words)))
        return terms

    def field(self, stream: TokenStream, *, split: bool = True) -> tuple[list[str], set[str]]:
        """Index terms of a tokenised field (see :meth:`terms`) and its content words."""
        return self.terms(stream, split=split), {w for w in (*stream.words, *stream.joined) if is_content_word(w)}

    def _word(self, word: str, split: bool) -> list[str]:
        found = [*word_terms(word), *sorted(self._glossary.concepts_of_word(word))]
        if split:
            for part in split_compound(word, self._known):
                found.extend(word_terms(part))
                found.extend(sorted(self._glossary.concepts_of_word(part)))
        return found


def document_streams(doc: NewDocument) -> tuple[TokenStream, TokenStream, TokenStream]:
    """The tokenised title, tags and body of a document."""
    title, tags, body = document_texts(doc)
    return tokenize(title), tokenize(tags), tokenize(body)


def document_texts(doc: NewDocument) -> tuple[str, str, str]:
    """The title, tags and body text of a document as analysed (tags joined by spaces)."""
    return doc.title, " ".join(doc.tags), doc.body
