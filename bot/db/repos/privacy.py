"""SQL shared by the privacy providers: neutralising a member's id inside stored text.

Each feature's repository owns the export and erasure SQL of its own tables; this module holds the one
statement they all need: replace mentions of the member (``<@id>``, ``<@!id>``) and the bare id inside
text columns that may hold what other people wrote about them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.db.database import Transaction
from bot.domain.privacy import FORGOTTEN, MENTION_MASK

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _checked(*names: str) -> None:
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not an identifier: {name!r}")


async def neutralise_text(
    tx: Transaction,
    table: str,
    columns: Sequence[str],
    guild_id: int,
    user_id: int,
    *,
    key: str = "rowid",
    versioned: bool = False,
) -> list[int]:
    """Replace the member's mentions and id in ``columns`` of ``table`` (this server's rows only).

    Returns the ``key`` of every changed row. ``table``, ``columns`` and ``key`` are constants of the
    calling repository (a closed allow-list; they cannot be bound as parameters). A ``versioned`` table's
    changed rows get a new version, so an edit based on the text from before the forget is refused
    instead of writing the member's id back.
    """
    _checked(table, key, *columns)
    masked = "replace(replace(replace({c}, :m_nick, :mask), :m_user, :mask), :id, :forgotten)"
    sets = ", ".join(
        [f"{c} = " + masked.format(c=c) for c in columns] + (["version = version + 1"] if versioned else [])
    )
    where = " OR ".join(f"instr({c}, :id) > 0" for c in columns)
    sql = f"UPDATE {table} SET {sets} WHERE guild_id = :guild_id AND ({where}) RETURNING {key}"  # noqa: S608
    ident = str(user_id)
    params = {
        "guild_id": guild_id,
        "id": ident,
        "m_nick": f"<@!{ident}>",
        "m_user": f"<@{ident}>",
        "mask": MENTION_MASK,
        "forgotten": str(FORGOTTEN),
    }
    return [int(r[0]) for r in await tx.execute_returning(sql, params)]
