"""The skills taxonomy: groups and skills with Dutch and English labels, and fuzzy lookup in either language.

The built-in taxonomy is ``bot/data/skills.toml`` (read with :mod:`importlib.resources`); a server's
moderators can add skills of their own (``custom-…`` keys, stored per server). Lookup is pure: a typed
fragment is scored against every label (the member's language first, the other language and the named
standards a little lower), prefix before substring before typo-tolerant, using the search engine's
:func:`~bot.domain.search.analysis.fold`. :func:`Taxonomy.resolve` maps free text to the nearest skill only
when it is close; otherwise the member's own words are kept.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from bot.domain.search.analysis import fold
from bot.domain.search.typo import distance

log = logging.getLogger(__name__)

DEFAULT_TAXONOMY_PATH: Traversable = files("bot") / "data" / "skills.toml"
CUSTOM_PREFIX = "custom-"
"""Keys of skills a server's moderators added start with this; built-in ids never do."""
RESOLVE_FLOOR = 0.85
"""Free text is taken for a taxonomy skill only when it scores at least this (else it stays free text)."""
MIN_RESOLVE_LENGTH = 4
TYPO_SCORE = 0.86
"""Every typed word is a label word with a small typo: close enough to resolve free text."""
MIN_TYPO = 5
LONG_TYPO = 8
OTHER_LANGUAGE = 0.95
"""Weight of a match on the label in the other language, or on a named standard."""
_WORD = re.compile(r"[a-z0-9]+")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """One group of the taxonomy (e.g. digitisation), with its labels."""

    id: str
    nl: str
    en: str

    def label(self, locale: str) -> str:
        """The label in ``locale`` (``nl`` or ``en``)."""
        return self.nl if locale == "nl" else self.en


@dataclass(frozen=True, slots=True)
class Skill:
    """One skill: a stable key, its group and labels; ``refs`` name standards it covers (for lookup)."""

    key: str
    group: str
    nl: str
    en: str
    refs: tuple[str, ...] = ()
    custom: bool = False

    def label(self, locale: str) -> str:
        """The label in ``locale`` (``nl`` or ``en``)."""
        return self.nl if locale == "nl" else self.en


def slug(text: str) -> str:
    """A lower-case ASCII key made of ``a-z0-9`` and hyphens."""
    return _SLUG.sub("-", fold(text)).strip("-")[:40]


def custom_key(label: str) -> str:
    """The key of a skill a server adds, from its label (``custom-…``)."""
    return CUSTOM_PREFIX + (slug(label) or "skill")


def label_score(needle: str, label: str) -> float:
    """How well a folded fragment matches one label (0..1): prefix > word prefix > substring > typo-tolerant."""
    hay = fold(label)
    if not needle:
        return 0.5
    if hay.startswith(needle):
        return 1.0
    words = _WORD.findall(hay)
    if any(w.startswith(needle) for w in words):
        return 0.95
    if needle in hay:
        return 0.9
    parts = _WORD.findall(needle)
    if not parts or not words:
        return 0.0
    if len(parts) > 1 and all(any(w.startswith(p) for w in words) for p in parts):
        return 0.88
    if all(any(_typo(p, w) for w in words) for p in parts):
        return TYPO_SCORE
    best = [max(difflib.SequenceMatcher(None, p, w[: len(p) + 2]).ratio() for w in words) for p in parts]
    ratio = max(sum(best) / len(best), difflib.SequenceMatcher(None, needle, hay[: len(needle) + 3]).ratio())
    return 0.8 * ratio if ratio >= 0.75 else 0.0


def _typo(part: str, word: str) -> bool:
    """Whether a typed word is a label word (or its start) with a typo: one edit from 5 letters, two from 8."""
    if word.startswith(part):
        return True
    allowed = 2 if len(part) >= LONG_TYPO else 1 if len(part) >= MIN_TYPO else 0
    if not allowed:
        return False
    return min(distance(part, word, allowed), distance(part, word[: len(part)], allowed)) <= allowed


