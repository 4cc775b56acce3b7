"""Dataclasses of questions and answers: FAQ entries and help-forum posts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """A curated question with its answer; ``aliases`` are other names members may type."""

    id: int
    guild_id: int
    title: str
    body: str
    aliases: tuple[str, ...]
    theme: str | None
    lang: str | None
    created_by: int
    updated_by: int
    uses: int = 0
    thread_id: int | None = None
    created_at: str = ""
    updated_at: str = ""
    version: int = 1
    """Incremented by every edit; an edit based on an older version is refused."""


@dataclass(frozen=True, slots=True)
class HelpPost:
    """A question posted in the help forum, and its accepted answer once solved."""

    thread_id: int
    guild_id: int
    forum_id: int
    author_id: int
    title: str
    body: str = ""
    status: str = "open"
    suggestion_message_id: int | None = None
    answer_message_id: int | None = None
    answer_author_id: int | None = None
    answer_text: str | None = None
    solved_by: int | None = None
    solved_at: str | None = None
    created_at: str = ""

    @property
    def solved(self) -> bool:
        """Whether an answer was accepted."""
        return self.status == "solved"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: list[T]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Gaps:
    """What the community lacks, for moderators: questions nobody could answer yet."""

    days: int
    searches: int
    searches_without_result: int
    no_result: list[tuple[str, int]]
    not_useful: list[tuple[str, int]]
    open_posts: int
    oldest_open: str | None
    helpful: int
    unhelpful: int
