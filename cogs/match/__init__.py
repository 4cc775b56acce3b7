"""Introductions: ask for a match for a need, answer asks, the private thread, the nudge and the check-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.match._cog import MatchCog
from cogs.match._items import DYNAMIC_ITEMS
from cogs.match._jobs import MatchJobs

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog, register the persistent buttons and the jobs that need Discord."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    MatchJobs(bot).register()
    await bot.add_cog(MatchCog(bot))
