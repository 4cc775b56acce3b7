"""The digest's jobs that need Discord: the channel post and the fan-out of personal digests by DM.

Both are claimed in the database before anything is sent, and every message carries a nonce (discord.py then
sends ``enforce_nonce``): a retry after a crash sends the same nonce again and Discord answers with the message
it already has, so nobody gets anything twice. A failure of one recipient, or of the channel, is recorded and
never stops the rest; the moderators' channel hears once per run, with counts, when something failed.

The fan-out is paced by a token bucket (:mod:`bot.pacing`) shared by all its requests (opening DM channels and
sending), so it stays under Discord's global limit; 429s that still come are handled by discord.py.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Final

import aiohttp
import discord

from bot.domain.digest.models import FANOUT_JOB, POST_JOB
from bot.domain.digest.service import REPORT_JOB
from bot.domain.jobs import RetryLater
from bot.pacing import Pacer
from bot.render.digest import digest_messages
from cogs.digest._items import unsubscribe_view

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.digest.models import Delivery
    from bot.domain.jobs import Job
    from bot.render.digest import DigestMessage
    from bot.services import Services

log = logging.getLogger(__name__)

BATCH: Final = 200
"""Deliveries claimed at a time: few pauses between batches (each costs the pacer a moment), and a crash leaves
at most a few seconds of sends to take over."""
CONCURRENCY: Final = 8
"""Deliveries sent at the same time within a batch; the pacer, not this, sets the rate."""
RETRY_RELEASED: Final = timedelta(minutes=5)
"""When only deliveries that failed in passing are left, the fan-out job tries again this much later."""
FANOUT_ELSEWHERE_WAIT: Final = timedelta(seconds=30)
"""While another process fans out digests, this one looks again this much later."""
TAKEOVER_MARGIN: Final = timedelta(seconds=5)
"""Waiting for another worker's claims: look again this long after they run out."""
FANOUT_LEASE: Final = timedelta(minutes=2)
"""The fan-out job's lease (renewed by the runner while it runs): a crashed worker's job is taken over soon."""
POST_ATTEMPTS: Final = 8
"""Attempts of the channel post (backoff 30 s doubling: about an hour) before it is recorded as failed."""
LOOKUP_LIMIT: Final = 50
"""Recent messages read to find a digest an earlier attempt sent (after the member's or channel's previous one)."""
UNKNOWN_USER, UNKNOWN_CHANNEL, CANNOT_DM = 10013, 10003, 50007
_PASSING = (discord.DiscordServerError, discord.RateLimited, asyncio.TimeoutError, aiohttp.ClientError, OSError)
"""Failures that may go away: the delivery is given back and sent later."""
TOO_MANY_REQUESTS: Final = 429
"""A 429 that discord.py stopped retrying: passing too (the delivery is given back)."""


class NothingToSend(Exception):
    """A personal digest renders to nothing (its items are gone): recorded as failed, nothing is sent."""


