-- Migration 0003: setup
-- Reason: /setup remembers the help forum's tags it needs (Solved and one per theme), and the
--         permission check tells the moderators about a problem once, not on every failure.

CREATE TABLE forum_tags (
    guild_id   INTEGER NOT NULL,
    forum_id   INTEGER NOT NULL,
    purpose    TEXT    NOT NULL,
    tag_id     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, purpose)
) STRICT;

CREATE TABLE guild_alerts (
    guild_id    INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    reported_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, kind)
) STRICT;
