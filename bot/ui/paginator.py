"""Pagination: a page source (an async function page → embed, page count) and a button view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.ui.base import BaseView

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

PageSource = Callable[[int], Awaitable[tuple[discord.Embed, int]]]
"""Given a 0-based page number, return its embed and the total number of pages."""


class Paginator(BaseView):
    """First / previous / next / last buttons over a :data:`PageSource`; only its owner may turn pages."""

    def __init__(
        self,
        bot: SteunpuntBot,
        *,
        owner_id: int,
        source: PageSource,
        command: str,
        timeout: float = 600,
        extras: Callable[[], Sequence[discord.ui.Item[Any]]] | None = None,
    ) -> None:
        super().__init__(bot, owner_id=owner_id, command=command, timeout=timeout)
        self.source = source
        self.extras = extras
        """Items that belong to the page shown (e.g. a menu of its entries), asked for after every turn."""
        self._extra_items: list[discord.ui.Item[Any]] = []
        self.page = 0
        self.pages = 1

    async def first_page(self) -> discord.Embed:
        """Load page 0 and set the buttons; call before sending."""
        return await self._load(0)

    async def _load(self, page: int) -> discord.Embed:
        embed, self.pages = await self.source(max(0, page))
        self.page = min(max(0, page), max(0, self.pages - 1))
        if self.page != page:
            embed, self.pages = await self.source(self.page)
        self.first.disabled = self.previous.disabled = self.page == 0
        self.next.disabled = self.last.disabled = self.page >= self.pages - 1
        if self.extras is not None:
            for item in self._extra_items:
                self.remove_item(item)
            self._extra_items = list(self.extras())
            for item in self._extra_items:
                self.add_item(item)
        return embed

    async def _turn(self, interaction: discord.Interaction[Any], page: int) -> None:
        embed = await self._load(page)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="«", custom_id="page:first", style=discord.ButtonStyle.secondary)
    async def first(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        """Go to the first page."""
        await self._turn(interaction, 0)

    @discord.ui.button(label="‹", custom_id="page:previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        """Go back one page."""
        await self._turn(interaction, self.page - 1)

    @discord.ui.button(label="›", custom_id="page:next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        """Go forward one page."""
        await self._turn(interaction, self.page + 1)

    @discord.ui.button(label="»", custom_id="page:last", style=discord.ButtonStyle.secondary)
    async def last(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        """Go to the last page."""
        await self._turn(interaction, self.pages - 1)
