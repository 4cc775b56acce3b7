"""/stats through the wire: a moderator gets the figures and PNG charts labelled in their own language (Dutch for
Maud, English for the owner), the embed and the CSV agree, and a plain member is refused. The clock is frozen
(Monday 23 November 2026, 09:00 UTC)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.app import SteunpuntBot
from bot.charts import PNG_SIGNATURE, png_text
from bot.clock import FixedClock
from bot.domain.qa_models import HelpPost
from bot.domain.resources import make_draft
from bot.domain.stats import snowflake_at
from bot.linkcheck import LinkChecker, LinkResult
from bot.render.stats import POSTS_CHART, RESOURCES_CHART, SEARCH_CHART, figure_rows
from tests.fakediscord import FakeDiscord, StoredMessage

Env = tuple[FakeDiscord, SteunpuntBot]
CHARTS = (SEARCH_CHART, POSTS_CHART, RESOURCES_CHART)
TITLE = "Handboek IIIF voor kleine musea"


class OfflineLinkChecker(LinkChecker):
    """The link check without a network: every link is "could not tell", so nothing changes."""

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Answer at once, inconclusively."""
        return [LinkResult(url, None, "offline in tests") for url in urls]


async def _arrange(fake: FakeDiscord, bot: SteunpuntBot, clock: FixedClock) -> None:
    """Moderators; two /ask searches (one finds nothing); a help post solved after 3 hours; a helpful resource."""
    links = bot.get_cog("LinkCheckCog")
    assert links is not None
    links.checker = OfflineLinkChecker()  # type: ignore[attr-defined]
    guild = fake.guild.id
    await bot.services.guild_settings.update(guild, moderator_role_id=fake.world.moderator_role.id)
    draft = make_draft(
        title=TITLE,
        url="https://example.org/iiif",
        summary="Een praktische gids.",
        theme="skills",
        type="guide",
        language="nl",
    )
    resource = await bot.services.library.suggest(guild, 900_001, draft)
    await bot.services.library.approve(guild, resource.id, fake.moderator.id)
    await bot.services.library.vote_helpful(guild, resource.id, fake.alice.id)
    for question in ("Hoe werkt IIIF in een klein museum?", "xqzvw plorf gnarbl"):
        asked = await fake.slash("ask", user=fake.alice, question=question)
        await asked.final()
    thread = snowflake_at(clock.now())
    await bot.services.qa.post_opened(HelpPost(thread, guild, fake.world.forum.id, fake.alice.id, "Dia's scannen?"))
    clock.advance(timedelta(hours=3))
    await bot.services.qa.mark_solution(
        guild,
        thread,
        marker_id=fake.alice.id,
        is_moderator=False,
        answer_message_id=snowflake_at(clock.now()),
        answer_author_id=fake.bob.id,
        answer_text="Met een diascanner.",
    )


def _charts(message: StoredMessage) -> dict[str, dict[str, str]]:
    """Each attached chart's PNG text metadata, by file name (and every one is a real PNG)."""
    found = {}
    for attachment in message.attachments:
        assert attachment.data.startswith(PNG_SIGNATURE), attachment.filename
        found[attachment.filename] = png_text(attachment.data)
    return found


