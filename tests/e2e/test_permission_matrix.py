"""The permission matrix (issue 10): every moderator and manager action, invoked by a plain member.

Discord's default permission gate (``default_member_permissions``) is lifted first, as a server admin can do
under Server Settings → Integrations; the fake's ``permission_overrides`` is that switch. Each row of
:data:`CASES` is one action: a slash command, a button or select, a context menu, or a modal submitted with
the custom_id of a modal the bot opened for a moderator (a forged submission; discord.py 2.7 finds modals by
custom_id alone). For every row the member gets exactly one answer, ephemeral, with the localised refusal
(Dutch for alice, English for bob), and nothing changes: not a row of any table, not a message, and the bot
makes no request to Discord but the answer.

Adding a moderator action is one line in :data:`CASES`; a new thing the rows need (a message, an id) is one
arranger in :data:`ARRANGERS`. The meta-checks fail when a command with ``default_member_permissions``, a
command, a persistent button or a modal of the cogs is neither in the table nor declared member-facing.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import string
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import discord
import pytest

from bot.app import EXTENSIONS, SteunpuntBot
from bot.domain.collab.models import Draft
from bot.domain.resources import make_draft
from bot.linkcheck import LinkChecker, LinkResult
from bot.ui.base import BaseModal
from cogs.collab._modals import CollabEditModal
from cogs.qa._gaps import GapDismissModal
from cogs.qa._modals import FaqModal
from cogs.resources._modals import DecisionModal, EditModal
from cogs.setup._wizard import ValueModal
from tests.e2e.conftest import handlers_done
from tests.fakediscord import CommandUsageError, FakeDiscord, FakeFile, FakeMember, InteractionResult, StoredMessage

Act = Callable[[FakeMember], Awaitable[InteractionResult]]
Snapshot = dict[str, list[tuple[Any, ...]]]

NOT_MODERATOR = "errors.not_moderator"
NOT_MANAGER = "errors.not_manager"
NOT_YOURS = "errors.not_your_view"
NOT_ASKER = "qa.solve.not_allowed"
NOT_DISMISSER = "qa.forum.dismiss_not_allowed"
NOT_PROPOSER = "collab.not_owner"

LOCALES = {"alice": "nl", "bob": "en", "maud": "nl"}
"""The language each actor's refusal must be in (alice's Discord is in nl, bob's in en-GB, maud's in nl)."""
CALLBACK = re.compile(r"/interactions/\d+/[^/]+/callback$")
FAQ_TITLE = "Welke Creative Commons-licentie past bij onze collectie?"
SUGGESTER_APPROVED, SUGGESTER_PENDING = 900_001, 900_002
"""Suggesters who are not the actors, so no notice of theirs is delivered during a refusal."""
COLLAB_JOINER = 900_004
"""A member (not an actor) who asks to join the owner's collaboration proposal."""


# --- the scene: what the rows need, arranged lazily and at most once per test --------------------------------


class Scene:
    """The bot, the fake and everything arranged for one row (cached by name)."""

    def __init__(self, fake: FakeDiscord, bot: SteunpuntBot) -> None:
        self.fake, self.bot = fake, bot
        self._made: dict[str, Any] = {}

    @property
    def guild_id(self) -> int:
        """The fake's one server."""
        return self.fake.guild.id

    def member(self, who: str) -> FakeMember:
        """An actor by name: alice, bob (plain members), maud (the Moderator role), owner (the server owner)."""
        world = self.fake.world
        return {"alice": self.fake.alice, "bob": self.fake.bob, "maud": self.fake.moderator, "owner": world.owner}[who]

    async def ref(self, name: str) -> Any:
        """What the arranger ``name`` made (made now if needed)."""
        if name not in self._made:
            self._made[name] = await ARRANGERS[name](self)
        return self._made[name]

    async def resolve(self, value: Any) -> Any:
        """A :class:`Ref` becomes what it names; anything else stays."""
        return await self.ref(value.name) if isinstance(value, Ref) else value

    async def fill(self, template: str) -> str:
        """A custom_id template such as ``res:approve:{pending}`` with the refs it names."""
        names = {root(name) for _, name, _, _ in string.Formatter().parse(template) if name}
        return template.format(**{name: await self.ref(name) for name in names})

    async def poll(self, check: Callable[[], Awaitable[Any]], what: str) -> Any:
        """Wait until an async ``check`` returns something truthy (e.g. a row the bot writes on an event)."""
        for _ in range(200):
            if found := await check():
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")


@dataclass(frozen=True)
class Ref:
    """A value a row needs, made by the arranger of that name before the snapshot."""

    name: str


def root(field_name: str) -> str:
    """The ref a template field names (``open_thread.id`` → ``open_thread``)."""
    return re.split(r"[.\[]", field_name, maxsplit=1)[0]


