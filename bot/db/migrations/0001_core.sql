-- Migration 0001: core
-- Reason: per-server settings (defaults live in bot/domain/guild_settings.py) and a small key/value
--         table for the bot's own state, such as the hash of the last synced command tree.

CREATE TABLE guild_settings (
    guild_id             INTEGER PRIMARY KEY,
    locale               TEXT,
    timezone             TEXT,
    moderator_role_id    INTEGER,
    moderator_channel_id INTEGER,
    help_forum_id        INTEGER,
    digest_channel_id    INTEGER,
    -- JSON list of enabled theme ids; NULL means "all themes"
    themes               TEXT,
    -- set when the bot is removed from the server; data is purged after the retention period
    left_at              TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;

CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
