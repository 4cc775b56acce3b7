"""/skills: offer and ask for skills, list, remove and pause one's own, find offers; moderators curate and count."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import to_iso
from bot.domain.skills.models import CAPACITY_MAX, CAPACITY_MIN, NOTE_MAX, SKILL_TEXT_MAX
from bot.errors import Invalid
from bot.permissions import ensure_moderator
from bot.render.skills import found_embed, mine_embed, saved_text, skill_label, stats_embed, timestamp
from cogs.skills._choices import FORMAT_CHOICES, LEVEL_CHOICES, URGENCY_CHOICES
from cogs.skills._items import keep_button

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.skills.models import Listing

NUMBER = re.compile(r"#?\s*([0-9]{1,18})")
"""An offer or need number, typed (``12``, ``#12``) or chosen from autocomplete."""
Interaction = discord.Interaction["SteunpuntBot"]


def _number(raw: str | None) -> int | None:
    if raw is None:
        return None
    match = NUMBER.fullmatch(raw.strip())
    if match is None:
        raise Invalid("skills.listing.bad_number", value=raw[:20])
    return int(match.group(1))


@app_commands.guild_only()
class SkillsCog(commands.GroupCog, group_name="skills", group_description="Offer and find skills in this community"):
    """Members offer and ask for skills; moderators curate the taxonomy and watch the figures."""

    theme: ClassVar[str] = "skills"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        self.skills = bot.services.skills
        super().__init__()

    async def _labels(self, guild_id: int, locale: str) -> dict[str, str]:
        return await self.skills.catalog.labels(guild_id, locale)

    async def _saved(self, interaction: Interaction, listing: Listing, created: bool) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        label = skill_label(listing, await self._labels(interaction.guild_id, locale))
        profile = await self.skills.profiles.get(interaction.guild_id, interaction.user.id)
        text = saved_text(listing, label, self.bot.i18n, locale, created=created, visible=profile.visible)
        await interaction.response.send_message(text, ephemeral=True)

    # --- autocomplete ---------------------------------------------------------------------------------------

    async def skill_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Skills of the taxonomy (and this server's own) that match what was typed, in the member's language."""
        locale = await self.bot.locale_for(interaction)
        found = await self.skills.catalog.suggest(interaction.guild_id or 0, current, locale)
        return [app_commands.Choice(name=s.label(locale)[:100], value=s.key) for s in found]

    async def own_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The member's own offers and needs (offers only for pause and resume)."""
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        labels = await self._labels(interaction.guild_id, locale)
        offers_only = interaction.command is not None and interaction.command.name in ("pause", "resume")
        wanted = current.strip().lstrip("#").lower()
        found = []
        for listing in await self.skills.listings.mine(interaction.guild_id, interaction.user.id):
            if offers_only and listing.kind != "offer":
                continue
            kind = self.bot.i18n.t(f"skills.kind.{listing.kind}", locale)
            name = f"#{listing.id} {kind}: {labels.get(listing.skill or '', listing.skill_text or '')}"
            if wanted in name.lower():
                found.append(app_commands.Choice(name=name[:100], value=str(listing.id)))
        return found[:25]

    # --- members ----------------------------------------------------------------------------------------------

    @app_commands.command(name="offer", description="Offer a skill to other members")
    @app_commands.describe(
        skill="Start typing; pick a skill from the list, or describe it in your own words",
        level="How well you know it",
        format="How you would help (default: one-to-one)",
        note="Anything others should know",
        mentor="You would mentor someone from a smaller organisation",
        capacity="How many open introductions you take at once (default 1)",
    )
    @app_commands.choices(level=LEVEL_CHOICES, format=FORMAT_CHOICES)
    @app_commands.autocomplete(skill=skill_autocomplete)
    async def offer(
        self,
        interaction: Interaction,
        skill: app_commands.Range[str, 1, SKILL_TEXT_MAX],
        level: str,
        format: str = "1:1",
        note: app_commands.Range[str, 1, NOTE_MAX] | None = None,
        mentor: bool = False,
        capacity: app_commands.Range[int, CAPACITY_MIN, CAPACITY_MAX] = 1,
    ) -> None:
        assert interaction.guild_id is not None
        listing, created = await self.skills.listings.offer(
            interaction.guild_id,
            interaction.user.id,
            skill,
            level=level,
            format=format,
            note=note,
            mentor=mentor,
            capacity=capacity,
        )
        await self._saved(interaction, listing, created)

    @app_commands.command(name="need", description="Ask for help with a skill")
    @app_commands.describe(
        skill="Start typing; pick a skill from the list, or describe it in your own words",
        urgency="How soon you need it (default: normal)",
        format="How you would like to be helped (default: any way)",
        note="What you need it for",
    )
    @app_commands.choices(urgency=URGENCY_CHOICES, format=FORMAT_CHOICES)
    @app_commands.autocomplete(skill=skill_autocomplete)
    async def need(
        self,
        interaction: Interaction,
        skill: app_commands.Range[str, 1, SKILL_TEXT_MAX],
        urgency: str = "normal",
        format: str | None = None,
        note: app_commands.Range[str, 1, NOTE_MAX] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        listing, created = await self.skills.listings.need(
            interaction.guild_id, interaction.user.id, skill, urgency=urgency, format=format, note=note
        )
        await self._saved(interaction, listing, created)

    @app_commands.command(name="mine", description="Your offers and needs, with their numbers")
    async def mine(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        listings = await self.skills.listings.mine(interaction.guild_id, interaction.user.id)
        labels = await self._labels(interaction.guild_id, locale)
        embed = mine_embed(listings, labels, self.bot.i18n, locale, to_iso(self.skills.listings.now()))
        view = discord.ui.View(timeout=None)
        for listing in self.skills.listings.expiring_soon(listings)[
            :5
        ]:  # "still valid?" for those a reminder asks about
            view.add_item(keep_button(self.bot, listing, locale))
        await interaction.response.send_message(
            embed=embed, view=view if view.children else discord.utils.MISSING, ephemeral=True
        )

    @app_commands.command(name="remove", description="Remove one of your offers or needs")
    @app_commands.describe(number="The number of the offer or need (see /skills mine)")
    @app_commands.autocomplete(number=own_autocomplete)
    async def remove(self, interaction: Interaction, number: app_commands.Range[str, 1, 20]) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        listing_id = _number(number)
        assert listing_id is not None
        removed = await self.skills.listings.remove(interaction.guild_id, interaction.user.id, listing_id)
        label = skill_label(removed, await self._labels(interaction.guild_id, locale))
        text = self.bot.i18n.t("skills.remove.done", locale, id=removed.id, skill=label)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="pause", description="Pause your offers until a date (no one finds them meanwhile)")
    @app_commands.describe(
        until="The date you are available again, e.g. 2026-09-01", offer="Only this offer (default: all)"
    )
    @app_commands.autocomplete(offer=own_autocomplete)
    async def pause(
        self,
        interaction: Interaction,
        until: app_commands.Range[str, 1, 20],
        offer: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        moment, count = await self.skills.listings.pause(
            interaction.guild_id, interaction.user.id, until, _number(offer)
        )
        text = self.bot.i18n.t("skills.pause.done", locale, count=count, until=timestamp(to_iso(moment)))
        await interaction.response.send_message(text, ephemeral=True)

    @pause.autocomplete("until")
    async def until_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """A few dates ahead, written out in the member's language; what they typed is kept too."""
        locale = await self.bot.locale_for(interaction)
        dates = await self.skills.listings.pause_dates(interaction.guild_id or 0)
        found = [
            app_commands.Choice(
                name=self.bot.i18n.t(f"skills.pause.in_{n}", locale, date=d.isoformat()), value=d.isoformat()
            )
            for n, d in zip(("week", "two_weeks", "month", "three_months"), dates, strict=True)
        ]
        typed = current.strip()[:20]
        return ([app_commands.Choice(name=typed, value=typed)] if typed else []) + found

    @app_commands.command(name="resume", description="End the pause of your offers now")
    @app_commands.describe(offer="Only this offer (default: all)")
    @app_commands.autocomplete(offer=own_autocomplete)
    async def resume(self, interaction: Interaction, offer: app_commands.Range[str, 1, 20] | None = None) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        count = await self.skills.listings.resume(interaction.guild_id, interaction.user.id, _number(offer))
        await interaction.response.send_message(
            self.bot.i18n.t("skills.resume.done", locale, count=count), ephemeral=True
        )

    @app_commands.command(name="find", description="Find members who offer a skill")
    @app_commands.describe(skill="Start typing; pick a skill from the list, or search in your own words")
    @app_commands.autocomplete(skill=skill_autocomplete)
    async def find(self, interaction: Interaction, skill: app_commands.Range[str, 1, SKILL_TEXT_MAX]) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        resolved, found = await self.skills.listings.find(interaction.guild_id, interaction.user.id, skill)
        query = resolved.label(locale) if resolved is not None else skill
        labels = await self._labels(interaction.guild_id, locale)
        await interaction.response.send_message(
            embed=found_embed(query, found, labels, self.bot.i18n, locale), ephemeral=True
        )

    # --- moderators -------------------------------------------------------------------------------------------

    @app_commands.command(name="add-skill", description="Add a skill to this server's list (moderators)")
    @app_commands.describe(group="The group it belongs to", dutch="Its name in Dutch", english="Its name in English")
    async def add_skill(
        self,
        interaction: Interaction,
        group: app_commands.Range[str, 1, 40],
        dutch: app_commands.Range[str, 1, 80],
        english: app_commands.Range[str, 1, 80] | None = None,
    ) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        skill = await self.skills.catalog.add_skill(
            interaction.guild_id, interaction.user.id, group, dutch, english or dutch
        )
        found = self.skills.catalog.taxonomy.group(skill.group)
        group_label = found.label(locale) if found is not None else skill.group
        text = self.bot.i18n.t("skills.add_skill.done", locale, nl=skill.nl, en=skill.en, group=group_label)
        await interaction.response.send_message(text, ephemeral=True)

    @add_skill.autocomplete("group")
    async def group_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The taxonomy's groups, named in the member's language."""
        locale = await self.bot.locale_for(interaction)
        wanted = current.strip().lower()
        groups = self.skills.catalog.groups
        return [
            app_commands.Choice(name=g.label(locale)[:100], value=g.id)
            for g in groups
            if wanted in g.label(locale).lower() or wanted in g.id
        ][:25]

    @app_commands.command(
        name="stats", description="Offers and needs in this server, and what nobody offers (moderators)"
    )
    async def stats(self, interaction: Interaction) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        stats = await self.skills.listings.stats(interaction.guild_id)
        groups = {g.id: g.label(locale) for g in self.skills.catalog.groups}
        groups["free"] = self.bot.i18n.t("skills.stats.free", locale)
        labels = await self._labels(interaction.guild_id, locale)
        await interaction.response.send_message(
            embed=stats_embed(stats, groups, labels, self.bot.i18n, locale), ephemeral=True
        )
