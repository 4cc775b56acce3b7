"""SQL for the weekly digest: runs, deliveries and subscriptions, and the reads a digest is built from.

The digest reads other features' tables (resources, help posts, skill listings, the audit log) read-only, in one
snapshot, so a digest shows one consistent state. Writes run in the caller's transaction; it never opens one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.db.database import Database, Reader, Transaction
from bot.domain.digest.models import Delivery, DigestContent, Run, Subscription

# --- runs ------------------------------------------------------------------------------------------------------

_RUN_COLUMNS = """
    SELECT id, guild_id, period, status, slot, channel_id, content, message_ids, error, posted_at, reported_at,
           post_attempted_at, created_at
    FROM digest_runs"""

_RUN = _RUN_COLUMNS + " WHERE id = :id"

_RUN_BY_PERIOD = _RUN_COLUMNS + " WHERE guild_id = :guild_id AND period = :period"

_INSERT_RUN = """
    INSERT INTO digest_runs (guild_id, period, status, slot, channel_id, content, pool, created_at)
    VALUES (:guild_id, :period, :status, :slot, :channel_id, :content, :pool, :now)
    ON CONFLICT (guild_id, period) DO NOTHING
    RETURNING id"""

_PREVIOUS_SLOT = """
    SELECT max(slot) FROM digest_runs WHERE guild_id = :guild_id AND (slot < :slot OR (:inclusive AND slot = :slot))"""

_RUNS_BETWEEN = """
    SELECT id, slot, content FROM digest_runs
    WHERE guild_id = :guild_id AND slot > :since AND slot <= :until AND status <> 'empty'
    ORDER BY slot"""

_POOL = "SELECT pool FROM digest_runs WHERE id = :id"

_CLAIM_POST = """
    UPDATE digest_runs SET status = 'posting', post_attempted_at = coalesce(post_attempted_at, :now)
    WHERE id = :id AND status IN ('planned', 'posting')"""

_POSTED_PART = """
    UPDATE digest_runs SET message_ids = :message_ids WHERE id = :id AND status = 'posting'"""

_POSTED = """
    UPDATE digest_runs SET status = 'posted', message_ids = :message_ids, posted_at = :now, error = NULL
    WHERE id = :id AND status IN ('planned', 'posting')"""

_POST_FAILED = """
    UPDATE digest_runs SET status = 'failed', error = :error WHERE id = :id AND status IN ('planned', 'posting')"""

# Runs whose channel post never finished (its job died): planned or posting, and planned before :before.
_STUCK_POSTS = """
    SELECT id FROM digest_runs WHERE status IN ('planned', 'posting') AND created_at < :before ORDER BY id"""

_LAST_POSTED = """
    SELECT message_ids FROM digest_runs
    WHERE guild_id = :guild_id AND channel_id = :channel_id AND id < :id AND message_ids <> '[]'
    ORDER BY id DESC LIMIT 1"""

_CLAIM_REPORT = """
    UPDATE digest_runs SET reported_at = :now
    WHERE id = :id AND reported_at IS NULL AND status NOT IN ('planned', 'posting')
      AND NOT EXISTS (SELECT 1 FROM digest_deliveries
                      WHERE run_id = :id AND status IN ('planned', 'claimed'))"""

_DELIVERY_COUNTS = """
    SELECT status, count(*) AS n FROM digest_deliveries WHERE run_id = :run_id GROUP BY status"""

_HELD_UNTIL = """
    SELECT max(claimed_until) AS until FROM digest_deliveries WHERE run_id = :run_id AND status = 'claimed'"""

_PURGE_RUNS = "DELETE FROM digest_runs WHERE slot < :before"

_RUNS_MENTIONING = """
    SELECT id, content, pool FROM digest_runs
    WHERE guild_id = :guild_id AND (instr(content, :id) > 0 OR instr(pool, :id) > 0)"""

_SET_CONTENT = "UPDATE digest_runs SET content = :content, pool = :pool WHERE id = :id"

_DIGEST_GUILDS = """
    SELECT v.guild_id FROM guild_setting_values AS v JOIN guild_settings AS g ON g.guild_id = v.guild_id
    WHERE v.key = :key AND json_extract(v.value, '$') IS NOT NULL AND g.left_at IS NULL
    ORDER BY v.guild_id"""

# --- deliveries ------------------------------------------------------------------------------------------------

_INSERT_DELIVERY = """
    INSERT INTO digest_deliveries (run_id, guild_id, user_id, period, status, selection, dm_channel_id, created_at)
    VALUES (:run_id, :guild_id, :user_id, :period, :status, :selection, :dm_channel_id, :now)
    ON CONFLICT (guild_id, user_id, period) DO NOTHING"""

# Up to :limit of the run's deliveries nobody holds: planned ones, and claims whose lease ran out (that worker died
# or hung), least tried first (one recipient failing in passing never starves the rest). One statement under the
# writer's lock, so two workers never hold the same row.
_CLAIM = """
    UPDATE digest_deliveries
    SET status = 'claimed', claim_token = :token, claimed_until = :until, attempts = attempts + 1,
        attempted_at = coalesce(attempted_at, :now)
    WHERE id IN (
        SELECT id FROM digest_deliveries
        WHERE run_id = :run_id
          AND (status = 'planned' OR (status = 'claimed' AND claimed_until <= :now))
        ORDER BY attempts, id LIMIT :limit)
    RETURNING id, run_id, guild_id, user_id, period, status, claim_token, dm_channel_id, message_id, error,
              attempts, attempted_at"""

# Deliveries claimed :max_attempts times without an outcome are given up on (the run can finish and report).
_GIVE_UP = """
    UPDATE digest_deliveries SET status = 'failed', error = :error, claim_token = NULL, claimed_until = NULL
    WHERE run_id = :run_id AND attempts >= :max_attempts
      AND (status = 'planned' OR (status = 'claimed' AND claimed_until <= :now))"""

_RENEW = """
    UPDATE digest_deliveries SET claimed_until = :until
    WHERE status = 'claimed' AND claim_token = :token AND id IN (SELECT value FROM json_each(:ids))"""

_DELIVERY_DM_CHANNEL = """
    UPDATE digest_deliveries SET dm_channel_id = :dm_channel_id
    WHERE id = :id AND dm_channel_id IS NOT :dm_channel_id"""

# A member's planned digests of this server that no worker holds yet: nothing to send after they unsubscribed.
_DROP_PLANNED = """
    UPDATE digest_deliveries SET status = 'empty'
    WHERE guild_id = :guild_id AND user_id = :user_id AND status = 'planned'"""

_LAST_MESSAGE = """
    SELECT max(message_id) FROM digest_deliveries
    WHERE guild_id = :guild_id AND user_id = :user_id AND status = 'sent' AND id <> :id"""

_SELECTION = "SELECT selection FROM digest_deliveries WHERE id = :id"

_SENT = """
    UPDATE digest_deliveries
    SET status = 'sent', message_id = :message_id, dm_channel_id = :dm_channel_id, sent_at = :now,
        claim_token = NULL, claimed_until = NULL, error = NULL
    WHERE id = :id AND status IN ('planned', 'claimed')"""

_FINISH = """
    UPDATE digest_deliveries SET status = :status, error = :error, claim_token = NULL, claimed_until = NULL
    WHERE id = :id AND status IN ('planned', 'claimed')"""

_RELEASE = """
    UPDATE digest_deliveries SET status = 'planned', claim_token = NULL, claimed_until = NULL
    WHERE id = :id AND status = 'claimed' AND claim_token = :token"""

_LAST_SENT = """
    SELECT d.user_id, max(r.slot) AS slot
    FROM digest_deliveries AS d JOIN digest_runs AS r ON r.id = d.run_id
    WHERE d.guild_id = :guild_id AND d.status = 'sent'
    GROUP BY d.user_id"""

_LAST_SENT_AT = """
    SELECT user_id, max(sent_at) AS sent_at FROM digest_deliveries
    WHERE guild_id = :guild_id AND status = 'sent' AND sent_at IS NOT NULL
    GROUP BY user_id"""

# --- subscriptions ---------------------------------------------------------------------------------------------

_SUB_COLUMNS = """
    SELECT guild_id, user_id, themes, frequency, locale, dm_channel_id, unreachable_at, created_at
    FROM digest_subscriptions"""

_SUBSCRIPTION = _SUB_COLUMNS + " WHERE guild_id = :guild_id AND user_id = :user_id"

_REACHABLE = _SUB_COLUMNS + " WHERE guild_id = :guild_id AND unreachable_at IS NULL ORDER BY user_id"

_SUBSCRIBE = """
    INSERT INTO digest_subscriptions (guild_id, user_id, themes, frequency, locale, created_at, updated_at)
    VALUES (:guild_id, :user_id, :themes, :frequency, :locale, :now, :now)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        themes = excluded.themes, frequency = excluded.frequency, locale = excluded.locale,
        unreachable_at = NULL, updated_at = excluded.updated_at"""

_UNSUBSCRIBE = "DELETE FROM digest_subscriptions WHERE guild_id = :guild_id AND user_id = :user_id"

_UNREACHABLE = """
    UPDATE digest_subscriptions SET unreachable_at = :now, updated_at = :now
    WHERE guild_id = :guild_id AND user_id = :user_id"""

_DM_CHANNEL = """
    UPDATE digest_subscriptions SET dm_channel_id = :dm_channel_id
    WHERE guild_id = :guild_id AND user_id = :user_id AND dm_channel_id IS NOT :dm_channel_id"""

# --- what a digest is built from (other features' tables, read only) ------------------------------------------

# Approved resources that became approved in the window: approved by a moderator then (the audit log's entry),
# or stored in the window already approved (an import, the starter list).
_NEW_RESOURCES = """
    WITH approvals AS (
        SELECT CAST(target_id AS INTEGER) AS id, max(created_at) AS at FROM audit_log
        WHERE guild_id = :guild_id AND created_at >= :since AND created_at < :until
          AND action = 'resource.approve' AND target_type = 'resource'
        GROUP BY target_id)
    SELECT r.id, r.title, r.url, r.summary, r.theme, r.type, r.helpful, r.featured,
           coalesce(a.at, r.created_at) AS approved_at
    FROM resources AS r LEFT JOIN approvals AS a ON a.id = r.id
    WHERE r.guild_id = :guild_id AND r.status = 'approved'
      AND (a.id IS NOT NULL OR (r.created_at >= :since AND r.created_at < :until))
    ORDER BY r.helpful DESC, approved_at DESC, r.id
    LIMIT :limit"""

_NEW_RESOURCES_COUNT = """
    SELECT count(*) FROM resources AS r
    WHERE r.guild_id = :guild_id AND r.status = 'approved'
      AND ((r.created_at >= :since AND r.created_at < :until)
           OR EXISTS (SELECT 1 FROM audit_log AS a
                      WHERE a.guild_id = :guild_id AND a.created_at >= :since AND a.created_at < :until
                        AND a.action = 'resource.approve' AND a.target_type = 'resource'
                        AND a.target_id = CAST(r.id AS TEXT)))"""

_FEATURED = """
    SELECT id, title, url, summary, theme, type, helpful, featured, created_at AS approved_at FROM resources
    WHERE guild_id = :guild_id AND status = 'approved' AND featured = 1
    ORDER BY id"""

_SOLVED = """
    SELECT thread_id, title, solved_at, created_at FROM help_posts
    WHERE guild_id = :guild_id AND status = 'solved' AND solved_at >= :since AND solved_at < :until
    ORDER BY solved_at DESC, thread_id
    LIMIT :limit"""

_SOLVED_COUNT = """
    SELECT count(*) FROM help_posts
    WHERE guild_id = :guild_id AND status = 'solved' AND solved_at >= :since AND solved_at < :until"""

_OPEN = """
    SELECT thread_id, title, created_at FROM help_posts
    WHERE guild_id = :guild_id AND status = 'open' AND created_at < :until
    ORDER BY created_at, thread_id
    LIMIT :limit"""

_NEW_LISTINGS = """
    SELECT min(id) AS id, kind, skill, min(skill_text) AS skill_text, count(*) AS n, min(created_at) AS created_at
    FROM skill_listings
    WHERE guild_id = :guild_id AND created_at >= :since AND created_at < :until AND expires_at > :until
    GROUP BY kind, skill, CASE WHEN skill IS NULL THEN lower(skill_text) END
    ORDER BY n DESC, created_at, id
    LIMIT :limit"""

_NEW_OFFERS_COUNT = """
    SELECT count(*) FROM skill_listings
    WHERE guild_id = :guild_id AND kind = 'offer' AND created_at >= :since AND created_at < :until"""

_LIVE_RESOURCES = """
    SELECT id FROM resources
    WHERE guild_id = :guild_id AND status = 'approved' AND id IN (SELECT value FROM json_each(:ids))"""

_LIVE_POSTS = """
    SELECT thread_id, status FROM help_posts
    WHERE guild_id = :guild_id AND thread_id IN (SELECT value FROM json_each(:ids))"""

_LIVE_LISTINGS = """
    SELECT id FROM skill_listings
    WHERE guild_id = :guild_id AND expires_at > :now AND id IN (SELECT value FROM json_each(:ids))"""

_POST_AUTHORS = """
    SELECT thread_id, author_id FROM help_posts
    WHERE guild_id = :guild_id AND thread_id IN (SELECT value FROM json_each(:ids))"""

# --- privacy ---------------------------------------------------------------------------------------------------

_EXPORT: dict[str, str] = {
    "digest_subscription": """
        SELECT themes, frequency, locale, unreachable_at, created_at, updated_at FROM digest_subscriptions
        WHERE guild_id = :guild_id AND user_id = :user_id""",
    "digest_deliveries": """
        SELECT period, status, selection, message_id, error, sent_at, created_at FROM digest_deliveries
        WHERE guild_id = :guild_id AND user_id = :user_id ORDER BY period""",
}

_FORGET: tuple[str, ...] = (
    "DELETE FROM digest_deliveries WHERE guild_id = :guild_id AND user_id = :user_id",
    "DELETE FROM digest_subscriptions WHERE guild_id = :guild_id AND user_id = :user_id",
)


@dataclass(frozen=True, slots=True)
class SourceRows:
    """What one digest is built from, read in one snapshot (plain rows; the domain makes items of them)."""

    resources: list[dict[str, Any]]
    featured: list[dict[str, Any]]
    solved: list[dict[str, Any]]
    open: list[dict[str, Any]]
    listings: list[dict[str, Any]]
    solved_count: int
    resources_count: int
    offers_count: int


class DigestRepo:
    """Digest runs, deliveries and subscriptions; and the read-only queries a digest is built from."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- runs -------------------------------------------------------------------------------------------------

    async def insert_run(
        self,
        tx: Transaction,
        *,
        guild_id: int,
        period: str,
        status: str,
        slot: datetime,
        channel_id: int | None,
        content: str,
        pool: str,
        now: datetime,
    ) -> int | None:
        """Claim a server's period with its snapshot; None (nothing stored) when the period has a run already."""
        params = {
            "guild_id": guild_id,
            "period": period,
            "status": status,
            "slot": to_iso(slot),
            "channel_id": channel_id,
            "content": content,
            "pool": pool,
            "now": to_iso(now),
        }
        rows = await tx.execute_returning(_INSERT_RUN, params)
        return int(rows[0]["id"]) if rows else None

    async def run(self, run_id: int, tx: Reader | None = None) -> Run | None:
        """One run by id, or None."""
        row = await (tx or self._db).fetch_one(_RUN, {"id": run_id})
        return None if row is None else _to_run(row)

    async def run_by_period(self, guild_id: int, period: str, tx: Reader | None = None) -> Run | None:
        """The run of a server's period, or None."""
        row = await (tx or self._db).fetch_one(_RUN_BY_PERIOD, {"guild_id": guild_id, "period": period})
        return None if row is None else _to_run(row)

    async def previous_slot(self, guild_id: int, slot: datetime, *, inclusive: bool = False) -> str | None:
        """The slot of the server's latest run before ``slot`` (or at it, if ``inclusive``) as ISO UTC, or None."""
        params = {"guild_id": guild_id, "slot": to_iso(slot), "inclusive": int(inclusive)}
        value = await self._db.fetch_value(_PREVIOUS_SLOT, params)
        return None if value is None else str(value)

    async def runs_between(self, tx: Reader, guild_id: int, since: str, until: str) -> list[tuple[int, str, str]]:
        """(id, slot, snapshot JSON) of the server's non-empty runs with ``since < slot <= until``, oldest first."""
        rows = await tx.fetch_all(_RUNS_BETWEEN, {"guild_id": guild_id, "since": since, "until": until})
        return [(int(r["id"]), str(r["slot"]), str(r["content"])) for r in rows]

    async def pool(self, run_id: int) -> str:
        """The run's pool of open questions (JSON), ``"[]"`` if the run is gone."""
        value = await self._db.fetch_value(_POOL, {"id": run_id})
        return "[]" if value is None else str(value)

    async def claim_post(self, tx: Transaction, run_id: int, now: datetime) -> bool:
        """Mark the run ``posting`` (noting the first attempt); False when it is posted, failed or empty already."""
        return await tx.execute_rowcount(_CLAIM_POST, {"id": run_id, "now": to_iso(now)}) == 1

    async def posted(self, tx: Transaction, run_id: int, message_ids: Iterable[int], now: datetime) -> bool:
        """Record the channel post's messages; False when the run was finished already."""
        params = {"id": run_id, "message_ids": json.dumps([int(m) for m in message_ids]), "now": to_iso(now)}
        return await tx.execute_rowcount(_POSTED, params) == 1

    async def posted_part(self, tx: Transaction, run_id: int, message_ids: Iterable[int]) -> bool:
        """Record the channel post's messages sent so far (the run stays ``posting``)."""
        params = {"id": run_id, "message_ids": json.dumps([int(m) for m in message_ids])}
        return await tx.execute_rowcount(_POSTED_PART, params) == 1

    async def stuck_posts(self, before: datetime) -> list[int]:
        """Runs planned before ``before`` whose channel post is still planned or posting."""
        rows = await self._db.fetch_all(_STUCK_POSTS, {"before": to_iso(before)})
        return [int(r["id"]) for r in rows]

    async def last_posted(self, run: Run) -> int | None:
        """The last message id of the latest earlier channel post of the run's server in the same channel."""
        params = {"guild_id": run.guild_id, "channel_id": run.channel_id, "id": run.id}
        value = await self._db.fetch_value(_LAST_POSTED, params)
        ids = json.loads(value) if value is not None else []
        return int(ids[-1]) if ids else None

    async def post_failed(self, tx: Transaction, run_id: int, error: str) -> bool:
        """Record that the channel cannot be posted to; False when the run was finished already."""
        return await tx.execute_rowcount(_POST_FAILED, {"id": run_id, "error": error}) == 1

    async def claim_report(self, tx: Transaction, run_id: int, now: datetime) -> bool:
        """Claim the run's report: only once, and only when the post and every delivery are finished."""
        return await tx.execute_rowcount(_CLAIM_REPORT, {"id": run_id, "now": to_iso(now)}) == 1

    async def delivery_counts(self, run_id: int, tx: Reader | None = None) -> dict[str, int]:
        """How many of the run's deliveries are in each status."""
        rows = await (tx or self._db).fetch_all(_DELIVERY_COUNTS, {"run_id": run_id})
        return {str(r["status"]): int(r["n"]) for r in rows}

    async def held_until(self, run_id: int) -> str | None:
        """When the last claim on the run's deliveries runs out (ISO UTC), or None when none is claimed."""
        row = await self._db.fetch_one(_HELD_UNTIL, {"run_id": run_id})
        return str(row["until"]) if row is not None and row["until"] is not None else None

    async def purge_runs(self, tx: Transaction, before: datetime) -> int:
        """Delete runs (and with them their deliveries) whose slot is before ``before``; returns how many."""
        return await tx.execute_rowcount(_PURGE_RUNS, {"before": to_iso(before)})

    async def runs_mentioning(self, tx: Transaction, guild_id: int, text: str) -> list[tuple[int, str, str]]:
        """(id, content, pool) of this server's runs whose snapshot contains ``text``."""
        rows = await tx.fetch_all(_RUNS_MENTIONING, {"guild_id": guild_id, "id": text})
        return [(int(r["id"]), str(r["content"]), str(r["pool"])) for r in rows]

    async def set_content(self, tx: Transaction, run_id: int, content: str, pool: str) -> None:
        """Replace a run's snapshot (after a member's id was masked inside it)."""
        await tx.execute(_SET_CONTENT, {"id": run_id, "content": content, "pool": pool})

    async def guilds_with(self, setting_key: str) -> list[int]:
        """Servers the bot is in that have a value for this setting (e.g. a digest channel)."""
        rows = await self._db.fetch_all(_DIGEST_GUILDS, {"key": setting_key})
        return [int(r["guild_id"]) for r in rows]

    # --- deliveries -------------------------------------------------------------------------------------------

    async def insert_deliveries(self, tx: Transaction, rows: list[dict[str, Any]], now: datetime) -> None:
        """Plan deliveries (run_id, guild_id, user_id, period, status, selection, dm_channel_id each)."""
        if rows:
            await tx.executemany(_INSERT_DELIVERY, [{**row, "now": to_iso(now)} for row in rows])

    async def claim_deliveries(
        self, tx: Transaction, run_id: int, token: str, now: datetime, until: datetime, limit: int
    ) -> list[Delivery]:
        """Claim up to ``limit`` planned (or abandoned) deliveries of the run for ``token``."""
        params = {"run_id": run_id, "token": token, "now": to_iso(now), "until": to_iso(until), "limit": limit}
        rows = await tx.execute_returning(_CLAIM, params)
        return sorted((_to_delivery(r) for r in rows), key=lambda d: d.id)

    async def give_up(self, tx: Transaction, run_id: int, max_attempts: int, error: str, now: datetime) -> int:
        """Fail the run's unheld deliveries claimed ``max_attempts`` times already; returns how many."""
        params = {"run_id": run_id, "max_attempts": max_attempts, "error": error, "now": to_iso(now)}
        return await tx.execute_rowcount(_GIVE_UP, params)

    async def renew(self, tx: Transaction, delivery_ids: Collection[int], token: str, until: datetime) -> int:
        """Extend the claims ``token`` still holds on these deliveries; returns how many."""
        params = {"ids": json.dumps(sorted(delivery_ids)), "token": token, "until": to_iso(until)}
        return await tx.execute_rowcount(_RENEW, params)

    async def set_delivery_dm_channel(self, tx: Transaction, delivery_id: int, dm_channel_id: int) -> None:
        """Remember the DM channel a delivery is sent to (before sending)."""
        await tx.execute(_DELIVERY_DM_CHANNEL, {"id": delivery_id, "dm_channel_id": dm_channel_id})

    async def drop_planned(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Mark a member's planned, unclaimed deliveries in this server ``empty``; returns how many."""
        return await tx.execute_rowcount(_DROP_PLANNED, {"guild_id": guild_id, "user_id": user_id})

    async def last_message(self, delivery: Delivery) -> int | None:
        """The newest message id of the member's other sent digests in this server, or None."""
        params = {"guild_id": delivery.guild_id, "user_id": delivery.user_id, "id": delivery.id}
        value = await self._db.fetch_value(_LAST_MESSAGE, params)
        return None if value is None else int(value)

    async def selection(self, delivery_id: int) -> str | None:
        """A delivery's personal selection (JSON), or None if it is gone."""
        value = await self._db.fetch_value(_SELECTION, {"id": delivery_id})
        return None if value is None else str(value)

    async def mark_sent(
        self, tx: Transaction, delivery_id: int, message_id: int, dm_channel_id: int, now: datetime
    ) -> bool:
        """Record a sent DM; False when the delivery was finished already."""
        params = {"id": delivery_id, "message_id": message_id, "dm_channel_id": dm_channel_id, "now": to_iso(now)}
        return await tx.execute_rowcount(_SENT, params) == 1

    async def finish(self, tx: Transaction, delivery_id: int, status: str, error: str | None) -> bool:
        """End a delivery as ``unreachable`` or ``failed``; False when it was finished already."""
        return await tx.execute_rowcount(_FINISH, {"id": delivery_id, "status": status, "error": error}) == 1

    async def release(self, tx: Transaction, delivery_id: int, token: str) -> bool:
        """Give a claim back (planned again); only the worker holding it can."""
        return await tx.execute_rowcount(_RELEASE, {"id": delivery_id, "token": token}) == 1

    async def last_sent(self, tx: Reader, guild_id: int) -> dict[int, str]:
        """Each member's latest sent delivery: the slot of its run (ISO UTC)."""
        rows = await tx.fetch_all(_LAST_SENT, {"guild_id": guild_id})
        return {int(r["user_id"]): str(r["slot"]) for r in rows}

    async def last_sent_at(self, tx: Reader, guild_id: int) -> dict[int, str]:
        """Each member's latest sent delivery: when it was sent (ISO UTC)."""
        rows = await tx.fetch_all(_LAST_SENT_AT, {"guild_id": guild_id})
        return {int(r["user_id"]): str(r["sent_at"]) for r in rows}

    # --- subscriptions ----------------------------------------------------------------------------------------

    async def subscription(self, guild_id: int, user_id: int, tx: Reader | None = None) -> Subscription | None:
        """A member's subscription, or None."""
        row = await (tx or self._db).fetch_one(_SUBSCRIPTION, {"guild_id": guild_id, "user_id": user_id})
        return None if row is None else _to_subscription(row)

    async def reachable(self, tx: Reader | None, guild_id: int) -> list[Subscription]:
        """The server's subscriptions not marked unreachable (read through ``tx``, or the read pool if None)."""
        return [_to_subscription(r) for r in await (tx or self._db).fetch_all(_REACHABLE, {"guild_id": guild_id})]

    async def subscribe(
        self,
        tx: Transaction,
        guild_id: int,
        user_id: int,
        *,
        themes: tuple[str, ...],
        frequency: str,
        locale: str | None,
        now: datetime,
    ) -> None:
        """Create or change a subscription (clearing "unreachable")."""
        params = {
            "guild_id": guild_id,
            "user_id": user_id,
            "themes": json.dumps(list(themes)),
            "frequency": frequency,
            "locale": locale,
            "now": to_iso(now),
        }
        await tx.execute(_SUBSCRIBE, params)

    async def unsubscribe(self, tx: Transaction, guild_id: int, user_id: int) -> bool:
        """Delete a subscription; False when there was none."""
        return await tx.execute_rowcount(_UNSUBSCRIBE, {"guild_id": guild_id, "user_id": user_id}) == 1

    async def set_unreachable(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> None:
        """Mark a subscriber's DMs as closed."""
        await tx.execute(_UNREACHABLE, {"guild_id": guild_id, "user_id": user_id, "now": to_iso(now)})

    async def set_dm_channel(self, tx: Transaction, guild_id: int, user_id: int, dm_channel_id: int) -> None:
        """Remember a subscriber's DM channel."""
        params = {"guild_id": guild_id, "user_id": user_id, "dm_channel_id": dm_channel_id}
        await tx.execute(_DM_CHANNEL, params)

    # --- sources ----------------------------------------------------------------------------------------------

    async def source_rows(
        self, guild_id: int, since: datetime, until: datetime, *, limits: Mapping[str, int], pool: int
    ) -> SourceRows:
        """Every row a digest is built from, in one snapshot; sections with limit 0 are not read."""
        window = {"guild_id": guild_id, "since": to_iso(since), "until": to_iso(until)}

        async def rows(read: Reader, sql: str, limit: int) -> list[dict[str, Any]]:
            if limit <= 0:
                return []
            return [dict(r) for r in await read.fetch_all(sql, {**window, "limit": limit})]

        async with self._db.snapshot() as read:
            resources = await rows(read, _NEW_RESOURCES, limits.get("resources", 0) + 1)
            featured = (
                [dict(r) for r in await read.fetch_all(_FEATURED, {"guild_id": guild_id})]
                if limits.get("featured", 0) > 0
                else []
            )
            solved = await rows(read, _SOLVED, limits.get("solved", 0))
            open_posts = await rows(read, _OPEN, pool)
            listings = await rows(read, _NEW_LISTINGS, limits.get("skills", 0))
            solved_count = int(await read.fetch_value(_SOLVED_COUNT, window) or 0)
            resources_count = int(await read.fetch_value(_NEW_RESOURCES_COUNT, window) or 0)
            offers_count = int(await read.fetch_value(_NEW_OFFERS_COUNT, window) or 0)
        return SourceRows(
            resources, featured, solved, open_posts, listings, solved_count, resources_count, offers_count
        )

    async def live(
        self,
        tx: Reader,
        guild_id: int,
        now: datetime,
        *,
        resources: Collection[int],
        posts: Collection[int],
        listings: Collection[int],
    ) -> tuple[set[int], dict[int, str], set[int]]:
        """Which of these are still there: approved resources, help posts (with their status), active listings."""
        found_resources: set[int] = set()
        found_posts: dict[int, str] = {}
        found_listings: set[int] = set()
        base: dict[str, Any] = {"guild_id": guild_id}
        if resources:
            rows = await tx.fetch_all(_LIVE_RESOURCES, {**base, "ids": json.dumps(sorted(resources))})
            found_resources = {int(r["id"]) for r in rows}
        if posts:
            rows = await tx.fetch_all(_LIVE_POSTS, {**base, "ids": json.dumps(sorted(posts))})
            found_posts = {int(r["thread_id"]): str(r["status"]) for r in rows}
        if listings:
            params = {**base, "ids": json.dumps(sorted(listings)), "now": to_iso(now)}
            found_listings = {int(r["id"]) for r in await tx.fetch_all(_LIVE_LISTINGS, params)}
        return found_resources, found_posts, found_listings

    async def post_authors(
        self, guild_id: int, thread_ids: Collection[int], tx: Reader | None = None
    ) -> dict[int, int]:
        """The author of each of these help posts."""
        if not thread_ids:
            return {}
        rows = await (tx or self._db).fetch_all(
            _POST_AUTHORS, {"guild_id": guild_id, "ids": json.dumps(sorted(thread_ids))}
        )
        return {int(r["thread_id"]): int(r["author_id"]) for r in rows}

    # --- privacy ----------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's subscription and personal digests in one server."""
        params = {"guild_id": guild_id, "user_id": user_id}
        found = {name: [dict(r) for r in await self._db.fetch_all(sql, params)] for name, sql in _EXPORT.items()}
        for row in found["digest_subscription"]:
            row["themes"] = json.loads(row["themes"])
        for row in found["digest_deliveries"]:
            row["selection"] = json.loads(row["selection"])
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's subscription and deliveries; returns the rows deleted."""
        params = {"guild_id": guild_id, "user_id": user_id}
        return sum([await tx.execute_rowcount(sql, params) for sql in _FORGET])


def _to_run(row: sqlite3.Row) -> Run:
    return Run(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        period=row["period"],
        slot=row["slot"],
        status=row["status"],
        channel_id=row["channel_id"],
        content=DigestContent.from_json(row["content"]),
        message_ids=tuple(int(m) for m in json.loads(row["message_ids"])),
        error=row["error"],
        created_at=row["created_at"],
        posted_at=row["posted_at"],
        post_attempted_at=row["post_attempted_at"],
    )


def _to_delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        run_id=int(row["run_id"]),
        guild_id=int(row["guild_id"]),
        user_id=int(row["user_id"]),
        period=row["period"],
        status=row["status"],
        dm_channel_id=row["dm_channel_id"],
        message_id=row["message_id"],
        error=row["error"],
        claim_token=row["claim_token"],
        attempts=int(row["attempts"]),
        attempted_at=row["attempted_at"],
    )


def _to_subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        guild_id=int(row["guild_id"]),
        user_id=int(row["user_id"]),
        themes=tuple(json.loads(row["themes"])),
        frequency=row["frequency"],
        locale=row["locale"],
        dm_channel_id=row["dm_channel_id"],
        unreachable_at=row["unreachable_at"],
        created_at=row["created_at"],
    )
