"""Every component the bot ever sent answers after a restart (issue 10, defect 8).

Short-lived views (pages, the forget confirmation, the set-up wizard) keep their state in memory; after a
restart a click on them used to get no answer at all ("interaction failed"). Now it says, ephemerally and
in the member's language, that it expired and which command to run.
"""

from __future__ import annotations

from bot.domain.resources import make_draft
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord


async def test_old_buttons_say_they_expired_after_a_restart(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """Pages, the forget confirmation and the wizard, clicked after a restart: an ephemeral 'run … again'."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        for n in range(7):
            draft = make_draft(
                title=f"Gids {n}",
                url=f"https://example.org/{n}",
                summary="",
                theme="skills",
                type="guide",
                language="nl",
            )
            await bot.services.library.import_records(fake.guild.id, 1, [vars_of(draft)])
        pages = await fake.slash("resource browse", user=fake.bob)
        forget = await fake.slash("privacy forget", user=fake.alice)
        wizard = await fake.slash("setup start", user=fake.world.owner)
    async with launch():
        turned = await fake.click(pages.message, "page:next", user=fake.bob)
        assert turned.ephemeral and "expired" in turned.content and "/resource browse" in turned.content
        confirmed = await fake.click(forget.message, "privacy:forget:yes", user=fake.alice)
        assert confirmed.ephemeral and "verlopen" in confirmed.content and "/privacy" in confirmed.content
        stepped = await fake.click(wizard.message, "setup:language", user=fake.world.owner, values=["en"])
        assert stepped.ephemeral and "expired" in stepped.content and "/setup start" in stepped.content
        for result in (turned, confirmed, stepped):
            assert result.errors == [] and result.message.pings == []


async def test_a_live_view_still_works_and_answers_once(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """While the view lives, its own handler answers (the expiry fallback stays silent)."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        forget = await fake.slash("privacy forget", user=fake.alice)
        kept = await fake.click(forget.message, "privacy:forget:no", user=fake.alice)
        assert kept.type == 7 and kept.errors == []
        assert kept.message.components == []  # the confirmation closed itself


def vars_of(draft: object) -> dict[str, object]:
    """A draft as an import record."""
    record = {name: getattr(draft, name) for name in ("title", "url", "summary", "theme", "type", "language")}
    record["tags"] = list(getattr(draft, "tags", ()))
    return record


async def test_a_modal_submitted_after_a_restart_says_it_expired(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """A modal opened before a restart and submitted after it gets an ephemeral 'run … again', not silence."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        opened = await fake.slash("resource suggest", user=fake.bob, theme="skills", type="guide", language="nl")
    async with launch() as bot:
        late = await fake.submit_modal(opened.modal, {"title": "Gids", "url": "https://example.org/g", "summary": ""})
        assert late.ephemeral and "expired" in late.content and "/resource suggest" in late.content
        assert (await bot.services.library.queue(fake.guild.id, 0)).total == 0
