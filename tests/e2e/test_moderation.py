"""/mod overview, claims, "Report to moderators" and the moderators' weekly post, through the fake Discord.

Time is the frozen clock (Monday 23 November 2026, 09:00 UTC); the default digest slot is Monday 09:00
Europe/Amsterdam, so the next weekly post is due on Monday 30 November 2026 at 08:00 UTC.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.domain.moderation.models import MAX_OPEN_REPORTS
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.linkcheck import LinkChecker, LinkResult
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeMember, StoredMessage
from tests.fakediscord.rest import RequestRecord, echo_channel

Env = tuple[FakeDiscord, SteunpuntBot]
NEXT_SLOT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SUGGESTER = 900_001


class OfflineLinkChecker(LinkChecker):
    """The weekly link check without a network: every link is "could not tell", so nothing changes."""

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Answer at once, inconclusively."""
        return [LinkResult(url, None, "offline in tests") for url in urls]


async def configure(fake: FakeDiscord, bot: SteunpuntBot) -> None:
    """Moderators (role and channel) configured; link checks offline (weeks may pass)."""
    links = bot.get_cog("LinkCheckCog")
    assert links is not None
    links.checker = OfflineLinkChecker()  # type: ignore[attr-defined]
    await bot.services.guild_settings.update(
        fake.guild.id, moderator_role_id=fake.world.moderator_role.id, moderator_channel_id=fake.world.moderators.id
    )


async def suggestion(bot: SteunpuntBot, fake: FakeDiscord, title: str = "Handboek IIIF voor kleine musea") -> int:
    """A resource a member suggested (waiting for a decision)."""
    draft = make_draft(
        title=title, url="https://example.org/iiif", summary="Een gids.", theme="skills", type="guide", language="nl"
    )
    return (await bot.services.library.suggest(fake.guild.id, SUGGESTER, draft)).id


async def mira(fake: FakeDiscord) -> FakeMember:
    """A second moderator, whose Discord is in English."""
    return await fake.add_member("mira", locale="en-GB", roles=[fake.world.moderator_role])


def weekly_posts(fake: FakeDiscord) -> list[StoredMessage]:
    """The weekly overviews in the moderators' channel (the queue cards there are not)."""
    return [m for m in fake.messages(fake.world.moderators) if "mod:open" in m.custom_ids]


@pytest.mark.parametrize(
    ("who", "expect"),
    [
        ("maud", ["Moderatie-overzicht", "Voorgestelde bronnen: 1", "Gemelde berichten: 1", "Kapotte links: 0"]),
        ("mira", ["Moderation overview", "Resource suggestions: 1", "Reported messages: 1", "Broken links: 0"]),
    ],
    ids=["nl", "en"],
)
async def test_overview_shows_every_queue_with_its_count(steunpunt: Env, who: str, expect: list[str]) -> None:
    """A moderator sees every queue with its count, ephemerally, in their language; nothing pings."""
    fake, bot = steunpunt
    await configure(fake, bot)
    await suggestion(bot, fake)
    await bot.services.moderation.report(
        fake.guild.id,
        channel_id=1,
        message_id=2,
        jump_url="https://discord.com/channels/1/1/2",
        reporter_id=3,
        reason=None,
    )
    member = fake.moderator if who == "maud" else await mira(fake)
    shown = await fake.slash("mod overview", user=member)
    assert shown.ephemeral and shown.message.pings == []
    for text in expect:
        assert text in shown.message.embed_text
    assert "mod:open" in shown.message.custom_ids


async def test_a_member_who_is_not_a_moderator_is_refused(steunpunt: Env) -> None:
    """Discord hides /mod from members; if a server opens it, the bot still refuses, in the member's language."""
    fake, bot = steunpunt
    await configure(fake, bot)
    fake.permission_overrides.update({"mod"})
    refused = await fake.slash("mod overview", user=fake.alice)
    assert refused.ephemeral and refused.content == bot.i18n.t("errors.not_moderator", "nl")
    refused = await fake.slash("mod overview", user=fake.bob)
    assert refused.content == bot.i18n.t("errors.not_moderator", "en")


