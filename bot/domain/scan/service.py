"""The self-scan's use cases: start or resume, answer one question at a time, complete, report, ask for help.

Every answer is stored in its own transaction as it is given, so a member can stop at any point and
``/scan start`` continues at the next unanswered question, also after a restart. Completing stores the mean
per dimension and the organisation of the member's profile at that moment. The report compares the latest
completed scan with the one before it, shows the average of the OTHER members who named the same organisation
(the viewer left out, and only when at least three of them completed a scan: organisation names are typed by
members themselves, so with fewer anyone could work out a colleague's own scores from the average and their
own), and for the weakest dimensions finds library resources and drafts a skill need the member can confirm.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock
from bot.domain.scan.instrument import SCALE, Dimension, Instrument
from bot.domain.scan.models import Completed, HelpAsked, OrganisationPicture, Report, Scan, Step
from bot.domain.scan.scoring import average, changes, from_means, next_question, score, weakest
from bot.domain.search.analysis import fold
from bot.errors import Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.scan import ScanRepo
    from bot.domain.library import LibraryService
    from bot.domain.resources import Resource
    from bot.domain.skills.listings import ListingsService
    from bot.domain.skills.profiles import ProfileService

log = logging.getLogger(__name__)

RESOURCES_PER_DIMENSION = 3
ORGANISATION_MINIMUM = 3
"""An organisation's picture is shown only when at least this many OTHER members (the viewer not counted) who
named it completed a scan: k-anonymity, so no single colleague's scores can be recovered from the average."""


def organisation_key(name: str | None) -> str | None:
    """How an organisation's name is compared: folded, spaces collapsed (None for no name)."""
    if not name:
        return None
    key = " ".join(fold(name).split())
    return key or None


