"""Typed errors. Domain errors carry an i18n key and parameters, never English text; no discord import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ConfigError(Exception):
    """Start-up cannot continue: settings, database or migrations are wrong. The message is for the admin."""


class DomainError(Exception):
    """A rule of the domain was broken. ``key`` names a catalogue message, ``params`` fill its placeholders."""

    def __init__(self, key: str, *, details: Sequence[DomainError] = (), **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.details = tuple(details)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.params!r})"


class NotFound(DomainError):
    """The thing asked for does not exist (in this server)."""


class Forbidden(DomainError):
    """The member may not do this."""


class Invalid(DomainError):
    """The input is not acceptable."""


class Conflict(DomainError):
    """The change clashes with what is stored (a duplicate, a stale edit)."""


class RateLimited(DomainError):
    """The member is doing this too often."""
