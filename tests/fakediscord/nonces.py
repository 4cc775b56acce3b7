"""Message nonces: `enforce_nonce` makes a resend within a few minutes return the message already created."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

NONCE_WINDOW = 300.0
"""Seconds a nonce is remembered (Discord: "the past few minutes"; the fake uses 5 minutes of its own clock)."""

Key = tuple[int, int, str]


class NonceStore:
    """The nonces of messages created in the last `window` seconds, per (channel, author, nonce).

    Discord (resources/message.mdx, Create Message): "If `enforce_nonce` is set to true and a message was created by
    the same author with the same nonce in the past few minutes, that message will be returned and no new message
    will be created." A message created without `enforce_nonce` is remembered too: a later resend that enforces it
    finds it. Lookups and pruning are O(1) amortized.
    """

    def __init__(self, clock: Callable[[], float], window: float = NONCE_WINDOW) -> None:
        self.clock = clock
        self.window = window
        self._seen: dict[Key, tuple[int, float]] = {}
        self._order: deque[tuple[float, Key]] = deque()

    def remember(self, channel_id: int, author_id: int, nonce: str | int, message_id: int) -> None:
        """Note that `message_id` was created with this nonce now."""
        now = self.clock()
        key = (channel_id, author_id, str(nonce))
        self._seen[key] = (message_id, now)
        self._order.append((now, key))
        self._prune(now)

    def find(self, channel_id: int, author_id: int, nonce: str | int) -> int | None:
        """The id of the message created with this nonce within the window, if any."""
        hit = self._seen.get((channel_id, author_id, str(nonce)))
        if hit is None or self.clock() - hit[1] > self.window:
            return None
        return hit[0]

    def _prune(self, now: float) -> None:
        order = self._order
        while order and now - order[0][0] > self.window:
            at, key = order.popleft()
            if self._seen.get(key, (0, None))[1] == at:
                del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)
