"""The README stays true: its test command is what CI runs, and every CLI command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run contains the README's test command verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_command = next(b for b in _bash_blocks(readme) if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_run_command_starts_the_bot() -> None:
    """The README's run command installs the project and runs `steunpunt run`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert any(b.endswith("steunpunt run") and "pip install" in b for b in _bash_blocks(readme))


def test_every_cli_command_is_documented() -> None:
    """Each subcommand of the CLI appears in the README's command table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, subparser in sub.choices.items():  # type: ignore[attr-defined]
        nested = [a for a in subparser._actions if a.__class__.__name__ == "_SubParsersAction"]
        names = [f"{name} {n}" for n in nested[0].choices] if nested else [name]  # type: ignore[attr-defined]
        for full in names:
            assert f"`steunpunt {full}" in readme, full