async def test_the_first_opener_claims_and_the_second_sees_who(steunpunt: Env) -> None:
    """Maud opens the suggestion first and claims it; Mira opening it sees "claimed by @maud" (without a ping)."""
    fake, bot = steunpunt
    await configure(fake, bot)
    resource_id = await suggestion(bot, fake)
    value = f"suggestions:{resource_id}"
    first = await fake.slash("mod overview", user=fake.moderator)
    opened = await fake.click(first.message, "mod:open", user=fake.moderator, values=[value])
    assert opened.ephemeral and "Je hebt dit item opgepakt" in opened.content
    assert "opgepakt door jou" in opened.message.embed_text
    assert f"mod:release:suggestions:{resource_id}" in opened.message.custom_ids

    second = await mira(fake)
    theirs = await fake.slash("mod overview", user=second)
    assert f"claimed by <@{fake.moderator.id}>" in theirs.message.embed_text
    seen = await fake.click(theirs.message, "mod:open", user=second, values=[value])
    assert "Another moderator claimed this item first" in seen.content
    assert f"claimed by <@{fake.moderator.id}> <t:" in seen.message.embed_text and seen.message.pings == []

    released = await fake.click(seen.message, f"mod:release:suggestions:{resource_id}", user=second)
    assert "Released" in released.content and released.message.pings == []
    again = await fake.click(theirs.message, "mod:open", user=second, values=[value])
    assert "You claimed this item" in again.content


