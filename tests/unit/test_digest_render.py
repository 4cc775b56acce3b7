"""The digest in Discord: what members see in the channel post and in a personal DM, and how long ones are split.

The property test over hostile digests (every limit, no ping, no foreign link) is ``test_digest_messages`` in
test_render_limits.py; these tests pin down the layout and the words.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import discord

from bench.digest_html import GUILD_ID, sample_digest
from bot.domain.digest.models import SECTION_LIMITS, DigestContent, DigestItem, Figure
from bot.render.digest import digest_messages
from bot.render.newsletter import command_text
from tests.unit.test_render_limits import I18N, Allowed, check_embeds

SERVER = "Erfgoed Digitaal"


def _render(content: DigestContent, *, personal: bool = False, name: str = SERVER) -> list[list[dict[str, object]]]:
    messages = digest_messages(content, i18n=I18N, guild_name=name, guild_id=GUILD_ID, personal=personal)
    allowed = Allowed()
    for item in content.items():
        allowed.url(item.url)
        if item.thread_id:
            allowed.url(f"https://discord.com/channels/{GUILD_ID}/{item.thread_id}")
    for message in messages:
        check_embeds(message.embeds, allowed)
        assert message.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    return [[embed.to_dict() for embed in message.embeds] for message in messages]


def _titles(messages: list[list[dict[str, object]]]) -> list[str]:
    return [str(embed.get("title")) for message in messages for embed in message]


def test_channel_post_shows_every_section_in_order_with_links_and_figures() -> None:
    """A good week fits one message: a header with the dates and figures, then one embed per section."""
    (message,) = _render(sample_digest())
    assert _titles([message]) == [
        "📬 Weekoverzicht van Erfgoed Digitaal",
        "📚 Nieuwe bronnen",
        "⭐ Uitgelicht",
        "✅ Opgeloste vragen",
        "🙋 Vragen die op hulp wachten",
        "🤝 Nieuw aanbod en nieuwe hulpvragen",
        "🧩 Samenwerkingsvoorstellen",
    ]
    header = str(message[0]["description"])
    since, until = (
        int(datetime.fromisoformat(moment).timestamp()) for moment in ("2026-11-30T08:00Z", "2026-12-07T08:00Z")
    )
    assert f"Nieuw van <t:{since}:D> tot <t:{until}:D>" in header
    assert "✅ **3** vragen opgelost · 📚 **4** nieuwe bronnen · 🤝 **2** vaardigheden aangeboden" in header
    resources = str(message[1]["description"])
    assert resources.startswith(
        "• [Handreiking auteursrecht voor erfgoedinstellingen](https://www.den.nl/kennisbank/auteursrecht) — "
    )
    assert "Handleiding · 14× nuttig" in resources
    solved = str(message[3]["description"]).splitlines()
    assert solved[0] == (
        "• [Welke CC-licentie voor gescande ansichtkaarten van vóór 1900?]"
        f"(https://discord.com/channels/{GUILD_ID}/9001)"
    )
    assert "open sinds 12 dagen" in str(message[4]["description"])
    skills = str(message[5]["description"])
    assert "• Aanbod: Georefereren van historische kaarten — " in skills
    assert "• Gevraagd: Wikidata-items aanmaken" in skills


def test_channel_footer_says_how_to_subscribe_and_how_to_fix_a_missing_dm() -> None:
    """Only the last embed has the footer: how to get the digest by DM, and what to do when it does not arrive."""
    (message,) = _render(sample_digest())
    assert all("footer" not in embed for embed in message[:-1])
    footer = message[-1]["footer"]["text"]  # type: ignore[index]
    subscribe = command_text(I18N, "nl", "subscribe")
    assert f"Gebruik {subscribe}." in footer
    assert "Sta privéberichten van serverleden toe" in footer and f"opnieuw {subscribe}" in footer


def test_personal_digest_names_its_server_and_starts_with_questions_to_help_with() -> None:
    """A DM says which server it is from, puts "questions you could help with" first, and how to unsubscribe."""
    helpable = DigestItem("open", "post:8870", "Wie kent IIIF?", thread_id=8870, score=3)
    content = replace(sample_digest(), could_help=(helpable,))
    (message,) = _render(content, personal=True)
    assert message[0]["title"] == "📬 Jouw overzicht van Erfgoed Digitaal"
    assert "uit de server **Erfgoed Digitaal**" in str(message[0]["description"])
    assert message[1]["title"] == "💡 Vragen waar jij bij kunt helpen"
    assert message[1]["description"] == (
        f"• [Wie kent IIIF?](https://discord.com/channels/{GUILD_ID}/8870) · open sinds 3 dagen"
    )
    footer = message[-1]["footer"]["text"]  # type: ignore[index]
    assert command_text(I18N, "nl", "unsubscribe") in footer and "knop hieronder" in footer
    assert "serverleden" not in footer
    channel = _render(content)  # the channel post never shows one member's questions
    assert "💡 Vragen waar jij bij kunt helpen" not in _titles(channel)


def test_english_digest_and_figures_in_the_singular() -> None:
    """The digest's language decides every word; a figure of one is in the singular, thousands are grouped."""
    content = replace(
        sample_digest(), locale="en", figures=(Figure("solved", 1), Figure("resources", 12_345), Figure("offers", 0))
    )
    (message,) = _render(content)
    assert message[0]["title"] == "📬 Weekly digest of Erfgoed Digitaal"
    assert "**1** question solved · 📚 **12,345** new resources · 🤝 **0** skills offered" in str(
        message[0]["description"]
    )
    assert "📚 New resources" in _titles([message])
    assert "allow direct messages from server members" in message[-1]["footer"]["text"].lower()  # type: ignore[index]