async def _faq(s: Scene) -> str:
    entry = await s.bot.services.qa.faq_save(
        s.guild_id,
        s.fake.moderator.id,
        title=FAQ_TITLE,
        body="Begin bij CC BY 4.0: hergebruik met naamsvermelding. Kies CC0 voor metadata.",
        aliases="cc licentie",
    )
    return str(entry.id)


def _draft(title: str, url: str) -> Any:
    return make_draft(title=title, url=url, summary="Een gids.", theme="skills", type="guide", language="nl")


async def _approved(s: Scene) -> str:
    library = s.bot.services.library
    draft = _draft("Handboek open data", "https://example.org/open-data")
    resource = await library.suggest(s.guild_id, SUGGESTER_APPROVED, draft)
    await library.approve(s.guild_id, resource.id, s.fake.moderator.id)
    return str(resource.id)


async def _pending(s: Scene) -> str:
    draft = _draft("Toolkit metadata", "https://example.org/metadata")
    return str((await s.bot.services.library.suggest(s.guild_id, SUGGESTER_PENDING, draft)).id)


async def _card(s: Scene) -> StoredMessage:
    wanted = f"res:approve:{await s.ref('pending')}"
    await s.bot.run_jobs()  # the card is posted by a durable job
    return await _message_with(s, s.fake.world.moderators, wanted, "the queue card")


async def _carol(s: Scene) -> FakeMember:
    return await s.fake.add_member("carol", locale="nl")


async def _help_post(s: Scene, title: str) -> Any:
    """A post by carol in the help forum, once the bot has recorded it."""
    thread = await s.fake.create_forum_post(await s.ref("carol"), title, "Graag advies")
    await s.fake.wait_until(lambda: s.bot.get_channel(thread.id), what="the thread in the bot's cache")
    await s.poll(lambda: s.bot.services.qa.post(s.guild_id, thread.id), "the help post to be recorded")
    return thread


async def _open_thread(s: Scene) -> Any:
    await s.ref("faq")  # so the bot has something to suggest under the post
    return await _help_post(s, "Welke licentie voor foto's van de collectie?")


async def _answer(s: Scene) -> StoredMessage:
    thread = await s.ref("open_thread")
    return await s.fake.post_message(thread, s.fake.world.owner, "Kies CC BY 4.0 voor de foto's.")


async def _message_with(s: Scene, channel: Any, prefix: str, what: str) -> StoredMessage:
    """The first message in ``channel`` with a component whose custom_id starts with ``prefix`` (waiting for it)."""

    def find() -> StoredMessage | None:
        return next((m for m in s.fake.messages(channel) if any(c.startswith(prefix) for c in m.custom_ids)), None)

    return await s.fake.wait_until(find, what=what)


async def _suggestion(s: Scene) -> StoredMessage:
    thread = await s.ref("open_thread")
    return await _message_with(s, thread, "qa:dismiss:", "the bot's suggestion under the post")


async def _solved_thread(s: Scene) -> Any:
    thread = await _help_post(s, "Hoe lang bewaren we bezoekersgegevens?")
    answer = await s.fake.post_message(thread, s.fake.world.owner, "Niet langer dan nodig; leg de termijn vast.")
    await (await s.fake.context_menu("Mark as solution", answer, user=await s.ref("carol"))).final()
    return thread


async def _thanks(s: Scene) -> StoredMessage:
    thread = await s.ref("solved_thread")
    return await _message_with(s, thread, "qa:promote:", "the thank-you with the promote button")


def _wizard(step: str | None) -> Callable[[Scene], Awaitable[StoredMessage]]:
    async def arrange(s: Scene) -> StoredMessage:
        started = await s.fake.slash("setup start", user=s.fake.world.owner, options={"step": step} if step else {})
        assert started.message is not None, started
        started.message.visible_to = None  # as if the owner's ephemeral wizard had been shared with the member
        return started.message

    return arrange


async def _queue(s: Scene) -> StoredMessage:
    await s.ref("pending")
    listed = await s.fake.slash("resource queue", user=s.fake.moderator)
    assert listed.message is not None, listed
    listed.message.visible_to = None  # as if the moderator's ephemeral list had been shared with the member
    return listed.message


async def _proposal(s: Scene) -> str:
    draft = Draft("Gezamenlijke scanstraat", "Samen digitaliseren.", "", ("collaboration",), "2026-12-20")
    return str((await s.bot.services.collab.propose(s.guild_id, s.fake.world.owner.id, draft)).id)


async def _collab_request(s: Scene) -> str:
    partner = await s.bot.services.collab.join(s.guild_id, COLLAB_JOINER, int(await s.ref("proposal")))
    return str(partner.id)


