"""Persistent components of the moderation overview: open an item (claims it), release it, decide on it.

A report is resolved or dismissed; a solved post is promoted (the help forum's own button) or not for the FAQ.
They are DynamicItems: everything they need is in their custom_id (or, for the pick menu, in the message's own
options), so they answer after a restart, also on the weekly post in the moderators' channel.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import discord

from bot.clock import from_iso
from bot.domain.moderation.models import DECISIONS, QUEUES, Opened, Overview
from bot.errors import NotFound
from bot.permissions import ensure_moderator
from bot.render.common import format_duration, truncate
from bot.render.moderation import QUEUE_ICONS, item_embed
from bot.ui.base import pick_select
from bot.ui.guard import client_of, guarded
from cogs.qa._items import PromoteButton

if TYPE_CHECKING:
    from bot.i18n import I18n

QUEUE_PATTERN: Final = "|".join(QUEUES)
DECIDED_QUEUES: Final = "|".join(DECISIONS)
OUTCOMES: Final = "|".join(outcome for outcomes in DECISIONS.values() for outcome in outcomes)
VALUE = re.compile(rf"^(?P<queue>{QUEUE_PATTERN}):(?P<key>\d{{1,20}})$")
"""A pick menu option's value: ``<queue>:<key>``."""


class OpenPick(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"mod:open"):
    """In /mod overview and the weekly post: open one of a queue's oldest items (the first opener claims it)."""

    def __init__(self, options: list[discord.SelectOption], placeholder: str | None = None) -> None:
        super().__init__(pick_select("mod:open", options, placeholder))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Select[Any], match: re.Match[str], /
    ) -> OpenPick:
        """Rebuild from the message's own select (its options and the picked value)."""
        return cls(list(item.options), item.placeholder)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Claim the picked item (unless someone was first) and show it, with who holds it (moderators only)."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            match = VALUE.match(self.item.values[0]) if self.item.values else None
            if match is None:
                raise NotFound("moderation.item_gone")
            locale = await bot.locale_for(interaction)
            opened = await bot.services.moderation.open_item(
                interaction.guild_id, match["queue"], match["key"], interaction.user.id
            )
            embed = item_embed(opened, interaction.guild_id, interaction.user.id, bot.i18n, locale)
            note = bot.i18n.t("moderation.opened.claimed" if opened.claimed_now else "moderation.opened.seen", locale)
            await interaction.response.send_message(
                note, embed=embed, view=item_view(opened, bot.i18n, locale), ephemeral=True
            )

        await guarded(interaction, run)


class ReleaseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"mod:release:(?P<queue>{QUEUE_PATTERN}):(?P<key>\d{{1,20}})",
):
    """Under an opened item: give it back, so another moderator can take it (any moderator may)."""

    def __init__(self, queue: str, key: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=f"mod:release:{queue}:{key}")
        )
        self.queue, self.key = queue, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ReleaseButton:
        """Rebuild from the custom_id."""
        return cls(match["queue"], match["key"], item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Release the claim (moderators only); say whose it was."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            locale = await bot.locale_for(interaction)
            claim = await bot.services.moderation.release(
                interaction.guild_id, self.queue, self.key, interaction.user.id
            )
            text = bot.i18n.t("moderation.release.done", locale, who=f"<@{claim.moderator_id}>")
            await interaction.response.send_message(text, ephemeral=True)

        await guarded(interaction, run)


class ReportDecisionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mod:report:(?P<action>resolve|dismiss):(?P<id>\d{1,20})"
):
    """Under an opened report: it was acted upon (resolve) or needs nothing (dismiss); audited."""

    def __init__(self, action: str, report_id: int, label: str) -> None:
        style = discord.ButtonStyle.success if action == "resolve" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"mod:report:{action}:{report_id}"))
        self.action, self.report_id = action, report_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ReportDecisionButton:
        """Rebuild from the custom_id."""
        return cls(match["action"], int(match["id"]), item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the decision (moderators only); the report leaves the queue with its claim."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            locale = await bot.locale_for(interaction)
            moderation = bot.services.moderation
            decide = moderation.resolve_report if self.action == "resolve" else moderation.dismiss_report
            report = await decide(interaction.guild_id, self.report_id, interaction.user.id)
            text = bot.i18n.t(f"moderation.report.{report.status}", locale, id=report.id)
            await interaction.response.send_message(text, ephemeral=True)

        await guarded(interaction, run)


class DecideButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"mod:decide:(?P<queue>{DECIDED_QUEUES}):(?P<outcome>{OUTCOMES}):(?P<key>\d{{1,20}})",
):
    """Under an opened item: a moderator decides it needs nothing ("Not for the FAQ"); it leaves its queue for good."""

    def __init__(self, queue: str, outcome: str, key: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=f"mod:decide:{queue}:{outcome}:{key}"
            )
        )
        self.queue, self.outcome, self.key = queue, outcome, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> DecideButton:
        """Rebuild from the custom_id."""
        return cls(match["queue"], match["outcome"], match["key"], item.label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the decision (moderators only; audited); an item no longer waiting gets a localised error."""

        async def run() -> None:
            bot = client_of(interaction)
            await ensure_moderator(bot, interaction)
            assert interaction.guild_id is not None
            locale = await bot.locale_for(interaction)
            await bot.services.moderation.decide(
                interaction.guild_id, self.queue, self.key, self.outcome, interaction.user.id
            )
            text = bot.i18n.t(f"moderation.decided.{self.outcome}", locale)
            await interaction.response.send_message(text, ephemeral=True)

        await guarded(interaction, run)


def pick_options(overview: Overview, i18n: I18n, locale: str) -> list[discord.SelectOption]:
    """One option per listed item (each queue's oldest few; at most 25, as Discord allows)."""
    now = from_iso(overview.generated_at)
    options: list[discord.SelectOption] = []
    for queue in overview.queues:
        name = i18n.t(f"moderation.queue.{queue.queue}", locale)
        for item in queue.items:
            title = (
                i18n.t("moderation.item.report", locale, id=item.key)
                if item.queue == "reports"
                else " ".join(item.title.split()) or i18n.t("moderation.item.untitled", locale, id=item.key)
            )
            waited = format_duration(now - from_iso(item.since), i18n, locale)
            claimed = i18n.t("moderation.pick.claimed", locale) if item.claim is not None else ""
            options.append(
                discord.SelectOption(
                    label=truncate(f"{name}: {title}", 100) or "-",
                    value=f"{item.queue}:{item.key}",
                    description=truncate(i18n.t("moderation.pick.waiting", locale, age=waited) + claimed, 100),
                    emoji=QUEUE_ICONS.get(item.queue),
                )
            )
    return options[:25]


def overview_view(overview: Overview, i18n: I18n, locale: str) -> discord.ui.View | None:
    """The pick menu under an overview (None when nothing waits)."""
    options = pick_options(overview, i18n, locale)
    if not options:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(OpenPick(options, truncate(i18n.t("moderation.pick.placeholder", locale), 150)))
    return view


def item_view(opened: Opened, i18n: I18n, locale: str) -> discord.ui.View:
    """Release; for a report: resolve / dismiss; for an FAQ proposal: promote / not for the FAQ."""
    item = opened.item
    view = discord.ui.View(timeout=None)
    if item.queue == "reports":
        for action in ("resolve", "dismiss"):
            view.add_item(ReportDecisionButton(action, int(item.key), i18n.t(f"moderation.button.{action}", locale)))
    if item.queue == "faq_proposals":
        view.add_item(PromoteButton(int(item.key), i18n.t("qa.solve.promote", locale)))
    for outcome in DECISIONS.get(item.queue, ()):
        view.add_item(DecideButton(item.queue, outcome, item.key, i18n.t(f"moderation.button.{outcome}", locale)))
    view.add_item(ReleaseButton(item.queue, item.key, i18n.t("moderation.button.release", locale)))
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    OpenPick,
    ReleaseButton,
    ReportDecisionButton,
    DecideButton,
)
