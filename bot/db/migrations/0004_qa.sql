-- Migration 0004: qa
-- Reason: FAQ entries, help-forum posts with their accepted answers, and members' feedback on /ask
--         answers. FAQ entries and solved posts are also indexed in knowledge_documents (0002).

CREATE TABLE faq_entries (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    -- JSON list of alternative names members may type
    aliases     TEXT    NOT NULL DEFAULT '[]',
    theme       TEXT,
    lang        TEXT,
    created_by  INTEGER NOT NULL,
    updated_by  INTEGER NOT NULL,
    uses        INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    -- the help post it was promoted from, if any
    thread_id   INTEGER,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX faq_entries_guild_id_title_idx ON faq_entries (guild_id, lower(title));

CREATE TABLE help_posts (
    thread_id             INTEGER PRIMARY KEY,
    guild_id              INTEGER NOT NULL,
    forum_id              INTEGER NOT NULL,
    author_id             INTEGER NOT NULL,
    title                 TEXT    NOT NULL,
    body                  TEXT    NOT NULL DEFAULT '',
    status                TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'solved')),
    suggestion_message_id INTEGER,
    answer_message_id     INTEGER,
    answer_author_id      INTEGER,
    answer_text           TEXT,
    solved_by             INTEGER,
    solved_at             TEXT,
    created_at            TEXT    NOT NULL
) STRICT;

CREATE INDEX help_posts_guild_id_status_created_at_idx ON help_posts (guild_id, status, created_at);

-- One vote per member per document; "not useful" with document_id NULL marks a whole answer as a miss.
CREATE TABLE answer_feedback (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    search_id   INTEGER NOT NULL,
    document_id INTEGER,
    helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at  TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX answer_feedback_guild_id_user_id_search_id_idx ON answer_feedback (guild_id, user_id, search_id);
