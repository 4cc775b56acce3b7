"""Catalogue parity: nl and en have the same keys and the same placeholders; code keys exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import LOCALES_DIR, load_catalogue, placeholders

ROOT = Path(__file__).resolve().parents[2]


def test_same_files_in_both_locales() -> None:
    """Each area has a file in both languages, and each file pair holds the same keys."""
    from bot.i18n import load_file

    nl_files = sorted(p.name for p in (LOCALES_DIR / "nl").glob("*.toml"))
    assert nl_files == sorted(p.name for p in (LOCALES_DIR / "en").glob("*.toml"))
    for name in nl_files:
        assert set(load_file(LOCALES_DIR / "nl" / name)) == set(load_file(LOCALES_DIR / "en" / name)), name


def test_same_keys_in_both_catalogues() -> None:
    """Every key exists in both nl.toml and en.toml."""
    nl = load_catalogue(LOCALES_DIR / "nl")
    en = load_catalogue(LOCALES_DIR / "en")
    assert sorted(set(nl) - set(en)) == []
    assert sorted(set(en) - set(nl)) == []


def test_same_placeholders_in_both_catalogues() -> None:
    """A message uses the same {placeholders} in both languages."""
    nl = load_catalogue(LOCALES_DIR / "nl")
    en = load_catalogue(LOCALES_DIR / "en")
    mismatched = {
        k: (placeholders(nl[k]), placeholders(en[k])) for k in nl if placeholders(nl[k]) != placeholders(en[k])
    }
    assert mismatched == {}


def test_no_empty_messages() -> None:
    """No catalogue entry is blank."""
    for loc in ("nl", "en"):
        blank = [k for k, v in load_catalogue(LOCALES_DIR / loc).items() if not v.strip()]
        assert blank == [], loc


def test_every_literal_key_in_code_exists() -> None:
    """Every t("...") / DomainError("...") key literal used in bot/ and cogs/ is in the catalogue."""
    en = load_catalogue(LOCALES_DIR / "en")
    pattern = re.compile(
        r"""(?:\.t\(|\bt\(|(?:NotFound|Forbidden|Invalid|Conflict|RateLimited|DomainError)\()\s*["']([a-z0-9_.\-]+)["']"""
    )
    missing = []
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]:
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            if key not in en:
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []
