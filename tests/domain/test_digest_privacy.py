"""The digest as a privacy provider: a member's subscription and personal digests are exported and forgotten."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import FixedClock
from bot.db.database import Database
from bot.domain.digest.models import DigestContent
from bot.domain.privacy import MENTION_MASK
from bot.domain.qa_models import HelpPost
from bot.services import Services
from tests.domain.test_digest import CHANNEL, FORUM, GUILD, MOD, count, resource

CAROL = 412345678901234567
"""A realistic snowflake, so a scan for it cannot match small numbers by chance."""
OTHER = 20


async def _subscribed_and_planned(services: Services, clock: FixedClock) -> int:
    await services.guild_settings.update(GUILD, digest_channel_id=CHANNEL)
    await resource(services, 1)
    await services.qa.post_opened(HelpPost(600, GUILD, FORUM, 5, f"Wie helpt <@{CAROL}> met IIIF?"))
    await services.digest.subscribe(GUILD, CAROL, themes=("skills",), frequency="fortnightly", locale="en")
    await services.digest.subscribe(OTHER, CAROL, themes=("skills",), frequency="weekly", locale="en")
    clock.advance(timedelta(minutes=1))
    run, planned = await services.digest.send_now(GUILD, MOD)
    assert run is not None and planned
    return run.id


async def test_export_lists_the_subscription_and_deliveries(services: Services, clock: FixedClock) -> None:
    """The export names the member's subscription and each personal digest, nothing of other servers."""
    await _subscribed_and_planned(services, clock)
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert data["digest_subscription"] == [
        {
            "themes": ["skills"],
            "frequency": "fortnightly",
            "locale": "en",
            "unreachable_at": None,
            "created_at": "2026-11-23T09:00:00+00:00",
            "updated_at": "2026-11-23T09:00:00+00:00",
        }
    ]
    (delivery,) = data["digest_deliveries"]
    assert delivery["period"] == "2026-W48" and delivery["status"] == "planned"
    assert delivery["selection"]["items"][0][2] == "resource:1"


async def test_forget_deletes_and_masks(services: Services, db: Database, clock: FixedClock) -> None:
    """Forget deletes the subscription and deliveries, masks the member inside stored snapshots; other servers keep
    theirs; afterwards the id is in no digest table."""
    run_id = await _subscribed_and_planned(services, clock)
    assert await count(db, "SELECT count(*) FROM digest_runs WHERE instr(pool, ?) > 0", str(CAROL)) == 1
    assert await services.privacy.forget(GUILD, CAROL) > 0
    assert await services.digest.subscription(GUILD, CAROL) is None
    assert await services.digest.subscription(OTHER, CAROL) is not None
    for table in ("digest_runs", "digest_deliveries", "digest_subscriptions"):
        rows = await db.fetch_all(f"SELECT * FROM {table} WHERE guild_id = ?", (GUILD,))
        assert not any(str(CAROL) in str(value) for row in rows for value in tuple(row)), table
    run = DigestContent.from_json(str(await db.fetch_value("SELECT content FROM digest_runs WHERE id = ?", (run_id,))))
    assert run.sections["open"][0].title == f"Wie helpt {MENTION_MASK} met IIIF?"
    assert run.sections["open"][0].thread_id == 600  # ids and dates are not touched
    data = json.loads(await services.privacy.export(GUILD, CAROL))["data"]
    assert data["digest_subscription"] == [] and data["digest_deliveries"] == []