GAP_ASKER = 900_003
"""A member (not an actor) whose unanswered questions are the knowledge gaps."""
GAP_WORDS = ("glasnegatieven", "microfilm", "lakplaten", "wasrollen", "daguerreotypieen", "diaramen")


async def _gap(s: Scene) -> str:
    """Six knowledge gaps (two pages of /gaps); the id of the last one (on the first page)."""
    gaps = s.bot.services.gaps
    ids = [await gaps.record_own(s.guild_id, GAP_ASKER, f"{w} conserveren", "no_result") for w in GAP_WORDS]
    return str(ids[-1])


async def _gaps_list(s: Scene) -> StoredMessage:
    await s.ref("gap")
    listed = await s.fake.slash("gaps", user=s.fake.moderator)
    assert listed.message is not None, listed
    listed.message.visible_to = None  # as if the moderator's ephemeral ledger had been shared with the member
    return listed.message


async def _guild(s: Scene) -> str:
    return str(s.guild_id)


async def _report(s: Scene) -> str:
    report = await s.bot.services.moderation.report(
        s.guild_id,
        channel_id=s.fake.world.general.id,
        message_id=900_005,
        jump_url=f"https://discord.com/channels/{s.guild_id}/{s.fake.world.general.id}/900005",
        reporter_id=SUGGESTER_PENDING,
        reason="reclame",
    )
    return str(report.id)


async def _mod_pick(s: Scene) -> str:
    return f"suggestions:{await s.ref('pending')}"


async def _mod_overview(s: Scene) -> StoredMessage:
    await s.ref("pending")
    await s.ref("report")
    shown = await s.fake.slash("mod overview", user=s.fake.moderator)
    assert shown.message is not None, shown
    shown.message.visible_to = None  # as if the moderator's ephemeral overview had been shared with the member
    return shown.message


def _mod_item(value: str) -> Callable[[Scene], Awaitable[StoredMessage]]:
    async def arrange(s: Scene) -> StoredMessage:
        overview = await s.ref("mod_overview")
        opened = await s.fake.click(overview, "mod:open", user=s.fake.moderator, values=[await s.fill(value)])
        assert opened.message is not None, opened
        opened.message.visible_to = None  # the moderator's opened (and claimed) item, shared
        return opened.message

    return arrange


async def _mod_faq_item(s: Scene) -> StoredMessage:
    """The moderator's opened FAQ proposal (carol's solved post: Promote / Not for the FAQ / Release), shared."""
    thread = await s.ref("solved_thread")
    shown = await s.fake.slash("mod overview", user=s.fake.moderator)
    assert shown.message is not None, shown
    opened = await s.fake.click(shown.message, "mod:open", user=s.fake.moderator, values=[f"faq_proposals:{thread.id}"])
    assert opened.message is not None, opened
    opened.message.visible_to = None
    return opened.message


async def _collab_card(s: Scene) -> StoredMessage:
    await s.ref("collab_request")
    shown = await s.fake.slash("collab show", user=s.fake.world.owner, options={"proposal": await s.ref("proposal")})
    assert shown.message is not None, shown
    shown.message.visible_to = None  # as if the owner's card with its Accept / Decline had been shared
    return shown.message


ARRANGERS: dict[str, Callable[[Scene], Awaitable[Any]]] = {
    "faq": _faq,  # an FAQ entry's id
    "approved": _approved,  # an approved resource's id
    "pending": _pending,  # a pending suggestion's id
    "card": _card,  # the moderators' queue card of "pending"
    "queue": _queue,  # a moderator's /resource queue listing "pending" (with its pick menu), shared
    "carol": _carol,  # a third member, the asker of the help posts
    "open_thread": _open_thread,  # carol's open help post (the bot replied with a suggestion)
    "answer": _answer,  # an answer in carol's open post, by the owner
    "suggestion": _suggestion,  # the bot's suggestion (with its dismiss button) under carol's open post
    "solved_thread": _solved_thread,  # carol's post, solved by carol
    "thanks": _thanks,  # the thank-you under the solved post (with the promote button)
    "wizard": _wizard(None),  # the owner's /setup wizard at its first step, shared
    "wizard_tz": _wizard("timezone"),  # the same at the time-zone step
    "wizard_forum": _wizard("help_forum"),  # the same at the help-forum step (with the forum-tags button)
    "proposal": _proposal,  # the server owner's open collaboration proposal
    "gap": _gap,  # six open knowledge gaps; the id of one on the first page of /gaps
    "gaps_list": _gaps_list,  # a moderator's /gaps (page buttons, pick menu), shared
    "report": _report,  # a member's open report of a message
    "mod_pick": _mod_pick,  # the pick menu's value of the pending suggestion
    "mod_overview": _mod_overview,  # a moderator's /mod overview (its pick menu lists "pending" and "report"), shared
    "mod_item": _mod_item("suggestions:{pending}"),  # the moderator's opened "pending" (with Release), shared
    "mod_report_item": _mod_item("reports:{report}"),  # the moderator's opened report (Resolved / Dismiss), shared
    "mod_faq_item": _mod_faq_item,  # the moderator's opened FAQ proposal (Promote / Not for the FAQ), shared
    "guild": _guild,  # the server's id (custom_ids that carry it, for buttons that also work in DMs)
    "collab_request": _collab_request,  # a member's request to join the owner's proposal
    "collab_card": _collab_card,  # the owner's /collab show with Accept / Decline for that request, shared
}


