"""/digest through the wire: subscribe, choose themes, settings and unsubscribe in Dutch and English; the
moderators' preview; the managers' send-now, once per period; the unsubscribe button of a personal DM after a
restart. Time is the frozen clock (Monday 23 November 2026, 09:00 UTC); the default schedule is Monday 09:00
Europe/Amsterdam."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.domain.resources import make_draft
from bot.linkcheck import LinkChecker, LinkResult
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeMember, StoredMessage

Env = tuple[FakeDiscord, SteunpuntBot]
NEXT_SLOT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""Monday 30 November 2026, 09:00 in Amsterdam (winter time, UTC+1)."""
TITLE = "Handboek IIIF voor kleine musea"


class OfflineLinkChecker(LinkChecker):
    """The weekly link check without a network: every link is "could not tell", so nothing changes."""

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Answer at once, inconclusively."""
        return [LinkResult(url, None, "offline in tests") for url in urls]


async def configure(fake: FakeDiscord, bot: SteunpuntBot, clock: FixedClock, *, content: bool = True) -> None:
    """A server with a digest channel, moderators, and (unless told otherwise) one new approved resource."""
    links = bot.get_cog("LinkCheckCog")
    assert links is not None
    links.checker = OfflineLinkChecker()  # type: ignore[attr-defined]  # weeks pass: no real link checks
    world = fake.world
    await bot.services.guild_settings.update(
        fake.guild.id,
        digest_channel_id=world.general.id,
        moderator_role_id=world.moderator_role.id,
        moderator_channel_id=world.moderators.id,
    )
    if content:
        await approved_resource(bot, fake, TITLE)
    clock.advance(timedelta(minutes=30))  # the resource is in the window that ends now


async def approved_resource(bot: SteunpuntBot, fake: FakeDiscord, title: str, theme: str = "skills") -> int:
    """A resource suggested by a member and approved by the moderator."""
    library = bot.services.library
    draft = make_draft(
        title=title,
        url=f"https://example.org/{abs(hash(title))}",
        summary="Een praktische gids.",
        theme=theme,
        type="guide",
        language="nl",
    )
    resource = await library.suggest(fake.guild.id, 900_001, draft)
    await library.approve(fake.guild.id, resource.id, fake.moderator.id)
    return resource.id


async def settle(bot: SteunpuntBot) -> None:
    """Let jobs a command kicked off in the background (or the jobs loop) finish, then run whatever is due."""
    for _ in range(200):
        kicks = [t for t in asyncio.all_tasks() if t.get_name() == "steunpunt-jobs-kick" and not t.done()]
        if kicks:
            await asyncio.wait(kicks, timeout=10)
        ran = await bot.run_jobs()
        with sqlite3.connect(bot.settings.database_path) as conn:
            running = conn.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()[0]
        if not ran and not running:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the jobs did not settle")


def themes_select(message: StoredMessage) -> str:
    """The custom_id of the themes picker on a /digest subscribe reply."""
    return next(c for c in message.custom_ids if c.startswith("digest:themes"))


def select_defaults(message: StoredMessage) -> list[str]:
    """The themes the picker shows as chosen."""
    select = next(c for row in message.components for c in row["components"] if c.get("type") == 3)
    return [o["value"] for o in select["options"] if o.get("default")]


def unsubscribe_id(fake: FakeDiscord, member: FakeMember) -> str:
    return f"digest:unsub:{fake.guild.id}:{member.id}"


LANGUAGES = [
    pytest.param(
        "alice",
        "nl",
        {
            "subscribed": "Je krijgt een persoonlijk overzicht per privébericht, elke week",
            "saved": "Bewaard. Je krijgt het overzicht elke week, over: Vaardigheden, Strategie",
            "schedule": "Overzicht van deze server: elke maandag om 09:00 (Europe/Amsterdam)",
            "done": "Klaar: je krijgt geen persoonlijk overzicht meer",
            "none": "Je hebt geen persoonlijk overzicht",
        },
        id="nl",
    ),
    pytest.param(
        "bob",
        "en",
        {
            "subscribed": "You will get a personal digest by direct message, every week",
            "saved": "Saved. You get the digest every week, on: Skills, Strategy",
            "schedule": "This server's digest: every Monday at 09:00 (Europe/Amsterdam)",
            "done": "Done: you no longer get a personal digest",
            "none": "You have no personal digest",
        },
        id="en",
    ),
]


@pytest.mark.parametrize(("who", "locale", "expect"), LANGUAGES)
async def test_subscribe_choose_themes_see_settings_and_unsubscribe(
    steunpunt: Env, clock: FixedClock, who: str, locale: str, expect: dict[str, str]
) -> None:
    """A member subscribes (every theme of the server chosen), narrows the themes in the picker (saved at once),
    sees frequency, themes, the next digest as a Discord timestamp and the schedule, and unsubscribes; in their
    own language, always ephemerally."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    member = fake.alice if who == "alice" else fake.bob
    subscribed = await fake.slash("digest subscribe", user=member)
    assert subscribed.ephemeral and expect["subscribed"] in subscribed.content
    assert subscribed.message.pings == []
    assert select_defaults(subscribed.message) == list((await bot.services.guild_settings.get(fake.guild.id)).themes)
    stored = await bot.services.digest.subscription(fake.guild.id, member.id)
    assert stored is not None and stored.frequency == "weekly" and stored.locale == locale

    picked = await fake.click(
        subscribed.message, themes_select(subscribed.message), user=member, values=["skills", "strategy"]
    )
    assert picked.type == 7 and expect["saved"] in picked.message.content
    assert select_defaults(picked.message) == ["skills", "strategy"]
    stored = await bot.services.digest.subscription(fake.guild.id, member.id)
    assert stored is not None and stored.themes == ("skills", "strategy")

    settings = await fake.slash("digest settings", user=member)
    assert settings.ephemeral
    assert f"<t:{int(NEXT_SLOT.timestamp())}:F>" in settings.content
    assert expect["schedule"] in settings.content
    assert bot.i18n.t("theme.strategy.name", locale) in settings.content
    assert bot.i18n.t("digest.reply.frequency.weekly", locale) in settings.content

    gone = await fake.slash("digest unsubscribe", user=member)
    assert gone.ephemeral and expect["done"] in gone.content
    assert await bot.services.digest.subscription(fake.guild.id, member.id) is None
    again = await fake.slash("digest unsubscribe", user=member)
    assert expect["none"] in again.content
    nothing = await fake.slash("digest settings", user=member)
    assert expect["none"] in nothing.content


