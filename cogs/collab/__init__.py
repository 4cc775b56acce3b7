"""The collaboration board: propose joint projects, ask to join, accept partners, close with an outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.collab._cog import CollabCog
from cogs.collab._items import DYNAMIC_ITEMS
from cogs.collab._jobs import CollabJobs

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog, register the owner's persistent buttons and the jobs that need Discord."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    CollabJobs(bot).register()
    await bot.add_cog(CollabCog(bot))
