"""Offers and needs expire after the server's period unless their owner says "still valid" after the reminder."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.domain.jobs import Job
from bot.domain.skills.expiry import EXPIRE_JOB, REMIND_JOB, job_key
from bot.domain.skills.models import Listing
from bot.services import Services

GUILD = 10
ALICE = 1


async def _job(services: Services, kind: str, listing: Listing) -> Job:
    job = await services.jobs.find_active(job_key(kind, listing.id, listing.expires_at))
    assert job is not None, f"no {kind} job for #{listing.id}"
    return job


async def test_an_offer_gets_a_reminder_and_an_expiry_job(services: Services, clock: FixedClock) -> None:
    """Default 60 days: the reminder is due a week before, the expiry at the end."""
    offer, _ = await services.skills.listings.offer(GUILD, ALICE, "iiif", level="basic")
    assert offer.expires_at == "2027-01-22T09:00:00+00:00"
    remind = await _job(services, REMIND_JOB, offer)
    expire = await _job(services, EXPIRE_JOB, offer)
    assert remind.run_at == clock.now() + timedelta(days=53)
    assert expire.run_at == clock.now() + timedelta(days=60)
    assert remind.payload["user_id"] == ALICE  # forgetting the member drops the jobs too


async def test_the_server_setting_sets_the_period(services: Services) -> None:
    """skills_expiry_days applies to offers and needs made after it changed."""
    await services.guild_settings.update(GUILD, skills_expiry_days=14)
    need, _ = await services.skills.listings.need(GUILD, ALICE, "iiif")
    assert need.expires_at == "2026-12-07T09:00:00+00:00"


async def test_without_still_valid_it_expires_once_with_a_notice(services: Services, clock: FixedClock) -> None:
    """At the expiry the listing is removed and its owner is told on their next command; a second run does nothing."""
    offer, _ = await services.skills.listings.offer(GUILD, ALICE, "iiif", level="basic")
    clock.advance(timedelta(days=60))
    await services.job_runner.run_due()
    assert await services.skills.listings.mine(GUILD, ALICE) == []
    notices = await services.members.take_notices(GUILD, ALICE)
    assert [n.key for n in notices] == ["skills.notice.expired_offer"]
    assert notices[0].params["id"] == offer.id and notices[0].params["skill"] == "Beeldinteroperabiliteit (IIIF)"
    clock.advance(timedelta(days=1))
    await services.job_runner.run_due()
    assert await services.members.take_notices(GUILD, ALICE) == []


async def test_still_valid_moves_the_expiry_and_the_old_jobs_do_nothing(services: Services, clock: FixedClock) -> None:
    """Extended a week before: it survives the old expiry moment and expires at the new one."""
    offer, _ = await services.skills.listings.offer(GUILD, ALICE, "iiif", level="basic")
    clock.advance(timedelta(days=53))
    extended = await services.skills.expiry.extend(GUILD, ALICE, offer.id)
    assert extended.expires_at == "2027-03-16T09:00:00+00:00" and extended.reminded_at is None
    assert await services.jobs.find_active(job_key(EXPIRE_JOB, offer.id, offer.expires_at)) is None
    clock.advance(timedelta(days=7))
    await services.job_runner.run_due()
    assert [x.id for x in await services.skills.listings.mine(GUILD, ALICE)] == [offer.id]
    clock.advance(timedelta(days=60))
    await services.job_runner.run_due()
    assert await services.skills.listings.mine(GUILD, ALICE) == []


async def test_a_reminder_by_notice_is_recorded_once(services: Services, clock: FixedClock) -> None:
    """Without a DM opt-in the reminder waits as a notice, once; after "still valid" a new one is due later."""
    need, _ = await services.skills.listings.need(GUILD, ALICE, "fundraising")
    clock.advance(timedelta(days=53))
    job = await _job(services, REMIND_JOB, need)
    reminder = await services.skills.expiry.due_reminder(job)
    assert reminder is not None and not reminder.dm
    assert await services.skills.expiry.remind_by_notice(reminder)
    assert not await services.skills.expiry.remind_by_notice(reminder)
    assert await services.skills.expiry.due_reminder(job) is None
    notices = await services.members.take_notices(GUILD, ALICE)
    assert [n.key for n in notices] == ["skills.notice.remind_need"]
    extended = await services.skills.expiry.extend(GUILD, ALICE, need.id)
    assert await services.skills.expiry.due_reminder(job) is None  # the old moment's job has nothing to do
    assert await _job(services, REMIND_JOB, extended)


async def test_a_member_who_opted_in_is_reminded_by_dm(services: Services, clock: FixedClock) -> None:
    """The reminder says to send a direct message when the owner opted in to them."""
    await services.members.set_dm_opt_in(GUILD, ALICE, True)
    offer, _ = await services.skills.listings.offer(GUILD, ALICE, "iiif", level="basic")
    reminder = await services.skills.expiry.due_reminder(await _job(services, REMIND_JOB, offer))
    assert reminder is not None and reminder.dm
    assert await services.skills.expiry.mark_reminded(reminder)
    assert not await services.skills.expiry.mark_reminded(reminder)
