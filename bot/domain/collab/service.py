"""The collaboration board's use cases: propose, edit, list, join, answer, close, remove, expire.

Every use case writes in one transaction: the proposal's row, its expiry job (``collab.expire`` at the deadline,
rescheduled when an edit moves the deadline), the audit entry of a moderator's removal, and the notices (plus a
job that sends them by DM to members who opted in). Telling an owner about a request to join is a job of its own
(``collab.ask``, handled by the cog): a DM with Accept / Decline when they opted in, else a notice; the owner
answers with those buttons or in ``/collab show``. The service is also the board's privacy provider and the
digest's source of the ``collab`` section (new open proposals).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock, from_iso, to_iso
from bot.domain.collab.models import (
    ASK_JOB,
    EXPIRE_JOB,
    NOTE_MAX,
    OUTCOMES,
    REASON_MAX,
    TELL_JOB,
    Answered,
    Board,
    Draft,
    OwnerAsk,
    Partner,
    Proposal,
)
from bot.domain.collab.rules import check_deadline, check_draft, clean, deadline_moment, local_today, parse_date
from bot.domain.digest.models import DigestItem
from bot.domain.qa_models import Page
from bot.errors import Conflict, Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.audit import AuditRepo
    from bot.db.repos.collab import CollabRepo
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.job_runner import JobRunner
    from bot.domain.jobs import Job, JobService
    from bot.domain.members import MembersService

log = logging.getLogger(__name__)

PER_PAGE = 5
KEY_PREFIX = "collab:"
"""Digest items of the board are keyed ``collab:<proposal id>``."""


def expire_key(proposal_id: int, deadline_at: str) -> str:
    """The dedupe key of a proposal's expiry job for one deadline moment."""
    return f"{EXPIRE_JOB}:{proposal_id}:{deadline_at}"


def notice_params(proposal: Proposal) -> dict[str, Any]:
    """What every notice about a proposal shows: its number and title."""
    return {"id": proposal.id, "title": proposal.title}


