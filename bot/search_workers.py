"""Worker processes that answer searches and analyse documents, so search uses every core.

Python threads take turns on one interpreter lock, and SQLite's own allocator lock keeps two reader threads
well short of two cores; separate processes have neither. Each worker opens the database through its own
connections (reads only: WAL lets readers work beside the bot's writer) and builds a search engine with the
shipped glossary and lexicon. The bot's engine hands them whole searches and batches of documents to analyse
(:class:`bot.domain.search.engine.Offload`) and keeps logging and writing to itself.

Part of the composition root: it wires a database and a repository into an engine, like :mod:`bot.wiring`.
Processes are started with ``spawn`` (never ``fork``: the bot has threads) on first use or by :meth:`warm`.
A worker reads through a :class:`~bot.db.database.DirectReader` (no connection thread), so it exits as soon
as the pool stops it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from bot.clock import SystemClock
from bot.db.database import DirectReader
from bot.db.repos.knowledge import KnowledgeRepo
from bot.domain.search.engine import OffloadUnavailable, SearchEngine
from bot.domain.search.glossary import Glossary
from bot.domain.search.models import IndexRecord, NewDocument, SearchResult

log = logging.getLogger(__name__)

MAX_WORKERS = 8
RESTART_PAUSE = 60.0
"""Seconds after workers stopped or failed to start before new ones are tried (meanwhile the bot searches itself)."""
T = TypeVar("T")


class _Worker:
    """The state of one worker process: its own event loop, database connections and engine."""

    def __init__(self, path: str, fingerprint: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.db = DirectReader(path)
        self.engine = SearchEngine(self.db, KnowledgeRepo(self.db), SystemClock(), Glossary.load(), log_searches=False)
        if self.engine.fingerprint != fingerprint:  # another glossary or lexicon: its answers would differ
            raise RuntimeError(f"worker analyser {self.engine.fingerprint} differs from the bot's {fingerprint}")


_worker: _Worker | None = None
"""This process's worker state, set by :func:`_start` in worker processes only (never in the bot's process)."""


def _start(path: str, fingerprint: str) -> None:
    global _worker
    _worker = _Worker(path, fingerprint)


def _state() -> _Worker:
    if _worker is None:
        raise RuntimeError("not a search worker process")
    return _worker


def _ping() -> str:
    return _state().engine.fingerprint


def _search(guild_id: int, text: str, limit: int, lang: str | None) -> SearchResult:
    state = _state()
    return state.loop.run_until_complete(state.engine.answer(guild_id, text, limit=limit, lang=lang))


def _analyse(docs: Sequence[NewDocument]) -> list[IndexRecord]:
    return _state().engine.analyse(docs)


class SearchWorkers:
    """A pool of search worker processes (the engine's :class:`~bot.domain.search.engine.Offload`)."""

    def __init__(self, path: Path, processes: int, fingerprint: str, *, restart_pause: float = RESTART_PAUSE) -> None:
        if not 1 <= processes <= MAX_WORKERS:
            raise ValueError(f"search workers must be 1 to {MAX_WORKERS}")
        self.capacity = processes
        self._path = str(path)
        self._fingerprint = fingerprint
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._resume_at = 0.0
        self._restart_pause = restart_pause

    def _executor(self) -> ProcessPoolExecutor:
        if self._closed:
            raise OffloadUnavailable("the search workers are shut down")
        if self._pool is None and time.monotonic() < self._resume_at:
            raise OffloadUnavailable("the search workers failed a moment ago")
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.capacity,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self._path, self._fingerprint),
            )
        return self._pool

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        pool = self._executor()
        try:
            future = asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except RuntimeError as exc:  # the pool was shut down meanwhile
            raise OffloadUnavailable(str(exc)) from exc
        try:
            return await future
        except BrokenProcessPool as exc:  # a worker died, or could not start (see _Worker)
            if pool is self._pool:
                log.warning("Search workers stopped (%s); new ones in %.0f s", exc, self._restart_pause)
                self._pool = None
                self._resume_at = time.monotonic() + self._restart_pause
                pool.shutdown(wait=False, cancel_futures=True)
            raise OffloadUnavailable(str(exc)) from exc

    async def warm(self) -> bool:
        """Start every worker now (the first searches then need not wait for them); False if they cannot start."""
        try:
            found = await asyncio.gather(*(self._call(_ping) for _ in range(self.capacity)))
        except OffloadUnavailable:
            return False
        log.info("%s search workers ready (analyser %s)", self.capacity, found[0])
        return True

    async def search(self, guild_id: int, text: str, limit: int, lang: str | None) -> SearchResult:
        """A search answered by a worker."""
        return await self._call(_search, guild_id, text, limit, lang)

    async def analyse(self, docs: Sequence[NewDocument]) -> list[IndexRecord]:
        """A batch of documents analysed by a worker."""
        return await self._call(_analyse, list(docs))

    async def close(self) -> None:
        """Stop the workers (waits for calls in progress); later calls raise OffloadUnavailable."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
