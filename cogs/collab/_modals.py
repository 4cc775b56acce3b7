"""The proposal form: propose a collaboration, or change one's own open proposal (the same fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.collab.models import (
    DEADLINE_INPUT_MAX,
    GOAL_MAX,
    PARTNERS_MAX,
    THEMES_INPUT_MAX,
    TITLE_MAX,
    Draft,
    Proposal,
)
from bot.domain.collab.rules import parse_themes
from bot.i18n import SUPPORTED
from bot.render.collab import deadline_text, proposal_embed, themes_text
from bot.render.common import safe, truncate
from bot.ui.base import BaseModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.collab.models import Board


class CollabProposeModal(BaseModal):
    """A member proposes a collaboration: title, goal, partners sought, themes and deadline.

    Themes are typed and read against the server's switched-on themes. :class:`CollabEditModal` is the same form,
    filled with an open proposal.
    """

    command: ClassVar[str] = "collab propose"

    def __init__(
        self,
        bot: SteunpuntBot,
        locale: str,
        title_key: str = "collab.modal.propose_title",
        proposal: Proposal | None = None,
    ) -> None:
        super().__init__(bot, title=bot.i18n.t(title_key, locale))
        self.locale = locale
        self.proposal = proposal
        t = bot.i18n.t
        themes = themes_text(proposal, bot.i18n, locale) if proposal is not None else None
        specs: list[tuple[str, int, discord.TextStyle, bool, str | None, str | None]] = [
            ("title", TITLE_MAX, discord.TextStyle.short, True, proposal.title if proposal else None, None),
            ("goal", GOAL_MAX, discord.TextStyle.paragraph, True, proposal.goal if proposal else None, None),
            (
                "partners",
                PARTNERS_MAX,
                discord.TextStyle.paragraph,
                False,
                proposal.partners if proposal else None,
                None,
            ),
            ("themes", THEMES_INPUT_MAX, discord.TextStyle.short, False, themes, t("collab.modal.themes_hint", locale)),
            (
                "deadline",
                DEADLINE_INPUT_MAX,
                discord.TextStyle.short,
                True,
                proposal.deadline_date if proposal else None,
                t("collab.modal.deadline_hint", locale),
            ),
        ]
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for name, limit, style, required, default, hint in specs:
            item: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=t(f"collab.field.{name}", locale)[:45],
                custom_id=name,
                max_length=limit,
                style=style,
                required=required,
                default=(default or None) and default[:limit],
                placeholder=hint[:100] if hint else None,
            )
            self.add_item(item)
            self.inputs[name] = item

    async def draft(self, guild_id: int) -> Draft:
        """The typed fields as a draft; themes read against the server's switched-on themes, in both languages."""
        settings = await self.bot.services.guild_settings.get(guild_id)
        t = self.bot.i18n.t
        others = [other for other in SUPPORTED if other != self.locale]
        labels = {
            key: (t(f"theme.{key}.name", self.locale), *(t(f"theme.{key}.name", other) for other in others))
            for key in settings.themes
        }
        values = {name: item.value or "" for name, item in self.inputs.items()}
        return Draft(
            title=values["title"],
            goal=values["goal"],
            partners=values["partners"],
            themes=parse_themes(values["themes"], settings.themes, labels),
            deadline=values["deadline"],
        )

    async def _reply(self, interaction: discord.Interaction[Any], text: str, board: Board) -> None:
        embed = proposal_embed(board, self.bot.i18n, self.locale)
        await interaction.response.send_message(text, embed=embed, ephemeral=True)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Validate and put it on the board (its expiry job is scheduled with it)."""
        assert interaction.guild_id is not None
        collab = self.bot.services.collab
        proposal = await collab.propose(
            interaction.guild_id, interaction.user.id, await self.draft(interaction.guild_id)
        )
        text = self.bot.i18n.t(
            "collab.propose.done",
            self.locale,
            id=proposal.id,
            title=safe(truncate(proposal.title, 100)),
            deadline=deadline_text(proposal, self.bot.i18n, self.locale),
        )
        await self._reply(interaction, text, await collab.board(interaction.guild_id, proposal.id, interaction.user.id))


class CollabEditModal(CollabProposeModal):
    """The owner changes an open proposal; a stale edit (changed meanwhile) is refused."""

    command: ClassVar[str] = "collab edit"

    def __init__(self, bot: SteunpuntBot, locale: str, proposal: Proposal) -> None:
        super().__init__(bot, locale, "collab.modal.edit_title", proposal)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Validate and store; a new deadline moves the expiry job."""
        assert interaction.guild_id is not None and self.proposal is not None
        collab = self.bot.services.collab
        draft = await self.draft(interaction.guild_id)
        stored = await collab.edit(
            interaction.guild_id, interaction.user.id, self.proposal.id, draft, self.proposal.version
        )
        text = self.bot.i18n.t("collab.edit.done", self.locale, id=stored.id)
        await self._reply(interaction, text, await collab.board(interaction.guild_id, stored.id, interaction.user.id))
