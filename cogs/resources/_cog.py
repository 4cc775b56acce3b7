"""/resource: suggest, find, show and curate resources; /modlog: the audit log."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.audit import AuditService
from bot.domain.exchange import dump_records, dump_resources
from bot.domain.qa_models import Page
from bot.errors import NotFound
from bot.permissions import ensure_moderator
from bot.render.common import safe
from bot.render.resources import audit_embed, resource_embed, resource_list_embed
from bot.ui.base import command_of
from bot.ui.paginator import PageSource, Paginator
from cogs.resources._items import HelpfulButton, review_pick
from cogs.resources._modals import EditModal, SuggestModal

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.resources import Resource

ID = re.compile(r"[0-9]{1,18}")
"""A resource number (ASCII digits, within SQLite's integer range)."""
Theme = Literal["revenue-and-rights", "skills", "collective", "strategy", "collaboration"]
Kind = Literal["guide", "toolkit", "course", "website", "dataset", "funding", "event"]
Language = Literal["nl", "en"]
Audience = Literal["beginner", "intermediate", "advanced"]
FileFormat = Literal["json", "csv"]


async def _paginate(
    bot: SteunpuntBot,
    interaction: discord.Interaction[SteunpuntBot],
    source: PageSource,
    extras: Callable[[], Sequence[discord.ui.Item[Any]]] | None = None,
) -> None:
    """Send the first page of a paginator as an ephemeral reply."""
    paginator = Paginator(
        bot, owner_id=interaction.user.id, source=source, command=command_of(interaction), extras=extras
    )
    embed = await paginator.first_page()
    await interaction.response.send_message(embed=embed, view=paginator, ephemeral=True)
    paginator.message = await interaction.original_response()


@app_commands.guild_only()
class ResourcesCog(commands.GroupCog, group_name="resource", group_description="The community's curated resources"):
    """Members suggest and find resources; moderators review and curate them."""

    theme: ClassVar[str] = "knowledge"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        super().__init__()

    async def _get(self, interaction: discord.Interaction[SteunpuntBot], raw: str) -> Resource:
        assert interaction.guild_id is not None
        text = raw.strip().lstrip("#")
        if not ID.fullmatch(text):
            found = await self.bot.services.library.search(interaction.guild_id, text, limit=1)
            if not found:
                raise NotFound("resources.not_found")
            return found[0]
        return await self.bot.services.library.get(interaction.guild_id, int(text))

    async def resource_autocomplete(
        self, interaction: discord.Interaction[SteunpuntBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or len(current.strip()) < 2:
            page = await self.bot.services.library.browse(interaction.guild_id or 0, None, 0, per_page=25)
            found = page.items
        else:
            found = await self.bot.services.library.search(interaction.guild_id, current[:100], limit=25)
        return [app_commands.Choice(name=f"#{r.id} {r.title}"[:100], value=str(r.id)) for r in found]

    @app_commands.command(name="suggest", description="Suggest a resource for the library")
    @app_commands.describe(theme="Which theme it helps with", type="What kind of resource", language="Its language")
    async def suggest(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        theme: Theme,
        type: Kind,
        language: Language,
    ) -> None:
        locale = await self.bot.locale_for(interaction)
        await interaction.response.send_modal(
            SuggestModal(self.bot, locale, {"theme": theme, "type": type, "language": language})
        )

    @app_commands.command(name="search", description="Search the approved resources")
    @app_commands.describe(query="What you are looking for")
    async def search(
        self, interaction: discord.Interaction[SteunpuntBot], query: app_commands.Range[str, 1, 200]
    ) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self.bot.services.library.search(interaction.guild_id, query, limit=10)
        page = Page(found, 0, 1, len(found))
        title = self.bot.i18n.t("resources.search.title", locale, query=safe(query[:100]))
        embed = resource_list_embed(title, page, self.bot.i18n, locale, "resources.search.none")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="browse", description="Browse the approved resources by theme")
    @app_commands.describe(theme="Only this theme (default: all)")
    async def browse(self, interaction: discord.Interaction[SteunpuntBot], theme: Theme | None = None) -> None:
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, await self.bot.locale_for(interaction)
        name = (
            self.bot.i18n.t(f"theme.{theme}.name", locale) if theme else self.bot.i18n.t("resources.browse.all", locale)
        )
        title = self.bot.i18n.t("resources.browse.title", locale, theme=name)

        async def source(page: int) -> tuple[discord.Embed, int]:
            found = await self.bot.services.library.browse(guild_id, theme, page)
            return resource_list_embed(title, found, self.bot.i18n, locale, "resources.browse.none"), found.pages

        await _paginate(self.bot, interaction, source)

    @app_commands.command(name="show", description="Show one resource")
    @app_commands.describe(resource="Start typing a title, or give its number")
    @app_commands.autocomplete(resource=resource_autocomplete)
    async def show(
        self, interaction: discord.Interaction[SteunpuntBot], resource: app_commands.Range[str, 1, 100]
    ) -> None:
        locale = await self.bot.locale_for(interaction)
        found = await self._get(interaction, resource)
        if found.status != "approved":
            await ensure_moderator(self.bot, interaction)
        view = discord.ui.View(timeout=None)
        view.add_item(HelpfulButton(found.id, self.bot.i18n.t("resources.helpful.button", locale)))
        embed = resource_embed(found, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="queue", description="Suggestions waiting for review (moderators)")
    async def queue(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, await self.bot.locale_for(interaction)
        title = self.bot.i18n.t("resources.queue.title", locale)
        shown: list[Resource] = []

        async def source(page: int) -> tuple[discord.Embed, int]:
            found = await self.bot.services.library.queue(guild_id, page)
            shown[:] = found.items
            return resource_list_embed(title, found, self.bot.i18n, locale, "resources.queue.none"), found.pages

        def pick() -> list[discord.ui.Item[Any]]:
            return [review_pick(shown, self.bot.i18n.t("resources.queue.pick", locale))] if shown else []

        await _paginate(self.bot, interaction, source, pick)

    @app_commands.command(name="edit", description="Edit a resource (moderators)")
    @app_commands.describe(
        resource="Start typing a title, or give its number",
        theme="New theme",
        type="New kind",
        language="New language",
        audience="New audience level",
    )
    @app_commands.autocomplete(resource=resource_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        resource: app_commands.Range[str, 1, 100],
        theme: Theme | None = None,
        type: Kind | None = None,
        language: Language | None = None,
        audience: Audience | None = None,
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        locale = await self.bot.locale_for(interaction)
        found = await self._get(interaction, resource)
        choices = {
            "theme": theme or found.theme,
            "type": type or found.type,
            "language": language or found.language,
            "audience": audience or found.audience,
            "licence": found.licence or "",
        }
        await interaction.response.send_modal(EditModal(self.bot, locale, found, choices))

    @app_commands.command(name="feature", description="Feature or unfeature a resource (moderators)")
    @app_commands.describe(resource="Start typing a title, or give its number", featured="Show it first")
    @app_commands.autocomplete(resource=resource_autocomplete)
    async def feature(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        resource: app_commands.Range[str, 1, 100],
        featured: bool = True,
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self._get(interaction, resource)
        stored = await self.bot.services.library.set_featured(
            interaction.guild_id, found.id, interaction.user.id, featured
        )
        key = "resources.feature.on" if stored.featured else "resources.feature.off"
        await interaction.response.send_message(
            self.bot.i18n.t(key, locale, title=safe(stored.title[:100])), ephemeral=True
        )

    @app_commands.command(name="archive", description="Take a resource out of the library (moderators)")
    @app_commands.describe(resource="Start typing a title, or give its number", reason="Why (kept in the audit log)")
    @app_commands.autocomplete(resource=resource_autocomplete)
    async def archive(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        resource: app_commands.Range[str, 1, 100],
        reason: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        found = await self._get(interaction, resource)
        stored = await self.bot.services.library.archive(interaction.guild_id, found.id, interaction.user.id, reason)
        await interaction.response.send_message(
            self.bot.i18n.t("resources.archive.done", locale, title=safe(stored.title[:100])), ephemeral=True
        )

    @app_commands.command(name="export", description="Download every resource as a file (moderators)")
    @app_commands.describe(format="File format")
    async def export(self, interaction: discord.Interaction[SteunpuntBot], format: FileFormat = "json") -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = dump_resources(await self.bot.services.library.export(interaction.guild_id), format)
        file = discord.File(io.BytesIO(data), filename=f"steunpunt-resources-{interaction.guild_id}.{format}")
        await interaction.followup.send(self.bot.i18n.t("resources.export.done", locale), file=file, ephemeral=True)


@app_commands.guild_only()
class ModlogCog(commands.Cog):
    """The audit log of curation actions, for moderators."""

    theme: ClassVar[str] = "knowledge"

    def __init__(self, bot: SteunpuntBot, audit: AuditService) -> None:
        self.bot = bot
        self.audit = audit

    @app_commands.command(name="modlog", description="Recent moderation and curation actions (moderators)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.describe(export="Download the whole log as a file instead")
    async def modlog(self, interaction: discord.Interaction[SteunpuntBot], export: FileFormat | None = None) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, await self.bot.locale_for(interaction)
        if export is not None:
            records = await self.audit.export(guild_id)
            fields = ("id", "created_at", "actor_id", "action", "target_type", "target_id", "reason", "before", "after")
            data = dump_records(records, export, kind="audit", fields=fields)
            file = discord.File(io.BytesIO(data), filename=f"steunpunt-modlog-{guild_id}.{export}")
            await interaction.response.send_message(
                self.bot.i18n.t("resources.export.done", locale), file=file, ephemeral=True
            )
            return

        async def source(page: int) -> tuple[discord.Embed, int]:
            found = await self.audit.recent(guild_id, page)
            return audit_embed(found, self.bot.i18n, locale), found.pages

        await _paginate(self.bot, interaction, source)
