"""Turn test arguments into interaction options, strictly following the schema the bot registered."""

from __future__ import annotations

from typing import Any

from . import payloads
from .records import StoredAttachment
from .state import FakeChannel, FakeFile, FakeGuild, FakeMember, FakeRole, FakeState, FakeUser

SUB, GROUP = 1, 2
TYPE_NAMES = {
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
    7: "CHANNEL",
    8: "ROLE",
    9: "MENTIONABLE",
    10: "NUMBER",
    11: "ATTACHMENT",
}


class CommandUsageError(ValueError):
    """The test asked for something the registered command does not allow."""


class OptionBuilder:
    """Builds `data.options` and `data.resolved` for one interaction."""

    def __init__(self, state: FakeState, guild: FakeGuild | None, http_base: str, label: str, invoker: int) -> None:
        self.state, self.guild, self.http_base, self.label, self.invoker = state, guild, http_base, label, invoker
        self.resolved: dict[str, dict[str, Any]] = {}

    def walk(self, command: dict[str, Any], parts: list[str]) -> tuple[list[Any], list[Any], dict[str, Any]]:
        """Follow subcommand group/subcommand names; returns (top-level options, leaf option list, leaf schema)."""
        top: list[dict[str, Any]] = []
        current, node = top, command
        for part in parts:
            subs = [o for o in node.get("options") or [] if o.get("type") in (SUB, GROUP)]
            match = next((o for o in subs if o["name"] == part), None)
            if match is None:
                names = [o["name"] for o in subs]
                raise CommandUsageError(f"{self.label}: no subcommand {part!r}; registered: {names}")
            entry: dict[str, Any] = {"name": part, "type": match["type"], "options": []}
            current.append(entry)
            current, node = entry["options"], match
        leftover = [o["name"] for o in node.get("options") or [] if o.get("type") in (SUB, GROUP)]
        if leftover:
            raise CommandUsageError(f"{self.label} needs a subcommand: one of {leftover}")
        return top, current, node

    def fill(
        self, into: list[dict[str, Any]], schema: dict[str, Any], values: dict[str, Any], *, focused: str | None = None
    ) -> None:
        """Coerce each value per the registered option and append it; checks unknown and required options."""
        registered = {o["name"]: o for o in schema.get("options") or []}
        for name, value in values.items():
            opt = registered.get(name)
            if opt is None:
                raise CommandUsageError(f"{self.label}: no option {name!r}; registered: {list(registered)}")
            if name == focused:
                if not opt.get("autocomplete"):
                    raise CommandUsageError(f"{self.label}: option {name!r} was not registered with autocomplete")
                raw = value if isinstance(value, str | int | float) else str(value)
                into.append({"name": name, "type": opt["type"], "value": raw, "focused": True})
                continue
            into.append({"name": name, "type": opt["type"], "value": self.coerce(opt, value)})
        if focused is None:
            missing = [n for n, o in registered.items() if o.get("required") and n not in values]
            if missing:
                raise CommandUsageError(f"{self.label}: required option(s) missing: {missing}")

    def coerce(self, opt: dict[str, Any], value: Any) -> Any:
        """One option value as Discord would send it (ids as strings), filling `resolved` where needed."""
        type_, name = opt["type"], opt["name"]
        where = f"{self.label} option {name!r} ({TYPE_NAMES.get(type_, type_)})"
        if type_ == 3 and isinstance(value, str):
            lo, hi = opt.get("min_length", 0), opt.get("max_length", 6000)
            if not lo <= len(value) <= hi:
                raise CommandUsageError(f"{where}: length {len(value)} outside {lo}..{hi}")
        elif type_ in (4, 10) and isinstance(value, int | float) and not isinstance(value, bool):
            if type_ == 4 and not isinstance(value, int):
                raise CommandUsageError(f"{where}: {value!r} is not an integer")
            lo, hi = opt.get("min_value", -(2**53)), opt.get("max_value", 2**53)
            if not lo <= value <= hi:
                raise CommandUsageError(f"{where}: {value} outside {lo}..{hi}")
        elif type_ == 5 and isinstance(value, bool):
            pass
        elif type_ in (6, 7, 8, 9, 11):
            return str(self._resolve(type_, value, opt, where))
        else:
            raise CommandUsageError(f"{where}: wrong type {type(value).__name__} for value {value!r}")
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise CommandUsageError(f"{where}: {value!r} is not a registered choice {[c['value'] for c in choices]}")
        return value

    def _resolve(self, type_: int, value: Any, opt: dict[str, Any], where: str) -> int:
        if type_ in (6, 9) and isinstance(value, FakeMember | FakeUser):
            return self.user(value)
        if type_ in (8, 9) and isinstance(value, FakeRole):
            self.resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
            return value.id
        if type_ == 7 and isinstance(value, FakeChannel):
            allowed = opt.get("channel_types")
            if allowed and value.type not in allowed:
                raise CommandUsageError(f"{where}: channel type {value.type} not in channel_types {allowed}")
            self.channel(value)
            return value.id
        if type_ == 11 and isinstance(value, FakeFile):
            return self.attachment(value).id
        raise CommandUsageError(f"{where}: wrong type {type(value).__name__} for value {value!r}")

    def user(self, who: FakeMember | FakeUser) -> int:
        """Add a user (and their member object, if in the guild) to `resolved`."""
        user = who.user if isinstance(who, FakeMember) else who
        self.resolved.setdefault("users", {})[str(user.id)] = payloads.user(user)
        member = self.guild.members.get(user.id) if self.guild else None
        if member is not None and self.guild is not None:
            data = payloads.member(member, with_user=False)
            data["permissions"] = str(self.state.permissions(self.guild, user.id))
            self.resolved.setdefault("members", {})[str(user.id)] = data
        return user.id

    def channel(self, ch: FakeChannel) -> int:
        """Add a partial channel (with the invoking member's permissions) to `resolved`."""
        data = {
            k: v
            for k, v in payloads.channel(ch, self.state).items()
            if k in ("id", "name", "type", "parent_id", "thread_metadata", "guild_id")
        }
        data["permissions"] = str(self.state.permissions(self.guild, self.invoker, ch)) if self.guild else "0"
        self.resolved.setdefault("channels", {})[str(ch.id)] = data
        return ch.id

    def attachment(self, upload: FakeFile) -> StoredAttachment:
        """Store an uploaded file, serve it at /attachments/{id}/{filename}, add it to `resolved`."""
        att_id = self.state.ids.next()
        att = StoredAttachment(
            att_id,
            upload.filename,
            upload.data,
            f"{self.http_base}/attachments/{att_id}/{upload.filename}",
            upload.content_type,
        )
        self.state.attachments[att_id] = att
        self.resolved.setdefault("attachments", {})[str(att_id)] = {**att.payload(), "ephemeral": True}
        return att
