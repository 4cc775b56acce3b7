-- Migration 0002: knowledge
-- Reason: the searchable knowledge base behind /ask (FAQ entries, curated resources, solved forum
--         threads and CLI imports), its full-text index, the vocabulary used for typo correction and
--         compound splitting, and a log of searches so moderators can see what found nothing.

-- One row per searchable document. guild_id 0 means "shared with every server" (built-in content and
-- CLI imports). The index_* columns hold the analysed terms (stems, prefix keys, compound parts and
-- glossary concepts) produced by bot/domain/search/analysis.py; `analyzer` fingerprints that analysis,
-- so rows analysed by an older analyser or glossary can be found and re-indexed.
CREATE TABLE knowledge_documents (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('faq', 'resource', 'thread', 'import')),
    source_key  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('faq', 'resource', 'solved_thread')),
    lang        TEXT,
    theme       TEXT,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    -- JSON list of lower-case strings
    tags        TEXT    NOT NULL DEFAULT '[]',
    url         TEXT,
    solved      INTEGER NOT NULL DEFAULT 0 CHECK (solved IN (0, 1)),
    featured    INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
    helpful     INTEGER NOT NULL DEFAULT 0 CHECK (helpful >= 0),
    unhelpful   INTEGER NOT NULL DEFAULT 0 CHECK (unhelpful >= 0),
    index_title TEXT    NOT NULL,
    index_tags  TEXT    NOT NULL,
    index_body  TEXT    NOT NULL,
    -- the document's distinct surface words, space-separated (vocabulary bookkeeping on update/delete)
    index_words TEXT    NOT NULL,
    analyzer    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    UNIQUE (guild_id, source, source_key)
) STRICT;

-- External-content FTS5 index over the analysed columns; rowid = knowledge_documents.id. The terms are
-- already analysed in Python, so the tokenizer only splits on spaces ('_' marks our synthetic terms).
CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    index_title, index_tags, index_body,
    content = 'knowledge_documents',
    content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
);

-- The triggers keep the index in step with the table inside the writer's transaction. Counter updates
-- (helpful, featured, ...) do not touch the index.
CREATE TRIGGER knowledge_documents_ai AFTER INSERT ON knowledge_documents BEGIN
    INSERT INTO knowledge_fts (rowid, index_title, index_tags, index_body)
    VALUES (new.id, new.index_title, new.index_tags, new.index_body);
END;

CREATE TRIGGER knowledge_documents_ad AFTER DELETE ON knowledge_documents BEGIN
    INSERT INTO knowledge_fts (knowledge_fts, rowid, index_title, index_tags, index_body)
    VALUES ('delete', old.id, old.index_title, old.index_tags, old.index_body);
END;

CREATE TRIGGER knowledge_documents_au AFTER UPDATE OF index_title, index_tags, index_body ON knowledge_documents BEGIN
    INSERT INTO knowledge_fts (knowledge_fts, rowid, index_title, index_tags, index_body)
    VALUES ('delete', old.id, old.index_title, old.index_tags, old.index_body);
    INSERT INTO knowledge_fts (rowid, index_title, index_tags, index_body)
    VALUES (new.id, new.index_title, new.index_tags, new.index_body);
END;

-- Document frequency per term and server: every index term and every surface word of a document
-- counts once. The empty term '' counts the documents themselves (N for idf). Scoped by guild_id so
-- suggestions never reveal another server's words.
CREATE TABLE knowledge_terms (
    term      TEXT    NOT NULL,
    guild_id  INTEGER NOT NULL,
    doc_count INTEGER NOT NULL CHECK (doc_count >= 0),
    PRIMARY KEY (term, guild_id)
) STRICT, WITHOUT ROWID;

-- Symmetric-delete keys for typo correction: each surface word under itself and under every string
-- made by deleting one of its characters. Rows are only added; a key whose word has left the
-- vocabulary is filtered out by joining knowledge_terms.
CREATE TABLE knowledge_term_keys (
    key  TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (key, term)
) STRICT, WITHOUT ROWID;

-- What members searched for, and how many results they got (no user ids).
CREATE TABLE search_log (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    query        TEXT    NOT NULL,
    result_count INTEGER NOT NULL CHECK (result_count >= 0),
    created_at   TEXT    NOT NULL
) STRICT;

CREATE INDEX search_log_guild_id_created_at_idx ON search_log (guild_id, created_at);
