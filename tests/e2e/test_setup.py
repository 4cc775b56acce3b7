"""/setup through the wire: the wizard in Dutch and English, refusal of non-managers, the permission
check, export/import, joining and leaving."""

from __future__ import annotations

import json

import pytest

from bot.app import SteunpuntBot
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeFile, FakeMember, payloads
from tests.fakediscord.state import Overwrite

SEND_MESSAGES = 1 << 11


async def _run_wizard(fake: FakeDiscord, admin: FakeMember, language: str) -> None:
    world = fake.world
    started = await fake.slash("setup start", user=admin)
    assert started.ephemeral
    msg = started.message
    steps = [
        ("setup:language", [language]),
        ("setup:timezone", ["Europe/Brussels"]),
        ("setup:moderator_role", [world.moderator_role]),
        ("setup:moderator_channel", [world.moderators]),
        ("setup:help_forum", [world.forum]),
    ]
    for custom_id, values in steps:
        result = await fake.click(msg, custom_id, user=admin, values=values)
        assert result.type == 7, result.errors
    tags = await fake.click(msg, "setup:tags", user=admin)
    assert tags.type == 6  # deferred: editing the forum is a network call
    await tags.final()
    await fake.click(msg, "setup:skip", user=admin)  # help forum → digest channel
    await fake.click(msg, "setup:digest_channel", user=admin, values=[world.general])
    await fake.click(msg, "setup:themes", user=admin, values=["skills", "strategy"])
    done = await fake.click(msg, "setup:done", user=admin)
    assert done.type == 7
    assert msg.components == []


@pytest.mark.parametrize(("locale", "title_word"), [("nl", "Instellen"), ("en-GB", "Setup")])
async def test_admin_completes_setup_and_it_survives_a_restart(
    fake_discord: FakeDiscord, launch: Launcher, locale: str, title_word: str
) -> None:
    """An admin walks through every step in their language; a restarted bot reads the same settings."""
    fake = fake_discord
    admin = fake.world.owner
    admin.user.locale = locale
    async with launch():
        first = await fake.slash("setup start", user=admin)
        assert title_word in first.message.embeds[0]["title"]
        await _run_wizard(fake, admin, "en" if locale != "nl" else "nl")
    async with launch() as bot:
        stored = await bot.services.guild_settings.get(fake.guild.id)
        assert stored.locale == ("nl" if locale == "nl" else "en")
        assert stored.timezone == "Europe/Brussels"
        assert stored.moderator_role_id == fake.world.moderator_role.id
        assert stored.moderator_channel_id == fake.world.moderators.id
        assert stored.help_forum_id == fake.world.forum.id
        assert stored.digest_channel_id == fake.world.general.id
        assert stored.themes == ("skills", "strategy")
        tags = await bot.services.setup.forum_tags(fake.guild.id, fake.world.forum.id)
        assert tags["solved"] == next(t["id"] for t in fake.world.forum.available_tags if t["name"] == "solved")
        assert set(tags) == {"solved", "revenue-and-rights", "skills", "collective", "strategy", "collaboration"}
        assert len(fake.world.forum.available_tags) == 8
        shown = await fake.slash("setup show", user=admin)
        assert f"<#{fake.world.moderators.id}>" in shown.message.embed_text


