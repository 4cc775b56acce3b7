"""The curated resource library, its review queue, link checks, and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.library import QUEUE_CARD_JOB
from cogs.resources._cards import QueueCards
from cogs.resources._cog import ModlogCog, ResourcesCog
from cogs.resources._items import DYNAMIC_ITEMS
from cogs.resources._links import LinkCheckCog

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cogs and register the persistent buttons."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.services.job_runner.register(QUEUE_CARD_JOB, QueueCards(bot).post, lease=timedelta(minutes=2))
    await bot.add_cog(ResourcesCog(bot))
    await bot.add_cog(ModlogCog(bot, bot.services.audit))
    await bot.add_cog(LinkCheckCog(bot))
