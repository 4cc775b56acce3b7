"""Member profiles: who a member is and which organisation they speak for, and what they opted into.

Every field is optional and both opt-ins (``visible``: others may see my offers and profile; ``askable``: I may
be asked to help with open questions) are off until the member switches them on.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from bot.clock import Clock
from bot.domain.search.analysis import fold
from bot.domain.skills.models import (
    LANGUAGES,
    MAX_LANGUAGES,
    ORG_SIZES,
    ORG_TYPES,
    ORGANISATION_MAX,
    REGIONS,
    Profile,
    ProfileChanges,
)
from bot.errors import Forbidden, Invalid

if TYPE_CHECKING:
    from bot.db.database import Transaction, UnitOfWork
    from bot.db.repos.profiles import ProfilesRepo

LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "nl": ("nederlands", "dutch", "vlaams", "flemish"),
    "en": ("engels", "english"),
    "fy": ("fries", "frysk", "frisian", "west frisian"),
    "pap": ("papiaments", "papiamento", "papiamentu"),
    "de": ("duits", "german", "deutsch"),
    "fr": ("frans", "french", "francais"),
    "es": ("spaans", "spanish", "espanol"),
    "it": ("italiaans", "italian", "italiano"),
    "pt": ("portugees", "portuguese", "portugues"),
    "pl": ("pools", "polish", "polski"),
    "tr": ("turks", "turkish", "turkce"),
    "ar": ("arabisch", "arabic"),
    "zh": ("chinees", "chinese"),
    "uk": ("oekraiens", "ukrainian"),
}
"""Names a member may type for a language (folded), besides its code."""
_SEPARATORS = re.compile(r"[,;/+&]|\s+(?:en|and)\s+")
CLEAR = "-"
"""Typed for a text field of /profile set, it clears the field."""


def parse_languages(text: str) -> tuple[str, ...]:
    """Language codes from what a member typed (``nl, en`` / ``Nederlands en Engels``); Invalid for unknown ones."""
    if text.strip() == CLEAR:
        return ()
    found: list[str] = []
    unknown: list[str] = []
    for part in _SEPARATORS.split(fold(text)):
        word = part.strip()
        if not word:
            continue
        code = word if word in LANGUAGES else next((c for c, names in LANGUAGE_NAMES.items() if word in names), None)
        if code is None:
            unknown.append(word[:20])
        elif code not in found:
            found.append(code)
    if unknown:
        raise Invalid("skills.profile.unknown_language", names=", ".join(unknown[:5]), codes=", ".join(LANGUAGES))
    if len(found) > MAX_LANGUAGES:
        raise Invalid("skills.profile.too_many_languages", limit=MAX_LANGUAGES)
    return tuple(found)


def apply_changes(profile: Profile, changes: ProfileChanges) -> Profile:
    """The profile with the changes applied and validated (None: unchanged; ``"-"`` or empty clears a text)."""
    updates: dict[str, Any] = {}
    if changes.organisation is not None:
        text = " ".join(changes.organisation.split())
        if len(text) > ORGANISATION_MAX:
            raise Invalid("skills.invalid.too_long", field_key="skills.field.organisation", limit=ORGANISATION_MAX)
        updates["organisation"] = None if text in ("", CLEAR) else text
    for name, allowed in (("org_type", ORG_TYPES), ("org_size", ORG_SIZES), ("region", REGIONS)):
        value = getattr(changes, name)
        if value is not None:
            if value not in allowed:
                raise Invalid("skills.invalid.choice", field_key=f"skills.field.{name}")
            updates[name] = value
    if changes.languages is not None:
        bad = [code for code in changes.languages if code not in LANGUAGES]
        if bad or len(changes.languages) > MAX_LANGUAGES:
            raise Invalid("skills.invalid.choice", field_key="skills.field.languages")
        updates["languages"] = tuple(dict.fromkeys(changes.languages))
    if changes.visible is not None:
        updates["visible"] = changes.visible
    if changes.askable is not None:
        updates["askable"] = changes.askable
    return replace(profile, **updates)


class ProfileService:
    """Reads and changes member profiles; shows another member's profile only if they made it visible."""

    member_columns: ClassVar[tuple[str, ...]] = ("member_profiles.user_id",)

    def __init__(self, uow: UnitOfWork, repo: ProfilesRepo, clock: Clock) -> None:
        self._uow = uow
        self._repo = repo
        self._clock = clock

    async def get(self, guild_id: int, user_id: int) -> Profile:
        """The member's profile (an empty one, opt-ins off, if they never set it)."""
        found = await self._repo.get(guild_id, user_id)
        return found or Profile(guild_id, user_id)

    async def many(self, guild_id: int, user_ids: list[int]) -> dict[int, Profile]:
        """Several members' profiles by id (members without one are absent)."""
        return await self._repo.many(guild_id, user_ids) if user_ids else {}

    async def update(self, guild_id: int, user_id: int, changes: ProfileChanges) -> Profile:
        """Change some fields of the member's own profile (validated; one transaction; nothing given: no write)."""
        if changes == ProfileChanges():
            return await self.get(guild_id, user_id)
        async with self._uow.transaction() as tx:
            current = await self._repo.get(guild_id, user_id, tx) or Profile(guild_id, user_id)
            updated = apply_changes(current, changes)
            await self._repo.save(tx, updated, self._clock.now())
        return updated

    async def show(self, guild_id: int, viewer_id: int, member_id: int) -> Profile:
        """A profile as ``viewer_id`` may see it: their own always, another's only if that member made it visible."""
        if member_id == viewer_id:
            return await self.get(guild_id, viewer_id)
        found = await self._repo.get(guild_id, member_id)
        if found is None or not found.visible:
            raise Forbidden("skills.profile.hidden")  # the same answer whether or not there is a profile
        return found

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's profile in this server."""
        return {"skill_profile": await self._repo.export_member(guild_id, user_id)}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's profile."""
        return await self._repo.forget_member(tx, guild_id, user_id)
