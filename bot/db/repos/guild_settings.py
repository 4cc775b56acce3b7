"""SQL for per-server settings, stored by key so a new setting needs no new column.

One row per server holds its internal state; one row per setting that differs from its default holds a JSON
value. The schema lives in the domain; nothing here names a setting.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Reader, Transaction
from bot.domain.guild_settings import StoredSettings

_GET = """
    SELECT g.left_at, v.key, v.value
    FROM guild_settings AS g
    LEFT JOIN guild_setting_values AS v ON v.guild_id = g.guild_id
    WHERE g.guild_id = :guild_id
    ORDER BY v.key"""

_UPSERT_GUILD = """
    INSERT INTO guild_settings (guild_id, left_at, created_at, updated_at)
    VALUES (:guild_id, :left_at, :now, :now)
    ON CONFLICT (guild_id) DO UPDATE SET
        left_at = excluded.left_at,
        updated_at = excluded.updated_at"""

_UPSERT_VALUE = """
    INSERT INTO guild_setting_values (guild_id, key, value, updated_at)
    VALUES (:guild_id, :key, :value, :now)
    ON CONFLICT (guild_id, key) DO UPDATE SET
        value = excluded.value,
        updated_at = excluded.updated_at"""

_DELETE_VALUE = """
    DELETE FROM guild_setting_values WHERE guild_id = :guild_id AND key = :key"""

_COUNT = """
    SELECT count(*) FROM guild_settings WHERE left_at IS NULL"""

_PRESENT = """
    SELECT guild_id FROM guild_settings WHERE left_at IS NULL ORDER BY guild_id"""


class GuildSettingsRepo:
    """Stores settings values by key; values are JSON, so a new setting needs no new column."""

    def __init__(self, db: Reader) -> None:
        self._db = db

    async def get(self, guild_id: int, tx: Reader | None = None) -> StoredSettings | None:
        """One server's stored values and state (one statement, so one consistent snapshot), or None."""
        rows = await (tx or self._db).fetch_all(_GET, {"guild_id": guild_id})
        if not rows:
            return None
        values = {row["key"]: json.loads(row["value"]) for row in rows if row["key"] is not None}
        return StoredSettings(values=values, left_at=rows[0]["left_at"])

    async def save(
        self,
        tx: Transaction,
        guild_id: int,
        *,
        store: Mapping[str, Any],
        reset: Collection[str],
        left_at: str | None,
        now: datetime,
    ) -> None:
        """Write the server's row, store the given values (JSON-able) and delete the ``reset`` ones."""
        stamp = to_iso(now)
        await tx.execute(_UPSERT_GUILD, {"guild_id": guild_id, "left_at": left_at, "now": stamp})
        for key, value in store.items():
            await tx.execute(
                _UPSERT_VALUE,
                {"guild_id": guild_id, "key": key, "value": json.dumps(value, ensure_ascii=False), "now": stamp},
            )
        for key in reset:
            await tx.execute(_DELETE_VALUE, {"guild_id": guild_id, "key": key})

    async def count(self, tx: Reader | None = None) -> int:
        """How many servers (still present) have stored settings."""
        return int(await (tx or self._db).fetch_value(_COUNT) or 0)

    async def present(self) -> list[int]:
        """The servers (still present) that have stored settings, by id."""
        return [int(row["guild_id"]) for row in await self._db.fetch_all(_PRESENT)]
