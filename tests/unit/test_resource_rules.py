"""Pure rules of the resource library: URLs, licences, tags, drafts, file formats."""

from __future__ import annotations

import pytest

from bot.domain.exchange import dump_resources, read_resources
from bot.domain.resources import make_draft, normalise_licence, normalise_url, parse_tags
from bot.errors import Invalid


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("https://www.Example.org/Guide/", "example.org/Guide"),
        ("http://example.org/Guide?utm_source=x&b=2&a=1#top", "example.org/Guide?a=1&b=2"),
        ("https://example.org:443/", "example.org/"),
        ("https://example.org:8080/x", "example.org:8080/x"),
    ],
)
def test_url_key_ignores_cosmetic_differences(raw: str, key: str) -> None:
    """Scheme, www., case of the host, default ports, fragments, tracking and trailing slashes don't matter."""
    assert normalise_url(raw)[1] == key


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "ftp://example.org/x",
        "https://localhost/x",
        "example.org",
        "https://exa mple.org",
        "https://example.org/\x00",
        "https://" + "a" * 600 + ".org",
        "https://example.org:99999/",
    ],
)
def test_bad_urls_are_refused(raw: str) -> None:
    """Only real http(s) addresses are accepted."""
    with pytest.raises(Invalid):
        normalise_url(raw)


def test_licences() -> None:
    """CC ids and rights statements are recognised case-insensitively; anything else is refused."""
    assert normalise_licence("CC-BY-4.0") == "cc-by-4.0"
    assert normalise_licence("inc-edu") == "InC-EDU"
    assert normalise_licence("") is None
    with pytest.raises(Invalid):
        normalise_licence("All rights reserved")


def test_tags_are_normalised_and_limited() -> None:
    """Tags are lower-case, hyphenated and unique; more than eight is refused."""
    assert parse_tags("Open Data, open data,  Linked-Data ") == ("open-data", "linked-data")
    with pytest.raises(Invalid):
        parse_tags(",".join(f"t{i}" for i in range(9)))


def test_draft_validates_every_field() -> None:
    """Unknown themes and types, empty titles and oversize summaries are refused with the field named."""
    base = {
        "title": "Gids",
        "url": "https://example.org",
        "summary": "",
        "theme": "skills",
        "type": "guide",
        "language": "nl",
    }
    assert make_draft(**base).title == "Gids"
    for change in (
        {"theme": "cooking"},
        {"type": "podcast"},
        {"title": "  "},
        {"summary": "x" * 1001},
        {"language": "de"},
    ):
        with pytest.raises(Invalid) as info:
            make_draft(**{**base, **change})
        assert "field_key" in info.value.params


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_files_read_back(fmt: str) -> None:
    """An export in either format reads back into the same records (CSV as text)."""
    record = {"title": 'A, "quoted" title', "url": "https://example.org/a", "tags": ["x", "y"], "featured": True}
    rows = read_resources(dump_resources([record], fmt), f"export.{fmt}")  # type: ignore[arg-type]
    assert rows[0]["title"] == record["title"]
    assert rows[0]["url"] == record["url"]


def test_garbage_files_are_refused() -> None:
    """A random JSON or CSV file is not mistaken for an export."""
    for raw, name in ((b'{"a": 1}', "x.json"), (b"a,b\n1,2\n", "x.csv"), (b"\xff\xfe", "x.json"), (b"[1]", "x.json")):
        with pytest.raises(Invalid):
            read_resources(raw, name)
