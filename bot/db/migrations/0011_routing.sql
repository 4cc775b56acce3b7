-- Migration 0011: routing
-- Reason: issue 11 item 6. A help-forum post still unanswered after the server's routing_hours, or a question
--         whose asker chose "ask a person" in /ask, becomes a routing request; at most three members whose
--         offers fit and who opted in to being asked ("askable") are asked one at a time (routing_asks), each
--         with a day to take it. The asks also count each member's asks per week (weekly_ask_cap). When
--         nobody fits, the asker is pointed to the provincial digital-heritage coach: routing_coaches holds a
--         server's own contact per province (built-in defaults: bot/data/coaches.toml).

CREATE TABLE routing_requests (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    -- the help-forum post (help_posts.thread_id); it may be deleted later
    thread_id  INTEGER NOT NULL,
    asker_id   INTEGER NOT NULL,
    -- forum: unanswered after routing_hours; ask: the asker chose "ask a person" in /ask
    origin     TEXT    NOT NULL CHECK (origin IN ('forum', 'ask')),
    -- open: someone is (about to be) asked; taken: a member took it (helper_id); unmatched: nobody (else) fits;
    -- closed: the post was solved, deleted or answered meanwhile
    status     TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'taken', 'unmatched', 'closed')),
    -- JSON list of the taxonomy skills the question was read as (bot/domain/routing/detect.py)
    skills     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(skills)),
    helper_id  INTEGER,
    -- when the thread was told the outcome (the taker's mention, or that nobody fits); NULL: not yet
    told_at    TEXT,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    CHECK ((status = 'taken') = (helper_id IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX routing_requests_guild_id_thread_id_idx ON routing_requests (guild_id, thread_id);
CREATE INDEX routing_requests_guild_id_asker_id_idx ON routing_requests (guild_id, asker_id);
CREATE INDEX routing_requests_guild_id_helper_id_idx ON routing_requests (guild_id, helper_id) WHERE helper_id IS NOT NULL;

CREATE TABLE routing_asks (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    request_id   INTEGER NOT NULL REFERENCES routing_requests (id) ON DELETE CASCADE,
    helper_id    INTEGER NOT NULL,
    -- the offer (skill_listings.id, kind 'offer') that fitted; it may be removed later
    offer_id     INTEGER NOT NULL,
    -- 1, 2, 3: the order in which members were asked for this request
    position     INTEGER NOT NULL CHECK (position BETWEEN 1 AND 3),
    -- pending: waiting for the answer; taken; declined ("not now"); expired: no answer in time;
    -- withdrawn: the request ended meanwhile (post solved or deleted)
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'taken', 'declined', 'expired', 'withdrawn')),
    -- how the member was asked: a direct message or a notice on their next command (NULL: not yet)
    channel      TEXT    CHECK (channel IN ('dm', 'notice')),
    delivered_at TEXT,
    asked_at     TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    answered_at  TEXT,
    UNIQUE (request_id, helper_id),
    UNIQUE (request_id, position),
    CHECK ((channel IS NULL) = (delivered_at IS NULL))
) STRICT;

-- one member asked at a time per request
CREATE UNIQUE INDEX routing_asks_request_id_pending_idx ON routing_asks (request_id) WHERE status = 'pending';
-- the weekly cap and the open load per member
CREATE INDEX routing_asks_guild_id_helper_id_asked_at_idx ON routing_asks (guild_id, helper_id, asked_at);

CREATE TABLE routing_coaches (
    guild_id   INTEGER NOT NULL,
    -- a province or region id (bot/domain/skills/models.py REGIONS, not 'other'), or 'default'
    province   TEXT    NOT NULL,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- normalised by bot/domain/resources.py normalise_url
    url        TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, province)
) STRICT;
