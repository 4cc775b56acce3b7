"""Property tests: every builder in bot/render, fed hostile domain objects, stays within Discord's limits.

Whatever the stored text (maximum and over-length titles, summaries and notes, addresses full of ``)``,
markdown, mentions, masked links, right-to-left and zero-width characters, huge lists), every embed fits every
limit of Discord's, and no masked link or live mention reaches a message from member text.
"""

from __future__ import annotations

import inspect
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.render.collab
import bot.render.digest
import bot.render.general
import bot.render.licences
import bot.render.moderation
import bot.render.qa
import bot.render.resources
import bot.render.scan
import bot.render.setup
import bot.render.stats
from bot.clock import to_iso
from bot.domain.collab.models import OUTCOMES, Board, Partner, Proposal
from bot.domain.digest.models import FIGURES, SECTIONS, DigestContent, DigestItem, Figure
from bot.domain.gaps import Gap, GapsWeek, Ledger
from bot.domain.guild_settings import THEMES, GuildSettings
from bot.domain.licences import Attribution, LicenceCatalogue, RightsCatalogue, compare
from bot.domain.moderation.models import QUEUES, Claim, Opened, Overview, QueueItem, QueueSummary, WeeklyContent
from bot.domain.qa_models import FaqEntry, Gaps, HelpPost, Page
from bot.domain.resources import (
    AUDIENCES,
    LANGUAGES,
    STATUSES,
    TYPES,
    AuditEntry,
    Resource,
    normalise_url,
    url_host,
)
from bot.domain.search.models import KINDS, SOURCES, KnowledgeDocument, SearchHit, SearchResult
from bot.domain.stats import OUTCOMES as MATCH_OUTCOMES
from bot.domain.stats import PERIODS, Figures, ResourceVotes
from bot.domain.system import About
from bot.errors import Invalid
from bot.i18n import I18n
from bot.render.collab import ask_text, proposal_embed, proposal_line, proposal_list_embed
from bot.render.common import (
    fit_embeds,
    link_target,
    looks_like_address,
    registered_builders,
    safe,
    safe_link,
    safe_markdown,
    truncate,
)
from bot.render.digest import digest_messages
from bot.render.general import HelpEntry, about_embed, help_embed
from bot.render.licences import (
    attribution_embed,
    attribution_line,
    chooser_result_embed,
    chooser_step_embed,
    comparison_embed,
    licence_embed,
    rights_embed,
)
from bot.render.moderation import (
    gaps_section,
    item_embed,
    item_line,
    jump_url,
    overview_embed,
    queue_field,
    weekly_embed,
)
from bot.render.qa import (
    answer_embed,
    closed_by,
    document_link,
    faq_embed,
    gaps_embed,
    hit_field,
    solved_text,
    suggestion_embed,
    unanswered_embed,
)
from bot.render.resources import audit_embed, link_value, resource_embed, resource_line, resource_list_embed
from bot.render.setup import WIZARD_STEPS, settings_embed, step_embed
from bot.render.stats import stats_embed

I18N = I18n.load("nl")
MODULES = (
    bot.render.general,
    bot.render.qa,
    bot.render.resources,
    bot.render.setup,
    bot.render.digest,
    bot.render.scan,
)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- hostile values -----------------------------------------------------------------------------------------------

HOSTILE = (
    "@everyone",
    "@here",
    "<@123>",
    "<@!123456789012345678>",
    "<@&1>",
    "<@&123456789012345678>",
    "<#5>",
    "</ask:1>",
    "[x](https://evil.example/a)",
    "[https://good.example](https://evil.example/b)",
    "[paypal.com](<https://evil.example/c>)",
    '[a [b] c](https://evil.example/d "t")',
    "[pay\u200bpal.com](https://evil.example/e)",
    "[раураl.com](https://evil.example/f)",
    "[\u202emoc.lapyap](https://evil.example/g)",
    "[x](javascript:alert(1))",
    "](",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "`",
    "```",
    "**",
    "__",
    "~~",
    "||",
    "\\",
    "> ",
    "# ",
    "-# ",
    "\n",
    " ",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "é",
    "😀",
    "ﷺ",
    "https://evil.example/x",
    "www.evil.example",
    "paypal.com",
    "%29",
    "{title}",
)
LENGTHS = (0, 1, 60, 80, 120, 200, 255, 256, 257, 300, 500, 1000, 1023, 1024, 1025, 2000, 4096, 4097, 6001)


