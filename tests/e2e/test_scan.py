"""The self-scan through the wire: resumable steps across a restart, results as a PNG chart with localised labels,
progress between two scans, and from the weakest dimension to library resources and a confirmed skill need."""

from __future__ import annotations

from collections.abc import Iterable

from bot.app import SteunpuntBot
from bot.charts import PNG_SIGNATURE, png_text
from bot.domain.scan.instrument import Instrument
from bot.linkcheck import LinkChecker, LinkResult
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord, FakeMember, InteractionResult, StoredMessage

Env = tuple[FakeDiscord, SteunpuntBot]
INSTRUMENT = Instrument.load()
SIZE = INSTRUMENT.size


class OfflineLinkChecker(LinkChecker):
    """The link checker without a network: every link is "could not tell", so no resource leaves the library."""

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Answer at once, inconclusively."""
        return [LinkResult(url, None, "offline in tests") for url in urls]


def _answer_id(message: StoredMessage, value: int) -> str:
    """The custom_id of the answer button ``value`` on a question message."""
    [found] = [c for c in message.custom_ids if c.startswith("scan:a:") and c.endswith(f":{value}")]
    return found


def _number(message: StoredMessage) -> int:
    """The question number a step shows (from its answer buttons: ``scan:a:<scan>:<number>:<value>``)."""
    return int(_answer_id(message, 1).split(":")[3])


async def _answer(fake: FakeDiscord, message: StoredMessage, value: int, member: FakeMember) -> InteractionResult:
    clicked = await fake.click(message, _answer_id(message, value), user=member)
    assert clicked.type == 7 and clicked.errors == [] and clicked.message.pings == []
    return clicked


async def _scan(fake: FakeDiscord, member: FakeMember, values: list[int]) -> StoredMessage:
    """A whole scan: /scan start, then one answer per question (values per question, in order)."""
    message = (await fake.slash("scan start", user=member)).message
    for value in values:
        message = (await _answer(fake, message, value, member)).message
    return message


def _values(by_dimension: dict[str, int]) -> list[int]:
    return [by_dimension[q.dimension] for q in INSTRUMENT.questions]


async def test_a_scan_interrupted_after_question_7_resumes_at_question_8_after_a_restart(
    fake_discord: FakeDiscord, launch: Launcher
) -> None:
    """Alice answers seven questions; after a restart /scan start shows question 8, the old buttons still work,
    Back shows the answer given, and Stop says where to continue."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        started = await fake.slash("scan start", user=fake.alice)
        assert started.ephemeral and started.message.pings == []
        assert "Vraag 1 van 18" in started.message.embed_text
        assert INSTRUMENT.questions[0].text.nl in started.message.embed_text
        message = started.message
        for _ in range(7):
            message = (await _answer(fake, message, 2, fake.alice)).message
        assert _number(message) == 8
        scan_id = int(_answer_id(message, 1).split(":")[2])
        stored = await bot.services.scan.where(fake.guild.id, fake.alice.id, scan_id)
        assert stored.answered == 7 and stored.question.number == 8  # every answer was stored as it was given
    async with launch():
        resumed = await fake.slash("scan start", user=fake.alice)
        assert _number(resumed.message) == 8 and "Vraag 8 van 18" in resumed.message.embed_text
        assert INSTRUMENT.questions[7].text.nl in resumed.message.embed_text
        assert "Welkom terug" in resumed.message.embed_text and "7 van 18 beantwoord" in resumed.message.embed_text
        # the question shown before the restart still answers: question 8 of the same scan
        clicked = await _answer(fake, message, 3, fake.alice)
        assert _number(clicked.message) == 9 and "8 van 18 beantwoord" in clicked.message.embed_text
        back_id = next(c for c in clicked.message.custom_ids if c.startswith("scan:back:"))
        back = await fake.click(clicked.message, back_id, user=fake.alice)
        assert _number(back.message) == 8 and "Je antwoord tot nu toe: Deels" in back.message.embed_text
        stop = next(c for c in back.message.custom_ids if c.startswith("scan:stop:"))
        stopped = await fake.click(back.message, stop, user=fake.alice)
        assert stopped.type == 7 and stopped.message.components == []
        assert "8 van 18" in stopped.message.content and "vraag 9" in stopped.message.content


