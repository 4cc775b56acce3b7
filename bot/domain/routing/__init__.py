"""Routing unanswered questions to members who offered a fitting skill (issue 11 item 6).

``flow`` (:class:`~bot.domain.routing.service.RoutingService`: start, ask one member at a time, take, pass,
expire; the privacy provider), ``deliveries`` (:class:`~bot.domain.routing.delivery.RoutingDeliveries`: what
the cog sends, each claimed once) and ``coaches`` (:class:`~bot.domain.routing.coaches.CoachService`: the
provincial digital-heritage coach per province) are grouped in :class:`RoutingServices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.routing.coaches import CoachService
from bot.domain.routing.delivery import RoutingDeliveries
from bot.domain.routing.service import RoutingService


@dataclass(frozen=True, slots=True)
class RoutingServices:
    """Every service of routing."""

    flow: RoutingService
    deliveries: RoutingDeliveries
    coaches: CoachService
