"""Introductions between members, double opt-in and no-show aware (issue 11 item 5).

``requests`` (ask for a match; offerers are asked one at a time, within three days; declines and expiries move
on; three expiries in a row pause an offerer), ``followup`` (the private thread, one nudge, the check-in and its
outcome) and ``people`` (the inbox, blocks, the moderators' figures) are grouped in :class:`MatchServices`.
The pure ranking is :mod:`bot.domain.matching`; :mod:`bot.domain.introductions.facts` adapts stored rows to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.introductions.followup import FollowUpService
from bot.domain.introductions.people import PeopleService
from bot.domain.introductions.requests import IntroductionService


@dataclass(frozen=True, slots=True)
class MatchServices:
    """Every service of introductions."""

    requests: IntroductionService
    followup: FollowUpService
    people: PeopleService