# --- actions: how a member invokes something; prepare() arranges, the returned act invokes ------------------


class Slash:
    """``/path`` with options (a :class:`Ref` is filled in)."""

    def __init__(self, path: str, **options: Any) -> None:
        self.path, self.options = path, options

    def __repr__(self) -> str:
        return f"/{self.path}" + "".join(f" {k}" for k in self.options)

    async def prepare(self, scene: Scene) -> Act:
        """Fill the options; the act invokes the command."""
        options = {k: await scene.resolve(v) for k, v in self.options.items()}
        return lambda who: scene.fake.slash(self.path, user=who, options=options)


class Click:
    """A button or select (custom_id template, values) on a message an arranger made."""

    def __init__(self, message: str, custom_id: str, values: list[Any] | None = None) -> None:
        self.message, self.custom_id, self.values = message, custom_id, values

    def __repr__(self) -> str:
        return f"click {self.custom_id.split('{')[0].rstrip(':')}"

    async def prepare(self, scene: Scene) -> Act:
        """Make the message; the act clicks on it."""
        message, custom_id = await scene.ref(self.message), await scene.fill(self.custom_id)
        values = [await scene.resolve(v) for v in self.values] if self.values is not None else None
        return lambda who: scene.fake.click(message, custom_id, user=who, values=values)


class Menu:
    """A message context-menu command on a message an arranger made."""

    def __init__(self, name: str, target: str) -> None:
        self.name, self.target = name, target

    def __repr__(self) -> str:
        return f"menu {self.name}"

    async def prepare(self, scene: Scene) -> Act:
        """Make the target message; the act invokes the menu on it."""
        target = await scene.ref(self.target)
        return lambda who: scene.fake.context_menu(self.name, target, user=who)


class Forged:
    """A modal the bot opened for ``opener`` (by ``opener_action``), submitted by the member with its custom_id."""

    def __init__(
        self, modal: type[BaseModal], opener_action: Slash | Click, values: Mapping[str, str], opener: str = "maud"
    ) -> None:
        self.modal, self.opener_action, self.values, self.opener = modal, opener_action, dict(values), opener

    def __repr__(self) -> str:
        return f"forged {self.modal.__name__} from {self.opener_action!r}"

    async def prepare(self, scene: Scene) -> Act:
        """Open the modal as the opener (nothing is written); the act submits it as the member."""
        opened = await (await self.opener_action.prepare(scene))(scene.member(self.opener))
        record = opened.modal
        await handlers_done()  # discord.py stores the modal after Discord accepted it
        live = scene.bot._connection._view_store._modals.get(record.custom_id)
        # by name: discord.py loads each extension's modules afresh, so the running bot's classes are copies
        assert type(live).__qualname__ == self.modal.__qualname__, f"{self!r} opened {type(live).__qualname__}"
        return lambda who: scene.fake.submit_modal(record, self.values, user=who)


Action = Slash | Click | Menu | Forged


@dataclass(frozen=True)
class Case:
    """One row: who (alice or bob, or maud for manager actions), the action, the refusal's catalogue key."""

    who: str
    action: Action
    refusal: str
    xfail: str | None = None
    """Set to the reason when the row documents a hole (strict: it must fail until the bot is fixed)."""

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"{self.who}: {self.action!r}"


SETTINGS_FILE = FakeFile("settings.json", json.dumps({"timezone": "UTC"}).encode())
FAQ, APPROVED, PENDING = Ref("faq"), Ref("approved"), Ref("pending")
PROPOSAL = Ref("proposal")

