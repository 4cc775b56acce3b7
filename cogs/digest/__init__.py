"""The weekly digest: /digest, the persistent unsubscribe button, and the channel post and DM fan-out jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.digest._cog import DigestCog
from cogs.digest._items import DYNAMIC_ITEMS
from cogs.digest._jobs import DigestJobs

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cog, register the persistent button and the jobs that need Discord."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    jobs = DigestJobs(bot)
    jobs.register()
    await bot.add_cog(DigestCog(bot, jobs))
