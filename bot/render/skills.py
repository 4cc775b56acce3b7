"""Rendering for the skills theme: profiles, offers and needs, /skills find, the moderators' figures, reminders.

Skill labels of the built-in taxonomy are ours; a server's own skills, members' own words, notes and
organisation names are member text and always escaped. Dates are Discord timestamps, shown in each reader's
own language and time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.clock import from_iso
from bot.domain.skills.models import Found, Listing, Profile, Stats
from bot.i18n import I18n
from bot.render.common import Colours, add_field_within_limits, content_builder, embed_builder, safe, truncate

LABEL_MAX = 100
NOTE_SHOWN = 200


def timestamp(iso: str, style: str = "D") -> str:
    """A stored moment as a Discord timestamp (``D``: date, ``R``: relative)."""
    return f"<t:{int(from_iso(iso).timestamp())}:{style}>"


def skill_label(listing: Listing, labels: Mapping[str, str]) -> str:
    """The skill of a listing in the reader's language, escaped (members' own words in quotes)."""
    if listing.skill is not None:
        return safe(truncate(labels.get(listing.skill, listing.skill), LABEL_MAX))
    return "“" + safe(truncate(listing.skill_text or "", LABEL_MAX)) + "”"


def choice_key(area: str, value: str) -> str:
    """The catalogue key of one value of a closed field (``format``, ``1:1`` → ``skills.choice.format.1_1``)."""
    return f"skills.choice.{area}.{value.replace(':', '_').replace('-', '_')}"


def _choice(i18n: I18n, locale: str, area: str, value: str | None) -> str:
    return "—" if value is None else i18n.t(choice_key(area, value), locale)


def listing_line(listing: Listing, labels: Mapping[str, str], i18n: I18n, locale: str, now_iso: str) -> str:
    """One offer or need in a list: number, kind, skill, details, pause and expiry."""
    t = i18n.t
    parts = [f"`#{listing.id}`", t(f"skills.kind.{listing.kind}", locale), f"**{skill_label(listing, labels)}**"]
    if listing.kind == "offer":
        parts.append(_choice(i18n, locale, "level", listing.level))
        parts.append(_choice(i18n, locale, "format", listing.format))
        if listing.mentor:
            parts.append(t("skills.mine.mentor", locale))
        parts.append(t("skills.mine.capacity", locale, capacity=listing.capacity))
    else:
        parts.append(_choice(i18n, locale, "urgency", listing.urgency))
        if listing.format is not None:
            parts.append(_choice(i18n, locale, "format", listing.format))
    line = " · ".join(parts)
    if listing.paused_at(now_iso) and listing.paused_until is not None:
        line += "\n" + t("skills.mine.paused", locale, until=timestamp(listing.paused_until))
    line += "\n" + t("skills.mine.expires", locale, when=timestamp(listing.expires_at))
    if listing.note:
        line += "\n> " + safe(truncate(listing.note, NOTE_SHOWN))
    return line


@embed_builder
def profile_embed(profile: Profile, who: str, i18n: I18n, locale: str, *, own: bool) -> discord.Embed:
    """A member's profile; their opt-ins are shown only to themselves."""
    t = i18n.t
    embed = discord.Embed(title=t("skills.profile.title", locale), description=who, colour=Colours.brand)
    if profile.empty:
        embed.description = f"{who}\n" + t("skills.profile.empty", locale)
    fields = (
        ("organisation", safe(truncate(profile.organisation or "", 100)) or "—"),
        ("org_type", _choice(i18n, locale, "org_type", profile.org_type)),
        ("org_size", _choice(i18n, locale, "org_size", profile.org_size)),
        ("region", _choice(i18n, locale, "region", profile.region)),
        ("languages", ", ".join(_choice(i18n, locale, "language", c) for c in profile.languages) or "—"),
    )
    for name, value in fields:
        embed.add_field(name=t(f"skills.field.{name}", locale), value=value)
    if own:
        yes, no = t("skills.profile.yes", locale), t("skills.profile.no", locale)
        embed.add_field(name=t("skills.field.visible", locale), value=yes if profile.visible else no)
        embed.add_field(name=t("skills.field.askable", locale), value=yes if profile.askable else no)
        embed.set_footer(text=t("skills.profile.footer", locale))
    return embed


