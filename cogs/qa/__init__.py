"""Questions and answers: /ask, /faq, the help forum and /unanswered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.qa._ask import AskCog, FaqCog
from cogs.qa._forum import HelpForumCog
from cogs.qa._items import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cogs and register the persistent buttons."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(AskCog(bot))
    await bot.add_cog(FaqCog(bot))
    await bot.add_cog(HelpForumCog(bot))
