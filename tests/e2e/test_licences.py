"""/licence choose, compare, info and /rights through the fake Discord, in Dutch (alice) and English (bob)."""

from __future__ import annotations

from bot.app import SteunpuntBot
from tests.e2e.conftest import Launcher
from tests.fakediscord import FakeDiscord

Env = tuple[FakeDiscord, SteunpuntBot]


async def test_the_chooser_in_dutch_ends_at_by_nc_sa_with_an_attribution_line(steunpunt: Env) -> None:
    """Alice: credit yes, commercial no, adaptations if shared alike → CC BY-NC-SA 4.0; Back works; the modal's line."""
    fake, _ = steunpunt
    started = await fake.slash("licence choose", user=fake.alice)
    assert started.ephemeral and started.message.embeds[0]["title"] == "Kies een licentie · vraag 1"
    assert "Wil je dat anderen je naam vermelden?" in started.message.embed_text
    assert set(started.message.custom_ids) == {"lic:ch:y", "lic:ch:n", "lic:ch:pd"}
    second = await fake.click(started.message, "lic:ch:y", user=fake.alice)
    assert second.type == 7 and "Mogen anderen je werk commercieel gebruiken?" in second.message.embed_text
    back = await fake.click(second.message, "lic:ch:", user=fake.alice)  # Back to the first question
    assert back.message.embeds[0]["title"] == "Kies een licentie · vraag 1"
    second = await fake.click(back.message, "lic:ch:y", user=fake.alice)
    third = await fake.click(second.message, "lic:ch:y.n", user=fake.alice)
    assert "Moeten bewerkingen onder dezelfde licentie worden gedeeld?" in third.message.embed_text
    done = await fake.click(third.message, "lic:ch:y.n.sa", user=fake.alice)
    result = done.message.embeds[0]
    assert result["title"] == "CC BY-NC-SA 4.0 — Naamsvermelding-NietCommercieel-GelijkDelen 4.0 Internationaal"
    assert result["url"] == "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.nl"
    text = done.message.embed_text
    assert "🚫 het niet commercieel gebruiken" in text and "GelijkDelen" in text
    assert "☐ Ik begrijp dat de licentie niet kan worden ingetrokken" in text  # A.3's three confirmations
    assert text.count("☐") == 3
    modal = (await fake.click(done.message, "lic:attr:cc-by-nc-sa-4.0", user=fake.alice)).modal
    assert modal is not None
    fields = {"title": "Gezicht op Delft", "creator": "Museum Prinsenhof", "source": "https://example.org/delft"}
    answered = await fake.submit_modal(modal, {**fields, "year": "2024"}, user=fake.alice)
    assert answered.ephemeral and answered.message.embeds[0]["title"] == "Je naamsvermelding"
    assert answered.message.embeds[0]["description"] == (
        "“Gezicht op Delft” © 2024 door Museum Prinsenhof (https://example.org/delft) valt onder de licentie "
        "CC BY-NC-SA 4.0 (https://creativecommons.org/licenses/by-nc-sa/4.0/deed.nl)"
    )
    assert answered.message.pings == [] and done.message.pings == []


async def test_the_chooser_in_english_ends_at_by_and_escapes_the_line(steunpunt: Env) -> None:
    """Bob: yes, yes, yes → CC BY 4.0; a hostile title and creator come back escaped, pinging nobody."""
    fake, _ = steunpunt
    message = (await fake.slash("licence choose", user=fake.bob)).message
    assert message.embeds[0]["title"] == "Choose a licence · question 1"
    for path in ("y", "y.y", "y.y.y"):
        message = (await fake.click(message, f"lic:ch:{path}", user=fake.bob)).message
    assert message.embeds[0]["title"] == "CC BY 4.0 — Creative Commons Attribution 4.0 International"
    assert message.embeds[0]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "✅ use it commercially" in message.embed_text and "Attribution" in message.embed_text
    modal = (await fake.click(message, "lic:attr:cc-by-4.0", user=fake.bob)).modal
    answered = await fake.submit_modal(modal, {"title": "**Tulips** @everyone", "creator": "<@1> Anna"}, user=fake.bob)
    line = answered.message.embeds[0]["description"]
    assert line.startswith("“\\*\\*Tulips\\*\\* @\u200beveryone” by <\u200b@1> Anna is licensed under CC BY 4.0 ")
    assert line.endswith("(https://creativecommons.org/licenses/by/4.0/)")
    assert answered.message.pings == []
    again = (await fake.click(message, "lic:attr:cc-by-4.0", user=fake.bob)).modal  # a modal answers once
    wrong = await fake.submit_modal(again, {"title": "Tulips", "creator": "Anna", "year": "soon"}, user=fake.bob)
    assert wrong.ephemeral and "is not a year" in wrong.content


