"""Rendering for routing: the ask (DM or /asked-to-help), the thread's one message, and the coaches table.

Question titles are member text and always escaped; a coach's address is shown with its real host. The thread
message that names the member who took a question is the only routing message with a mention meant to ping.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands

from bot.clock import from_iso
from bot.domain.routing.coaches import DEFAULT, PROVINCES
from bot.domain.routing.models import Coach, Delivery, Outcome
from bot.i18n import LOCALES_DIR, I18n, load_file
from bot.render.common import (
    Colours,
    add_field_within_limits,
    content_builder,
    embed_builder,
    safe,
    safe_link,
    truncate,
)
from bot.render.skills import choice_key

TITLE_SHOWN = 100
INBOX_MAX = 5
"""Questions /asked-to-help shows at once (two buttons each)."""
_ENGLISH = {**load_file(LOCALES_DIR / "en" / "skills.toml"), **load_file(LOCALES_DIR / "en" / "routing.toml")}


def thread_link(guild_id: int, thread_id: int) -> str:
    """The address of a help post (it works in direct messages too)."""
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


def province_key(province: str) -> str:
    """The catalogue key of a province's name (the profile's regions, or the default entry)."""
    return "routing.coach.default_label" if province == DEFAULT else choice_key("region", province)


def province_choices() -> list[app_commands.Choice[str]]:
    """The provinces /setup coach can set, named in each member's language."""
    found = []
    for province in PROVINCES:
        key = province_key(province)
        found.append(app_commands.Choice(name=app_commands.locale_str(_ENGLISH[key], key=key), value=province))
    return found


def _skill(delivery: Delivery, labels: dict[str, str], i18n: I18n, locale: str) -> str:
    if delivery.skill is not None and delivery.skill in labels:
        return safe(truncate(labels[delivery.skill], TITLE_SHOWN))
    if delivery.skill_text:
        return "“" + safe(truncate(delivery.skill_text, TITLE_SHOWN)) + "”"
    return i18n.t("routing.ask.a_skill", locale)


def _until(delivery: Delivery) -> str:
    return f"<t:{int(from_iso(delivery.ask.expires_at).timestamp())}:f>"


@content_builder
def ask_text(delivery: Delivery, labels: dict[str, str], server: str, i18n: I18n, locale: str) -> str:
    """The direct message that asks a member to help with a question (sent with the two buttons)."""
    return i18n.t(
        "routing.ask.dm",
        locale,
        server=safe(truncate(server, 100)),
        skill=_skill(delivery, labels, i18n, locale),
        title=safe(truncate(delivery.title, TITLE_SHOWN)),
        link=thread_link(delivery.ask.guild_id, delivery.thread_id),
        until=_until(delivery),
    )


@embed_builder
def inbox_embed(deliveries: Sequence[Delivery], labels: dict[str, str], i18n: I18n, locale: str) -> discord.Embed:
    """/asked-to-help: the questions waiting for the member's answer, numbered like their buttons."""
    t = i18n.t
    embed = discord.Embed(title=t("routing.inbox.title", locale), colour=Colours.brand)
    if not deliveries:
        embed.description = t("routing.inbox.empty", locale)
        return embed
    for number, delivery in enumerate(deliveries[:INBOX_MAX], start=1):
        value = t(
            "routing.inbox.line",
            locale,
            link=thread_link(delivery.ask.guild_id, delivery.thread_id),
            skill=_skill(delivery, labels, i18n, locale),
            until=_until(delivery),
        )
        add_field_within_limits(embed, f"{number}. {safe(truncate(delivery.title, TITLE_SHOWN))}", value)
    embed.set_footer(text=t("routing.inbox.footer", locale))
    return embed


@content_builder
def taken_text(helper_id: int, i18n: I18n, locale: str) -> str:
    """The thread's message naming the member who took the question (their one mention)."""
    return i18n.t("routing.thread.taken", locale, helper=f"<@{helper_id}>")


def coach_link(coach: Coach) -> str:
    """A coach as a link whose visible text is their name (their real host if the name looks like an address)."""
    return safe_link(coach.name, coach.url)


@content_builder
def unmatched_text(outcome: Outcome, i18n: I18n, locale: str) -> str:
    """The thread's honest message that nobody could take the question, with the asker's coach. Never names anyone."""
    key = "routing.thread.unmatched_nobody" if outcome.asked else "routing.thread.unmatched_none"
    coach = coach_link(outcome.coach) if outcome.coach is not None else "—"
    return i18n.t(key, locale, coach=coach) + "\n" + i18n.t("routing.thread.coach_note", locale)


@embed_builder
def coaches_embed(coaches: Sequence[Coach], i18n: I18n, locale: str) -> discord.Embed:
    """The digital-heritage coach per province as this server shows it (/setup show and /setup coach)."""
    t = i18n.t
    lines = [
        t(
            "routing.coach.line",
            locale,
            province=t(province_key(coach.province), locale),
            coach=coach_link(coach),
            source=t(f"routing.coach.source.{coach.source.replace('-', '_')}", locale),
        )
        for coach in coaches
    ]
    embed = discord.Embed(title=t("routing.coach.title", locale), description="\n".join(lines), colour=Colours.brand)
    embed.set_footer(text=t("routing.coach.footer", locale))
    return embed


@content_builder
def coach_saved_text(coach: Coach, i18n: I18n, locale: str) -> str:
    """The reply to /setup coach: the province's contact now."""
    key = "routing.coach.saved" if coach.source == "server" else "routing.coach.reset"
    return i18n.t(key, locale, province=i18n.t(province_key(coach.province), locale), coach=coach_link(coach))