async def test_the_pick_menu_still_answers_after_a_restart(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """The overview's menu is persistent: after a restart, picking an item still opens (and claims) it; once the
    item is dealt with, picking it says so."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        await configure(fake, bot)
        resource_id = await suggestion(bot, fake)
        shown = await fake.slash("mod overview", user=fake.moderator)
    async with launch() as bot:
        opened = await fake.click(shown.message, "mod:open", user=fake.moderator, values=[f"suggestions:{resource_id}"])
        assert opened.ephemeral and "Je hebt dit item opgepakt" in opened.content
        assert "Handboek IIIF" in opened.message.embed_text
        await bot.services.library.approve(fake.guild.id, resource_id, fake.moderator.id)
        gone = await fake.click(shown.message, "mod:open", user=fake.moderator, values=[f"suggestions:{resource_id}"])
        assert gone.ephemeral and gone.content == bot.i18n.t("moderation.item_gone", "nl")


async def test_a_member_reports_a_message_through_the_context_menu(steunpunt: Env) -> None:
    """The form asks an optional reason; the member is thanked privately; a second report is refused;
    the moderators see it and resolve it. The message's text is stored nowhere."""
    fake, bot = steunpunt
    await configure(fake, bot)
    message = await fake.post_message(fake.world.general, fake.bob, "Koop nu goedkope horloges via mijn site")
    opened = await fake.context_menu("Report to moderators", message, user=fake.alice)
    assert opened.modal is not None
    thanked = await fake.submit_modal(opened.modal, {"reason": "reclame"}, user=fake.alice)
    assert thanked.ephemeral and "Dank je: de moderatoren kijken ernaar" in thanked.content
    again = await fake.context_menu("Report to moderators", message, user=fake.alice)
    assert again.ephemeral and again.content == bot.i18n.t("moderation.report.already", "nl")

    with sqlite3.connect(bot.settings.database_path) as conn:
        rows = conn.execute("SELECT * FROM moderation_reports").fetchall()
    assert len(rows) == 1 and not any("horloges" in str(value) for value in rows[0])

    shown = await fake.slash("mod overview", user=fake.moderator)
    assert "Gemelde berichten: 1" in shown.message.embed_text and "reclame" not in shown.message.embed_text
    report_id = rows[0][0]
    opened_item = await fake.click(shown.message, "mod:open", user=fake.moderator, values=[f"reports:{report_id}"])
    assert "reclame" in opened_item.message.embed_text
    assert f"/{fake.world.general.id}/{message.id}" in opened_item.message.embed_text
    resolved = await fake.click(opened_item.message, f"mod:report:resolve:{report_id}", user=fake.moderator)
    assert resolved.content == bot.i18n.t("moderation.report.resolved", "nl", id=report_id)
    assert "Gemelde berichten: 0" in (await fake.slash("mod overview", user=fake.moderator)).message.embed_text


async def test_the_weekly_post_appears_once_at_the_local_hour(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock
) -> None:
    """At the server's digest weekday and hour the overview is posted in the moderators' channel, once, however
    often the jobs run and across a restart."""
    fake = fake_discord
    async with launch() as bot:
        await configure(fake, bot)
        await suggestion(bot, fake)
        await bot.run_jobs()
        assert weekly_posts(fake) == []
        clock.advance(NEXT_SLOT - clock.now() - timedelta(minutes=1))
        await bot.run_jobs()
        assert weekly_posts(fake) == []
        clock.advance(timedelta(minutes=1))
        await bot.run_jobs()
        await bot.run_jobs()
        posts = weekly_posts(fake)
        assert len(posts) == 1
        assert "Wekelijks overzicht voor moderatoren (2026-W49)" in posts[0].embed_text
        assert "Voorgestelde bronnen: 1" in posts[0].embed_text and posts[0].pings == []
    async with launch() as bot:
        await bot.run_jobs()
        clock.advance(timedelta(hours=1))
        await bot.run_jobs()
        assert len(weekly_posts(fake)) == 1
        opened = await fake.click(
            posts[0],
            "mod:open",
            user=fake.moderator,
            values=[posts[0].components[0]["components"][0]["options"][0]["value"]],
        )
        assert "Je hebt dit item opgepakt" in opened.content


async def test_no_weekly_post_when_every_queue_is_empty(steunpunt: Env, clock: FixedClock) -> None:
    """A week with nothing waiting posts nothing (and is recorded, so it is not tried again)."""
    fake, bot = steunpunt
    await configure(fake, bot)
    clock.advance(NEXT_SLOT - clock.now())
    await bot.run_jobs()
    await bot.run_jobs()
    assert weekly_posts(fake) == []
    with sqlite3.connect(bot.settings.database_path) as conn:
        assert conn.execute("SELECT period, status FROM moderation_runs").fetchall() == [("2026-W49", "empty")]


async def solved_post(bot: SteunpuntBot, fake: FakeDiscord, thread_id: int, title: str) -> None:
    """A help post a member marked solved (an FAQ proposal until promoted or declined)."""
    services = bot.services
    post = HelpPost(thread_id, fake.guild.id, fake.world.forum.id, SUGGESTER, title)
    assert await services.qa.post_opened(post)
    await services.qa.mark_solution(
        fake.guild.id,
        thread_id,
        marker_id=SUGGESTER,
        is_moderator=False,
        answer_message_id=thread_id + 1,
        answer_author_id=fake.bob.id,
        answer_text="Koel, donker en droog bewaren.",
    )


async def test_a_moderator_decides_an_faq_proposal_is_not_for_the_faq(steunpunt: Env) -> None:
    """From /mod overview Maud opens a solved post: it offers "Maak er een FAQ van" (the forum's promote button,
    which opens the FAQ form) and "Niet voor de FAQ"; the latter takes the post out of the queue for good (audited),
    and pressing it again says the item no longer waits."""
    fake, bot = steunpunt
    await configure(fake, bot)
    await solved_post(bot, fake, 700_001, "Hoe bewaren we glasnegatieven?")
    await solved_post(bot, fake, 700_011, "Welke scanner voor dia's?")
    shown = await fake.slash("mod overview", user=fake.moderator)
    assert "FAQ-voorstellen (opgeloste vragen): 2" in shown.message.embed_text

    opened = await fake.click(shown.message, "mod:open", user=fake.moderator, values=["faq_proposals:700001"])
    assert opened.ephemeral and "Hoe bewaren we glasnegatieven?" in opened.message.embed_text
    decide = "mod:decide:faq_proposals:not_faq:700001"
    assert {"qa:promote:700001", decide, "mod:release:faq_proposals:700001"} <= set(opened.message.custom_ids)
    labels = [c.get("label") for row in opened.message.components for c in row["components"]]
    assert "Niet voor de FAQ" in labels and "Maak er een FAQ van" in labels
    promote = await fake.click(opened.message, "qa:promote:700001", user=fake.moderator)
    assert promote.modal is not None  # promoting is one click away (the FAQ form, prefilled)

    decided = await fake.click(opened.message, decide, user=fake.moderator)
    assert decided.ephemeral and decided.content == bot.i18n.t("moderation.decided.not_faq", "nl")
    after = await fake.slash("mod overview", user=fake.moderator)
    assert "FAQ-voorstellen (opgeloste vragen): 1" in after.message.embed_text
    assert "glasnegatieven" not in after.message.embed_text and "Welke scanner" in after.message.embed_text
    again = await fake.click(opened.message, decide, user=fake.moderator)
    assert again.ephemeral and again.content == bot.i18n.t("moderation.item_gone", "nl")
    with sqlite3.connect(bot.settings.database_path) as conn:
        audited = conn.execute("SELECT actor_id, target_id FROM audit_log WHERE action = 'moderation.not_faq'")
        assert audited.fetchall() == [(fake.moderator.id, "700001")]


async def test_the_weekly_post_lists_the_heaviest_knowledge_gaps(steunpunt: Env, clock: FixedClock) -> None:
    """With every queue empty, open knowledge gaps still make the weekly post: the heaviest first, escaped, with
    how many asked; nothing pings."""
    fake, bot = steunpunt
    await configure(fake, bot)
    gaps = bot.services.gaps
    for asker in (900_010, 900_011, 900_012):
        await gaps.record_own(fake.guild.id, asker, "subsidie voor een escape room in het depot", "no_result")
    await gaps.record_own(fake.guild.id, 900_010, "microfilm **conserveren** @everyone in de kelder", "no_result")
    clock.advance(NEXT_SLOT - clock.now())
    await bot.run_jobs()
    await bot.run_jobs()
    posts = [m for m in fake.messages(fake.world.moderators) if "Wekelijks overzicht voor moderatoren" in m.embed_text]
    assert len(posts) == 1 and posts[0].pings == [] and "mod:open" not in posts[0].custom_ids
    text = posts[0].embed_text
    assert "Kennisgaten: 2 open" in text and "Deze week: 2 nieuw, 0 beantwoord" in text
    heaviest = text.index("subsidie voor een escape room in het depot · 3 vrager(s)")
    assert heaviest < text.index("microfilm \\*\\*conserveren\\*\\*")


def weekly_sends(fake: FakeDiscord) -> list[RequestRecord]:
    """The requests that sent a weekly post (with a run's nonce) to the moderators' channel."""
    sent = fake.requests_to("POST", rf"/channels/{fake.world.moderators.id}/messages$")
    return [r for r in sent if str((r.body or {}).get("nonce", "")).startswith("modweek")]


def _write(bot: SteunpuntBot, sql: str) -> None:
    with sqlite3.connect(bot.settings.database_path) as conn:
        conn.execute(sql)


def _rows(bot: SteunpuntBot, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(bot.settings.database_path) as conn:
        return list(conn.execute(sql))


def _move(fake: FakeDiscord, clock: FixedClock, delta: timedelta) -> None:
    """Time passes, for the bot and for Discord (whose nonces are remembered for a few minutes only)."""
    clock.advance(delta)
    fake.advance(delta.total_seconds())


async def _posted_but_not_recorded(fake: FakeDiscord, bot: SteunpuntBot, clock: FixedClock) -> StoredMessage:
    """The week's post reached Discord, but the attempt ended before the bot recorded it (a time-out or a 5xx on
    a send Discord created): the run is left ``posting`` and its job is retried."""
    await configure(fake, bot)
    await suggestion(bot, fake)
    _move(fake, clock, NEXT_SLOT - clock.now())
    await bot.run_jobs()
    await bot.run_jobs()
    [post] = weekly_posts(fake)
    _write(bot, "UPDATE moderation_runs SET status = 'posting', message_id = NULL, posted_at = NULL")
    _write(bot, "UPDATE jobs SET status = 'pending', finished_at = NULL WHERE kind = 'moderation.post'")
    return post


async def test_a_weekly_post_retried_after_the_nonce_window_is_found_not_posted_again(
    steunpunt: Env, clock: FixedClock
) -> None:
    """The retry comes ten minutes later for the bot and for Discord, past Discord's nonce window (the job's
    backoff goes well beyond it): the job first reads the moderators' channel, finds its post of the period there
    and records it; nothing is posted twice (a re-send with the nonce alone would have been a second post)."""
    fake, bot = steunpunt
    post = await _posted_but_not_recorded(fake, bot, clock)
    _move(fake, clock, timedelta(minutes=10))
    assert timedelta(minutes=10).total_seconds() > fake.nonce_window
    await bot.run_jobs()
    assert weekly_posts(fake) == [post]
    assert len(weekly_sends(fake)) == 1
    assert fake.requests_to("GET", rf"/channels/{fake.world.moderators.id}/messages")  # looked before sending
    assert _rows(bot, "SELECT status, message_id FROM moderation_runs") == [("posted", post.id)]


async def test_a_weekly_post_retried_within_the_nonce_window_is_answered_by_discord(
    steunpunt: Env, clock: FixedClock
) -> None:
    """A retry a minute later re-sends with the run's nonce; Discord answers with the post it already has (no
    need to read the channel), and the run records that post."""
    fake, bot = steunpunt
    post = await _posted_but_not_recorded(fake, bot, clock)
    _move(fake, clock, timedelta(minutes=1))
    await bot.run_jobs()
    assert weekly_posts(fake) == [post] and fake.deduplicated == [post.id]
    assert not fake.requests_to("GET", rf"/channels/{fake.world.moderators.id}/messages")
    assert _rows(bot, "SELECT status, message_id FROM moderation_runs") == [("posted", post.id)]


async def test_an_older_weeks_post_is_not_taken_for_this_weeks(steunpunt: Env, clock: FixedClock) -> None:
    """Last week's post is in the channel; this week's first send fails (503, nothing created) and its retry comes
    after the nonce window: the lookup does not mistake last week's post for this week's, which is posted."""
    fake, bot = steunpunt
    await configure(fake, bot)
    await suggestion(bot, fake)
    _move(fake, clock, NEXT_SLOT - clock.now())
    await bot.run_jobs()
    await bot.run_jobs()
    [last_week] = weekly_posts(fake)
    fake.fail_next("POST", rf"/channels/{fake.world.moderators.id}/messages$", status=503)
    _move(fake, clock, timedelta(days=7))
    await bot.run_jobs()
    await bot.run_jobs()
    assert weekly_posts(fake) == [last_week]
    _move(fake, clock, timedelta(minutes=10))
    await bot.run_jobs()
    posts = weekly_posts(fake)
    assert len(posts) == 2 and posts[0] == last_week and "(2026-W50)" in posts[1].embed_text
    assert fake.requests_to("GET", rf"/channels/{fake.world.moderators.id}/messages")  # looked before sending
    assert _rows(bot, "SELECT period, status, message_id FROM moderation_runs ORDER BY period") == [
        ("2026-W49", "posted", last_week.id),
        ("2026-W50", "posted", posts[1].id),
    ]


async def test_a_member_with_too_many_open_reports_is_refused_privately(steunpunt: Env) -> None:
    """Alice has the maximum of open reports: reporting one more message answers, only to her and in her language,
    that she should wait; no form opens and nothing is stored. Once a moderator dealt with one, she may again."""
    fake, bot = steunpunt
    await configure(fake, bot)
    moderation = bot.services.moderation
    reports = [
        await moderation.report(
            fake.guild.id,
            channel_id=fake.world.general.id,
            message_id=800_000 + n,
            jump_url=f"https://discord.com/channels/{fake.guild.id}/{fake.world.general.id}/{800_000 + n}",
            reporter_id=fake.alice.id,
            reason=None,
        )
        for n in range(MAX_OPEN_REPORTS)
    ]
    message = await fake.post_message(fake.world.general, fake.bob, "Nog een bericht")
    refused = await fake.context_menu("Report to moderators", message, user=fake.alice)
    assert refused.type == 4 and refused.ephemeral  # a message, not the form
    assert refused.content == bot.i18n.t("moderation.report.too_many", "nl", limit=MAX_OPEN_REPORTS)
    assert _rows(bot, "SELECT count(*) FROM moderation_reports") == [(MAX_OPEN_REPORTS,)]
    await moderation.dismiss_report(fake.guild.id, reports[0].id, fake.moderator.id)
    opened = await fake.context_menu("Report to moderators", message, user=fake.alice)
    assert opened.modal is not None


async def _unanswered(bot: SteunpuntBot, fake: FakeDiscord) -> int:
    return (await bot.services.moderation.overview(fake.guild.id)).queue("unanswered").count


async def test_a_locked_or_deleted_help_post_leaves_the_unanswered_queue(steunpunt: Env) -> None:
    """An open post waits in the queue. A moderator locking it in Discord (no answer can come) takes it out, with
    Maud's claim; unlocking puts it back. Closing (archiving) alone keeps it: Discord archives quiet posts itself.
    Deleting the post takes it out for good."""
    fake, bot = steunpunt
    await configure(fake, bot)
    await bot.services.guild_settings.update(fake.guild.id, help_forum_id=fake.world.forum.id)
    thread = await fake.create_forum_post(fake.alice, "Wie kent een goede restaurator?", "Voor een schilderij.")
    await fake.wait_until(
        lambda: _rows(bot, "SELECT count(*) FROM help_posts") == [(1,)] or None, what="the help post recorded"
    )
    assert await _unanswered(bot, fake) == 1
    await bot.services.moderation.open_item(fake.guild.id, "unanswered", str(thread.id), fake.moderator.id)

    thread.archived = True
    await echo_channel(fake, "THREAD_UPDATE", thread)
    thread.locked = True
    await echo_channel(fake, "THREAD_UPDATE", thread)
    locked = "SELECT outcome, decided_by FROM moderation_decisions WHERE queue = 'unanswered'"
    await fake.wait_until(lambda: _rows(bot, locked) == [("locked", None)] or None, what="the post locked")
    assert await _unanswered(bot, fake) == 0
    assert _rows(bot, "SELECT count(*) FROM moderation_claims") == [(0,)]

    thread.locked = False
    await echo_channel(fake, "THREAD_UPDATE", thread)
    await fake.wait_until(lambda: _rows(bot, locked) == [] or None, what="the post unlocked")
    assert await _unanswered(bot, fake) == 1  # archived, unlocked: still waiting for an answer

    await fake.dispatch(
        "THREAD_DELETE",
        {"id": str(thread.id), "guild_id": str(fake.guild.id), "parent_id": str(fake.world.forum.id), "type": 11},
    )
    await fake.wait_until(
        lambda: _rows(bot, "SELECT count(*) FROM help_posts") == [(0,)] or None, what="the help post removed"
    )
    assert await _unanswered(bot, fake) == 0
