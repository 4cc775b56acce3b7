"""What the bot may do where: its effective permissions per configured channel, and who is a moderator.

The permission audit runs at start-up, during /setup, and whenever a feature fails for lack of a
permission; the moderators' channel hears about a given problem once (tracked in the database). It checks
every channel setting of the settings schema, each of which declares the permissions the bot needs there.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.guild_settings import GuildSettings
from bot.domain.settings_schema import Setting, label_key
from bot.domain.setup import is_moderator
from bot.errors import Forbidden
from bot.render.common import Colours, add_field_within_limits, embed_builder, truncate

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)

ALERT_KIND = "permissions"


@dataclass(frozen=True, slots=True)
class ChannelProblem:
    """A configured channel where the bot lacks something (or which no longer exists).

    ``purpose`` is the public name of the channel setting.
    """

    purpose: str
    channel_id: int
    channel_name: str | None
    missing: tuple[str, ...]


def _configured(settings: GuildSettings) -> list[tuple[Setting, int]]:
    """Every channel setting of the schema that is set, with its channel id."""
    pairs = [(spec, getattr(settings, spec.key)) for spec in type(settings).schema().channels()]
    return [(spec, cid) for spec, cid in pairs if cid is not None]


def audit_channel(guild: discord.Guild, spec: Setting, channel_id: int) -> ChannelProblem | None:
    """Compare the bot's effective permissions in one channel (roles and overwrites) with what the setting needs."""
    channel = guild.get_channel(channel_id)
    if channel is None:
        return ChannelProblem(spec.name, channel_id, None, ())
    perms = channel.permissions_for(guild.me)
    missing = tuple(name for name in spec.permissions if not getattr(perms, name))
    return ChannelProblem(spec.name, channel_id, channel.name, missing) if missing else None


def audit_guild(guild: discord.Guild, settings: GuildSettings) -> list[ChannelProblem]:
    """Every problem in every channel the server's settings point at."""
    found = [audit_channel(guild, spec, cid) for spec, cid in _configured(settings)]
    return [p for p in found if p is not None]


def fingerprint(problems: list[ChannelProblem]) -> str:
    """A stable identity for a set of problems, so the same set is reported only once."""
    text = "|".join(sorted(f"{p.purpose}:{p.channel_id}:{','.join(p.missing)}" for p in problems))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@embed_builder
def problems_embed(problems: list[ChannelProblem], bot: SteunpuntBot, locale: str) -> discord.Embed:
    """The localised report: per channel, what is missing and how to fix it."""
    t = bot.i18n.t
    if not problems:
        return discord.Embed(description=t("perms.all_good", locale), colour=Colours.success)
    embed = discord.Embed(title=t("perms.title", locale), description=t("perms.intro", locale), colour=Colours.warning)
    for problem in problems:
        where = t(label_key(problem.purpose), locale)
        if problem.channel_name is None:
            add_field_within_limits(embed, where, t("perms.channel_gone", locale, channel_id=problem.channel_id))
            continue
        names = ", ".join(t(f"perms.name.{name}", locale) for name in problem.missing)
        value = t("perms.missing", locale, channel=f"<#{problem.channel_id}>", permissions=names)
        value += "\n" + t("perms.fix", locale, channel=f"<#{problem.channel_id}>", permissions=names)
        add_field_within_limits(embed, truncate(f"{where}: #{problem.channel_name}", 256), value)
    return embed


class PermissionAlerts:
    """Tells a server's moderators about permission problems: once per distinct problem set."""

    def __init__(self, bot: SteunpuntBot) -> None:
        self._bot = bot

    async def check_and_report(self, guild: discord.Guild) -> list[ChannelProblem]:
        """Audit a server; post news to its moderator channel (if it can); return the problems."""
        settings = await self._bot.services.guild_settings.get(guild.id)
        problems = audit_guild(guild, settings)
        setup = self._bot.services.setup
        if not problems:
            await setup.resolved(guild.id, ALERT_KIND)
            return problems
        mark = fingerprint(problems)
        if not await setup.is_news(guild.id, ALERT_KIND, mark):
            return problems
        log.warning("Server %s: missing permissions in %d channel(s)", guild.id, len(problems))
        if not await self._post(guild, settings, problems):
            await setup.resolved(guild.id, ALERT_KIND)  # nobody was told: try again next time
        return problems

    async def feature_failed(self, guild: discord.Guild, error: discord.Forbidden) -> None:
        """A feature got 403 from Discord: re-audit and tell the moderators if that is news."""
        log.warning("Server %s: Discord refused an action (%s)", guild.id, error.code)
        await self.check_and_report(guild)

    async def _post(self, guild: discord.Guild, settings: GuildSettings, problems: list[ChannelProblem]) -> bool:
        """Post the report in the moderators' channel; returns whether it was delivered."""
        channel_id = settings.moderator_channel_id
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel) or any(p.purpose == "moderator_channel" for p in problems):
            return False  # nowhere we may speak: the log line above and /setup show will tell
        locale = settings.locale or self._bot.settings.default_locale
        try:
            await channel.send(embed=problems_embed(problems, self._bot, locale))
        except discord.HTTPException as exc:
            log.warning("Could not post the permission report in server %s: %s", guild.id, exc)
            return False
        return True


async def member_is_moderator(bot: SteunpuntBot, interaction: discord.Interaction[Any]) -> bool:
    """Whether the member behind an interaction is a moderator: the configured role, or Manage Server."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    settings = await bot.services.guild_settings.get(interaction.guild_id)
    role_ids = [role.id for role in member.roles]
    return is_moderator(settings, role_ids, manages_server=member.guild_permissions.manage_guild)


async def ensure_moderator(bot: SteunpuntBot, interaction: discord.Interaction[Any]) -> None:
    """Server-side moderator check used by every moderator action (raises a localised Forbidden)."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        raise Forbidden("errors.guild_only")
    if not await member_is_moderator(bot, interaction):
        raise Forbidden("errors.not_moderator")


def ensure_manager(interaction: discord.Interaction[Any]) -> None:
    """Server-side check for set-up actions: the member must have Manage Server."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        raise Forbidden("errors.guild_only")
    if not member.guild_permissions.manage_guild:
        raise Forbidden("errors.not_manager")