async def test_non_manager_is_refused_and_nothing_changes(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """Even when an admin opens /setup to everyone in Discord, a member without Manage Server is refused."""
    fake, bot = steunpunt
    fake.permission_overrides.add("setup")
    before = await bot.services.guild_settings.get(fake.guild.id)
    for path, options in (
        ("setup start", {}),
        ("setup show", {}),
        ("setup timezone", {"zone": "UTC"}),
        ("setup export", {}),
        ("setup starter", {}),
        ("setup import", {"file": FakeFile("s.json", b"{}")}),
    ):
        result = await fake.slash(path, user=fake.alice, **options)
        assert result.ephemeral, path
        assert "Server beheren" in result.content, (path, result.content)
    moderator_try = await fake.slash("setup timezone", user=fake.moderator, zone="UTC")
    assert "Server beheren" in moderator_try.content
    assert await bot.services.guild_settings.get(fake.guild.id) == before
    assert (await bot.services.library.browse(fake.guild.id, None, 0)).total == 0


async def test_wizard_clicks_by_a_non_manager_are_refused(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """The wizard's buttons check the member again on the server side."""
    fake, bot = steunpunt
    started = await fake.slash("setup start", user=fake.world.owner)
    fake.world.owner.user.locale = "en-GB"
    started.message.visible_to = None  # as if the ephemeral message had been shared
    result = await fake.click(started.message, "setup:language", user=fake.alice, values=["en"])
    assert result.ephemeral
    assert (await bot.services.guild_settings.get(fake.guild.id)).locale is None


async def test_permission_check_names_channel_and_permission(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """A deny overwrite on Send Messages in the digest channel is named by /setup check and at start-up."""
    fake = fake_discord
    digest = fake.world.general
    bot_role = next(r for r in fake.guild.roles.values() if r.managed)
    async with launch() as bot:
        await bot.services.guild_settings.update(
            fake.guild.id, digest_channel_id=digest.id, moderator_channel_id=fake.world.moderators.id
        )
        digest.overwrites.append(Overwrite(bot_role.id, 0, deny=SEND_MESSAGES))
        await fake.dispatch("CHANNEL_UPDATE", payloads.channel(digest, fake.state))
        await fake.wait_until(
            lambda: not bot.get_channel(digest.id).permissions_for(bot.get_guild(fake.guild.id).me).send_messages,
            what="the overwrite to reach the bot",
        )
        fake.world.owner.user.locale = "en-GB"
        result = await fake.slash("setup check", user=fake.world.owner)
    text = result.message.embed_text
    assert f"<#{digest.id}>" in text
    assert "Send Messages" in text
    # Start-up: a fresh process sees the overwrite in GUILD_CREATE and tells the moderators once.
    async with launch():
        report = await fake.wait_until(
            lambda: next(
                (m for m in fake.messages(fake.world.moderators) if "Berichten versturen" in m.embed_text), None
            ),
            what="the start-up permission report",
        )
        assert f"<#{digest.id}>" in report.embed_text
        assert report.pings == []
    async with launch():
        pass
    reports = [m for m in fake.messages(fake.world.moderators) if "Berichten versturen" in m.embed_text]
    assert len(reports) == 1  # the same problem is not reported again on the next start


async def test_export_then_import_on_a_fresh_server(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """Settings exported from one server apply whole on another (matched by name); a bad role id is refused whole."""
    fake, bot = steunpunt
    owner = fake.world.owner
    await bot.services.guild_settings.update(
        fake.guild.id,
        locale="en",
        timezone="Europe/London",
        moderator_role_id=fake.world.moderator_role.id,
        moderator_channel_id=fake.world.moderators.id,
        help_forum_id=fake.world.forum.id,
        digest_channel_id=fake.world.general.id,
        themes=("collective",),
    )
    exported = await fake.slash("setup export", user=owner, format="json")
    attachment = exported.message.attachments[0]
    doc = json.loads(attachment.data)
    assert doc["moderator_role"]["name"] == "Moderator"

    other = await fake.add_guild(
        "Tweede server", channels=((0, "general"), (0, "moderators"), (15, "questions")), roles=("Moderator",)
    )
    await fake.wait_until(lambda: bot.get_guild(other.id), what="the bot to join the second server")
    other_owner = other.members[other.owner_id]
    other_general = next(c for c in fake.state.channels.values() if c.guild_id == other.id and c.name == "general")
    other_role = next(r for r in other.roles.values() if r.name == "Moderator")

    bad = dict(doc, moderator_role={"id": "123", "name": "Nobody"})
    refused = await fake.slash(
        "setup import", user=other_owner, channel=other_general, file=FakeFile("s.json", json.dumps(bad).encode())
    )
    final = await refused.final()
    assert "moderator_role" in final.content
    assert (await bot.services.guild_settings.get(other.id)).timezone == "Europe/Amsterdam"

    applied = await fake.slash(
        "setup import", user=other_owner, channel=other_general, file=FakeFile("s.json", attachment.data)
    )
    await applied.final()
    stored = await bot.services.guild_settings.get(other.id)
    assert (stored.locale, stored.timezone, stored.themes) == ("en", "Europe/London", ("collective",))
    assert stored.moderator_role_id == other_role.id
    assert stored.digest_channel_id == other_general.id
    assert (await bot.services.guild_settings.get(fake.guild.id)).timezone == "Europe/London"


async def test_joining_greets_in_both_languages_and_leaving_keeps_data(
    steunpunt: tuple[FakeDiscord, SteunpuntBot],
) -> None:
    """A new server gets one bilingual welcome in its system channel; removal starts the retention clock."""
    fake, bot = steunpunt
    other = await fake.add_guild("Derde server")
    general = next(c for c in fake.state.channels.values() if c.guild_id == other.id and c.name == "general")
    welcome = await fake.wait_until(lambda: next(iter(fake.messages(general)), None), what="the welcome message")
    assert "/instellen start" in welcome.content and "/setup start" in welcome.content
    assert welcome.pings == []
    await bot.services.guild_settings.update(other.id, locale="en")
    await fake.remove_guild(other)
    await fake.wait_until(lambda: bot.get_guild(other.id) is None, what="the bot to leave")
    stored = await fake.wait_until(
        lambda: bot.services.guild_settings._cache[other.id].left_at, what="the departure to be recorded"
    )
    assert stored
    assert (await bot.services.guild_settings.get(other.id)).locale == "en"


async def test_set_changes_one_setting_by_name(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """/setup set offers every setting by name, reads the value by the setting's kind, refuses nonsense whole,
    and restores the default when the value is left out."""
    fake, bot = steunpunt
    owner = fake.world.owner
    owner.user.locale = "nl"
    offered = await fake.autocomplete("setup set", "setting", "tijd", user=owner)
    assert [c["value"] for c in offered] == ["timezone"]
    assert offered[0]["name"].startswith("Tijdzone")
    zones = await fake.autocomplete("setup set", "value", "brus", user=owner, setting="timezone")
    assert zones[0]["value"] == "Europe/Brussels"
    roles = await fake.autocomplete("setup set", "value", "mod", user=owner, setting="moderator_role")
    assert roles[0] == {"name": "@Moderator", "value": str(fake.world.moderator_role.id)}

    saved = await fake.slash("setup set", user=owner, setting="timezone", value="europe/brussels")
    assert saved.ephemeral and "Europe/Brussels" in saved.content
    role = await fake.slash("setup set", user=owner, setting="moderator_role", value="@moderator")
    assert f"<@&{fake.world.moderator_role.id}>" in role.content
    assert role.message.pings == []
    themes = await fake.slash("setup set", user=owner, setting="themes", value="strategy, skills")
    assert "Vaardigheden, Strategie" in themes.content

    refused = await fake.slash("setup set", user=owner, setting="timezone", value="Mars/Olympus")
    assert "Mars/Olympus" in refused.content
    unknown = await fake.slash("setup set", user=owner, setting="colour", value="blue")
    assert "colour" in unknown.content
    stored = await bot.services.guild_settings.get(fake.guild.id)
    assert (stored.timezone, stored.moderator_role_id) == ("Europe/Brussels", fake.world.moderator_role.id)
    assert stored.themes == ("skills", "strategy")

    reset = await fake.slash("setup set", user=owner, setting="timezone")
    assert "Europe/Amsterdam" in reset.content
    assert (await bot.services.guild_settings.get(fake.guild.id)).timezone == "Europe/Amsterdam"
    fake.permission_overrides.add("setup")  # as if an admin opened /setup to everyone in Discord
    denied = await fake.slash("setup set", user=fake.moderator, setting="timezone", value="UTC")
    hidden = await fake.autocomplete("setup set", "value", "", user=fake.moderator, setting="moderator_channel")
    assert list(hidden) == []  # no private channel names for non-managers
    assert "Server beheren" in denied.content
    assert (await bot.services.guild_settings.get(fake.guild.id)).timezone == "Europe/Amsterdam"


async def test_wizard_opens_at_a_chosen_step_and_takes_a_typed_time_zone(
    steunpunt: tuple[FakeDiscord, SteunpuntBot],
) -> None:
    """The step option lists the wizard's settings; a time zone not in the list is typed in a modal."""
    fake, bot = steunpunt
    owner = fake.world.owner
    owner.user.locale = "nl"
    started = await fake.slash("setup start", user=owner, step="timezone")
    assert "Tijdzone" in started.message.embeds[0]["title"]
    opened = await fake.click(started.message, "setup:timezone_other", user=owner)
    refused = await fake.submit_modal(opened.modal, {"value": "Nowhere/Land"}, user=owner)
    assert "Nowhere/Land" in refused.content
    saved = await fake.submit_modal(opened.modal, {"value": "asia/tokyo"}, user=owner)
    assert saved.type == 7
    assert (await bot.services.guild_settings.get(fake.guild.id)).timezone == "Asia/Tokyo"
    assert "Moderatorrol" in started.message.embeds[0]["title"]  # moved on to the next step
