"""What a digest holds: built from approved items only, and a member's personal selection of it.

:class:`ContentBuilder` reads one server's window (since the previous run's slot, until this one) in one snapshot
and makes a :class:`~bot.domain.digest.models.DigestContent` of it: new resources (top by helpfulness), one featured
resource, questions solved in the window, open questions oldest first (with the skills read from their titles),
new skill offers and needs (the skill, never the member), proposals from registered :class:`DigestSource` s, and the
three headline figures. The functions below it are pure: which of those items a subscriber gets.

Only news makes a digest (:attr:`DigestContent.empty`, :func:`~bot.domain.digest.models.is_news`): the featured
resource is chosen from every featured one and the open section lists questions of any age, so those two only
accompany a week that has something new (a featured resource approved in the window, or a question opened in it,
counts as new). A quiet week is an empty run: nothing is posted and no one gets a DM.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from bot.clock import from_iso, to_iso
from bot.domain.digest.models import (
    COULD_HELP_LIMIT,
    SECTION_LIMITS,
    SECTIONS,
    DigestContent,
    DigestItem,
    Figure,
    is_news,
)
from bot.domain.digest.schedule import parse_period
from bot.domain.routing.detect import detect_skills

if TYPE_CHECKING:
    from bot.db.database import Reader
    from bot.db.repos.digest import DigestRepo
    from bot.domain.skills.catalog import SkillCatalog

log = logging.getLogger(__name__)

POOL_SIZE: Final = 50
"""Open questions (oldest first) kept with a run for "questions you could help with"."""

SECTION_THEMES: Final[Mapping[str, str]] = {"skills": "skills", "collab": "collaboration"}
"""Sections that exist only while their theme is switched on in the server."""


class DigestSource(Protocol):
    """Something besides the built-in tables that fills a section (the collaboration board fills ``collab``).

    Items must be approved or otherwise public, carry a stable ``key`` with a prefix of the source's own
    (``"collab:12"``) and the ``theme`` they belong to (members' personal digests are filtered by it).
    """

    async def digest_items(self, guild_id: int, since: datetime, until: datetime, limit: int) -> Sequence[DigestItem]:
        """The section's items that are new in the window (``since <= created < until``), best first."""
        ...

    async def live_keys(self, guild_id: int, keys: Collection[str]) -> Collection[str]:
        """Which of these keys (of this source's items) may still be shown (not withdrawn, archived or gone)."""
        ...


@dataclass(frozen=True, slots=True)
class Built:
    """A freshly built digest and its pool of open questions for personal "could help" lists."""

    content: DigestContent
    pool: tuple[DigestItem, ...]


def _age_days(created_at: str, until: datetime) -> int:
    try:
        return max(0, (until - from_iso(created_at)).days)
    except ValueError:
        return 0


class ContentBuilder:
    """Builds a server's digest from approved items; nothing is stored here."""

    def __init__(self, repo: DigestRepo, catalog: SkillCatalog) -> None:
        self._repo = repo
        self._catalog = catalog
        self._sources: dict[str, list[DigestSource]] = {}

    def add_source(self, section: str, source: DigestSource) -> None:
        """Let ``source`` fill ``section`` (one of :data:`SECTIONS`)."""
        if section not in SECTIONS:
            raise ValueError(f"unknown digest section {section!r}")
        self._sources.setdefault(section, []).append(source)

    async def build(
        self,
        guild_id: int,
        period: str,
        since: datetime,
        until: datetime,
        *,
        locale: str,
        sections: Collection[str],
        themes: Collection[str],
    ) -> Built:
        """The digest of the window ``[since, until)`` with the server's ``sections`` and switched-on ``themes``."""
        wanted = {
            name
            for name in sections
            if name in SECTIONS and (name not in SECTION_THEMES or SECTION_THEMES[name] in themes)
        }
        limits = {name: SECTION_LIMITS[name] for name in wanted}
        rows = await self._repo.source_rows(guild_id, since, until, limits=limits, pool=POOL_SIZE)
        built: dict[str, list[DigestItem]] = {}
        fresh = [_resource("resources", r) for r in rows.resources]
        featured = _featured(rows.featured, period) if "featured" in wanted else None
        if featured is not None:
            approved = next((i.created_at for i in fresh if i.key == featured.key), None)
            if approved is not None:  # featured and new: dated by its approval, so it counts as news
                featured = replace(featured, created_at=approved)
            built["featured"] = [featured]
        if "resources" in wanted:
            built["resources"] = [i for i in fresh if featured is None or i.key != featured.key]
        if "solved" in wanted:
            built["solved"] = [
                DigestItem(
                    "solved",
                    f"post:{r['thread_id']}",
                    r["title"],
                    thread_id=int(r["thread_id"]),
                    created_at=r["solved_at"] or r["created_at"],
                )
                for r in rows.solved
            ]
        skills = self._catalog.taxonomy.all(await self._catalog.server_skills(guild_id))
        pool = tuple(
            DigestItem(
                "open",
                f"post:{r['thread_id']}",
                r["title"],
                thread_id=int(r["thread_id"]),
                skills=detect_skills(r["title"], skills),
                created_at=r["created_at"],
                score=_age_days(r["created_at"], until),
            )
            for r in rows.open
        )
        if "open" in wanted:
            built["open"] = _open_section(pool, to_iso(since), SECTION_LIMITS["open"])
        if "skills" in wanted:
            labels = {s.key: s.label(locale) for s in skills}
            built["skills"] = [_listing(r, labels) for r in rows.listings]
        for section in sorted(wanted):
            for source in self._sources.get(section, []):
                found = await source.digest_items(guild_id, since, until, SECTION_LIMITS[section])
                built.setdefault(section, []).extend(
                    item if item.section == section else _in_section(item, section) for item in found
                )
        content = DigestContent(
            guild_id=guild_id,
            period=period,
            since=to_iso(since),
            until=to_iso(until),
            run_since=to_iso(since),
            locale=locale,
            sections={
                name: tuple(_unique(built[name])[: SECTION_LIMITS[name]]) for name in SECTIONS if built.get(name)
            },
            figures=(
                Figure("solved", rows.solved_count),
                Figure("resources", rows.resources_count),
                Figure("offers", rows.offers_count),
            ),
        )
        return Built(content, pool)

    async def live_keys(self, tx: Reader, guild_id: int, items: Iterable[DigestItem], now: datetime) -> set[str]:
        """The ``section:key`` of every item that may still be shown now.

        Resources must still be approved; a solved question must still exist and an open one still be open; an
        offer or need must still be listed; other items are asked of their section's sources.
        """
        resources: set[int] = set()
        posts: set[int] = set()
        listings: set[int] = set()
        by_source: dict[str, set[str]] = {}
        items = list(items)
        for item in items:
            prefix, _, ident = item.key.partition(":")
            if prefix == "resource" and ident.isdigit():
                resources.add(int(ident))
            elif prefix == "post" and ident.isdigit():
                posts.add(int(ident))
            elif prefix in ("offer", "need") and ident.isdigit():
                listings.add(int(ident))
            else:
                by_source.setdefault(item.section, set()).add(item.key)
        live_resources, live_posts, live_listings = await self._repo.live(
            tx, guild_id, now, resources=resources, posts=posts, listings=listings
        )
        from_sources: dict[str, set[str]] = {}
        for section, keys in by_source.items():
            found: set[str] = set()
            for source in self._sources.get(section, []):
                try:
                    found.update(await source.live_keys(guild_id, keys))
                except Exception:  # a broken source drops its items; the digest goes on
                    log.exception("Digest source for %s failed to check its items in server %s", section, guild_id)
            from_sources[section] = found
        live: set[str] = set()
        for item in items:
            prefix, _, ident = item.key.partition(":")
            if prefix == "resource" and ident.isdigit():
                ok = int(ident) in live_resources
            elif prefix == "post" and ident.isdigit():
                status = live_posts.get(int(ident))
                ok = status is not None and (item.section != "open" or status == "open")
            elif prefix in ("offer", "need") and ident.isdigit():
                ok = int(ident) in live_listings
            else:
                ok = item.key in from_sources.get(item.section, set())
            if ok:
                live.add(item_id(item))
        return live


def item_id(item: DigestItem) -> str:
    """An item's identity within a digest: its section and key (a resource can be new and featured)."""
    return f"{item.section}|{item.key}"


def _unique(items: list[DigestItem]) -> list[DigestItem]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.key not in seen:
            seen.add(item.key)
            kept.append(item)
    return kept


def _in_section(item: DigestItem, section: str) -> DigestItem:
    return replace(item, section=section)


def _resource(section: str, row: Mapping[str, Any]) -> DigestItem:
    return DigestItem(
        section,
        f"resource:{row['id']}",
        row["title"],
        summary=row["summary"] or "",
        url=row["url"],
        theme=row["theme"],
        kind=row["type"],
        created_at=row["approved_at"] or "",
        score=int(row["helpful"] or 0),
    )


def _featured(rows: Sequence[Mapping[str, Any]], period: str) -> DigestItem | None:
    """One featured resource, a different one each week while there are several."""
    if not rows:
        return None
    _, week = parse_period(period)
    return _resource("featured", rows[week % len(rows)])


def _open_section(pool: Sequence[DigestItem], since: str, limit: int) -> list[DigestItem]:
    """The open questions shown: the oldest first, but a question opened in the window is never crowded out.

    When none of the ``limit`` oldest is new, the oldest question opened since ``since`` takes the last place,
    so the news that makes the digest worth posting is in it (the order stays oldest first).
    """
    shown = list(pool[:limit])
    if limit <= 0 or any(is_news(item, since) for item in shown):
        return shown
    new = next((item for item in pool[limit:] if is_news(item, since)), None)
    return shown if new is None else [*shown[: limit - 1], new]


def _listing(row: Mapping[str, Any], labels: Mapping[str, str]) -> DigestItem:
    skill = row["skill"]
    title = labels.get(skill, skill) if skill else (row["skill_text"] or "")
    return DigestItem(
        "skills",
        f"{row['kind']}:{row['id']}",
        title,
        theme="skills",
        skills=(skill,) if skill else (),
        kind=row["kind"],
        created_at=row["created_at"],
        score=int(row["n"]),
    )


# --- personal digests (pure) -----------------------------------------------------------------------------------


def personal_sections(
    snapshots: Sequence[tuple[int, DigestContent]],
    themes: Collection[str],
    live: Collection[str] | None = None,
) -> list[tuple[int, DigestItem]]:
    """A subscriber's items: those of their ``themes`` from these runs (oldest first), newest run first.

    An item in several runs counts once (the newest); items of older runs are kept only if ``live`` (a set of
    :func:`item_id`) holds them, the newest run's always. Each section stays within its limit. Returns
    (run id, item) pairs in section order.

    The selection may hold only a featured resource that is not new to the member: whether the personal digest
    is worth sending is :func:`~bot.domain.digest.models.has_news` of these items and the :func:`could_help`
    questions, with the member's own window start (see :attr:`DigestContent.empty`).
    """
    chosen: dict[str, list[tuple[int, DigestItem]]] = {name: [] for name in SECTIONS}
    seen: set[str] = set()
    newest = len(snapshots) - 1
    for index in range(newest, -1, -1):
        run_id, content = snapshots[index]
        for name in SECTIONS:
            for item in content.sections.get(name, ()):
                ident = item_id(item)
                if ident in seen or item.theme is None or item.theme not in themes:
                    continue
                if index != newest and live is not None and ident not in live:
                    continue
                if len(chosen[name]) < SECTION_LIMITS[name]:
                    seen.add(ident)
                    chosen[name].append((run_id, item))
    return [pair for name in SECTIONS for pair in chosen[name]]


def could_help(
    pool: Iterable[DigestItem],
    offered: Collection[str],
    exclude_threads: Collection[int] = (),
    limit: int = COULD_HELP_LIMIT,
) -> tuple[DigestItem, ...]:
    """Open questions (oldest first) that need a skill the member offers; never their own questions.

    They accompany a personal digest. On their own they make one only if at least one of them was opened in the
    member's window (since their previous digest; :func:`~bot.domain.digest.models.is_news`): an old open question
    alone does not DM a member every week.
    """
    if not offered:
        return ()
    found = [
        item
        for item in pool
        if item.thread_id not in exclude_threads and any(skill in offered for skill in item.skills)
    ]
    return tuple(found[:limit])
