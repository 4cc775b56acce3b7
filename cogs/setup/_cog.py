"""/setup: the wizard, show, set, time zone, permission check, forum tags, export and import; join and leave."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.settings_codec import parse_text
from bot.domain.settings_schema import GuildDirectory, Kind, Setting, label_key
from bot.domain.setup import (
    export_document,
    parse_document,
    resolve_import,
    search_timezones,
    serialise,
    validate_timezone,
)
from bot.errors import Invalid
from bot.permissions import audit_guild, ensure_manager, problems_embed
from bot.render.common import fit_embeds
from bot.render.routing import coach_saved_text, coaches_embed, province_choices
from bot.render.setup import SUMMARY, WIZARD_STEPS, format_value, settings_embed
from cogs.setup._tags import ensure_forum_tags
from cogs.setup._wizard import SetupWizard, select_options

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

STEP_CHOICES = [
    app_commands.Choice(
        name=app_commands.locale_str(step, key="setup.step.summary.label" if step == SUMMARY else label_key(step)),
        value=step,
    )
    for step in WIZARD_STEPS
]
"""The wizard's steps (the settings declared for it, then the summary), named by their labels."""


def directory_of(guild: discord.Guild) -> GuildDirectory:
    """The server's roles, text channels and forums as plain ids and names."""
    return GuildDirectory(
        roles={r.id: r.name for r in guild.roles if not r.is_default() and not r.managed},
        text_channels={c.id: c.name for c in guild.channels if isinstance(c, discord.TextChannel)},
        forums={c.id: c.name for c in guild.channels if isinstance(c, discord.ForumChannel)},
    )


def _value_suggestions(
    spec: Setting, current: str, guild: discord.Guild, t: Callable[[str], str]
) -> list[tuple[str, str]]:
    """(shown, value) suggestions for /setup set: the choices of the setting's kind that match what was typed."""
    text = current.strip()
    if spec.kind is Kind.TIMEZONE:
        return [(zone, zone) for zone in search_timezones(text)]
    if spec.is_reference:
        names = directory_of(guild).names_for(spec.kind)
        sign = "@" if spec.kind is Kind.ROLE else "#"
        wanted = text.lstrip("#@").lower()
        return [(f"{sign}{name}", str(id_)) for id_, name in names.items() if wanted in name.lower()]
    if spec.kind is Kind.THEMES:  # a comma-separated list: complete its last item
        done, _, last = text.rpartition(",")
        prefix = f"{done}," if done else ""
        taken = {part.strip() for part in done.split(",")}
        return [
            (f"{prefix}{value} ({label})", f"{prefix}{value}")
            for label, value, _ in select_options(spec, (), t) or []
            if value not in taken and last.strip().lower() in f"{value} {label.lower()}"
        ]
    options = select_options(spec, None, t) or []
    return [(label, value) for label, value, _ in options if text.lower() in f"{value} {label.lower()}"]


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

    @app_commands.command(name="start", description="Set up Steunpunt step by step")
    @app_commands.describe(step="Jump straight to one step")
    @app_commands.choices(step=STEP_CHOICES)
    async def start(self, interaction: discord.Interaction[SteunpuntBot], step: str | None = None) -> None:
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
        coaches = await self.bot.services.routing.coaches.all(guild.id)
        embeds = fit_embeds(
            [
                settings_embed(settings, self.bot.i18n, locale),
                problems_embed(audit_guild(guild, settings), self.bot, locale),
                coaches_embed(coaches, self.bot.i18n, locale),
            ]
        )
        await interaction.response.send_message(embeds=embeds, ephemeral=True)

    @app_commands.command(name="coach", description="Set the digital-heritage coach of a province")
    @app_commands.describe(
        province="The province (or the default, for provinces without a contact of their own)",
        name="Who to contact, e.g. the organisation that hosts the coach",
        url="Their web page (http or https)",
    )
    @app_commands.choices(province=province_choices())
    async def coach(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        province: str,
        name: app_commands.Range[str, 1, 100] | None = None,
        url: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        coach = await self.bot.services.routing.coaches.set(guild.id, interaction.user.id, province, name, url)
        coaches = await self.bot.services.routing.coaches.all(guild.id)
        await interaction.response.send_message(
            coach_saved_text(coach, self.bot.i18n, locale),
            embed=coaches_embed(coaches, self.bot.i18n, locale),
            ephemeral=True,
        )

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

    @app_commands.command(name="set", description="Change one setting by name")
    @app_commands.describe(setting="The setting to change", value="The new value; leave it out to restore the default")
    async def set_(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        setting: app_commands.Range[str, 1, 40],
        value: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        guild = _guild(interaction)
        locale = await self.bot.locale_for(interaction)
        service, t = self.bot.services.guild_settings, self.bot.i18n.t
        spec = service.schema.by_name(setting.strip())
        if spec is None:
            raise Invalid("setup.setting.unknown", name=setting[:40])
        new = spec.default if value is None else parse_text(spec, value, directory_of(guild))
        settings = await service.update(guild.id, **{spec.key: new})
        shown = format_value(spec, getattr(settings, spec.key), self.bot.i18n, locale)
        key = "setup.setting.reset" if value is None else "setup.setting.saved"
        await interaction.response.send_message(
            t(key, locale, setting=t(spec.label_key, locale), value=shown), ephemeral=True
        )

    @set_.autocomplete("setting")
    async def setting_autocomplete(
        self, interaction: discord.Interaction[SteunpuntBot], current: str
    ) -> list[app_commands.Choice[str]]:
        locale = await self.bot.locale_for(interaction)
        needle = current.strip().lower()
        choices = []
        for spec in self.bot.services.guild_settings.schema:
            label = self.bot.i18n.t(spec.label_key, locale)
            if needle in spec.name or needle in label.lower():
                choices.append(app_commands.Choice(name=f"{label} ({spec.name})"[:100], value=spec.name))
        return choices[:25]

    @set_.autocomplete("value")
    async def value_autocomplete(
        self, interaction: discord.Interaction[SteunpuntBot], current: str
    ) -> list[app_commands.Choice[str]]:
        member = interaction.user
        if (
            interaction.guild is None
            or not isinstance(member, discord.Member)
            or not member.guild_permissions.manage_guild
        ):
            return []  # role and (private) channel names are for server managers only
        spec = self.bot.services.guild_settings.schema.by_name(str(interaction.namespace.setting or "").strip())
        if spec is None:
            return []
        locale = await self.bot.locale_for(interaction)
        pairs = _value_suggestions(spec, current, interaction.guild, lambda key: self.bot.i18n.t(key, locale))
        return [app_commands.Choice(name=name[:100], value=value[:100]) for name, value in pairs][:25]

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
        service = self.bot.services.guild_settings
        changes = resolve_import(parse_document(await file.read(), file.filename), directory_of(guild), service.schema)
        settings = await service.update(guild.id, **changes)
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
        """Keep the data for the retention period; a durable job purges it then (rejoining cancels it)."""
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