CASES: tuple[Case, ...] = (
    # FAQ curation
    Case("alice", Slash("faq add"), NOT_MODERATOR),
    Case("bob", Slash("faq edit", entry=FAQ), NOT_MODERATOR),
    Case("alice", Slash("faq remove", entry=FAQ), NOT_MODERATOR),
    Case("bob", Forged(FaqModal, Slash("faq add"), {"title": "Vervalst", "body": "Door een lid"}), NOT_MODERATOR),
    Case("alice", Forged(FaqModal, Slash("faq edit", entry=FAQ), {"title": "Vervalste titel"}), NOT_MODERATOR),
    # the help forum
    Case("bob", Menu("Mark as solution", "answer"), NOT_ASKER),
    Case("alice", Click("suggestion", "qa:dismiss:{open_thread.id}"), NOT_DISMISSER),
    Case("bob", Click("thanks", "qa:promote:{solved_thread.id}"), NOT_MODERATOR),
    Case("alice", Forged(FaqModal, Click("thanks", "qa:promote:{solved_thread.id}"), {"title": "Vals"}), NOT_MODERATOR),
    Case("bob", Slash("gaps"), NOT_MODERATOR),
    Case("alice", Click("gaps_list", "gaps:page:30:1:n"), NOT_MODERATOR),
    Case("bob", Click("gaps_list", "gaps:pick", values=[Ref("gap")]), NOT_MODERATOR),
    Case(
        "alice",
        Forged(GapDismissModal, Click("gaps_list", "gaps:pick", values=[Ref("gap")]), {"reason": "Vervalst"}),
        NOT_MODERATOR,
    ),
    # the resource library
    Case("alice", Slash("resource queue"), NOT_MODERATOR),
    Case("bob", Slash("resource show", resource=PENDING), NOT_MODERATOR),
    Case("alice", Slash("resource edit", resource=APPROVED, theme="strategy"), NOT_MODERATOR),
    Case("bob", Forged(EditModal, Slash("resource edit", resource=APPROVED), {"title": "Vals"}), NOT_MODERATOR),
    Case("alice", Slash("resource feature", resource=APPROVED), NOT_MODERATOR),
    Case("bob", Slash("resource archive", resource=APPROVED, reason="weg ermee"), NOT_MODERATOR),
    Case("alice", Slash("resource export", format="csv"), NOT_MODERATOR),
    Case("bob", Click("card", "res:approve:{pending}"), NOT_MODERATOR),
    Case("alice", Click("card", "res:changes:{pending}"), NOT_MODERATOR),
    Case("bob", Click("card", "res:reject:{pending}"), NOT_MODERATOR),
    Case("alice", Forged(DecisionModal, Click("card", "res:reject:{pending}"), {"note": "Vals"}), NOT_MODERATOR),
    Case("bob", Forged(DecisionModal, Click("card", "res:changes:{pending}"), {"note": "Vals"}), NOT_MODERATOR),
    Case("alice", Click("queue", "res:pick", values=[PENDING]), NOT_MODERATOR),
    Case("alice", Slash("modlog"), NOT_MODERATOR),
    Case("bob", Slash("modlog", export="csv"), NOT_MODERATOR),
    # skills
    Case("alice", Slash("skills add-skill", group="digitisation", dutch="Vervalst"), NOT_MODERATOR),
    Case("bob", Slash("skills stats"), NOT_MODERATOR),
    # the collaboration board: removing is a moderator's; closing, editing and answering requests the owner's
    Case("alice", Slash("collab remove", proposal=PROPOSAL, reason="weg ermee"), NOT_MODERATOR),
    Case("bob", Slash("collab remove", proposal=PROPOSAL, reason="spam"), NOT_MODERATOR),
    Case("bob", Slash("collab close", proposal=PROPOSAL, outcome="stopped"), NOT_PROPOSER),
    Case("alice", Slash("collab edit", proposal=PROPOSAL), NOT_PROPOSER),
    Case(
        "bob",
        Forged(CollabEditModal, Slash("collab edit", proposal=PROPOSAL), {"title": "Vals"}, opener="owner"),
        NOT_PROPOSER,
    ),
    Case("alice", Click("collab_card", "collab:answer:{guild}:{collab_request}:yes"), NOT_PROPOSER),
    Case("bob", Click("collab_card", "collab:answer:{guild}:{collab_request}:no"), NOT_PROPOSER),
    # the digest
    Case("alice", Slash("digest preview"), NOT_MODERATOR),
    Case("bob", Slash("digest preview", member=Ref("carol")), NOT_MODERATOR),
    Case("alice", Slash("digest send-now"), NOT_MANAGER),
    Case("maud", Slash("digest send-now"), NOT_MANAGER),
    # the statistics
    Case("alice", Slash("stats"), NOT_MODERATOR),
    Case("bob", Slash("stats", period=365), NOT_MODERATOR),
    # the moderation overview and reports
    Case("alice", Slash("mod overview"), NOT_MODERATOR),
    Case("bob", Click("mod_overview", "mod:open", values=[Ref("mod_pick")]), NOT_MODERATOR),
    Case("alice", Click("mod_item", "mod:release:suggestions:{pending}"), NOT_MODERATOR),
    Case("bob", Click("mod_report_item", "mod:report:resolve:{report}"), NOT_MODERATOR),
    Case("alice", Click("mod_report_item", "mod:report:dismiss:{report}"), NOT_MODERATOR),
    Case("bob", Click("mod_faq_item", "mod:decide:faq_proposals:not_faq:{solved_thread.id}"), NOT_MODERATOR),
    Case("alice", Click("mod_faq_item", "qa:promote:{solved_thread.id}"), NOT_MODERATOR),
    # set-up (Manage Server)
    Case("alice", Slash("setup start"), NOT_MANAGER),
    Case("bob", Slash("setup show"), NOT_MANAGER),
    Case("alice", Slash("setup set", setting="timezone", value="UTC"), NOT_MANAGER),
    Case("bob", Slash("setup set", setting="moderator_role"), NOT_MANAGER),
    Case("alice", Slash("setup timezone", zone="UTC"), NOT_MANAGER),
    Case("bob", Slash("setup check"), NOT_MANAGER),
    Case("alice", Slash("setup tags"), NOT_MANAGER),
    Case("bob", Slash("setup starter"), NOT_MANAGER),
    Case("alice", Slash("setup export", format="toml"), NOT_MANAGER),
    Case("bob", Slash("setup import", file=SETTINGS_FILE), NOT_MANAGER),
    Case("maud", Slash("setup set", setting="timezone", value="UTC"), NOT_MANAGER),
    Case("maud", Slash("setup import", file=SETTINGS_FILE), NOT_MANAGER),
    Case("bob", Slash("setup coach", province="zeeland", name="Vals", url="https://example.org/"), NOT_MANAGER),
    # the set-up wizard (the owner's, shared): its view answers only its owner; the typed value checks again
    Case("alice", Click("wizard", "setup:language", values=["en"]), NOT_YOURS),
    Case("bob", Click("wizard", "setup:skip"), NOT_YOURS),
    Case("alice", Click("wizard", "setup:done"), NOT_YOURS),
    Case("bob", Click("wizard_tz", "setup:timezone", values=["Europe/Brussels"]), NOT_YOURS),
    Case("alice", Click("wizard_tz", "setup:timezone_other"), NOT_YOURS),
    Case("bob", Click("wizard_forum", "setup:tags"), NOT_YOURS),
    Case(
        "alice",
        Forged(ValueModal, Click("wizard_tz", "setup:timezone_other"), {"value": "UTC"}, opener="owner"),
        NOT_MANAGER,
    ),
)

