"""/scan: the digital-maturity self-scan in resumable ephemeral steps, and its results as a chart with help."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import describe, render_png
from bot.render.scan import CHART_FILE, question_embed, scan_chart, scan_results_embed
from cogs.scan._items import ScanHelpButton, step_view

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

log = logging.getLogger(__name__)
Interaction = discord.Interaction["SteunpuntBot"]
ALT_TEXT_MAX = 1024


@app_commands.guild_only()
class ScanCog(
    commands.GroupCog, group_name="scan", group_description="Digital-maturity self-scan of your organisation"
):
    """Members rate 18 statements about their organisation, see their levels per dimension, and find help."""

    theme: ClassVar[str] = "strategy"

    def __init__(self, bot: SteunpuntBot) -> None:
        self.bot = bot
        self.scan = bot.services.scan
        super().__init__()

    @app_commands.command(name="start", description="Start the self-scan, or continue where you stopped")
    async def start(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        step = await self.scan.start(interaction.guild_id, interaction.user.id)
        locale = await self.bot.locale_for(interaction)
        embed = question_embed(step, self.scan.instrument, self.bot.i18n, locale)
        await interaction.response.send_message(embed=embed, view=step_view(self.bot, step, locale), ephemeral=True)

    @app_commands.command(
        name="results", description="Your scan results as a chart, your progress, and help for your weakest areas"
    )
    async def results(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)  # the chart takes a moment to draw
        report = await self.scan.report(interaction.guild_id, interaction.user.id)
        locale = await self.bot.locale_for(interaction)
        instrument = self.scan.instrument
        chart = scan_chart(report, instrument, self.bot.i18n, locale)
        png = await asyncio.to_thread(render_png, chart)  # CPU work: keep the event loop free
        alt = self.bot.i18n.t("scan.chart.file", locale, description=describe(chart))[:ALT_TEXT_MAX]
        file = discord.File(io.BytesIO(png), filename=CHART_FILE, description=alt)
        embed = scan_results_embed(report, instrument, self.bot.i18n, locale, chart=True)
        view = discord.ui.View(timeout=None)
        for weak in report.weakest:
            dimension = instrument.dimension(weak.dimension)
            if dimension is not None:
                label = self.bot.i18n.t("scan.help.button", locale, dimension=dimension.short.label(locale))
                view.add_item(ScanHelpButton(report.current.id, dimension.id, label))
        await interaction.followup.send(
            embed=embed, file=file, view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
