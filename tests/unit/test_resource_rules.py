"""Pure rules of the resource library: URLs, licences, tags, drafts, file formats."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.exchange import dump_resources, read_resources
from bot.domain.resources import (
    URL_MAX,
    display_url,
    make_draft,
    normalise_licence,
    normalise_url,
    parse_tags,
    url_host,
)
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


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("https://example.org/mijn bestand.pdf", "https://example.org/mijn%20bestand.pdf"),
        ("https://example.org/café?q=één", "https://example.org/caf%C3%A9?q=%C3%A9%C3%A9n"),
        ("https://Bücher.de/", "https://xn--bcher-kva.de/"),
        ("https://例え.jp/パス", "https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9"),
        ("  https://example.org/a%c3%a9/100%  ", "https://example.org/a%C3%A9/100%25"),
        ("https://example.org/" + ")" * 480, "https://example.org/" + ")" * 480),
        ("https://example.org/x?filter[a]=1&utm_medium=mail", "https://example.org/x?filter%5Ba%5D=1"),
        ("https://example.org\\gids", "https://example.org/gids"),
        ("https://user:secret@example.org/", "https://example.org/"),
    ],
)
def test_pasted_addresses_are_accepted_and_stored_normalised(raw: str, stored: str) -> None:
    """Issue 10: addresses as members paste them (spaces, unicode, international hosts) are valid web addresses."""
    assert normalise_url(raw)[0] == stored


def test_the_length_limit_applies_to_what_was_typed() -> None:
    """500 typed characters pass even when percent-encoding makes them longer; 501 do not."""
    typed = "https://example.org/" + "é" * 480
    stored, _ = normalise_url(typed)
    assert len(typed) == URL_MAX and len(stored) > 2 * URL_MAX
    with pytest.raises(Invalid) as info:
        normalise_url(typed + "é")
    assert info.value.params["limit"] == URL_MAX


@pytest.mark.parametrize(
    "raw",
    [
        "http://127.1/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.1.2.3/",
        "https://example.123/",
        "https://exa_mple..org/",
        "https://xn--.org/",
    ],
)
def test_private_or_malformed_hosts_are_refused(raw: str) -> None:
    """A host is judged as a browser reads it: 127.1, 0x7f.1 and 2130706433 are all 127.0.0.1."""
    with pytest.raises(Invalid):
        normalise_url(raw)


def test_display_url_shows_what_the_member_typed() -> None:
    """The stored form reads back as typed (for the edit form), and normalises to itself."""
    stored, _ = normalise_url("https://bücher.de/mijn café?q=één")
    assert display_url(stored) == "https://bücher.de/mijn café?q=één"
    assert url_host(stored) == "xn--bcher-kva.de"


URL_CHARS = st.one_of(
    st.sampled_from([*" ()[]<>`'\"%#?&=/\\@:;+,*|~é😀\u202e\u200b", "%29", "%C3%A9", "%zz", "utm_source=x"]),
    st.text(max_size=4),
)
typed_urls = st.builds(
    lambda scheme, host, parts: f"{scheme}://{host}/{''.join(parts)}",
    st.sampled_from(["https", "HTTP"]),
    st.sampled_from(["example.org", "WWW.Example.ORG", "bücher.de", "例え.jp", "8.8.8.8", "example.org:8080"]),
    st.lists(URL_CHARS, max_size=40),
)


@settings(deadline=None)
@given(typed_urls)
def test_normalising_is_stable_and_reversible(raw: str) -> None:
    """A stored address is ASCII without spaces, normalises to itself, and reads back to the same address."""
    try:
        stored, key = normalise_url(raw)
    except Invalid:
        return
    assert stored.isascii() and not any(c.isspace() for c in stored)
    assert normalise_url(stored) == (stored, key)
    assert normalise_url(display_url(stored)) == (stored, key)
    assert url_host(stored) is not None
