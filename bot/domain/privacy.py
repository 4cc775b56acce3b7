"""Members' control over their own data: see it, export it, delete it.

Every feature that stores something about a member is a :class:`PrivacyProvider`: it claims the columns
that hold a member's Discord id, exports what it holds about a member, and forgets the member inside the
transaction it is given (deleting personal traces, anonymising shared content to :data:`FORGOTTEN`, and
neutralising the member's id where it sits inside text others wrote). ``/privacy export`` and ``forget``
call every registered provider; a test reflects the schema so that a new table holding a member's id
without a provider fails the suite.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.clock import Clock, to_iso

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork

log = logging.getLogger(__name__)

FORGOTTEN = -1
"""The id that replaces a forgotten member's id, in id columns and inside text."""

MENTION_MASK = "@…"
"""What a mention of a forgotten member (``<@id>``) becomes inside stored text: no ping, no id."""

ExportSections = dict[str, list[dict[str, Any]]]


class PrivacyProvider(Protocol):
    """A feature that stores personal data: it declares it, exports it, and forgets it."""

    member_columns: ClassVar[tuple[str, ...]]
    """Every ``table.column`` of this feature that holds a member's Discord id."""

    async def export_member(self, guild_id: int, user_id: int) -> ExportSections:
        """Everything this feature stores about the member in this server, by section name."""
        ...

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete or anonymise the member's data in this server inside ``tx``; return the rows touched."""
        ...


def neutralise(text: str, user_id: int) -> str:
    """The text with the member's mentions masked and their bare id replaced (as the SQL does)."""
    ident = str(user_id)
    return (
        text.replace(f"<@!{ident}>", MENTION_MASK).replace(f"<@{ident}>", MENTION_MASK).replace(ident, str(FORGOTTEN))
    )


class PrivacyService:
    """Export and erasure of one member's data in one server, across every provider."""

    def __init__(self, uow: UnitOfWork, clock: Clock, providers: Sequence[PrivacyProvider]) -> None:
        self._uow = uow
        self._clock = clock
        self._providers = tuple(providers)

    @property
    def claimed_columns(self) -> frozenset[str]:
        """Every ``table.column`` some provider declared as holding a member's id."""
        return frozenset(column for p in self._providers for column in p.member_columns)

    async def export(self, guild_id: int, user_id: int) -> bytes:
        """A JSON document with everything Steunpunt stores about the member in this server."""
        sections: ExportSections = {}
        for provider in self._providers:
            sections.update(await provider.export_member(guild_id, user_id))
        data: dict[str, Any] = {
            "steunpunt_member_export": 1,
            "server_id": str(guild_id),
            "member_id": str(user_id),
            "exported_at": to_iso(self._clock.now()),
            "data": sections,
        }
        return (json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n").encode()

    async def forget(self, guild_id: int, user_id: int) -> int:
        """Delete personal traces and anonymise shared content, in one transaction; returns the rows touched."""
        touched = 0
        async with self._uow.transaction() as tx:
            for provider in self._providers:
                touched += await provider.forget_member(tx, guild_id, user_id)
        log.info("Forgot a member in server %s (%d rows)", guild_id, touched)
        return touched
