"""The services container and its builder. It never exposes the Database, so no cog can reach SQL."""

from __future__ import annotations

from dataclasses import dataclass

from bot import __version__
from bot.clock import Clock
from bot.db.database import Database
from bot.db.repos.bot_state import BotStateRepo
from bot.db.repos.guild_settings import GuildSettingsRepo
from bot.db.repos.setup import SetupRepo
from bot.domain.guild_settings import GuildSettingsService
from bot.domain.setup import SetupService
from bot.domain.system import SystemService


@dataclass(frozen=True, slots=True)
class Services:
    """Every domain service the cogs may use."""

    guild_settings: GuildSettingsService
    setup: SetupService
    system: SystemService


def build_services(db: Database, clock: Clock) -> Services:
    """Wire repositories into services. Called once, from the composition root (and by tests)."""
    guild_settings = GuildSettingsService(GuildSettingsRepo(db), clock)
    system = SystemService(BotStateRepo(db), guild_settings, clock, __version__)
    setup = SetupService(SetupRepo(db), guild_settings, clock)
    return Services(guild_settings=guild_settings, setup=setup, system=system)
