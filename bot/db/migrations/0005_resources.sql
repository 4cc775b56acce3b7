-- Migration 0005: resources
-- Reason: the curated resource library with its review queue, the audit log of every curation
--         action, notices waiting for members (outcomes of their suggestions), and members'
--         contact preferences (DMs only after opting in).

CREATE TABLE resources (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    title            TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    -- the URL reduced for duplicate detection (see bot/domain/resources.py normalise_url)
    url_key          TEXT    NOT NULL,
    summary          TEXT    NOT NULL DEFAULT '',
    theme            TEXT    NOT NULL,
    -- JSON list of lower-case tags
    tags             TEXT    NOT NULL DEFAULT '[]',
    language         TEXT    NOT NULL CHECK (language IN ('nl', 'en')),
    licence          TEXT,
    type             TEXT    NOT NULL,
    audience         TEXT    NOT NULL DEFAULT 'beginner',
    publisher        TEXT    NOT NULL DEFAULT '',
    suggested_by     INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'changes_requested', 'rejected', 'archived')),
    featured         INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
    helpful          INTEGER NOT NULL DEFAULT 0 CHECK (helpful >= 0),
    -- the moderator's note or reason with the last decision
    decision_note    TEXT,
    -- 'ok', 'broken' or NULL (never checked)
    link_status      TEXT,
    link_detail      TEXT,
    last_verified    TEXT,
    queue_channel_id INTEGER,
    queue_message_id INTEGER,
    -- the starter-content key this resource came from, if any
    seed_key         TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX resources_guild_id_url_key_idx ON resources (guild_id, url_key);
CREATE INDEX resources_guild_id_status_created_at_idx ON resources (guild_id, status, created_at);
CREATE INDEX resources_guild_id_suggested_by_idx ON resources (guild_id, suggested_by);

CREATE TABLE resource_votes (
    guild_id    INTEGER NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (resource_id, user_id)
) STRICT;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    -- JSON snapshots of the target before and after the action (NULL when it did not exist)
    before      TEXT,
    after       TEXT,
    reason      TEXT,
    created_at  TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_log_guild_id_created_at_idx ON audit_log (guild_id, created_at);

CREATE TABLE member_notices (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    -- JSON object of placeholder values for the catalogue text
    params       TEXT    NOT NULL DEFAULT '{}',
    created_at   TEXT    NOT NULL,
    delivered_at TEXT
) STRICT;

CREATE INDEX member_notices_guild_id_user_id_delivered_at_idx ON member_notices (guild_id, user_id, delivered_at);

CREATE TABLE member_prefs (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    dm_opt_in  INTEGER NOT NULL DEFAULT 0 CHECK (dm_opt_in IN (0, 1)),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;
