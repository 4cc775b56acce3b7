"""The services container and its builder. It never exposes the Database, so no cog can reach SQL."""

from __future__ import annotations

from dataclasses import dataclass

from bot import __version__
from bot.clock import Clock
from bot.db.database import Database
from bot.db.repos.audit import AuditRepo
from bot.db.repos.bot_state import BotStateRepo
from bot.db.repos.guild_settings import GuildSettingsRepo
from bot.db.repos.knowledge import KnowledgeRepo
from bot.db.repos.members import MembersRepo
from bot.db.repos.privacy import PrivacyRepo
from bot.db.repos.qa import QaRepo
from bot.db.repos.resources import ResourcesRepo
from bot.db.repos.setup import SetupRepo
from bot.domain.audit import AuditService
from bot.domain.guild_settings import GuildSettingsService
from bot.domain.library import LibraryService
from bot.domain.members import MembersService
from bot.domain.privacy import PrivacyService
from bot.domain.qa import QAService
from bot.domain.search.engine import SearchEngine
from bot.domain.search.glossary import Glossary
from bot.domain.setup import SetupService
from bot.domain.system import SystemService


@dataclass(frozen=True, slots=True)
class Services:
    """Every domain service the cogs may use."""

    guild_settings: GuildSettingsService
    search: SearchEngine
    qa: QAService
    library: LibraryService
    audit: AuditService
    members: MembersService
    privacy: PrivacyService
    setup: SetupService
    system: SystemService


def build_services(db: Database, clock: Clock, glossary: Glossary | None = None) -> Services:
    """Wire repositories into services. Called once, from the composition root (and by tests)."""
    guild_settings = GuildSettingsService(GuildSettingsRepo(db), clock)
    search = SearchEngine(KnowledgeRepo(db), clock, glossary or Glossary.load(), log_searches=False)
    audit_repo = AuditRepo(db)
    qa = QAService(QaRepo(db), search, clock, audit_repo)
    members_repo = MembersRepo(db)
    library = LibraryService(ResourcesRepo(db), members_repo, search, clock)
    system = SystemService(BotStateRepo(db), guild_settings, clock, __version__)
    setup = SetupService(SetupRepo(db), guild_settings, clock)
    return Services(
        guild_settings=guild_settings,
        search=search,
        qa=qa,
        library=library,
        audit=AuditService(audit_repo),
        members=MembersService(members_repo, clock),
        privacy=PrivacyService(PrivacyRepo(db), clock),
        setup=setup,
        system=system,
    )
