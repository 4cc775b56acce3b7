"""Shared fixtures: a real temporary SQLite database with the real migrations, a frozen clock, services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bot.clock import FixedClock
from bot.db.database import Database
from bot.db.migrate import apply_migrations
from bot.i18n import I18n
from bot.services import Services, build_services

pytest_plugins = ["tests.fakediscord.plugin"]

REPO_ROOT = Path(__file__).resolve().parent.parent

# Profiles of the property-based fuzzing through the fake Discord (tests/e2e/test_fuzz.py), applied per run there
# and never loaded globally; STEUNPUNT_FUZZ_PROFILE=long selects the long one. Examples are per fuzzed target.
_FUZZ_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
hypothesis_settings.register_profile(
    "fuzz-default", max_examples=10, deadline=None, derandomize=True, database=None, suppress_health_check=_FUZZ_HEALTH
)
hypothesis_settings.register_profile(
    "fuzz-long", max_examples=200, deadline=None, database=None, print_blob=True, suppress_health_check=_FUZZ_HEALTH
)


@pytest.fixture
def clock() -> FixedClock:
    """A clock frozen at a Monday morning in November 2026."""
    return FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database file with every migration applied."""
    async with Database.open(tmp_path / "steunpunt.sqlite3") as database:
        await apply_migrations(database)
        yield database


@pytest.fixture
def services(db: Database, clock: FixedClock) -> Services:
    """The real services on the temporary database."""
    return build_services(db, clock)


@pytest.fixture(scope="session")
def i18n() -> I18n:
    """The real catalogues."""
    return I18n.load("nl")
