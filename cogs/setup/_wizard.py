"""The /setup wizard: one ephemeral message, a step at a time; each choice is saved at once.

Its steps are the settings declared with ``wizard=True``; each step's widget follows from the setting's kind
(a role or channel picker, a select of choices, and a text modal for values too many to list), so a new
setting appears here without code. Only the help forum's step adds something of its own: the forum-tags button.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.domain.guild_settings import GuildSettings
from bot.domain.settings_codec import parse_text
from bot.domain.settings_schema import COMMON_TIMEZONES, WEEKDAYS, GuildDirectory, Kind, Setting
from bot.permissions import audit_guild, ensure_manager, problems_embed
from bot.render.common import fit_embeds
from bot.render.setup import SUMMARY, step_embed, wizard_steps
from bot.ui.base import BaseModal, BaseView
from cogs.setup._tags import ensure_forum_tags

if TYPE_CHECKING:
    from bot.app import SteunpuntBot

CHANNEL_TYPES: dict[Kind, list[discord.ChannelType]] = {
    Kind.TEXT_CHANNEL: [discord.ChannelType.text],
    Kind.BROADCAST_CHANNEL: [discord.ChannelType.text, discord.ChannelType.news],
    Kind.FORUM: [discord.ChannelType.forum],
}
"""What a channel picker offers, per channel kind."""

_NO_DIRECTORY = GuildDirectory(roles={}, text_channels={}, forums={})  # pickers hand us ids; text never names one
_SELECT_MAX = 25


def select_options(spec: Setting, current: Any, t: Callable[[str], str]) -> list[tuple[str, str, bool]] | None:
    """(label, value, chosen) per choice of a setting, or None when its values are too many to list.

    Each value is text that :func:`~bot.domain.settings_codec.parse_text` reads back.
    """
    kind = spec.kind
    if kind is Kind.LOCALE:
        return [(t(f"setup.language.{code}"), code, current == code) for code in ("nl", "en")]
    if kind is Kind.TIMEZONE:
        return [(zone, zone, current == zone) for zone in COMMON_TIMEZONES]
    if kind is Kind.THEMES:
        return [(t(spec.choice_key(choice)), choice, choice in current) for choice in spec.choices]
    if kind is Kind.BOOL:
        return [(t("setup.value.on"), "on", current is True), (t("setup.value.off"), "off", current is False)]
    if kind is Kind.WEEKDAY:
        return [(t(f"setup.weekday.{day}"), day, current == i) for i, day in enumerate(WEEKDAYS)]
    if kind is Kind.HOUR:
        return [(f"{hour:02d}:00", str(hour), current == hour) for hour in range(24)]
    low, high = spec.minimum, spec.maximum
    if kind is Kind.INTEGER and low is not None and high is not None and high - low < _SELECT_MAX:
        return [(str(n), str(n), current == n) for n in range(low, high + 1)]
    return None


class SetupWizard(BaseView):
    """Walks a server manager through the wizard settings. Back and Skip move freely; Done closes it."""

    def __init__(
        self, bot: SteunpuntBot, *, owner_id: int, guild_id: int, locale: str, step: str | None = None
    ) -> None:
        super().__init__(bot, owner_id=owner_id, command="setup start", timeout=900)
        self.guild_id = guild_id
        self.locale = locale
        self.schema = bot.services.guild_settings.schema
        self.steps = wizard_steps(self.schema)
        self.step = step if step in self.steps else self.steps[0]
        self.note: str | None = None
        self._extras: dict[str, Callable[[GuildSettings], None]] = {"help_forum": self._items_help_forum}
        """Steps with an action of their own; they stay open after a choice so it can be used."""

    def t(self, key: str, **params: Any) -> str:
        """Translate in the wizard's language."""
        return self.bot.i18n.t(key, self.locale, **params)

    async def render(self, guild: discord.Guild | None) -> tuple[list[discord.Embed], BaseView]:
        """The embeds and (rebuilt) components for the current step."""
        settings = await self.bot.services.guild_settings.get(self.guild_id)
        self.clear_items()
        embeds = [step_embed(self.step, settings, self.bot.i18n, self.locale, self.note)]
        self.note = None
        spec = self.schema.by_name(self.step)
        if spec is not None:
            self._widget(spec, settings)
            if extra := self._extras.get(spec.name):
                extra(settings)
        elif guild is not None:
            embeds.append(problems_embed(audit_guild(guild, settings), self.bot, self.locale))
        self._navigation()
        return fit_embeds(embeds), self

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

    async def choose(self, interaction: discord.Interaction[Any], spec: Setting, value: Any) -> None:
        """Save a value chosen for a setting's step; steps with their own action stay open."""
        await self.save(interaction, advance=spec.name not in self._extras, **{spec.key: value})

    def _move(self, delta: int) -> None:
        index = max(0, min(len(self.steps) - 1, self.steps.index(self.step) + delta))
        self.step = self.steps[index]

    def _navigation(self) -> None:
        index = self.steps.index(self.step)
        back = discord.ui.Button(label=self.t("setup.wizard.back"), custom_id="setup:back", row=4, disabled=index == 0)
        skip = discord.ui.Button(
            label=self.t("setup.wizard.skip"), custom_id="setup:skip", row=4, disabled=self.step == SUMMARY
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
            embed = step_embed(SUMMARY, settings, self.bot.i18n, self.locale)
            embed.description = self.t("setup.wizard.finished")
            await interaction.response.edit_message(embeds=[embed], view=None)

        back.callback, skip.callback, done.callback = go_back, go_on, finish  # type: ignore[method-assign]
        for button in (back, skip, done):
            self.add_item(button)

    # --- one widget per kind ----------------------------------------------------------------------

    def _widget(self, spec: Setting, settings: GuildSettings) -> None:
        """The step's input, built from the setting's kind."""
        custom_id, placeholder = f"setup:{spec.name}", self.t(spec.placeholder_key)
        if spec.kind is Kind.ROLE or spec.is_channel:
            picker: discord.ui.RoleSelect[SetupWizard] | discord.ui.ChannelSelect[SetupWizard]
            if spec.kind is Kind.ROLE:
                picker = discord.ui.RoleSelect(custom_id=custom_id, placeholder=placeholder)
            else:
                picker = discord.ui.ChannelSelect(
                    custom_id=custom_id, channel_types=CHANNEL_TYPES[spec.kind], placeholder=placeholder
                )

            async def picked(interaction: discord.Interaction[Any]) -> None:
                await self.choose(interaction, spec, picker.values[0].id)

            picker.callback = picked  # type: ignore[method-assign]
            self.add_item(picker)
            return
        current = getattr(settings, spec.key)
        options = select_options(spec, current, self.t)
        if options is not None:
            self._select(spec, options, custom_id, placeholder)
        if options is None or spec.kind is Kind.TIMEZONE:  # values beyond the list: type one
            label = self.t("setup.wizard.other" if options else "setup.wizard.enter")
            button = discord.ui.Button(label=label, custom_id=f"{custom_id}_other", row=1)

            async def open_modal(interaction: discord.Interaction[Any]) -> None:
                ensure_manager(interaction)
                await interaction.response.send_modal(ValueModal(self, spec, current))

            button.callback = open_modal  # type: ignore[method-assign]
            self.add_item(button)

    def _select(self, spec: Setting, options: list[tuple[str, str, bool]], custom_id: str, placeholder: str) -> None:
        many = spec.kind is Kind.THEMES
        select: discord.ui.Select[SetupWizard] = discord.ui.Select(
            custom_id=custom_id,
            placeholder=placeholder,
            min_values=0 if many else 1,
            max_values=len(options) if many else 1,
            options=[
                discord.SelectOption(label=label, value=value, default=chosen) for label, value, chosen in options
            ],
        )

        async def chosen(interaction: discord.Interaction[Any]) -> None:
            await self.choose(interaction, spec, parse_text(spec, ",".join(select.values), _NO_DIRECTORY))

        select.callback = chosen  # type: ignore[method-assign]
        self.add_item(select)

    def _items_help_forum(self, settings: GuildSettings) -> None:
        if settings.help_forum_id is None:
            return
        tags = discord.ui.Button(label=self.t("setup.tags.button"), custom_id="setup:tags", row=1)

        async def create_tags(interaction: discord.Interaction[Any]) -> None:
            ensure_manager(interaction)
            await interaction.response.defer()  # editing the forum is a network call: answer first
            self.note = await ensure_forum_tags(self.bot, interaction.guild, self.locale)
            embeds, view = await self.render(interaction.guild)
            await interaction.edit_original_response(embeds=embeds, view=view)

        tags.callback = create_tags  # type: ignore[method-assign]
        self.add_item(tags)


class ValueModal(BaseModal):
    """Type a value the step cannot list (any IANA time zone, a number); checked against the schema."""

    command: ClassVar[str] = "setup start"

    def __init__(self, wizard: SetupWizard, spec: Setting, current: Any) -> None:
        super().__init__(wizard.bot, title=wizard.t(spec.label_key))
        self.wizard = wizard
        self.spec = spec
        example = "Europe/Amsterdam" if spec.kind is Kind.TIMEZONE else f"{spec.minimum}–{spec.maximum}"
        self.value: discord.ui.TextInput[ValueModal] = discord.ui.TextInput(
            label=wizard.t(spec.label_key)[:45],
            placeholder=example,
            default=None if current is None else str(current),
            max_length=60,
            custom_id="value",
        )
        self.add_item(self.value)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Validate the text and save it."""
        value = parse_text(self.spec, self.value.value, _NO_DIRECTORY)
        await self.wizard.choose(interaction, self.spec, value)
