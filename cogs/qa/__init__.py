"""Questions and answers: /ask, /faq, the help forum and /unanswered; routing unanswered questions to members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.qa._ask import AskCog, FaqCog
from cogs.qa._forum import HelpForumCog
from cogs.qa._gaps import DYNAMIC_ITEMS as GAP_ITEMS
from cogs.qa._items import DYNAMIC_ITEMS
from cogs.qa._routing import RoutingCog, RoutingJobs
from cogs.qa._routing_items import DYNAMIC_ITEMS as ROUTING_ITEMS

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


async def setup(bot: SteunpuntBot) -> None:
    """Load the cogs, register the persistent buttons and the routing jobs that need Discord."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS, *ROUTING_ITEMS, *GAP_ITEMS)
    RoutingJobs(bot).register()
    await bot.add_cog(AskCog(bot))
    await bot.add_cog(FaqCog(bot))
    await bot.add_cog(HelpForumCog(bot))
    await bot.add_cog(RoutingCog(bot))