async def test_a_dutch_moderator_gets_dutch_charts_and_the_embed_shows_the_figures(
    steunpunt: Env, clock: FixedClock
) -> None:
    """Maud (nl): one ephemeral answer after the defer, three PNGs with Dutch titles and labels, no English."""
    fake, bot = steunpunt
    await _arrange(fake, bot, clock)
    result = await fake.slash("stats", user=fake.moderator)
    assert result.type == 5 and result.ephemeral  # deferred: the charts take a moment
    final = await result.final()
    assert final.ephemeral and final.pings == [] and len(result.messages) == 1
    charts = _charts(final)
    assert set(charts) == set(CHARTS)
    assert charts[SEARCH_CHART]["Title"] == "Zoekvragen per week"
    assert "Zoekvragen 2, Zonder resultaat" in charts[SEARCH_CHART]["Description"]
    assert "23 nov" in charts[SEARCH_CHART]["Description"]
    assert charts[POSTS_CHART]["Title"] == "Hulpvragen per week"
    assert "Geopend 1, Opgelost 1" in charts[POSTS_CHART]["Description"]
    assert charts[RESOURCES_CHART]["Title"] == "Nuttigste bronnen"
    assert f"{TITLE}: Stemmen ‘nuttig’ 1" in charts[RESOURCES_CHART]["Description"]
    english = ("Searches", "Without results", "Opened", "Solved", "Help posts", "Most helpful", "Nov")
    for meta in charts.values():
        assert not any(word in meta["Title"] + meta["Description"] for word in english)
    assert all(a.description and a.description.startswith("Grafiek: ") for a in final.attachments)
    [embed] = final.embeds
    assert embed["title"] == "Statistieken: afgelopen 30 dagen"
    assert embed["image"]["url"] == f"attachment://{SEARCH_CHART}"
    text = final.embed_text
    assert "Zoekvragen: **2**" in text and "Oplospercentage: **100%**" in text
    assert "Tijd tot geaccepteerd antwoord (mediaan): **3 u 0 min**" in text
    assert "Aandeel geaccepteerd: **geen gegevens**" in text  # no match requests: no data, no crash
    assert TITLE in text
    figures = await bot.services.stats.for_days(fake.guild.id)
    for row in figure_rows(figures, bot.i18n, "nl"):  # the embed shows exactly the rows the CSV writes
        if row.section != "resources":
            assert f"{row.label}: **{row.shown}**" in text, row.key


async def test_an_english_moderator_gets_english_charts(steunpunt: Env, clock: FixedClock) -> None:
    """The owner (en-US, Manage Server) chooses 7 days: English titles and labels, and no Dutch."""
    fake, bot = steunpunt
    await _arrange(fake, bot, clock)
    final = await (await fake.slash("stats", user=fake.world.owner, period=7)).final()
    assert final.ephemeral
    charts = _charts(final)
    assert charts[SEARCH_CHART]["Title"] == "Searches per week"
    assert "23 Nov: Searches 2, Without results" in charts[SEARCH_CHART]["Description"]
    assert "Opened 1, Solved 1" in charts[POSTS_CHART]["Description"]
    assert f"{TITLE}: Helpful votes 1" in charts[RESOURCES_CHART]["Description"]
    dutch = ("Zoekvragen", "Zonder resultaat", "Geopend", "Opgelost", "Hulpvragen", "Nuttigste", "nov")
    for meta in charts.values():
        assert not any(word in meta["Title"] + meta["Description"] for word in dutch)
    [embed] = final.embeds
    assert embed["title"] == "Statistics: last 7 days"
    assert "Acceptance share: **no data**" in final.embed_text and "Solve rate: **100%**" in final.embed_text


async def test_without_data_two_charts_and_no_data(steunpunt: Env) -> None:
    """A new server: zeros and "no data" everywhere, the two weekly charts, no resources chart."""
    fake, _ = steunpunt
    final = await (await fake.slash("stats", user=fake.world.owner, period=90)).final()
    assert set(_charts(final)) == {SEARCH_CHART, POSTS_CHART}
    assert "Share without results: **no data**" in final.embed_text
    assert "No helpful votes in this period." in final.embed_text


async def test_a_plain_member_is_refused_privately(steunpunt: Env, clock: FixedClock) -> None:
    """Alice and Bob are no moderators: one ephemeral refusal in their language, nothing deferred or drawn.

    Discord hides /stats from members without Manage Messages; the server opened it to everyone here.
    """
    fake, bot = steunpunt
    await _arrange(fake, bot, clock)
    fake.permission_overrides.add("stats")
    for member, locale in ((fake.alice, "nl"), (fake.bob, "en")):
        refused = await fake.slash("stats", user=member, period=365)
        assert refused.type == 4 and refused.ephemeral
        assert refused.content == bot.i18n.t("errors.not_moderator", locale)
        assert refused.message.attachments == [] and refused.followups == []
