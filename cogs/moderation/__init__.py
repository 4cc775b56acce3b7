"""Moderation: /mod overview (every queue, claims), "Report to moderators", and the weekly moderators' post."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.moderation._cog import ModerationCog
from cogs.moderation._items import DYNAMIC_ITEMS
from cogs.moderation._jobs import ModerationJobs

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog, register its persistent components and the weekly post's job."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    ModerationJobs(bot).register()
    await bot.add_cog(ModerationCog(bot))
