"""Privacy is declared by each feature: every column holding a member's Discord id is claimed by a provider."""

from __future__ import annotations

import re

from bot.db.database import Database
from bot.services import Services

MEMBER_ID_COLUMN = re.compile(r"(^|_)(user|member|author|actor|owner|requester|offerer|helper|asker)_id$|_by$")
"""How a column that holds a member's Discord id is named (``user_id``, ``answer_author_id``, ``created_by``)."""

ID_COLUMN = re.compile(r"(_id|_by)$")
NOT_A_MEMBER: frozenset[str] = frozenset(
    {
        "guild_id",
        "doc_guild_id",  # the server of a voted-on document (knowledge_votes); the voter is user_id
        "forum_id",
        "tag_id",
        "thread_id",
        "suggestion_message_id",
        "answer_message_id",
        "queue_channel_id",
        "queue_message_id",
        "search_id",
        "document_id",
        "resource_id",
        "target_id",  # an audit entry's target (a resource, FAQ entry or post); forget masks ids inside it
        "need_id",  # a skill listing (introductions)
        "offer_id",  # a skill listing
        "request_id",  # a match request, or a routing request (routing_asks)
        "opening_message_id",  # the bot's first message in an introduction's thread
        "run_id",  # a digest run (digest_deliveries)
        "channel_id",  # the digest channel a run was posted to
        "dm_channel_id",  # a member's DM channel with the bot (a channel, deleted with the member's rows)
        "message_id",  # a digest DM the bot sent
        "proposal_id",  # a collaboration proposal (collab_partners)
        "gap_id",  # a knowledge gap (gap_askers); the asker is user_id
    }
)
"""Id columns that name servers, channels, messages, threads, tags or our own rows: never a member.

Every other ``*_id`` / ``*_by`` column must be claimed by a privacy provider, so a new one (``mentor_id``,
``recipient_id``) cannot slip through by its name: it is either classified here or claimed.
"""


async def member_id_columns(db: Database) -> set[str]:
    """Every ``table.column`` of the schema named like a member id (virtual and FTS shadow tables excluded)."""
    tables = await db.fetch_all(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'knowledge_fts_%'"
    )
    found: set[str] = set()
    for table in tables:
        for column in await db.fetch_all("SELECT name FROM pragma_table_info(?)", (table["name"],)):
            if MEMBER_ID_COLUMN.search(column["name"]):
                found.add(f"{table['name']}.{column['name']}")
    return found


async def test_every_member_id_column_has_a_privacy_provider(db: Database, services: Services) -> None:
    """Each table.column named like a member id is claimed by some provider's member_columns."""
    unclaimed = await member_id_columns(db) - services.privacy.claimed_columns
    assert unclaimed == set(), f"add these to a privacy provider's member_columns: {sorted(unclaimed)}"


async def test_claims_name_real_columns(db: Database, services: Services) -> None:
    """A provider claims only columns that exist (a renamed column cannot hide behind a stale claim)."""
    existing = {
        f"{t['name']}.{c['name']}"
        for t in await db.fetch_all("SELECT name FROM sqlite_schema WHERE type = 'table'")
        for c in await db.fetch_all("SELECT name FROM pragma_table_info(?)", (t["name"],))
    }
    assert services.privacy.claimed_columns <= existing


async def test_every_id_column_is_classified(db: Database, services: Services) -> None:
    """Each ``*_id``/``*_by`` column is either a member id claimed by a provider, or known not to be one."""
    tables = await db.fetch_all(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'knowledge_fts_%'"
    )
    unclassified: list[str] = []
    for table in tables:
        for column in await db.fetch_all("SELECT name FROM pragma_table_info(?)", (table["name"],)):
            name = f"{table['name']}.{column['name']}"
            member = ID_COLUMN.search(column["name"]) and column["name"] not in NOT_A_MEMBER
            if member and name not in services.privacy.claimed_columns:
                unclassified.append(name)
    assert unclassified == [], f"claim these in a privacy provider, or list them in NOT_A_MEMBER: {unclassified}"


async def test_a_new_table_without_a_provider_is_caught(db: Database, services: Services) -> None:
    """Adding a table with a ``*_user_id`` column and no provider makes the coverage check fail."""
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE skill_offers (id INTEGER PRIMARY KEY, guild_id INTEGER, offer_user_id INTEGER)")
    unclaimed = await member_id_columns(db) - services.privacy.claimed_columns
    assert unclaimed == {"skill_offers.offer_user_id"}
