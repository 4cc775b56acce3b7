"""/profile: a member's organisation, region, languages, and what they share (visible, askable; both off first)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.skills.models import LANGUAGES, ORGANISATION_MAX, ProfileChanges
from bot.domain.skills.profiles import LANGUAGE_NAMES, parse_languages
from bot.render.skills import choice_key, profile_embed
from cogs.skills._choices import ORG_SIZE_CHOICES, ORG_TYPE_CHOICES, REGION_CHOICES

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


@app_commands.guild_only()
class ProfileCog(
    commands.GroupCog, group_name="profile", group_description="Your profile: organisation, region and languages"
):
    """Members describe themselves and choose what others may see."""

    theme: ClassVar[str] = "skills"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="set", description="Fill in or change your profile (every field is optional)")
    @app_commands.describe(
        organisation="Your organisation (type - to clear it)",
        type="What kind of organisation",
        size="How large your organisation is",
        region="Your province or region",
        languages="Languages you work in, e.g. nl, en (type - to clear them)",
        visible="Others may find your offers and see this profile",
        askable="You may be asked to help with open questions that fit your offers",
    )
    @app_commands.choices(type=ORG_TYPE_CHOICES, size=ORG_SIZE_CHOICES, region=REGION_CHOICES)
    async def set(
        self,
        interaction: discord.Interaction[SteunpuntBot],
        organisation: app_commands.Range[str, 1, ORGANISATION_MAX] | None = None,
        type: str | None = None,
        size: str | None = None,
        region: str | None = None,
        languages: app_commands.Range[str, 1, 100] | None = None,
        visible: bool | None = None,
        askable: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        changes = ProfileChanges(
            organisation=organisation,
            org_type=type,
            org_size=size,
            region=region,
            languages=None if languages is None else parse_languages(languages),
            visible=visible,
            askable=askable,
        )
        profile = await self.bot.services.skills.profiles.update(interaction.guild_id, interaction.user.id, changes)
        embed = profile_embed(profile, interaction.user.mention, self.bot.i18n, locale, own=True)
        await interaction.response.send_message(
            self.bot.i18n.t("skills.profile.saved", locale), embed=embed, ephemeral=True
        )

    @set.autocomplete("languages")
    async def languages_autocomplete(
        self, interaction: discord.Interaction[SteunpuntBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Complete the last language of a comma-separated list, named in the member's language."""
        locale = await self.bot.locale_for(interaction)
        done, _, last = current.rpartition(",")
        prefix = f"{done.strip()}, " if done.strip() else ""
        taken = {part.strip().lower() for part in done.split(",")}
        wanted = last.strip().lower()
        found = []
        for code in LANGUAGES:
            name = self.bot.i18n.t(choice_key("language", code), locale)
            if code in taken or not (
                code.startswith(wanted)
                or wanted in name.lower()
                or any(n.startswith(wanted) for n in LANGUAGE_NAMES[code])
            ):
                continue
            found.append(app_commands.Choice(name=f"{prefix}{code} ({name})"[:100], value=f"{prefix}{code}"[:100]))
        return found[:25]

    @app_commands.command(name="show", description="Show your profile, or another member's if they made it visible")
    @app_commands.describe(member="Whose profile (default: yours)")
    async def show(self, interaction: discord.Interaction[SteunpuntBot], member: discord.Member | None = None) -> None:
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        target = member or interaction.user
        profile = await self.bot.services.skills.profiles.show(interaction.guild_id, interaction.user.id, target.id)
        own = target.id == interaction.user.id
        embed = profile_embed(profile, target.mention, self.bot.i18n, locale, own=own)
        await interaction.response.send_message(embed=embed, ephemeral=True)