MEMBER_COMMANDS = frozenset(
    {
        "help",
        "about",
        "ask",
        "unanswered",
        "faq show",
        "resource suggest",
        "resource search",
        "resource browse",
        "resource show",  # approved resources; a pending one is a row of the table
        "privacy dm",
        "privacy export",
        "privacy forget",
        "Mark as solution",  # the asker's; a non-asker is a row of the table
        "profile set",
        "profile show",  # another member's only if they made it visible
        "skills offer",
        "skills need",
        "skills mine",
        "skills remove",  # one's own; another's is refused (tests/e2e/test_skills.py)
        "skills pause",
        "skills resume",
        "skills find",
        "match request",  # one's own need; another's is refused (tests/domain/test_introductions.py)
        "match inbox",
        "match block",
        "match unblock",
        "asked-to-help",  # one's own asks; another's ask is refused (tests/domain/test_routing.py)
        "digest subscribe",
        "digest unsubscribe",
        "digest settings",
        "licence choose",  # facts only, nothing stored (tests/e2e/test_licences.py)
        "licence compare",
        "licence info",
        "rights",
        "scan start",  # one's own scan; another's is refused (tests/domain/test_scan.py)
        "scan results",
        "collab propose",
        "collab list",
        "collab show",  # a removed proposal only to its owner (tests/domain/test_collab.py)
        "collab join",
        "collab edit",  # one's own proposal; another's is a row of the table
        "collab close",
        "Report to moderators",  # once per member and message (tests/e2e/test_moderation.py)
    }
)
"""Commands every member may use; every other registered command must be a row of the table."""
MEMBER_ITEMS = frozenset(
    {
        "FeedbackButton",
        "PostToForumButton",
        "HelpfulButton",
        "KeepButton",
        "AnswerButton",
        "OutcomeButton",
        "AskPersonButton",
        "TakeButton",  # the asked member's; anyone else is refused (tests/domain/test_routing.py)
        "PassButton",
        "UnsubscribeButton",  # the digest's recipient only; anyone else is refused (tests/e2e/test_digest.py)
        "LicenceStepButton",  # the licence chooser: facts only, nothing stored
        "LicenceAttributionButton",
        "ScanAnswerButton",  # the scan's owner's; anyone else is refused (tests/domain/test_scan.py)
        "ScanNavButton",
        "ScanHelpButton",
        "ScanHelpConfirmButton",
    }
)
"""Persistent components every member may use; every other DynamicItem of the cogs must be used in a row."""
MEMBER_MODALS = frozenset(
    {"AskForumModal", "AskPersonModal", "SuggestModal", "LicenceAttributionModal", "CollabProposeModal", "ReportModal"}
)
"""Modals every member may submit; every other modal of the cogs must be forged in a row."""


