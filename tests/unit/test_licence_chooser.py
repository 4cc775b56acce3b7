"""The licence chooser's state machine against the official CC chooser logic (domain.md A.3).

Every path through the chooser is walked; each result is compared with A.3's outcomes table as shipped in
``bot/data/licences.toml`` AND with the table transcribed below from domain.md, so neither the data nor the
code can drift from the source unnoticed.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files

import pytest

from bot.domain.licences import LicenceCatalogue
from bot.domain.licences.chooser import path_text
from bot.errors import Invalid

CATALOGUE = LicenceCatalogue.load()
CHOOSER = CATALOGUE.chooser
DATA = tomllib.loads((files("bot") / "data" / "licences.toml").read_text(encoding="utf-8"))

# domain.md A.3 `cc_chooser.outcomes`, transcribed by hand (answers → result, confirmations)
A3_OUTCOMES = [
    ({"require-attribution": False}, "cc0-1.0", ("waive", "read")),
    (
        {"require-attribution": True, "allow-commercial-use": True, "allow-derivatives": True, "share-alike": False},
        "cc-by-4.0",
        None,
    ),
    (
        {"require-attribution": True, "allow-commercial-use": True, "allow-derivatives": True, "share-alike": True},
        "cc-by-sa-4.0",
        None,
    ),
    ({"require-attribution": True, "allow-commercial-use": True, "allow-derivatives": False}, "cc-by-nd-4.0", None),
    (
        {"require-attribution": True, "allow-commercial-use": False, "allow-derivatives": True, "share-alike": False},
        "cc-by-nc-4.0",
        None,
    ),
    (
        {"require-attribution": True, "allow-commercial-use": False, "allow-derivatives": True, "share-alike": True},
        "cc-by-nc-sa-4.0",
        None,
    ),
    ({"require-attribution": True, "allow-commercial-use": False, "allow-derivatives": False}, "cc-by-nc-nd-4.0", None),
]
A3_LICENCE_CONFIRMATIONS = ("ownership_or_authority", "read_and_understood", "not_revocable")
A3_QUESTIONS = ["require-attribution", "allow-commercial-use", "allow-derivatives", "share-alike"]
GUIDED = set(A3_QUESTIONS)


def _expected(confirmations: tuple[str, ...] | None) -> tuple[str, ...]:
    return confirmations if confirmations is not None else A3_LICENCE_CONFIRMATIONS


def test_the_data_file_holds_a3_as_transcribed() -> None:
    """licences.toml's questions, outcomes and confirmations are domain.md A.3's."""
    chooser = DATA["chooser"]
    assert [q["id"] for q in chooser["question"]] == A3_QUESTIONS
    assert next(q for q in chooser["question"] if q["id"] == "share-alike")["asked_if"] == {"allow-derivatives": True}
    shipped = [
        (o["when"], o["result"], tuple(o["confirmations"]) if "confirmations" in o else None)
        for o in chooser["outcome"]
    ]
    assert shipped == A3_OUTCOMES
    assert tuple(chooser["licence_confirmations"]) == A3_LICENCE_CONFIRMATIONS
    assert chooser["not_offered_by_chooser"] == ["pdm-1.0"]


def test_every_path_ends_at_the_a3_outcome_for_its_answers() -> None:
    """Walk every path: the guided answers equal exactly one A.3 row, and the result and confirmations are its."""
    states = list(CHOOSER.walk())
    guided = [s for s in states if set(s.answers) <= GUIDED]
    assert len(guided) == len(A3_OUTCOMES)  # one path per outcome, no path left over
    for state in guided:
        assert state.outcome is not None
        rows = [row for row in A3_OUTCOMES if row[0] == dict(state.answers)]
        assert len(rows) == 1, (state.path, state.answers)
        _, result, confirmations = rows[0]
        assert state.outcome.result == result, state.path
        assert state.outcome.confirmations == _expected(confirmations), state.path
        assert CATALOGUE.tool(result) is not None
        shipped = [o for o in DATA["chooser"]["outcome"] if o["when"] == dict(state.answers)]  # the data file's row
        assert [o["result"] for o in shipped] == [result], state.path
    reached = sorted(s.outcome.result for s in guided if s.outcome is not None)
    assert reached == sorted(row[1] for row in A3_OUTCOMES)


def test_the_public_domain_path_is_separate_and_leads_to_pdm() -> None:
    """Our one addition: "already in the public domain" on the first screen → PDM, nothing else asked."""
    state = CHOOSER.state(["pd"])
    assert state.outcome is not None and state.outcome.result == "pdm-1.0"
    assert "pdm-1.0" not in {row[1] for row in A3_OUTCOMES}
    others = [s for s in CHOOSER.walk() if not set(s.answers) <= GUIDED]
    assert [s.path for s in others] == [("pd",)]


@pytest.mark.parametrize(
    ("path", "result"),
    [
        (("n",), "cc0-1.0"),
        (("y", "y", "y"), "cc-by-4.0"),
        (("y", "y", "sa"), "cc-by-sa-4.0"),
        (("y", "y", "n"), "cc-by-nd-4.0"),
        (("y", "n", "y"), "cc-by-nc-4.0"),
        (("y", "n", "sa"), "cc-by-nc-sa-4.0"),
        (("y", "n", "n"), "cc-by-nc-nd-4.0"),
        (("pd",), "pdm-1.0"),
    ],
)
def test_the_buttons_members_press(path: tuple[str, ...], result: str) -> None:
    """The wizard's own paths (attribution, commercial use, adaptations yes / share-alike / no)."""
    state = CHOOSER.parse(path_text(path))
    assert state.outcome is not None and state.outcome.result == result
    assert state.step is None and state.number == len(path) + 1