@embed_builder
def mine_embed(
    listings: Sequence[Listing], labels: Mapping[str, str], i18n: I18n, locale: str, now_iso: str
) -> discord.Embed:
    """The member's own offers and needs, with their numbers (for remove and pause)."""
    t = i18n.t
    embed = discord.Embed(title=t("skills.mine.title", locale), colour=Colours.brand)
    if not listings:
        embed.description = t("skills.mine.none", locale)
        return embed
    for listing in listings[:25]:
        name = t(f"skills.kind.{listing.kind}", locale) + f" #{listing.id}"
        add_field_within_limits(embed, name, listing_line(listing, labels, i18n, locale, now_iso))
    embed.set_footer(text=t("skills.mine.footer", locale))
    return embed


@embed_builder
def found_embed(
    query: str, found: Sequence[Found], labels: Mapping[str, str], i18n: I18n, locale: str
) -> discord.Embed:
    """Offers for a skill by members who made them visible: the skill itself first, then related ones."""
    t = i18n.t
    embed = discord.Embed(title=t("skills.find.title", locale, skill=safe(truncate(query, 100))), colour=Colours.brand)
    if not found:
        embed.description = t("skills.find.none", locale)
        return embed
    for item in found[:25]:
        offer, profile = item.offer, item.profile
        heading = skill_label(offer, labels) + " · " + _choice(i18n, locale, "level", offer.level)
        if not item.exact:
            heading = t("skills.find.related", locale) + " · " + heading
        facts = [f"<@{offer.user_id}>", _choice(i18n, locale, "format", offer.format)]
        if offer.mentor:
            facts.append(t("skills.mine.mentor", locale))
        if profile.organisation:
            facts.append(safe(truncate(profile.organisation, 60)))
        facts.extend(
            _choice(i18n, locale, a, getattr(profile, a))
            for a in ("org_type", "org_size", "region")
            if getattr(profile, a)
        )
        if profile.languages:
            facts.append("/".join(code.upper() for code in profile.languages))
        value = " · ".join(facts)
        if offer.note:
            value += "\n> " + safe(truncate(offer.note, NOTE_SHOWN))
        add_field_within_limits(embed, heading, value)
    embed.set_footer(text=t("skills.find.footer", locale))
    return embed


@embed_builder
def stats_embed(
    stats: Stats, groups: Mapping[str, str], labels: Mapping[str, str], i18n: I18n, locale: str
) -> discord.Embed:
    """The moderators' figures: totals, per group, and skills needed but offered by nobody."""
    t = i18n.t
    embed = discord.Embed(
        title=t("skills.stats.title", locale),
        description=t(
            "skills.stats.totals",
            locale,
            offers=stats.offers,
            needs=stats.needs,
            paused=stats.paused,
            mentors=stats.mentors,
        ),
        colour=Colours.brand,
    )
    lines = [
        t("skills.stats.group_line", locale, group=safe(groups.get(g, g)), offers=o, needs=n)
        for g, o, n in stats.by_group
    ]
    embed.add_field(name=t("skills.stats.by_group", locale), value="\n".join(lines) or "—", inline=False)
    unmet = [
        t("skills.stats.unmet_line", locale, skill=safe(truncate(labels.get(s, s), LABEL_MAX)), needs=n)
        for s, n in stats.unmet[:15]
    ]
    embed.add_field(
        name=t("skills.stats.unmet", locale), value="\n".join(unmet) or t("skills.stats.no_unmet", locale), inline=False
    )
    m = stats.matches
    figures = {"requested": m.requested, "asked": m.asked, "accepted": m.accepted, "completed": m.completed}
    line = t("match.stats.line", locale, **figures, helped=m.helped)
    embed.add_field(name=t("match.stats.title", locale), value=line, inline=False)
    return embed


@content_builder
def saved_text(listing: Listing, label: str, i18n: I18n, locale: str, *, created: bool, visible: bool) -> str:
    """The reply to /skills offer or need: what was stored, until when, and hints when something is missing."""
    t = i18n.t
    state = "new" if created else "updated"
    lines = [t(f"skills.saved.{listing.kind}_{state}", locale, id=listing.id, skill=label)]
    lines.append(t("skills.saved.expires", locale, when=timestamp(listing.expires_at)))
    if listing.skill is None:
        lines.append(t("skills.saved.free_text", locale))
    if listing.kind == "offer" and not visible:
        lines.append(t("skills.saved.not_visible", locale))
    return "\n".join(lines)


@content_builder
def reminder_text(listing: Listing, label: str, server: str, days: int, i18n: I18n, locale: str) -> str:
    """The direct message a week before an offer or need expires (sent with the "still valid" button)."""
    return i18n.t(
        f"skills.reminder.{listing.kind}",
        locale,
        server=safe(truncate(server, 100)),
        id=listing.id,
        skill=label,
        when=timestamp(listing.expires_at, "R"),
        days=days,
    )
