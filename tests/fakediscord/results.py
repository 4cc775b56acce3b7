"""What the bot did with one interaction: the result object tests inspect and wait on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import CallbackRecord, InteractionRecord, ModalRecord, StoredMessage

if TYPE_CHECKING:
    from .gateway import Delivery
    from .server import FakeDiscord


class InteractionResult:
    """What the bot did with one interaction: its callback, and the messages members see because of it."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self.fake, self.record = fake, record
        self.delivery: Delivery = "sent"
        """What the gateway did with the INTERACTION_CREATE: "sent", "buffered" (client away) or "lost"."""
        self._seen_followups = 0
        source = fake.state.messages.get(record.source_message_id or 0)
        self._source_edits = len(source.edits) if source else 0

    def __repr__(self) -> str:
        return f"<InteractionResult type={self.type} errors={[e.code for e in self.errors]} messages={self.messages}>"

    @property
    def callback(self) -> CallbackRecord | None:
        """The accepted initial response (type and data), or None."""
        return next((c for c in self.record.callbacks if c.accepted), None)

    @property
    def type(self) -> int | None:
        """The accepted callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal)."""
        return self.callback.type if self.callback else None

    @property
    def data(self) -> dict[str, Any] | None:
        """The accepted callback's data."""
        return self.callback.data if self.callback else None

    @property
    def errors(self) -> list[CallbackRecord]:
        """Rejected callback attempts (status and Discord error code, e.g. 10062, 40060, 50035)."""
        return [c for c in self.record.callbacks if not c.accepted]

    @property
    def modal(self) -> ModalRecord:
        """The modal the bot opened (AssertionError if it did not)."""
        assert self.record.modal is not None, f"the bot did not open a modal: {self!r}"
        return self.record.modal

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The autocomplete choices the bot returned ([] if none)."""
        return list(self.record.choices or [])

    @property
    def message(self) -> StoredMessage | None:
        """The response message: the new one (type 4/5) or the updated component message (6/7)."""
        return self.fake.state.messages.get(self.record.original_message_id or 0)

    @property
    def followups(self) -> list[StoredMessage]:
        """Follow-ups (a follow-up that replaced a deferred "thinking" message is included)."""
        return [self.fake.state.messages[i] for i in self.record.followup_ids]

    @property
    def messages(self) -> list[StoredMessage]:
        """Every message the invoking member sees because of this interaction, in order, minus deleted ones."""
        ids = ([self.record.original_message_id] if self.record.original_message_id else []) + self.record.followup_ids
        return [self.fake.state.messages[i] for i in dict.fromkeys(ids) if not self.fake.state.messages[i].deleted]

    @property
    def ephemeral(self) -> bool:
        """The response message is ephemeral."""
        return bool(self.message and self.message.ephemeral)

    @property
    def content(self) -> str:
        """The response message's content ("" if none)."""
        return self.message.content if self.message else ""

    async def wait_followup(self, within: float | None = None) -> StoredMessage:
        """The next follow-up (or the edit that fills a deferred response), waiting for it."""

        def ready() -> StoredMessage | None:
            if len(self.record.followup_ids) > self._seen_followups:
                return self.fake.state.messages[self.record.followup_ids[self._seen_followups]]
            return None

        msg = await self.fake.wait_until(ready, within=within, what="a follow-up message")
        self._seen_followups += 1
        return msg

    async def final(self, within: float | None = None) -> StoredMessage:
        """The last visible message once the response is complete (a deferred response filled or followed up)."""

        def done() -> StoredMessage | None:
            msg = self.message
            if self.record.followup_ids:
                return self.fake.state.messages[self.record.followup_ids[-1]]
            if self.type in (4, 7) or (self.type == 5 and msg is not None and not msg.loading):
                return msg
            if self.type == 6 and msg is not None and len(msg.edits) > self._source_edits:
                return msg
            return None

        return await self.fake.wait_until(done, within=within, what="the final response message")


class Choices(list[dict[str, Any]]):
    """Autocomplete choices (a list), with the full `result` attached."""

    result: InteractionResult
