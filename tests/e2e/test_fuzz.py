"""Property-based fuzzing of every registered command through the fake Discord (issue 10).

The commands are not listed here: every chat-command leaf, every option with autocomplete and every context
menu the bot **registered** with the fake is fuzzed, so a new command is covered the day it is added. For each
target, Hypothesis draws an invoker (a member, a moderator, a manager), their Discord language, the server's
set-up (configured, bare, or pointing at channels and roles that no longer exist), sometimes hostile stored
content, and option values from hostile strategies (``tests/e2e/strategies.py``). A modal the bot opens is
submitted with hostile values; a button or select on what it answered may be used as well.

Every interaction must be answered exactly once (no 40060, no 10062, no deferred answer left "thinking"),
inside Discord's limits (the fake rejects anything else), without an ERROR log record, without pinging anyone,
and ephemerally unless the command is listed in ``PUBLIC_REPLIES``.

The bot is started once per test function; one Hypothesis run per target executes in a worker thread and hands
each step to the bot's event loop. Profiles (registered in ``tests/conftest.py``): ``fuzz-default`` (a few
derandomised examples per target, for CI) and ``fuzz-long`` (``STEUNPUNT_FUZZ_PROFILE=long``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import re
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.app import SteunpuntBot
from bot.clock import FixedClock
from bot.domain.guild_settings import THEMES
from bot.domain.resources import make_draft
from bot.errors import DomainError
from bot.linkcheck import LinkChecker, LinkResult
from tests.e2e.strategies import (
    FuzzWorld,
    StepPlan,
    fit,
    hostile_text,
    js_trim,
    leaf_options,
    modal_values,
    select_values,
    step_plans,
)
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMember, FakeRole, FakeTimeoutError, StoredMessage
from tests.fakediscord import payloads as fake_payloads
from tests.fakediscord.constants import PUBLIC_THREAD, TEXT, VIEW_CHANNEL
from tests.fakediscord.results import InteractionResult

Env = tuple[FakeDiscord, SteunpuntBot]
Json = dict[str, Any]
T = TypeVar("T")

PROFILE = os.environ.get("STEUNPUNT_FUZZ_PROFILE", "default")
EXAMPLES = os.environ.get("STEUNPUNT_FUZZ_EXAMPLES")
SETTINGS = hypothesis_settings.get_profile(f"fuzz-{PROFILE}")
if EXAMPLES:
    SETTINGS = hypothesis_settings(SETTINGS, max_examples=int(EXAMPLES))
"""The profile's settings; STEUNPUNT_FUZZ_EXAMPLES overrides its examples per target."""
TIMEOUT = 900 if PROFILE == "default" else 4 * 3600
"""Seconds per test function (pytest-timeout); the default profile finishes far sooner."""

ANSWER_WITHIN = 3.0
"""Discord's deadline for the first answer to an interaction."""
SETTLE_WITHIN = 10.0
"""Seconds the bot may keep handling one interaction after its first answer."""
STEP_WITHIN = 60.0
"""Seconds one step of an example may take in all (a safety net for the Hypothesis thread)."""
MAX_FOLLOW = 3
"""How many interactions may follow the first one in an example (a modal submit, a click, its modal...)."""

PUBLIC_REPLIES: dict[str, tuple[str, Callable[[Json], bool]]] = {
    "faq show": (
        "an FAQ entry is shown to the channel (README: /faq show), unless the member asks `private`",
        lambda options: options.get("private") is not True,
    ),
}
"""Command leaves whose first answer may be public, why, and for which options. Everything else is personal."""

KINDS = ("member", "moderator", "manager")
LOCALES = ("nl", "en-GB", "en-US", "de", "ar")
BUSY_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-modal-dispatch",
    "discord-ui-dynamic-item",
    "discord.py: on_",
)
"""Names of the tasks in which discord.py and the bot handle an interaction or event (see `Fuzzer.settle`)."""
JOB_TASKS = ("steunpunt-jobs-kick",)
"""Names of the tasks in which the bot runs due jobs at once (see `SteunpuntBot.kick_jobs`)."""
JOBS_WITHIN = 2.0
"""Seconds `Fuzzer.settle` waits for such job runs (a queue card after a suggestion) before it moves on."""
MISSING = 1
"""A channel and role id that exists nowhere."""
EXAMPLE_INTERVAL = timedelta(minutes=5)
"""Time that passes on the bot's clock before each example (cool-downs end, jobs come due)."""
EDIT = re.compile(r"/channels/\d+/messages/(\d+)$")
"""The path of a channel message's edit."""
WEBHOOK = re.compile(r"/webhooks/\d+/([^/]+)")
"""The path of an interaction's follow-up, or of an edit of its response or a follow-up (by token)."""
HOSTILE_NAME = "@everyone \u202e[bank](https://evil.example) **x**"


