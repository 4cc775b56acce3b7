-- Migration 0009: skills
-- Reason: issue 11's foundation. Member profiles (organisation, type, size, region, languages, and the
--         opt-ins "visible" and "askable", both off by default), skills a server's moderators add to the
--         built-in taxonomy (bot/data/skills.toml), and members' offers of and needs for skills. Offers and
--         needs share one table (one number space for /skills remove and pause); they expire after the
--         server's skills_expiry_days unless the owner says they are still valid (durable jobs remind and
--         expire them).

CREATE TABLE member_profiles (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    organisation TEXT,
    -- values declared in bot/domain/skills/models.py (ORG_TYPES, ORG_SIZES, REGIONS)
    org_type     TEXT,
    org_size     TEXT,
    region       TEXT,
    -- JSON list of language codes
    languages    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(languages)),
    visible      INTEGER NOT NULL DEFAULT 0 CHECK (visible IN (0, 1)),
    askable      INTEGER NOT NULL DEFAULT 0 CHECK (askable IN (0, 1)),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE skills_custom (
    guild_id    INTEGER NOT NULL,
    -- 'custom-<slug>'; built-in taxonomy ids never start with 'custom-'
    skill       TEXT    NOT NULL CHECK (skill LIKE 'custom-%'),
    -- a group id of the built-in taxonomy
    skill_group TEXT    NOT NULL,
    label_nl    TEXT    NOT NULL,
    label_en    TEXT    NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, skill)
) STRICT;

CREATE TABLE skill_listings (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('offer', 'need')),
    -- a taxonomy key (built-in id or this server's 'custom-…'); NULL when no skill was close
    skill        TEXT,
    -- the member's own words when no taxonomy skill was close (NULL when skill is set)
    skill_text   TEXT,
    level        TEXT    CHECK (level IN ('basic', 'intermediate', 'expert')),
    -- offers: how they help; needs: what they prefer (NULL: any)
    format       TEXT    CHECK (format IN ('1:1', 'workshop', 'review', 'documentation')),
    urgency      TEXT    CHECK (urgency IN ('low', 'normal', 'high')),
    mentor       INTEGER NOT NULL DEFAULT 0 CHECK (mentor IN (0, 1)),
    -- offers: how many open introductions at once
    capacity     INTEGER NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 10),
    note         TEXT    NOT NULL DEFAULT '',
    -- not found nor matched before this moment (ISO-8601 UTC); NULL: not paused
    paused_until TEXT,
    expires_at   TEXT    NOT NULL,
    -- when the owner was asked "still valid?" for the current expiry (NULL: not yet)
    reminded_at  TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    CHECK ((skill IS NULL) <> (skill_text IS NULL)),
    CHECK (kind = 'need' OR (level IS NOT NULL AND format IS NOT NULL AND urgency IS NULL)),
    CHECK (kind = 'offer' OR (level IS NULL AND urgency IS NOT NULL AND mentor = 0))
) STRICT;

CREATE INDEX skill_listings_guild_id_kind_skill_idx ON skill_listings (guild_id, kind, skill);
CREATE INDEX skill_listings_guild_id_user_id_idx ON skill_listings (guild_id, user_id);
