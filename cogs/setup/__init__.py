"""The setup theme: per-server settings, permissions, joining and leaving."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.setup._cog import SetupCog

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog."""
    await bot.add_cog(SetupCog(bot))