class DigestJobs:
    """Handlers of ``digest.post``, ``digest.fanout`` and ``digest.report`` on the given services."""

    def __init__(self, bot: SteunpuntBot, services: Services | None = None, pacer: Pacer | None = None) -> None:
        self.bot = bot
        self.services = services or bot.services
        self.pacer = pacer or Pacer()
        """Shared by every fan-out of this process; tests may swap it for a faster one."""

    def register(self) -> None:
        """Register the handlers with the services' job runner."""
        runner = self.services.job_runner
        runner.register(POST_JOB, self.post, lease=timedelta(minutes=2), max_attempts=POST_ATTEMPTS)
        runner.register(FANOUT_JOB, self.fanout, lease=FANOUT_LEASE)
        runner.register(REPORT_JOB, self.report, lease=timedelta(minutes=2))

    async def _server_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else str(guild_id)

    # --- the channel post -------------------------------------------------------------------------------------

    async def post(self, job: Job) -> None:
        """Post the run's channel digest once; a deleted channel or a missing permission is recorded, not retried.

        Each part's id is recorded as soon as it is sent, so a retry sends only the parts still missing (and,
        when the first attempt is older than Discord's nonce window, first looks in the channel for a part that
        was sent but not recorded). A passing failure (5xx, time-out) raises, so the job is retried with the same
        nonces; on the job's last attempt the post is recorded as failed instead, and the run is reported.
        """
        digest = self.services.digest
        run = await digest.due_post(job)
        if run is None or not await digest.claim_post(run):
            return
        if run.channel_id is None:
            await digest.post_failed(run, "no channel")
            await digest.finish_run(run.id)
            return
        server = await self._server_name(run.guild_id)
        messages = digest_messages(
            run.content, i18n=self.bot.i18n, guild_name=server, guild_id=run.guild_id, personal=False
        )
        channel = self.bot.get_partial_messageable(run.channel_id, guild_id=run.guild_id)
        ids = list(run.message_ids)[: len(messages)]
        try:
            if len(ids) < len(messages) and digest.post_needs_lookup(run):
                after = ids[-1] if ids else await digest.previous_post(run)
                found = await self._find_sent(channel, after, messages[len(ids) :])
                if found:
                    log.info("Digest run %s: %d part(s) found posted already", run.id, len(found))
                    ids += found
                    await digest.posted_part(run, ids)
            for part in range(len(ids), len(messages)):
                sent = await channel.send(
                    embeds=messages[part].embeds,
                    nonce=run.nonce(part),
                    allowed_mentions=messages[part].allowed_mentions,
                )
                ids.append(sent.id)
                if part < len(messages) - 1:
                    await digest.posted_part(run, ids)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("Server %s: the digest could not be posted (%s %s)", run.guild_id, exc.status, exc.code)
            await digest.post_failed(run, _reason(exc))
        except _PASSING as exc:
            if job.attempts < job.max_attempts:
                raise
            reason = _reason(exc) if isinstance(exc, discord.HTTPException) else type(exc).__name__
            log.warning("Server %s: the digest post gave up after %d attempts (%s)", run.guild_id, job.attempts, reason)
            await digest.post_failed(run, f"{reason} ({job.attempts}x)")
        else:
            await digest.posted(run, ids)
        await digest.finish_run(run.id)

    async def _find_sent(
        self, channel: discord.PartialMessageable, after: int | None, messages: list[DigestMessage]
    ) -> list[int]:
        """Ids of the leading ``messages`` this bot already sent to ``channel`` after message ``after``.

        An earlier attempt may have sent them longer ago than Discord deduplicates nonces; they are recognised
        by author and first embed title, in order. Read only when allowed (nothing found otherwise).
        """
        me = self.bot.user.id if self.bot.user is not None else None
        await self.pacer.acquire()
        try:
            if after is not None:
                recent = [m async for m in channel.history(limit=LOOKUP_LIMIT, after=discord.Object(after))]
            else:
                recent = [m async for m in channel.history(limit=LOOKUP_LIMIT)]
        except discord.Forbidden:
            return []
        found: list[int] = []
        for message in sorted(recent, key=lambda m: m.id):
            if len(found) == len(messages) or message.author.id != me or not message.embeds:
                continue
            wanted = messages[len(found)].embeds
            if wanted and message.embeds[0].title == wanted[0].title:
                found.append(message.id)
        return found

    # --- the fan-out ------------------------------------------------------------------------------------------

    async def fanout(self, job: Job) -> None:
        """Send the run's personal digests batch by batch until none is left, then report failures once.

        Claims are in the database, short and renewed while a batch is sent: a crash leaves claimed deliveries
        that a retry takes over within a minute or so, re-sending with the same nonce (or, when the first attempt
        is older than Discord's nonce window, first looking in the DM channel for the digest); a clean shutdown
        gives its unfinished claims back at once. Deliveries given back after a passing failure are tried again
        in a later batch (least tried first); when nothing else is left, the job tries again later, and after
        a few attempts they are failed, so the run always finishes and is reported.
        """
        run_id = int(job.payload["run_id"])
        digest = self.services.digest
        worker = self.services.job_runner.worker_id
        if await self.services.jobs.running_elsewhere(FANOUT_JOB, worker):
            # the pacer is per process: two processes fanning out at once could together pass Discord's global
            # limit, so one process fans out at a time (a run waits for the other process's to end)
            raise RetryLater(FANOUT_ELSEWHERE_WAIT, "another process is sending digests")
        released: set[int] = set()
        limit = asyncio.Semaphore(CONCURRENCY)
        unfinished: dict[int, Delivery] = {}
        sending: set[asyncio.Task[None]] = set()

        async def one(delivery: Delivery) -> None:
            async with limit:
                if not await self._deliver(delivery):
                    released.add(delivery.id)
            unfinished.pop(delivery.id, None)

        renewal = asyncio.create_task(self._renew(unfinished, worker), name="steunpunt-digest-renew")
        try:
            while True:
                # the next batch is claimed while the last sends of this one are still out, so the pacer never
                # waits for a batch boundary (a claim is a write: waiting for it 50 times cost 4 % of the rate)
                while len(sending) > CONCURRENCY:
                    await self._one_finished(sending)
                batch = await digest.claim_deliveries(run_id, worker, BATCH)
                if not batch:
                    if not sending:
                        break
                    await self._finish_sending(sending)  # then look again: a send may have given its delivery back
                    continue
                if all(delivery.id in released for delivery in batch):  # only passing failures left
                    await self._finish_sending(sending)
                    await self._give_back(batch)
                    raise RetryLater(RETRY_RELEASED, "digest deliveries failed in passing")
                for delivery in batch:
                    unfinished[delivery.id] = delivery
                    sending.add(asyncio.create_task(one(delivery), name="steunpunt-digest-send"))
        except BaseException:
            # shutting down, or a send failed unexpectedly: stop the others; whoever runs the job next sends
            # what is unfinished at once (a DM that went out meanwhile is answered from its nonce)
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            await self._give_back(list(unfinished.values()))
            raise
        finally:
            renewal.cancel()
        if await digest.finish_run(run_id) is not None:
            return
        held = await digest.held_for(run_id)
        if held is not None:
            # Another worker holds deliveries of this run (still sending, or stopped while it was): look again
            # once its claims ran out; whoever finishes the last one reports.
            raise RetryLater(held + TAKEOVER_MARGIN, "digest deliveries held by another worker")

    @staticmethod
    async def _one_finished(sending: set[asyncio.Task[None]]) -> None:
        """Wait until one or more of the sends out finished and take them out of ``sending``.

        An unexpected error in one of them is raised: it ends the fan-out, and the job is tried again.
        """
        done, _ = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
        sending.difference_update(done)
        for task in done:
            task.result()

    @classmethod
    async def _finish_sending(cls, sending: set[asyncio.Task[None]]) -> None:
        """Wait for every send still out (see :meth:`_one_finished`)."""
        while sending:
            await cls._one_finished(sending)

    async def _renew(self, unfinished: dict[int, Delivery], worker: str) -> None:
        """While a batch is sent, renew its claims every third of the lease (a takeover waits only for a crash)."""
        digest = self.services.digest
        while True:
            await asyncio.sleep(digest.claim_lease.total_seconds() / 3)
            try:
                await digest.renew(list(unfinished.values()), worker)
            except Exception:
                log.exception("Could not renew the claims of a digest batch")

    async def _give_back(self, deliveries: list[Delivery]) -> None:
        """Release claims this fan-out will not finish (best effort: their claims run out anyway)."""
        for delivery in deliveries:
            try:
                await self.services.digest.release(delivery)
            except Exception:
                log.exception("Could not give back digest delivery %s; it is taken over later", delivery.id)

    async def _deliver(self, delivery: Delivery) -> bool:
        """Send one personal digest; False when it was given back after a passing failure."""
        digest = self.services.digest
        try:
            channel_id, message_id = await self._send(delivery)
        except NothingToSend:
            await digest.delivery_failed(delivery, "nothing left to send")
            return True
        except discord.HTTPException as exc:
            if isinstance(exc, discord.DiscordServerError) or exc.status == TOO_MANY_REQUESTS:
                # a 429 that outlasted discord.py's own retries is passing too: never lose the week's digest to it
                log.info("Digest DM %s failed in passing (%s); it is sent later", delivery.id, exc.status)
                await digest.release(delivery)
                return False
            if exc.code == CANNOT_DM:
                await digest.unreachable(delivery)
            else:
                log.info("Digest DM %s failed for good (%s %s)", delivery.id, exc.status, exc.code)
                await digest.delivery_failed(delivery, _reason(exc))
            return True
        except _PASSING as exc:
            log.info("Digest DM %s failed in passing (%s); it is sent later", delivery.id, type(exc).__name__)
            await digest.release(delivery)
            return False
        await digest.delivered(delivery, message_id, channel_id)
        return True

    async def _send(self, delivery: Delivery) -> tuple[int, int]:
        """Send a personal digest; returns the DM channel used and the first message's id.

        A DM channel is remembered as soon as it is opened. A remembered DM channel that Discord no longer knows
        is opened afresh, once. A takeover or retry later than Discord's nonce window first looks in the DM
        channel for the parts sent already and sends only the rest.
        """
        digest = self.services.digest
        content = await digest.delivery_content(delivery)
        server = await self._server_name(delivery.guild_id)
        messages = digest_messages(
            content, i18n=self.bot.i18n, guild_name=server, guild_id=delivery.guild_id, personal=True
        )
        if not messages:  # every item of an older run it gathered was deleted meanwhile
            raise NothingToSend
        view = unsubscribe_view(self.bot, delivery.guild_id, delivery.user_id, content.locale)
        channel_id = delivery.dm_channel_id
        fresh = channel_id is None
        lookup = digest.needs_lookup(delivery)
        while True:
            if channel_id is None:
                channel_id = await self._open_dm(delivery.user_id)
                await digest.dm_channel_opened(delivery, channel_id)
            channel = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
            try:
                ids: list[int] = []
                if lookup:
                    ids = await self._find_sent(channel, await digest.previous_message(delivery), messages)
                    if ids:
                        log.info("Digest DM %s: %d part(s) found sent already", delivery.id, len(ids))
                for part in range(len(ids), len(messages)):
                    message = messages[part]
                    await self.pacer.acquire()
                    sent = await channel.send(
                        embeds=message.embeds,
                        view=view if part == len(messages) - 1 else discord.utils.MISSING,
                        nonce=delivery.nonce if part == 0 else f"{delivery.nonce}.{part}",
                        allowed_mentions=message.allowed_mentions,
                    )
                    ids.append(sent.id)
                return channel_id, ids[0]
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_CHANNEL or fresh:
                    raise
                fresh, channel_id = True, None  # the remembered DM channel is gone: open a new one, once

    async def _open_dm(self, user_id: int) -> int:
        """Open (or find) the DM channel with a member: one paced request."""
        await self.pacer.acquire()
        data = await self.bot.http.start_private_message(user_id)
        return int(data["id"])

    # --- the moderators' report -------------------------------------------------------------------------------

    async def report(self, job: Job) -> None:
        """Tell the moderators' channel once per run, with counts (the job is enqueued when the report is claimed).

        Its nonce is the run's (``dr<run id>``); a passing failure raises, so the job is retried.
        """
        report = await self.services.digest.report(int(job.payload["run_id"]))
        if report is None or not report.has_failures:
            return
        settings = await self.services.guild_settings.get(report.guild_id)
        if settings.moderator_channel_id is None:
            log.warning("Server %s: digest %s had failures and no moderators' channel", report.guild_id, report.period)
            return
        locale = settings.locale or self.bot.settings.default_locale
        t = self.bot.i18n.t
        lines = [
            t("digest.report.title", locale, period=report.period),
            t("digest.report.counts", locale, sent=report.sent, unreachable=report.unreachable, failed=report.failed),
        ]
        if report.channel_error is not None:
            lines.append(t("digest.report.channel_failed", locale, reason=report.channel_error))
        elif report.channel_posted:
            lines.append(t("digest.report.channel_ok", locale))
        channel = self.bot.get_partial_messageable(settings.moderator_channel_id, guild_id=report.guild_id)
        try:
            await channel.send(
                "\n".join(lines)[:2000], nonce=f"dr{report.run_id}", allowed_mentions=discord.AllowedMentions.none()
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("Server %s: could not post the digest report (%s)", report.guild_id, exc.status)


def _reason(exc: discord.HTTPException) -> str:
    """A short, stable reason for the records (no message text)."""
    return f"{exc.status} {exc.code}"
