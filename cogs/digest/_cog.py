"""/digest: members subscribe to a personal digest by DM, unsubscribe and see their settings.

Moderators preview the digest (the server's, or a member's personal one); managers send this period's digest
now, which still happens only once per period.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord
from discord import app_commands
from discord.ext import commands

from bot.permissions import ensure_manager, ensure_moderator
from bot.render.common import safe
from bot.render.digest import digest_messages
from cogs.digest._items import ThemesView, theme_names

if TYPE_CHECKING:
    from bot.app import SteunpuntBot
    from bot.domain.digest.models import DigestContent, Subscription
    from cogs.digest._jobs import DigestJobs

Interaction = discord.Interaction["SteunpuntBot"]
Frequency = Literal["weekly", "fortnightly", "monthly"]


def timestamp(moment: datetime) -> str:
    """A Discord timestamp, shown in each reader's own time zone and language (``<t:…:F>``)."""
    return f"<t:{int(moment.timestamp())}:F>"


@app_commands.guild_only()
class DigestCog(
    commands.GroupCog, group_name="digest", group_description="The weekly digest: get your own by direct message"
):
    """Members manage their personal digest; moderators preview the digest; managers send it now."""

    theme: ClassVar[str] = "knowledge"

    def __init__(self, bot: SteunpuntBot, jobs: DigestJobs) -> None:
        self.bot = bot
        self.jobs = jobs
        """The job handlers (their pacer is shared by every fan-out of this process)."""
        super().__init__()

    async def _summary(self, guild_id: int, subscription: Subscription, locale: str) -> str:
        """The member's subscription, the next digest and the server's schedule, as lines."""
        t = self.bot.i18n.t
        frequency = t(f"digest.reply.frequency.{subscription.frequency}", locale)
        lines = [
            t("digest.reply.settings_title", locale),
            t("digest.reply.frequency_line", locale, frequency=frequency),
            t("digest.reply.themes_line", locale, themes=theme_names(self.bot, subscription.themes, locale)),
        ]
        if subscription.unreachable_at is not None:
            lines.append(t("digest.reply.unreachable", locale))
        lines.extend(await self._schedule(guild_id, locale))
        return "\n".join(lines)

    async def _schedule(self, guild_id: int, locale: str) -> list[str]:
        """When the next digest comes (a Discord timestamp) and the server's weekly slot in its own time zone."""
        t = self.bot.i18n.t
        slot = await self.bot.services.digest.next_slot(guild_id)
        if slot is None:
            return [t("digest.reply.next_unknown", locale), t("digest.reply.schedule_none", locale)]
        zone_name = (await self.bot.services.guild_settings.get(guild_id)).timezone
        try:
            local = slot.astimezone(ZoneInfo(zone_name))
        except (ZoneInfoNotFoundError, ValueError):
            local = slot
        schedule = t(
            "digest.reply.schedule_line",
            locale,
            weekday=t(f"digest.reply.weekday.{local.weekday()}", locale),
            time=local.strftime("%H:%M"),
            zone=safe(zone_name),
        )
        return [t("digest.reply.next_line", locale, when=timestamp(slot)), schedule]

    @app_commands.command(
        name="subscribe", description="Get a personal digest by direct message, with only your themes"
    )
    @app_commands.describe(frequency="How often (default: weekly)")
    async def subscribe(self, interaction: Interaction, frequency: Frequency = "weekly") -> None:
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, await self.bot.locale_for(interaction)
        digest = self.bot.services.digest
        available = (await self.bot.services.guild_settings.get(guild_id)).themes
        current = await digest.subscription(guild_id, interaction.user.id)
        kept = tuple(theme for theme in current.themes if theme in available) if current is not None else ()
        subscription = await digest.subscribe(
            guild_id, interaction.user.id, themes=kept or available, frequency=frequency, locale=locale
        )
        t = self.bot.i18n.t
        text = "\n".join(
            (
                t("digest.reply.subscribed", locale, frequency=t(f"digest.reply.frequency.{frequency}", locale)),
                t("digest.reply.dms_hint", locale),
                "",
                await self._summary(guild_id, subscription, locale),
            )
        )
        view = ThemesView(self.bot, subscription, available, locale)
        await interaction.response.send_message(text[:2000], view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @app_commands.command(name="unsubscribe", description="Stop your personal digest")
    async def unsubscribe(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        ended = await self.bot.services.digest.unsubscribe(interaction.guild_id, interaction.user.id)
        key = "digest.reply.unsubscribed" if ended else "digest.reply.not_subscribed"
        text = self.bot.i18n.t(key, await self.bot.locale_for(interaction))
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="settings", description="Your personal digest: how often, which themes, and when the next one comes"
    )
    async def settings(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, await self.bot.locale_for(interaction)
        subscription = await self.bot.services.digest.subscription(guild_id, interaction.user.id)
        if subscription is None:
            lines = [self.bot.i18n.t("digest.reply.not_subscribed", locale), *await self._schedule(guild_id, locale)]
            text = "\n".join(lines)
        else:
            text = await self._summary(guild_id, subscription, locale)
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @app_commands.command(
        name="preview", description="See the digest as it would be now, or a member's personal one (moderators)"
    )
    @app_commands.describe(member="Show this member's personal digest instead")
    async def preview(self, interaction: Interaction, member: discord.Member | None = None) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        content = await self.bot.services.digest.preview(interaction.guild_id, member.id if member else None)
        t = self.bot.i18n.t
        who = safe(member.display_name) if member is not None else ""
        if content.empty:
            key = "digest.reply.preview_empty_personal" if member else "digest.reply.preview_empty"
            await interaction.followup.send(t(key, locale, member=who), ephemeral=True)
            return
        intro = t("digest.reply.preview_personal" if member else "digest.reply.preview_channel", locale, member=who)
        await self._send_preview(interaction, content, intro, personal=member is not None)

    async def _send_preview(
        self, interaction: Interaction, content: DigestContent, intro: str, *, personal: bool
    ) -> None:
        """Every message of the digest as ephemeral follow-ups, the first one introduced."""
        guild = interaction.guild
        server = guild.name if guild is not None else str(content.guild_id)
        messages = digest_messages(
            content, i18n=self.bot.i18n, guild_name=server, guild_id=content.guild_id, personal=personal
        )
        for number, message in enumerate(messages):
            await interaction.followup.send(
                intro if number == 0 else discord.utils.MISSING,
                embeds=message.embeds,
                ephemeral=True,
                allowed_mentions=message.allowed_mentions,
            )

    @app_commands.command(name="send-now", description="Post this week's digest now, once (Manage Server)")
    async def send_now(self, interaction: Interaction) -> None:
        ensure_manager(interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        run, planned = await self.bot.services.digest.send_now(interaction.guild_id, interaction.user.id)
        t = self.bot.i18n.t
        if run is None:
            text = t("digest.reply.no_channel", locale)
        elif not planned:
            text = t("digest.reply.already_sent", locale, period=run.period)
        elif run.status == "empty" or run.content.empty:
            text = t("digest.reply.sent_empty", locale, period=run.period)
        else:
            channel = f"<#{run.channel_id}>" if run.channel_id else "—"
            text = t("digest.reply.sent_now", locale, period=run.period, channel=channel)
        await interaction.response.send_message(text, ephemeral=True)
        if planned:
            self.bot.kick_jobs()  # the post and the fan-out go now, not at the next tick
