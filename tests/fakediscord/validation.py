"""Request-body validation: the hand-written limit checks (always) plus the OpenAPI spec (when available).

The spec is Discord's official `openapi.json`, found at `STEUNPUNT_OPENAPI_SPEC` or
`<repo>/../shared/discord/openapi.json`. It is loaded once per process; if it is missing, spec validation is
skipped with a single warning and the hand-written checks still run, except in CI (``CI`` set) or with
``STEUNPUNT_REQUIRE_SPEC=1``: there a missing spec is a hard error (:class:`SpecMissingError`), so validation
can never switch itself off where it matters.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .command_checks import check_command, check_commands
from .limits import Checker, Problem, check_message

DEFAULT_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "discord" / "openapi.json"
SPEC_URN = "urn:discord"


class SpecMissingWarning(UserWarning):
    """The OpenAPI spec file was not found; only the hand-written checks run."""


class SpecMissingError(RuntimeError):
    """The OpenAPI spec file was not found where it is required (CI, or ``STEUNPUNT_REQUIRE_SPEC=1``)."""


def spec_required() -> bool:
    """Whether a missing spec must fail instead of warn: in CI (``CI`` set) or with ``STEUNPUNT_REQUIRE_SPEC=1``."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or os.environ.get("STEUNPUNT_REQUIRE_SPEC", "").strip() == "1"


def spec_location() -> Path:
    """Where the spec is looked for: $STEUNPUNT_OPENAPI_SPEC, else ../shared/discord/openapi.json."""
    env = os.environ.get("STEUNPUNT_OPENAPI_SPEC")
    return Path(env) if env else DEFAULT_SPEC


@functools.cache
def load_registry(path: str) -> Registry | None:
    """The spec as a `referencing` registry under `urn:discord` (cached; warns once and returns None if absent).

    Raises :class:`SpecMissingError` instead when the spec is required (see :func:`spec_required`).
    """
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if spec_required():
            raise SpecMissingError(
                f"fakediscord: OpenAPI spec not found at {path}, and it is required here (CI or "
                "STEUNPUNT_REQUIRE_SPEC=1). Put Discord's openapi.json there or set STEUNPUNT_OPENAPI_SPEC."
            ) from None
        warnings.warn(
            f"fakediscord: OpenAPI spec not found at {path}; spec validation skipped "
            "(hand-written limit checks still run; set STEUNPUNT_OPENAPI_SPEC to enable).",
            SpecMissingWarning,
            stacklevel=2,
        )
        return None
    schemas = spec["components"]["schemas"]
    # discord.py sends ints in allowed_mentions.users/roles and attachment ids; Discord accepts them.
    schemas["SnowflakeType"] = {"anyOf": [copy.deepcopy(schemas["SnowflakeType"]), {"type": "integer", "minimum": 0}]}
    resource = Resource(contents=spec, specification=DRAFT202012)
    return Registry().with_resource(SPEC_URN, resource)


@functools.cache
def _validator(path: str, schema_json: str) -> Draft202012Validator | None:
    registry = load_registry(path)
    if registry is None:
        return None
    return Draft202012Validator(json.loads(schema_json), registry=registry)


def spec_problems(schema: str | dict[str, Any], body: Any, *, path: str | None = None) -> list[Problem]:
    """Validate against a spec schema (a component name or an inline schema); [] when the spec is absent."""
    if isinstance(schema, str):
        schema = {"$ref": f"{SPEC_URN}#/components/schemas/{schema}"}
    validator = _validator(path or str(spec_location()), json.dumps(schema, sort_keys=True))
    if validator is None:
        return []
    err = best_match(validator.iter_errors(body))
    if err is None:
        return []
    message = err.message if len(err.message) < 300 else err.message[:300] + "..."
    return [Problem(tuple(err.absolute_path), f"SPEC_{str(err.validator).upper()}", message)]


def spec_available() -> bool:
    """Whether spec validation is active in this process."""
    return load_registry(str(spec_location())) is not None


