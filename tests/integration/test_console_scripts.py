"""The console scripts pyproject declares are installed in this environment and start."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def test_relay_agent_and_viewer_have_console_scripts():
    assert {"remotesales-relay", "remotesales-agent", "remotesales-viewer"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_console_script_prints_its_usage(name):
    # The installed wrapper, beside this interpreter (pip install -e . wrote it).
    script = Path(sys.executable).parent / name
    assert script.exists(), f"{script} missing: reinstall the project (pip install -e .)"
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
