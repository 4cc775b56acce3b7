"""Issue 12's acceptance item "an item archived after the build of week 1 is absent from week 2", through the
wire: the posted digests are read from the fake's channel, the archive is a moderator's /resource archive.

Time is the frozen clock and ``bot.run_jobs()``; nothing sleeps for real time.
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from tests.e2e.test_digest import NEXT_SLOT, approved_resource, configure, settle
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]
FEATURED = "Rechtenwijzer voor erfgoedfoto's"
LATER = "Stappenplan voor open data in archieven"


async def test_a_featured_resource_archived_after_week_1_is_not_in_week_2(steunpunt: Env, clock: FixedClock) -> None:
    """Week 1's post shows the featured resource; a moderator archives it with /resource archive; week 2's post
    has the week's new resource and not the archived one, while week 1's message is left as it was."""
    fake, bot = steunpunt
    await configure(fake, bot, clock)
    featured = await approved_resource(bot, fake, FEATURED)
    await bot.services.library.set_featured(fake.guild.id, featured, fake.moderator.id, True)

    clock.advance(NEXT_SLOT - clock.now())
    await settle(bot)
    week1 = fake.messages(fake.world.general, public=True)
    assert len(week1) >= 1
    assert any(FEATURED in m.embed_text for m in week1), "the featured resource is in week 1"

    reply = await fake.slash(
        "resource archive", user=fake.moderator, options={"resource": str(featured), "reason": "verouderd"}
    )
    assert reply.ephemeral
    clock.advance(timedelta(days=3))
    await approved_resource(bot, fake, LATER)

    clock.advance(NEXT_SLOT + timedelta(days=7) - clock.now())
    await settle(bot)
    posts = fake.messages(fake.world.general, public=True)
    week2 = posts[len(week1) :]
    assert week2, "week 2 was posted"
    text = "\n".join(m.embed_text for m in week2)
    assert LATER in text
    assert FEATURED not in text
    assert any(FEATURED in m.embed_text for m in posts[: len(week1)])  # week 1's message is untouched