BULK_COMMANDS = {
    "type": "array",
    "maxItems": 130,
    "items": {"$ref": f"{SPEC_URN}#/components/schemas/ApplicationCommandUpdateRequest"},
}
SCHEMAS: dict[str, str | dict[str, Any]] = {
    "message_create": "MessageCreateRequest",
    "message_edit": "MessageEditRequestPartial",
    "webhook_execute": "IncomingWebhookRequestPartial",
    "webhook_edit": "IncomingWebhookUpdateRequestPartial",
    "commands_bulk": BULK_COMMANDS,
    "command_create": "ApplicationCommandCreateRequest",
    "command_edit": "ApplicationCommandPatchRequestPartial",
    "forum_thread": "CreateForumThreadRequest",
    "thread": "CreateTextThreadWithoutMessageRequest",
    "thread_from_message": "CreateTextThreadWithMessageRequest",
    "thread_edit": "UpdateThreadRequestPartial",
    "channel_edit": "UpdateGuildChannelRequestPartial",
    "dm_create": "CreatePrivateChannelRequest",
}
CALLBACK_SCHEMAS = {
    1: "PongInteractionCallbackRequest",
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
    12: "LaunchActivityInteractionCallbackRequest",
}


def check_thread_fields(c: Checker, body: dict[str, Any]) -> None:
    """Thread name 1-100, ≤5 applied tags, valid auto-archive duration and slowmode."""
    if "name" in body:
        c.length(("name",), (body.get("name") or "").strip(), 1, 100)
    c.count(("applied_tags",), body.get("applied_tags"), 0, 5, "tags")
    if body.get("auto_archive_duration") not in (None, 60, 1440, 4320, 10080):
        c.add(("auto_archive_duration",), "BASE_TYPE_CHOICES", "Must be one of 60, 1440, 4320, 10080.")
    rate = body.get("rate_limit_per_user")
    if rate is not None and not 0 <= rate <= 21600:
        c.add(("rate_limit_per_user",), "NUMBER_TYPE_MAX", "Must be 0-21600.")


def check_channel_edit(c: Checker, body: dict[str, Any]) -> None:
    """Channel name 1-100, topic, ≤20 forum tags with names ≤20 and at most one emoji field."""
    if "name" in body:
        c.length(("name",), body.get("name"), 1, 100)
    c.length(("topic",), body.get("topic"), 0, 4096)
    for i, tag in enumerate(c.count(("available_tags",), body.get("available_tags"), 0, 20, "tags")):
        c.length(("available_tags", i, "name"), tag.get("name"), 1, 20)
        if tag.get("emoji_id") and tag.get("emoji_name"):
            c.add(("available_tags", i), "TAG_EMOJI_INVALID", "Set emoji_id or emoji_name, not both.")
    check_thread_fields(c, {k: v for k, v in body.items() if k in ("applied_tags", "rate_limit_per_user")})


def problems(kind: str, body: Any, *, has_files: bool = False) -> list[Problem]:
    """All problems of one request body: hand-written checks first, then the concrete spec schema."""
    c = Checker()
    if not isinstance(body, dict | list):
        c.add((), "BASE_TYPE_DICT", "Body must be JSON.")
        return c.problems
    if kind in ("message_create", "webhook_execute"):
        check_message(c, body, has_files=has_files)
    elif kind in ("message_edit", "webhook_edit"):
        check_message(c, body, create=False)
    elif kind == "commands_bulk":
        check_commands(c, body)
    elif kind in ("command_create", "command_edit"):
        check_command(c, body, ())
    elif kind == "forum_thread":
        check_thread_fields(c, body)
        check_message(c, body.get("message") or {}, ("message",), has_files=has_files)
    elif kind in ("thread", "thread_from_message", "thread_edit"):
        check_thread_fields(c, body)
    elif kind == "channel_edit":
        check_channel_edit(c, body)
    found = c.problems
    schema = SCHEMAS.get(kind)
    if schema is not None:
        found += [p for p in spec_problems(schema, body) if p.path not in {q.path for q in found}]
    return found


def errors_tree(found: list[Problem]) -> dict[str, Any]:
    """Discord's nested `errors` object: {"data": {"content": {"_errors": [{code, message}]}}}."""
    tree: dict[str, Any] = {}
    for p in found:
        node = tree
        for key in p.path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": p.code, "message": p.message})
    return tree


@dataclass
class Violation:
    """A rejected request, recorded so the test fails (or so `expect_violations` can assert it)."""

    method: str
    path: str
    code: int
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        details = "; ".join(str(p) for p in self.problems)
        return f"{self.method} {self.path} -> {self.code}: {details}"
