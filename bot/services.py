"""The services container and its builder. It never exposes the Database, so no cog can reach SQL."""

from __future__ import annotations

from dataclasses import dataclass

from bot import __version__
from bot.clock import Clock
from bot.db.database import Database
from bot.db.repos.audit import AuditRepo
from bot.db.repos.bot_state import BotStateRepo
from bot.db.repos.coaches import CoachesRepo
from bot.db.repos.collab import CollabRepo
from bot.db.repos.digest import DigestRepo
from bot.db.repos.gaps import GapsRepo
from bot.db.repos.guild_settings import GuildSettingsRepo
from bot.db.repos.introductions import IntroductionsRepo
from bot.db.repos.jobs import JobsRepo
from bot.db.repos.knowledge import KnowledgeRepo
from bot.db.repos.maintenance import MaintenanceRepo
from bot.db.repos.members import MembersRepo
from bot.db.repos.moderation import ModerationRepo
from bot.db.repos.profiles import ProfilesRepo
from bot.db.repos.qa import QaRepo
from bot.db.repos.resources import ResourcesRepo
from bot.db.repos.routing import RoutingRepo
from bot.db.repos.scan import ScanRepo
from bot.db.repos.setup import SetupRepo
from bot.db.repos.skills import SkillsRepo
from bot.db.repos.stats import StatsRepo
from bot.domain.audit import AuditService
from bot.domain.collab.service import CollabService
from bot.domain.digest.service import DigestService
from bot.domain.gaps import GapService
from bot.domain.guild_settings import GuildSettingsService
from bot.domain.introductions import MatchServices
from bot.domain.introductions.followup import FollowUpService
from bot.domain.introductions.people import PeopleService
from bot.domain.introductions.requests import IntroductionService
from bot.domain.job_runner import JobRunner
from bot.domain.jobs import JobService, new_worker_id
from bot.domain.library import LibraryService
from bot.domain.maintenance import MaintenanceService
from bot.domain.members import MembersService
from bot.domain.moderation.service import ModerationService
from bot.domain.privacy import PrivacyService
from bot.domain.qa import QAService
from bot.domain.retention import Retention, RetentionService
from bot.domain.routing import RoutingServices
from bot.domain.routing.coaches import CoachService, CoachTable
from bot.domain.routing.delivery import RoutingDeliveries
from bot.domain.routing.service import RoutingService
from bot.domain.scan.instrument import Instrument
from bot.domain.scan.service import ScanService
from bot.domain.search.engine import SearchEngine
from bot.domain.search.glossary import Glossary
from bot.domain.search.search_log import SearchLog
from bot.domain.setup import SetupService
from bot.domain.skills import SkillsServices
from bot.domain.skills.catalog import SkillCatalog
from bot.domain.skills.expiry import ExpiryService
from bot.domain.skills.listings import ListingsService
from bot.domain.skills.profiles import ProfileService
from bot.domain.skills.taxonomy import Taxonomy
from bot.domain.stats import StatsService
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
    maintenance: MaintenanceService
    jobs: JobService
    job_runner: JobRunner
    skills: SkillsServices
    match: MatchServices
    routing: RoutingServices
    scan: ScanService
    digest: DigestService
    collab: CollabService
    stats: StatsService
    gaps: GapService
    moderation: ModerationService


