"""/setup: the wizard, show, time zone, permission check, forum tags, export and import; join and leave."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.domain.setup import (
    GuildDirectory,
    export_document,
    parse_document,
    resolve_import,
    search_timezones,
    serialise,
    validate_timezone,
)
from bot.errors import Invalid
from bot.permissions import audit_guild, ensure_manager, problems_embed
from bot.render.setup import settings_embed
from cogs.setup._tags import ensure_forum_tags
from cogs.setup._wizard import SetupWizard

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

Step = Literal[
    "language", "timezone", "moderator_role", "moderator_channel", "help_forum", "digest_channel", "themes", "summary"
]


def directory_of(guild: discord.Guild) -> GuildDirectory:
    """The server's roles, text channels and forums as plain ids and names."""
    return GuildDirectory(
        roles={r.id: r.name for r in guild.roles if not r.is_default() and not r.managed},
        text_channels={c.id: c.name for c in guild.channels if isinstance(c, discord.TextChannel)},
        forums={c.id: c.name for c in guild.channels if isinstance(c, discord.ForumChannel)},
    )


def _guild(interaction: discord.Interaction[SteunpuntBot]) -> discord.Guild:
    ensure_manager(interaction)
    if interaction.guild is None:
        raise Invalid("errors.guild_only")
    return interaction.guild


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SetupCog(commands.GroupCog, group_name="setup", group_description="Set up Steunpunt for this server"):
    """Server set-up. Discord hides it from members without Manage Server; every action checks again."""

    theme: ClassVar[str] = "general"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        """Start the daily purge of departed servers."""
        self.purge_departed.start()

    async def cog_unload(self) -> None:
        """Stop the purge loop."""
        self.purge_departed.cancel()

    @app_commands.command(name="start", description="Set up Steunpunt step by step")
    @app_commands.describe(step="Jump straight to one step")
    async def start(self, interaction: discord.Interaction[SteunpuntBot], step: Step = "language") -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        wizard = SetupWizard(self.bot, owner_id=interaction.user.id, guild_id=guild.id, locale=locale, step=step)
        embeds, view = await wizard.render(guild)
        await interaction.response.send_message(embeds=embeds, view=view, ephemeral=True)
        wizard.message = await interaction.original_response()

    @app_commands.command(name="show", description="Show this server's Steunpunt settings")
    async def show(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        settings = await self.bot.services.guild_settings.get(guild.id)
        embeds = [
            settings_embed(settings, self.bot.i18n, locale),
            problems_embed(audit_guild(guild, settings), self.bot, locale),
        ]
        await interaction.response.send_message(embeds=embeds, ephemeral=True)

    @app_commands.command(name="timezone", description="Set the server's time zone")
    @app_commands.describe(zone="An IANA time zone such as Europe/Amsterdam")
    async def timezone(
        self, interaction: discord.Interaction[SteunpuntBot], zone: app_commands.Range[str, 1, 60]
    ) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        settings = await self.bot.services.guild_settings.update(guild.id, timezone=validate_timezone(zone))
        await interaction.response.send_message(
            self.bot.i18n.t("setup.timezone.saved", locale, zone=settings.timezone), ephemeral=True
        )

    @timezone.autocomplete("zone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[SteunpuntBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in search_timezones(current)]

    @app_commands.command(name="check", description="Check the bot's permissions in its channels")
    async def check(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        settings = await self.bot.services.guild_settings.get(guild.id)
        await interaction.response.send_message(
            embed=problems_embed(audit_guild(guild, settings), self.bot, locale), ephemeral=True
        )

    @app_commands.command(name="tags", description="Create the help forum's tags Steunpunt needs")
    async def tags(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        note = await ensure_forum_tags(self.bot, guild, locale)
        await interaction.followup.send(note, ephemeral=True)

    @app_commands.command(name="starter", description="Load Steunpunt's curated starter resources into the library")
    async def starter(self, interaction: discord.Interaction[SteunpuntBot]) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = await self.bot.services.guild_settings.get(guild.id)
        report = await self.bot.services.library.load_starter(
            guild.id, interaction.user.id, settings.locale or self.bot.settings.default_locale
        )
        text = self.bot.i18n.t("setup.starter.done", locale, added=report.added, skipped=report.skipped)
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="export", description="Download this server's settings as a file")
    @app_commands.describe(format="File format")
    @app_commands.choices(
        format=[app_commands.Choice(name="JSON", value="json"), app_commands.Choice(name="TOML", value="toml")]
    )
    async def export(self, interaction: discord.Interaction[SteunpuntBot], format: str = "json") -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        settings = await self.bot.services.guild_settings.get(guild.id)
        fmt: Literal["json", "toml"] = "toml" if format == "toml" else "json"
        data = serialise(export_document(settings, directory_of(guild)), fmt)
        file = discord.File(io.BytesIO(data), filename=f"steunpunt-settings-{guild.id}.{fmt}")
        await interaction.response.send_message(self.bot.i18n.t("setup.export.done", locale), file=file, ephemeral=True)

    @app_commands.command(name="import", description="Apply settings from an exported file (all or nothing)")
    @app_commands.describe(file="A .json or .toml file made by /setup export")
    async def import_(self, interaction: discord.Interaction[SteunpuntBot], file: discord.Attachment) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        if file.size > 64 * 1024:
            raise Invalid("setup.import.too_large", limit=64)
        await interaction.response.defer(ephemeral=True, thinking=True)
        changes = resolve_import(parse_document(await file.read(), file.filename), directory_of(guild))
        settings = await self.bot.services.guild_settings.update(guild.id, **changes)
        embed = settings_embed(settings, self.bot.i18n, locale)
        await interaction.followup.send(self.bot.i18n.t("setup.import.done", locale), embed=embed, ephemeral=True)

    # --- joining, leaving, start-up check -------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Cancel any pending purge and greet the server (in its system channel, if allowed)."""
        await self.bot.services.setup.joined(guild.id)
        channel = guild.system_channel
        if channel is None or not channel.permissions_for(guild.me).send_messages:
            log.info("Joined server %s; no system channel we may post in", guild.id)
            return
        text = self.bot.i18n.t("setup.welcome", "nl") + "\n\n" + self.bot.i18n.t("setup.welcome", "en")
        try:
            await channel.send(text)
        except discord.HTTPException as exc:
            log.warning("Could not greet server %s: %s", guild.id, exc)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Keep the data for the retention period, then the purge loop removes it."""
        await self.bot.services.setup.left(guild.id)
        log.info("Removed from server %s; data kept for %d days", guild.id, self.bot.settings.guild_retention_days)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Run the permission check for every server at start-up (reported once per distinct problem)."""
        for guild in self.bot.guilds:
            try:
                await self.bot.permission_alerts.check_and_report(guild)
            except Exception:
                log.exception("Permission check failed for server %s", guild.id)

    @tasks.loop(hours=24)
    async def purge_departed(self) -> None:
        """Delete the data of servers the bot left longer ago than GUILD_RETENTION_DAYS."""
        purged = await self.bot.services.setup.purge_departed(self.bot.settings.guild_retention_days)
        if purged:
            log.info("Purged data of %d departed server(s)", len(purged))

    @purge_departed.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()
