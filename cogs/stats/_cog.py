"""/stats: searches, help posts, helpful resources, introductions and digests over a period, with PNG charts.

Moderators only, in a server. The answer is deferred (drawing the charts takes a moment, off the event loop)
and then sent as one ephemeral follow-up: the embed of figures and two or three charts, labelled in the
moderator's language.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import Chart, describe, render_png
from bot.domain.stats import DEFAULT_DAYS, PERIODS
from bot.i18n import LOCALES_DIR, load_file
from bot.permissions import ensure_moderator
from bot.render.stats import stats_charts, stats_embed

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)
Interaction = discord.Interaction["SteunpuntBot"]
ALT_TEXT_MAX = 1024
_ENGLISH = load_file(LOCALES_DIR / "en" / "stats.toml")


def period_choices() -> list[app_commands.Choice[int]]:
    """The periods a moderator may choose, named from the catalogues (``stats.choice.d<days>``)."""
    found = []
    for days in PERIODS:
        key = f"stats.choice.d{days}"
        found.append(app_commands.Choice(name=app_commands.locale_str(_ENGLISH[key], key=key), value=days))
    return found


def _render(charts: list[tuple[str, Chart]]) -> list[tuple[str, bytes, str]]:
    """Every chart as ``(file name, PNG, description)``; CPU work, run in a thread."""
    return [(name, render_png(chart), describe(chart)) for name, chart in charts]


class StatsCog(commands.Cog):
    """/stats for moderators."""

    theme: ClassVar[str] = "general"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="stats",
        description="Figures for moderators: searches, help posts, resources, introductions, digest (with charts)",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.describe(period="How far back (default: 30 days)")
    @app_commands.choices(period=period_choices())
    async def stats(self, interaction: Interaction, period: int = DEFAULT_DAYS) -> None:
        await ensure_moderator(self.bot, interaction)
        assert interaction.guild_id is not None
        locale = await self.bot.locale_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the charts take a moment to draw
        figures = await self.bot.services.stats.for_days(interaction.guild_id, period)
        charts = stats_charts(figures, self.bot.i18n, locale)
        rendered = await asyncio.to_thread(_render, charts)  # CPU work: keep the event loop free
        files = [
            discord.File(
                io.BytesIO(png),
                filename=name,
                description=self.bot.i18n.t("stats.chart.file", locale, description=text)[:ALT_TEXT_MAX],
            )
            for name, png, text in rendered
        ]
        embed = stats_embed(figures, self.bot.i18n, locale, image=rendered[0][0])
        log.info("Server %s: statistics of %s days sent", interaction.guild_id, period)
        await interaction.followup.send(
            embed=embed, files=files, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
