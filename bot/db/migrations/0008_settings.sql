-- Migration 0008: settings
-- Reason: server settings are declared once (GuildSettings in bot/domain/guild_settings.py) and stored
--         one row per server and setting with a JSON value, so adding a setting needs no new column.
--         A setting at its default has no row (a server that never chose follows the default).
--         guild_settings keeps one row per server for the bot's own state (left_at).

CREATE TABLE guild_setting_values (
    guild_id   INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    -- the setting's storage key (its GuildSettings attribute name)
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL CHECK (json_valid(value)),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, key)
) STRICT;

INSERT INTO guild_setting_values (guild_id, key, value, updated_at)
SELECT guild_id, 'locale', json_quote(locale), updated_at
FROM guild_settings WHERE locale IS NOT NULL
UNION ALL
SELECT guild_id, 'timezone', json_quote(timezone), updated_at
FROM guild_settings WHERE timezone IS NOT NULL AND timezone <> 'Europe/Amsterdam'
UNION ALL
SELECT guild_id, 'moderator_role_id', json_quote(moderator_role_id), updated_at
FROM guild_settings WHERE moderator_role_id IS NOT NULL
UNION ALL
SELECT guild_id, 'moderator_channel_id', json_quote(moderator_channel_id), updated_at
FROM guild_settings WHERE moderator_channel_id IS NOT NULL
UNION ALL
SELECT guild_id, 'help_forum_id', json_quote(help_forum_id), updated_at
FROM guild_settings WHERE help_forum_id IS NOT NULL
UNION ALL
SELECT guild_id, 'digest_channel_id', json_quote(digest_channel_id), updated_at
FROM guild_settings WHERE digest_channel_id IS NOT NULL
UNION ALL
-- themes was a JSON list already, NULL meaning "all themes" (the default)
SELECT guild_id, 'themes', json(themes), updated_at
FROM guild_settings WHERE themes IS NOT NULL AND json_valid(themes);

ALTER TABLE guild_settings DROP COLUMN locale;
ALTER TABLE guild_settings DROP COLUMN timezone;
ALTER TABLE guild_settings DROP COLUMN moderator_role_id;
ALTER TABLE guild_settings DROP COLUMN moderator_channel_id;
ALTER TABLE guild_settings DROP COLUMN help_forum_id;
ALTER TABLE guild_settings DROP COLUMN digest_channel_id;
ALTER TABLE guild_settings DROP COLUMN themes;
