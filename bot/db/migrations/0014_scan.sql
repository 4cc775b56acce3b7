-- Migration 0014: scan
-- Reason: issue 14 item 2. The digital-maturity self-scan (/scan start, /scan results): a member answers the
--         statements of bot/data/maturity_scan.toml one at a time; every answer is stored as it is given, so a
--         stopped scan resumes at the next unanswered question (after a restart too). A completed scan keeps its
--         mean per dimension and the organisation of the member's profile at that moment, so results are kept
--         per member and can be brought together per organisation.

CREATE TABLE maturity_scans (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    -- the version of the instrument (bot/data/maturity_scan.toml) the scan was started with
    instrument       TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed')),
    -- JSON object: question id -> answer 1..5
    answers          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(answers) AND json_type(answers) = 'object'),
    -- JSON object: dimension id -> mean answer (two decimals), once completed
    means            TEXT    CHECK (means IS NULL OR json_valid(means)),
    -- the member's profile organisation at completion, as they wrote it, and folded for grouping
    organisation     TEXT,
    organisation_key TEXT,
    started_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    completed_at     TEXT,
    CHECK ((status = 'completed') = (completed_at IS NOT NULL AND means IS NOT NULL)),
    CHECK ((organisation IS NULL) = (organisation_key IS NULL))
) STRICT;

-- one open scan per member per server: /scan start resumes it
CREATE UNIQUE INDEX maturity_scans_open_idx ON maturity_scans (guild_id, user_id) WHERE status = 'open';
CREATE INDEX maturity_scans_guild_id_user_id_completed_at_idx
    ON maturity_scans (guild_id, user_id, completed_at) WHERE status = 'completed';
CREATE INDEX maturity_scans_guild_id_organisation_key_idx
    ON maturity_scans (guild_id, organisation_key) WHERE status = 'completed' AND organisation_key IS NOT NULL;
