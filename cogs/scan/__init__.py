"""The digital-maturity self-scan: resumable ephemeral steps, results as a chart, and help for weak dimensions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.scan._cog import ScanCog
from cogs.scan._items import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog and register the scan's persistent buttons (they work after a restart)."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(ScanCog(bot))