def build_services(
    db: Database,
    clock: Clock,
    glossary: Glossary | None = None,
    retention: Retention | None = None,
    *,
    default_locale: str = "nl",
) -> Services:
    """Wire repositories into services. Called once, from the composition root (and by tests).

    Services register the durable jobs they handle themselves; cogs register the ones that need Discord.
    """
    retention = retention or Retention()
    jobs_repo = JobsRepo(db)
    job_runner = JobRunner(db, jobs_repo, clock, new_worker_id())
    jobs = JobService(db, jobs_repo, clock, job_runner.policies)
    guild_settings = GuildSettingsService(db, GuildSettingsRepo(db), clock)
    knowledge_repo, members_repo = KnowledgeRepo(db), MembersRepo(db)
    search_log = SearchLog(db, knowledge_repo)  # /ask logs through it; the composition root runs and flushes it
    glossary = glossary or Glossary.load()
    search = SearchEngine(db, knowledge_repo, clock, glossary, log_searches=False, jobs=jobs, search_log=search_log)
    search.register_jobs(job_runner)
    audit_repo = AuditRepo(db)
    gaps = GapService(db, GapsRepo(db), search, glossary, clock, audit_repo, jobs)  # re-checks after index writes
    gaps.register_jobs(job_runner)
    qa = QAService(db, QaRepo(db), search, clock, audit_repo, gaps=gaps)
    members = MembersService(db, members_repo, clock)
    audit = AuditService(audit_repo)
    library = LibraryService(db, ResourcesRepo(db), members, search, clock, jobs)
    guild_settings.on_change(library.settings_changed)
    system = SystemService(db, BotStateRepo(db), guild_settings, clock, __version__)
    setup = SetupService(db, SetupRepo(db), guild_settings, clock, jobs, retention)
    setup.register_jobs(job_runner)
    cleanup = RetentionService(db, knowledge_repo, members_repo, jobs, setup, clock, retention, gaps=gaps)
    cleanup.register_jobs(job_runner)
    skills, match = _build_skills(db, clock, guild_settings, members, jobs, job_runner)
    routing = _build_routing(db, clock, qa, skills, match, guild_settings, members, jobs, job_runner)
    routing.flow.on_started(gaps.routing_started)  # a routed question is an escalated knowledge gap
    digest = DigestService(
        db,
        DigestRepo(db),
        guild_settings=guild_settings,
        jobs=jobs,
        clock=clock,
        catalog=skills.catalog,
        skills=SkillsRepo(db),
        audit=audit_repo,
        default_locale=default_locale,
    )
    digest.register_jobs(job_runner)
    guild_settings.on_change(digest.settings_changed)
    scan = ScanService(db, ScanRepo(db), Instrument.load(), skills.profiles, library, skills.listings, clock)
    collab = CollabService(
        db, CollabRepo(db), guild_settings=guild_settings, members=members, jobs=jobs, audit=audit_repo, clock=clock
    )
    collab.register_jobs(job_runner)
    digest.add_source("collab", collab)
    moderation = ModerationService(
        db,
        ModerationRepo(db),
        guild_settings=guild_settings,
        jobs=jobs,
        audit=audit_repo,
        clock=clock,
        keep_closed_reports=retention.closed_reports,
    )
    moderation.register_jobs(job_runner)
    guild_settings.on_change(moderation.settings_changed)
    moderation.add_weekly_source("gaps", gaps)  # the heaviest open knowledge gaps in the moderators' weekly post
    return Services(
        guild_settings=guild_settings,
        search=search,
        qa=qa,
        library=library,
        audit=audit,
        members=members,
        privacy=PrivacyService(
            db,
            clock,
            (
                library,
                qa,
                audit,
                members,
                skills.profiles,
                skills.listings,
                match.requests,
                routing.flow,
                scan,
                digest,
                jobs,
                collab,
                search,
                gaps,
                moderation,
            ),
        ),
        setup=setup,
        system=system,
        jobs=jobs,
        job_runner=job_runner,
        maintenance=MaintenanceService(db, MaintenanceRepo(db), search, (library, qa)),
        skills=skills,
        match=match,
        routing=routing,
        scan=scan,
        digest=digest,
        collab=collab,
        stats=StatsService(
            db, StatsRepo(), clock, flush_searches=search.flush_log, search_log_days=retention.search_log_days
        ),
        gaps=gaps,
        moderation=moderation,
    )


def _build_skills(
    db: Database,
    clock: Clock,
    guild_settings: GuildSettingsService,
    members: MembersService,
    jobs: JobService,
    job_runner: JobRunner,
) -> tuple[SkillsServices, MatchServices]:
    """The skills theme and the introductions that build on it.

    Profiles, the taxonomy with each server's own skills, offers and needs and their expiry; then requests for a
    match, their follow-up, blocks and figures.
    """
    repo = SkillsRepo(db)
    profiles_repo = ProfilesRepo(db)
    profiles = ProfileService(db, profiles_repo, clock)
    catalog = SkillCatalog(db, repo, clock, Taxonomy.load())
    expiry = ExpiryService(db, repo, catalog, guild_settings, members, jobs, clock)
    expiry.register_jobs(job_runner)
    intro_repo = IntroductionsRepo(db)
    requests = IntroductionService(db, intro_repo, repo, profiles_repo, catalog, guild_settings, members, jobs, clock)
    requests.register_jobs(job_runner)
    match = MatchServices(
        requests=requests,
        followup=FollowUpService(db, intro_repo, repo, catalog, guild_settings, members, jobs, clock),
        people=PeopleService(db, intro_repo, repo, clock),
    )
    figures = match.people.figures
    listings = ListingsService(db, repo, catalog, profiles, expiry, guild_settings, clock, figures=figures)
    return SkillsServices(profiles=profiles, catalog=catalog, listings=listings, expiry=expiry), match


def _build_routing(
    db: Database,
    clock: Clock,
    qa: QAService,
    skills: SkillsServices,
    match: MatchServices,
    guild_settings: GuildSettingsService,
    members: MembersService,
    jobs: JobService,
    job_runner: JobRunner,
) -> RoutingServices:
    """Routing unanswered help posts to members whose offers fit, and the coaches to fall back on."""
    repo = RoutingRepo(db)
    coaches = CoachService(db, CoachesRepo(db), clock, CoachTable.load())
    flow = RoutingService(
        db,
        repo,
        qa=qa,
        profiles=skills.profiles,
        catalog=skills.catalog,
        guild_settings=guild_settings,
        jobs=jobs,
        clock=clock,
        commitments=match.requests,  # open introductions count against capacity; blocks exclude
        activity=members,  # members who went quiet are never asked
    )
    flow.register_jobs(job_runner)
    qa.on_post_opened(flow.post_opened)
    guild_settings.on_change(flow.settings_changed)
    deliveries = RoutingDeliveries(
        db, repo, qa=qa, members=members, profiles=skills.profiles, coaches=coaches, clock=clock
    )
    return RoutingServices(flow=flow, deliveries=deliveries, coaches=coaches)
