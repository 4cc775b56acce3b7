"""Newsletter HTML in a real browser: a realistic Dutch digest, screenshotted by headless Chromium at two widths.

Usage: python bench/digest_html.py [--out DIR] [--chromium PATH] [--hostile]

Renders a digest built directly as a ``DigestContent`` (plausible heritage-sector content in Dutch: resources,
a featured guide, solved and open questions, skill offers and needs, a collaboration proposal) with
``render_html``, writes it to ``DIR/digest.html`` and takes a screenshot at desktop width (800 px) and at
mobile width (390 px). Prints each PNG's path, pixel size and bytes, and checks without any script in the page
that nothing overflowed horizontally: the page background (``PAGE``) must show on both sides of the white card
in every row the card occupies, with margins equal to within a few pixels (a card wider than the window is
pushed to the right edge). ``--hostile`` renders an item with a 600-character unbroken word and hostile markup
instead. Exit status 1 when a check fails, 2 when Chromium is missing.
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.digest.models import DigestContent, DigestItem, Figure  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.render.newsletter import PAGE, render_html  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
WIDTHS = {"desktop": 800, "mobile": 390}
HEIGHT = 1400
GUILD_ID = 1_180_000_000_000_000_001
TIMEOUT = 90


def sample_digest() -> DigestContent:
    """A week of a Dutch heritage community: what a digest on a good week holds."""
    resources = (
        DigestItem(
            "resources",
            "resource:41",
            "Handreiking auteursrecht voor erfgoedinstellingen",
            "Wanneer mag je foto's, brieven en krantenknipsels uit je collectie online zetten? Met een stappenplan "
            "voor verweesde werken en een modelbrief voor rechthebbenden.",
            url="https://www.den.nl/kennisbank/auteursrecht",
            theme="revenue-and-rights",
            kind="guide",
            score=14,
        ),
        DigestItem(
            "resources",
            "resource:44",
            "Subsidieregeling Digitaal Erfgoed 2026",
            "Provinciale regeling voor het digitaliseren en ontsluiten van collecties van vrijwilligersorganisaties.",
            url="https://example.org/subsidie/digitaal-erfgoed-2026",
            theme="revenue-and-rights",
            kind="funding",
            score=9,
        ),
        DigestItem(
            "resources",
            "resource:47",
            "Cursus metadata met Dublin Core",
            "Vier korte lessen over beschrijven, trefwoorden en persistente identifiers.",
            url="https://example.org/cursus/dublin-core",
            theme="skills",
            kind="course",
            score=6,
        ),
        DigestItem(
            "resources",
            "resource:52",
            "Toolkit vrijwilligers werven voor je museum",
            "Wervingsteksten, een onboardingschema en tips om jongere vrijwilligers te binden.",
            url="https://example.org/toolkit/vrijwilligers",
            theme="collective",
            kind="toolkit",
            score=3,
        ),
    )
    featured = (
        DigestItem(
            "featured",
            "resource:12",
            "Zelfscan digitale volwassenheid voor kleine erfgoedorganisaties",
            "In twintig minuten zie je waar je organisatie staat op collectiebeheer, publiek, techniek en beleid, "
            "met per onderdeel concrete vervolgstappen en voorbeelden van vergelijkbare instellingen.",
            url="https://example.org/zelfscan",
            theme="strategy",
            kind="website",
            score=31,
        ),
    )
    solved = tuple(
        DigestItem("solved", f"post:{thread}", title, thread_id=thread)
        for thread, title in (
            (9001, "Welke CC-licentie voor gescande ansichtkaarten van vóór 1900?"),
            (9002, "Hoe koppel ik ons collectieregistratiesysteem aan Europeana?"),
            (9004, "Beste scanresolutie voor glasnegatieven"),
        )
    )
    open_questions = (
        DigestItem(
            "open",
            "post:8870",
            "Wie heeft ervaring met IIIF-viewers op een WordPress-site?",
            thread_id=8870,
            skills=("iiif",),
            score=12,
        ),
        DigestItem(
            "open",
            "post:8911",
            "Rechten op interviews uit ons oral-historyproject: toestemming achteraf vragen?",
            thread_id=8911,
            score=6,
        ),
        DigestItem("open", "post:8950", "Tips voor een toegankelijke online tentoonstelling?", thread_id=8950, score=1),
    )
    skills = (
        DigestItem(
            "skills",
            "offer:31",
            "Georefereren van historische kaarten",
            "Ik help graag met Allmaps en QGIS, ook op afstand.",
            kind="offer",
            skills=("georeferencing",),
        ),
        DigestItem(
            "skills",
            "offer:33",
            "Subsidieaanvragen schrijven",
            "Tien jaar ervaring met fondsen en provinciale regelingen.",
            kind="offer",
        ),
        DigestItem(
            "skills",
            "need:18",
            "Wikidata-items aanmaken voor onze collectie",
            "We zoeken iemand die ons op weg helpt met een batch-import.",
            kind="need",
        ),
    )
    collab = (
        DigestItem(
            "collab",
            "proposal:4",
            "Gezamenlijke digitalisering van dorpskranten in West-Friesland",
            "Drie historische verenigingen zoeken partners voor een aanvraag bij het Mondriaan Fonds.",
            url="https://example.org/projecten/dorpskranten",
            theme="collaboration",
        ),
    )
    return DigestContent(
        guild_id=GUILD_ID,
        period="2026-W49",
        since="2026-11-30T08:00:00+00:00",
        until="2026-12-07T08:00:00+00:00",
        locale="nl",
        sections={
            "resources": resources,
            "featured": featured,
            "solved": solved,
            "open": open_questions,
            "skills": skills,
            "collab": collab,
        },
        figures=(Figure("solved", 3), Figure("resources", 4), Figure("offers", 2)),
    )


def hostile_digest() -> DigestContent:
    """The sample with one unbroken 600-character word, markup and a script in titles, and a javascript: link."""
    base = sample_digest()
    evil = DigestItem(
        "resources",
        "resource:666",
        "<script>alert(1)</script>" + "Rijksmonumentenregisterexport" * 20,
        "https://example.org/" + "heel-lang-pad/" * 40 + ' <img src=x onerror="alert(1)">',
        url="javascript:alert(1)",
        kind="guide",
        score=1,
    )
    sections = dict(base.sections)
    sections["resources"] = (evil, *base.sections["resources"])
    return DigestContent(
        guild_id=base.guild_id,
        period=base.period,
        since=base.since,
        until=base.until,
        locale=base.locale,
        sections=sections,
        figures=(Figure("solved", 1_234_567), Figure("resources", 1), Figure("offers", 98_765_432)),
    )


# --- the browser --------------------------------------------------------------------------------------------------


def screenshot(chromium: Path, page: Path, png: Path, width: int, height: int = HEIGHT) -> None:
    """One headless Chromium screenshot of ``page`` (no network, no profile left behind)."""
    with tempfile.TemporaryDirectory(prefix="steunpunt-chromium-") as profile:
        command = [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            page.resolve().as_uri(),
        ]
        subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=True)
    if not png.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot to {png}")


# --- reading the screenshot (a small PNG decoder: no image library needed) -----------------------------------------


@dataclass(frozen=True, slots=True)
class Image:
    """Decoded 8-bit RGB(A) pixels, one bytes object per row."""

    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The RGB colour at (x, y)."""
        offset = x * self.channels
        row = self.rows[y]
        return row[offset], row[offset + 1], row[offset + 2]


