"""Rendering for introductions: the suggestions with why, the ask, the inbox, the thread's messages, check-ins.

Nobody is named before both agreed: suggestions and asks describe the offer and the need, never the member.
Skill labels of the taxonomy are ours; members' own words and notes are escaped. Dates are Discord timestamps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.clock import from_iso
from bot.domain.introductions.models import Inbox, Introduction, Requested
from bot.domain.matching import Offer, Reason, line_reasons
from bot.domain.skills.models import Listing
from bot.i18n import I18n
from bot.render.common import Colours, add_field_within_limits, content_builder, embed_builder, safe, truncate
from bot.render.skills import choice_key, skill_label

NOTE_SHOWN = 200
_CHOICE_OF_REASON: Mapping[str, str] = {
    "level": "level",
    "language": "language",
    "region": "region",
    "format": "format",
    "same_org_type": "org_type",
}


def when(iso: str, style: str = "R") -> str:
    """A stored moment as a Discord timestamp (``R``: relative, ``f``: date and time)."""
    return f"<t:{int(from_iso(iso).timestamp())}:{style}>"


def need_label(need: Listing | None, labels: Mapping[str, str], i18n: I18n, locale: str) -> str:
    """A need's skill in the reader's language (``#id`` style when the need is gone)."""
    return skill_label(need, labels) if need is not None else i18n.t("match.need_gone", locale)


def reason_text(reason: Reason, groups: Mapping[str, str], i18n: I18n, locale: str) -> str:
    """One reason of a suggestion as a short phrase (``same skill``, ``speaks Dutch``)."""
    code, *params = reason
    t = i18n.t
    if code == "same_group":
        return t("match.why.same_group", locale, group=safe(groups.get(str(params[0]), str(params[0]))))
    if code == "mentor_larger_org":
        return t("match.why.mentor_larger_org", locale, size=t(choice_key("org_size", str(params[0])), locale))
    if code == "helped_before":
        return t("match.why.helped_before", locale, count=params[0])
    if code in _CHOICE_OF_REASON:
        value = t(choice_key(_CHOICE_OF_REASON[code], str(params[0])), locale)
        return t(f"match.why.{code}", locale, value=value)
    return t(f"match.why.{code}", locale)


def why_line(reasons: Sequence[Reason], groups: Mapping[str, str], i18n: I18n, locale: str) -> str:
    """The one "why this match" line: how the skills relate, then the strongest other reasons."""
    return " · ".join(reason_text(r, groups, i18n, locale) for r in reasons[:3])


def _offer_heading(offer: Offer, labels: Mapping[str, str], i18n: I18n, locale: str) -> str:
    t = i18n.t
    if offer.skill_id is not None:
        skill = safe(truncate(labels.get(offer.skill_id, offer.skill_id), 100))
    else:
        skill = "“" + safe(truncate(offer.free_text or "", 100)) + "”"
    parts = [skill, t(choice_key("level", offer.level), locale)]
    parts += [t(choice_key("format", f), locale) for f in sorted(offer.formats)]
    if offer.mentor:
        parts.append(t("skills.mine.mentor", locale))
    return " · ".join(parts)


@embed_builder
def requested_embed(
    requested: Requested, labels: Mapping[str, str], groups: Mapping[str, str], i18n: I18n, locale: str
) -> discord.Embed:
    """The answer to /match request: the best matches (unnamed), each with why, and that the best was asked."""
    t = i18n.t
    skill = need_label(requested.need, labels, i18n, locale)
    embed = discord.Embed(
        title=t("match.request.title", locale, skill=skill),
        description=t("match.request.asked", locale, when=when(requested.asked.answer_due)),
        colour=Colours.brand,
    )
    for rank, suggestion in enumerate(requested.suggestions, start=1):
        name = f"{rank}. " + _offer_heading(suggestion.offer, labels, i18n, locale)
        value = t("match.request.why", locale, why=why_line(line_reasons(suggestion), groups, i18n, locale))
        add_field_within_limits(embed, name, value)
    embed.set_footer(text=t("match.request.footer", locale))
    return embed


@content_builder
def ask_text(
    intro: Introduction,
    need: Listing,
    skill: str,
    server: str,
    groups: Mapping[str, str],
    i18n: I18n,
    locale: str,
) -> str:
    """The DM that asks an offerer to accept or decline (sent with the buttons); the requester is not named."""
    t = i18n.t
    lines = [
        t("match.ask.text", locale, server=safe(truncate(server, 100)), skill=skill, when=when(intro.answer_due)),
        t("match.ask.details", locale, urgency=t(choice_key("urgency", need.urgency or "normal"), locale)),
        t("match.ask.why", locale, why=why_line(intro.reasons, groups, i18n, locale)),
    ]
    if need.note:
        lines.append("> " + safe(truncate(need.note, NOTE_SHOWN)))
    lines.append(t("match.ask.privacy", locale))
    return "\n".join(lines)


def _ask_line(intro: Introduction, need: Listing | None, labels: Mapping[str, str], i18n: I18n, locale: str) -> str:
    t = i18n.t
    line = t("match.inbox.ask_line", locale, id=intro.id, skill=need_label(need, labels, i18n, locale))
    line += " · " + t("match.inbox.answer_due", locale, when=when(intro.answer_due))
    if need is not None and need.note:
        line += "\n> " + safe(truncate(need.note, NOTE_SHOWN))
    return line


@embed_builder
def inbox_embed(
    inbox: Inbox, user_id: int, labels: Mapping[str, str], groups: Mapping[str, str], i18n: I18n, locale: str
) -> discord.Embed:
    """/match inbox: asks to answer, one's own requests, introductions made, check-ins to answer."""
    t = i18n.t
    embed = discord.Embed(title=t("match.inbox.title", locale), colour=Colours.brand)
    if not (inbox.asks or inbox.requests or inbox.introduced or inbox.checkins):
        embed.description = t("match.inbox.empty", locale)
        return embed
    if inbox.asks:
        lines = [
            _ask_line(a.introduction, a.need, labels, i18n, locale)
            + "\n"
            + t("match.ask.why", locale, why=why_line(a.introduction.reasons, groups, i18n, locale))
            for a in inbox.asks
        ]
        add_field_within_limits(embed, t("match.inbox.asks", locale), "\n\n".join(lines))
    if inbox.requests:
        lines = []
        for request, need, current in inbox.requests:
            skill = need_label(need, labels, i18n, locale)
            if request.status == "matched":
                lines.append(t("match.inbox.request_matched", locale, skill=skill))
            elif current is not None:
                lines.append(t("match.inbox.request_waiting", locale, skill=skill, when=when(current.answer_due)))
        add_field_within_limits(embed, t("match.inbox.requests", locale), "\n".join(lines) or "—")
    for title, items in (("introduced", inbox.introduced), ("checkins", inbox.checkins)):
        if items:
            lines = [
                t(
                    "match.inbox.with",
                    locale,
                    id=intro.id,
                    skill=need_label(need, labels, i18n, locale),
                    member=f"<@{intro.other(user_id)}>",
                )
                + (f" · <#{intro.thread_id}>" if intro.thread_id else "")
                for intro, need in items
            ]
            add_field_within_limits(embed, t(f"match.inbox.{title}", locale), "\n".join(lines))
    return embed


@content_builder
def opening_text(intro: Introduction, skill: str, note: str, days: int, i18n: I18n, locale: str) -> str:
    """The opening message of the private thread: both members mentioned once, what it is about, what comes next."""
    text = i18n.t(
        "match.thread.opening",
        locale,
        requester=f"<@{intro.requester_id}>",
        offerer=f"<@{intro.offerer_id}>",
        skill=skill,
        days=days,
    )
    if note:
        text += "\n> " + safe(truncate(note, NOTE_SHOWN))
    return text


@content_builder
def pair_text(key: str, intro: Introduction, skill: str, i18n: I18n, locale: str) -> str:
    """A message to the pair in their thread (the nudge, the check-in), mentioning both."""
    return i18n.t(key, locale, requester=f"<@{intro.requester_id}>", offerer=f"<@{intro.offerer_id}>", skill=skill)


@content_builder
def checkin_dm_text(intro: Introduction, user_id: int, skill: str, server: str, i18n: I18n, locale: str) -> str:
    """The check-in by DM (when the pair has no thread), sent with the three answer buttons."""
    return i18n.t(
        "match.checkin.dm",
        locale,
        server=safe(truncate(server, 100)),
        skill=skill,
        member=f"<@{intro.other(user_id)}>",
    )


def pair_mentions(intro: Introduction) -> discord.AllowedMentions:
    """Exactly the two members of an introduction may be pinged, nobody else."""
    users = [discord.Object(intro.requester_id), discord.Object(intro.offerer_id)]
    return discord.AllowedMentions(everyone=False, users=users, roles=False, replied_user=False)
