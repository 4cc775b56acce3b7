-- Migration 0007: jobs
-- Reason: durable background jobs. Work that must survive restarts (link checks, purges, re-posting a
--         queue card) is a row here. A worker claims a due job atomically by taking a lease; a worker
--         that dies loses its lease when it expires and another takes the job over. Failures are retried
--         with backoff until max_attempts, then the job is 'dead' (and the moderators are told once).

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    -- the server the job belongs to; NULL for jobs that concern no one server
    guild_id         INTEGER,
    -- JSON object with the handler's arguments (ids, not member text where avoidable)
    payload          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    -- at most one pending or running job per key (see the partial index below)
    dedupe_key       TEXT,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'done', 'dead')),
    -- claims so far (a claim counts as an attempt; RetryLater gives it back)
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    -- when the job is due (pending) or was due (running, finished)
    run_at           TEXT    NOT NULL,
    -- the worker holding the lease and when it runs out (both NULL unless running)
    lease_owner      TEXT,
    lease_expires_at TEXT,
    -- the error class or a short reason; never message content or secrets
    last_error       TEXT    CHECK (last_error IS NULL OR length(last_error) <= 200),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    finished_at      TEXT,
    CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX jobs_dedupe_key_idx ON jobs (dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('pending', 'running');
-- the claim: due pending jobs, and running jobs whose lease ran out
CREATE INDEX jobs_status_run_at_idx ON jobs (status, run_at);
CREATE INDEX jobs_status_lease_expires_at_idx ON jobs (status, lease_expires_at) WHERE status = 'running';
-- purging finished jobs
CREATE INDEX jobs_finished_at_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL;
