"""Whether material under two tools can be combined into one adaptation, and the licences it may carry.

The answer follows the two official charts of domain.md A.4: chart 2 says whether the two remix at all; the
adaptation's licences are those chart 1 marks green for both originals (the derivation behind A.4's
``remix_pairs``), and those permitted for both but yellow for at least one are "permitted but not recommended".
The why is each original's own condition on adaptations, read from its conditions in the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.licences.catalogue import LicenceCatalogue, Tool
from bot.errors import NotFound

CONSTRAINTS = ("nd", "sa", "nc", "by", "pd")
"""What an original asks of an adaptation, strongest first: no sharing of adaptations at all; the same licence;
no commercial use; credit only; nothing (public domain)."""


@dataclass(frozen=True, slots=True)
class Constraint:
    """What one original asks of an adaptation (one of :data:`CONSTRAINTS`)."""

    tool: Tool
    kind: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The answer to "can A and B be combined into one adaptation?"."""

    a: Tool
    b: Tool
    can_remix: bool
    allowed: tuple[str, ...]
    """Chart-1 codes the adaptation may carry (green for both), most open first."""
    discouraged: tuple[str, ...]
    """Chart-1 codes permitted for both but not recommended (yellow for at least one), most open first."""
    most_open: str | None
    constraints: tuple[Constraint, Constraint]
    commercial_collection: tuple[bool, bool]
    """Whether a's and b's material may go into a commercial collection (A.4's collection table)."""
    noncommercial_collection: tuple[bool, bool]


def constraint_of(tool: Tool) -> Constraint:
    """The strongest condition a tool puts on adaptations, from its conditions and permits in the data."""
    conditions = tool.conditions
    if conditions.get("no_derivatives") or not tool.permits.get("adapt_and_share_adaptations", True):
        kind = "nd"
    elif conditions.get("share_alike"):
        kind = "sa"
    elif conditions.get("noncommercial"):
        kind = "nc"
    elif conditions.get("attribution"):
        kind = "by"
    else:
        kind = "pd"
    return Constraint(tool, kind)


def compare(catalogue: LicenceCatalogue, a_id: str, b_id: str) -> Comparison:
    """Compare two tools by id; raises :class:`NotFound` for an unknown id."""
    a, b = catalogue.tool(a_id), catalogue.tool(b_id)
    if a is None or b is None:
        raise NotFound("licences.unknown", value=a_id if a is None else b_id)
    can = catalogue.can_remix(a.chart_code, b.chart_code)
    row_a, row_b = catalogue.adapter_chart[a.adapter_chart_row], catalogue.adapter_chart[b.adapter_chart_row]
    green = set(row_a["allowed"]) & set(row_b["allowed"])
    permitted = (set(row_a["allowed"]) | set(row_a["permitted_not_recommended"])) & (
        set(row_b["allowed"]) | set(row_b["permitted_not_recommended"])
    )

    def ordered(codes: set[str]) -> tuple[str, ...]:
        return tuple(sorted(codes, key=lambda code: (catalogue.row_rank(code), code)))

    allowed = ordered(green) if can else ()
    discouraged = ordered(permitted - green) if can else ()
    may_a, may_b = catalogue.collections[a.adapter_chart_row], catalogue.collections[b.adapter_chart_row]
    return Comparison(
        a=a,
        b=b,
        can_remix=can,
        allowed=allowed,
        discouraged=discouraged,
        most_open=allowed[0] if allowed else None,
        constraints=(constraint_of(a), constraint_of(b)),
        commercial_collection=(may_a.get("commercial_collection", False), may_b.get("commercial_collection", False)),
        noncommercial_collection=(
            may_a.get("noncommercial_collection", False),
            may_b.get("noncommercial_collection", False),
        ),
    )