class ScanService:
    """Members' digital-maturity self-scans in one server."""

    member_columns: ClassVar[tuple[str, ...]] = ("maturity_scans.user_id",)

    def __init__(
        self,
        uow: UnitOfWork,
        repo: ScanRepo,
        instrument: Instrument,
        profiles: ProfileService,
        library: LibraryService,
        listings: ListingsService,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self.instrument = instrument
        self._profiles = profiles
        self._library = library
        self._listings = listings
        self._clock = clock

    # --- answering ----------------------------------------------------------------------------------------------

    async def start(self, guild_id: int, user_id: int) -> Step:
        """Resume the member's open scan at its next unanswered question, or start a new one at question 1."""
        async with self._uow.transaction() as tx:
            scan = await self._repo.open_scan(guild_id, user_id, tx)
            resumed = scan is not None
            if scan is None:
                scan_id = await self._repo.insert(tx, guild_id, user_id, self.instrument.version, self._clock.now())
                scan = await self._repo.get(guild_id, scan_id, tx)
                assert scan is not None
        number = next_question(self.instrument, scan.answers) or self.instrument.size
        return self._step(scan, number, resumed=resumed and bool(scan.answers))

    async def answer(self, guild_id: int, user_id: int, scan_id: int, number: int, value: int) -> Step | Completed:
        """Store the answer to question ``number``; return the next unanswered question, or the completed scan."""
        question = self.instrument.question(number)
        if question is None or value not in SCALE:
            raise Invalid("scan.bad_answer")
        profile = await self._profiles.get(guild_id, user_id)
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            scan = await self._open(tx, guild_id, user_id, scan_id)
            answers = {**scan.answers, question.id: value}
            await self._repo.set_answers(tx, scan.id, answers, now)
            following = next_question(self.instrument, answers, after=number)
            if following is None:
                scores = score(self.instrument, answers)
                means = {s.dimension: s.mean for s in scores}
                name = profile.organisation
                await self._repo.complete(tx, scan.id, means, name, organisation_key(name), now)
            stored = await self._repo.get(guild_id, scan.id, tx)
        assert stored is not None
        if following is None:
            log.info("A member completed self-scan %s in server %s", scan_id, guild_id)
            return Completed(stored, scores)
        return self._step(stored, following)

    async def show(self, guild_id: int, user_id: int, scan_id: int, number: int) -> Step:
        """Question ``number`` of the member's open scan (to go back to it), with the answer given so far."""
        scan = await self._open(None, guild_id, user_id, scan_id)
        return self._step(scan, min(max(number, 1), self.instrument.size))

    async def where(self, guild_id: int, user_id: int, scan_id: int) -> Step:
        """Where the member's open scan continues (the next unanswered question), e.g. after they stop."""
        scan = await self._open(None, guild_id, user_id, scan_id)
        return self._step(scan, next_question(self.instrument, scan.answers) or self.instrument.size)

    async def _open(self, tx: Transaction | None, guild_id: int, user_id: int, scan_id: int) -> Scan:
        scan = await self._repo.get(guild_id, scan_id, tx)
        if scan is None:
            raise NotFound("scan.not_found")
        if scan.user_id != user_id:
            raise Forbidden("scan.not_yours")
        if scan.status != "open":
            raise Invalid("scan.already_completed")
        return scan

    def _step(self, scan: Scan, number: int, *, resumed: bool = False) -> Step:
        question = self.instrument.question(number)
        assert question is not None
        answered = sum(1 for q in self.instrument.questions if q.id in scan.answers)
        return Step(scan, question, scan.answers.get(question.id), answered, self.instrument.size, resumed)

    # --- results ------------------------------------------------------------------------------------------------

    async def report(self, guild_id: int, user_id: int) -> Report:
        """The member's latest completed scan with the change since the one before, and help for its weakest parts.

        Also the average of the other members of their organisation (when enough of them completed a scan) and
        library resources for the weakest dimensions; NotFound when the member completed no scan.
        """
        completed = await self._repo.completed(guild_id, user_id, limit=2)
        if not completed:
            raise NotFound("scan.results.none")
        current = completed[0]
        previous = completed[1] if len(completed) > 1 else None
        scores = from_means(self.instrument, current.means or {})
        weak = weakest(scores)
        resources = {s.dimension: await self.resources_for(guild_id, s.dimension) for s in weak}
        return Report(
            current=current,
            scores=scores,
            previous=previous,
            changes=changes(scores, previous.means or {}) if previous is not None else {},
            weakest=weak,
            resources=resources,
            organisation=await self._organisation(guild_id, current),
        )

    async def _organisation(self, guild_id: int, scan: Scan) -> OrganisationPicture | None:
        key = organisation_key(scan.organisation)
        if key is None or scan.organisation is None:
            return None
        members = await self._repo.organisation_means(guild_id, key)
        others = [means for user_id, means in members.items() if user_id != scan.user_id]
        if len(others) < ORGANISATION_MINIMUM:
            return None
        return OrganisationPicture(scan.organisation, len(others), average(others))

    async def resources_for(
        self, guild_id: int, dimension_id: str, limit: int = RESOURCES_PER_DIMENSION
    ) -> list[Resource]:
        """Approved library resources for a dimension: a search on its words, else its theme's featured first."""
        dimension = self._dimension(dimension_id)
        found = await self._library.search(guild_id, dimension.search, limit=limit)
        if not found:
            found = (await self._library.browse(guild_id, dimension.theme, 0, per_page=limit)).items
        return found[:limit]

    def _dimension(self, dimension_id: str) -> Dimension:
        dimension = self.instrument.dimension(dimension_id)
        if dimension is None:
            raise NotFound("scan.help.unknown_dimension")
        return dimension

    # --- asking for help ----------------------------------------------------------------------------------------

    async def help_draft(self, guild_id: int, user_id: int, scan_id: int, dimension_id: str) -> tuple[Dimension, float]:
        """The dimension a member asks help with, and its score in their completed scan (for the draft they confirm)."""
        dimension = self._dimension(dimension_id)
        scan = await self._completed(guild_id, user_id, scan_id)
        return dimension, (scan.means or {}).get(dimension.id, float(SCALE[0]))

    async def ask_help(self, guild_id: int, user_id: int, scan_id: int, dimension_id: str, note: str) -> HelpAsked:
        """Store the confirmed draft as a skill need (through the skills listings) and find offers that match it."""
        dimension, _ = await self.help_draft(guild_id, user_id, scan_id, dimension_id)
        need, created = await self._listings.need(guild_id, user_id, dimension.help_skill, note=note)
        _, offers = await self._listings.find(guild_id, user_id, dimension.help_skill)
        return HelpAsked(need, created, offers)

    async def _completed(self, guild_id: int, user_id: int, scan_id: int) -> Scan:
        scan = await self._repo.get(guild_id, scan_id)
        if scan is None:
            raise NotFound("scan.not_found")
        if scan.user_id != user_id:
            raise Forbidden("scan.not_yours")
        if scan.status != "completed":
            raise Invalid("scan.not_completed")
        return scan

    # --- privacy ------------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every self-scan of the member in this server, with answers, means and organisation."""
        return {"maturity_scans": await self._repo.export_member(guild_id, user_id)}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's scans (an organisation's picture then no longer counts them)."""
        return await self._repo.forget_member(tx, guild_id, user_id)
