-- Migration 0013: digest
-- Reason: issue 12, the weekly digest. A run per (server, period) is claimed with the content snapshot before
--         anything is posted (digest_runs); each subscriber's personal digest of that run is a delivery claimed
--         by one worker before its DM is sent (digest_deliveries), so restarts, retries and two processes never
--         send twice; members opt in to personal digests by DM (digest_subscriptions). Servers configured before
--         this migration get their schedule from the daily digest.sweep job.

CREATE TABLE digest_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    -- the ISO week of the slot's local date, '2026-W49'
    period      TEXT    NOT NULL,
    -- planned: waiting for the channel post; posting: the post was claimed (a retry re-sends with the same
    -- nonces); posted; failed: the channel could not be posted to (the fan-out still goes on); empty: nothing
    -- to tell that week (nothing is posted, nobody gets a DM)
    status      TEXT    NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'posting', 'posted', 'empty', 'failed')),
    -- the scheduled moment the run is for (ISO-8601 UTC); the next run's window starts here
    slot        TEXT    NOT NULL,
    -- the digest channel when the run was planned
    channel_id  INTEGER,
    -- the DigestContent snapshot (JSON, bot/domain/digest/models.py): every rendering of the period shows it
    content     TEXT    NOT NULL CHECK (json_valid(content)),
    -- JSON list of open questions (DigestItem) beyond the channel's section, for "questions you could help with"
    pool        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(pool)),
    -- JSON list of the posted messages' ids
    message_ids TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(message_ids)),
    -- a short reason when the channel post failed
    error       TEXT    CHECK (error IS NULL OR length(error) <= 200),
    posted_at   TEXT,
    -- when the channel post was first claimed (kept across retries): a retry later than Discord's nonce window
    -- first looks in the channel for the parts already posted
    post_attempted_at TEXT,
    -- when the moderators' report of the run was claimed (once per run; the digest.report job sends it)
    reported_at TEXT,
    created_at  TEXT    NOT NULL,
    UNIQUE (guild_id, period)
) STRICT;

-- the previous run (window start) and retention
CREATE INDEX digest_runs_guild_id_slot_idx ON digest_runs (guild_id, slot);
CREATE INDEX digest_runs_created_at_idx ON digest_runs (created_at);

CREATE TABLE digest_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        INTEGER NOT NULL REFERENCES digest_runs (id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    period        TEXT    NOT NULL,
    -- planned: to be sent; claimed: a worker holds it (claim_token, until claimed_until); sent; empty: nothing
    -- for this member this time; unreachable: their DMs are closed (50007); failed: refused for good
    status        TEXT    NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'claimed', 'sent', 'empty', 'unreachable', 'failed')),
    -- the worker token holding the claim, and when its lease runs out (both NULL unless claimed); not named
    -- *_by: it is a process, never a member
    claim_token   TEXT,
    claimed_until TEXT,
    -- JSON: the personal selection as item keys of run snapshots (resolved by DigestService.delivery_content)
    selection     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(selection)),
    dm_channel_id INTEGER,
    message_id    INTEGER,
    -- how often the delivery was claimed (a claim ordered by it lets fresh deliveries go first; after
    -- DigestService's MAX_ATTEMPTS it is failed), and when it was first claimed (kept across takeovers: a
    -- takeover later than Discord's nonce window first looks in the DM channel for the digest already sent)
    attempts      INTEGER NOT NULL DEFAULT 0,
    attempted_at  TEXT,
    error         TEXT    CHECK (error IS NULL OR length(error) <= 200),
    sent_at       TEXT,
    created_at    TEXT    NOT NULL,
    UNIQUE (guild_id, user_id, period),
    CHECK ((status = 'claimed') = (claim_token IS NOT NULL AND claimed_until IS NOT NULL))
) STRICT;

-- the fan-out's claim: a run's planned deliveries and expired claims, least tried first
CREATE INDEX digest_deliveries_run_id_status_idx ON digest_deliveries (run_id, status, attempts, id);
-- a member's last delivery (fortnightly and monthly subscriptions)
CREATE INDEX digest_deliveries_guild_id_user_id_idx ON digest_deliveries (guild_id, user_id, status);

CREATE TABLE digest_subscriptions (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    -- JSON list of themes (bot/domain/guild_settings.py THEMES)
    themes         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(themes)),
    frequency      TEXT    NOT NULL DEFAULT 'weekly' CHECK (frequency IN ('weekly', 'fortnightly', 'monthly')),
    locale         TEXT    CHECK (locale IS NULL OR locale IN ('nl', 'en')),
    dm_channel_id  INTEGER,
    -- set when Discord refused a DM (50007): not planned again until the member subscribes again
    unreachable_at TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

-- A database whose servers chose a digest channel before this migration: the daily digest.sweep (a recurring job
-- whose later occurrences the bot enqueues itself) runs at the first start and schedules each server's digest.
INSERT INTO jobs (kind, guild_id, payload, dedupe_key, status, attempts, max_attempts, run_at, created_at,
                  updated_at)
SELECT 'digest.sweep', NULL, '{}', 'recurring:digest.sweep', 'pending', 0, 5,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'),
       strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
WHERE EXISTS (SELECT 1 FROM guild_setting_values WHERE key = 'digest_channel_id')
ON CONFLICT DO NOTHING;