async def test_no_credit_leads_to_cc0_and_public_domain_to_pdm(steunpunt: Env) -> None:
    """ "No" to attribution ends at CC0 with its two waiver confirmations; "already public domain" at PDM."""
    fake, _ = steunpunt
    started = await fake.slash("licence choose", user=fake.bob)
    cc0 = (await fake.click(started.message, "lic:ch:n", user=fake.bob)).message
    assert cc0.embeds[0]["title"].startswith("CC0 1.0 — CC0 1.0 Universal")
    assert cc0.embed_text.count("☐") == 2 and "waive" in cc0.embed_text
    back = (await fake.click(cc0, "lic:ch:", user=fake.bob)).message
    pdm = (await fake.click(back, "lic:ch:pd", user=fake.bob)).message
    assert pdm.embeds[0]["title"] == "PDM 1.0 — Public Domain Mark 1.0"
    modal = (await fake.click(pdm, "lic:attr:pdm-1.0", user=fake.bob)).modal
    answered = await fake.submit_modal(modal, {"title": "Map of Delft", "creator": "Blaeu"}, user=fake.bob)
    assert "is marked PDM 1.0 (https://creativecommons.org/publicdomain/mark/1.0/)" in answered.message.embed_text


async def test_compare_by_sa_with_by_nc_cannot_be_combined_and_says_why(steunpunt: Env) -> None:
    """Chart 2 says no; the why names BY-SA's and BY-NC's conditions; the collections note follows."""
    fake, _ = steunpunt
    result = await fake.slash("licence compare", user=fake.bob, a="cc-by-sa-4.0", b="cc-by-nc-4.0")
    assert result.ephemeral
    text = result.message.embed_text
    assert "❌ No: material under CC BY-SA 4.0 and under CC BY-NC 4.0 cannot be combined" in text
    assert "CC BY-SA 4.0 requires the adaptation to be shared under CC BY-SA 4.0 too." in text
    assert "CC BY-NC 4.0 forbids commercial use" in text and "No licence satisfies both." in text
    assert "CC BY-NC 4.0 may only go into non-commercial collections." in text
    dutch = await fake.slash("licence compare", user=fake.alice, a="cc-by-4.0", b="cc-by-nc-4.0")
    text = dutch.message.embed_text
    assert "✅ Ja" in text and "✅ CC BY-NC 4.0 (meest open keuze)" in text
    assert "⚠️ CC BY 4.0: toegestaan, maar Creative Commons raadt het af" in text


async def test_info_and_rights_lookups(steunpunt: Env) -> None:
    """/licence info shows the facts; /rights finds a statement by code, URI and autocomplete, in both languages."""
    fake, _ = steunpunt
    info = await fake.slash("licence info", user=fake.alice, licence="cc-by-nd-4.0")
    assert info.ephemeral and "Naamsvermelding-GeenAfgeleideWerken" in info.message.embed_text
    assert "🚫 geen bewerkte versies delen" in info.message.embed_text
    offered = await fake.autocomplete("rights", "query", "educatief", user=fake.alice)
    assert offered[0] == {
        "name": "InC-EDU — Auteursrechtelijk beschermd - educatief gebruik toegestaan",
        "value": "InC-EDU",
    }
    shown = await fake.slash("rights", user=fake.alice, query="InC-EDU")
    assert shown.ephemeral and shown.message.embeds[0]["title"].startswith("InC-EDU — Auteursrechtelijk beschermd")
    assert "http://rightsstatements.org/vocab/InC-EDU/1.0/" in shown.message.embed_text
    english = await fake.slash("rights", user=fake.bob, query="https://rightsstatements.org/page/NoC-US/1.0/")
    assert "Statements for works that are not in copyright" in english.message.embed_text
    vague = await fake.slash("rights", user=fake.bob, query="no copyright")
    assert vague.ephemeral and "NoC-CR" in vague.content and "several" in vague.content


async def test_a_chooser_button_still_answers_after_a_restart(fake_discord: FakeDiscord, launch: Launcher) -> None:
    """The state is in the custom_ids: after a restart the next button and the attribution button still work."""
    fake = fake_discord
    async with launch() as bot:
        await bot.sync_commands(guild_id=None)
        started = await fake.slash("licence choose", user=fake.bob)
        second = await fake.click(started.message, "lic:ch:y", user=fake.bob)
        result = await fake.click(second.message, "lic:ch:y.y", user=fake.bob)
        third = result.message
        assert "adapt" in third.embed_text
    async with launch():
        done = await fake.click(third, "lic:ch:y.y.n", user=fake.bob)
        assert done.type == 7 and done.errors == []
        assert done.message.embeds[0]["title"].startswith("CC BY-ND 4.0 — ")
        opened = await fake.click(done.message, "lic:attr:cc-by-nd-4.0", user=fake.bob)
        assert opened.modal is not None
