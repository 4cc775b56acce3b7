-- Migration 0016: search at scale
-- Reason: a scoped search cost what every server's documents cost (the server filter ran after a global top-k),
--         every document was stored four times over (raw text, three analysed columns, a surface-word list, and
--         the FTS5 index with positions nobody queried), the per-server vocabulary tables grew with every word of
--         every server, and "helpful" votes never reached ranking while one member could vote without limit.
--
-- After this migration:
-- * knowledge_fts is a contentless FTS5 index (no copy of any text) at detail=none: which documents have a term,
--   no fields, no positions, because candidate retrieval asks nothing more. Every token is prefixed with the
--   scope of its server, "<scope>_<term>" (knowledge_scopes), so a server's search only reads its own doclists
--   and those of the shared scope 0, however many other servers exist.
-- * knowledge_terms counts each term's documents per scope (per-scope statistics, one indexed lookup per term).
-- * knowledge_documents keeps the text (the body compressed) plus one compressed term record per document
--   (`terms`, see bot/domain/search/termdata.py) for re-ranking and for removing the document from the
--   contentless index.
--   Rows analysed before this migration get analyzer '' and no terms: the engine's re-index job analyses them
--   again in the background (bot/domain/search/engine.py, REINDEX_JOB).
-- * knowledge_votes holds one helpfulness vote per member per document, keyed by the document's identity
--   (server, source, source key) so it survives the document being re-indexed; helpful/unhelpful on the document
--   are the counts of these votes. Existing "this helped" votes on resources and answer feedback are carried over.

DROP TRIGGER knowledge_documents_ai;
DROP TRIGGER knowledge_documents_ad;
DROP TRIGGER knowledge_documents_au;
DROP TABLE knowledge_fts;
DROP TABLE knowledge_terms;
DROP TABLE knowledge_term_keys;

-- The same documents without the analysed columns. `body` is ANY: compressed text (BLOB) once the engine has
-- written the row, the old TEXT until then. `terms` is the compressed term record; NULL = not in the index yet.
-- AUTOINCREMENT: an id is never given twice, so nothing left of a removed document can point at a new one.
CREATE TABLE knowledge_documents_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    source     TEXT    NOT NULL CHECK (source IN ('faq', 'resource', 'thread', 'import')),
    source_key TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('faq', 'resource', 'solved_thread')),
    lang       TEXT,
    theme      TEXT,
    title      TEXT    NOT NULL,
    body       ANY     NOT NULL,
    -- JSON list of lower-case strings
    tags       TEXT    NOT NULL DEFAULT '[]',
    url        TEXT,
    solved     INTEGER NOT NULL DEFAULT 0 CHECK (solved IN (0, 1)),
    featured   INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
    helpful    INTEGER NOT NULL DEFAULT 0 CHECK (helpful >= 0),
    unhelpful  INTEGER NOT NULL DEFAULT 0 CHECK (unhelpful >= 0),
    terms      BLOB,
    analyzer   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (guild_id, source, source_key)
) STRICT;

INSERT INTO knowledge_documents_new (id, guild_id, source, source_key, kind, lang, theme, title, body, tags, url,
                                     solved, featured, helpful, unhelpful, terms, analyzer, created_at, updated_at)
SELECT id, guild_id, source, source_key, kind, lang, theme, title, body, tags, url,
       solved, featured, helpful, unhelpful, NULL, '', created_at, updated_at
FROM knowledge_documents;

DROP TABLE knowledge_documents;
ALTER TABLE knowledge_documents_new RENAME TO knowledge_documents;

-- Document frequency per scope and term: how many of the scope's indexed documents have the term (ranking's idf
-- and the query plan's pruning). Kept by the engine's repository in the same transaction as the index.
CREATE TABLE knowledge_terms (
    scope     INTEGER NOT NULL,
    term      TEXT    NOT NULL,
    documents INTEGER NOT NULL CHECK (documents > 0),
    PRIMARY KEY (scope, term)
) STRICT, WITHOUT ROWID;

-- Which scope number a server's tokens carry. Scope 0 is the shared one (guild 0). `documents` counts the
-- server's indexed documents (N for idf). AUTOINCREMENT: a departed server's number is never given again.
CREATE TABLE knowledge_scopes (
    scope     INTEGER PRIMARY KEY AUTOINCREMENT CHECK (scope >= 0),
    guild_id  INTEGER NOT NULL UNIQUE,
    documents INTEGER NOT NULL DEFAULT 0 CHECK (documents >= 0)
) STRICT;

INSERT INTO knowledge_scopes (scope, guild_id, documents) VALUES (0, 0, 0);

-- One column of each document's distinct terms (every field), detail=none and no column sizes: candidates are
-- found by which documents have which terms, nothing more (the re-ranker reads fields and counts from `terms`).
CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    terms,
    content = '',
    detail = none,
    columnsize = 0,
    tokenize = "ascii tokenchars '_'"
);

CREATE TABLE knowledge_votes (
    -- the document voted on (its identity, as in knowledge_documents)
    doc_guild_id INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    source_key   TEXT    NOT NULL,
    user_id      INTEGER NOT NULL,
    -- the server the member voted in (differs from doc_guild_id for shared documents)
    guild_id     INTEGER NOT NULL,
    helpful      INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (doc_guild_id, source, source_key, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX knowledge_votes_guild_id_user_id_idx ON knowledge_votes (guild_id, user_id);

INSERT OR IGNORE INTO knowledge_votes (doc_guild_id, source, source_key, user_id, guild_id, helpful, created_at)
SELECT v.guild_id, 'resource', CAST(v.resource_id AS TEXT), v.user_id, v.guild_id, 1, v.created_at
FROM resource_votes AS v;

-- answer feedback was per search: a member's latest verdict on a document becomes their one vote
INSERT OR IGNORE INTO knowledge_votes (doc_guild_id, source, source_key, user_id, guild_id, helpful, created_at)
SELECT d.guild_id, d.source, d.source_key, f.user_id, f.guild_id, f.helpful, f.created_at
FROM answer_feedback AS f JOIN knowledge_documents AS d ON d.id = f.document_id
WHERE f.id = (SELECT g.id FROM answer_feedback AS g
              WHERE g.user_id = f.user_id AND g.document_id = f.document_id
              ORDER BY g.created_at DESC, g.id DESC LIMIT 1);

UPDATE knowledge_documents SET
    helpful = (SELECT count(*) FROM knowledge_votes AS v
               WHERE v.doc_guild_id = knowledge_documents.guild_id AND v.source = knowledge_documents.source
                 AND v.source_key = knowledge_documents.source_key AND v.helpful = 1),
    unhelpful = (SELECT count(*) FROM knowledge_votes AS v
                 WHERE v.doc_guild_id = knowledge_documents.guild_id AND v.source = knowledge_documents.source
                   AND v.source_key = knowledge_documents.source_key AND v.helpful = 0);
