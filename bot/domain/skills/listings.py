"""Members' offers of and needs for skills: add, list, remove, pause, find, and the moderators' figures.

Every write is one use case in one transaction, together with the jobs that remind and expire the listing.
An offer or need of a skill the member already listed replaces the old one (new details, new expiry).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from bot.clock import Clock, to_iso
from bot.domain.skills.catalog import FREE, SkillCatalog
from bot.domain.skills.models import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    FORMATS,
    LEVELS,
    MAX_PAUSE_DAYS,
    NOTE_MAX,
    REMIND_BEFORE_DAYS,
    SKILL_TEXT_MAX,
    URGENCIES,
    Found,
    Listing,
    ListingDraft,
    MatchFigures,
    Stats,
)
from bot.domain.skills.rules import check_choice, clean_text, parse_date, start_of_day
from bot.errors import Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.skills import SkillsRepo
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.skills.expiry import ExpiryService
    from bot.domain.skills.profiles import ProfileService
    from bot.domain.skills.taxonomy import Skill

MAX_LISTINGS = 20
"""Offers and needs one member may have at once in a server."""
FIND_LIMIT = 10


class ListingsService:
    """Offers and needs of one server's members, and the figures moderators see."""

    member_columns: ClassVar[tuple[str, ...]] = ("skill_listings.user_id", "skills_custom.created_by")

    def __init__(
        self,
        uow: UnitOfWork,
        repo: SkillsRepo,
        catalog: SkillCatalog,
        profiles: ProfileService,
        expiry: ExpiryService,
        guild_settings: GuildSettingsService,
        clock: Clock,
        figures: Callable[[int], Awaitable[MatchFigures]] | None = None,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._catalog = catalog
        self._profiles = profiles
        self._expiry = expiry
        self._settings = guild_settings
        self._clock = clock
        self._figures = figures
        """The introductions' figures of a server (bot/domain/introductions), for /skills stats."""

    # --- adding -------------------------------------------------------------------------------------------

    async def offer(
        self,
        guild_id: int,
        user_id: int,
        skill: str,
        *,
        level: str,
        format: str = "1:1",
        note: str | None = None,
        mentor: bool = False,
        capacity: int = 1,
    ) -> tuple[Listing, bool]:
        """Offer a skill; returns the listing and whether it is new (False: the same skill's offer was updated)."""
        check_choice(level, LEVELS, "level")
        check_choice(format, FORMATS, "format")
        if not CAPACITY_MIN <= capacity <= CAPACITY_MAX:
            raise Invalid("skills.invalid.capacity", minimum=CAPACITY_MIN, maximum=CAPACITY_MAX)
        key, text = await self._skill(guild_id, skill)
        note = clean_text(note, NOTE_MAX, "note")
        draft = ListingDraft(
            "offer", key, text, level=level, format=format, mentor=mentor, capacity=capacity, note=note
        )
        return await self._store(guild_id, user_id, draft)

    async def need(
        self,
        guild_id: int,
        user_id: int,
        skill: str,
        *,
        urgency: str = "normal",
        format: str | None = None,
        note: str | None = None,
    ) -> tuple[Listing, bool]:
        """Ask for help with a skill; returns the listing and whether it is new."""
        check_choice(urgency, URGENCIES, "urgency")
        if format is not None:
            check_choice(format, FORMATS, "format")
        key, text = await self._skill(guild_id, skill)
        draft = ListingDraft("need", key, text, urgency=urgency, format=format, note=clean_text(note, NOTE_MAX, "note"))
        return await self._store(guild_id, user_id, draft)

    async def _skill(self, guild_id: int, typed: str) -> tuple[str | None, str | None]:
        """(taxonomy key, None) when the text names a skill closely enough, else (None, the member's words)."""
        text = clean_text(typed, SKILL_TEXT_MAX, "skill", required=True)
        found = await self._catalog.resolve(guild_id, text)
        return (found.key, None) if found is not None else (None, text)

    async def _store(self, guild_id: int, user_id: int, draft: ListingDraft) -> tuple[Listing, bool]:
        expires_at = await self._expiry.expiry_from_now(guild_id)
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            existing = await self._repo.same(tx, guild_id, user_id, draft)
            if existing is not None:
                await self._expiry.unschedule(tx, existing)
                await self._repo.replace(tx, guild_id, existing.id, draft, expires_at, now)
                listing_id = existing.id
            else:
                if len(await self._repo.by_member(guild_id, user_id, tx)) >= MAX_LISTINGS:
                    raise Invalid("skills.too_many", limit=MAX_LISTINGS)
                listing_id = await self._repo.insert(tx, guild_id, user_id, draft, expires_at, now)
            await self._expiry.schedule(tx, listing_id, guild_id, user_id, to_iso(expires_at))
            stored = await self._repo.get(guild_id, listing_id, tx)
        assert stored is not None
        return stored, existing is None

    # --- the member's own ---------------------------------------------------------------------------------

    async def mine(self, guild_id: int, user_id: int) -> list[Listing]:
        """The member's offers, then needs."""
        return await self._repo.by_member(guild_id, user_id)

    def now(self) -> datetime:
        """The current moment, from the service's clock (for showing what is paused)."""
        return self._clock.now()

    def expiring_soon(self, listings: list[Listing]) -> list[Listing]:
        """The listings whose "still valid?" reminder is due: they expire within a week."""
        soon = to_iso(self._clock.now() + timedelta(days=REMIND_BEFORE_DAYS))
        return [listing for listing in listings if listing.expires_at <= soon]

    async def _own(self, tx: Transaction, guild_id: int, user_id: int, listing_id: int) -> Listing:
        listing = await self._repo.get(guild_id, listing_id, tx)
        if listing is None:
            raise NotFound("skills.listing.not_found", id=listing_id)
        if listing.user_id != user_id:
            raise Forbidden("skills.listing.not_yours")
        return listing

    async def remove(self, guild_id: int, user_id: int, listing_id: int) -> Listing:
        """Delete one of the member's offers or needs (and its reminder and expiry)."""
        async with self._uow.transaction() as tx:
            listing = await self._own(tx, guild_id, user_id, listing_id)
            await self._expiry.unschedule(tx, listing)
            await self._repo.delete(tx, guild_id, listing_id)
        return listing

    async def pause(
        self, guild_id: int, user_id: int, until: str, listing_id: int | None = None
    ) -> tuple[datetime, int]:
        """Pause one offer, or all the member's offers, until a date (in the server's time zone).

        Returns the moment the pause ends and how many offers were paused.
        """
        settings = await self._settings.get(guild_id)
        today = self._clock.now().astimezone(ZoneInfo(settings.timezone)).date()
        day = parse_date(until, today)
        if day <= today:
            raise Invalid("skills.pause.past")
        if day > today + timedelta(days=MAX_PAUSE_DAYS):
            raise Invalid("skills.pause.too_far", days=MAX_PAUSE_DAYS)
        moment = start_of_day(day, settings.timezone)
        return moment, await self._set_pause(guild_id, user_id, listing_id, moment)

    async def pause_dates(self, guild_id: int) -> list[date]:
        """Dates to offer for a pause: in one and two weeks, and in one and three months (server's time zone)."""
        settings = await self._settings.get(guild_id)
        today = self._clock.now().astimezone(ZoneInfo(settings.timezone)).date()
        return [today + timedelta(days=days) for days in (7, 14, 30, 91)]

    async def resume(self, guild_id: int, user_id: int, listing_id: int | None = None) -> int:
        """End the pause of one offer, or of all the member's offers; returns how many were changed."""
        return await self._set_pause(guild_id, user_id, listing_id, None)

    async def _set_pause(self, guild_id: int, user_id: int, listing_id: int | None, until: datetime | None) -> int:
        async with self._uow.transaction() as tx:
            if listing_id is not None:
                listing = await self._own(tx, guild_id, user_id, listing_id)
                if listing.kind != "offer":
                    raise Invalid("skills.pause.only_offers")
            changed = await self._repo.pause(tx, guild_id, user_id, listing_id, until, self._clock.now())
        if not changed:
            raise NotFound("skills.pause.no_offers")
        return changed

    # --- finding ------------------------------------------------------------------------------------------

    async def find(
        self, guild_id: int, user_id: int, text: str, limit: int = FIND_LIMIT
    ) -> tuple[Skill | None, list[Found]]:
        """Offers for a skill by members who made them visible (never the asker's own, never paused ones).

        Returns the skill the text named (None for words outside the taxonomy) and the offers: those of the
        skill itself first, then of other skills of its group. Words that name no single skill find the offers
        whose own words contain them and, as related, offers of the skills whose labels contain them.
        """
        typed = clean_text(text, SKILL_TEXT_MAX, "skill", required=True)
        skill = await self._catalog.resolve(guild_id, typed)
        now = self._clock.now()
        if skill is None:
            near = [s.key for s in await self._catalog.near(guild_id, typed)]
            offers = await self._repo.find_offers(guild_id, [], typed, user_id, now, limit)
            if near and len(offers) < limit:
                offers += await self._repo.find_offers(guild_id, near, None, user_id, now, limit - len(offers))
        else:
            every = self._catalog.taxonomy.all(await self._catalog.server_skills(guild_id))
            group = [s.key for s in every if s.group == skill.group and s.key != skill.key]
            offers = await self._repo.find_offers(guild_id, [skill.key], None, user_id, now, limit)
            if len(offers) < limit:
                offers += await self._repo.find_offers(guild_id, group, None, user_id, now, limit - len(offers))
        profiles = await self._profiles.many(guild_id, sorted({o.user_id for o in offers}))
        exact = skill.key if skill is not None else None
        found = [
            Found(o, profiles[o.user_id], o.skill == exact if exact else o.skill is None)
            for o in offers
            if o.user_id in profiles and profiles[o.user_id].visible
        ]
        return skill, found

    # --- moderators ---------------------------------------------------------------------------------------

    async def stats(self, guild_id: int) -> Stats:
        """Active offers and needs, by group, the skills members need that nobody offers, and introductions."""
        counts, paused, mentors = await self._repo.counts(guild_id, self._clock.now())
        skills = await self._catalog.server_skills(guild_id)
        by_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for count in counts:
            found = self._catalog.taxonomy.skill(count.skill, skills) if count.skill else None
            tally = by_group[found.group if found is not None else FREE]
            tally[0] += count.offers
            tally[1] += count.needs
        order = [g.id for g in self._catalog.groups] + [FREE]
        unmet = sorted(
            ((c.skill or c.skill_text or "", c.needs) for c in counts if c.needs and not c.offers),
            key=lambda x: (-x[1], x[0]),
        )
        return Stats(
            offers=sum(c.offers for c in counts),
            needs=sum(c.needs for c in counts),
            paused=paused,
            mentors=mentors,
            by_group=tuple((g, by_group[g][0], by_group[g][1]) for g in order if g in by_group),
            unmet=tuple(unmet),
            matches=await self._figures(guild_id) if self._figures is not None else MatchFigures(),
        )

    # --- privacy ------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's offers and needs, and the skills they added as a moderator."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's offers and needs; keep skills they added, without their id."""
        touched, _ = await self._repo.forget_member(tx, guild_id, user_id)
        return touched