async def test_results_send_a_localised_png_and_a_second_scan_shows_progress(steunpunt: Env) -> None:
    """Bob (en) and Alice (nl) get a PNG whose labels are in their language; Bob's second scan shows the change."""
    fake, _ = steunpunt
    none = await fake.slash("scan results", user=fake.bob)
    assert "have not completed a self-scan" in (await none.final()).text
    first = {d.id: 2 for d in INSTRUMENT.dimensions} | {"collections-data": 1}
    done = await _scan(fake, fake.bob, _values(first))
    assert done.components == [] and "complete" in done.embed_text and "Starting" in done.embed_text
    results = await (await fake.slash("scan results", user=fake.bob)).final()
    assert results.ephemeral and results.pings == []
    chart = results.attachment("scan.png")
    assert chart.data.startswith(PNG_SIGNATURE)
    meta = png_text(chart.data)
    assert "Digital maturity" in meta["Title"]
    for dimension in INSTRUMENT.dimensions:
        assert dimension.name.en in meta["Description"] and dimension.name.nl not in meta["Description"]
    assert "This scan 1.0" in meta["Description"] and "Previous scan" not in meta["Description"]
    assert chart.description and "Collections, data & preservation: This scan 1.0" in chart.description
    assert "first scan" in results.embed_text
    second = {d.id: 3 for d in INSTRUMENT.dimensions} | {"collections-data": 1}
    await _scan(fake, fake.bob, _values(second))
    again = await (await fake.slash("scan results", user=fake.bob)).final()
    meta = png_text(again.attachment("scan.png").data)
    assert "Strategy, leadership & budget: This scan 3.0, Previous scan" in meta["Description"]
    assert "▲ 1.0" in again.embed_text and "= no change" in again.embed_text and "Change since" in again.embed_text
    await _scan(fake, fake.alice, _values({d.id: 4 for d in INSTRUMENT.dimensions}))
    dutch = await (await fake.slash("scan results", user=fake.alice)).final()
    meta = png_text(dutch.attachment("scan.png").data)
    assert "Digitale volwassenheid" in meta["Title"] and "Deze scan 4,0" in meta["Description"]
    assert all(d.name.nl in meta["Description"] for d in INSTRUMENT.dimensions)
    assert "Verankerd" in dutch.embed_text


async def test_the_weakest_dimension_leads_to_resources_and_a_confirmed_need(steunpunt: Env) -> None:
    """Collections is Bob's weakest: the results list library resources; help drafts a need he confirms; Alice,
    who offers that skill visibly, is shown."""
    fake, bot = steunpunt
    links = bot.get_cog("LinkCheckCog")
    assert isinstance(getattr(links, "checker", None), LinkChecker), "the link checker moved: keep this test offline"
    links.checker = OfflineLinkChecker()  # type: ignore[union-attr]  # no network: starter links stay approved
    await bot.services.library.load_starter(fake.guild.id, fake.moderator.id, "en")
    await fake.slash("profile set", user=fake.alice, visible=True, organisation="Museum Lisse")
    await fake.slash("skills offer", user=fake.alice, skill="preservation-planning", level="expert")
    await _scan(fake, fake.bob, _values({d.id: 3 for d in INSTRUMENT.dimensions} | {"collections-data": 1}))
    results = await (await fake.slash("scan results", user=fake.bob)).final()
    text = results.embed_text
    assert "To work on: Collections, data & preservation" in text
    assert "NDSA Levels of Digital Preservation" in text  # a starter resource found for the dimension
    assert "den.nl" in text  # the public DEN tools to compare with
    help_id = next(c for c in results.custom_ids if c.startswith("scan:help:") and c.endswith(":collections-data"))
    draft = await fake.click(results, help_id, user=fake.bob)
    assert draft.ephemeral and "Draft" in draft.message.embed_text
    assert "Digital preservation planning" in draft.message.embed_text
    assert await bot.services.skills.listings.mine(fake.guild.id, fake.bob.id) == []  # nothing stored yet
    yes = next(c for c in draft.message.custom_ids if c.endswith(":yes"))
    confirmed = await fake.click(draft.message, yes, user=fake.bob)
    assert confirmed.type == 7 and confirmed.message.pings == []
    assert "Listed as your need #2" in confirmed.message.content and "/match request" in confirmed.message.content
    assert f"<@{fake.alice.id}>" in confirmed.message.embed_text and "Museum Lisse" in confirmed.message.embed_text
    [need] = await bot.services.skills.listings.mine(fake.guild.id, fake.bob.id)
    assert need.kind == "need" and need.skill == "preservation-planning"
    assert "digital-maturity self-scan" in need.note and "Starting" in need.note
    second = (await fake.click(results, help_id, user=fake.bob)).message
    no = next(c for c in second.custom_ids if c.endswith(":no"))
    cancelled = await fake.click(second, no, user=fake.bob)
    assert "Nothing was listed" in cancelled.message.content
    assert len(await bot.services.skills.listings.mine(fake.guild.id, fake.bob.id)) == 1