def test_an_empty_digest_is_no_message() -> None:
    """Figures alone, or nothing at all, post nothing."""
    empty = DigestContent(1, "2026-W49", "2026-11-30T08:00:00+00:00", "2026-12-07T08:00:00+00:00", "nl")
    assert _render(empty) == []
    assert _render(replace(empty, figures=(Figure("solved", 4),)), personal=True) == []


def test_sections_show_their_limit_then_how_many_more() -> None:
    """A section longer than its limit shows the first items and "…and N more"; unknown sections are ignored."""
    base = sample_digest()
    many = tuple(DigestItem("solved", f"post:{n}", f"Vraag {n}", thread_id=n) for n in range(1, 13))
    content = replace(base, sections={"solved": many, "elsewhere": many})
    (message,) = _render(content)
    assert _titles([message]) == ["📬 Weekoverzicht van Erfgoed Digitaal", "✅ Opgeloste vragen"]
    lines = str(message[1]["description"]).splitlines()
    assert len(lines) == SECTION_LIMITS["solved"] + 1
    assert lines[-1] == f"…en nog {12 - SECTION_LIMITS['solved']}"


def test_hostile_titles_are_escaped_and_ping_nobody() -> None:
    """Markdown and mentions in titles, summaries and the server's name are shown as text; a title that is a
    masked link or an address never disguises where its link goes."""
    evil = DigestItem(
        "resources", "resource:1", "@everyone **gratis** <@123>", "<@&5> ||spoiler||", url="https://example.org/gids"
    )
    disguised = DigestItem("resources", "resource:2", "[klik](https://evil.example/x)", url="https://example.org/b")
    unlinked = DigestItem("collab", "proposal:1", "[paypal.com](https://evil.example/y)", url="javascript:alert(1)")
    content = replace(sample_digest(), sections={"resources": (evil, disguised), "collab": (unlinked,)})
    (message,) = _render(content, name="@here **Server** <#1>")
    assert "@\u200bhere \\*\\*Server\\*\\* <\u200b#1>" in str(message[0]["title"])
    first, second = str(message[1]["description"]).splitlines()
    assert first == (
        "• [@\u200beveryone \\*\\*gratis\\*\\* <\u200b@123>](https://example.org/gids)"
        " — <\u200b@&5> \\|\\|spoiler\\|\\|"
    )
    assert second == "• [example.org](https://example.org/b)"  # a label that looks like an address: the real host
    assert str(message[2]["description"]) == "• \\(paypal.com)\u200b(https://evil.example/y)"


def test_long_digest_is_split_within_discords_limits_in_order() -> None:
    """Sections full of maximal items need several messages: ten embeds and 6,000 characters at most each,
    every section once and in order, the footer on the very last embed."""
    long = "Erfgoed " * 200
    sections = {
        name: tuple(
            DigestItem(name, f"{name}:{n}", long, long, url=f"https://example.org/{name}/{n}/" + "a" * 400)
            for n in range(limit)
        )
        for name, limit in SECTION_LIMITS.items()
    }
    content = replace(sample_digest(), sections=sections, could_help=sections["open"])
    messages = _render(content, personal=True)
    assert len(messages) > 1
    for message in messages:
        assert len(message) <= 10
    titles = _titles(messages)
    assert titles[0].startswith("📬") and titles[1] == "💡 Vragen waar jij bij kunt helpen"
    assert len(titles) == 2 + len(SECTION_LIMITS) == len(set(titles))
    embeds = [embed for message in messages for embed in message]
    assert [("footer" in embed) for embed in embeds] == [False] * (len(embeds) - 1) + [True]
    every_line = "\n".join(str(embed.get("description")) for embed in embeds)
    assert every_line.count("• ") >= 5 and "…" in every_line  # long texts are shortened, not dropped whole
