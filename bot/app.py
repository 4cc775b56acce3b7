"""The Discord bot: a commands.Bot subclass that holds settings, services and i18n, and loads the cogs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.domain.resources import Notice
from bot.domain.system import command_tree_hash
from bot.i18n import I18n
from bot.interaction_errors import handle_interaction_error
from bot.metrics import Metrics, tasks_holding
from bot.permissions import PermissionAlerts
from bot.render.common import safe
from bot.services import Services
from bot.translator import SteunpuntTranslator
from bot.ui.expired import ExpiredItem, answer_expired_modal

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0
"""Seconds to let running handlers finish on shutdown."""
_HANDLER_TASKS = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-modal",
    "discord-ui-dynamic-item",
    "steunpunt-jobs-kick",
)

EXTENSIONS: tuple[str, ...] = (
    "cogs.general",
    "cogs.qa",
    "cogs.resources",
    "cogs.skills",
    "cogs.match",
    "cogs.digest",
    "cogs.privacy",
    "cogs.setup",
    "cogs.jobs",
    "cogs.scan",
    "cogs.licences",
    "cogs.collab",
    "cogs.stats",
    "cogs.moderation",
)
"""Every cog, loaded in this order. A meta-test checks it lists every module in ``cogs/``."""


def build_intents() -> discord.Intents:
    """The smallest set of gateway intents the bot needs.

    - ``guilds``: servers, channels, threads and roles arrive in the cache; needed for permission
      checks, the forum and the welcome on join. Not privileged.

    Deliberately off: ``members`` and ``presences`` (privileged; interactions already carry the member
    and their roles), ``message_content`` (privileged; slash commands, modals and message commands
    carry the text we need). Nothing to switch on in the developer portal.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


def interaction_label(interaction: discord.Interaction[Any]) -> str:
    """The metrics label of an interaction: its registered command's qualified name, or ``component``/``modal``.

    Never member input, so the number of label values stays bounded.
    """
    if interaction.type is discord.InteractionType.application_command:
        return interaction.command.qualified_name if interaction.command is not None else "unknown"
    if interaction.type is discord.InteractionType.modal_submit:
        return "modal"
    if interaction.type is discord.InteractionType.component:
        return "component"
    return interaction.type.name


def required_permissions() -> discord.Permissions:
    """The permissions the invite asks for: exactly what the features use, nothing more."""
    return discord.Permissions(
        view_channel=True,  # see the channels it posts in
        send_messages=True,  # digest, moderator queue, welcome
        send_messages_in_threads=True,  # replies in help-forum posts
        create_public_threads=True,  # post a member's question in the help forum
        create_private_threads=True,  # introduce two members who agreed to it, in a thread of their own
        manage_threads=True,  # apply the Solved tag to members' posts
        embed_links=True,  # every answer is an embed
        attach_files=True,  # exports
        read_message_history=True,  # find its own earlier messages (queue cards)
        manage_channels=True,  # create the help forum's tags during /setup
    )


class SteunpuntTree(app_commands.CommandTree["SteunpuntBot"]):
    """A command tree whose errors all go through the central handler."""

    async def on_error(
        self, interaction: discord.Interaction[SteunpuntBot], error: app_commands.AppCommandError, /
    ) -> None:
        """Delegate to :func:`handle_interaction_error`."""
        await handle_interaction_error(self.client, interaction, error)


