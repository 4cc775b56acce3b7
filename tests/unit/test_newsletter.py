"""The digest for a newsletter: a mail-ready HTML document and escaped Markdown, also from hostile content.

The HTML is parsed with the standard library's parser: well-formed nesting, nothing that runs or loads
(script, style sheet, image, frame, event handler), a style on every element that shows something, links
only to the items' own http(s) addresses. A real browser renders it in the Chromium test at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.digest_html import CHROMIUM, GUILD_ID, check, hostile_digest, sample_digest
from bot.domain.digest.models import DigestContent, DigestItem, Figure
from bot.render import newsletter
from bot.render.newsletter import command_text, render_html, render_markdown
from tests.unit.test_render_limits import FAST, I18N, digests, member_text

SERVER = "Erfgoed Digitaal"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
FORBIDDEN = {"script", "style", "link", "img", "iframe", "object", "embed", "form", "input", "svg", "base", "video"}
STYLED = {"body", "table", "td", "p", "h1", "h2", "a", "span", "div"}


@dataclass
class Document(HTMLParser):
    """What the parser saw: every start tag with its attributes, the text, and nesting errors."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def hrefs(self) -> list[str]:
        return [str(attrs["href"]) for tag, attrs in self.tags if tag == "a"]


def parse(text: str) -> Document:
    document = Document()
    document.feed(text)
    document.close()
    return document


def expected_links(content: DigestContent) -> set[str]:
    """Every address an item of the digest may link to (before percent-encoding)."""
    found = {item.url for item in content.items() if item.url}
    found |= {f"https://discord.com/channels/{GUILD_ID}/{item.thread_id}" for item in content.items() if item.thread_id}
    return found


def assert_mail_ready(text: str, content: DigestContent) -> Document:
    """Well-formed, inert, inline-styled, and linking only to the items' own http(s) addresses."""
    document = parse(text)
    assert document.errors == [] and document.stack == []
    assert document.declarations == ["DOCTYPE html"]
    names = [tag for tag, _ in document.tags]
    assert names[:3] == ["html", "head", "meta"] and document.tags[2][1] == {"charset": "utf-8"}
    assert not FORBIDDEN & set(names)
    for tag, attrs in document.tags:
        assert not {"class", "id"} & set(attrs), tag  # nothing a style sheet could refer to
        assert not [name for name in attrs if name.startswith("on")], tag
        if tag in STYLED:
            assert attrs.get("style"), f"<{tag}> without an inline style"
            assert "url(" not in str(attrs["style"]) and "@import" not in str(attrs["style"])
    allowed = {newsletter._href(url) for url in expected_links(content)}
    for href in document.hrefs():
        assert href.startswith(("https://", "http://")) and href in allowed, href
    return document


def test_html_is_a_complete_mail_ready_document() -> None:
    """The sample: language, charset, 600 px card, every section's name, every item linked, the footer."""
    content = sample_digest()
    text = render_html(content, I18N, SERVER, GUILD_ID)
    document = assert_mail_ready(text, content)
    html_attrs = document.tags[0][1]
    assert html_attrs["lang"] == "nl"
    card = next(attrs for tag, attrs in document.tags if tag == "table" and attrs.get("width") == "600")
    assert "max-width:600px" in str(card["style"])
    shown = " ".join(" ".join(document.text).split())
    for name in ("Nieuwe bronnen", "Uitgelicht", "Opgeloste vragen", "Vragen die op hulp wachten"):
        assert name in shown
    assert "Weekoverzicht van Erfgoed Digitaal" in shown
    assert "Nieuw van 30 november 2026 tot 7 december 2026" in shown
    assert command_text(I18N, "nl", "subscribe") in shown
    assert len(document.hrefs()) == len([item for item in content.items() if item.url or item.thread_id])
    assert f"https://discord.com/channels/{GUILD_ID}/9001" in document.hrefs()


def test_html_in_english_and_personal() -> None:
    """The digest's language sets lang and every word; a personal one names its server and its own section."""
    helpable = DigestItem("open", "post:1", "Who knows IIIF?", thread_id=1, score=2)
    content = replace(sample_digest(), locale="en", could_help=(helpable,))
    document = assert_mail_ready(render_html(content, I18N, SERVER, GUILD_ID, personal=True), content)
    assert document.tags[0][1]["lang"] == "en"
    shown = " ".join(document.text)
    assert "Your digest of Erfgoed Digitaal" in shown
    assert "Your personal digest from Erfgoed Digitaal, with only your themes." in shown
    assert shown.index("Questions you could help with") < shown.index("New resources")


def test_hostile_text_is_escaped_and_bad_links_dropped() -> None:
    """Markup in titles, summaries and the server's name is text; javascript: and broken addresses are not links."""
    items = (
        DigestItem(
            "resources", "r:1", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', url="javascript:x"
        ),
        DigestItem("resources", "r:2", "Quote \" and ' & <b>", "ok", url='https://example.org/a"onmouseover="x'),
        DigestItem("solved", "p:1", "</td></tr></table>", thread_id=5),
        DigestItem("collab", "c:1", "data", url="data:text/html,<script>alert(1)</script>"),
    )
    content = replace(sample_digest(), sections={"resources": items[:2], "solved": items[2:3], "collab": items[3:]})
    text = render_html(content, I18N, "<i>Server</i> & co", GUILD_ID)
    document = assert_mail_ready(text, content)
    shown = "".join(document.text)
    assert "<script>alert(1)</script>" in shown and '"><img src=x onerror=alert(1)>' in shown
    assert "</td></tr></table>" in shown and "<i>Server</i> & co" in shown
    assert "&lt;script&gt;" in text and "<script" not in text
    assert document.hrefs() == [
        "https://example.org/a%22onmouseover=%22x",
        f"https://discord.com/channels/{GUILD_ID}/5",
    ]


