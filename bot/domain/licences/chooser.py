"""The licence chooser as a state machine: the official CC chooser logic (domain.md A.3), read from data.

A state is the path of options a member chose, one per screen (e.g. ``("y", "n", "sa")``), so it fits in a
button's custom_id and survives restarts. From the answers those options give, the next thing is either an
outcome (the first whose conditions all hold) or the next screen (the first whose questions are unanswered
and may be asked). :meth:`Chooser.validate` walks every path once at load time: each ends in exactly one
outcome, and each outcome is reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import Invalid

OPTION_ID = re.compile(r"[a-z]{1,3}")
"""An option's id: short, so a whole path fits in a custom_id."""
SEPARATOR = "."
"""Joins the options of a path in its text form (``y.n.sa``)."""
MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Question:
    """One yes/no question; ``asked_if`` holds the answers it needs first (A.3: share-alike only with derivatives)."""

    id: str
    en: str
    nl: str
    asked_if: Mapping[str, bool] = field(default_factory=dict)

    def text(self, locale: str) -> str:
        """The question in ``locale`` (``nl`` or ``en``)."""
        return self.nl if locale == "nl" else self.en


@dataclass(frozen=True, slots=True)
class Option:
    """One button of a screen and the answers it gives."""

    id: str
    answers: Mapping[str, bool]


@dataclass(frozen=True, slots=True)
class Step:
    """One screen of the wizard: the questions it settles and its options."""

    id: str
    questions: tuple[str, ...]
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        """An option of this screen by id, or None."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where the answers lead: a tool's id, when every condition in ``when`` holds; and what to confirm."""

    when: Mapping[str, bool]
    result: str
    confirmations: tuple[str, ...]

    def matches(self, answers: Mapping[str, bool]) -> bool:
        """Whether every condition is answered, the same way."""
        return all(key in answers and answers[key] == value for key, value in self.when.items())


@dataclass(frozen=True, slots=True)
class ChooserState:
    """Where a path leads: its answers, and either the next screen or the outcome."""

    path: tuple[str, ...]
    answers: Mapping[str, bool]
    step: Step | None
    outcome: Outcome | None

    @property
    def number(self) -> int:
        """The screen's number, counting from 1 (the outcome counts as the screen after the last)."""
        return len(self.path) + 1

    @property
    def back(self) -> tuple[str, ...] | None:
        """The path one screen back, or None at the start."""
        return self.path[:-1] if self.path else None


