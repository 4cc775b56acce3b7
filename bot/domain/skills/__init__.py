"""The skills theme: member profiles, the skills taxonomy, offers and needs, and their expiry.

``profiles`` (who a member is, and their opt-ins), ``catalog`` (the built-in taxonomy plus a server's own
skills, with fuzzy lookup), ``listings`` (offers and needs: add, list, remove, pause, find, figures) and
``expiry`` (the reminder a week before, "still valid", expiry) are grouped in :class:`SkillsServices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.skills.catalog import SkillCatalog
from bot.domain.skills.expiry import ExpiryService
from bot.domain.skills.listings import ListingsService
from bot.domain.skills.profiles import ProfileService


@dataclass(frozen=True, slots=True)
class SkillsServices:
    """Every service of the skills theme."""

    profiles: ProfileService
    catalog: SkillCatalog
    listings: ListingsService
    expiry: ExpiryService
