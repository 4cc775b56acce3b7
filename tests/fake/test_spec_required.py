"""The fake's OpenAPI validation may not switch itself off where it matters (CI, or STEUNPUNT_REQUIRE_SPEC=1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakediscord import validation
from tests.fakediscord.server import FakeDiscord


def test_missing_spec_only_warns_outside_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a developer's machine a missing spec is one warning; the hand-written checks still run."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("STEUNPUNT_REQUIRE_SPEC", raising=False)
    with pytest.warns(validation.SpecMissingWarning):
        assert validation.load_registry(str(tmp_path / "absent-openapi.json")) is None


@pytest.mark.parametrize(("key", "value"), [("CI", "true"), ("STEUNPUNT_REQUIRE_SPEC", "1")])
async def test_missing_spec_is_an_error_when_required(
    key: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In CI a missing spec fails at once, when the fake starts, instead of quietly skipping validation."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("STEUNPUNT_REQUIRE_SPEC", raising=False)
    monkeypatch.setenv(key, value)
    monkeypatch.setenv("STEUNPUNT_OPENAPI_SPEC", str(tmp_path / "absent-openapi.json"))
    assert validation.spec_required()
    with pytest.raises(validation.SpecMissingError, match=r"absent-openapi\.json"):
        await FakeDiscord().start()