def skill_score(needle: str, skill: Skill, locale: str) -> float:
    """The best score of a fragment against a skill's labels (own language first) and named standards."""
    own, other = (skill.nl, skill.en) if locale == "nl" else (skill.en, skill.nl)
    best = label_score(needle, own)
    if best < 1.0:
        best = max(best, OTHER_LANGUAGE * label_score(needle, other))
        for ref in skill.refs:
            best = max(best, OTHER_LANGUAGE * label_score(needle, ref))
    return best


class Taxonomy:
    """The built-in groups and skills, with lookups by key and fuzzy search (server skills passed in)."""

    def __init__(self, groups: Sequence[SkillGroup], skills: Sequence[Skill]) -> None:
        self.groups: tuple[SkillGroup, ...] = tuple(groups)
        self.skills: tuple[Skill, ...] = tuple(skills)
        self._groups = {g.id: g for g in self.groups}
        self._skills = {s.key: s for s in self.skills}

    @classmethod
    def load(cls, path: Traversable = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
        """Read the taxonomy TOML (default: the built-in one); a :class:`~pathlib.Path` works too."""
        taxonomy = cls.from_data(tomllib.loads(path.read_text(encoding="utf-8")))
        log.info("Loaded %d skills in %d groups", len(taxonomy.skills), len(taxonomy.groups))
        return taxonomy

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Taxonomy:
        """Build from parsed TOML; raises ValueError on a duplicate or malformed id."""
        groups: list[SkillGroup] = []
        skills: list[Skill] = []
        for entry in data.get("group", []):
            group = SkillGroup(str(entry["id"]), str(entry["nl"]), str(entry["en"]))
            groups.append(group)
            for item in entry.get("skill", []):
                refs = tuple(str(r) for r in item.get("refs", []))
                skills.append(Skill(str(item["id"]), group.id, str(item["nl"]), str(item["en"]), refs))
        keys = [g.id for g in groups] + [s.key for s in skills]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate id in the skills taxonomy")
        bad = [k for k in keys if k.startswith(CUSTOM_PREFIX) or slug(k) != k]
        if bad:
            raise ValueError(f"malformed ids in the skills taxonomy: {bad}")
        return cls(groups, skills)

    def group(self, group_id: str) -> SkillGroup | None:
        """A group by id, or None."""
        return self._groups.get(group_id)

    def skill(self, key: str, extra: Iterable[Skill] = ()) -> Skill | None:
        """A built-in skill, or one of ``extra`` (a server's own), by key; or None."""
        found = self._skills.get(key)
        if found is None:
            found = next((s for s in extra if s.key == key), None)
        return found

    def all(self, extra: Iterable[Skill] = ()) -> list[Skill]:
        """Every built-in skill followed by ``extra``."""
        return [*self.skills, *extra]

    def suggest(self, text: str, locale: str, extra: Iterable[Skill] = (), limit: int = 25) -> list[Skill]:
        """The skills that best match a typed fragment, best first (all of them, by group, when empty)."""
        candidates = self.all(extra)
        needle = fold(text.strip())
        if not needle:
            return candidates[:limit]
        scored = [(skill_score(needle, s, locale), i, s) for i, s in enumerate(candidates)]
        ranked = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1]))
        return [s for _, _, s in ranked[:limit]]

    def resolve(self, text: str, extra: Iterable[Skill] = ()) -> Skill | None:
        """The taxonomy skill a member's text names (its key, or a close label in either language), or None.

        None also when the text fits several skills equally well: the member's words are kept then.
        """
        wanted = text.strip()
        found = self.skill(wanted, extra)
        if found is not None:
            return found
        needle = fold(wanted)
        if len(needle) < MIN_RESOLVE_LENGTH:
            return None
        scored = [(max(skill_score(needle, s, "nl"), skill_score(needle, s, "en")), s) for s in self.all(extra)]
        top = max((score for score, _ in scored), default=0.0)
        winners = [s for score, s in scored if score == top]
        if top < RESOLVE_FLOOR or len(winners) != 1:  # not close, or it could be several skills
            return None
        return winners[0]