async def test_frequency_and_closed_dms_show_in_settings(steunpunt: Env, clock: FixedClock) -> None:
    """After Discord refused Bob's DM his settings warn him how to fix it; subscribing again (now monthly) clears
    the warning and shows the new frequency."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    await fake.slash("digest subscribe", user=fake.bob)
    fake.bob.user.accepts_dms = False
    await fake.slash("digest send-now", user=fake.world.owner)
    await settle(bot)
    shown = await fake.slash("digest settings", user=fake.bob)
    assert "every week" in shown.content and "Discord refused the direct message" in shown.content
    fake.bob.user.accepts_dms = True
    await fake.slash("digest subscribe", user=fake.bob, frequency="monthly")
    shown = await fake.slash("digest settings", user=fake.bob)
    assert "once a month" in shown.content and "refused" not in shown.content


async def test_settings_without_a_digest_channel_say_it_is_not_set_up(steunpunt: Env) -> None:
    """Without a digest channel nothing is scheduled, and the member is told so rather than a wrong time."""
    fake, _ = steunpunt
    await fake.slash("digest subscribe", user=fake.bob)
    shown = await fake.slash("digest settings", user=fake.bob)
    assert "not planned" in shown.content and "<t:" not in shown.content


async def test_preview_for_moderators_of_the_channel_and_of_a_member(steunpunt: Env, clock: FixedClock) -> None:
    """Maud previews the channel digest and Alice's personal one, ephemerally, with nothing posted or stored;
    Alice may not preview."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    await fake.slash("digest subscribe", user=fake.alice)
    shown = await fake.slash("digest preview", user=fake.moderator)
    final = await shown.final()
    assert final.ephemeral and "Voorbeeld van het overzicht" in final.content
    assert TITLE in final.embed_text and final.pings == []
    personal = await (await fake.slash("digest preview", user=fake.moderator, options={"member": fake.alice})).final()
    assert personal.ephemeral and "van Alice" in personal.content and TITLE in personal.embed_text
    assert "digest:unsub" not in " ".join(personal.custom_ids)  # the moderator gets no one's button
    refused = await fake.slash("digest preview", user=fake.alice)
    assert refused.ephemeral and refused.content == bot.i18n.t("errors.not_moderator", "nl")
    assert fake.messages(fake.world.general, public=True) == []
    assert fake.dms(fake.alice) == []


