"""Hypothesis strategies for fuzzing the real bot through the fake Discord.

Everything here is built from what Discord itself would send: option values follow the schema the bot
registered (type, length, range, choices, channel types), modal values the text inputs the bot declared,
select values the options it offered. Within those rules the values are hostile: empty or at their maximum
length, mentions of every kind (with ids that exist in the fake's world and ids that do not), masked links,
markdown, full-text search syntax, right-to-left and zero-width characters, and numbers at their bounds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from bot.domain.setup import EXPORT_FORMAT_VERSION
from tests.fakediscord import FakeChannel, FakeFile, FakeMember, FakeRole, FakeUser

Json = dict[str, Any]

# --- hostile text ------------------------------------------------------------------------------------------------

MENTIONS = (
    "@everyone",
    "@here",
    "@\u200beveryone",
    "＠everyone",
    "<@0>",
    "<@!1>",
    "<@&0>",
    "<#0>",
    "</ask:0>",
    "<t:0:R>",
    "<:x:0>",
    "<a:y:1>",
)
MASKED_LINKS = (
    "[https://good.example](https://evil.example/a)",
    "[x](<https://evil.example/b>)",
    '[a [b] c](https://evil.example/c "t")',
    "[pay\u200bpal.com](https://evil.example/d)",
    "[\u202emoc.lapyap](https://evil.example/e)",
    "[x](javascript:alert(1))",
    "](",
)
MARKDOWN = ("**", "__", "~~", "||", "`", "```", "```py\n", "> ", ">>> ", "# ", "-# ", "- ", "1. ", "\\", "\\*", "*")
SEARCH_SYNTAX = (
    '"',
    "'",
    "*",
    "^",
    "NEAR(",
    "NEAR/2",
    " AND ",
    " OR ",
    " NOT ",
    "(",
    ")",
    "title:",
    "body:",
    "-",
    "+",
    ":",
    "{",
    "}",
    "%",
    "_",
    '""',
    "* OR *",
)
INVISIBLE_AND_RTL = (
    "\u202e",
    "\u202d",
    "\u200f",
    "\u200e",
    "\u2066",
    "\u2067",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u034f",
    "\x00",
    "\t",
    "\n",
    "\r\n",
    "\x1b[31m",
    "\u0085",
    "\u2028",
)
SCRIPTS = (
    "مرحبا",
    "שלום",
    "é",
    "e\u0301",
    "Z̴̡̛͓a̸l̷g̵o̶",
    "😀",
    "👩\u200d👩\u200d👧",
    "🏳️\u200d🌈",
    "𝕳",
    "ﷺ",
    "Ⅻ",
    "ß",
    "İ",
    "ﬁ",
    "١٢٣",
    "１２３",
)
NUMBERS = (
    "0",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "1e309",
    "0x10",
    "NaN",
    "#1",
)
URLS = (
    "https://example.org/",
    "https://example.org/" + ")" * 480,
    "http://127.0.0.1/",
    "https://xn--e1afmkfd.xn--p1ai/",
    "https://例え.テスト/パス?q=a b",
    "www.evil.example",
    "mailto:a@b.c",
    "%29",
)
INJECTION = ("{title}", "{0}", "%s", "${x}", "'; DROP TABLE faq_entries; --", "<script>", "&amp;", "../")
FRAGMENTS: tuple[str, ...] = (
    *MENTIONS,
    *MASKED_LINKS,
    *MARKDOWN,
    *SEARCH_SYNTAX,
    *INVISIBLE_AND_RTL,
    *SCRIPTS,
    *NUMBERS,
    *URLS,
    *INJECTION,
)
NONEXISTENT_IDS = ("0", "1", "-1", "999999999999999999", "9" * 19, "9" * 30, " 7 ", "#7", "١٢", "7\u200b")

# What Discord's client trims from a slash option before sending it (JavaScript's String.prototype.trim).
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(map(chr, range(0x2000, 0x200B)))
PADDING = "x"

any_character = st.characters(codec="utf-8")  # no lone surrogates: they cannot travel as JSON text


@dataclass(repr=False)
class FuzzWorld:
    """What the strategies may refer to: the fake's members, roles and channels, and the bot's vocabulary."""

    members: dict[str, list[FakeMember]]
    """Invokers by kind: "member", "moderator", "manager"."""
    roles: list[FakeRole]
    channels: list[FakeChannel]
    users: list[FakeMember | FakeUser]
    """Everybody an option of type USER may name (members, the bot, a user outside the server)."""
    words: list[str]
    """Words the bot understands: setting names, themes, time zones, channel and role names and ids."""
    known_ids: list[int] = field(default_factory=list)
    """Ids of stored FAQ entries and resources (grows while fuzzing)."""
    known_titles: list[str] = field(default_factory=list)
    """Titles of stored FAQ entries, resources and help posts (grows while fuzzing)."""

    def __repr__(self) -> str:
        # Hypothesis shows strategies' arguments: keep it short (the stored ids and titles keep growing)
        return f"<FuzzWorld: {len(self.users)} users, {len(self.known_ids)} stored items>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The same short form for Hypothesis's pretty printer (which would otherwise list every field)."""
        printer.text(repr(self))

    @property
    def mentions(self) -> list[str]:
        """Mentions of people, roles and channels that exist (so they would really ping)."""
        out = [f"<@{m.user.id if isinstance(m, FakeMember) else m.id}>" for m in self.users]
        out += [f"<@!{m.user.id}>" for people in self.members.values() for m in people]
        out += [f"<@&{r.id}>" for r in self.roles]
        out += [f"<#{c.id}>" for c in self.channels]
        return out

    def person(self, username: str) -> FakeMember:
        """A member by username (examples draw names, which read better in a falsifying example)."""
        return next(m for people in self.members.values() for m in people if m.user.username == username)

    def names(self, *kinds: str) -> list[str]:
        """Usernames of the members of these kinds (all kinds when none is given)."""
        return [m.user.username for kind in kinds or tuple(self.members) for m in self.members[kind]]

    def id_text(self, k: int) -> str:
        """The ``k``-th of: ids that exist nowhere, then the ids stored most recently."""
        pool = [*NONEXISTENT_IDS, *map(str, self.known_ids[-RECENT_IDS:])]
        return pool[k % len(pool)]

    def title_text(self, k: int, length: int) -> str:
        """The first ``length`` characters of the ``k``-th most recently stored title ("" before any)."""
        recent = self.known_titles[-RECENT_IDS:]
        return recent[-1 - k % len(recent)][:length] if recent else ""


