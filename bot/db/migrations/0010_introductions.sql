-- Migration 0010: introductions
-- Reason: issue 11 item 5. A member asks for a match for one of their needs (match_requests); the best
--         offerer is asked, one at a time, to accept within three days (introductions). Only when the offerer
--         accepts are the two introduced (a private thread, or each other's mention by DM or notice); a nudge
--         follows when the thread stays silent, and a check-in ("did it help?") after the server's
--         checkin_days. Members may block each other from being suggested (match_blocks); an offerer who lets
--         three requests in a row expire has their offers paused (match_members counts the streak).

CREATE TABLE match_requests (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    -- the need (skill_listings.id, kind 'need') the match is for; it may be removed later
    need_id      INTEGER NOT NULL,
    requester_id INTEGER NOT NULL,
    -- open: someone is being asked; matched: an offerer accepted; exhausted: nobody (else) fits;
    -- cancelled: the need is gone, or the requester was forgotten
    status       TEXT    NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'matched', 'exhausted', 'cancelled')),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
) STRICT;

-- one request at a time per need
CREATE UNIQUE INDEX match_requests_guild_id_need_id_idx ON match_requests (guild_id, need_id) WHERE status = 'open';
CREATE INDEX match_requests_guild_id_requester_id_idx ON match_requests (guild_id, requester_id);

CREATE TABLE introductions (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    request_id         INTEGER NOT NULL REFERENCES match_requests (id) ON DELETE CASCADE,
    requester_id       INTEGER NOT NULL,
    offerer_id         INTEGER NOT NULL,
    -- the offer (skill_listings.id, kind 'offer') that was matched; it may be removed later
    offer_id           INTEGER NOT NULL,
    -- the reasons of the "why" line (bot/domain/matching.py reason tuples, JSON) and the score
    reasons            TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(reasons)),
    score              REAL    NOT NULL DEFAULT 0,
    -- asked: waiting for the offerer; accepted: both agreed; declined; expired: no answer in time;
    -- withdrawn: the request ended meanwhile (need removed, a member forgotten)
    status             TEXT    NOT NULL DEFAULT 'asked'
                       CHECK (status IN ('asked', 'accepted', 'declined', 'expired', 'withdrawn')),
    asked_at           TEXT    NOT NULL,
    answer_due          TEXT    NOT NULL,
    -- when the offerer was told of the request (by DM, or a notice on their next command)
    notified_at        TEXT,
    answered_at        TEXT,
    -- when the two were introduced: in a private thread (thread_id), or by DM or notice (thread_id NULL)
    opened_at          TEXT,
    thread_id          INTEGER,
    opening_message_id INTEGER,
    -- the one look at the thread 48 hours after opening, and whether it found it silent and nudged
    nudge_checked_at   TEXT,
    nudged             INTEGER NOT NULL DEFAULT 0 CHECK (nudged IN (0, 1)),
    -- when "did it help?" was asked; from then on the introduction no longer counts against capacity
    checkin_at         TEXT,
    requester_outcome  TEXT    CHECK (requester_outcome IN ('helped', 'not_helped', 'no_meeting')),
    offerer_outcome    TEXT    CHECK (offerer_outcome IN ('helped', 'not_helped', 'no_meeting')),
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
) STRICT;

-- one offerer asked at a time per request
CREATE UNIQUE INDEX introductions_request_id_asked_idx ON introductions (request_id) WHERE status = 'asked';
CREATE INDEX introductions_request_id_idx ON introductions (request_id);
CREATE INDEX introductions_guild_id_offerer_id_idx ON introductions (guild_id, offerer_id, status);
CREATE INDEX introductions_guild_id_requester_id_idx ON introductions (guild_id, requester_id, status);

CREATE TABLE match_blocks (
    guild_id        INTEGER NOT NULL,
    -- the member who blocked
    user_id         INTEGER NOT NULL,
    blocked_user_id INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, blocked_user_id),
    CHECK (user_id <> blocked_user_id)
) STRICT;

CREATE INDEX match_blocks_guild_id_blocked_user_id_idx ON match_blocks (guild_id, blocked_user_id);

CREATE TABLE match_members (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    -- requests to this member that expired unanswered since their last answer
    expired_in_row INTEGER NOT NULL DEFAULT 0 CHECK (expired_in_row >= 0),
    -- when their offers were last paused for letting requests expire (NULL: never)
    paused_at      TEXT,
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;
