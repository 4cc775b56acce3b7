"""Interaction builders: INTERACTION_CREATE payloads made from the commands the bot registered."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from . import payloads
from .constants import ALL_PERMISSIONS
from .options import CommandUsageError, OptionBuilder
from .records import InteractionRecord, ModalRecord, StoredMessage
from .results import Choices, InteractionResult
from .state import FakeChannel, FakeMember, FakeUser
from .world import EVERYONE_PERMISSIONS

if TYPE_CHECKING:
    from .server import FakeDiscord

Who = FakeMember | FakeUser
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class Interactions:
    """Builds INTERACTION_CREATE payloads from registered commands and dispatches them."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def _base(self, type_: int, who: Who, channel: FakeChannel) -> tuple[dict[str, Any], FakeUser]:
        state = self.fake.state
        user = who.user if isinstance(who, FakeMember) else who
        guild = state.guild_of(channel)
        payload: dict[str, Any] = {
            "id": str(state.ids.next()),
            "application_id": str(state.application_id),
            "type": type_,
            "token": f"tok-{secrets.token_hex(16)}",
            "version": 1,
            "locale": user.locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "context": 0 if guild else 1,
            "authorizing_integration_owners": {"0": str(guild.id)} if guild else {"1": str(user.id)},
            "channel_id": str(channel.id),
        }
        ch = payloads.channel(channel, state)
        if guild is None:
            payload.update(user=payloads.user(user), app_permissions=str(EVERYONE_PERMISSIONS))
            ch["permissions"] = str(EVERYONE_PERMISSIONS)
        else:
            member = guild.members.get(user.id)
            if member is None:
                raise CommandUsageError(f"{user.username} is not a member of {guild.name!r}")
            perms = state.permissions(guild, user.id, channel)
            payload.update(
                guild_id=str(guild.id),
                guild_locale=guild.preferred_locale,
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": list(guild.features)},
                member={**payloads.member(member), "permissions": str(perms)},
                app_permissions=str(state.permissions(guild, state.bot_user.id, channel)),
            )
            ch["permissions"] = str(perms)
        payload["channel"] = ch
        return payload, user

    def _check_allowed(self, command: dict[str, Any], who: Who, channel: FakeChannel) -> None:
        """Discord only offers a command where its contexts/dm_permission allow it, to members who have
        its default_member_permissions (guild-level; ADMINISTRATOR passes)."""
        guild = self.fake.state.guild_of(channel)
        context = 0 if guild else 1
        if command.get("contexts") is not None and context not in command["contexts"]:
            raise CommandUsageError(f"{command['name']!r} is not available in context {context}: {command['contexts']}")
        if guild is None and command.get("dm_permission") is False:
            raise CommandUsageError(f"{command['name']!r} is not available in DMs (dm_permission false)")
        needed = command.get("default_member_permissions")
        if command["name"] in self.fake.permission_overrides:
            needed = None
        user = who.user if isinstance(who, FakeMember) else who
        if guild is not None and needed is not None:
            has = self.fake.state.permissions(guild, user.id)
            if int(needed) & has != int(needed) or (int(needed) == 0 and has != ALL_PERMISSIONS):
                raise CommandUsageError(
                    f"{user.username} cannot use {command['name']!r}: default_member_permissions {needed} not met"
                )

    def _channel(self, channel: FakeChannel | str | None) -> FakeChannel:
        if isinstance(channel, FakeChannel):
            return channel
        if channel is None:
            return self.fake.world.general
        return self.fake.channel(channel)

    async def _dispatch(
        self,
        payload: dict[str, Any],
        user: FakeUser,
        channel: FakeChannel,
        label: str,
        *,
        source: StoredMessage | None = None,
        within: float | None = None,
        wait: bool = True,
    ) -> InteractionResult:
        state = self.fake.state
        if wait:
            await self.fake.gateway.wait_connected(self.fake.timeout)
        rec = InteractionRecord(
            int(payload["id"]),
            payload["token"],
            payload["type"],
            user.id,
            channel.guild_id,
            channel.id,
            payload,
            asyncio.get_running_loop().time(),
            source_message_id=source.id if source else None,
        )
        state.interactions[rec.id] = rec
        result = InteractionResult(self.fake, rec)
        rec.dispatched_at = asyncio.get_running_loop().time()
        if not wait:
            result.delivery = await self.fake.gateway.emit("INTERACTION_CREATE", payload)
            return result
        result.delivery = await self.fake.gateway.dispatch("INTERACTION_CREATE", payload)
        await self.fake.wait_until(
            lambda: rec.callbacks or None, within=within, what=f"the bot to answer {label} (no callback arrived)"
        )
        return result

    def _command(self, name: str, channel: FakeChannel, type_: int) -> dict[str, Any]:
        cmd = payloads.find_command(self.fake.state, name, channel.guild_id, type_)
        if cmd is None:
            known = [c.name for cmds in self.fake.state.commands.values() for c in cmds if c.type == type_]
            raise CommandUsageError(
                f"no registered command {name!r} of type {type_}; registered: {known} (did the bot sync its commands?)"
            )
        return cmd.data

    async def slash(
        self,
        path: str,
        *,
        user: Who,
        channel: FakeChannel | str | None = None,
        options: dict[str, Any] | None = None,
        within: float | None = None,
        **kwargs: Any,
    ) -> InteractionResult:
        """Invoke `/path` (space-separated: "group sub") with options coerced per the registered schema."""
        return await self._chat(2, path, user, channel, {**(options or {}), **kwargs}, None, within)

    async def send_slash(
        self,
        path: str,
        *,
        user: Who,
        channel: FakeChannel | str | None = None,
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> InteractionResult:
        """Build `/path` like `slash` and dispatch it at once, waiting neither for a connected client nor for an
        answer; `result.delivery` says whether the gateway sent, buffered (client away) or lost (no session) it."""
        values = {**(options or {}), **kwargs}
        return await self._chat(2, path, user, channel, values, None, None, wait=False)

    async def autocomplete(
        self,
        path: str,
        focused: str,
        value: Any,
        *,
        user: Who,
        channel: FakeChannel | str | None = None,
        options: dict[str, Any] | None = None,
        within: float | None = None,
        **kwargs: Any,
    ) -> Choices:
        """Type `value` into option `focused` of `/path`; returns the choices the bot offered."""
        values = {**(options or {}), **kwargs, focused: value}
        result = await self._chat(4, path, user, channel, values, focused, within)
        choices = Choices(result.choices)
        choices.result = result
        return choices

    async def _chat(
        self,
        type_: int,
        path: str,
        who: Who,
        channel: FakeChannel | str | None,
        values: dict[str, Any],
        focused: str | None,
        within: float | None,
        *,
        wait: bool = True,
    ) -> InteractionResult:
        ch = self._channel(channel)
        name, *parts = path.split()
        command = self._command(name, ch, 1)
        self._check_allowed(command, who, ch)
        payload, user = self._base(type_, who, ch)
        builder = OptionBuilder(self.fake.state, self.fake.state.guild_of(ch), self.fake.http_base, f"/{path}", user.id)
        top, leaf, schema = builder.walk(command, parts)
        builder.fill(leaf, schema, values, focused=focused)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": top}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if builder.resolved:
            data["resolved"] = builder.resolved
        payload["data"] = data
        return await self._dispatch(payload, user, ch, f"/{path}", within=within, wait=wait)

    async def context_menu(
        self,
        name: str,
        target: StoredMessage | Who,
        *,
        user: Who,
        channel: FakeChannel | str | None = None,
        within: float | None = None,
    ) -> InteractionResult:
        """Invoke a user (target is a member/user) or message (target is a message) context-menu command."""
        is_message = isinstance(target, StoredMessage)
        ch = (
            self.fake.state.channels[target.channel_id] if isinstance(target, StoredMessage) else self._channel(channel)
        )
        command = self._command(name, ch, 3 if is_message else 2)
        self._check_allowed(command, user, ch)
        payload, invoker = self._base(2, user, ch)
        builder = OptionBuilder(self.fake.state, self.fake.state.guild_of(ch), self.fake.http_base, name, invoker.id)
        if isinstance(target, StoredMessage):
            target_id = target.id
            builder.resolved["messages"] = {str(target.id): payloads.message(target, self.fake.state)}
        else:
            target_id = builder.user(target)
        payload["data"] = {
            "id": command["id"],
            "name": name,
            "type": command["type"],
            "target_id": str(target_id),
            "resolved": builder.resolved,
        }
        if command.get("guild_id"):
            payload["data"]["guild_id"] = command["guild_id"]
        return await self._dispatch(payload, invoker, ch, f"context menu {name!r}", within=within)

    async def click(
        self,
        message: StoredMessage | int,
        custom_id: str,
        *,
        user: Who,
        values: list[Any] | None = None,
        within: float | None = None,
    ) -> InteractionResult:
        """Click a button or choose select values on a message the bot sent (carrying the full message)."""
        msg = message if isinstance(message, StoredMessage) else self.fake.state.messages[message]
        ch = self.fake.state.channels[msg.channel_id]
        payload, invoker = self._base(3, user, ch)
        if msg.deleted:
            raise CommandUsageError(f"message {msg.id} was deleted")
        if msg.visible_to is not None and msg.visible_to != invoker.id:
            raise CommandUsageError(f"message {msg.id} is ephemeral; only user {msg.visible_to} can click it")
        try:
            comp = msg.component(custom_id)
        except KeyError as exc:
            raise CommandUsageError(str(exc)) from None
        if comp.get("disabled"):
            raise CommandUsageError(f"component {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": comp["custom_id"], "component_type": comp["type"]}
        if comp["type"] != 2:
            data["values"] = self._select_values(comp, values or [], ch, invoker, data)
        elif values:
            raise CommandUsageError("buttons take no values")
        payload["data"] = data
        payload["message"] = payloads.message(msg, self.fake.state)
        return await self._dispatch(payload, invoker, ch, f"click on {custom_id!r}", source=msg, within=within)

    def _select_values(
        self, comp: dict[str, Any], values: list[Any], ch: FakeChannel, invoker: FakeUser, data: dict[str, Any]
    ) -> list[str]:
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise CommandUsageError(f"select {comp['custom_id']!r} takes {lo}..{hi} values, got {len(values)}")
        if comp["type"] == 3:
            allowed = [o["value"] for o in comp.get("options", [])]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise CommandUsageError(f"select {comp['custom_id']!r} has no option(s) {bad}; options: {allowed}")
            return [str(v) for v in values]
        builder = OptionBuilder(
            self.fake.state, self.fake.state.guild_of(ch), self.fake.http_base, "select", invoker.id
        )
        kind = {5: 6, 6: 8, 7: 9, 8: 7}[comp["type"]]
        ids = [builder.coerce({"name": comp["custom_id"], "type": kind}, v) for v in values]
        data["resolved"] = builder.resolved
        return ids

    async def submit_modal(
        self, modal: ModalRecord | str, values: dict[str, Any], *, user: Who | None = None, within: float | None = None
    ) -> InteractionResult:
        """Submit a modal the bot opened (its record, or its custom_id) with {field custom_id: value}."""
        record = modal if isinstance(modal, ModalRecord) else self._find_modal(modal)
        opener = self.fake.state.interactions[record.interaction_id]
        who = user or self.fake.state.users[opener.user_id]
        ch = self.fake.state.channels[opener.channel_id]
        payload, invoker = self._base(5, who, ch)
        unknown = set(values) - set(record.field_ids())
        if unknown:
            raise CommandUsageError(f"modal {record.title!r} has no field(s) {sorted(unknown)}: {record.field_ids()}")
        payload["data"] = {
            "custom_id": record.custom_id,
            "components": [_submitted(c, values) for c in record.components],
        }
        source = self.fake.state.messages.get(opener.source_message_id or 0)
        if source is not None:
            payload["message"] = payloads.message(source, self.fake.state)
        return await self._dispatch(payload, invoker, ch, f"modal {record.title!r}", source=source, within=within)

    def _find_modal(self, custom_id: str) -> ModalRecord:
        for rec in reversed(list(self.fake.state.interactions.values())):
            if rec.modal is not None and rec.modal.custom_id == custom_id:
                return rec.modal
        raise CommandUsageError(f"the bot never opened a modal with custom_id {custom_id!r}")


def _submitted(comp: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """One submitted modal component, mirroring what the bot sent (legacy action row or Label)."""
    if comp.get("type") == 1:
        return {"type": 1, "components": [_submitted_input(c, values) for c in comp.get("components", [])]}
    if comp.get("type") == 18:
        return {"type": 18, "component": _submitted_input(comp["component"], values)}
    return {"type": comp.get("type")}


def _submitted_input(item: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    cid = item.get("custom_id")
    value = values.get(cid, item.get("value") or "")
    if item.get("type") != 4:
        chosen = value if isinstance(value, list) else [value]
        return {"type": item["type"], "custom_id": cid, "values": [str(v) for v in chosen if v != ""]}
    if not isinstance(value, str):
        raise CommandUsageError(f"text input {cid!r} takes a string, got {value!r}")
    lo, hi = item.get("min_length", 0), item.get("max_length", 4000)
    if item.get("required", True) and not value:
        raise CommandUsageError(f"text input {cid!r} is required")
    if value and not lo <= len(value) <= hi:
        raise CommandUsageError(f"text input {cid!r} takes {lo}..{hi} characters, got {len(value)}")
    return {"type": 4, "custom_id": cid, "value": value}
