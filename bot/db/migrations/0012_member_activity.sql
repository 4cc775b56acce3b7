-- Migration 0012: member_activity
-- Reason: matching and routing must never suggest or ask a member who went quiet (issue 11, item 4). The bot
--         has no privileged members intent, so it cannot see members leave or talk; it records the day a
--         member last used one of its commands (at most one write per member per day).

CREATE TABLE member_activity (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    last_active_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;