class CollabService:
    """Members' collaboration proposals in one server, and the requests to join them."""

    member_columns: ClassVar[tuple[str, ...]] = (
        "collab_proposals.owner_id",
        "collab_proposals.removed_by",
        "collab_partners.member_id",
    )

    def __init__(
        self,
        uow: UnitOfWork,
        repo: CollabRepo,
        *,
        guild_settings: GuildSettingsService,
        members: MembersService,
        jobs: JobService,
        audit: AuditRepo,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._repo = repo
        self._settings = guild_settings
        self._members = members
        self._jobs = jobs
        self._audit = audit
        self._clock = clock

    def register_jobs(self, runner: JobRunner) -> None:
        """Handle the expiry job (telling the owner, which may need Discord, is registered by the cog)."""
        runner.register(EXPIRE_JOB, self.expire, lease=timedelta(minutes=1))

    # --- proposing and editing -----------------------------------------------------------------------------------

    async def _checked(self, guild_id: int, draft: Draft, keep_date: str | None = None) -> tuple[Draft, datetime]:
        """The cleaned draft (its deadline as an ISO date) and the moment it closes itself.

        An unchanged deadline (``keep_date``) is not checked again, so a proposal can be edited on its last day.
        """
        settings = await self._settings.get(guild_id)
        checked = check_draft(draft, settings.themes)
        day = parse_date(checked.deadline)
        if day.isoformat() != keep_date:
            check_deadline(day, local_today(self._clock.now(), settings.timezone))
        final = Draft(checked.title, checked.goal, checked.partners, checked.themes, day.isoformat())
        return final, deadline_moment(day, settings.timezone)

    async def propose(self, guild_id: int, owner_id: int, draft: Draft) -> Proposal:
        """Put a proposal on the board, with its expiry job at the deadline."""
        final, deadline_at = await self._checked(guild_id, draft)
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            proposal_id = await self._repo.insert(tx, guild_id, owner_id, final, deadline_at, now)
            await self._schedule(tx, guild_id, proposal_id, owner_id, to_iso(deadline_at))
            stored = await self._repo.get(guild_id, proposal_id, tx)
        assert stored is not None
        log.info("A member proposed collaboration %s in server %s", proposal_id, guild_id)
        return stored

    async def edit(
        self, guild_id: int, user_id: int, proposal_id: int, draft: Draft, expected_version: int
    ) -> Proposal:
        """The owner changes an open proposal; a new deadline moves its expiry job (in the same transaction)."""
        current = await self.get(guild_id, proposal_id)
        _own(current, user_id)
        final, deadline_at = await self._checked(guild_id, draft, keep_date=current.deadline_date)
        async with self._uow.transaction() as tx:
            before = await self._repo.get(guild_id, proposal_id, tx)
            if before is None:
                raise NotFound("collab.not_found")
            _own(before, user_id)
            _still_open(before)
            if before.version != expected_version:
                raise Conflict("collab.edit.stale")
            if not await self._repo.edit(tx, before, final, deadline_at, self._clock.now()):
                raise Conflict("collab.edit.stale")
            if to_iso(deadline_at) != before.deadline_at:
                await self._jobs.cancel(tx, expire_key(before.id, before.deadline_at))
                await self._schedule(tx, guild_id, before.id, before.owner_id, to_iso(deadline_at))
            stored = await self._repo.get(guild_id, proposal_id, tx)
        assert stored is not None
        return stored

    async def _schedule(self, tx: Transaction, guild_id: int, proposal_id: int, owner_id: int, deadline: str) -> None:
        # the payload names the owner, so forgetting them drops the job as well
        payload = {"proposal_id": proposal_id, "deadline_at": deadline, "user_id": owner_id}
        await self._jobs.enqueue(
            tx,
            EXPIRE_JOB,
            payload,
            run_at=from_iso(deadline),
            dedupe_key=expire_key(proposal_id, deadline),
            guild_id=guild_id,
        )

    # --- reading -------------------------------------------------------------------------------------------------

    async def get(self, guild_id: int, proposal_id: int) -> Proposal:
        """One proposal of this server (any status); NotFound otherwise."""
        found = await self._repo.get(guild_id, proposal_id)
        if found is None:
            raise NotFound("collab.not_found")
        return found

    async def board(self, guild_id: int, proposal_id: int, viewer_id: int) -> Board:
        """A proposal with its accepted partners, and the waiting requests when the viewer is its owner.

        A removed proposal is shown to its owner only (others get NotFound).
        """
        proposal = await self.get(guild_id, proposal_id)
        if proposal.status == "removed" and proposal.owner_id != viewer_id:
            raise NotFound("collab.not_found")
        partners = await self._repo.partners(guild_id, proposal_id)
        accepted = tuple(p for p in partners if p.status == "accepted")
        mine = proposal.owner_id == viewer_id and proposal.open
        pending = tuple(p for p in partners if p.status == "pending") if mine else ()
        return Board(proposal, accepted, pending)

    async def open_page(self, guild_id: int, theme: str | None, page: int, per_page: int = PER_PAGE) -> Page[Proposal]:
        """One page of open proposals (of ``theme`` if given) whose deadline has not passed, nearest first.

        One past its deadline is left out even while its expiry job has not run yet (the bot was down).
        """
        now = self._clock.now()
        items, total = await self._repo.open_page(guild_id, theme, max(page, 0) * per_page, per_page, now)
        return Page(items, page, max(1, math.ceil(total / per_page)), total)

    async def lookup(self, guild_id: int, text: str, owner_id: int | None = None, limit: int = 25) -> list[Proposal]:
        """For autocomplete: open proposals before their deadline (and ``owner_id``'s own) by number or title words."""
        wanted = " ".join(text.strip().lstrip("#").split())[:100]
        return await self._repo.lookup(guild_id, wanted, owner_id, limit, self._clock.now())

    # --- joining ---------------------------------------------------------------------------------------------

    async def join(self, guild_id: int, member_id: int, proposal_id: int) -> Partner:
        """Ask to join an open proposal before its deadline; its owner is told by a job (a DM with buttons or a notice).

        A proposal past its deadline is refused as expired, also while its expiry job has not run yet.
        """
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            proposal = await self._repo.get(guild_id, proposal_id, tx)
            if proposal is None or proposal.status == "removed":
                raise NotFound("collab.not_found")
            _still_open(proposal)
            if from_iso(proposal.deadline_at) <= now:
                raise Conflict("collab.not_open.expired", id=proposal.id)
            if proposal.owner_id == member_id:
                raise Invalid("collab.join.own")
            partner_id = await self._repo.join(tx, guild_id, proposal_id, member_id, now)
            if partner_id is None:
                raise Conflict("collab.join.already")
            payload = {"partner_id": partner_id, "user_id": proposal.owner_id}
            await self._jobs.enqueue(tx, ASK_JOB, payload, dedupe_key=f"{ASK_JOB}:{partner_id}", guild_id=guild_id)
            partner = await self._repo.partner(guild_id, partner_id, tx)
        assert partner is not None
        return partner

    async def due_ask(self, job: Job) -> OwnerAsk | None:
        """The request an ask job is about, if its owner must still be told (else None: nothing to do)."""
        if job.guild_id is None:
            return None
        partner = await self._repo.partner(job.guild_id, int(job.payload["partner_id"]))
        if partner is None or partner.status != "pending" or partner.told is not None:
            return None
        proposal = await self._repo.get(job.guild_id, partner.proposal_id)
        if proposal is None or not proposal.open:
            return None
        return OwnerAsk(proposal, partner, await self._members.dm_opt_in(job.guild_id, proposal.owner_id))

    async def asked_by_dm(self, ask: OwnerAsk) -> bool:
        """Record that the owner got the request by DM; False if they were told before."""
        async with self._uow.transaction() as tx:
            return await self._repo.mark_told(tx, ask.partner.guild_id, ask.partner.id, "dm", self._clock.now())

    async def ask_by_notice(self, ask: OwnerAsk) -> bool:
        """Tell the owner on their next command instead (no DM opt-in, or the DM failed); False if done before."""
        partner, proposal = ask.partner, ask.proposal
        async with self._uow.transaction() as tx:
            if not await self._repo.mark_told(tx, partner.guild_id, partner.id, "notice", self._clock.now()):
                return False
            params = {**notice_params(proposal), "member": partner.member_id}
            await self._members.add_notice(tx, partner.guild_id, proposal.owner_id, "collab.notice.request", params)
        return True

    async def answer(self, guild_id: int, owner_id: int, partner_id: int, accept: bool) -> Answered:
        """The owner accepts (listed as a partner) or declines a request; the member is told either way."""
        async with self._uow.transaction() as tx:
            partner = await self._repo.partner(guild_id, partner_id, tx)
            proposal = None if partner is None else await self._repo.get(guild_id, partner.proposal_id, tx)
            if partner is None or proposal is None:
                raise NotFound("collab.request_gone")
            _own(proposal, owner_id)
            if not proposal.open or not await self._repo.answer(tx, guild_id, partner_id, accept, self._clock.now()):
                return Answered("gone", proposal, partner)
            key = "collab.notice.accepted" if accept else "collab.notice.declined"
            await self._tell(tx, guild_id, partner.member_id, key, {**notice_params(proposal), "owner": owner_id})
            stored = await self._repo.partner(guild_id, partner_id, tx)
        return Answered("accepted" if accept else "declined", proposal, stored)

    # --- ending --------------------------------------------------------------------------------------------------

    async def close(self, guild_id: int, owner_id: int, proposal_id: int, outcome: str, note: str | None) -> Proposal:
        """The owner closes an open proposal with its outcome; accepted partners are told."""
        if outcome not in OUTCOMES:
            raise Invalid("collab.invalid.outcome")
        text = clean(note or "", NOTE_MAX, field="note", required=False) or None
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            proposal = await self._open(tx, guild_id, proposal_id)
            _own(proposal, owner_id)
            await self._repo.end(tx, guild_id, proposal_id, "closed", now, outcome=outcome, note=text)
            await self._jobs.cancel(tx, expire_key(proposal.id, proposal.deadline_at))
            for partner in await self._repo.partners(guild_id, proposal_id, tx):
                if partner.status == "accepted":
                    key = f"collab.notice.closed_{outcome}"
                    await self._tell(tx, guild_id, partner.member_id, key, notice_params(proposal))
            stored = await self._repo.get(guild_id, proposal_id, tx)
        assert stored is not None
        return stored

    async def remove(self, guild_id: int, moderator_id: int, proposal_id: int, reason: str) -> Proposal:
        """A moderator takes a proposal off the board (the caller checked the role): audited, owner told.

        Any status but removed: a closed or expired proposal is still shown by ``/collab show``, so it can be
        removed too (a closed one's outcome and note go with it). Only an open one has an expiry job to cancel.
        The audit entry keeps no member-written text (a forgotten owner's title would stay behind there): just
        the proposal's number and its previous status.
        """
        why = clean(reason, REASON_MAX, field="reason")
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            proposal = await self._repo.get(guild_id, proposal_id, tx)
            if proposal is None:
                raise NotFound("collab.not_found")
            if proposal.status == "removed":
                raise Conflict("collab.not_open.removed", id=proposal.id)
            if not await self._repo.remove(
                tx, guild_id, proposal_id, proposal.status, now, removed_by=moderator_id, reason=why
            ):
                raise Conflict("collab.not_open.removed", id=proposal.id)
            if proposal.open:
                await self._jobs.cancel(tx, expire_key(proposal.id, proposal.deadline_at))
            await self._audit.record(
                tx,
                guild_id=guild_id,
                actor_id=moderator_id,
                action="collab.remove",
                target_type="collab",
                target_id=str(proposal_id),
                before={"id": proposal.id, "status": proposal.status},
                after={"status": "removed"},
                reason=why,
                now=now,
            )
            params = {**notice_params(proposal), "reason": why}
            await self._tell(tx, guild_id, proposal.owner_id, "collab.notice.removed", params)
            stored = await self._repo.get(guild_id, proposal_id, tx)
        assert stored is not None
        log.info("A moderator removed collaboration proposal %s in server %s", proposal_id, guild_id)
        return stored

    async def expire(self, job: Job) -> None:
        """Handle an expiry job: close the proposal if it is still open with that deadline; tell owner and partners.

        Idempotent: a proposal closed, removed or given another deadline meanwhile is left alone.
        """
        if job.guild_id is None:
            return
        guild_id, deadline = job.guild_id, str(job.payload.get("deadline_at"))
        now = self._clock.now()
        async with self._uow.transaction() as tx:
            proposal = await self._repo.get(guild_id, int(job.payload["proposal_id"]), tx)
            if proposal is None or not proposal.open or proposal.deadline_at != deadline:
                return
            if from_iso(deadline) > now:  # run early by hand: not yet
                return
            await self._repo.end(tx, guild_id, proposal.id, "expired", now)
            await self._tell(tx, guild_id, proposal.owner_id, "collab.notice.expired", notice_params(proposal))
            for partner in await self._repo.partners(guild_id, proposal.id, tx):
                if partner.status == "accepted":
                    key = "collab.notice.expired_partner"
                    await self._tell(tx, guild_id, partner.member_id, key, notice_params(proposal))
        log.info("Collaboration proposal %s of server %s reached its deadline", proposal.id, guild_id)

    async def _open(self, tx: Transaction, guild_id: int, proposal_id: int) -> Proposal:
        proposal = await self._repo.get(guild_id, proposal_id, tx)
        if proposal is None or proposal.status == "removed":
            raise NotFound("collab.not_found")
        _still_open(proposal)
        return proposal

    async def _tell(self, tx: Transaction, guild_id: int, user_id: int, key: str, params: dict[str, Any]) -> None:
        """A notice for the member (shown on their next command) and a job that DMs it if they opted in."""
        await self._members.add_notice(tx, guild_id, user_id, key, params)
        await self._jobs.enqueue(
            tx, TELL_JOB, {"user_id": user_id}, dedupe_key=f"{TELL_JOB}:{guild_id}:{user_id}", guild_id=guild_id
        )

    # --- the digest's source of the "collab" section ---------------------------------------------------------

    async def digest_items(self, guild_id: int, since: datetime, until: datetime, limit: int) -> Sequence[DigestItem]:
        """Proposals made in the window that are still open (their deadline after the window and now), nearest first."""
        return [
            DigestItem(
                "collab",
                f"{KEY_PREFIX}{p.id}",
                p.title,
                summary=p.goal,
                theme=p.theme,
                created_at=p.created_at,
            )
            for p in await self._repo.new_open(guild_id, since, until, limit, self._clock.now())
        ]

    async def live_keys(self, guild_id: int, keys: Collection[str]) -> Collection[str]:
        """Which of these keys are of proposals still open (closed, expired, removed and past deadline drop out)."""
        ids = {
            int(ident): key
            for key in keys
            if key.startswith(KEY_PREFIX) and (ident := key.removeprefix(KEY_PREFIX)).isascii() and ident.isdigit()
        }
        return {ids[found] for found in await self._repo.open_among(guild_id, ids, self._clock.now())}

    # --- privacy -------------------------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's proposals, their requests to join, and the proposals they removed as a moderator."""
        return await self._repo.export_member(guild_id, user_id)

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's proposals (and their jobs) and requests; keep removals without their id."""
        for proposal_id, deadline in await self._repo.owned(tx, guild_id, user_id):
            await self._jobs.cancel(tx, expire_key(proposal_id, deadline))
        return await self._repo.forget_member(tx, guild_id, user_id)


def _own(proposal: Proposal, user_id: int) -> None:
    if proposal.owner_id != user_id:
        raise Forbidden("collab.not_owner")


def _still_open(proposal: Proposal) -> None:
    if not proposal.open:
        raise Conflict(f"collab.not_open.{proposal.status}", id=proposal.id)