# --- what "changes nothing" means ------------------------------------------------------------------------------


class OfflineLinkChecker(LinkChecker):
    """The link checker without a network: every link is "could not tell", so nothing is written."""

    async def check_many(self, urls: Iterable[str]) -> list[LinkResult]:
        """Answer at once, inconclusively."""
        return [LinkResult(url, None, "offline in tests") for url in urls]


async def _database(path: Path) -> Snapshot:
    """Every row of every table (sorted), read through a separate read-only connection."""
    async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as db:
        cursor = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        # the contentless full-text index cannot be read row by row; its shadow tables (…_data) hold it all
        tables = [str(row[0]) for row in await cursor.fetchall() if row[0] != "knowledge_fts"]
        out: Snapshot = {}
        for table in tables:
            # the running bot's heartbeat (once a minute, from the jobs loop) is no effect of anyone's action
            where = " WHERE key <> 'heartbeat'" if table == "bot_state" else ""
            cursor = await db.execute(f'SELECT * FROM "{table}"{where}')  # names come from sqlite_master
            out[table] = sorted((tuple(row) for row in await cursor.fetchall()), key=repr)
    return out


async def quiet_snapshot(scene: Scene) -> Snapshot:
    """The database once the bot is idle: due jobs run, handlers finished, two reads in a row agree."""
    previous: Snapshot | None = None
    for _ in range(20):
        await scene.bot.run_jobs()
        await handlers_done()
        current = await _database(scene.bot.settings.database_path)
        if current == previous:
            return current
        previous = current
        await asyncio.sleep(0.02)
    raise AssertionError("the database did not settle")


def describe_change(before: Snapshot, after: Snapshot) -> str:
    """Which tables changed: row counts, rows added and removed (the audit log in full)."""
    lines = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            added = [r for r in new if r not in old][:5]
            removed = [r for r in old if r not in new][:5]
            lines.append(f"{table}: {len(old)} → {len(new)} rows; added {added}; removed {removed}")
    return "\n".join(lines)


def messages_seen(fake: FakeDiscord) -> dict[int, tuple[int, bool, bool]]:
    """Every message the fake holds: (edits, deleted, pinned) by id."""
    return {m.id: (len(m.edits), m.deleted, m.pinned) for m in fake.state.messages.values()}


def lift_default_permission_gate(fake: FakeDiscord) -> list[str]:
    """Open every command with ``default_member_permissions`` to everyone, as an admin can in Server Settings."""
    gated = [c["name"] for c in fake.commands() if c.get("default_member_permissions") is not None]
    fake.permission_overrides.update(gated)
    return gated


