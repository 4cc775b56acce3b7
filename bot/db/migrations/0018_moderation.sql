-- Migration 0018: moderation
-- Reason: issue 15 item 1. /mod overview shows every moderators' queue in one view; members report a message
--         to the moderators ("Report to moderators", moderation_reports: never the message's text, only where
--         it is); the first moderator who opens a queue's item claims it (moderation_claims, one row per item, so
--         the first claim wins); the overview is posted to the moderators' channel weekly, once per period
--         (moderation_runs, unique per server and period, claimed before anything is sent); a moderator's
--         decision that a queue's item needs nothing (a solved post "not for the FAQ") takes it out of its queue
--         for good (moderation_decisions, one row per item).

CREATE TABLE moderation_reports (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    -- where the reported message is (a channel or a thread) and its link; never its text
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    jump_url    TEXT    NOT NULL,
    reporter_id INTEGER NOT NULL,
    -- the reporter's optional short reason
    reason      TEXT    CHECK (reason IS NULL OR length(reason) <= 300),
    -- open: waiting for a moderator; resolved: acted upon; dismissed: nothing to do
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolved_by INTEGER,
    resolved_at TEXT,
    created_at  TEXT    NOT NULL,
    CHECK ((status = 'open') = (resolved_at IS NULL))
) STRICT;

-- one open report per reporter per message
CREATE UNIQUE INDEX moderation_reports_guild_id_message_id_reporter_id_idx
    ON moderation_reports (guild_id, message_id, reporter_id) WHERE status = 'open';
CREATE INDEX moderation_reports_guild_id_status_created_at_idx ON moderation_reports (guild_id, status, created_at);
CREATE INDEX moderation_reports_guild_id_reporter_id_idx ON moderation_reports (guild_id, reporter_id);
-- resolved and dismissed reports are deleted after the retention period (ModerationService.sweep)
CREATE INDEX moderation_reports_resolved_at_idx ON moderation_reports (resolved_at) WHERE status <> 'open';

CREATE TABLE moderation_claims (
    guild_id   INTEGER NOT NULL,
    -- the queue (bot/domain/moderation/models.py QUEUES) and the item's key within it (a resource, thread,
    -- report or routing request id, as text)
    queue      TEXT    NOT NULL,
    item_key   TEXT    NOT NULL,
    claimed_by INTEGER NOT NULL,
    claimed_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, queue, item_key)
) STRICT;

CREATE INDEX moderation_claims_guild_id_claimed_by_idx ON moderation_claims (guild_id, claimed_by);

CREATE TABLE moderation_runs (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    -- the ISO week of the server's digest slot (bot/domain/digest/schedule.py), e.g. '2026-W49'
    period     TEXT    NOT NULL,
    slot       TEXT    NOT NULL,
    -- planned: its post job is queued; posting: a send was attempted (a retry re-sends the same nonce);
    -- posted: message_id is the post; empty: every queue was empty, nothing was sent; failed: the channel
    -- could not be posted to (error)
    status       TEXT    NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'posting', 'posted', 'empty', 'failed')),
    channel_id   INTEGER,
    message_id   INTEGER,
    error        TEXT,
    claimed_at   TEXT    NOT NULL,
    -- the first send attempt: a retry later than Discord's nonce window first looks for the post in the channel
    attempted_at TEXT,
    posted_at    TEXT,
    UNIQUE (guild_id, period)
) STRICT;

CREATE TABLE moderation_decisions (
    guild_id   INTEGER NOT NULL,
    -- the queue (bot/domain/moderation/models.py DECISIONS) and the item's key within it (a thread id, as text)
    queue      TEXT    NOT NULL,
    item_key   TEXT    NOT NULL,
    -- NULL for a post locked in Discord (the gateway does not say by whom)
    decided_by INTEGER,
    decided_at TEXT    NOT NULL,
    -- not_faq: a solved help post that should not become an FAQ entry; locked: an unanswered help post a
    -- moderator locked in Discord (no answer can come; unlocking it deletes the row, so it waits again)
    outcome    TEXT    NOT NULL CHECK (outcome IN ('not_faq', 'locked')),
    CHECK (outcome = 'locked' OR decided_by IS NOT NULL),
    PRIMARY KEY (guild_id, queue, item_key)
) STRICT;

CREATE INDEX moderation_decisions_guild_id_decided_by_idx ON moderation_decisions (guild_id, decided_by);