async def test_preview_of_an_empty_week_says_nothing_would_be_sent(steunpunt: Env, clock: FixedClock) -> None:
    """Nothing new: the preview says so instead of showing an empty digest."""
    fake, bot = steunpunt
    await configure(fake, bot, clock, content=False)
    shown = await (await fake.slash("digest preview", user=fake.moderator)).final()
    assert shown.ephemeral and shown.content == bot.i18n.t("digest.reply.preview_empty", "nl")
    assert shown.embeds == []


async def test_send_now_posts_once_and_a_second_time_says_already_sent(steunpunt: Env, clock: FixedClock) -> None:
    """The owner sends the digest now: one post in the digest channel; a second send-now posts nothing and says
    the period was sent already; a moderator without Manage Server is refused."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    first = await fake.slash("digest send-now", user=fake.world.owner)
    assert first.ephemeral and "2026-W48" in first.content and f"<#{fake.world.general.id}>" in first.content
    await settle(bot)
    posted = await fake.wait_until(lambda: fake.messages(fake.world.general, public=True) or None, what="the post")
    assert len(posted) == 1 and TITLE in posted[0].embed_text and posted[0].pings == []
    second = await fake.slash("digest send-now", user=fake.world.owner)
    assert second.content == bot.i18n.t("digest.reply.already_sent", "en", period="2026-W48")
    refused = await fake.slash("digest send-now", user=fake.moderator)
    assert refused.content == bot.i18n.t("errors.not_manager", "nl")
    clock.advance(timedelta(hours=1))
    await settle(bot)
    assert len(fake.messages(fake.world.general, public=True)) == 1
    assert len(fake.requests_to("POST", rf"/channels/{fake.world.general.id}/messages$")) == 1


async def test_send_now_without_a_digest_channel_points_to_setup(steunpunt: Env) -> None:
    """No digest channel: nothing is planned and the manager is told where to set one."""
    fake, bot = steunpunt
    told = await fake.slash("digest send-now", user=fake.world.owner)
    assert told.ephemeral and told.content == bot.i18n.t("digest.reply.no_channel", "en")


async def test_the_dm_button_unsubscribes_after_a_restart_in_the_members_language(
    fake_discord: FakeDiscord, launch: Launcher, clock: FixedClock
) -> None:
    """Alice and Bob get a personal DM with an unsubscribe button; after a restart Bob's click on Alice's DM is
    refused, Alice's click unsubscribes her (in Dutch), a second click says it is done already; Bob's own click
    answers in English."""
    fake = fake_discord
    async with launch(auto_sync=False) as bot:
        await bot.sync_commands(guild_id=None)
        await configure(fake, bot, clock)
        await fake.slash("digest subscribe", user=fake.alice)
        await fake.slash("digest subscribe", user=fake.bob)
        await fake.slash("digest send-now", user=fake.world.owner)
        await settle(bot)
        alice_dm = await fake.wait_until(lambda: next(iter(fake.dms(fake.alice)), None), what="Alice's DM")
        bob_dm = await fake.wait_until(lambda: next(iter(fake.dms(fake.bob)), None), what="Bob's DM")
        assert unsubscribe_id(fake, fake.alice) in alice_dm.custom_ids and TITLE in alice_dm.embed_text
        assert alice_dm.pings == [] and "Afmelden" in str(alice_dm.components)
        assert "Unsubscribe" in str(bob_dm.components)
    async with launch(auto_sync=False) as bot:
        refused = await fake.click(alice_dm, unsubscribe_id(fake, fake.alice), user=fake.bob)
        assert refused.ephemeral and refused.content == bot.i18n.t("digest.button.not_yours", "en")
        assert await bot.services.digest.subscription(fake.guild.id, fake.alice.id) is not None
        done = await fake.click(alice_dm, unsubscribe_id(fake, fake.alice), user=fake.alice)
        assert done.ephemeral and done.content.startswith("Klaar: je krijgt geen persoonlijk overzicht meer")
        assert await bot.services.digest.subscription(fake.guild.id, fake.alice.id) is None
        again = await fake.click(alice_dm, unsubscribe_id(fake, fake.alice), user=fake.alice)
        assert again.content == bot.i18n.t("digest.button.already", "nl")
        english = await fake.click(bob_dm, unsubscribe_id(fake, fake.bob), user=fake.bob)
        assert english.content.startswith("Done: you no longer get a personal digest")
        assert await bot.services.digest.subscription(fake.guild.id, fake.bob.id) is None
