"""Creative Commons tools and rights statements: the built-in facts, the chooser, compatibility, attribution.

Everything here is pure: the facts come from ``bot/data/licences.toml`` and ``bot/data/rights.toml``
(transcribed from ``../shared/domain/domain.md`` section A), read with :mod:`importlib.resources`.
"""

from bot.domain.licences.attribution import Attribution, LineWording, make_attribution
from bot.domain.licences.catalogue import Element, LicenceCatalogue, Tool
from bot.domain.licences.chooser import Chooser, ChooserState, Option, Outcome, Question, Step
from bot.domain.licences.compat import Comparison, Constraint, compare
from bot.domain.licences.rights import RightsCatalogue, RightsCollection, RightsStatement

__all__ = [
    "Attribution",
    "Chooser",
    "ChooserState",
    "Comparison",
    "Constraint",
    "Element",
    "LicenceCatalogue",
    "LineWording",
    "Option",
    "Outcome",
    "Question",
    "RightsCatalogue",
    "RightsCollection",
    "RightsStatement",
    "Step",
    "Tool",
    "compare",
    "make_attribution",
]
