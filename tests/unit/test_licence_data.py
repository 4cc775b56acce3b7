"""licences.toml against domain.md A.2, and the attribution line (TASL) built from it."""

from __future__ import annotations

import pytest

from bot.domain.licences import LicenceCatalogue, LineWording, make_attribution
from bot.errors import Invalid
from bot.i18n import I18n
from bot.render.licences import attribution_line
from cogs.licences._data import TOOL_CHOICES, choice_key

CATALOGUE = LicenceCatalogue.load()
I18N = I18n.load("nl")
# domain.md A.2, transcribed by hand: id → (short, elements, openness rank, deed URL)
A2 = {
    "cc-by-4.0": ("CC BY 4.0", ("BY",), 2, "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa-4.0": ("CC BY-SA 4.0", ("BY", "SA"), 3, "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc-by-nd-4.0": ("CC BY-ND 4.0", ("BY", "ND"), 4, "https://creativecommons.org/licenses/by-nd/4.0/"),
    "cc-by-nc-4.0": ("CC BY-NC 4.0", ("BY", "NC"), 5, "https://creativecommons.org/licenses/by-nc/4.0/"),
    "cc-by-nc-sa-4.0": ("CC BY-NC-SA 4.0", ("BY", "NC", "SA"), 6, "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "cc-by-nc-nd-4.0": ("CC BY-NC-ND 4.0", ("BY", "NC", "ND"), 7, "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "cc0-1.0": ("CC0 1.0", (), 1, "https://creativecommons.org/publicdomain/zero/1.0/"),
    "pdm-1.0": ("PDM 1.0", (), 0, "https://creativecommons.org/publicdomain/mark/1.0/"),
}


def test_tools_are_domain_md_a2() -> None:
    """Eight tools (six 4.0 licences, CC0, PDM) with A.2's codes, elements, openness and deeds."""
    assert {t.id: (t.short, t.elements, t.openness_rank, t.deed_url) for t in CATALOGUE.tools} == A2
    by_sa = CATALOGUE.tool("cc-by-sa-4.0")
    assert by_sa is not None and by_sa.name_nl == "Naamsvermelding-GelijkDelen 4.0 Internationaal"
    assert by_sa.deed("nl") == "https://creativecommons.org/licenses/by-sa/4.0/deed.nl"
    pdm = CATALOGUE.tool("pdm-1.0")
    assert pdm is not None and pdm.deed("nl") == pdm.deed_url and pdm.legalcode("nl") is None  # no nl deed in A.2
    for tool in CATALOGUE.tools:  # elements and conditions say the same thing
        assert ("SA" in tool.elements) == tool.conditions["share_alike"]
        assert ("NC" in tool.elements) == tool.conditions["noncommercial"] == (not tool.permits["commercial_use"])
        assert ("ND" in tool.elements) == tool.conditions["no_derivatives"]
        assert tool.about("nl") and tool.about("en") and tool.about("nl") != tool.about("en")


def test_choices_are_every_tool_named_by_its_code() -> None:
    """The compare/info choices are the data's tools, most open first, each name starting with the code."""
    assert [c.value for c in TOOL_CHOICES] == [t.id for t in CATALOGUE.by_openness()]
    for choice in TOOL_CHOICES:
        tool = CATALOGUE.tool(choice.value)
        assert tool is not None
        for locale in ("nl", "en"):
            assert I18N.t(choice_key(tool.id), locale).startswith(tool.short + " — ")


def test_tasl_line_in_english_and_dutch() -> None:
    """Title, Author, Source, Licence, with the year (A.3's marking line) and the deed in the reader's language."""
    tool = CATALOGUE.tool("cc-by-4.0")
    assert tool is not None
    work = make_attribution(
        tool, title="Molen bij Wijk", creator="Jacob van Ruisdael", source="https://example.org/molen", year="1670"
    )
    assert attribution_line(work, I18N, "en") == (
        "“Molen bij Wijk” © 1670 by Jacob van Ruisdael (https://example.org/molen) is licensed under CC BY 4.0 "
        "(https://creativecommons.org/licenses/by/4.0/)"
    )
    assert attribution_line(work, I18N, "nl") == (
        "“Molen bij Wijk” © 1670 door Jacob van Ruisdael (https://example.org/molen) valt onder de licentie "
        "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/deed.nl)"
    )


def test_cc0_is_marked_and_optional_parts_are_left_out() -> None:
    """CC0 and PDM "mark" rather than license (A.3); no year and no link leave no gaps."""
    cc0 = CATALOGUE.tool("cc0-1.0")
    assert cc0 is not None
    work = make_attribution(cc0, title="  Kaart   van Delft ", creator="Archief Delft")
    assert attribution_line(work, I18N, "en") == (
        "“Kaart van Delft” by Archief Delft is marked CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/)"
    )


@pytest.mark.parametrize("tool_id", ["pdm-1.0", "cc0-1.0"])
def test_a_public_domain_work_gets_its_year_without_a_copyright_sign(tool_id: str) -> None:
    """PDM and CC0 are no licences: "© 1890" would claim a copyright the work is free of, so the year stands alone,
    in Dutch and in English; a licensed work keeps its ©."""
    tool = CATALOGUE.tool(tool_id)
    assert tool is not None and not tool.is_licence
    work = make_attribution(tool, title="Zonnebloemen", creator="Vincent van Gogh", year="1890")
    english, dutch = attribution_line(work, I18N, "en"), attribution_line(work, I18N, "nl")
    assert english == f"“Zonnebloemen” (1890) by Vincent van Gogh is marked {tool.short} ({tool.deed('en')})"
    assert dutch == f"“Zonnebloemen” (1890) door Vincent van Gogh is gemarkeerd met {tool.short} ({tool.deed('nl')})"
    assert "©" not in english + dutch
    for locale in ("nl", "en"):  # the catalogue's wording, as the renderer reads it, says the same
        catalogue = I18N.catalogue(locale)
        assert "©" not in catalogue["licences.attribution.line.year_marked"]
        assert "{year}" in catalogue["licences.attribution.line.year_marked"]
        wording = LineWording(
            **{
                field: catalogue[f"licences.attribution.line.{field}"]
                for field in ("title", "year", "creator", "source", "licensed", "marked", "year_marked")
            }
        )
        assert work.line(wording, locale) == (english if locale == "en" else dutch)
    licensed = CATALOGUE.tool("cc-by-4.0")
    assert licensed is not None
    by = make_attribution(licensed, title="Zonnebloemen", creator="Vincent van Gogh", year="1890")
    assert "“Zonnebloemen” © 1890 by" in attribution_line(by, I18N, "en")


def test_member_words_are_escaped_against_markdown_and_mentions() -> None:
    """A title or creator with markdown, a masked link or a mention reaches the line defused."""
    tool = CATALOGUE.tool("cc-by-sa-4.0")
    assert tool is not None
    work = make_attribution(tool, title="**Big** [x](https://evil.example)", creator="@everyone <@123>")
    line = attribution_line(work, I18N, "en")
    assert "**Big**" not in line and "\\*\\*Big\\*\\*" in line
    assert "](" not in line and "@everyone" not in line and "<@123>" not in line
    raw = attribution_line(work, I18N, "en", escaped=False)
    assert raw.startswith("“**Big** [x](https://evil.example)” by @everyone <@123>")  # for the copy block only


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"title": "", "creator": "A"}, "licences.attribution.bad_title"),
        ({"title": "T", "creator": "   "}, "licences.attribution.bad_creator"),
        ({"title": "T", "creator": "A", "source": "javascript:alert(1)"}, "licences.attribution.bad_source"),
        ({"title": "T", "creator": "A", "source": "example.org"}, "licences.attribution.bad_source"),
        ({"title": "T", "creator": "A", "year": "19x0"}, "licences.attribution.bad_year"),
        ({"title": "T" * 201, "creator": "A"}, "licences.attribution.bad_title"),
    ],
)
def test_bad_fields_are_refused_by_name(fields: dict[str, str], key: str) -> None:
    """Each field is checked; the error names it."""
    tool = CATALOGUE.tool("cc-by-4.0")
    assert tool is not None
    with pytest.raises(Invalid) as caught:
        make_attribution(tool, **fields)
    assert caught.value.key == key