# --- what was registered ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """A chat command leaf: its path ("faq show"), its top-level command and its own schema (options)."""

    path: str
    command: Json
    schema: Json

    def __repr__(self) -> str:
        return f"/{self.path}"


def command_leaves(commands: list[Json]) -> list[Leaf]:
    """Every chat command leaf the bot registered (subcommand groups walked)."""
    leaves: list[Leaf] = []

    def walk(command: Json, node: Json, path: list[str]) -> None:
        subs = [o for o in node.get("options") or [] if o.get("type") in (1, 2)]
        if not subs:
            leaves.append(Leaf(" ".join(path), command, node))
        for sub in subs:
            walk(command, sub, [*path, sub["name"]])

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command, command, [command["name"]])
    return leaves


def autocomplete_targets(leaves: list[Leaf]) -> list[tuple[Leaf, Json]]:
    """Every (leaf, option) registered with autocomplete."""
    return [(leaf, opt) for leaf in leaves for opt in leaf.schema.get("options") or [] if opt.get("autocomplete")]


def context_menus(commands: list[Json]) -> list[Json]:
    """Every user (type 2) and message (type 3) command."""
    return [c for c in commands if c.get("type", 1) in (2, 3)]


# --- the harness --------------------------------------------------------------------------------------------------


class LogTap(logging.Handler):
    """Keeps every record of WARNING or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def tapped_logs() -> Iterator[LogTap]:
    """A LogTap on the root logger for the duration of the block."""
    tap = LogTap()
    root = logging.getLogger()
    root.addHandler(tap)
    try:
        yield tap
    finally:
        root.removeHandler(tap)


def describe_record(record: logging.LogRecord) -> str:
    """A log record with its traceback, for a report."""
    text = f"{record.levelname} {record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(record.exc_info[1])).rstrip()
    return text


def describe_message(message: StoredMessage) -> str:
    """A message in one line: where, flags, pings and (shortened) what it says."""
    text = json.dumps({"content": message.content, "embeds": message.embeds}, ensure_ascii=False)
    return (
        f"message {message.id} in channel {message.channel_id} (ephemeral={message.ephemeral}, "
        f"pings={message.pings}): {text[:400]}"
    )


def short(value: Any) -> str:
    """repr, shortened for a report."""
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + f"... ({len(text)} characters)"


@dataclass
class Target:
    """One Hypothesis run: a name, and the example it runs with `st.data()`."""

    name: str
    example: Callable[[st.DataObject], None]


@dataclass
class Stats:
    """What one Hypothesis run did."""

    name: str
    examples: int = 0
    seconds: float = 0.0
    failure: str | None = None
    answers: Counter[str] = field(default_factory=Counter)
    """Interactions sent, by step and answer type (e.g. "slash→9", "modal→4", "click→7")."""


@dataclass
class Fuzzer:
    """The started bot, the fake, and the checks every interaction must pass."""

    fake: FakeDiscord
    bot: SteunpuntBot
    loop: asyncio.AbstractEventLoop
    world: FuzzWorld
    tap: LogTap
    clock: FixedClock
    stats: Stats = field(default_factory=lambda: Stats("setting up"))
    """The Hypothesis run in progress."""
    posted: set[int] = field(default_factory=set)
    """Messages the test itself posted as members (their pings are theirs, not the bot's)."""
    stored: int = 0
    _logs_seen: int = 0
    _failures_seen: int = 0
    _messages_seen: int = 0
    _requests_seen: int = 0

    # -- bridging the Hypothesis thread and the bot's loop --------------------------------------------------------
    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one step on the bot's event loop (called from the Hypothesis thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(STEP_WITHIN)

    async def run_targets(self, targets: list[Target]) -> list[Stats]:
        """One Hypothesis run per target, in a worker thread; every target runs, then all failures are reported."""
        assert targets, "nothing registered to fuzz: did the bot sync its commands?"
        only = os.environ.get("STEUNPUNT_FUZZ_ONLY", "")
        stats = [await asyncio.to_thread(self._run_target, target) for target in targets if only in target.name]
        total = sum(s.examples for s in stats)
        seconds = sum(s.seconds for s in stats)
        print(f"\nfuzz profile {PROFILE!r}: {len(stats)} targets, {total} examples in {seconds:.1f}s")  # noqa: T201
        for s in stats:
            answers = ", ".join(f"{k} {v}" for k, v in sorted(s.answers.items()))
            print(f"  {s.name}: {s.examples} examples, {s.seconds:.1f}s{' FAILED' if s.failure else ''} ({answers})")  # noqa: T201
        failed = [s for s in stats if s.failure]
        assert not failed, "\n\n".join(f"=== {s.name} ===\n{s.failure}" for s in failed)
        return stats

    def _run_target(self, target: Target) -> Stats:
        stat = self.stats = Stats(target.name)

        def counted(data: st.DataObject) -> None:
            stat.examples += 1
            try:
                target.example(data)
            except BaseException:
                self.run(self.close_example(failed=True))  # what it set off is not blamed on the next example
                raise
            self.run(self.close_example(failed=False))

        test = hypothesis_settings(SETTINGS)(given(st.data())(counted))
        started = time.monotonic()
        try:
            test()
        except Exception as exc:  # reported together with the other targets' results
            stat.failure = "".join(traceback.format_exception(exc))
        stat.seconds = time.monotonic() - started
        return stat

    # -- state of the world before an example -------------------------------------------------------------------------
    async def reset(self, config: str) -> None:
        """Let some time pass (cool-downs end, jobs come due) and put the server's settings back to one of the
        set-ups examples start from."""
        self.clock.advance(EXAMPLE_INTERVAL)
        world = self.fake.world
        configs: dict[str, Json] = {
            "configured": {
                "locale": None,
                "timezone": "Europe/Amsterdam",
                "moderator_role_id": world.moderator_role.id,
                "moderator_channel_id": world.moderators.id,
                "help_forum_id": world.forum.id,
                "digest_channel_id": world.general.id,
                "themes": THEMES,
            },
            "bare": {
                "locale": None,
                "timezone": "Europe/Amsterdam",
                "moderator_role_id": None,
                "moderator_channel_id": None,
                "help_forum_id": None,
                "digest_channel_id": None,
                "themes": THEMES,
            },
            "stale": {
                "locale": "en",
                "timezone": "Pacific/Kiritimati",
                "moderator_role_id": MISSING,
                "moderator_channel_id": MISSING,
                "help_forum_id": MISSING,
                "digest_channel_id": MISSING,
                "themes": (),
            },
        }
        await self.bot.services.guild_settings.update(self.fake.guild.id, **configs[config])

    async def seed(self, plan: Json) -> None:
        """Store hostile content the way members and moderators could (invalid content is simply refused)."""
        guild_id, services = self.fake.guild.id, self.bot.services
        kind = plan["kind"]
        try:
            self.stored += 1  # titles and addresses made unique, so the duplicate checks do not refuse them all
            if kind == "faq":
                suffix = f" {self.stored}"
                title = plan["title"][: 100 - len(suffix)] + suffix
                entry = await services.qa.faq_save(
                    guild_id, self.fake.moderator.id, title=title, body=plan["body"], aliases=plan["aliases"]
                )
                self.world.known_ids.append(entry.id)
                self.world.known_titles.append(entry.title)
            elif kind == "resource":
                host, path = plan["url"]
                draft = make_draft(
                    title=plan["title"],
                    url=f"https://{host}/{self.stored}/{path}",
                    summary=plan["summary"],
                    theme=plan["theme"],
                    type="guide",
                    language="nl",
                    publisher=plan["aliases"],
                    tags=plan["tags"],
                )
                resource = await services.library.suggest(guild_id, self.fake.alice.id, draft)
                self.world.known_ids.append(resource.id)
                self.world.known_titles.append(resource.title)
                if plan["status"] in ("approved", "archived"):
                    await services.library.approve(guild_id, resource.id, self.fake.moderator.id)
                if plan["status"] == "archived":
                    await services.library.archive(guild_id, resource.id, self.fake.moderator.id, plan["summary"])
            elif kind == "post":
                await self.forum_post(self.world.person(plan["author"]), plan["title"], plan["body"])
                self.world.known_titles.append(plan["title"])
        except DomainError as exc:
            self.stats.answers[f"seed {kind} refused ({exc.key})"] += 1
        else:
            self.stats.answers[f"seed {kind} stored"] += 1
        await self.settle()
        self.check_window(f"seeding {kind}", allowed_pings=set())

    async def forum_post(self, author: FakeMember, title: str, body: str) -> FakeChannel:
        """A member opens a help-forum post; returns once the bot has the thread."""
        thread = await self.fake.create_forum_post(author, title, body)
        self.posted.update(m.id for m in self.fake.messages(thread))
        await self.fake.wait_until(lambda: self.bot.get_channel(thread.id), what="the bot to see the new thread")
        return thread

    async def post(self, channel: FakeChannel, author: FakeMember, content: str) -> StoredMessage:
        """A member posts a message (the test's own, so its pings are not the bot's)."""
        message = await self.fake.post_message(channel, author, content)
        self.posted.add(message.id)
        return message

    # -- checks -------------------------------------------------------------------------------------------------------
    async def channel_at(self, place: str, command: Json, kind: str, who: FakeMember) -> FakeChannel:
        """The channel for one of ``PLACES`` (read and created on the loop, where the fake's state lives)."""
        fake = self.fake
        threads = [t for t in fake.threads(fake.world.forum) if not t.archived]
        if place == "moderators" and kind != "member":
            return fake.world.moderators
        if place == "help post" and threads:
            return threads[-1]
        if place == "dm" and dm_allowed(command):
            return fake.dm_channel(who)
        return fake.world.general

    async def autocomplete(
        self, path: str, option: str, typed: str, who: FakeMember, channel: FakeChannel, others: Json
    ) -> InteractionResult:
        """Type into an autocomplete option; the interaction (its choices are `result.choices`)."""
        offered = await self.fake.autocomplete(
            path, option, typed, user=who, channel=channel, options=others, within=ANSWER_WITHIN
        )
        return offered.result

    async def watermark(self) -> int:
        """An id smaller than that of every message created from now on."""
        return self.fake.state.ids.next()

    async def close_example(self, *, failed: bool) -> None:
        """The end of an example: check what it set off last (or, if it already failed, just consume that)."""
        await self.settle(strict=not failed)
        self.check_window("after the example", allowed_pings=set(), report=not failed)

    async def settle(self, *, strict: bool = True) -> None:
        """Wait until the bot has finished what it was doing: no interaction or event handler still runs and no
        request arrived for two polls (so a second answer or a late follow-up is seen by the checks). Background
        job runs (a queue card after a suggestion) are waited for up to ``JOBS_WITHIN``, then left running."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        me = asyncio.current_task()
        quiet, last = 0, len(self.fake.requests)
        while quiet < 2:
            await asyncio.sleep(0.005)
            waited = loop.time() - started
            tasks = [t.get_name() for t in asyncio.all_tasks() if t is not me and not t.done()]
            busy = [n for n in tasks if n.startswith(BUSY_TASKS) or (waited < JOBS_WITHIN and n.startswith(JOB_TASKS))]
            now = len(self.fake.requests)
            quiet = quiet + 1 if not busy and now == last else 0
            last = now
            if waited > SETTLE_WITHIN:
                if not strict:
                    return
                raise AssertionError(f"the bot was still busy {SETTLE_WITHIN}s after the step: {busy}")

    def _touched(self) -> list[StoredMessage]:
        """Messages created, edited, or filled (a deferred answer) since the last call, without rescanning them all
        (a long run stores tens of thousands). On Discord an edit pings nobody new; filling a deferred one does."""
        state = self.fake.state
        touched = {m.id: m for m in itertools.islice(state.messages.values(), self._messages_seen, None)}
        self._messages_seen = len(state.messages)
        requests = self.fake.requests[self._requests_seen :]
        self._requests_seen = len(self.fake.requests)
        for request in requests:
            hook = WEBHOOK.search(request.path)
            if hook is not None:  # an interaction's response filled, edited or followed up
                record = next((r for r in reversed(state.interactions.values()) if r.token == hook.group(1)), None)
                ids = [record.original_message_id or 0, *record.followup_ids] if record else []
            else:
                edit = EDIT.search(request.path) if request.method == "PATCH" else None
                ids = [int(edit.group(1))] if edit else []
            for message_id in ids:
                if (message := state.messages.get(message_id)) is not None:
                    touched[message.id] = message
        return list(touched.values())

    def check_window(self, label: str, *, allowed_pings: set[str], report: bool = True) -> None:
        """Everything since the last check: no ERROR record, nothing the fake rejected, and no ping in any message
        the bot sent or edited (a channel message may ping only ``allowed_pings``, never a role or everyone)."""
        problems: list[str] = []
        records = self.tap.records[self._logs_seen :]
        self._logs_seen = len(self.tap.records)
        problems += [f"logged {describe_record(r)}" for r in records if r.levelno >= logging.ERROR]
        failures = self.fake.failures[self._failures_seen :]
        del self.fake.failures[self._failures_seen :]  # reported here, with the example that caused them
        problems += [f"the fake recorded: {f}" for f in failures]
        bot_id = self.fake.state.bot_user.id
        for message in self._touched():
            if message.author_id != bot_id or message.id in self.posted:
                continue
            allowed = set() if message.interaction_id is not None else allowed_pings
            if set(message.pings) - allowed:
                problems.append(f"pings {sorted(set(message.pings) - allowed)}: {describe_message(message)}")
        if problems and report:
            warnings = [describe_record(r) for r in records if r.levelno < logging.ERROR]
            context = "\n  ".join(warnings[-5:])
            raise AssertionError(
                f"{label}:\n- " + "\n- ".join(problems) + (f"\n  warnings:\n  {context}" if warnings else "")
            )

    async def interact(
        self,
        step: str,
        label: str,
        action: Callable[[], Awaitable[InteractionResult]],
        *,
        answers: tuple[int, ...],
        public_ok: bool = False,
        allowed_pings: set[str] | None = None,
    ) -> InteractionResult:
        """Send one interaction and check it: answered once with one of ``answers``, a deferred answer filled,
        its messages ephemeral (unless ``public_ok``) and without pings, and the window checks."""
        problems: list[str] = []
        result: InteractionResult | None = None
        with self.fake.expect_violations(minimum=0) as rejected:
            try:
                result = await action()
            except FakeTimeoutError as exc:
                problems.append(f"no answer within {ANSWER_WITHIN}s ({exc})")
            await self.settle()
        problems += [f"Discord would reject: {v}" for v in rejected]
        self.stats.answers[f"{step}→{result.type if result else 'none'}"] += 1
        if result is not None:
            problems += self._check_answer(result, answers, public_ok)
        try:
            self.check_window(label, allowed_pings=allowed_pings or set())
        except AssertionError as exc:
            problems.append(str(exc))
        if problems:
            raise AssertionError(f"{label}\n- " + "\n- ".join(problems) + f"\nresult: {result!r}")
        assert result is not None
        return result

    def _check_answer(self, result: InteractionResult, answers: tuple[int, ...], public_ok: bool) -> list[str]:
        problems: list[str] = []
        accepted = [c for c in result.record.callbacks if c.accepted]
        if result.errors:
            problems.append(f"callbacks Discord refused: {[(c.type, c.status, c.code) for c in result.errors]}")
        if len(accepted) != 1:
            problems.append(f"{len(accepted)} accepted answers (one expected)")
        elif accepted[0].type not in answers:
            problems.append(f"answered with type {accepted[0].type}, expected one of {answers}")
        original = result.message
        if result.type == 5 and original is not None and original.loading and not result.record.followup_ids:
            problems.append("a deferred answer was never filled (the member sees 'thinking...' forever)")
        own = [] if result.type in (6, 7) else ([original] if original is not None else [])
        own += result.followups
        for message in own:
            if message.pings:
                problems.append(f"pings {message.pings}: {describe_message(message)}")
            public_allowed = public_ok and message is original and result.type in (4, 5)
            if not message.ephemeral and not public_allowed:
                problems.append(f"a personal answer is public: {describe_message(message)}")
        if result.type in (6, 7) and original is not None and original.pings:
            problems.append(f"an updated message pings {original.pings}: {describe_message(original)}")
        return problems

    # -- what an example may do after the first interaction ----------------------------------------------------------
    async def clickables(self, result: InteractionResult, since: int) -> list[tuple[StoredMessage, Json]]:
        """Buttons and selects on what the bot answered, and on channel messages it posted since ``since``."""
        messages = {m.id: m for m in result.messages}
        for message in reversed(self.fake.state.messages.values()):
            if message.id <= since:
                break
            if message.author_id == self.fake.state.bot_user.id and message.interaction_id is None:
                messages.setdefault(message.id, message)
        found: list[tuple[StoredMessage, Json]] = []
        for message in sorted(messages.values(), key=lambda m: m.id):
            if message.deleted:
                continue
            for comp in message.iter_components():
                if comp.get("type") in (2, 3, 5, 6, 7, 8) and "custom_id" in comp and not comp.get("disabled"):
                    found.append((message, comp))
        return found

    async def can_see(self, who: FakeMember, message: StoredMessage) -> bool:
        """Whether the member can see the channel of a message (Discord shows nothing to click otherwise)."""
        channel = self.fake.state.channels[message.channel_id]
        guild = self.fake.state.guild_of(channel)
        return guild is None or bool(self.fake.state.permissions(guild, who.user.id, channel) & VIEW_CHANNEL)

    def follow(self, plans: list[StepPlan], result: InteractionResult, who: FakeMember, since: int) -> None:
        """Continue an example as planned: submit the modal the bot opened, or use one of its buttons or selects."""
        for plan in plans:
            if result.record.modal is not None:
                modal = result.record.modal
                fields = modal_values(modal.components, plan, self.world)
                result = self.run(
                    self.interact(
                        "modal",
                        f"{who.user.username} submitting {modal.custom_id!r} with {short(fields)}",
                        partial(self.fake.submit_modal, modal, fields, user=who, within=ANSWER_WITHIN),
                        answers=(4, 5, 6, 7),
                        allowed_pings={who.user.mention},
                    )
                )
                continue
            candidates = self.run(self.clickables(result, since))
            if not candidates or not plan.use_component:
                return
            message, comp = candidates[plan.component % len(candidates)]
            who = who if message.visible_to is not None else self.world.person(plan.clicker)
            if not self.run(self.can_see(who, message)):
                return
            values = None if comp["type"] == 2 else select_values(comp, self.world, plan.picks)
            result = self.run(
                self.interact(
                    "click",
                    f"{who.user.username} using {comp['custom_id']!r} with {short(values)}",
                    partial(self.fake.click, message, comp["custom_id"], user=who, values=values, within=ANSWER_WITHIN),
                    answers=(4, 5, 6, 7, 9),
                    allowed_pings={who.user.mention},
                )
            )


# --- building the world and the examples ----------------------------------------------------------------------------


class OfflineLinkChecker(LinkChecker):
    """Stands in for the link checker, so fuzzing never reaches the internet: by its address, a link works, is
    gone (its resource goes back to review, with a queue card) or cannot be told."""

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """One made-up, repeatable outcome per address."""
        outcomes = (True, False, None)
        return [LinkResult(url, outcomes[zlib.crc32(url.encode()) % 3], "offline") for url in urls]


def place_name(channel: FakeChannel) -> str:
    """#name, or "a DM"."""
    return "a DM" if channel.guild_id is None else f"#{channel.name}"


def dm_allowed(command: Json) -> bool:
    """Whether Discord offers the command in a DM with the bot."""
    contexts = command.get("contexts")
    return (contexts is None or 1 in contexts) and command.get("dm_permission") is not False


async def build_world(fake: FakeDiscord, bot: SteunpuntBot) -> FuzzWorld:
    """Extend the fake's world with hostile names, a manager who is not the owner and a user outside the server,
    and open every command to everyone (as a server admin can), so the bot's own checks are what is tested."""
    guild, state, world = fake.guild, fake.state, fake.world
    links = bot.get_cog("LinkCheckCog")  # a class of a fresh module per start: discord.py reloads extensions
    assert isinstance(getattr(links, "checker", None), LinkChecker), "the link checker moved: keep fuzzing offline"
    links.checker = OfflineLinkChecker()  # type: ignore[union-attr]
    manager_role = FakeRole(state.ids.next(), "Beheer", 1 << 5, 1)  # MANAGE_GUILD
    hostile_role = FakeRole(state.ids.next(), HOSTILE_NAME, 0, 1, mentionable=True)
    for role in (manager_role, hostile_role):
        guild.roles[role.id] = role
        await fake.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": fake_payloads.role(role)})
    hostile_channel = state.add_channel(
        guild, TEXT, "\u202eʇxǝʇ-\u200b-kanaal", position=5, parent_id=world.category.id
    )
    await fake.dispatch("CHANNEL_CREATE", fake_payloads.channel(hostile_channel, state))
    manager = await fake.add_member("mara", locale="nl", roles=[manager_role])
    eve = await fake.add_member("eve", locale="de")
    eve.user.global_name = HOSTILE_NAME
    outsider = state.add_user("stranger", locale="fr")
    await fake.wait_until(
        lambda: (
            (g := bot.get_guild(guild.id)) is not None
            and g.get_role(hostile_role.id) is not None
            and g.get_channel(hostile_channel.id) is not None
        ),
        what="the bot to see the new role and channel",
    )
    solved = next(t["id"] for t in world.forum.available_tags if t["name"] == "solved")
    await bot.services.setup.remember_forum_tags(guild.id, world.forum.id, {"solved": solved})
    for command in fake.commands():
        fake.permission_overrides.add(command["name"])
    bot_member = guild.members[state.bot_user.id]
    roles = list(guild.roles.values())
    channels = [c for c in state.channels.values() if c.guild_id == guild.id]
    schema_names = [spec.name for spec in bot.services.guild_settings.schema]
    words = [
        *schema_names,
        *THEMES,
        "Europe/Amsterdam",
        "UTC",
        "Etc/GMT+14",
        "nl",
        "en",
        *(f"#{c.name}" for c in channels),
        *(f"@{r.name}" for r in roles),
        *(str(c.id) for c in channels),
        *(str(r.id) for r in roles),
    ]
    return FuzzWorld(
        members={
            "member": [world.alice, world.bob, eve],
            "moderator": [world.moderator],
            "manager": [manager, world.owner],
        },
        roles=roles,
        channels=channels,
        users=[world.alice, world.bob, world.moderator, world.owner, manager, eve, bot_member, outsider],
        words=words,
    )


URL_HOSTS = ("example.org", "WWW.Example.org:443", "user:pw@example.org", "例え.テスト", "xn--e1afmkfd.xn--p1ai")
URL_PATHS = (")" * 480, "a_(b)_[c]", "パス?q=a b&utm_source=x", "@everyone", "%29%29", "[x](https://evil.example)")


@st.composite
def seed_plans(draw: st.DrawFn, world: FuzzWorld) -> Json | None:
    """Hostile content to store before the command: an FAQ entry, a resource, a help-forum post, or nothing."""
    kind = draw(st.sampled_from(["none", "faq", "resource", "post"]), label="seed")
    if kind == "none":
        return None
    host = draw(st.sampled_from(URL_HOSTS), label="host")
    path = draw(st.one_of(st.sampled_from(URL_PATHS), hostile_text(world, 0, 60)), label="path")
    return {
        "kind": kind,
        "title": fit(js_trim(draw(hostile_text(world, 0, 100), label="title")), 3, 100),
        "body": fit(draw(hostile_text(world, 0, 1800), label="body"), 1, 1800),
        "summary": draw(hostile_text(world, 0, 1000), label="summary"),
        "aliases": draw(hostile_text(world, 0, 120), label="aliases"),
        "tags": draw(st.lists(hostile_text(world, 1, 30), max_size=8), label="tags"),
        "url": (host, path),
        "theme": draw(st.sampled_from(THEMES)),
        "status": draw(st.sampled_from(["pending", "approved", "archived"]), label="status"),
        "author": draw(st.sampled_from(world.names()), label="author"),
    }


def prepare(fuzzer: Fuzzer, data: st.DataObject) -> tuple[str, FakeMember]:
    """The common start of an example: who acts in which language, the server's set-up, stored content."""
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    who = fuzzer.world.person(data.draw(st.sampled_from(fuzzer.world.names(kind)), label="invoker"))
    who.user.locale = data.draw(st.sampled_from(LOCALES), label="locale")
    config = data.draw(st.sampled_from(["configured", "configured", "bare", "stale"]), label="set-up")
    plan = data.draw(seed_plans(fuzzer.world))
    fuzzer.run(fuzzer.reset(config))
    if plan is not None:
        fuzzer.run(fuzzer.seed(plan))
    return kind, who


PLACES = ("general", "moderators", "help post", "dm")


def where(fuzzer: Fuzzer, data: st.DataObject, command: Json, kind: str, who: FakeMember) -> FakeChannel:
    """A channel where Discord offers the command to this invoker: #general, #moderators (staff only), the
    latest help post, or a DM with the bot (if the command allows DMs); #general when the place is not there."""
    place = data.draw(st.sampled_from(PLACES), label="place")
    return fuzzer.run(fuzzer.channel_at(place, command, kind, who))


def follow_plans(fuzzer: Fuzzer, data: st.DataObject) -> list[StepPlan]:
    """Plans for the interactions that may follow the first one."""
    plan = step_plans(fuzzer.world)
    return data.draw(st.lists(plan, min_size=MAX_FOLLOW, max_size=MAX_FOLLOW), label="follow-ups")


def leaf_example(fuzzer: Fuzzer, leaf: Leaf) -> Callable[[st.DataObject], None]:
    """Invoke one command leaf with hostile options (autocomplete options sometimes chosen from the bot's own
    suggestions for hostile typing), then follow up on what it answered."""

    def example(data: st.DataObject) -> None:
        kind, who = prepare(fuzzer, data)
        channel = where(fuzzer, data, leaf.command, kind, who)
        options = data.draw(leaf_options(leaf.schema, fuzzer.world), label="options")
        picks: dict[str, tuple[str, int]] = {}
        for opt in leaf.schema.get("options") or []:
            if opt.get("autocomplete") and opt["name"] in options and data.draw(st.booleans(), label="pick"):
                typed = data.draw(hostile_text(fuzzer.world, 0, opt.get("max_length", 100)), label="typed")
                picks[opt["name"]] = (typed, data.draw(st.integers(0, 24), label="choice"))
        plans = follow_plans(fuzzer, data)
        for opt in leaf.schema.get("options") or []:
            if opt["name"] in picks:
                typed, choice = picks[opt["name"]]
                others = {k: v for k, v in options.items() if k != opt["name"]}
                offered = fuzzer.run(
                    fuzzer.interact(
                        "autocomplete",
                        f"autocomplete /{leaf.path} {opt['name']}={typed!r}",
                        partial(fuzzer.autocomplete, leaf.path, opt["name"], typed, who, channel, others),
                        answers=(8,),
                    )
                )
                if offered.choices:
                    options[opt["name"]] = offered.choices[choice % len(offered.choices)]["value"]
        _, allows_public = PUBLIC_REPLIES.get(leaf.path, ("", lambda _: False))
        since = fuzzer.run(fuzzer.watermark())
        result = fuzzer.run(
            fuzzer.interact(
                "slash",
                f"{who.user.username} ({kind}) in {place_name(channel)}: /{leaf.path} {short(options)}",
                lambda: fuzzer.fake.slash(leaf.path, user=who, channel=channel, options=options, within=ANSWER_WITHIN),
                answers=(4, 5, 9),
                public_ok=allows_public(options),
                allowed_pings={who.user.mention},
            )
        )
        fuzzer.follow(plans, result, who, since)

    return example


def autocomplete_example(fuzzer: Fuzzer, leaf: Leaf, opt: Json) -> Callable[[st.DataObject], None]:
    """Type hostile text into one autocomplete option, with hostile values in the other options."""

    def example(data: st.DataObject) -> None:
        kind, who = prepare(fuzzer, data)
        channel = where(fuzzer, data, leaf.command, kind, who)
        others = data.draw(leaf_options(leaf.schema, fuzzer.world, skip=[opt["name"]]), label="other options")
        others = {k: v for k, v in others.items() if data.draw(st.booleans(), label=f"send {k}")}
        typed = data.draw(hostile_text(fuzzer.world, 0, opt.get("max_length", 100)), label="typed")
        fuzzer.run(
            fuzzer.interact(
                "autocomplete",
                f"{who.user.username} ({kind}) typing {typed!r} into /{leaf.path} {opt['name']} with {short(others)}",
                partial(fuzzer.autocomplete, leaf.path, opt["name"], typed, who, channel, others),
                answers=(8,),
            )
        )

    return example


def context_menu_example(fuzzer: Fuzzer, command: Json) -> Callable[[st.DataObject], None]:
    """Use a context menu on a hostile message (in a help post, a channel, or one of the bot's own) or member."""

    def example(data: st.DataObject) -> None:
        kind, who = prepare(fuzzer, data)
        world = fuzzer.world
        target: StoredMessage | FakeMember
        allowed = {who.user.mention}
        if command.get("type") == 2:
            target = world.person(data.draw(st.sampled_from(world.names()), label="target"))
            channel = fuzzer.fake.world.general
        else:
            place = data.draw(st.sampled_from(["new help post", "latest help post", "general", "bot's own"]))
            author = world.person(data.draw(st.sampled_from(world.names()), label="author"))
            asker = who if data.draw(st.booleans(), label="the invoker asked") else author
            content = fit(data.draw(hostile_text(world, 0, 2000), label="content"), 1, 2000)
            title = fit(js_trim(data.draw(hostile_text(world, 0, 100), label="title")), 1, 100)
            target = fuzzer.run(message_target(fuzzer, place, asker, author, title, content))
            allowed.add(f"<@{target.author_id}>")
            channel = fuzzer.fake.state.channels[target.channel_id]
        plans = follow_plans(fuzzer, data)
        since = fuzzer.run(fuzzer.watermark())
        result = fuzzer.run(
            fuzzer.interact(
                "menu",
                f"{who.user.username} ({kind}) using {command['name']!r} on {short(target)}",
                lambda: fuzzer.fake.context_menu(
                    command["name"], target, user=who, channel=channel, within=ANSWER_WITHIN
                ),
                answers=(4, 5, 9),
                allowed_pings=allowed,
            )
        )
        fuzzer.follow(plans, result, who, since)

    return example


async def message_target(
    fuzzer: Fuzzer, place: str, asker: FakeMember, author: FakeMember, title: str, content: str
) -> StoredMessage:
    """A message by ``author`` to use a message command on (in a help post ``asker`` opened, if it is new)."""
    fake = fuzzer.fake
    if place == "bot's own":
        own = [
            m
            for m in fake.state.messages.values()
            if m.author_id == fake.state.bot_user.id and not m.ephemeral and not m.deleted
        ]
        if own:
            return own[-1]
        place = "general"
    if place == "general":
        return await fuzzer.post(fake.world.general, author, content)
    threads = [t for t in fake.threads(fake.world.forum) if t.type == PUBLIC_THREAD]
    thread = threads[-1] if place == "latest help post" and threads else None
    if thread is None:
        thread = await fuzzer.forum_post(asker, title, "?")
    return await fuzzer.post(thread, author, content)


@contextlib.asynccontextmanager
async def fuzzing(env: Env, clock: FixedClock) -> Any:
    """A Fuzzer on the started bot, with a log tap for the duration."""
    fake, bot = env
    world = await build_world(fake, bot)
    with tapped_logs() as tap:
        fuzzer = Fuzzer(fake, bot, asyncio.get_running_loop(), world, tap, clock)
        await fuzzer.reset("configured")
        await fuzzer.settle()
        fuzzer.check_window("setting up the fuzzing world", allowed_pings=set())
        yield fuzzer


# --- the tests ------------------------------------------------------------------------------------------------------

pytestmark = pytest.mark.timeout(TIMEOUT)


async def test_every_command_leaf_survives_hostile_options(steunpunt: Env, clock: FixedClock) -> None:
    """Every registered command leaf, by members, moderators and managers with hostile options, answers once."""
    async with fuzzing(steunpunt, clock) as fuzzer:
        leaves = command_leaves(fuzzer.fake.commands())
        assert set(PUBLIC_REPLIES) <= {leaf.path for leaf in leaves}, "PUBLIC_REPLIES names a command that is gone"
        await fuzzer.run_targets([Target(f"/{leaf.path}", leaf_example(fuzzer, leaf)) for leaf in leaves])


async def test_every_autocomplete_survives_hostile_typing(steunpunt: Env, clock: FixedClock) -> None:
    """Every option registered with autocomplete answers hostile typing once, with choices within limits."""
    async with fuzzing(steunpunt, clock) as fuzzer:
        targets = autocomplete_targets(command_leaves(fuzzer.fake.commands()))
        await fuzzer.run_targets(
            [Target(f"/{leaf.path} {opt['name']}", autocomplete_example(fuzzer, leaf, opt)) for leaf, opt in targets]
        )


async def test_every_context_menu_survives_hostile_targets(steunpunt: Env, clock: FixedClock) -> None:
    """Every user and message command, used on hostile messages and members, answers once and pings nobody."""
    async with fuzzing(steunpunt, clock) as fuzzer:
        menus = context_menus(fuzzer.fake.commands())
        await fuzzer.run_targets([Target(repr(c["name"]), context_menu_example(fuzzer, c)) for c in menus])
