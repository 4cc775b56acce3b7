"""The search log's batching writer: logged searches leave the answer's critical path.

Every /ask (and, where enabled, every search) is logged for the moderators' gap figures and so the answer's
feedback buttons can refer to it. Writing that row in its own transaction made every answer wait for the
write lock, behind whatever use case held it. :class:`SearchLog` instead gives the search its id at once
(:class:`SearchIds`: time-ordered and unique across processes and restarts, so no read and no clash) and keeps
the row in memory; a background task writes the pending rows through the single writer, one
transaction per batch, every :data:`INTERVAL` seconds or as soon as :data:`BATCH_SIZE` rows wait.

This is deliberately an in-memory buffer rather than a durable job: search-log rows are statistics, and a
durable job per search would cost the very write it is meant to avoid. What that means:

- A clean shutdown loses nothing: :meth:`SearchLog.running` flushes every pending row when it ends (the
  composition root runs it around the bot, so it ends after the bot has drained its handlers).
- A crash (or a kill) loses at most the rows not yet written: one batch, at most :data:`INTERVAL` seconds of
  searches (a feedback button from just before the crash then finds no search, and says so).
- A use case that reads the log (a button that needs the question back, the gap figures) calls
  :meth:`SearchLog.flush` first, so it sees every search made before it; forgetting a member writes the
  pending rows inside its own transaction first, so the masking covers them too.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.knowledge import KnowledgeRepo

log = logging.getLogger(__name__)

BATCH_SIZE = 100
"""Pending rows that wake the writer before its interval is up."""
INTERVAL = 0.5
"""Seconds between two batches at most (also the most a crash can lose)."""
MAX_LOGGED_QUERY = 200
"""Characters of a plain search's text that are kept (an /ask question is kept whole: its button needs it)."""


class SearchIds:
    """Search ids handed out without asking the database: unique across processes and restarts.

    Like Discord's snowflakes: milliseconds of the real wall clock since 2026 (not the injectable clock, which
    tests freeze: ids need uniqueness, not a date), a random tag per process, and a sequence within the
    millisecond (a burst borrows the next milliseconds). Two processes on one database clash only if they draw
    the same tag and hand out an id in the same millisecond; 63 bits last for centuries.
    """

    EPOCH_MS: Final = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    TAG_BITS: Final = 10
    SEQUENCE_BITS: Final = 12

    def __init__(self, tag: int | None = None) -> None:
        self._tag = secrets.randbelow(1 << self.TAG_BITS) if tag is None else tag % (1 << self.TAG_BITS)
        self._last_ms = 0
        self._sequence = 0

    def next(self) -> int:
        """A new id, larger than every id this object handed out before."""
        now_ms = max(time.time_ns() // 1_000_000 - self.EPOCH_MS, 0)
        if now_ms > self._last_ms:
            self._last_ms, self._sequence = now_ms, 0
        else:
            self._sequence += 1
            if self._sequence >> self.SEQUENCE_BITS:  # this millisecond is used up: borrow the next one
                self._last_ms, self._sequence = self._last_ms + 1, 0
        return (
            (self._last_ms << (self.TAG_BITS + self.SEQUENCE_BITS)) | (self._tag << self.SEQUENCE_BITS) | self._sequence
        )


@dataclass(frozen=True, slots=True)
class LoggedSearch:
    """One search to store: its id is fixed when the search is made, before the row is written."""

    id: int
    guild_id: int
    query: str
    result_count: int
    created_at: datetime


class SearchLog:
    """Hands out search ids at once and writes the rows in batches, off the answer's critical path."""

    def __init__(
        self,
        uow: UnitOfWork,
        repo: KnowledgeRepo,
        *,
        batch_size: int = BATCH_SIZE,
        interval: float = INTERVAL,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._batch_size = batch_size
        self._interval = interval
        self._pending: list[LoggedSearch] = []
        self._ids = SearchIds()
        self._writing = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def pending(self) -> int:
        """Rows waiting to be written."""
        return len(self._pending)

    async def add(self, guild_id: int, query: str, result_count: int, now: datetime) -> int:
        """Queue one search for writing and return its id; never waits for the write lock."""
        search_id = self._ids.next()
        self._pending.append(LoggedSearch(search_id, guild_id, query, result_count, now))
        if len(self._pending) >= self._batch_size:
            self._wake.set()
        return search_id

    async def flush(self) -> int:
        """Write every pending row now (and wait for a batch already being written); return how many."""
        written = 0
        async with self._writing:
            while self._pending:
                batch = await self._write_batch()
                if not batch:  # it failed (and was logged): leave the rest to the next batch
                    break
                written += batch
        return written

    async def write_pending(self, tx: Transaction) -> int:
        """Write every pending row inside the caller's transaction (before it changes or reads the log)."""
        rows, self._pending = self._pending, []
        if rows:
            await self._repo.log_searches(tx, rows)
        return len(rows)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SearchLog]:
        """Run the background writer for the block; on exit, stop it and write every row still pending."""
        self._stopping = False
        task = asyncio.create_task(self._run(), name="search-log-writer")
        try:
            yield self
        finally:
            self._stopping = True
            self._wake.set()
            await task  # never cancelled mid-batch: a cancelled transaction would drop the rows it took
            await self.flush()

    async def _run(self) -> None:
        while not self._stopping:
            with suppress(TimeoutError):  # the interval is up: write what waits
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            if self._pending:
                async with self._writing:
                    await self._write_batch()

    async def _write_batch(self) -> int:
        """One transaction with every row pending when it starts; errors are logged, never raised."""
        rows: list[LoggedSearch] = []
        try:
            async with self._uow.transaction() as tx:
                rows = self._pending  # taken under the write lock, so a forget cannot miss or repeat them
                self._pending = []
                if rows:
                    await self._repo.log_searches(tx, rows)
        except sqlite3.OperationalError:  # busy or locked by another process: try again with the next batch
            log.warning("Could not write %s logged searches yet; keeping them", len(rows), exc_info=True)
            self._pending[:0] = rows
            return 0
        except Exception:
            log.exception("Dropped %s logged searches that could not be written", len(rows))
            return 0
        return len(rows)
