"""One server's skills: the built-in taxonomy plus the skills its moderators added; lookup and labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.domain.search.analysis import fold
from bot.domain.skills.models import LABEL_MAX
from bot.domain.skills.taxonomy import Skill, SkillGroup, Taxonomy, custom_key, skill_score
from bot.errors import Conflict, Invalid

if TYPE_CHECKING:
    from bot.db.database import Reader, UnitOfWork
    from bot.db.repos.skills import SkillsRepo

NEAR_FLOOR = 0.9
"""A label must contain the searched words (or start with them) for its skill to count as related."""
MIN_NEAR = 3
FREE = "free"
"""The pseudo-group of skills outside the taxonomy (members' own words), in the moderators' figures."""


def clean_label(text: str, field: str) -> str:
    """A skill label: one line, not empty, at most :data:`LABEL_MAX` characters."""
    value = " ".join(text.split())
    if not value:
        raise Invalid("skills.invalid.empty", field_key=f"skills.field.{field}")
    if len(value) > LABEL_MAX:
        raise Invalid("skills.invalid.too_long", field_key=f"skills.field.{field}", limit=LABEL_MAX)
    return value


class SkillCatalog:
    """The taxonomy as one server sees it (built-in skills and its own), with fuzzy lookup in nl and en."""

    def __init__(self, uow: UnitOfWork, repo: SkillsRepo, clock: Clock, taxonomy: Taxonomy) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock
        self.taxonomy = taxonomy

    @property
    def groups(self) -> tuple[SkillGroup, ...]:
        """The taxonomy's groups, in order."""
        return self.taxonomy.groups

    async def server_skills(self, guild_id: int, tx: Reader | None = None) -> list[Skill]:
        """The skills this server's moderators added."""
        return await self._repo.custom_skills(guild_id, tx)

    async def skill(self, guild_id: int, key: str | None, tx: Reader | None = None) -> Skill | None:
        """A skill of this server (built-in or its own) by key, or None."""
        if key is None:
            return None
        found = self.taxonomy.skill(key)
        if found is None:
            found = self.taxonomy.skill(key, await self.server_skills(guild_id, tx))
        return found

    async def labels(self, guild_id: int, locale: str) -> dict[str, str]:
        """Every skill key of this server with its label in ``locale``."""
        return {s.key: s.label(locale) for s in self.taxonomy.all(await self.server_skills(guild_id))}

    async def group_of(self, guild_id: int, key: str | None) -> str:
        """The group id of a skill, or :data:`FREE` for members' own words and unknown keys."""
        found = await self.skill(guild_id, key)
        return found.group if found is not None else FREE

    async def suggest(self, guild_id: int, text: str, locale: str, limit: int = 25) -> list[Skill]:
        """Autocomplete: the skills that best match what was typed, in the member's language first."""
        return self.taxonomy.suggest(text[:100], locale, await self.server_skills(guild_id), limit)

    async def resolve(self, guild_id: int, text: str, tx: Reader | None = None) -> Skill | None:
        """The skill a member's text names (a key picked from autocomplete, or a close label), or None."""
        return self.taxonomy.resolve(text[:100], await self.server_skills(guild_id, tx))

    async def near(self, guild_id: int, text: str, limit: int = 10) -> list[Skill]:
        """Skills whose label (in either language) contains the text or starts with it: related to a search."""
        needle = fold(text.strip()[:100])
        if len(needle) < MIN_NEAR:
            return []
        skills = self.taxonomy.all(await self.server_skills(guild_id))
        scored = [(max(skill_score(needle, s, "nl"), skill_score(needle, s, "en")), s) for s in skills]
        return [s for score, s in sorted(scored, key=lambda x: -x[0]) if score >= NEAR_FLOOR][:limit]

    async def add_skill(self, guild_id: int, moderator_id: int, group: str, label_nl: str, label_en: str) -> Skill:
        """A moderator adds a skill to this server's taxonomy (audited); Conflict if it exists already."""
        if self.taxonomy.group(group) is None:
            raise Invalid("skills.add_skill.unknown_group")
        nl = clean_label(label_nl, "label_nl")
        en = clean_label(label_en or label_nl, "label_en")
        skill = Skill(custom_key(en), group, nl, en, custom=True)
        async with self._uow.transaction() as tx:
            for existing in self.taxonomy.all(await self.server_skills(guild_id, tx)):
                if fold(existing.nl) == fold(nl) or fold(existing.en) == fold(en) or existing.key == skill.key:
                    raise Conflict("skills.add_skill.exists", label=existing.en)
            await self._repo.add_custom(tx, guild_id, skill, moderator_id, self._clock.now())
        return skill
