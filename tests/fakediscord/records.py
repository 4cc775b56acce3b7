"""Records of what happened: messages (with attachments and pings), registered commands and interactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .constants import EPHEMERAL, LOADING, now_iso


@dataclass
class StoredAttachment:
    """An attachment as stored by the fake and served at `url`."""

    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    def payload(self) -> dict[str, Any]:
        """The Discord attachment object."""
        out: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            out["content_type"] = self.content_type
        if self.description is not None:
            out["description"] = self.description
        return out

    def text(self, encoding: str = "utf-8") -> str:
        """The file's content decoded as text."""
        return self.data.decode(encoding)


@dataclass
class StoredMessage:
    """A message as members would see it (plus what it would have pinged)."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    attachments: list[StoredAttachment] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    pings: list[str] = field(default_factory=list)
    timestamp: str = field(default_factory=now_iso)
    edited_timestamp: str | None = None
    pinned: bool = False
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)
    type: int = 0
    webhook_id: int | None = None
    interaction_id: int | None = None
    visible_to: int | None = None
    message_reference: dict[str, Any] | None = None
    tts: bool = False
    nonce: str | int | None = None

    @property
    def ephemeral(self) -> bool:
        """Only the invoking user sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Still the "Bot is thinking..." placeholder of a deferred response."""
        return bool(self.flags & LOADING)

    def iter_components(self) -> list[dict[str, Any]]:
        """Every component, flattened (rows, containers and labels are walked)."""
        out: list[dict[str, Any]] = []
        stack = list(reversed(self.components))
        while stack:
            comp = stack.pop()
            out.append(comp)
            children = list(comp.get("components", []))
            if "component" in comp:
                children.append(comp["component"])
            if "accessory" in comp:
                children.append(comp["accessory"])
            stack.extend(reversed(children))
        return out

    @property
    def custom_ids(self) -> list[str]:
        """The custom_ids of all interactive components, in order."""
        return [c["custom_id"] for c in self.iter_components() if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any]:
        """The component with this custom_id (a clear KeyError otherwise).

        The bot stamps the ids of its short-lived views (``page:next~<view>~<command>``, so an old button can
        say it expired); the unstamped id finds them too.
        """
        for comp in self.iter_components():
            if comp.get("custom_id") == custom_id:
                return comp
        for comp in self.iter_components():
            if str(comp.get("custom_id", "")).startswith(custom_id + "~"):
                return comp
        raise KeyError(f"message {self.id} has no component {custom_id!r}; it has {self.custom_ids}")

    @property
    def embed_text(self) -> str:
        """All embed titles, descriptions, fields, footers and authors joined by newlines (for asserts)."""
        parts: list[str] = []
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f.get('name', '')}\n{f.get('value', '')}" for f in embed.get("fields", [])]
            parts += [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]
        return "\n".join(p for p in parts if p)

    @property
    def text(self) -> str:
        """Content plus embed text: everything a reader sees."""
        return "\n".join(p for p in (self.content, self.embed_text) if p)

    def attachment(self, filename: str) -> StoredAttachment:
        """The attachment with this filename."""
        for att in self.attachments:
            if att.filename == filename:
                return att
        raise KeyError(f"message {self.id} has no attachment {filename!r}: {[a.filename for a in self.attachments]}")


@dataclass
class RegisteredCommand:
    """An application command as the bot registered it (the ApplicationCommand object the fake returned)."""

    data: dict[str, Any]
    guild_id: int | None

    @property
    def name(self) -> str:
        """The default (unlocalized) name."""
        return str(self.data["name"])

    @property
    def type(self) -> int:
        """1 chat input, 2 user, 3 message."""
        return int(self.data.get("type", 1))


@dataclass
class CallbackRecord:
    """One callback attempt the bot made for an interaction."""

    type: int
    data: dict[str, Any] | None
    status: int
    code: int | None = None
    response: dict[str, Any] | None = None
    received_at: float = 0.0
    """Loop time when the request arrived, before the fake checked it (for latency figures)."""

    @property
    def accepted(self) -> bool:
        """Discord answered 2xx."""
        return self.status < 300


@dataclass
class ModalRecord:
    """A modal the bot opened (type-9 callback), ready for `fake.submit_modal`."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]
    interaction_id: int

    def value(self, custom_id: str) -> str | None:
        """The prefilled value of one text input (what the member sees before typing)."""
        for comp in self.components:
            inner = comp.get("components", []) + ([comp["component"]] if "component" in comp else [])
            for item in inner:
                if item.get("custom_id") == custom_id:
                    return item.get("value")
        raise KeyError(f"modal {self.title!r} has no field {custom_id!r}")

    def field_ids(self) -> list[str]:
        """The custom_ids of the modal's inputs."""
        out: list[str] = []
        for comp in self.components:
            inner = comp.get("components", []) + ([comp["component"]] if "component" in comp else [])
            out += [c["custom_id"] for c in inner if "custom_id" in c]
        return out


@dataclass
class InteractionRecord:
    """An interaction the fake dispatched, and everything the bot did with it."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    payload: dict[str, Any]
    dispatched_at: float
    callbacks: list[CallbackRecord] = field(default_factory=list)
    response_type: int | None = None
    original_message_id: int | None = None
    source_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: ModalRecord | None = None
    choices: list[dict[str, Any]] | None = None

    @property
    def acknowledged(self) -> bool:
        """A callback was accepted."""
        return self.response_type is not None
