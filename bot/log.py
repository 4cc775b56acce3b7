"""Logging set-up: discord.py's handler on the root logger, our format, noisy loggers quietened.

discord.py warns at every start that voice is unsupported (PyNaCl and davey are missing); Steunpunt has no
voice, so those two warnings are dropped.
"""

from __future__ import annotations

import logging

import discord

_QUIET = ("discord.gateway", "discord.client", "discord.http", "aiosqlite")


class _RedactingFilter(logging.Filter):
    """Drops the token from any log record that would contain it (defence in depth)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret and self._secret in record.getMessage():
            record.msg = record.getMessage().replace(self._secret, "[token redacted]")
            record.args = None
        return True


class _NoVoiceWarningFilter(logging.Filter):
    """Drops discord.py's "voice will NOT be supported" warnings: the bot has no voice features."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "discord.client" and "voice will NOT be supported" in str(record.msg))


def setup_logging(level: str, *, secret: str = "") -> None:
    """Log to stderr at ``level``; discord.py's chatty loggers stay at WARNING unless DEBUG is asked for."""
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(_RedactingFilter(secret))
        handler.addFilter(_NoVoiceWarningFilter())
    if level != "DEBUG":
        for name in _QUIET:
            logging.getLogger(name).setLevel(logging.WARNING)
