-- Migration 0015: collab
-- Reason: issue 14 item 3. The collaboration board: a member proposes a joint project (/collab propose: title,
--         goal, partners sought, themes, a deadline), others ask to join (/collab join) and the owner accepts or
--         declines each request; the owner closes it with an outcome, a moderator may remove it (audited), and an
--         open proposal closes itself at its deadline (a durable job, collab.expire). New open proposals feed the
--         weekly digest's "collab" section.

CREATE TABLE collab_proposals (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    owner_id      INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    goal          TEXT    NOT NULL,
    -- who the owner is looking for, as they wrote it ('' when not said)
    partners      TEXT    NOT NULL DEFAULT '',
    -- JSON list of theme keys (bot/domain/guild_settings.py THEMES), the first one is the main theme
    themes        TEXT    NOT NULL CHECK (json_valid(themes) AND json_type(themes) = 'array'),
    -- the deadline as the owner gave it (a date in the server's time zone) and the moment it ends (ISO UTC):
    -- the start of the next day there; the proposal closes itself then
    deadline_date TEXT    NOT NULL,
    deadline_at   TEXT    NOT NULL,
    -- open: members may join; closed: the owner closed it (outcome); expired: its deadline passed;
    -- removed: a moderator took it off the board (removed_by, reason; audited)
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'expired', 'removed')),
    outcome       TEXT    CHECK (outcome IN ('done', 'stopped', 'other')),
    outcome_note  TEXT,
    removed_by    INTEGER,
    reason        TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    closed_at     TEXT,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'closed') = (outcome IS NOT NULL)),
    CHECK ((status = 'removed') = (removed_by IS NOT NULL))
) STRICT;

CREATE INDEX collab_proposals_guild_id_status_deadline_at_idx ON collab_proposals (guild_id, status, deadline_at);
CREATE INDEX collab_proposals_guild_id_created_at_idx ON collab_proposals (guild_id, created_at);
CREATE INDEX collab_proposals_guild_id_owner_id_idx ON collab_proposals (guild_id, owner_id);

CREATE TABLE collab_partners (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    proposal_id INTEGER NOT NULL REFERENCES collab_proposals (id) ON DELETE CASCADE,
    -- the member who asked to join
    member_id   INTEGER NOT NULL,
    -- pending: waiting for the owner; accepted: a partner, listed on the proposal; declined
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    -- how the owner was told: a direct message with the buttons, or a notice on their next command (NULL: not yet)
    told        TEXT    CHECK (told IN ('dm', 'notice')),
    told_at     TEXT,
    created_at  TEXT    NOT NULL,
    answered_at TEXT,
    UNIQUE (proposal_id, member_id),
    CHECK ((told IS NULL) = (told_at IS NULL)),
    CHECK ((status = 'pending') = (answered_at IS NULL))
) STRICT;

CREATE INDEX collab_partners_guild_id_member_id_idx ON collab_partners (guild_id, member_id);
