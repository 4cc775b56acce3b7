"""Turning documents into analysed index records (pure; the engine supplies the vocabulary)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.domain.search.analysis import (
    ANALYZER_VERSION,
    compound_candidates,
    is_content_word,
    split_compound,
    tokenize,
    word_terms,
)
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import IndexRecord, NewDocument

Known = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class FieldAnalysis:
    """The index terms of one field, in order, and the surface words it contains."""

    terms: list[str]
    words: set[str]


def analyzer_fingerprint(glossary: Glossary) -> str:
    """Identifies the analysis (code version + glossary), stored with every document."""
    return f"{ANALYZER_VERSION}:{glossary.fingerprint}"


def analyse_field(text: str, glossary: Glossary, known: Known) -> FieldAnalysis:
    """Index terms for a field: stems and prefix keys of every content word, of the parts of compound
    words (split against ``known`` words), of joined hyphen words, and the glossary concepts found."""
    stream = tokenize(text)
    terms: list[str] = []
    words: set[str] = set()
    for word in stream.words:
        if not is_content_word(word):
            continue
        words.add(word)
        terms.extend(word_terms(word))
        for part in split_compound(word, known):
            terms.extend(word_terms(part))
            terms.extend(sorted(glossary.concepts_of_word(part)))
    for joined in stream.joined:
        words.add(joined)
        terms.extend(word_terms(joined))
        terms.extend(sorted(glossary.concepts_of_word(joined)))
    terms.extend(match.concept for match in glossary.find(stream.words))
    return FieldAnalysis(terms, words)


def document_texts(doc: NewDocument) -> tuple[str, str, str]:
    """The title, tags and body text of a document as analysed (tags joined by spaces)."""
    return doc.title, " ".join(doc.tags), doc.body


def split_candidates(docs: Iterable[NewDocument]) -> tuple[set[str], set[str]]:
    """The surface words of some documents and the compound parts that need a vocabulary lookup."""
    words: set[str] = set()
    parts: set[str] = set()
    for doc in docs:
        for text in document_texts(doc):
            stream = tokenize(text)
            words.update(stream.joined)
            for word in stream.words:
                if is_content_word(word):
                    words.add(word)
                    parts |= compound_candidates(word)
    return words, parts - words


def build_record(doc: NewDocument, glossary: Glossary, known: Known, fingerprint: str) -> IndexRecord:
    """Analyse a document into the record the repository stores."""
    title, tags, body = (analyse_field(text, glossary, known) for text in document_texts(doc))
    words = sorted(title.words | tags.words | body.words)
    return IndexRecord(
        doc=doc,
        title_terms=" ".join(title.terms),
        tags_terms=" ".join(tags.terms),
        body_terms=" ".join(body.terms),
        words=" ".join(words),
        analyzer=fingerprint,
    )
