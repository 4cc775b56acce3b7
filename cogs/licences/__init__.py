"""Creative Commons licences (chooser, compatibility, facts) and RightsStatements.org statements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.licences._cog import LicenceCog, RightsCog
from cogs.licences._items import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cogs and register the chooser's persistent buttons."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(LicenceCog(bot))
    await bot.add_cog(RightsCog(bot))