@pytest.fixture
async def scene(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> Scene:
    """A configured server (moderator role and channel, help forum with its Solved tag), the gate lifted."""
    fake, bot = steunpunt
    world = fake.world
    await bot.services.guild_settings.update(
        fake.guild.id,
        moderator_role_id=world.moderator_role.id,
        moderator_channel_id=world.moderators.id,
        help_forum_id=world.forum.id,
    )
    solved = next(t["id"] for t in world.forum.available_tags if t["name"] == "solved")
    await bot.services.setup.remember_forum_tags(fake.guild.id, world.forum.id, {"solved": solved})
    links = bot.get_cog("LinkCheckCog")
    assert links is not None
    links.checker = OfflineLinkChecker()  # type: ignore[attr-defined]
    lift_default_permission_gate(fake)
    return Scene(fake, bot)


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
async def test_plain_member_is_refused_and_nothing_changes(scene: Scene, case: Case) -> None:
    """A plain member invoking a moderator or manager action gets one localised ephemeral refusal; nothing changes."""
    fake, bot = scene.fake, scene.bot
    act = await case.action.prepare(scene)
    who = scene.member(case.who)
    before = await quiet_snapshot(scene)
    seen, sent = messages_seen(fake), len(fake.requests)

    result = await act(who)
    after = await quiet_snapshot(scene)

    record = result.record
    answers = [(c.type, c.status) for c in record.callbacks]
    assert answers == [(4, 200)], f"expected one message answer (type 4, accepted); got {answers}"
    assert record.followup_ids == [], "a refusal has no follow-ups"
    assert result.message is not None and result.ephemeral, "the refusal is ephemeral"
    assert result.content == bot.i18n.t(case.refusal, LOCALES[case.who])
    assert result.message.embeds == [] and result.message.components == [] and result.message.pings == []
    change = describe_change(before, after)
    assert {t: len(rows) for t, rows in after.items()} == {t: len(rows) for t, rows in before.items()}, change
    assert after["audit_log"] == before["audit_log"], change
    assert after == before, "a row changed:\n" + change
    unexpected = [
        f"{r.method} {r.path}" for r in fake.requests[sent:] if r.method != "GET" and not CALLBACK.search(r.path)
    ]
    assert unexpected == [], "the bot did more than answer"
    now = messages_seen(fake)
    assert {k: v for k, v in now.items() if k != record.original_message_id} == seen, "a message changed"


# --- meta-checks: nothing a moderator or manager can do is missing from the table ---------------------------


def _leaves(command: Mapping[str, Any]) -> list[str]:
    """The invocable paths of a registered command ("setup start", ...; a context menu is its name)."""
    if int(command.get("type") or 1) != 1:
        return [str(command["name"])]

    def walk(prefix: str, options: list[dict[str, Any]]) -> list[str]:
        groups = [o for o in options if o.get("type") in (1, 2)]
        if not groups:
            return [prefix]
        return [path for o in groups for path in walk(f"{prefix} {o['name']}", o.get("options") or [])]

    return walk(str(command["name"]), list(command.get("options") or []))


def _table_commands() -> set[str]:
    """Every command path or menu name the table invokes (as the act, or to open a forged modal)."""
    out: set[str] = set()
    for case in CASES:
        for action in (case.action, getattr(case.action, "opener_action", None)):
            if isinstance(action, Slash):
                out.add(action.path)
            elif isinstance(action, Menu):
                out.add(action.name)
    return out


def _table_clicks() -> list[str]:
    """Every custom_id the table clicks (as the act, or to open a forged modal), with dummy numbers."""
    out = []
    for case in CASES:
        for action in (case.action, getattr(case.action, "opener_action", None)):
            if isinstance(action, Click):
                out.append(re.sub(r"\{[^}]*\}", "1", action.custom_id))
    return out


def _subclasses(cls: type[Any]) -> dict[str, type[Any]]:
    """Subclasses defined in cogs/, by name (each start of the bot loads the cogs' modules afresh)."""
    found: dict[str, type[Any]] = {}
    subs: list[type[Any]] = cls.__subclasses__()
    for sub in subs:
        if sub.__module__.startswith("cogs."):
            found[sub.__qualname__] = sub
        found.update(_subclasses(sub))
    return found


async def test_every_gated_and_every_other_command_is_classified(steunpunt: tuple[FakeDiscord, SteunpuntBot]) -> None:
    """Every command with default_member_permissions is in the table, and every command is in it or member-facing."""
    fake, _ = steunpunt
    with pytest.raises(CommandUsageError, match="default_member_permissions"):
        await fake.slash("gaps", user=fake.alice)  # the gate the table lifts exists
    registered = fake.commands()
    table = _table_commands()
    gated = [leaf for c in registered if c.get("default_member_permissions") is not None for leaf in _leaves(c)]
    assert gated, "no command has default_member_permissions: has the bot stopped using Discord's gate?"
    assert sorted(set(gated) - table) == [], "commands behind Discord's default gate missing from CASES"
    every = {leaf for c in registered for leaf in _leaves(c)}
    assert sorted(every - table - MEMBER_COMMANDS) == [], "commands neither in CASES nor in MEMBER_COMMANDS"
    assert sorted((table | MEMBER_COMMANDS) - every) == [], "CASES or MEMBER_COMMANDS name commands that do not exist"


def test_every_persistent_button_and_modal_is_classified() -> None:
    """Every DynamicItem and modal of the cogs is exercised by a row or declared member-facing."""
    for extension in EXTENSIONS:
        importlib.import_module(extension)
    items = _subclasses(discord.ui.DynamicItem)
    assert items, "no DynamicItem found in cogs/ (are the cogs imported?)"
    clicks = _table_clicks()
    unclassified = [
        name
        for name, item in items.items()
        if name not in MEMBER_ITEMS and not any(item.__discord_ui_compiled_template__.fullmatch(c) for c in clicks)
    ]
    assert unclassified == [], "persistent components neither used in CASES nor in MEMBER_ITEMS"
    modals = _subclasses(BaseModal)
    forged = {case.action.modal.__qualname__ for case in CASES if isinstance(case.action, Forged)}
    assert sorted(set(modals) - forged - MEMBER_MODALS) == [], "modals neither forged in CASES nor in MEMBER_MODALS"
    assert sorted(MEMBER_MODALS - set(modals)) == [] and sorted(MEMBER_ITEMS - set(items)) == [], "stale names"
