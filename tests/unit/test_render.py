"""Pure rendering helpers: limits are enforced in one place."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote

import discord
import pytest

from bot.domain.qa_models import FaqEntry, Page
from bot.domain.resources import Resource
from bot.i18n import I18n
from bot.render.common import DESCRIPTION_MAX, EMBED_TOTAL_MAX, FIELD_VALUE_MAX, TITLE_MAX, safe, safe_link
from bot.render.general import HelpEntry, chunk_lines, help_embed
from bot.render.qa import faq_embed
from bot.render.resources import link_value, resource_embed, resource_line, resource_list_embed


def test_chunk_lines_never_exceeds_the_limit() -> None:
    """Lines are grouped into blocks within the limit, in order, none split."""
    lines = [f"line {i} " + "x" * 90 for i in range(40)]
    blocks = chunk_lines(lines, FIELD_VALUE_MAX)
    assert all(len(b) <= FIELD_VALUE_MAX for b in blocks)
    assert "\n".join(blocks).split("\n") == lines


def test_help_with_many_commands_stays_within_embed_limits(i18n: I18n) -> None:
    """A theme with many commands is split over several fields, never truncated, within 6000 in total."""
    entries = [HelpEntry(f"resource action{i}", "Een omschrijving van een opdracht " * 2) for i in range(30)]
    embed = help_embed({"knowledge": entries}, ("general", "knowledge"), i18n, "nl")
    fields = embed.to_dict()["fields"]
    assert all(len(f["value"]) <= FIELD_VALUE_MAX for f in fields)
    assert sum(f["value"].count("`/resource") for f in fields) == 30
    assert len(embed) <= EMBED_TOTAL_MAX


def test_safe_text_and_links() -> None:
    """Mentions are neutralised, masked links broken, and a link label can't pose as another URL."""
    text = safe("@everyone [https://good.example](https://evil.example) <@&123>")
    assert "@everyone" not in text and "](" not in text
    assert safe_link("https://good.example", "https://evil.example") == "[evil.example](https://evil.example)"
    assert safe_link("paypal.com/signin", "https://evil.example/x") == "[evil.example](https://evil.example/x)"
    assert "<@&123456789012345678>" not in safe_link("<@&123456789012345678> lees dit", "https://example.org")
    assert safe_link("Gids [deel 1]", "https://example.org/a b") == "[Gids (deel 1)](https://example.org/a%20b)"


PARENTHESES = "https://example.org/" + ")" * 480


def _resource(url: str, **changes: object) -> Resource:
    base = Resource(
        1, 1, "Gids", url, "", "Een gids.", "skills", ("a",), "nl", None, "guide", "beginner", "", 7, "pending"
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= TITLE_MAX and len(data.get("description", "")) <= DESCRIPTION_MAX
    assert all(0 < len(f["value"]) <= FIELD_VALUE_MAX and 0 < len(f["name"]) <= 256 for f in data.get("fields", []))
    assert len(embed) <= EMBED_TOTAL_MAX


@pytest.mark.parametrize("for_moderators", [False, True])
def test_a_url_full_of_parentheses_fits_the_card_and_still_opens(i18n: I18n, for_moderators: bool) -> None:
    """Issue 10, defect 2: `https://example.org/` + 480 `)` made the link field 1,500 characters (50035).

    The card fits; its link field shows the real host; the card's title opens the stored address.
    """
    embed = resource_embed(_resource(PARENTHESES), i18n, "nl", for_moderators=for_moderators)
    _within_limits(embed)
    link = embed.to_dict()["fields"][0]["value"]
    assert link.startswith("example.org")
    assert embed.url is not None and unquote(embed.url) == PARENTHESES


def test_overlong_links_in_lists_and_answers_fit(i18n: I18n) -> None:
    """The same address in a list of resources and in /ask results stays within every limit."""
    resources = [_resource(PARENTHESES, id=i, title=f"Gids {i}", summary="x" * 1000) for i in range(10)]
    _within_limits(resource_list_embed("Zoeken", Page(resources, 0, 1, 10), i18n, "nl", "resources.search.none"))
    line = resource_line(resources[0], i18n, "nl")
    assert "example.org" in line and len(line) < FIELD_VALUE_MAX
    assert len(link_value(PARENTHESES)) <= FIELD_VALUE_MAX


def test_a_short_link_shows_its_host_and_opens_the_address(i18n: I18n) -> None:
    """An ordinary address is a link whose text is its host; ( ) and spaces are encoded so the link holds."""
    embed = resource_embed(_resource("https://example.org/a_(b)%20c"), i18n, "en")
    assert embed.to_dict()["fields"][0]["value"] == "[example.org](https://example.org/a_%28b%29%20c)"
    assert embed.url == "https://example.org/a_%28b%29%20c"


def test_masked_links_in_an_faq_body_show_their_real_host(i18n: I18n) -> None:
    """Issue 10, defect 10: `/faq show` posted a (promoted, member-written) body with live masked links.

    Markdown stays; every masked link shows its label and its real host, and only the host is the link.
    """
    body = (
        "**Stap 1**: lees [de handleiding](https://evil.example/gids).\n"
        "Of [https://good.example](https://evil.example/x) en [paypal.com](<https://evil.example/y>).\n"
        "<@123> <@&1> @everyone"
    )
    entry = FaqEntry(1, 1, "Bewaartermijn", body, (), None, None, 1, 1)
    description = faq_embed(entry, i18n, "nl").description or ""
    assert "**Stap 1**" in description
    assert "de handleiding ([evil.example](https://evil.example/gids))" in description
    assert "[https://good.example]" not in description and "[paypal.com]" not in description
    assert "[evil.example](https://evil.example/x)" in description
    assert "[evil.example](https://evil.example/y)" in description
    for mention in ("<@123>", "<@&1>", "@everyone"):
        assert mention not in description


def test_safe_text_neutralises_every_mention() -> None:
    """Short ids, role and channel mentions are neutralised too, not only 17-20 digit ids."""
    text = safe("<@1> <@!2> <@&3> <#4> @here")
    assert not any(m in text for m in ("<@1>", "<@!2>", "<@&3>", "<#4>", "@here"))
