"""Skills: member profiles, offers and needs of skills, finding them, and their reminders and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.skills.expiry import REMIND_JOB
from cogs.skills._cog import SkillsCog
from cogs.skills._items import DYNAMIC_ITEMS, Reminders
from cogs.skills._profile import ProfileCog

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cogs, register the "still valid" button and the reminder job (it may send a direct message)."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.services.job_runner.register(REMIND_JOB, Reminders(bot).send, lease=timedelta(minutes=2))
    await bot.add_cog(ProfileCog(bot))
    await bot.add_cog(SkillsCog(bot))