def test_markdown_of_the_sample() -> None:
    """Heading, window, figures, a list per section with links in angle brackets, and the footer."""
    text = render_markdown(sample_digest(), I18N, SERVER, GUILD_ID)
    lines = text.splitlines()
    assert lines[0] == "# Weekoverzicht van Erfgoed Digitaal"
    assert "**3** vragen opgelost · **4** nieuwe bronnen · **2** vaardigheden aangeboden" in lines
    assert "## Nieuwe bronnen" in lines and "## Samenwerkingsvoorstellen" in lines
    assert (
        "- [Handreiking auteursrecht voor erfgoedinstellingen](<https://www.den.nl/kennisbank/auteursrecht>) — "
        "Wanneer mag je foto's, brieven en krantenknipsels uit je collectie online zetten? Met een stappenplan voor "
        "verweesde werken en een modelbrief voor rechthebbenden. · Handleiding · 14× nuttig"
    ) in lines
    assert f"- [Beste scanresolutie voor glasnegatieven](<https://discord.com/channels/{GUILD_ID}/9004>)" in lines
    assert "- Gevraagd: [Wikidata-items aanmaken voor onze collectie]" not in text  # skills have no link
    assert "- Gevraagd: Wikidata-items aanmaken voor onze collectie — " in text
    assert "---" in lines
    assert text.rstrip().endswith(f"Gebruik daar {command_text(I18N, 'nl', 'subscribe')}.")


_OUR_LINK = re.compile(r"\[(?:[^\[\]\\]|\\.)*\]\(<[^<>\s]*>\)")


def assert_markdown_inert(text: str, content: DigestContent) -> None:
    """Outside our own links no unescaped character can start a link, an image, HTML or code."""
    allowed = {newsletter._href(url) for url in expected_links(content)}
    for match in _OUR_LINK.finditer(text):
        assert match.group(0).rsplit("](<", 1)[1][:-2] in allowed
    rest = re.sub(r"\\.", "", _OUR_LINK.sub("", text))
    assert not set("[]<>`") & set(rest), rest


def test_markdown_escapes_hostile_text() -> None:
    """Masked links, HTML and code in titles stay text; a javascript: link is not linked."""
    items = (
        DigestItem(
            "resources", "r:1", "[klik](https://evil.example) <script>`x`", "*a* _b_ ~c~ |d| #e", url="javascript:x"
        ),
        DigestItem("resources", "r:2", "![img](https://evil.example/i.png)", url="https://example.org/(x)"),
    )
    content = replace(sample_digest(), sections={"resources": items})
    text = render_markdown(content, I18N, "**Server** <b>", GUILD_ID)
    assert_markdown_inert(text, content)
    assert "- \\[klik\\](https://evil.example) \\<script\\>\\`x\\` — \\*a\\* \\_b\\_ \\~c\\~ \\|d\\| \\#e" in text
    assert "- [!\\[img\\](https://evil.example/i.png)](<https://example.org/%28x%29>)" in text
    assert text.startswith("# Weekoverzicht van \\*\\*Server\\*\\* \\<b\\>")


@FAST
@given(digests, member_text, st.booleans())
def test_any_digest_renders_inert(content: DigestContent, guild_name: str, personal: bool) -> None:
    """Hostile digests of any size: the HTML stays well-formed and inert, the Markdown escaped."""
    content = replace(content, guild_id=GUILD_ID)
    assert_mail_ready(render_html(content, I18N, guild_name, GUILD_ID, personal=personal), content)
    assert_markdown_inert(render_markdown(content, I18N, guild_name, GUILD_ID, personal=personal), content)


def test_figures_and_dates() -> None:
    """Singular for one, grouped thousands, written dates; an unreadable date is shown as it is."""
    content = replace(
        sample_digest(), since="garbage", figures=(Figure("solved", 1), Figure("resources", 1234), Figure("x", 5))
    )
    shown = " ".join(parse(render_html(content, I18N, SERVER, GUILD_ID)).text)
    assert "1 vraag opgelost" in shown and "1.234 nieuwe bronnen" in shown
    assert "Nieuw van garbage tot 7 december 2026" in shown
    assert "vaardigheden aangeboden" not in shown


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
@pytest.mark.timeout(300)
@pytest.mark.parametrize("build", [sample_digest, hostile_digest], ids=["sample", "hostile"])
def test_html_opens_in_chromium_without_overflow(build: object, tmp_path: Path) -> None:
    """Headless Chromium screenshots at 800 and 390 px: the card shows, centred, with page background on both
    sides (nothing overflowed), also with a 600-character unbroken word."""
    content = build()  # type: ignore[operator]
    results = check(CHROMIUM, render_html(content, I18N, "Erfgoed Digitaal Noord-Holland", GUILD_ID), tmp_path)
    for name, (png, layout) in results.items():
        assert png.stat().st_size > 10_000, name
        assert layout.fits, (name, layout)
        assert layout.widest == min(600, layout.width - 20), (name, layout)