RECENT_IDS = 6


def title_texts(world: FuzzWorld) -> st.SearchStrategy[str]:
    """A stored title, or how it starts (as a member types it to find it); resolved like `id_texts`."""
    return st.builds(world.title_text, st.integers(0, RECENT_IDS - 1), st.sampled_from([2, 4, 8, 100]))


def id_texts(world: FuzzWorld) -> st.SearchStrategy[str]:
    """An id as text: one that exists nowhere or one stored recently.

    Drawn as an index and resolved against the world when drawn, so the shape of the draw never depends on how
    much was stored (Hypothesis replays a choice sequence and needs the same draws each time).
    """
    return st.integers(0, len(NONEXISTENT_IDS) + RECENT_IDS - 1).map(world.id_text)


def js_trim(text: str) -> str:
    """The value as Discord's client sends a typed slash-command option (leading/trailing blanks trimmed)."""
    return text.strip(JS_WHITESPACE)


def fit(text: str, min_size: int, max_size: int) -> str:
    """Cut to at most ``max_size`` characters; pad to ``min_size`` with a visible character."""
    text = text[:max_size]
    return text + PADDING * (min_size - len(text)) if len(text) < min_size else text


def _fill(text: str, size: int) -> str:
    text = text or PADDING
    return (text * (size // len(text) + 1))[:size]


def pieces(world: FuzzWorld) -> st.SearchStrategy[str]:
    """One hostile piece: a fragment, a real mention or word, an id, or arbitrary characters."""
    return st.one_of(
        st.sampled_from(FRAGMENTS),
        st.sampled_from(world.mentions),
        st.sampled_from(world.words),
        id_texts(world),
        title_texts(world),
        st.text(any_character, max_size=12),
    )


def hostile_text(world: FuzzWorld, min_size: int = 0, max_size: int = 100) -> st.SearchStrategy[str]:
    """Hostile text of ``min_size``..``max_size`` characters: often empty-ish, often exactly at the maximum."""
    joined = st.lists(pieces(world), max_size=8).map("".join)
    shaped = st.one_of(
        joined,
        st.builds(_fill, joined, st.just(max_size)),
        st.sampled_from(["", " ", "\u200b", "\u202e"]),
        id_texts(world),
        title_texts(world),
        st.sampled_from(world.words),
    )
    return shaped.map(lambda text: fit(text, min_size, max_size))


def typed_option_text(world: FuzzWorld, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """What a member can type into a string option: hostile text, trimmed by the client, non-empty."""
    return hostile_text(world, 0, max_size).map(lambda text: fit(js_trim(text), max(min_size, 1), max_size))


# --- option values per registered option type ---------------------------------------------------------------------

MAX_SAFE = 2**53


def integers_within(lo: int, hi: int) -> st.SearchStrategy[int]:
    """An integer in [lo, hi], very often one of the bounds or next to them."""
    edges = sorted({v for v in (lo, lo + 1, hi - 1, hi, 0, 1, -1) if lo <= v <= hi})
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def numbers_within(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A number in [lo, hi], very often a bound, zero or a tiny value."""
    edges = sorted({v for v in (lo, hi, 0.0, 5e-324, -5e-324, 0.5) if lo <= v <= hi})
    return st.one_of(st.sampled_from(edges), st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def option_value(opt: Json, world: FuzzWorld) -> st.SearchStrategy[Any]:
    """A value Discord would send for one registered option (see tests/fakediscord/options.py for the rules)."""
    kind = opt["type"]
    if opt.get("choices"):
        return st.sampled_from([c["value"] for c in opt["choices"]])
    if kind == 3:
        return typed_option_text(world, opt.get("min_length", 0), opt.get("max_length", 6000))
    if kind == 4:
        return integers_within(int(opt.get("min_value", -MAX_SAFE)), int(opt.get("max_value", MAX_SAFE)))
    if kind == 10:
        return numbers_within(float(opt.get("min_value", -MAX_SAFE)), float(opt.get("max_value", MAX_SAFE)))
    if kind == 5:
        return st.booleans()
    if kind == 6:
        return st.sampled_from(world.users)
    if kind == 7:
        allowed = opt.get("channel_types")
        return st.sampled_from([c for c in world.channels if not allowed or c.type in allowed])
    if kind == 8:
        return st.sampled_from(world.roles)
    if kind == 9:
        return st.sampled_from([*world.users, *world.roles])
    if kind == 11:
        return hostile_files(world)
    raise AssertionError(f"no strategy for option type {kind} ({opt['name']})")


@st.composite
def leaf_options(draw: st.DrawFn, schema: Json, world: FuzzWorld, skip: Sequence[str] = ()) -> dict[str, Any]:
    """Values for a command leaf's options: every required one, each optional one or not."""
    values: dict[str, Any] = {}
    for opt in schema.get("options") or []:
        if opt["name"] in skip:
            continue
        if opt.get("required") or draw(st.booleans()):
            values[opt["name"]] = draw(option_value(opt, world))
    return values


# --- files ----------------------------------------------------------------------------------------------------------

FILENAMES = (
    "s.json",
    "s.toml",
    "settings.JSON",
    "x.txt",
    "leeg",
    "a b.json",
    "ünïcødé.toml",
    "..json",
    "x" * 90 + ".json",
)


def json_values(world: FuzzWorld) -> st.SearchStrategy[Any]:
    """Arbitrary JSON: hostile strings, ids that exist and do not, huge numbers, nesting."""
    ids = [str(c.id) for c in world.channels] + [str(r.id) for r in world.roles]
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text(world, 0, 120),
        st.sampled_from([*ids, *NONEXISTENT_IDS]),
    )
    return st.recursive(
        scalars,
        # a dict from a list of pairs, not st.dictionaries: unique keys would filter on values that depend on what
        # was stored, and Hypothesis needs the same draws each time it replays an example
        lambda inner: (
            st.lists(inner, max_size=4) | st.lists(st.tuples(hostile_text(world, 0, 20), inner), max_size=4).map(dict)
        ),
        max_leaves=12,
    )


@st.composite
def settings_document(draw: st.DrawFn, world: FuzzWorld) -> dict[str, Any]:
    """Something shaped like a /setup export: a version, known setting names and stray keys, hostile values."""
    names = [w for w in world.words if w.isidentifier()]
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["steunpunt_settings"] = draw(st.sampled_from([EXPORT_FORMAT_VERSION, 0, "1", None, 2**64, [1]]))
    # a repeated key overwrites: unique=True would filter on values that depend on what was stored (see above)
    for key in draw(st.lists(st.sampled_from(names) | hostile_text(world, 1, 40), max_size=6)):
        doc[key] = draw(json_values(world))
    return doc


def _toml_text(doc: dict[str, Any]) -> bytes:
    lines = []
    for key, value in doc.items():
        rendered = json.dumps(value, ensure_ascii=False) if isinstance(value, str | int | bool) else '"x"'
        lines.append(f"{json.dumps(key, ensure_ascii=False)} = {rendered}")
    return "\n".join(lines).encode()


HOSTILE_FILES = (
    b"",
    b"\xff\xfe\x00\x00",
    b"\xef\xbb\xbf{}",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b"a = " + b"[" * 5000 + b"]" * 5000,
    b"a = " + b"{b = " * 2000 + b"1" + b"}" * 2000,
    b" " * (64 * 1024 + 1),
    b"null",
    b"[]",
    b'"text"',
    b"1e99999",
    b'{"steunpunt_settings": 1e99999}',
    b"= = =",
    b"steunpunt_settings = 1\nlanguage = 'en'\nlanguage = 'nl'\n",
)
"""Uploads that are empty, not UTF-8, nested deeper than any parser recurses, just over 64 KiB, or odd JSON/TOML."""


def hostile_files(world: FuzzWorld) -> st.SearchStrategy[FakeFile]:
    """An uploaded file: empty, binary, not UTF-8, over 64 KiB, deeply nested, or a hostile settings document."""
    documents = settings_document(world)
    fixed = st.integers(0, len(HOSTILE_FILES) - 1).map(HOSTILE_FILES.__getitem__)  # no 300 kB repr
    content = st.one_of(
        fixed,
        fixed,  # twice: these are the cases most likely to break a parser
        st.binary(max_size=64),
        documents.map(lambda d: json.dumps(d, ensure_ascii=False).encode()),
        documents.map(_toml_text),
    )
    return st.builds(FakeFile, st.sampled_from(FILENAMES), content)


# --- modals and components ------------------------------------------------------------------------------------------


MODAL_FIELDS = 5
"""Discord's most text inputs in one modal."""
MAX_SELECTED = 25


@dataclass(frozen=True)
class FieldPlan:
    """What a member does with one modal field: keep the prefilled value, or type ``text`` (or fill it up)."""

    keep: bool
    fill: bool
    text: str


@dataclass(frozen=True)
class StepPlan:
    """A follow-up interaction drawn before anything is sent, so the draws never depend on the bot's answer:
    modal field values by position, or which component to use, by whom, with which select options."""

    use_component: bool
    component: int
    clicker: str
    """Username of who uses a component on a message everybody sees."""
    fields: tuple[FieldPlan, ...]
    picks: tuple[int, ...]


def field_plans(world: FuzzWorld) -> st.SearchStrategy[FieldPlan]:
    """One modal field's plan."""
    return st.builds(FieldPlan, st.integers(0, 4).map(lambda n: n == 0), st.booleans(), hostile_text(world, 0, 4000))


def step_plans(world: FuzzWorld) -> st.SearchStrategy[StepPlan]:
    """A follow-up interaction's plan."""
    return st.builds(
        StepPlan,
        st.booleans(),
        st.integers(0, 99),
        st.sampled_from(world.names()),
        st.tuples(*[field_plans(world)] * MODAL_FIELDS),
        st.lists(st.integers(0, 99), max_size=MAX_SELECTED).map(tuple),
    )


def _inputs(component: Json) -> list[Json]:
    if component.get("type") == 1:
        return list(component.get("components", []))
    if component.get("type") == 18:
        return [component["component"]]
    return []


def modal_values(components: list[Json], plan: StepPlan, world: FuzzWorld) -> dict[str, Any]:
    """Values for a modal's inputs by position, within the declared lengths and rules; a field left out keeps
    the value the bot prefilled (unless that value does not fit the field, which Discord would not submit)."""
    values: dict[str, Any] = {}
    inputs = [item for component in components for item in _inputs(component) if item.get("custom_id")]
    for item, field_plan in zip(inputs, plan.fields, strict=False):
        cid, kind = item["custom_id"], item.get("type")
        if kind == 4:
            required = item.get("required", True)
            lo, hi = max(item.get("min_length", 0), 1 if required else 0), item.get("max_length", 4000)
            prefilled = item.get("value") or ""
            if field_plan.keep and (lo <= len(prefilled) <= hi or (not prefilled and not required)):
                continue  # Discord lets the member submit what was prefilled only if it fits the field
            text = _fill(field_plan.text, hi) if field_plan.fill else field_plan.text
            values[cid] = text if (not required and text == "") else fit(text, lo, hi)
        elif kind in (3, 5, 6, 7, 8):
            values[cid] = select_values(item, world, plan.picks)
    return values


def select_values(component: Json, world: FuzzWorld, picks: tuple[int, ...]) -> list[Any]:
    """Values for a select menu, chosen by index: options it offered, or members, roles and channels."""
    lo, hi = component.get("min_values", 1), component.get("max_values", 1)
    kind = component["type"]
    pool: list[Any]
    if kind == 3:
        pool = [o["value"] for o in component.get("options", [])]
    elif kind == 5:
        pool = [u for u in world.users if isinstance(u, FakeMember)]
    elif kind == 6:
        pool = list(world.roles)
    elif kind == 7:
        pool = [*world.users, *world.roles]
    elif kind == 8:
        allowed = component.get("channel_types")
        pool = [c for c in world.channels if not allowed or c.type in allowed]
    else:
        raise AssertionError(f"no strategy for component type {kind}")
    chosen: list[Any] = []
    for item in [pool[k % len(pool)] for k in picks] if pool else []:
        if len(chosen) < hi and all(item is not c for c in chosen):
            chosen.append(item)
    for item in pool:  # Discord requires at least min_values
        if len(chosen) >= lo:
            break
        if all(item is not c for c in chosen):
            chosen.append(item)
    return chosen
