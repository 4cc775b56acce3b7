"""Hand-written checks of application command bodies (names, descriptions, options, choices, size, counts)."""

from __future__ import annotations

from typing import Any

from .limits import Checker, Path, check_chat_name, check_choices, check_localizations

SUB, GROUP = 1, 2
MAX_PER_TYPE = {1: 100, 2: 15, 3: 15}
MAX_SAFE = 2**53


def check_commands(c: Checker, commands: Any) -> None:
    """A bulk-overwrite list: each command, unique names per type, per-type counts."""
    if not isinstance(commands, list):
        c.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for i, cmd in enumerate(commands):
        check_command(c, cmd, (i,))
        key = (int(cmd.get("type") or 1), str(cmd.get("name")))
        if key in seen:
            c.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Duplicate command name {key[1]!r}.")
        seen.add(key)
        counts[key[0]] = counts.get(key[0], 0) + 1
    for type_, n in counts.items():
        if n > MAX_PER_TYPE.get(type_, 100):
            c.add((), "MAX_APPLICATION_COMMANDS", f"{n} commands of type {type_} (max {MAX_PER_TYPE[type_]}).")


def check_command(c: Checker, cmd: dict[str, Any], path: Path) -> None:
    """One command: name rules by type, description, localizations, options, 8000-character size."""
    type_ = int(cmd.get("type") or 1)
    if type_ == 1:
        check_chat_name(c, (*path, "name"), cmd.get("name"))
        c.length((*path, "description"), cmd.get("description"), 1, 100)
        check_localizations(c, (*path, "name_localizations"), cmd.get("name_localizations"), name=True)
        check_localizations(c, (*path, "description_localizations"), cmd.get("description_localizations"), name=False)
        check_options(c, cmd.get("options"), (*path, "options"), depth=0)
    else:
        c.length((*path, "name"), cmd.get("name"), 1, 32)
        for key, value in (cmd.get("name_localizations") or {}).items():
            c.length((*path, "name_localizations", key), value, 1, 32)
        check_localizations(c, (*path, "name_localizations"), cmd.get("name_localizations"), name=False)
        if cmd.get("description"):
            c.add((*path, "description"), "APPLICATION_COMMAND_DESCRIPTION", "Context menus have no description.")
        if cmd.get("options"):
            c.add((*path, "options"), "APPLICATION_COMMAND_OPTIONS", "User/message commands cannot have options.")
    size = command_size(cmd)
    if size > 8000:
        c.add(path, "APPLICATION_COMMAND_TOO_LARGE", f"Command is {size} characters (max 8000).")


def check_options(c: Checker, options: Any, path: Path, *, depth: int) -> None:
    """Options: ≤25, unique names, required before optional, subcommand nesting, choices, ranges."""
    opts = c.count(path, options, 0, 25, "options")
    names: set[str] = set()
    kinds = {o.get("type") in (SUB, GROUP) for o in opts}
    if len(kinds) > 1:
        c.add(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Cannot mix subcommands/groups with other options.")
    optional_seen = False
    for i, opt in enumerate(opts):
        p = (*path, i)
        type_ = opt.get("type")
        check_chat_name(c, (*p, "name"), opt.get("name"))
        c.length((*p, "description"), opt.get("description"), 1, 100)
        check_localizations(c, (*p, "name_localizations"), opt.get("name_localizations"), name=True)
        check_localizations(c, (*p, "description_localizations"), opt.get("description_localizations"), name=False)
        if opt.get("name") in names:
            c.add((*p, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", f"Duplicate option {opt['name']!r}.")
        names.add(opt.get("name"))
        if type_ in (SUB, GROUP):
            if (type_ == GROUP and depth > 0) or (type_ == SUB and depth > 1):
                c.add((*p, "type"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands nested too deeply.")
            inner = opt.get("options") or []
            if type_ == GROUP and any(o.get("type") != SUB for o in inner):
                c.add((*p, "options"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Groups may only hold subcommands.")
            check_options(c, inner, (*p, "options"), depth=depth + 1)
            continue
        if opt.get("options"):
            c.add((*p, "options"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Only subcommands have options.")
        if opt.get("required"):
            if optional_seen:
                c.add(
                    (*p, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options.",
                )
        else:
            optional_seen = True
        _check_value_rules(c, opt, p)


def _check_value_rules(c: Checker, opt: dict[str, Any], p: Path) -> None:
    type_ = opt.get("type")
    if opt.get("choices"):
        if opt.get("autocomplete"):
            c.add((*p, "autocomplete"), "AUTOCOMPLETE_WITH_CHOICES", "autocomplete cannot be set with choices.")
        if type_ not in (3, 4, 10):
            c.add((*p, "choices"), "APPLICATION_COMMAND_OPTIONS_CHOICES_INVALID", "Only string/number options.")
    check_choices(c, opt.get("choices"), (*p, "choices"))
    for key in ("min_length", "max_length"):
        if opt.get(key) is not None and not (0 if key == "min_length" else 1) <= opt[key] <= 6000:
            c.add((*p, key), "NUMBER_TYPE_MAX", f"{key} must be within 0/1..6000.")
    for key in ("min_value", "max_value"):
        if opt.get(key) is not None and not -MAX_SAFE <= opt[key] <= MAX_SAFE:
            c.add((*p, key), "NUMBER_TYPE_MAX", f"{key} must be within ±2^53.")
    if opt.get("channel_types") and type_ != 7:
        c.add((*p, "channel_types"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "channel_types only on channels.")


def _longest(base: Any, locs: Any) -> int:
    values = [str(base or "")] + [str(v) for v in (locs or {}).values()]
    return max(len(v) for v in values)


def command_size(node: dict[str, Any]) -> int:
    """Characters counted toward the 8000 limit: names, descriptions, choice names and values (longest locale)."""
    total = _longest(node.get("name"), node.get("name_localizations"))
    total += _longest(node.get("description"), node.get("description_localizations"))
    for choice in node.get("choices") or []:
        total += _longest(choice.get("name"), choice.get("name_localizations")) + len(str(choice.get("value", "")))
    return total + sum(command_size(o) for o in node.get("options") or [])
