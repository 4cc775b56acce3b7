"""Self-scan data belongs to the member: export shows every scan with its answers; forget leaves their id nowhere."""

from __future__ import annotations

import json

from bot.db.database import Database
from bot.domain.scan.instrument import Instrument
from bot.domain.skills.models import ProfileChanges
from bot.services import Services
from tests.domain.test_privacy import _find_everywhere

GUILD, OTHER = 10, 20
BOB, DAVE, ERIN = 2, 3, 4
CAROL = 412345678901234567
"""A realistic snowflake, so a scan for it cannot match small numbers by chance."""
INSTRUMENT = Instrument.load()


async def _scan(services: Services, guild: int, user: int, value: int, answered: int | None = None) -> int:
    step = await services.scan.start(guild, user)
    for question in INSTRUMENT.questions[: answered or INSTRUMENT.size]:
        await services.scan.answer(guild, user, step.scan.id, question.number, value)
    return step.scan.id


async def test_export_holds_every_scan_with_its_answers_means_and_organisation(services: Services) -> None:
    """A completed and an open scan of Carol's are in her export; Bob's scan is not."""
    await services.skills.profiles.update(GUILD, CAROL, ProfileChanges(organisation="Museum Carol"))
    await _scan(services, GUILD, CAROL, 4)
    await _scan(services, GUILD, CAROL, 2, answered=5)
    await _scan(services, GUILD, BOB, 1)
    scans = json.loads(await services.privacy.export(GUILD, CAROL))["data"]["maturity_scans"]
    assert [s["status"] for s in scans] == ["completed", "open"]
    assert scans[0]["organisation"] == "Museum Carol" and set(scans[0]["means"].values()) == {4.0}
    assert len(scans[0]["answers"]) == INSTRUMENT.size and len(scans[1]["answers"]) == 5
    assert scans[1]["means"] is None and "user_id" not in scans[0]


async def test_after_forget_carols_id_is_nowhere_and_her_organisation_picture_shrinks(
    services: Services, db: Database
) -> None:
    """Forget deletes her scans (open and completed); Bob's organisation picture no longer counts her."""
    for member in (CAROL, BOB, DAVE, ERIN):
        await services.skills.profiles.update(GUILD, member, ProfileChanges(organisation="Samen Archief"))
    await _scan(services, GUILD, CAROL, 5)
    await _scan(services, GUILD, CAROL, 3, answered=2)
    await _scan(services, GUILD, BOB, 1)
    await _scan(services, GUILD, DAVE, 2)
    await _scan(services, GUILD, ERIN, 2)
    picture = (await services.scan.report(GUILD, BOB)).organisation
    assert picture is not None and picture.members == 3
    assert await _find_everywhere(db, CAROL)
    await services.privacy.forget(GUILD, CAROL)
    await services.job_runner.run_due()
    assert await _find_everywhere(db, CAROL) == []
    assert json.loads(await services.privacy.export(GUILD, CAROL))["data"]["maturity_scans"] == []
    assert (await services.scan.report(GUILD, BOB)).organisation is None  # two others left: no picture
    assert await db.fetch_value("SELECT count(*) FROM maturity_scans WHERE user_id = ?", (BOB,)) == 1


async def test_forget_in_one_server_keeps_another_servers_scans(services: Services) -> None:
    """Forgetting is per server: Carol's scan elsewhere stays."""
    await _scan(services, GUILD, CAROL, 3)
    await _scan(services, OTHER, CAROL, 3)
    await services.privacy.forget(GUILD, CAROL)
    assert json.loads(await services.privacy.export(GUILD, CAROL))["data"]["maturity_scans"] == []
    assert len(json.loads(await services.privacy.export(OTHER, CAROL))["data"]["maturity_scans"]) == 1
