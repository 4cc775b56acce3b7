"""Provincial digital-heritage coaches: the human fallback when no member can take a question.

The built-in table is ``bot/data/coaches.toml`` (domain.md section H): a host organisation for the provinces
whose coach was verified, and the national page as the default for every other province. A server's
moderators set their own contact per province (or change the default) in ``/setup coach``; clearing it
restores the built-in one. Every change is in the audit log.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Final

from bot.clock import Clock
from bot.domain.resources import normalise_url
from bot.domain.routing.models import Coach
from bot.domain.skills.models import REGIONS
from bot.errors import Invalid

if TYPE_CHECKING:
    from bot.db.database import UnitOfWork
    from bot.db.repos.coaches import CoachesRepo

DEFAULT_COACHES_PATH: Traversable = files("bot") / "data" / "coaches.toml"
DEFAULT: Final = "default"
"""The entry for provinces without a contact of their own (and for members who named no province)."""
PROVINCES: Final[tuple[str, ...]] = (*(r for r in REGIONS if r != "other"), DEFAULT)
"""What /setup coach can set: every region of a profile but "elsewhere", and the default."""
NAME_MAX: Final = 100


@dataclass(frozen=True, slots=True)
class CoachTable:
    """The built-in coaches: a host per verified province, and the default."""

    default: Coach
    known: Mapping[str, Coach]

    @classmethod
    def load(cls, path: Traversable = DEFAULT_COACHES_PATH) -> CoachTable:
        """Read the TOML table (default: the built-in one)."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        default = Coach(DEFAULT, str(data["default"]["name"]), str(data["default"]["url"]), "default")
        known = {
            str(e["province"]): Coach(str(e["province"]), str(e["host"]), str(e["source"]), "built-in")
            for e in data.get("known", [])
        }
        unknown = sorted(set(known) - set(PROVINCES))
        if unknown:
            raise ValueError(f"unknown provinces in the coaches table: {unknown}")
        return cls(default, known)

    def built_in(self, province: str) -> Coach:
        """The built-in entry of a province: its verified host, or the default (under the province's id)."""
        if province == DEFAULT:
            return self.default
        found = self.known.get(province)
        return found if found is not None else Coach(province, self.default.name, self.default.url, "default")


def check_province(province: str) -> str:
    """A province /setup coach may set, or Invalid."""
    if province not in PROVINCES:
        raise Invalid("routing.coach.unknown_province")
    return province


def clean_coach(name: str, url: str) -> tuple[str, str]:
    """A contact's name (one line, 1-100 characters) and its web address, normalised (public http(s) only)."""
    text = " ".join(name.split())
    if not text or len(text) > NAME_MAX:
        raise Invalid("routing.coach.bad_name", limit=NAME_MAX)
    return text, normalise_url(url)[0]


class CoachService:
    """Each server's coach per province: built-in, or set by its moderators."""

    def __init__(self, uow: UnitOfWork, repo: CoachesRepo, clock: Clock, table: CoachTable) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock
        self.table = table

    async def all(self, guild_id: int) -> list[Coach]:
        """Every province's coach as this server shows it, in the order of the profile's regions, default last."""
        own = await self._repo.coaches(guild_id)
        return [own.get(p) or self.table.built_in(p) for p in PROVINCES]

    async def for_region(self, guild_id: int, region: str | None) -> Coach:
        """The coach for a member's province: the server's own, else built-in; the default for no or another region."""
        own = await self._repo.coaches(guild_id)
        if region in PROVINCES and region != DEFAULT:
            assert region is not None
            found = own.get(region)
            if found is not None:
                return found
            if region in self.table.known:
                return self.table.known[region]
        return own.get(DEFAULT) or self.table.default

    async def set(self, guild_id: int, moderator_id: int, province: str, name: str | None, url: str | None) -> Coach:
        """Set a province's contact (both name and url), or restore the built-in one (neither); audited."""
        check_province(province)
        if (name is None) != (url is None):
            raise Invalid("routing.coach.both_or_neither")
        coach = None if name is None or url is None else Coach(province, *clean_coach(name, url), "server")
        async with self._uow.transaction() as tx:
            before = (await self._repo.coaches(guild_id, tx)).get(province)
            if coach is None:
                await self._repo.reset_coach(tx, guild_id, province, before, moderator_id, self._clock.now())
            else:
                await self._repo.save_coach(tx, guild_id, coach, before, moderator_id, self._clock.now())
        return coach or self.table.built_in(province)
