"""/stats: figures for moderators over a chosen period, with charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.stats._cog import StatsCog

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog."""
    await bot.add_cog(StatsCog(bot))
