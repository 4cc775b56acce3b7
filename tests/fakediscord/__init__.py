"""A wire-level fake Discord (REST + gateway) for end-to-end tests of a real, unmodified discord.py client.

See tests/README.md for a ten-line example and the API summary.
"""

from .options import CommandUsageError
from .ratelimits import BucketSpec, RateStats
from .records import ModalRecord, StoredMessage
from .results import Choices, InteractionResult
from .server import BotCrashedError, FakeDiscord, FakeTimeoutError
from .state import FakeChannel, FakeFile, FakeGuild, FakeMember, FakeRole, FakeUser
from .validation import Violation

__all__ = [
    "BotCrashedError",
    "BucketSpec",
    "Choices",
    "CommandUsageError",
    "FakeChannel",
    "FakeDiscord",
    "FakeFile",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeTimeoutError",
    "FakeUser",
    "InteractionResult",
    "ModalRecord",
    "RateStats",
    "StoredMessage",
    "Violation",
]