def read_png(path: Path) -> Image:
    """Decode a non-interlaced 8-bit RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        rows.append(bytes(line))
        previous = line
    return Image(width, height, channels, rows)


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        for i in range(len(line)):
            line[i] = (line[i] + previous[i]) & 0xFF
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            estimate = left + up - corner
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter {kind}")


# --- the layout check ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the card is in a screenshot, and whether it stayed inside the window."""

    width: int
    height: int
    card_rows: int
    left: int
    right: int
    """Smallest margins between the window's edges and anything that is not page background."""
    widest: int

    @property
    def fits(self) -> bool:
        """The card is there, has page background on both sides, and is centred (nothing pushed it wider)."""
        return self.card_rows > 0 and self.left > 0 and self.right > 0 and abs(self.left - self.right) <= 4


def _colour(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def measure(image: Image, background: str = PAGE) -> Layout:
    """Scan every row for the first and last pixel that is not page background."""
    page = _colour(background)
    left = right = image.width
    rows = widest = 0
    for y in range(image.height):
        xs = [x for x in range(image.width) if _far(image.pixel(x, y), page)]
        if not xs:
            continue
        rows += 1
        left = min(left, xs[0])
        right = min(right, image.width - 1 - xs[-1])
        widest = max(widest, xs[-1] - xs[0] + 1)
    return Layout(image.width, image.height, rows, left, right, widest)


def _far(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(pixel, colour, strict=True)) > 6


def check(chromium: Path, html: str, out: Path) -> dict[str, tuple[Path, Layout]]:
    """Write ``html`` to ``out/digest.html`` and screenshot it at every width; the PNGs and their layouts."""
    out.mkdir(parents=True, exist_ok=True)
    page = out / "digest.html"
    page.write_text(html, encoding="utf-8")
    found: dict[str, tuple[Path, Layout]] = {}
    for name, width in WIDTHS.items():
        png = out / f"digest-{name}-{width}.png"
        png.unlink(missing_ok=True)
        screenshot(chromium, page, png, width)
        found[name] = (png, measure(read_png(png)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "steunpunt-digest-html")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM)
    parser.add_argument("--hostile", action="store_true", help="render hostile content instead of the sample")
    args = parser.parse_args()
    if not args.chromium.exists():
        print(f"No Chromium at {args.chromium}; install it (apt-get install -y chromium) or pass --chromium PATH.")
        raise SystemExit(2)
    content = hostile_digest() if args.hostile else sample_digest()
    html = render_html(content, I18n.load("nl"), "Erfgoed Digitaal Noord-Holland", GUILD_ID)
    results = check(args.chromium, html, args.out)
    print(f"HTML: {args.out / 'digest.html'} ({len(html.encode()):,} bytes)")
    ok = True
    for name, (png, layout) in results.items():
        verdict = "fits" if layout.fits else "OVERFLOWS"
        print(
            f"{name:<8} {png}  {layout.width}x{layout.height} px, {png.stat().st_size:,} bytes; "
            f"card {layout.widest} px wide, margins {layout.left}/{layout.right} px: {verdict}"
        )
        ok = ok and layout.fits
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
