"""Routing through the wire: an unanswered help post is offered, by DM or notice, to one fitting member at a time.

Members are set up as members do it (/privacy dm, /profile set, /skills offer); time moves with the frozen clock
and ``bot.run_jobs()``, never with sleeps.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.routing.models import DELIVER_JOB
from tests.domain.test_privacy import _find_everywhere
from tests.fakediscord import FakeDiscord, FakeMember, StoredMessage

Env = tuple[FakeDiscord, SteunpuntBot]
IIIF = "Hoe zetten we een IIIF-server op voor onze scans?"


@pytest.fixture
async def routed(steunpunt: Env) -> Env:
    """A server with a help forum; Alice (the asker) lives in Limburg."""
    fake, bot = steunpunt
    world = fake.world
    await bot.services.guild_settings.update(
        fake.guild.id, help_forum_id=world.forum.id, moderator_role_id=world.moderator_role.id
    )
    await fake.slash("profile set", user=fake.alice, region="limburg")
    return fake, bot


async def helper(fake: FakeDiscord, member: FakeMember, *, askable: bool = True, dm: bool = True, **offer: Any) -> None:
    """A member who offers IIIF (expert), opted in to being asked and to DMs unless told otherwise."""
    if dm:
        await fake.slash("privacy dm", user=member, allow=True)
    await fake.slash("profile set", user=member, askable=askable)
    await fake.slash("skills offer", user=member, skill="iiif", **{"level": "expert", **offer})


async def post(fake: FakeDiscord, bot: SteunpuntBot, title: str = IIIF) -> Any:
    """Alice opens a help-forum post; returns the thread once the bot has recorded it."""
    thread = await fake.create_forum_post(fake.alice, title, "Wie weet hoe dat moet?")
    for _ in range(200):
        if await bot.services.qa.post(fake.guild.id, thread.id) is not None:
            return thread
        await asyncio.sleep(0.01)  # the bot handles THREAD_CREATE
    raise AssertionError("the post was not recorded")


async def later(bot: SteunpuntBot, clock: FixedClock, hours: float = 12) -> None:
    """Let ``hours`` pass and run what became due, until nothing is left (a job may enqueue the next).

    Jobs a button kicked off in the background finish first, so nothing is still on its way afterwards.
    """
    clock.advance(timedelta(hours=hours))
    for _ in range(3):
        kicks = [t for t in asyncio.all_tasks() if t.get_name() == "steunpunt-jobs-kick" and not t.done()]
        if kicks:
            await asyncio.wait(kicks, timeout=5)
        await bot.run_jobs()


def bot_said(fake: FakeDiscord, thread: Any, bot: SteunpuntBot) -> list[StoredMessage]:
    """What the bot posted in a thread (its suggestion embeds aside)."""
    assert bot.user is not None
    return [m for m in fake.messages(thread) if m.author_id == bot.user.id and m.content and not m.deleted]


async def test_only_a_fitting_opted_in_member_is_asked_and_the_rest_get_the_coach(
    routed: Env, clock: FixedClock
) -> None:
    """Bob is asked by DM; Carol (opted out) and Dave (paused) never; with Bob busy, the asker gets her coach."""
    fake, bot = routed
    carol, dave = await fake.add_member("carol", locale="nl"), await fake.add_member("dave", locale="en-GB")
    await helper(fake, carol, askable=False)
    await helper(fake, dave)
    await fake.slash("skills pause", user=dave, until="2027-06-01")
    await helper(fake, fake.bob)
    first = await post(fake, bot)
    await later(bot, clock, hours=11)
    assert fake.dms(fake.bob) == []  # not before routing_hours
    await later(bot, clock, hours=1)
    [ask] = fake.dms(fake.bob)
    assert IIIF in ask.content and "Beeldinteroperabiliteit (IIIF)" in ask.content and ask.pings == []
    assert {c.split(":")[1] for c in ask.custom_ids} == {"take", "pass"}
    assert fake.dms(carol) == [] and fake.dms(dave) == []
    second = await post(fake, bot, "Welke IIIF-viewer voor onze kaarten?")
    await later(bot, clock)
    assert len(fake.dms(fake.bob)) == 1  # Bob (capacity 1) still has the first question to answer
    [told] = bot_said(fake, second, bot)
    assert "Huis voor de Kunsten Limburg" in told.content and told.pings == []
    assert bot_said(fake, first, bot) == []


async def test_taking_adds_the_helper_to_the_thread_with_one_mention(routed: Env, clock: FixedClock) -> None:
    """Bob takes the question in his DM: the buttons go, and the thread mentions him exactly once."""
    fake, bot = routed
    await helper(fake, fake.bob)
    thread = await post(fake, bot)
    await later(bot, clock)
    [ask] = fake.dms(fake.bob)
    take = next(c for c in ask.custom_ids if c.startswith("routing:take:"))
    taken = await fake.click(ask, take, user=fake.bob)
    assert taken.type == 7 and taken.message.components == [] and "thread" in taken.message.content
    await later(bot, clock, hours=0)
    await later(bot, clock, hours=30)
    [mention] = bot_said(fake, thread, bot)  # once, however often the jobs ran
    assert mention.pings == [fake.bob.mention]
    assert len(fake.dms(fake.bob)) == 1  # and nobody asked him again


async def test_not_now_asks_the_next_member_by_notice_and_names_nobody(routed: Env, clock: FixedClock) -> None:
    """Bob passes; Erin (no DMs) hears it on her next command, takes it in /asked-to-help; Bob is never named."""
    fake, bot = routed
    erin = await fake.add_member("erin", locale="en-GB")
    await helper(fake, fake.bob, level="expert")
    await helper(fake, erin, dm=False, level="intermediate")
    thread = await post(fake, bot)
    await later(bot, clock)
    [ask] = fake.dms(fake.bob)
    passed = await fake.click(ask, next(c for c in ask.custom_ids if c.startswith("routing:pass:")), user=fake.bob)
    assert passed.type == 7 and "someone else" in passed.message.content
    await later(bot, clock, hours=0)
    assert fake.dms(erin) == []
    told = await (await fake.slash("help", user=erin)).wait_followup()
    assert told.ephemeral and "/asked-to-help" in told.content and IIIF in told.content
    inbox = await fake.slash("asked-to-help", user=erin)
    assert inbox.ephemeral and IIIF in inbox.message.embed_text
    taken = await fake.click(inbox.message, inbox.message.custom_ids[0], user=erin)
    assert taken.ephemeral and "thread" in taken.content
    await later(bot, clock, hours=0)
    [mention] = bot_said(fake, thread, bot)
    assert mention.pings == [erin.mention] and fake.bob.mention not in mention.content
    assert all(str(fake.bob.id) not in m.content for m in fake.messages(thread))


async def test_the_weekly_cap_holds(routed: Env, clock: FixedClock) -> None:
    """With weekly_ask_cap 1 Bob is asked once this week, however many questions fit; next week again."""
    fake, bot = routed
    await bot.services.guild_settings.update(fake.guild.id, weekly_ask_cap=1)
    await helper(fake, fake.bob, capacity=5)
    for title in (IIIF, "IIIF-manifesten maken?", "IIIF en onze beeldbank?"):
        await post(fake, bot, title)
    await later(bot, clock)
    assert len(fake.dms(fake.bob)) == 1
    await later(bot, clock, hours=24 * 7)
    await post(fake, bot, "Nog een IIIF-vraag")
    await later(bot, clock)
    assert len(fake.dms(fake.bob)) == 2


async def test_a_reply_before_routing_hours_means_nobody_is_asked(routed: Env, clock: FixedClock) -> None:
    """A member answered in the thread: the post is not routed, and the bot adds nothing."""
    fake, bot = routed
    await helper(fake, fake.bob)
    thread = await post(fake, bot)
    await fake.post_message(thread, fake.moderator, "Kijk eens naar Cantaloupe.")
    await later(bot, clock)
    assert fake.dms(fake.bob) == [] and bot_said(fake, thread, bot) == []


async def test_ask_a_person_from_ask_routes_at_once(routed: Env) -> None:
    """A weak /ask answer offers "ask a person": the question is posted and Bob is asked straight away."""
    fake, bot = routed
    await helper(fake, fake.bob)
    asked = await fake.slash("ask", user=fake.alice, question="wie helpt ons met een IIIF-server voor de scans")
    person = next(c for c in asked.message.custom_ids if c.startswith("qa:person:"))
    opened = await fake.click(asked.message, person, user=fake.alice)
    posted = await fake.submit_modal(opened.modal, {"title": IIIF, "details": "Wie weet hoe dat moet?"})
    assert "hulpforum" in (await posted.final()).content
    await bot.run_jobs()
    dm = await fake.wait_until(lambda: next(iter(fake.dms(fake.bob)), None), what="the ask to Bob")
    assert IIIF in dm.content


async def test_two_processes_never_send_the_same_ask_twice(routed: Env, clock: FixedClock) -> None:
    """A second bot process on the same database runs the same jobs at the same moment: Bob gets one DM."""
    from bot.config import Settings
    from bot.wiring import running_app

    fake, bot = routed
    await helper(fake, fake.bob)
    await post(fake, bot)
    settings = Settings.for_tests(
        database_path=bot.settings.database_path,
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )
    async with running_app(settings, clock=clock, auto_sync=False) as other:
        await other.login(settings.discord_token)  # REST only: a second process of the same bot
        clock.advance(timedelta(hours=12))
        for _ in range(3):
            await asyncio.gather(bot.run_jobs(), other.run_jobs(), bot.run_jobs(), other.run_jobs())
        # the same delivery once more, as after a crash between sending and completing: it must send nothing
        await other.services.jobs.submit(DELIVER_JOB, {"request_id": 1, "ask_id": 1}, guild_id=fake.guild.id)
        await asyncio.gather(bot.run_jobs(), other.run_jobs())
    dm = fake.dm_channel(fake.bob)
    assert len(fake.dms(fake.bob)) == 1
    assert len(fake.requests_to("POST", rf"/channels/{dm.id}/messages$")) == 1
    assert await _rows(bot, "SELECT count(*) FROM routing_asks") == 1
    assert await _rows(bot, "SELECT count(*) FROM jobs WHERE kind = 'routing.deliver' AND status = 'done'") == 2


async def _rows(bot: SteunpuntBot, sql: str) -> int:
    async with Database.open(bot.settings.database_path) as db:
        return int(await db.fetch_value(sql))


async def test_export_holds_the_routing_rows_and_forget_leaves_no_id(routed: Env, clock: FixedClock) -> None:
    """Bob's ask and Alice's question are in their exports; after /privacy forget their ids are nowhere."""
    fake, bot = routed
    await helper(fake, fake.bob)
    await post(fake, bot)
    await later(bot, clock)
    exported = await fake.slash("privacy export", user=fake.bob)
    data = json.loads(exported.message.attachments[0].data)["data"]
    assert [a["status"] for a in data["routing_asked"]] == ["pending"]
    mine = json.loads((await fake.slash("privacy export", user=fake.alice)).message.attachments[0].data)["data"]
    assert mine["routing_questions"][0]["origin"] == "forum"
    for member in (fake.bob, fake.alice):
        asked = await fake.slash("privacy forget", user=member)
        await fake.click(asked.message, "privacy:forget:yes", user=member)
    await bot.run_jobs()
    async with Database.open(bot.settings.database_path) as db:
        assert await _find_everywhere(db, fake.bob.id) == []
        assert await _find_everywhere(db, fake.alice.id) == []


async def test_setup_coach_sets_shows_and_refuses(routed: Env) -> None:
    """A manager sets Zeeland's coach; /setup show lists it; a private address is refused."""
    fake, _ = routed
    owner = fake.world.owner
    saved = await fake.slash(
        "setup coach",
        user=owner,
        province="zeeland",
        options={"name": "Erfgoed Zeeland", "url": "https://erfgoedzeeland.nl/"},
    )
    assert saved.ephemeral and "Erfgoed Zeeland" in saved.content and saved.message.pings == []
    shown = await fake.slash("setup show", user=owner)
    assert "Erfgoed Zeeland" in shown.message.embed_text and "Huis voor de Kunsten Limburg" in shown.message.embed_text
    refused = await fake.slash(
        "setup coach", user=owner, province="zeeland", options={"name": "X", "url": "http://10.0.0.1/"}
    )
    assert refused.ephemeral and "Erfgoed Zeeland" not in refused.content


async def test_a_hostile_title_pings_nobody_in_the_ask(routed: Env, clock: FixedClock) -> None:
    """The question's title is member text: in the DM it mentions nobody and hides no link."""
    fake, bot = routed
    await helper(fake, fake.bob)
    await post(fake, bot, "IIIF-server @everyone <@1> [klik](https://evil.example/x)?")
    await later(bot, clock)
    [ask] = fake.dms(fake.bob)
    assert ask.pings == [] and ask.allowed_mentions == {"parse": []}
    assert "](https://evil" not in ask.content and "<@1>" not in ask.content