def test_questions_come_in_a3_order_and_share_alike_only_with_derivatives() -> None:
    """Attribution first; "no" to attribution ends at once (CC0); then commercial use; then adaptations."""
    start = CHOOSER.state(())
    assert start.step is not None and start.step.questions[0] == "require-attribution" and start.back is None
    second = CHOOSER.state(["y"])
    assert second.step is not None and second.step.questions == ("allow-commercial-use",)
    third = CHOOSER.state(["y", "n"])
    assert third.step is not None and third.step.questions == ("allow-derivatives", "share-alike")
    no_derivatives = CHOOSER.state(["y", "n", "n"])
    assert "share-alike" not in no_derivatives.answers  # not asked when adaptations are not allowed


def test_back_is_the_path_one_screen_shorter() -> None:
    """Back from any state leads to the screen before it, which asks the same question as before."""
    for state in CHOOSER.walk():
        path = state.path
        while path:
            back = CHOOSER.state(path).back
            assert back == path[:-1]
            assert CHOOSER.state(back).step is not None
            path = back


@pytest.mark.parametrize("text", ["x", "y.y.y.y", "n.y", "pd.n", "y..y", "Y", "y.pd", "y.y.q", "a" * 41])
def test_a_path_the_chooser_cannot_take_is_invalid(text: str) -> None:
    """A forged or stale custom_id is refused with a message, never a crash."""
    with pytest.raises(Invalid) as caught:
        CHOOSER.parse(text)
    assert caught.value.key == "licences.choose.bad_state"


def test_every_confirmation_has_dutch_and_english_text() -> None:
    """Each outcome's confirmations can be shown as a checklist in both languages."""
    for outcome in CHOOSER.outcomes:
        assert outcome.confirmations
        for confirmation in outcome.confirmations:
            nl, en = CHOOSER.confirmation(confirmation, "nl"), CHOOSER.confirmation(confirmation, "en")
            assert nl and en and nl != en and nl != confirmation


def test_a_chooser_whose_paths_miss_an_outcome_is_refused() -> None:
    """validate() catches data that leaves an outcome unreachable."""
    data = tomllib.loads((files("bot") / "data" / "licences.toml").read_text(encoding="utf-8"))
    adaptations = next(s for s in data["chooser"]["step"] if s["id"] == "adaptations")
    adaptations["option"] = [o for o in adaptations["option"] if o["id"] != "sa"]  # no share-alike button
    with pytest.raises(ValueError, match="not reached"):
        LicenceCatalogue.from_data(data)
