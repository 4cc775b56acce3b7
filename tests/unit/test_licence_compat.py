"""The compatibility charts (domain.md A.4), every pair in both directions, and what /licence compare derives.

Chart 2 (can two works be remixed) is transcribed below from domain.md and compared with the shipped data;
it must be symmetric; and for every pair the adaptation's licences computed from chart 1 (green for both
originals) must equal A.4's ``remix_pairs`` row, be non-empty exactly when chart 2 says yes, and start with
the row's most open option.
"""

from __future__ import annotations

import itertools

import pytest

from bot.domain.licences import LicenceCatalogue, compare
from bot.domain.licences.compat import constraint_of
from bot.errors import NotFound

CATALOGUE = LicenceCatalogue.load()
ORDER = ["PDM", "CC0", "BY", "BY-SA", "BY-NC", "BY-ND", "BY-NC-SA", "BY-NC-ND"]
# domain.md A.4 chart 2 (remix_chart.matrix), transcribed by hand; rows and columns in ORDER
T, F = True, False
A4_CHART_2 = {
    "PDM": [T, T, T, T, T, F, T, F],
    "CC0": [T, T, T, T, T, F, T, F],
    "BY": [T, T, T, T, T, F, T, F],
    "BY-SA": [T, T, T, T, F, F, F, F],
    "BY-NC": [T, T, T, F, T, F, T, F],
    "BY-ND": [F, F, F, F, F, F, F, F],
    "BY-NC-SA": [T, T, T, F, T, F, T, F],
    "BY-NC-ND": [F, F, F, F, F, F, F, F],
}
# domain.md A.4 chart 1, green cells only (adapter_licence_chart.*.allowed), transcribed by hand
A4_CHART_1_ALLOWED = {
    "PD": {"BY", "BY-NC", "BY-NC-ND", "BY-NC-SA", "BY-ND", "BY-SA", "PD"},
    "BY": {"BY", "BY-NC", "BY-NC-ND", "BY-NC-SA", "BY-ND", "BY-SA"},
    "BY-NC": {"BY-NC", "BY-NC-ND", "BY-NC-SA"},
    "BY-NC-ND": set(),
    "BY-NC-SA": {"BY-NC-SA"},
    "BY-ND": set(),
    "BY-SA": {"BY-SA"},
}
PAIRS = list(itertools.product(ORDER, ORDER))


def _id(code: str) -> str:
    tool = CATALOGUE.by_code(code)
    assert tool is not None, code
    return tool.id


def test_the_data_holds_chart_2_and_chart_1_as_transcribed() -> None:
    """The shipped charts are domain.md's."""
    assert list(CATALOGUE.remix_order) == ORDER
    assert {code: list(row) for code, row in CATALOGUE.remix_matrix.items()} == A4_CHART_2
    assert {row: set(grades["allowed"]) for row, grades in CATALOGUE.adapter_chart.items()} == A4_CHART_1_ALLOWED
    assert len(CATALOGUE.remix_pairs) == len(ORDER) * (len(ORDER) + 1) // 2  # every unordered pair once


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_every_pair_in_both_directions(a: str, b: str) -> None:
    """Chart 2 is symmetric; compare() agrees with it both ways, and with chart 1's intersection and remix_pairs."""
    forward, backward = compare(CATALOGUE, _id(a), _id(b)), compare(CATALOGUE, _id(b), _id(a))
    assert A4_CHART_2[a][ORDER.index(b)] == A4_CHART_2[b][ORDER.index(a)]
    assert forward.can_remix == backward.can_remix == A4_CHART_2[a][ORDER.index(b)]
    assert forward.allowed == backward.allowed and forward.discouraged == backward.discouraged
    row_a, row_b = forward.a.adapter_chart_row, forward.b.adapter_chart_row
    intersection = A4_CHART_1_ALLOWED[row_a] & A4_CHART_1_ALLOWED[row_b]
    assert forward.can_remix == bool(intersection)  # chart 2 and chart 1 tell the same story
    assert set(forward.allowed) == intersection
    pair = CATALOGUE.pair(a, b)
    assert pair is not None and pair == CATALOGUE.pair(b, a)
    assert pair.can_remix == forward.can_remix
    assert set(pair.options) == set(forward.allowed)
    assert forward.most_open == pair.most_open
    if forward.can_remix:
        assert forward.allowed[0] == pair.most_open
    else:
        assert forward.allowed == () and forward.discouraged == ()
    assert not set(forward.allowed) & set(forward.discouraged)


def test_by_sa_with_by_nc_cannot_be_combined_and_why() -> None:
    """The example of the issue: BY-SA asks for BY-SA, BY-NC forbids commercial use; no licence fits both."""
    result = compare(CATALOGUE, "cc-by-sa-4.0", "cc-by-nc-4.0")
    assert not result.can_remix and result.allowed == () and result.most_open is None
    assert [c.kind for c in result.constraints] == ["sa", "nc"]
    assert result.commercial_collection == (True, False) and result.noncommercial_collection == (True, True)


def test_by_with_by_nc_marks_the_yellow_cells_as_not_recommended() -> None:
    """Green for both: the NC licences; permitted for both but yellow for BY-NC: the rest (chart 1)."""
    result = compare(CATALOGUE, "cc-by-4.0", "cc-by-nc-4.0")
    assert result.allowed == ("BY-NC", "BY-NC-SA", "BY-NC-ND")
    assert result.discouraged == ("PD", "BY", "BY-SA", "BY-ND")
    assert result.most_open == "BY-NC"


def test_public_domain_material_combines_into_anything_but_nd() -> None:
    """CC0 with PDM: any licence, public domain most open; with ND material: nothing."""
    assert compare(CATALOGUE, "cc0-1.0", "pdm-1.0").most_open == "PD"
    assert not compare(CATALOGUE, "pdm-1.0", "cc-by-nd-4.0").can_remix


def test_constraints_follow_the_conditions_in_the_data() -> None:
    """Each tool's strongest condition on adaptations, derived from its conditions and permits."""
    kinds = {tool.chart_code: constraint_of(tool).kind for tool in CATALOGUE.tools}
    assert kinds == {
        "PDM": "pd",
        "CC0": "pd",
        "BY": "by",
        "BY-SA": "sa",
        "BY-NC": "nc",
        "BY-ND": "nd",
        "BY-NC-SA": "sa",
        "BY-NC-ND": "nd",
    }


def test_collections_follow_the_collection_table() -> None:
    """A.4's collections: NC material only in non-commercial collections, everything in non-commercial ones."""
    for tool in CATALOGUE.tools:
        result = compare(CATALOGUE, tool.id, tool.id)
        assert result.commercial_collection[0] == (not tool.conditions["noncommercial"])
        assert result.noncommercial_collection[0]


def test_an_unknown_licence_is_not_found() -> None:
    """A forged option value gets the localised "unknown licence"."""
    with pytest.raises(NotFound):
        compare(CATALOGUE, "cc-by-3.0", "cc-by-4.0")


def test_a_chart_2_that_is_not_symmetric_is_refused() -> None:
    """Data in which A remixes with B but not B with A does not load."""
    import tomllib
    from importlib.resources import files

    data = tomllib.loads((files("bot") / "data" / "licences.toml").read_text(encoding="utf-8"))
    data["remix_chart"]["matrix"]["BY"][ORDER.index("BY-ND")] = True
    with pytest.raises(ValueError, match="symmetric"):
        LicenceCatalogue.from_data(data)