def _shape(parts: list[str], length: int | None) -> str:
    """Join the pieces; with a length, repeat or cut them to exactly that many characters."""
    text = "".join(parts)
    if length is None:
        return text
    text = text or "x"
    return (text * (length // len(text) + 1))[:length]


pieces = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
member_text = st.builds(_shape, st.lists(pieces, max_size=24), st.one_of(st.none(), st.sampled_from(LENGTHS)))
short_text = st.builds(_shape, st.lists(pieces, max_size=6), st.none())
ids = st.integers(min_value=1, max_value=2**63 - 1)
counts = st.integers(min_value=0, max_value=2**63 - 1)

URL_PIECES = (")", "(", "]", "[", "<", ">", "`", " ", "\\", '"', "'", "*", "_", "|", "~", "#", "?", "&", "%", "%29")
URL_PIECES += ("é", "😀", "\u202e", "a", "/", "@everyone", "<@1>", "[x](https://evil.example/u)")
GOOD_HOSTS = ("example.org", "www.den.nl", "xn--bcher-kva.de", "bücher.de", "8.8.8.8", "[2001:4860::8888]")
GOOD_HOSTS += ("a_b.example.org", "example.org:8080", "EXAMPLE.ORG.")
ODD_URLS = (
    "",
    "javascript:alert(1)",
    "https://",
    "https://good.example](https://evil.example",
    "https://good.example\\@evil.example/",
    "http://[::1",
    "mailto:x@example.org",
    "https://user:pw@example.org/",
    "https://example.org:99999/",
    "https://example.org/" + ")" * 480,
)
url_tail = st.builds(
    _shape,
    st.lists(st.one_of(st.sampled_from(URL_PIECES), st.text(max_size=5)), max_size=20),
    st.sampled_from((None, None, 480, 500, 1000, 2100)),
)
urls = st.one_of(
    st.builds(
        lambda scheme, host, tail: f"{scheme}://{host}/{tail}",
        st.sampled_from(("https", "http", "HTTPS")),
        st.sampled_from(GOOD_HOSTS),
        url_tail,
    ),
    st.sampled_from(ODD_URLS),
)


# --- what every rendering must satisfy ----------------------------------------------------------------------------

MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>|</[^<>\s]+:\d+>|@everyone|@here")
# simple-markdown's link rule, which Discord's clients use: tried at every "[" so no way to read a link is missed.
LINK_LABEL = r"(?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*"
LINK = re.compile(
    rf"\[({LINK_LABEL})\]\(\s*<?((?:\([^)]*\)|[^\s\\]|\\.)*?)>?(?:\s+['\"]([\s\S]*?)['\"])?\s*\)",
)
UNESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")


@dataclass
class Allowed:
    """What a rendering may contain that is not member text: our own links and mentions."""

    targets: set[str] = field(default_factory=set)
    mentions: set[str] = field(default_factory=set)

    def url(self, url: str | None) -> None:
        """Our links to ``url`` (a resource's or document's stored address) are expected."""
        target = link_target(url) if url else None
        if target:
            self.targets.add(target)


def texts(payload: dict[str, Any]) -> list[str]:
    """Every text of an embed's wire form that Discord shows."""
    found = [payload.get("title") or "", payload.get("description") or ""]
    found += [(payload.get("footer") or {}).get("text") or "", (payload.get("author") or {}).get("name") or ""]
    for item in payload.get("fields") or []:
        found += [item["name"], item["value"]]
    return found


def check_text(text: str, allowed: Allowed) -> None:
    """No live mention but ours; every masked link either shows its real host or is one of our own links."""
    for mention in MENTION.findall(text):
        assert mention in allowed.mentions, f"live mention {mention!r} in {text!r}"
    for start in (i for i, char in enumerate(text) if char == "["):
        match = LINK.match(text, start)
        if match is None:
            continue
        label = UNESCAPE.sub(r"\1", match.group(1)).strip()
        target = match.group(2)
        host = url_host(target)
        assert host is not None, f"masked link to {target!r} in {text!r}"
        ours = target in allowed.targets and not looks_like_address(label)
        assert ours or label == host, f"masked link [{label}]({target}) hides its host {host!r}"


def check_embeds(embeds: Iterable[discord.Embed], allowed: Allowed) -> None:
    """Discord's limits on one message's embeds, and the safety of every text in them."""
    payloads = [embed.to_dict() for embed in embeds]
    assert len(payloads) <= 10
    total = 0
    for payload in payloads:
        assert len(payload.get("title") or "") <= 256
        assert len(payload.get("description") or "") <= 4096
        assert len((payload.get("footer") or {}).get("text") or "") <= 2048
        assert len((payload.get("author") or {}).get("name") or "") <= 256
        fields = payload.get("fields") or []
        assert len(fields) <= 25
        for item in fields:  # Discord trims, then wants 1 to 256 (name) or 1 to 1024 (value) characters
            assert item["name"].strip() and len(item["name"]) <= 256
            assert item["value"].strip() and len(item["value"]) <= 1024
        if payload.get("url"):
            assert len(payload["url"]) <= 2048 and url_host(payload["url"]) is not None
            assert payload["url"] in allowed.targets
        total += sum(len(text.strip()) for text in texts(payload))
        for text in texts(payload):
            check_text(text, allowed)
    assert total <= 6000


def check_embed(embed: discord.Embed, allowed: Allowed) -> None:
    """One embed: every limit, and safe text."""
    check_embeds([embed], allowed)


# --- domain objects -----------------------------------------------------------------------------------------------

documents = st.builds(
    KnowledgeDocument,
    id=ids,
    guild_id=ids,
    source=st.sampled_from(SOURCES),
    source_key=st.one_of(ids.map(str), short_text),
    kind=st.sampled_from(KINDS),
    lang=st.sampled_from((None, "nl", "en")),
    theme=st.none(),
    title=member_text,
    body=member_text,
    tags=st.lists(short_text, max_size=40).map(tuple),
    url=st.one_of(st.none(), urls),
    solved=st.booleans(),
    featured=st.booleans(),
    helpful=counts,
    unhelpful=counts,
    created_at=short_text,
    updated_at=short_text,
)
hits = st.builds(SearchHit, document=documents, score=st.floats(allow_nan=False), excerpt=member_text)
results = st.builds(
    SearchResult,
    query=member_text,
    hits=st.lists(hits, max_size=8),
    suggestion=st.one_of(st.none(), member_text),
    corrected=st.booleans(),
)
resources = st.builds(
    Resource,
    id=ids,
    guild_id=ids,
    title=member_text,
    url=urls,
    url_key=short_text,
    summary=member_text,
    theme=st.sampled_from(THEMES),
    tags=st.lists(member_text, max_size=60).map(tuple),
    language=st.sampled_from(LANGUAGES),
    licence=st.one_of(st.none(), member_text),
    type=st.sampled_from(TYPES),
    audience=st.sampled_from(AUDIENCES),
    publisher=member_text,
    suggested_by=ids,
    status=st.sampled_from(STATUSES),
    featured=st.booleans(),
    helpful=counts,
    decision_note=st.one_of(st.none(), member_text),
    link_status=st.sampled_from((None, "ok", "broken")),
    link_detail=st.one_of(st.none(), member_text),
)
faq_entries = st.builds(
    FaqEntry,
    id=ids,
    guild_id=ids,
    title=member_text,
    body=member_text,
    aliases=st.lists(member_text, max_size=60).map(tuple),
    theme=st.none(),
    lang=st.none(),
    created_by=ids,
    updated_by=ids,
    uses=counts,
)
posts = st.builds(
    HelpPost,
    thread_id=ids,
    guild_id=ids,
    forum_id=ids,
    author_id=ids,
    title=member_text,
    body=member_text,
    answer_author_id=ids,
    answer_text=member_text,
    created_at=member_text,
)
ACTIONS = tuple(
    key.removeprefix("resources.action.") for key in I18N.catalogue("en") if key.startswith("resources.action.")
)
audit_entries = st.builds(
    AuditEntry,
    id=ids,
    guild_id=ids,
    actor_id=st.one_of(st.just(0), ids),
    action=st.sampled_from(ACTIONS),
    target_type=short_text,
    target_id=short_text,
    before=st.one_of(st.none(), st.fixed_dictionaries({"title": member_text})),
    after=st.one_of(st.none(), st.fixed_dictionaries({"title": member_text})),
    reason=st.one_of(st.none(), member_text),
    created_at=member_text,
)
ZONES = tuple(sorted(zoneinfo.available_timezones()))
guild_settings = st.builds(
    GuildSettings,
    guild_id=ids,
    locale=st.sampled_from((None, "nl", "en")),
    timezone=st.sampled_from(ZONES),
    moderator_role_id=st.one_of(st.none(), ids),
    moderator_channel_id=st.one_of(st.none(), ids),
    help_forum_id=st.one_of(st.none(), ids),
    digest_channel_id=st.one_of(st.none(), ids),
    themes=st.lists(st.sampled_from(THEMES), unique=True).map(tuple),
)
locales = st.sampled_from(("nl", "en"))
CARD = Resource(
    1, 1, "Gids", "https://example.org/", "", "", "skills", (), "nl", None, "guide", "beginner", "", 7, "approved"
)


def pages(items: st.SearchStrategy[Any], most: int = 10) -> st.SearchStrategy[Page[Any]]:
    """A page of up to ``most`` items, with page numbers at their bounds."""
    return st.builds(Page, items=st.lists(items, max_size=most), page=counts, pages=counts, total=counts)


def setting_mentions(value: GuildSettings) -> set[str]:
    """The role and channel mentions /setup shows on purpose."""
    found = {f"<@&{value.moderator_role_id}>"} if value.moderator_role_id else set()
    for channel in (value.moderator_channel_id, value.help_forum_id, value.digest_channel_id):
        if channel:
            found.add(f"<#{channel}>")
    return found


# --- every builder, with hostile input ----------------------------------------------------------------------------

EMBED_BUILDERS = {
    "help_embed",
    "about_embed",
    "answer_embed",
    "faq_embed",
    "suggestion_embed",
    "unanswered_embed",
    "gaps_embed",
    "resource_embed",
    "resource_list_embed",
    "audit_embed",
    "settings_embed",
    "step_embed",
    "question_embed",  # bot.render.scan: tests/unit/test_scan_render.py
    "scan_done_embed",
    "scan_results_embed",
    "help_draft_embed",
}
CONTENT_BUILDERS = {"solved_text", "stopped_text", "help_saved_text"}
MESSAGE_BUILDERS = {"digest_messages"}
"""Builders of whole messages (embeds packed into as many messages as Discord's limits need)."""
FRAGMENTS = {"hit_field", "link_value", "resource_line", "library_line", "closed_by"}
"""Pieces of embeds, also checked on their own."""
EXEMPT = {
    "chunk_lines": "splits our own lines (tested in test_render.py)",
    "document_link": "returns a stored address for safe_link, not text to show",
    "source_label": "a catalogue text",
    "format_value": "one setting's value, checked through settings_embed and step_embed",
    "settings_lines": "the settings' labels and values, checked through settings_embed",
    "wizard_steps": "step names, no text",
    "scan_score": "a number in the reader's notation",
    "scan_change": "a catalogue text with a number",
    "scan_chart": "the labels of a PNG chart, not message text (tests/unit/test_charts.py)",
}

EMBED_BUILDERS |= {  # bot/render/licences.py
    "chooser_step_embed",
    "chooser_result_embed",
    "attribution_embed",
    "comparison_embed",
    "licence_embed",
    "rights_embed",
}
FRAGMENTS |= {"attribution_line"}
MODULES += (bot.render.licences,)


def _public_functions() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module in MODULES:
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_"):
                found[name] = value
    return found


def test_no_builder_is_forgotten() -> None:
    """Every public function of bot/render is covered here, and every embed builder is declared as one."""
    functions = _public_functions()
    assert set(functions) == EMBED_BUILDERS | CONTENT_BUILDERS | MESSAGE_BUILDERS | FRAGMENTS | set(EXEMPT)
    declared = registered_builders()
    for name, function in functions.items():
        key = f"{function.__module__}.{name}"
        returns = str(inspect.signature(inspect.unwrap(function)).return_annotation)
        if "Embed" in returns:
            assert name in EMBED_BUILDERS and declared.get(key) == "embed", name
        if name in CONTENT_BUILDERS:
            assert declared.get(key) == "content", name


@FAST
@given(
    st.lists(
        st.builds(HelpEntry, path=st.text(alphabet="abcdefgh ", max_size=40), description=st.text(max_size=120)),
        max_size=60,
    ),
    locales,
)
def test_help_embed(entries: list[HelpEntry], locale: str) -> None:
    """A theme with more commands than one field holds is split, and the whole embed still fits."""
    sections = dict.fromkeys(("general", *THEMES), entries)
    check_embed(help_embed(sections, ("general", *THEMES), I18N, locale), Allowed())


@FAST
@given(
    st.builds(
        About,
        version=member_text.map(safe),
        uptime=st.timedeltas(min_value=timedelta(0)),
        schema_version=counts,
        database_bytes=counts,
        configured_servers=counts,
    ),
    counts,
    st.one_of(st.none(), st.integers()),
    locales,
)
def test_about_embed(about: About, servers: int, latency: int | None, locale: str) -> None:
    """Figures at their bounds fit."""
    check_embed(about_embed(about, servers, latency, I18N, locale), Allowed())


def _hits_allowed(found: Iterable[SearchHit], guild_id: int | None) -> Allowed:
    allowed = Allowed()
    for hit in found:
        allowed.url(document_link(hit.document, guild_id))
    return allowed


@FAST
@given(member_text, results, st.one_of(st.none(), ids), locales)
def test_answer_embed(question: str, result: SearchResult, guild_id: int | None, locale: str) -> None:
    """/ask with hostile questions, titles, excerpts, suggestions and addresses."""
    check_embed(answer_embed(question, result, guild_id, I18N, locale), _hits_allowed(result.hits, guild_id))


@FAST
@given(st.lists(hits, max_size=8), ids, locales)
def test_suggestion_embed(found: list[SearchHit], guild_id: int, locale: str) -> None:
    """The reply under a new forum post."""
    check_embed(suggestion_embed(found, guild_id, I18N, locale), _hits_allowed(found, guild_id))


@FAST
@given(hits, st.integers(min_value=1, max_value=99), st.one_of(st.none(), ids), locales)
def test_hit_field(hit: SearchHit, index: int, guild_id: int | None, locale: str) -> None:
    """One search result fits a field on its own."""
    name, value = hit_field(hit, index, guild_id, I18N, locale)
    assert len(name) <= 256 and len(value) <= 1024
    allowed = _hits_allowed([hit], guild_id)
    check_text(name, allowed)
    check_text(value, allowed)


@FAST
@given(faq_entries, locales)
def test_faq_embed(entry: FaqEntry, locale: str) -> None:
    """FAQ entries carry members' words (promoted answers): markdown stays, masked links and mentions do not."""
    check_embed(faq_embed(entry, I18N, locale), Allowed())


@FAST
@given(posts, locales)
def test_solved_text(post: HelpPost, locale: str) -> None:
    """The thank-you fits a message and mentions only the helper."""
    text = solved_text(post, I18N, locale)
    assert 1 <= len(text) <= 2000
    check_text(text, Allowed(mentions={f"<@{post.answer_author_id}>"}))


@FAST
@given(pages(posts), ids, locales)
def test_unanswered_embed(page: Page[HelpPost], guild_id: int, locale: str) -> None:
    """Open posts with hostile titles."""
    allowed = Allowed()
    for post in page.items:
        allowed.url(f"https://discord.com/channels/{guild_id}/{post.thread_id}")
    check_embed(unanswered_embed(page, guild_id, I18N, locale), allowed)


moments = st.integers(min_value=946_684_800, max_value=7_258_118_400).map(
    lambda seconds: to_iso(datetime.fromtimestamp(seconds, UTC))
)
gaps = st.builds(
    Gap,
    id=ids,
    guild_id=ids,
    question=member_text,
    status=st.sampled_from(("open", "closed", "dismissed")),
    weight=counts,
    askers=counts,
    escalations=counts,
    created_at=moments,
    last_asked_at=moments,
    closed_at=st.one_of(st.none(), moments),
    closed_source=st.one_of(st.none(), st.sampled_from(SOURCES), short_text),
    closed_source_key=st.one_of(st.none(), ids.map(str), member_text),
    document_id=st.one_of(st.none(), ids),
    dismissed_by=st.one_of(st.none(), ids),
    reason=st.one_of(st.none(), member_text),
)
figures = st.builds(
    Gaps,
    days=counts,
    searches=counts,
    searches_without_result=counts,
    no_result=st.lists(st.tuples(member_text, counts), max_size=5),
    not_useful=st.lists(st.tuples(member_text, counts), max_size=5),
    open_posts=counts,
    oldest_open=st.one_of(st.none(), member_text),
    helpful=counts,
    unhelpful=counts,
)


@FAST
@given(figures, st.builds(Ledger, page=pages(gaps, 25), closed=st.lists(gaps, max_size=10)), ids, locales)
def test_gaps_embed(figures: Gaps, ledger: Ledger, guild_id: int, locale: str) -> None:
    """The knowledge-gap ledger: many long hostile questions, odd closing sources, huge counts."""
    allowed = Allowed()
    for gap in ledger.closed:
        if gap.closed_source == "thread" and (gap.closed_source_key or "").isdigit():
            allowed.url(f"https://discord.com/channels/{guild_id}/{gap.closed_source_key}")
    check_embed(gaps_embed(figures, ledger, guild_id, I18N, locale), allowed)


@FAST
@given(gaps, ids, locales)
def test_closed_by(gap: Gap, guild_id: int, locale: str) -> None:
    """What closed a gap: never a live mention or a masked link that hides its host."""
    allowed = Allowed()
    if gap.closed_source == "thread" and (gap.closed_source_key or "").isdigit():
        allowed.url(f"https://discord.com/channels/{guild_id}/{gap.closed_source_key}")
    text = closed_by(gap, guild_id, I18N, locale)
    assert len(text) <= 1024
    check_text(text, allowed)


def _resource_allowed(items: Iterable[Resource], *, moderators: bool) -> Allowed:
    allowed = Allowed()
    for resource in items:
        allowed.url(resource.url)
        if moderators:
            allowed.mentions.add(f"<@{resource.suggested_by}>")
    return allowed


@FAST
@given(resources, locales, st.booleans())
def test_resource_embed(resource: Resource, locale: str, for_moderators: bool) -> None:
    """A card, for members and for moderators, whatever its stored text and address."""
    embed = resource_embed(resource, I18N, locale, for_moderators=for_moderators)
    check_embed(embed, _resource_allowed([resource], moderators=for_moderators))


@FAST
@given(urls)
def test_link_value(url: str) -> None:
    """The card's link field fits a field, shows the real host, and links only to the stored address."""
    value = link_value(url)
    assert 1 <= len(value) <= 1024
    allowed = Allowed()
    allowed.url(url)
    check_text(value, allowed)
    host = url_host(url)
    if host is not None:
        assert value.replace("\\", "").startswith(("[" + host, host))


@FAST
@given(resources, locales)
def test_resource_line(resource: Resource, locale: str) -> None:
    """One line of a list."""
    check_text(resource_line(resource, I18N, locale), _resource_allowed([resource], moderators=False))


@FAST
@given(member_text, pages(resources), locales, st.sampled_from(("resources.search.none", "resources.browse.none")))
def test_resource_list_embed(title: str, page: Page[Resource], locale: str, empty_key: str) -> None:
    """A page of resources with a hostile title (a member's search words) and hostile items."""
    check_embed(
        resource_list_embed(title, page, I18N, locale, empty_key), _resource_allowed(page.items, moderators=False)
    )


@FAST
@given(pages(audit_entries), locales)
def test_audit_embed(page: Page[AuditEntry], locale: str) -> None:
    """The audit log with hostile titles and reasons."""
    allowed = Allowed(mentions={f"<@{entry.actor_id}>" for entry in page.items if entry.actor_id})
    check_embed(audit_embed(page, I18N, locale), allowed)


@FAST
@given(guild_settings, locales)
def test_settings_embed(value: GuildSettings, locale: str) -> None:
    """Every setting at its bounds."""
    check_embed(settings_embed(value, I18N, locale), Allowed(mentions=setting_mentions(value)))


@FAST
@given(st.sampled_from(WIZARD_STEPS), guild_settings, locales, st.one_of(st.none(), member_text.map(safe)))
def test_step_embed(step: str, value: GuildSettings, locale: str, note: str | None) -> None:
    """Each wizard step, with a long note."""
    check_embed(step_embed(step, value, I18N, locale, note), Allowed(mentions=setting_mentions(value)))


digest_moments = st.sampled_from(
    ("2026-11-30T08:00:00+00:00", "2026-03-29T01:00:00+00:00", "9999-12-31T23:59:59+00:00", "1970-01-01", "", "x")
)
digest_items = st.builds(
    DigestItem,
    section=st.sampled_from(SECTIONS),
    key=short_text,
    title=member_text,
    summary=member_text,
    url=st.one_of(st.none(), urls),
    thread_id=st.one_of(st.none(), ids),
    theme=st.one_of(st.none(), st.sampled_from(THEMES)),
    skills=st.lists(short_text, max_size=3).map(tuple),
    kind=st.sampled_from((None, "offer", "need", "guide", "funding", "<@1>")),
    created_at=short_text,
    score=st.integers(min_value=-1, max_value=2**63 - 1),
)
digests = st.builds(
    DigestContent,
    guild_id=ids,
    period=short_text,
    since=digest_moments,
    until=digest_moments,
    locale=locales,
    sections=st.dictionaries(
        st.sampled_from((*SECTIONS, "unknown")), st.lists(digest_items, max_size=7).map(tuple), max_size=5
    ),
    figures=st.lists(st.builds(Figure, name=st.sampled_from((*FIGURES, "other")), value=counts), max_size=5).map(tuple),
    could_help=st.lists(digest_items, max_size=4).map(tuple),
)
"""Digests of hostile items; sections one longer than the longest limit (the deterministic split of a digest
over several messages is in test_digest_render.py)."""


@FAST
@given(digests, member_text, st.booleans(), st.booleans())
def test_digest_messages(content: DigestContent, guild_name: str, personal: bool, footer: bool) -> None:
    """A digest of hostile, huge items: every message fits every limit, links only to the items' own addresses
    and threads, and pings nobody; an empty digest is no message at all."""
    messages = digest_messages(
        content, i18n=I18N, guild_name=guild_name, guild_id=content.guild_id, personal=personal, footer=footer
    )
    assert (messages == []) == content.empty
    allowed = Allowed()
    for item in content.items():
        allowed.url(item.url)
        if item.thread_id:
            allowed.url(f"https://discord.com/channels/{content.guild_id}/{item.thread_id}")
    for message in messages:
        assert message.embeds
        assert message.allowed_mentions.to_dict()["parse"] == []
        check_embeds(message.embeds, allowed)


# --- the one place that enforces the limits -----------------------------------------------------------------------

raw_fields = st.lists(st.tuples(member_text, member_text, st.booleans()), max_size=30)


@st.composite
def raw_embeds(draw: st.DrawFn) -> discord.Embed:
    """An embed as a careless builder might make it: any text anywhere, too many fields."""
    embed = discord.Embed(
        title=draw(st.one_of(st.none(), member_text)),
        description=draw(st.one_of(st.none(), member_text)),
        url=draw(st.one_of(st.none(), urls)),
    )
    for name, value, inline in draw(raw_fields):
        embed.add_field(name=name, value=value, inline=inline)
    if draw(st.booleans()):
        embed.set_footer(text=draw(member_text))
    if draw(st.booleans()):
        embed.set_author(name=draw(member_text))
    return embed


@FAST
@given(st.lists(raw_embeds(), max_size=12))
def test_fit_embeds_enforces_every_limit(embeds: list[discord.Embed]) -> None:
    """Whatever a builder produced, fit_embeds makes one message of it that Discord accepts (limits only here:
    raw text is the builders' business)."""
    count = len(embeds)
    fitted = fit_embeds(embeds)
    assert len(fitted) == min(count, 10)
    payloads = [embed.to_dict() for embed in fitted]
    total = 0
    for payload in payloads:
        assert len(payload.get("title") or "") <= 256
        assert len(payload.get("description") or "") <= 4096
        assert len((payload.get("footer") or {}).get("text") or "") <= 2048
        assert len((payload.get("author") or {}).get("name") or "") <= 256
        assert len(payload.get("fields") or []) <= 25
        for item in payload.get("fields") or []:
            assert item["name"].strip() and len(item["name"]) <= 256
            assert item["value"].strip() and len(item["value"]) <= 1024
        assert not payload.get("url") or payload["url"] == link_target(payload["url"])
        total += sum(len(text.strip()) for text in texts(payload))
    assert total <= 6000


@FAST
@given(guild_settings, st.lists(resources, min_size=1, max_size=11), locales)
def test_several_builders_in_one_message(value: GuildSettings, items: list[Resource], locale: str) -> None:
    """Embeds sent together (as /setup show does) share one 6000 budget and at most ten embeds."""
    embeds = [settings_embed(value, I18N, locale), *(resource_embed(r, I18N, locale) for r in items)]
    allowed = _resource_allowed(items, moderators=False)
    allowed.mentions |= setting_mentions(value)
    check_embeds(fit_embeds(embeds), allowed)


# --- the helpers underneath ---------------------------------------------------------------------------------------


@FAST
@given(member_text, urls, st.integers(min_value=0, max_value=2100))
def test_safe_link_never_lies_about_its_host(label: str, url: str, limit: int) -> None:
    """A safe link fits its limit, opens the stored address, and never shows another address than its own."""
    link = safe_link(label, url, limit=limit)
    assert len(link) <= max(limit, 0)
    allowed = Allowed()
    allowed.url(url)
    check_text(link, allowed)


@FAST
@given(url_tail, st.sampled_from(GOOD_HOSTS), locales)
def test_a_card_opens_the_stored_address(tail: str, host: str, locale: str) -> None:
    """Any address a member may store: its card fits, shows the real host, and its title opens that address."""
    try:
        stored, _ = normalise_url(f"https://{host}/{tail}")
    except Invalid:
        return
    card = resource_embed(replace(CARD, url=stored), I18N, locale, for_moderators=True).to_dict()
    link = card["fields"][0]["value"]
    assert link.replace("\\", "").startswith((f"[{url_host(stored)}]", url_host(stored)))
    if len(stored) <= 600:  # what a member can type always fits Discord's 2048 for the title's link
        assert unquote(card["url"]) == unquote(stored)


@FAST
@given(member_text)
def test_safe_markdown_leaves_no_masked_link(text: str) -> None:
    """Member markdown keeps no mention, and every link in it shows its real host."""
    check_text(safe_markdown(text), Allowed())


@FAST
@given(
    st.lists(st.one_of(member_text.map(safe), urls.map(lambda u: safe_link(u, u))), max_size=8),
    st.integers(min_value=0, max_value=3000),
)
def test_truncate_never_cuts_a_link_in_half(parts: list[str], limit: int) -> None:
    """Cutting text with our links in it drops a link as a whole, never leaves half of one."""
    text = truncate(" ".join(parts), limit)
    assert len(text) <= limit
    opened = text.rfind("](")
    assert opened == -1 or ")" in text[opened:]


# --- licences and rights (bot/render/licences.py) -----------------------------------------------------------------

LICENCES = LicenceCatalogue.load()
RIGHTS = RightsCatalogue.load()


def _licence_links() -> Allowed:
    """Our links: every tool's deed and legal code, in both languages."""
    allowed = Allowed()
    for tool in LICENCES.tools:
        for locale in ("nl", "en"):
            allowed.url(tool.deed(locale))
            allowed.url(tool.legalcode(locale))
    return allowed


@FAST
@given(member_text, member_text, st.one_of(st.none(), urls, member_text), st.one_of(st.none(), short_text), locales)
def test_attribution_embed(title: str, creator: str, source: str | None, year: str | None, locale: str) -> None:
    """The attribution line with hostile, over-long words (unchecked here): fits, and defuses links and mentions."""
    for tool in LICENCES.tools:
        attribution = Attribution(tool, title, creator, source, year)
        outcome = next((o for o in LICENCES.chooser.outcomes if o.result == tool.id), None)
        confirmations = outcome.confirmations if outcome else ()
        check_embed(attribution_embed(attribution, confirmations, LICENCES.chooser, I18N, locale), _licence_links())
        check_text(attribution_line(attribution, I18N, locale), _licence_links())


def test_chooser_embeds_of_every_state() -> None:
    """Every screen and every result of the chooser, in both languages."""
    states = [LICENCES.chooser.state(())]
    for state in LICENCES.chooser.walk():
        states.extend(LICENCES.chooser.state(state.path[:n]) for n in range(len(state.path) + 1))
    for state in states:
        for locale in ("nl", "en"):
            if state.outcome is not None:
                check_embed(chooser_result_embed(state, LICENCES, I18N, locale), _licence_links())
            else:
                check_embed(chooser_step_embed(state, LICENCES.chooser, I18N, locale), Allowed())


def test_comparison_and_licence_embeds_of_every_tool() -> None:
    """Every pair of tools compared, and every tool's facts, in both languages."""
    for a in LICENCES.tools:
        for locale in ("nl", "en"):
            check_embed(licence_embed(a, LICENCES, I18N, locale), _licence_links())
            for b in LICENCES.tools:
                check_embed(comparison_embed(compare(LICENCES, a.id, b.id), LICENCES, I18N, locale), Allowed())


def test_rights_embed_of_every_statement() -> None:
    """All 12 statements, in both languages."""
    for statement in RIGHTS.statements:
        for locale in ("nl", "en"):
            check_embed(rights_embed(statement, RIGHTS, I18N, locale), Allowed())


# --- the collaboration board (bot/render/collab.py) ---------------------------------------------------------------

EMBED_BUILDERS |= {"proposal_embed", "proposal_list_embed"}
CONTENT_BUILDERS |= {"ask_text"}
FRAGMENTS |= {"proposal_line"}
EXEMPT |= {
    "deadline_text": "a stored date and a Discord timestamp, checked through proposal_embed and proposal_line",
    "themes_text": "catalogue names of themes",
}
MODULES += (bot.render.collab,)

proposals = st.builds(
    Proposal,
    id=ids,
    guild_id=ids,
    owner_id=ids,
    title=member_text,
    goal=member_text,
    partners=member_text,
    themes=st.lists(st.sampled_from(THEMES), max_size=6).map(tuple),
    deadline_date=short_text,
    deadline_at=digest_moments,
    status=st.sampled_from(("open", "closed", "expired", "removed")),
    outcome=st.one_of(st.none(), st.sampled_from(OUTCOMES)),
    outcome_note=st.one_of(st.none(), member_text),
    removed_by=st.one_of(st.none(), ids),
    reason=st.one_of(st.none(), member_text),
    version=counts,
    created_at=short_text,
    updated_at=short_text,
    closed_at=st.one_of(st.none(), short_text),
)
partners = st.builds(
    Partner,
    id=ids,
    guild_id=ids,
    proposal_id=ids,
    member_id=ids,
    status=st.sampled_from(("pending", "accepted", "declined")),
    told=st.sampled_from((None, "dm", "notice")),
    created_at=short_text,
    answered_at=st.one_of(st.none(), short_text),
)
boards = st.builds(
    Board,
    proposal=proposals,
    accepted=st.lists(partners, max_size=60).map(tuple),
    pending=st.lists(partners, max_size=15).map(tuple),
)


def _board_mentions(board: Board) -> Allowed:
    """The owner and the partners are shown as mentions on purpose (embeds never ping)."""
    people = [board.proposal.owner_id, *(p.member_id for p in (*board.accepted, *board.pending))]
    return Allowed(mentions={f"<@{member}>" for member in people})


@FAST
@given(boards, locales)
def test_proposal_embed(board: Board, locale: str) -> None:
    """A proposal with hostile, huge texts and many partners and requests."""
    check_embed(proposal_embed(board, I18N, locale), _board_mentions(board))


@FAST
@given(pages(proposals), member_text.map(safe), locales)
def test_proposal_list_embed(page: Page[Proposal], title: str, locale: str) -> None:
    """A page of hostile proposals; each line on its own too."""
    check_embed(proposal_list_embed(page, title, I18N, locale), Allowed())
    for proposal in page.items:
        check_text(proposal_line(proposal, I18N, locale), Allowed())


@FAST
@given(proposals, partners, member_text, locales)
def test_ask_text(proposal: Proposal, partner: Partner, server: str, locale: str) -> None:
    """The owner's DM: within 2,000 characters, only the asking member's mention."""
    text = ask_text(proposal, partner, server, I18N, locale)
    assert 0 < len(text) <= 2000
    check_text(text, Allowed(mentions={f"<@{partner.member_id}>"}))


# --- moderation (bot/render/moderation.py) ------------------------------------------------------------------------

EMBED_BUILDERS |= {"overview_embed", "item_embed", "weekly_embed"}
FRAGMENTS |= {"item_line", "queue_field", "gaps_section"}
EXEMPT |= {"jump_url": "a discord.com link built from our own ids, checked through the builders"}
MODULES += (bot.render.moderation,)

mod_claims = st.builds(Claim, moderator_id=ids, claimed_at=digest_moments)
queue_items = st.builds(
    QueueItem,
    queue=st.sampled_from(QUEUES),
    key=ids.map(str),
    title=member_text,
    since=digest_moments,
    channel_id=st.one_of(st.none(), ids),
    message_id=st.one_of(st.none(), ids),
    jump_url=st.one_of(st.none(), urls),
    address=st.one_of(st.none(), urls),
    detail=st.one_of(st.none(), member_text),
    claim=st.one_of(st.none(), mod_claims),
)
queue_summaries = st.builds(
    QueueSummary,
    queue=st.sampled_from(QUEUES),
    count=counts,
    oldest_at=st.one_of(st.none(), digest_moments),
    red=st.booleans(),
    items=st.lists(queue_items, max_size=4).map(tuple),
)
overviews = st.builds(
    Overview,
    guild_id=ids,
    generated_at=digest_moments,
    red_days=st.integers(min_value=1, max_value=60),
    queues=st.lists(queue_summaries, max_size=7).map(tuple),
)


def _mod_allowed(guild_id: int, items: Iterable[QueueItem], claims: Iterable[Claim] = ()) -> Allowed:
    """Our jump links and the resources' addresses; claimers are shown as mentions on purpose (embeds never ping)."""
    allowed = Allowed()
    for item in items:
        allowed.url(jump_url(guild_id, item))
        allowed.url(item.address)
        if item.claim is not None:
            allowed.mentions.add(f"<@{item.claim.moderator_id}>")
    allowed.mentions |= {f"<@{claim.moderator_id}>" for claim in claims}
    return allowed


@FAST
@given(overviews, ids, locales)
def test_overview_embed(overview: Overview, guild_id: int, locale: str) -> None:
    """Many queues full of hostile, huge items; each field and line on its own too."""
    items = [item for queue in overview.queues for item in queue.items]
    allowed = _mod_allowed(guild_id, items)
    check_embed(overview_embed(overview, guild_id, I18N, locale), allowed)
    for queue in overview.queues:
        name, value = queue_field(queue, guild_id, I18N, locale)
        assert len(value) <= 1024
        check_text(name, allowed)
        check_text(value, allowed)
    for item in items:
        check_text(item_line(item, guild_id, I18N, locale), allowed)


@FAST
@given(st.builds(Opened, item=queue_items, claim=mod_claims, claimed_now=st.booleans()), ids, ids, locales)
def test_item_embed(opened: Opened, guild_id: int, viewer_id: int, locale: str) -> None:
    """An opened item with hostile title, reason and address, claimed by the viewer or someone else."""
    allowed = _mod_allowed(guild_id, [opened.item], [opened.claim])
    check_embed(item_embed(opened, guild_id, viewer_id, I18N, locale), allowed)


gaps_weeks = st.builds(
    GapsWeek,
    top=st.lists(gaps, max_size=8).map(tuple),
    open=counts,
    opened=counts,
    closed=counts,
    dismissed=counts,
)


def weekly_contents(sections: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[WeeklyContent]:
    """A week's hostile content with the given sections."""
    return st.builds(
        WeeklyContent,
        guild_id=ids,
        period=short_text,
        since=digest_moments,
        until=digest_moments,
        overview=overviews,
        sections=sections,
    )


weekly_sections = st.one_of(st.just({}), st.fixed_dictionaries({"gaps": st.one_of(st.none(), gaps_weeks)}))


@FAST
@given(weekly_contents(weekly_sections), locales)
def test_weekly_embed(content: WeeklyContent, locale: str) -> None:
    """The weekly post of a hostile overview (and hostile knowledge gaps) stays within every limit."""
    items = [item for queue in content.overview.queues for item in queue.items]
    check_embed(weekly_embed(content, I18N, locale), _mod_allowed(content.guild_id, items))


@FAST
@given(weekly_contents(st.fixed_dictionaries({"gaps": gaps_weeks})), locales)
def test_gaps_section(content: WeeklyContent, locale: str) -> None:
    """The weekly post's knowledge gaps: long hostile questions, huge counts; one field, whole lines, escaped."""
    fields = gaps_section(content, I18N, locale)
    week = content.sections["gaps"]
    assert isinstance(week, GapsWeek)
    assert len(fields) == (1 if week.open else 0)
    for name, value in fields:
        assert name.strip() and len(name) <= 256 and value.strip() and len(value) <= 1024
        check_text(name, Allowed())
        check_text(value, Allowed())


# --- the moderators' statistics (bot/render/stats.py) -------------------------------------------------------------

EMBED_BUILDERS |= {"stats_embed"}
EXEMPT |= {
    "figure_rows": "catalogue labels and numbers, checked through stats_embed (and the CSV in test_cli_stats.py)",
    "number_text": "a number",
    "percent_text": "a catalogue text with a number",
    "hours_text": "a catalogue duration",
    "week_label": "a catalogue date",
    "spans_years": "a yes/no about the period's weeks",
    "stats_charts": "the labels of PNG charts, not message text (tests/unit/test_stats_render.py)",
}
MODULES += (bot.render.stats,)

shares = st.one_of(st.none(), st.floats(min_value=0, max_value=1))
stats_moments = st.datetimes(
    min_value=datetime(2015, 1, 1),  # noqa: DTZ001  # hypothesis wants naive bounds
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
stats_figures = st.builds(
    Figures,
    guild_id=ids,
    days=st.sampled_from(PERIODS),
    start=stats_moments,
    end=stats_moments,
    searches=counts,
    zero_result_searches=counts,
    zero_result_share=shares,
    posts_opened=counts,
    posts_solved=counts,
    solve_rate=shares,
    answer_hours_median=st.one_of(st.none(), st.floats(min_value=0, max_value=1e300)),
    answers_timed=counts,
    top_resources=st.lists(st.builds(ResourceVotes, key=short_text, title=member_text, votes=counts), max_size=5).map(
        tuple
    ),
    match_requests=counts,
    match_accepted=counts,
    acceptance_share=shares,
    outcomes=st.just(tuple((kind, 2**63 - 1) for kind in MATCH_OUTCOMES)),
    digest_subscribers=counts,
    digest_sent=counts,
    digest_failed=counts,
    weeks=st.just(()),
)


@FAST
@given(stats_figures, st.one_of(st.none(), st.just("searches.png")), locales)
def test_stats_embed(figures: Figures, image: str | None, locale: str) -> None:
    """Huge counts, every share (or none), hostile resource titles: within every limit, no live mention or link."""
    check_embed(stats_embed(figures, I18N, locale, image=image), Allowed())
