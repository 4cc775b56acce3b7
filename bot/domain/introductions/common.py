"""What the introduction services share: the job kinds, their dedupe keys, and telling a member something."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.clock import from_iso

if TYPE_CHECKING:
    from bot.db.database import Transaction
    from bot.domain.guild_settings import GuildSettingsService
    from bot.domain.jobs import JobService
    from bot.domain.members import MembersService
    from bot.domain.skills.catalog import SkillCatalog
    from bot.domain.skills.models import Listing

ASK_JOB = "match.ask"
"""Brings a request to the offerer: a DM with Accept/Decline if they opted in, else a notice (the match cog)."""
EXPIRE_JOB = "match.expire"
"""Ends an ask nobody answered within three days and asks the next candidate (the introductions service)."""
OPEN_JOB = "match.open"
"""Introduces an accepted pair: a private thread with both, or each other's mention by DM or notice (the cog)."""
NUDGE_JOB = "match.nudge"
"""48 hours after the introduction: one nudge in the thread if nobody wrote there yet (the cog)."""
CHECKIN_JOB = "match.checkin"
"""After the server's checkin_days: asks both "did it help?" (the cog)."""
TELL_JOB = "match.tell"
"""Sends a member's waiting notices by DM if they opted in (the cog); otherwise they wait for the next command."""


def job_key(kind: str, introduction_id: int) -> str:
    """The dedupe key of one introduction's job of one kind (each runs at most once per introduction)."""
    return f"{kind}:{introduction_id}"


def payload(introduction_id: int) -> dict[str, Any]:
    """A job's payload: the introduction's id only (handlers read its current state, so late runs do nothing)."""
    return {"introduction_id": introduction_id}


async def tell(
    tx: Transaction,
    members: MembersService,
    jobs: JobService,
    guild_id: int,
    user_id: int,
    key: str,
    params: dict[str, Any],
) -> None:
    """Leave the member a notice (shown on their next command) and a job that DMs it if they opted in."""
    await members.add_notice(tx, guild_id, user_id, key, params)
    await jobs.enqueue(
        tx, TELL_JOB, {"user_id": user_id}, dedupe_key=f"{TELL_JOB}:{guild_id}:{user_id}", guild_id=guild_id
    )


async def skill_params(
    tx: Transaction | None,
    catalog: SkillCatalog,
    settings: GuildSettingsService,
    need: Listing | None,
    guild_id: int,
) -> dict[str, Any]:
    """What a notice about a need shows: its number and its skill, in the server's language."""
    if need is None:
        return {"id": "?", "skill": "?"}
    locale = (await settings.get(guild_id)).locale or "nl"
    skill = await catalog.skill(guild_id, need.skill, tx)
    label = skill.label(locale) if skill is not None else (need.skill_text or "")
    return {"id": need.id, "skill": label}


def epoch(iso: str) -> int:
    """A stored moment as Unix seconds (for ``<t:…>`` in notices)."""
    return int(from_iso(iso).timestamp())
