"""The /setup wizard: one ephemeral message, a step at a time; each choice is saved at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.guild_settings import THEMES
from bot.domain.setup import COMMON_TIMEZONES, validate_timezone
from bot.permissions import audit_guild, ensure_manager, problems_embed
from bot.render.setup import WIZARD_STEPS, step_embed
from bot.ui.base import BaseModal, BaseView
from cogs.setup._tags import ensure_forum_tags

if TYPE_CHECKING:
    from bot.app import SteunpuntBot


class SetupWizard(BaseView):
    """Walks a server manager through every setting. Back and Skip move freely; Done closes it."""

    def __init__(self, bot: SteunpuntBot, *, owner_id: int, guild_id: int, locale: str, step: str = "language") -> None:
        super().__init__(bot, owner_id=owner_id, timeout=900)
        self.guild_id = guild_id
        self.locale = locale
        self.step = step
        self.note: str | None = None

    def t(self, key: str, **params: Any) -> str:
        """Translate in the wizard's language."""
        return self.bot.i18n.t(key, self.locale, **params)

    async def render(self, guild: discord.Guild | None) -> tuple[list[discord.Embed], BaseView]:
        """The embeds and (rebuilt) components for the current step."""
        settings = await self.bot.services.guild_settings.get(self.guild_id)
        self.clear_items()
        embeds = [step_embed(self.step, settings, self.bot.i18n, self.locale, self.note)]
        self.note = None
        builder = getattr(self, f"_items_{self.step}")
        builder(settings)
        if self.step == "summary" and guild is not None:
            embeds.append(problems_embed(audit_guild(guild, settings), self.bot, self.locale))
        self._navigation()
        return embeds, self

    async def refresh(self, interaction: discord.Interaction[Any]) -> None:
        """Redraw the wizard message in place."""
        embeds, view = await self.render(interaction.guild)
        await interaction.response.edit_message(embeds=embeds, view=view)

    async def save(self, interaction: discord.Interaction[Any], advance: bool = True, **changes: Any) -> None:
        """Store changes (checked server-side again), then move on to the next step."""
        ensure_manager(interaction)
        await self.bot.services.guild_settings.update(self.guild_id, **changes)
        if advance:
            self._move(1)
        await self.refresh(interaction)

    def _move(self, delta: int) -> None:
        index = max(0, min(len(WIZARD_STEPS) - 1, WIZARD_STEPS.index(self.step) + delta))
        self.step = WIZARD_STEPS[index]

    def _navigation(self) -> None:
        index = WIZARD_STEPS.index(self.step)
        back = discord.ui.Button(label=self.t("setup.wizard.back"), custom_id="setup:back", row=4, disabled=index == 0)
        skip = discord.ui.Button(
            label=self.t("setup.wizard.skip"), custom_id="setup:skip", row=4, disabled=self.step == "summary"
        )
        done = discord.ui.Button(
            label=self.t("setup.wizard.done"), custom_id="setup:done", row=4, style=discord.ButtonStyle.success
        )

        async def go_back(interaction: discord.Interaction[Any]) -> None:
            self._move(-1)
            await self.refresh(interaction)

        async def go_on(interaction: discord.Interaction[Any]) -> None:
            self._move(1)
            await self.refresh(interaction)

        async def finish(interaction: discord.Interaction[Any]) -> None:
            self.stop()
            settings = await self.bot.services.guild_settings.get(self.guild_id)
            embed = step_embed("summary", settings, self.bot.i18n, self.locale)
            embed.description = self.t("setup.wizard.finished")
            await interaction.response.edit_message(embeds=[embed], view=None)

        back.callback, skip.callback, done.callback = go_back, go_on, finish  # type: ignore[method-assign]
        for button in (back, skip, done):
            self.add_item(button)

    # --- one builder per step -------------------------------------------------------------------

    def _items_language(self, settings: Any) -> None:
        select: discord.ui.Select[SetupWizard] = discord.ui.Select(
            custom_id="setup:language",
            placeholder=self.t("setup.step.language.placeholder"),
            options=[
                discord.SelectOption(
                    label=self.t(f"setup.language.{code}"), value=code, default=settings.locale == code
                )
                for code in ("nl", "en")
            ],
        )

        async def chosen(interaction: discord.Interaction[Any]) -> None:
            await self.save(interaction, locale=select.values[0])

        select.callback = chosen  # type: ignore[method-assign]
        self.add_item(select)

    def _items_timezone(self, settings: Any) -> None:
        select: discord.ui.Select[SetupWizard] = discord.ui.Select(
            custom_id="setup:timezone",
            placeholder=self.t("setup.step.timezone.placeholder"),
            options=[discord.SelectOption(label=z, value=z, default=settings.timezone == z) for z in COMMON_TIMEZONES],
        )
        other = discord.ui.Button(label=self.t("setup.step.timezone.other"), custom_id="setup:timezone_other", row=1)

        async def chosen(interaction: discord.Interaction[Any]) -> None:
            await self.save(interaction, timezone=validate_timezone(select.values[0]))

        async def open_modal(interaction: discord.Interaction[Any]) -> None:
            ensure_manager(interaction)
            await interaction.response.send_modal(TimezoneModal(self))

        select.callback = chosen  # type: ignore[method-assign]
        other.callback = open_modal  # type: ignore[method-assign]
        self.add_item(select)
        self.add_item(other)

    def _items_moderator_role(self, settings: Any) -> None:
        select: discord.ui.RoleSelect[SetupWizard] = discord.ui.RoleSelect(
            custom_id="setup:moderator_role", placeholder=self.t("setup.step.moderator_role.placeholder")
        )

        async def chosen(interaction: discord.Interaction[Any]) -> None:
            await self.save(interaction, moderator_role_id=select.values[0].id)

        select.callback = chosen  # type: ignore[method-assign]
        self.add_item(select)

    def _channel_step(self, attr: str, step: str, types: list[discord.ChannelType]) -> None:
        select: discord.ui.ChannelSelect[SetupWizard] = discord.ui.ChannelSelect(
            custom_id=f"setup:{step}", channel_types=types, placeholder=self.t(f"setup.step.{step}.placeholder")
        )

        async def chosen(interaction: discord.Interaction[Any]) -> None:
            # after choosing the forum, stay: its tags can be created on this step
            await self.save(interaction, advance=step != "help_forum", **{attr: select.values[0].id})

        select.callback = chosen  # type: ignore[method-assign]
        self.add_item(select)

    def _items_moderator_channel(self, settings: Any) -> None:
        self._channel_step("moderator_channel_id", "moderator_channel", [discord.ChannelType.text])

    def _items_digest_channel(self, settings: Any) -> None:
        self._channel_step("digest_channel_id", "digest_channel", [discord.ChannelType.text, discord.ChannelType.news])

    def _items_help_forum(self, settings: Any) -> None:
        self._channel_step("help_forum_id", "help_forum", [discord.ChannelType.forum])
        if settings.help_forum_id is not None:
            tags = discord.ui.Button(label=self.t("setup.tags.button"), custom_id="setup:tags", row=1)

            async def create_tags(interaction: discord.Interaction[Any]) -> None:
                ensure_manager(interaction)
                await interaction.response.defer()  # editing the forum is a network call: answer first
                self.note = await ensure_forum_tags(self.bot, interaction.guild, self.locale)
                embeds, view = await self.render(interaction.guild)
                await interaction.edit_original_response(embeds=embeds, view=view)

            tags.callback = create_tags  # type: ignore[method-assign]
            self.add_item(tags)

    def _items_themes(self, settings: Any) -> None:
        select: discord.ui.Select[SetupWizard] = discord.ui.Select(
            custom_id="setup:themes",
            placeholder=self.t("setup.step.themes.placeholder"),
            min_values=0,
            max_values=len(THEMES),
            options=[
                discord.SelectOption(label=self.t(f"theme.{theme}.name"), value=theme, default=theme in settings.themes)
                for theme in THEMES
            ],
        )

        async def chosen(interaction: discord.Interaction[Any]) -> None:
            await self.save(interaction, themes=tuple(t for t in THEMES if t in select.values))

        select.callback = chosen  # type: ignore[method-assign]
        self.add_item(select)

    def _items_summary(self, settings: Any) -> None:
        """The summary has only the navigation row."""


class TimezoneModal(BaseModal):
    """Type any IANA time zone name."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard.bot, title=wizard.t("setup.step.timezone.modal_title"))
        self.wizard = wizard
        self.zone: discord.ui.TextInput[TimezoneModal] = discord.ui.TextInput(
            label=wizard.t("setup.step.timezone.label"), placeholder="Europe/Amsterdam", max_length=60, custom_id="zone"
        )
        self.add_item(self.zone)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Validate the name and save it."""
        zone = validate_timezone(self.zone.value)
        await self.wizard.save(interaction, timezone=zone)
