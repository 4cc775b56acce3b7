-- Migration 0017: gaps
-- Reason: issue 15 item 2, the knowledge-gap ledger. A question that got no good answer (nothing found, a weak
--         answer, "not useful", posted to the help forum from /ask, or routed to members) becomes a gap, counted
--         once per asker and grouped with near-duplicates by the search analysis (signature). Escalations to the
--         forum or to routing weigh more. A gap closes itself when an FAQ entry, approved resource or solved post
--         that answers it is indexed (a durable re-check job), or a moderator dismisses it with a reason.
--         Gaps go with the search log's retention (closed/dismissed ones, and open ones not asked since).

CREATE TABLE gaps (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id          INTEGER NOT NULL,
    -- the wording of one of its askers (the first; another's once that asker was forgotten), bounded like /ask
    question          TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    -- JSON list of the question's concepts, each a list of the index terms that stand for it (bot/domain/gaps.py)
    signature         TEXT    NOT NULL CHECK (json_valid(signature)),
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'dismissed')),
    -- askers + a bonus per escalation (bot/domain/gaps.py ESCALATION_BONUS), recounted from gap_askers
    weight            INTEGER NOT NULL DEFAULT 0 CHECK (weight >= 0),
    askers            INTEGER NOT NULL DEFAULT 0 CHECK (askers >= 0),
    -- escalations to the forum or to routing, at most one per asker per kind
    escalations       INTEGER NOT NULL DEFAULT 0 CHECK (escalations >= 0),
    created_at        TEXT    NOT NULL,
    last_asked_at     TEXT    NOT NULL,
    closed_at         TEXT,
    -- what closed it: the indexed document (knowledge_documents.id; it may be removed later) and its identity
    closed_source     TEXT,
    closed_source_key TEXT,
    document_id       INTEGER,
    dismissed_by      INTEGER,
    reason            TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'closed') = (closed_source IS NOT NULL)),
    CHECK ((status = 'dismissed') = (reason IS NOT NULL))
) STRICT;

-- /gaps: open gaps of a server by weight; the daily clean-up finds old closed and dismissed gaps
CREATE INDEX gaps_guild_id_status_weight_idx ON gaps (guild_id, status, weight DESC, last_asked_at DESC);
CREATE INDEX gaps_guild_id_closed_at_idx ON gaps (guild_id, closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX gaps_guild_id_dismissed_by_idx ON gaps (guild_id, dismissed_by) WHERE dismissed_by IS NOT NULL;

CREATE TABLE gap_askers (
    gap_id   INTEGER NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    -- this member's own wording (their /privacy export shows only this)
    question TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    -- how this member first met the gap
    signal   TEXT    NOT NULL CHECK (signal IN ('no_result', 'low_confidence', 'not_useful', 'forum', 'routing')),
    -- whether this member escalated it to the help forum / to routing (each counts once)
    forum    INTEGER NOT NULL DEFAULT 0 CHECK (forum IN (0, 1)),
    routing  INTEGER NOT NULL DEFAULT 0 CHECK (routing IN (0, 1)),
    asked_at TEXT    NOT NULL,
    PRIMARY KEY (gap_id, user_id)
) STRICT;

CREATE INDEX gap_askers_guild_id_user_id_idx ON gap_askers (guild_id, user_id);

-- The gap's signature terms (every term of every concept), to find the open gaps a freshly indexed document may
-- answer without searching for all of them; removed when the gap closes or is set aside.
CREATE TABLE gap_terms (
    term     TEXT    NOT NULL,
    guild_id INTEGER NOT NULL,
    gap_id   INTEGER NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    PRIMARY KEY (term, guild_id, gap_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX gap_terms_gap_id_idx ON gap_terms (gap_id);

-- Documents whose content was just written (FAQ entry, approved resource, solved post, import) that share terms with
-- an open gap: the re-check job searches only these gaps and closes one only by one of its pending documents.
CREATE TABLE gap_rechecks (
    gap_id      INTEGER NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    document_id INTEGER NOT NULL,
    PRIMARY KEY (gap_id, document_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX gap_rechecks_guild_id_idx ON gap_rechecks (guild_id, gap_id);

-- Documents an asker was shown when they said "not useful": they never close the gap.
CREATE TABLE gap_rejections (
    gap_id      INTEGER NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL,
    PRIMARY KEY (gap_id, document_id)
) STRICT, WITHOUT ROWID;
