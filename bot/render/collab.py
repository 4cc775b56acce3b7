"""Rendering for the collaboration board: a proposal card with its partners, the list, the owner's DM."""

from __future__ import annotations

import discord

from bot.clock import from_iso
from bot.domain.collab.models import Board, Partner, Proposal
from bot.domain.qa_models import Page
from bot.i18n import I18n
from bot.render.common import Colours, add_field_within_limits, content_builder, embed_builder, safe, truncate

LIST_TITLE_MAX = 80
PENDING_SHOWN = 10
"""At most this many waiting requests on the owner's card (two buttons each: 20 of Discord's 25)."""

STATUS_COLOURS = {
    "open": Colours.success,
    "closed": Colours.brand,
    "expired": Colours.brand,
    "removed": Colours.error,
}


def deadline_text(proposal: Proposal, i18n: I18n, locale: str) -> str:
    """The last day as the owner gave it, and how far away it is (Discord shows that in the reader's time)."""
    try:
        relative = f"<t:{int(from_iso(proposal.deadline_at).timestamp())}:R>"
    except (ValueError, OverflowError, OSError):
        relative = "—"
    return i18n.t("collab.show.deadline", locale, date=safe(proposal.deadline_date[:20]), relative=relative)


def themes_text(proposal: Proposal, i18n: I18n, locale: str) -> str:
    """The proposal's themes by name, main theme first."""
    names = [i18n.t(f"theme.{theme}.name", locale) for theme in proposal.themes[:5]]
    return ", ".join(names) or i18n.t("theme.collaboration.name", locale)


def _people(partners: tuple[Partner, ...], i18n: I18n, locale: str) -> str:
    if not partners:
        return i18n.t("collab.show.none", locale)
    return truncate(", ".join(f"<@{p.member_id}>" for p in partners), 1024)


@embed_builder
def proposal_embed(board: Board, i18n: I18n, locale: str) -> discord.Embed:
    """A proposal card: goal, partners sought, themes, deadline, owner, status and outcome, partners, requests.

    Member-written text is escaped; the owner and partners are shown as mentions (embeds never ping).
    """
    t = i18n.t
    proposal = board.proposal
    embed = discord.Embed(
        title=truncate(f"#{proposal.id} · {safe(proposal.title)}", 256),
        description=truncate(safe(proposal.goal), 4096),
        colour=STATUS_COLOURS.get(proposal.status, Colours.brand),
    )
    if proposal.partners:
        add_field_within_limits(embed, t("collab.field.partners", locale), truncate(safe(proposal.partners), 1024))
    embed.add_field(name=t("collab.field.themes", locale), value=themes_text(proposal, i18n, locale))
    embed.add_field(name=t("collab.field.deadline", locale), value=deadline_text(proposal, i18n, locale))
    embed.add_field(name=t("collab.field.owner", locale), value=f"<@{proposal.owner_id}>")
    embed.add_field(name=t("collab.field.status", locale), value=t(f"collab.status.{proposal.status}", locale))
    if proposal.outcome is not None:
        outcome = t(f"collab.outcome.{proposal.outcome}", locale)
        if proposal.outcome_note:
            outcome = f"{outcome}: {safe(proposal.outcome_note)}"
        embed.add_field(name=t("collab.field.outcome", locale), value=truncate(outcome, 1024), inline=False)
    if proposal.status == "removed" and proposal.reason:
        embed.add_field(
            name=t("collab.field.reason", locale), value=truncate(safe(proposal.reason), 1024), inline=False
        )
    embed.add_field(name=t("collab.field.accepted", locale), value=_people(board.accepted, i18n, locale), inline=False)
    if board.pending:
        lines = [
            t("collab.show.request", locale, number=n, member=p.member_id)
            for n, p in enumerate(board.pending[:PENDING_SHOWN], start=1)
        ]
        lines.append(t("collab.show.pending_help", locale))
        embed.add_field(name=t("collab.field.pending", locale), value=truncate("\n".join(lines), 1024), inline=False)
    return embed


def proposal_line(proposal: Proposal, i18n: I18n, locale: str) -> str:
    """One line of the list: number, title, themes and deadline."""
    return i18n.t(
        "collab.list.line",
        locale,
        id=proposal.id,
        title=safe(truncate(proposal.title, LIST_TITLE_MAX)),
        themes=themes_text(proposal, i18n, locale),
        deadline=deadline_text(proposal, i18n, locale),
    )


@embed_builder
def proposal_list_embed(page: Page[Proposal], title: str, i18n: I18n, locale: str) -> discord.Embed:
    """A page of open proposals (``title`` is ours: a catalogue text with a theme's name)."""
    embed = discord.Embed(title=truncate(title, 256), colour=Colours.brand)
    if not page.items:
        embed.description = i18n.t("collab.list.none", locale)
        return embed
    lines = []
    for proposal in page.items:
        line = proposal_line(proposal, i18n, locale)
        if proposal.goal.strip():
            line += "\n> " + safe(truncate(" ".join(proposal.goal.split()), 160))
        lines.append(line)
    embed.description = truncate("\n\n".join(lines), 4096)
    footer = i18n.t("collab.list.footer", locale)
    if page.pages > 1:
        footer = f"{min(page.page + 1, page.pages)}/{page.pages} · {footer}"
    embed.set_footer(text=footer)
    return embed


@content_builder
def ask_text(proposal: Proposal, partner: Partner, server: str, i18n: I18n, locale: str) -> str:
    """The DM that tells an owner a member asks to join (with Accept / Decline below it)."""
    return i18n.t(
        "collab.ask.dm",
        locale,
        server=safe(truncate(server, 100)),
        member=partner.member_id,
        id=proposal.id,
        title=safe(truncate(proposal.title, 100)),
    )