class Chooser:
    """The questions, screens and outcomes of the licence chooser."""

    def __init__(
        self,
        questions: Sequence[Question],
        steps: Sequence[Step],
        outcomes: Sequence[Outcome],
        confirmations: Mapping[str, Mapping[str, str]],
        licence_confirmations: Sequence[str] = (),
    ) -> None:
        self.questions: tuple[Question, ...] = tuple(questions)
        self.steps: tuple[Step, ...] = tuple(steps)
        self.outcomes: tuple[Outcome, ...] = tuple(outcomes)
        self.confirmations = {k: dict(v) for k, v in confirmations.items()}
        self.licence_confirmations: tuple[str, ...] = tuple(licence_confirmations)
        self._questions = {q.id: q for q in self.questions}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Chooser:
        """Build from the ``[chooser]`` table of licences.toml (A.3's questions and outcomes, and our additions)."""

        def question(entry: Mapping[str, Any]) -> Question:
            asked_if = {str(k): bool(v) for k, v in dict(entry.get("asked_if", {})).items()}
            return Question(str(entry["id"]), str(entry["en"]), str(entry["nl"]), asked_if)

        def outcome(entry: Mapping[str, Any]) -> Outcome:
            default = data.get("licence_confirmations", [])
            confirmations = tuple(str(c) for c in entry.get("confirmations", default))
            when = {str(k): bool(v) for k, v in dict(entry["when"]).items()}
            return Outcome(when, str(entry["result"]), confirmations)

        questions = [question(q) for q in [*data.get("question", []), *data.get("extra_question", [])]]
        steps = [
            Step(
                str(s["id"]),
                tuple(str(q) for q in s["questions"]),
                tuple(
                    Option(str(o["id"]), {str(k): bool(v) for k, v in dict(o["answers"]).items()}) for o in s["option"]
                ),
            )
            for s in data.get("step", [])
        ]
        outcomes = [outcome(o) for o in [*data.get("outcome", []), *data.get("extra_outcome", [])]]
        confirmations = {str(k): {str(lang): str(t) for lang, t in v.items()} for k, v in data["confirmation"].items()}
        return cls(questions, steps, outcomes, confirmations, [str(c) for c in data.get("licence_confirmations", [])])

    # -- the state machine ---------------------------------------------------------------------------------------

    def question(self, question_id: str) -> Question | None:
        """A question by id, or None."""
        return self._questions.get(question_id)

    def outcome_for(self, answers: Mapping[str, bool]) -> Outcome | None:
        """The first outcome whose conditions all hold, or None."""
        return next((o for o in self.outcomes if o.matches(answers)), None)

    def next_step(self, answers: Mapping[str, bool]) -> Step | None:
        """The first screen none of whose questions is answered yet and one of which may be asked now."""
        for step in self.steps:
            if any(q in answers for q in step.questions):
                continue
            if any(self._askable(q, answers) for q in step.questions):
                return step
        return None

    def _askable(self, question_id: str, answers: Mapping[str, bool]) -> bool:
        question = self._questions.get(question_id)
        return question is not None and all(answers.get(k) == v for k, v in question.asked_if.items())

    def state(self, path: Sequence[str]) -> ChooserState:
        """Follow a path of options from the start; raises :class:`Invalid` for a path the chooser cannot take."""
        answers: dict[str, bool] = {}
        taken: list[str] = []
        for option_id in path:
            if self.outcome_for(answers) is not None or len(taken) >= MAX_DEPTH:
                raise Invalid("licences.choose.bad_state")
            step = self.next_step(answers)
            option = step.option(option_id) if step is not None else None
            if option is None:
                raise Invalid("licences.choose.bad_state")
            answers.update(option.answers)
            taken.append(option_id)
        outcome = self.outcome_for(answers)
        step = None if outcome is not None else self.next_step(answers)
        if outcome is None and step is None:
            raise Invalid("licences.choose.bad_state")
        return ChooserState(tuple(taken), answers, step, outcome)

    def parse(self, text: str) -> ChooserState:
        """The state of a path in its text form (``""`` is the start, ``"y.n.sa"`` three screens on)."""
        parts = text.split(SEPARATOR) if text else []
        if any(not OPTION_ID.fullmatch(p) for p in parts):
            raise Invalid("licences.choose.bad_state")
        return self.state(parts)

    def walk(self) -> Iterator[ChooserState]:
        """Every state that ends in an outcome, each reached by one path (breadth first, in option order)."""
        pending: list[tuple[str, ...]] = [()]
        while pending:
            path = pending.pop(0)
            state = self.state(path)
            if state.outcome is not None:
                yield state
            elif state.step is not None:
                pending.extend((*path, option.id) for option in state.step.options)

    def validate(self, tool_ids: Sequence[str]) -> None:
        """Check the data: ids, that every path ends at a known tool, and that every outcome is reached once."""
        for step in self.steps:
            if not step.options or any(not OPTION_ID.fullmatch(o.id) for o in step.options):
                raise ValueError(f"chooser step {step.id!r} has no options or a malformed option id")
            unknown = [
                q for o in step.options for q in o.answers if q not in step.questions or q not in self._questions
            ]
            if unknown:
                raise ValueError(f"chooser step {step.id!r} answers questions it does not hold: {unknown}")
        for outcome in self.outcomes:
            if outcome.result not in tool_ids:
                raise ValueError(f"chooser outcome leads to an unknown tool {outcome.result!r}")
            missing = [c for c in outcome.confirmations if c not in self.confirmations]
            if missing:
                raise ValueError(f"chooser outcome {outcome.result!r} has confirmations without text: {missing}")
        reached = [state.outcome for state in self.walk()]
        for outcome in self.outcomes:
            if sum(1 for r in reached if r is outcome) != 1:
                raise ValueError(f"chooser outcome {outcome.result!r} is not reached by exactly one path")

    def confirmation(self, confirmation_id: str, locale: str) -> str:
        """A confirmation's text in ``locale`` (our wording)."""
        texts = self.confirmations.get(confirmation_id, {})
        return texts.get(locale) or texts.get("en") or confirmation_id


def path_text(path: Sequence[str]) -> str:
    """A path in its text form for a custom_id (``y.n.sa``)."""
    return SEPARATOR.join(path)
