"""Pure rendering helpers: limits are enforced in one place."""

from __future__ import annotations

from bot.i18n import I18n
from bot.render.common import EMBED_TOTAL_MAX, FIELD_VALUE_MAX, safe, safe_link
from bot.render.general import HelpEntry, chunk_lines, help_embed


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