class SteunpuntBot(commands.Bot):
    """Steunpunt's Discord client. Built only by the composition root (``bot.wiring``)."""

    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        i18n: I18n,
        auto_sync: bool = True,
        metrics: Metrics | None = None,
        **options: Any,
    ) -> None:
        if metrics is not None:  # count Discord's 429 answers
            options.setdefault("http_trace", metrics.http_trace())
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=SteunpuntTree,
            **options,
        )
        self.settings = settings
        self.services = services
        self.i18n = i18n
        self.auto_sync = auto_sync
        self.permission_alerts = PermissionAlerts(self)
        self._kicks: set[asyncio.Task[None]] = set()
        self.live_views: set[str] = set()
        """Ids of the short-lived views of this process (see :class:`bot.ui.base.BaseView`)."""
        self._shutdown: asyncio.Future[None] | None = None
        self.metrics = metrics
        """Prometheus metrics (``METRICS_PORT``), or None: then nothing is measured."""
        if metrics is not None:
            metrics.watch_gateway(lambda: self.latency, lambda: self.ws is not None and self.ws.open)

    async def setup_hook(self) -> None:
        """Install the translator, load the cogs, and sync commands only if the tree changed."""
        await self.tree.set_translator(SteunpuntTranslator(self.i18n))
        self.add_dynamic_items(ExpiredItem)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.auto_sync:
            await self.sync_commands(self.settings.dev_guild_id, only_if_changed=True)

    async def command_payload(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The translated command payload that a sync to this scope would send."""
        guild = discord.Object(guild_id) if guild_id is not None else None
        translator = self.tree.translator
        payload: list[dict[str, Any]] = []
        for kind in (discord.AppCommandType.chat_input, discord.AppCommandType.user, discord.AppCommandType.message):
            for command in self.tree.get_commands(guild=guild, type=kind):
                if translator is not None:
                    payload.append(await command.get_translated_payload(self.tree, translator))
                else:
                    payload.append(command.to_dict(self.tree))
        return payload

    async def sync_commands(self, guild_id: int | None = None, *, only_if_changed: bool = False) -> bool:
        """Sync to one server (instant) or globally; return whether a sync was sent.

        With ``only_if_changed`` the sync is skipped when the tree's hash equals the last synced one.
        """
        if guild_id is not None:
            self.tree.copy_global_to(guild=discord.Object(guild_id))
        tree_hash = command_tree_hash(await self.command_payload(guild_id))
        if only_if_changed and not await self.services.system.needs_sync(guild_id, tree_hash):
            log.info("Command tree unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync(guild=discord.Object(guild_id) if guild_id is not None else None)
        await self.services.system.record_sync(guild_id, tree_hash)
        log.info("Synced %d commands to %s", len(synced), f"server {guild_id}" if guild_id else "all servers")
        return True

    async def locale_for(self, interaction: discord.Interaction[Any]) -> str:
        """The reply language: the member's Discord language, else the server's setting, else the default."""
        server_locale: str | None = None
        if interaction.guild_id is not None:
            try:
                server_locale = (await self.services.guild_settings.get(interaction.guild_id)).locale
            except Exception:  # the language must never be the reason a reply fails
                log.exception("Could not read settings of server %s", interaction.guild_id)
            if server_locale is None and interaction.guild_locale is not None:
                server_locale = interaction.guild_locale.value
        return self.i18n.negotiate(interaction.locale.value, server_locale)

    def notice_texts(self, notices: list[Notice], locale: str) -> str:
        """Waiting notices as one message (member-written parts escaped)."""
        lines = []
        for notice in notices:
            params = {k: safe(str(v)) for k, v in notice.params.items()}
            lines.append(self.i18n.t(notice.key, locale, **params))
        return "\n\n".join(lines)[:2000]

    async def on_app_command_completion(self, interaction: discord.Interaction[Any], _command: object) -> None:
        """After a member's command, hand over notices waiting for them (e.g. the outcome of a suggestion).

        Not after a modal (the member has not seen anything yet); a notice is marked delivered only once sent.
        """
        self.count_interaction(interaction, "ok")
        if interaction.guild_id is not None:
            try:  # matching and routing pass by members who went quiet
                await self.services.members.touch(interaction.guild_id, interaction.user.id)
            except Exception:
                log.exception("Could not record a member's activity")
        if interaction.guild_id is None or interaction.response.type == discord.InteractionResponseType.modal:
            return
        notices = await self.services.members.pending_notices(interaction.guild_id, interaction.user.id)
        if not notices:
            return
        text = self.notice_texts(notices, await self.locale_for(interaction))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("Could not deliver notices to a member: %s", exc)
            return
        await self.services.members.mark_delivered(notices)

    async def send_dm(self, user_id: int, text: str, *, view: discord.ui.View | None = None) -> discord.Message:
        """Send a member a direct message that pings nobody.

        Raises what Discord refuses: Forbidden when their DMs are closed, NotFound for an unknown user.
        """
        user = self.get_user(user_id) or await self.fetch_user(user_id)
        if view is None:
            return await user.send(text, allowed_mentions=discord.AllowedMentions.none())
        return await user.send(text, view=view, allowed_mentions=discord.AllowedMentions.none())

    async def deliver_notices_by_dm(self, guild: discord.Guild, user_id: int) -> bool:
        """DM waiting notices to a member who opted in; False (notices kept) if the DM fails."""
        notices = await self.services.members.pending_notices(guild.id, user_id)
        if not notices:
            return True
        settings = await self.services.guild_settings.get(guild.id)
        text = self.notice_texts(notices, settings.locale or self.settings.default_locale)
        try:
            await self.send_dm(user_id, f"**{safe(guild.name)}**\n{text}"[:2000])
        except discord.HTTPException as exc:
            log.info("Could not DM notices to a member (%s); they get them on their next command", exc.status)
            return False
        await self.services.members.mark_delivered(notices)
        return True

    def kick_jobs(self) -> None:
        """Run due jobs now in the background, not at the next tick (e.g. a queue card after a suggestion).

        Safe alongside the jobs loop: claims are atomic, so no job runs twice.
        """
        task = asyncio.create_task(self._run_jobs_quietly(), name="steunpunt-jobs-kick")
        self._kicks.add(task)
        task.add_done_callback(self._kicks.discard)

    async def _run_jobs_quietly(self) -> None:
        try:
            await self.services.job_runner.run_due(20)
        except Exception:
            log.exception("Running due jobs failed")

    async def run_jobs(self, limit: int = 100) -> int:
        """Run the durable jobs that are due now; returns how many ran.

        The jobs cog does this every few seconds; tests call it to run jobs at once (after moving the clock).
        """
        runner = self.services.job_runner
        ran = await runner.run_due(limit)
        await runner.wait_idle()  # a job the jobs loop or a background run claimed first has finished too
        return ran

    async def __aexit__(self, *exc_info: object) -> None:
        """Always run our :meth:`close` (it is safe to call twice), so handlers drain before the database closes."""
        await self.close()

    async def close(self) -> None:
        """Disconnect, stop background loops, let running handlers finish, and give back held jobs.

        Safe to call more than once, also concurrently (SIGTERM and leaving ``async with``): every call
        waits for the one shutdown, so the composition root never closes the database under it.
        """
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._shutdown)

    async def _close_once(self) -> None:
        # Background loops first (they may use Discord and the database), then let handlers of interactions
        # already received answer while the HTTP session is still open, then disconnect.
        for cog in list(self.cogs.values()):
            stop = getattr(cog, "stop_background", None)
            if stop is not None:
                await stop()
        await self._drain_handlers()
        await super().close()
        await self._drain_handlers()  # anything that slipped in before the gateway closed
        try:
            await self.services.job_runner.release()  # another process (or the next start) takes them at once
        except Exception:
            log.exception("Could not release this process's jobs; they are taken over when their lease ends")

    async def _drain_handlers(self) -> None:
        current = asyncio.current_task()
        pending = [
            task
            for task in asyncio.all_tasks()
            if task is not current and not task.done() and task.get_name().startswith(_HANDLER_TASKS)
        ]
        if pending:
            log.info("Waiting for %d running handler(s) to finish", len(pending))
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
            for task in late:
                task.cancel()

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Dispatch as discord.py does; with metrics, start timing each interaction as it arrives."""
        super().dispatch(event_name, *args, **kwargs)
        if self.metrics is not None and event_name == "interaction":
            self._time_interaction(self.metrics, args[0])

    def _time_interaction(self, metrics: Metrics, interaction: discord.Interaction[Any]) -> None:
        """Time an interaction; a component's or modal's ends with the last of its handler tasks.

        Slash commands and context menus end in :meth:`on_app_command_completion`; every failure ends in
        :func:`handle_interaction_error`, whichever comes first counts. Autocomplete is not counted.
        """
        if interaction.type is discord.InteractionType.application_command:
            metrics.interaction_received(interaction.id)
        elif interaction.type in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            metrics.interaction_received(interaction.id)
            # discord.py created the handler tasks (and on_interaction's) before this event
            metrics.finish_when_done(tasks_holding(interaction), lambda: self.count_interaction(interaction, "ok"))

    def count_interaction(self, interaction: discord.Interaction[Any], outcome: str) -> None:
        """Count an interaction's end once (ok, refused or error); nothing without metrics."""
        if self.metrics is not None:
            self.metrics.interaction_finished(interaction.id, interaction_label(interaction), outcome)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Answer a modal submission nobody listens to any more (its views' items are answered by ExpiredItem)."""
        try:
            await answer_expired_modal(self, interaction)
        except discord.HTTPException as exc:
            log.warning("Could not answer an expired modal: %s", exc)

    async def on_ready(self) -> None:
        """Log the connection (ids only)."""
        log.info(
            "Connected as %s (id %s) to %d servers", self.user, self.user.id if self.user else "?", len(self.guilds)
        )
