"""The starter resource library shipped in bot/data/resources.toml is complete, well-formed and sourced."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES_PATH = files("bot") / "data" / "resources.toml"
DOMAIN_PATH = ROOT.parent / "shared/domain/domain.md"

THEMES = {"revenue-and-rights", "skills", "collective", "strategy", "collaboration"}
TYPES = {"guide", "toolkit", "course", "website", "dataset", "funding", "event"}
LANGUAGES = {"nl", "en"}
AUDIENCES = {"beginner", "intermediate", "advanced"}
LICENCES = {
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-NC-ND-4.0",
    "CC0-1.0",
    "PDM-1.0",
    # RightsStatements.org ids
    "InC",
    "InC-OW-EU",
    "InC-EDU",
    "InC-NC",
    "InC-RUU",
    "NoC-CR",
    "NoC-NC",
    "NoC-OKLR",
    "NoC-US",
    "CNE",
    "UND",
    "NKC",
}
REQUIRED_FIELDS = {
    "key",
    "title",
    "url",
    "theme",
    "type",
    "language",
    "audience",
    "publisher",
    "tags",
    "summary_nl",
    "summary_en",
}
OPTIONAL_FIELDS = {"licence"}
TAG_RE = re.compile(r"^[a-z0-9-]+$")
KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """The parsed TOML file."""
    with RESOURCES_PATH.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def resources(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The list of resource tables."""
    return data["resource"]


def _normalise_url(url: str) -> str:
    return url.strip().lower().rstrip("/")


def test_format_version_is_one(data: dict[str, Any]) -> None:
    """The file declares format = 1."""
    assert data["format"] == 1


def test_at_least_45_resources(resources: list[dict[str, Any]]) -> None:
    """The starter library ships at least 45 resources."""
    assert len(resources) >= 45


def test_every_resource_has_exactly_the_known_fields(resources: list[dict[str, Any]]) -> None:
    """Each resource has every required field and no unknown ones."""
    problems = []
    for r in resources:
        missing = REQUIRED_FIELDS - r.keys()
        unknown = r.keys() - REQUIRED_FIELDS - OPTIONAL_FIELDS
        if missing or unknown:
            problems.append((r.get("key"), sorted(missing), sorted(unknown)))
    assert problems == []


def test_text_fields_are_non_empty_strings(resources: list[dict[str, Any]]) -> None:
    """Every scalar field is a non-blank string."""
    scalar_fields = (REQUIRED_FIELDS | OPTIONAL_FIELDS) - {"tags"}
    bad = [
        (r.get("key"), f)
        for r in resources
        for f in scalar_fields
        if f in r and (not isinstance(r[f], str) or not r[f].strip())
    ]
    assert bad == []


def test_keys_are_unique(resources: list[dict[str, Any]]) -> None:
    """No two resources share a key."""
    dupes = [k for k, n in Counter(r["key"] for r in resources).items() if n > 1]
    assert dupes == []


def test_keys_are_slugs(resources: list[dict[str, Any]]) -> None:
    """Keys are lowercase hyphenated slugs."""
    bad = [r["key"] for r in resources if not KEY_RE.match(r["key"])]
    assert bad == []


def test_urls_are_unique(resources: list[dict[str, Any]]) -> None:
    """No two resources share a URL (case-insensitive, ignoring a trailing slash)."""
    counts = Counter(_normalise_url(r["url"]) for r in resources)
    assert [u for u, n in counts.items() if n > 1] == []


def test_urls_are_http_with_a_host(resources: list[dict[str, Any]]) -> None:
    """Every URL is http(s) and names a host."""
    bad = []
    for r in resources:
        parsed = urlparse(r["url"])
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            bad.append(r["key"])
    assert bad == []


def test_themes_are_known(resources: list[dict[str, Any]]) -> None:
    """Every theme is one of the five theme ids."""
    assert [(r["key"], r["theme"]) for r in resources if r["theme"] not in THEMES] == []


def test_types_are_known(resources: list[dict[str, Any]]) -> None:
    """Every type is one of the allowed resource types."""
    assert [(r["key"], r["type"]) for r in resources if r["type"] not in TYPES] == []


def test_languages_are_known(resources: list[dict[str, Any]]) -> None:
    """Every language is nl or en."""
    assert [(r["key"], r["language"]) for r in resources if r["language"] not in LANGUAGES] == []


def test_audiences_are_known(resources: list[dict[str, Any]]) -> None:
    """Every audience is beginner, intermediate or advanced."""
    assert [(r["key"], r["audience"]) for r in resources if r["audience"] not in AUDIENCES] == []


def test_licences_are_known_ids(resources: list[dict[str, Any]]) -> None:
    """A licence, when given, is a CC/PD tool id or a RightsStatements.org id."""
    assert [(r["key"], r["licence"]) for r in resources if "licence" in r and r["licence"] not in LICENCES] == []


def test_titles_are_at_most_200_chars(resources: list[dict[str, Any]]) -> None:
    """Titles fit in 200 characters."""
    assert [r["key"] for r in resources if len(r["title"]) > 200] == []


def test_summaries_are_non_empty_and_at_most_400_chars(resources: list[dict[str, Any]]) -> None:
    """Both summaries are present and fit in 400 characters."""
    bad = [
        (r["key"], f) for r in resources for f in ("summary_nl", "summary_en") if not r[f].strip() or len(r[f]) > 400
    ]
    assert bad == []


def test_tags_are_two_to_six_lowercase_slugs(resources: list[dict[str, Any]]) -> None:
    """Each resource has 2-6 distinct tags made of [a-z0-9-]."""
    bad = []
    for r in resources:
        tags = r["tags"]
        ok = (
            isinstance(tags, list)
            and 2 <= len(tags) <= 6
            and len(set(tags)) == len(tags)
            and all(isinstance(t, str) and TAG_RE.match(t) for t in tags)
        )
        if not ok:
            bad.append((r["key"], tags))
    assert bad == []


def test_every_theme_has_at_least_five_resources(resources: list[dict[str, Any]]) -> None:
    """Each of the five themes has at least five resources."""
    counts = Counter(r["theme"] for r in resources)
    assert {t: counts[t] for t in THEMES if counts[t] < 5} == {}


def test_at_least_twelve_dutch_resources(resources: list[dict[str, Any]]) -> None:
    """At least twelve resources are in Dutch."""
    assert sum(r["language"] == "nl" for r in resources) >= 12


def test_every_url_is_sourced_from_domain_md(resources: list[dict[str, Any]]) -> None:
    """Every URL appears verbatim in shared/domain/domain.md (when that file is available)."""
    if not DOMAIN_PATH.is_file():
        pytest.skip(f"{DOMAIN_PATH} not available; cannot check URL provenance")
    domain = DOMAIN_PATH.read_text(encoding="utf-8")
    assert [r["url"] for r in resources if r["url"] not in domain] == []
