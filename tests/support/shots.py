"""Where test screenshots go: the run's test-artifacts/, and a copy for the reviewers.

Tests write every screenshot into the run's artifacts (tests/support/ui_pages.ARTIFACTS or the
``artifacts_dir`` fixture) and hand it to ``keep_shot``, which copies it into the reviewers'
folder only on a machine where that folder exists; nothing is created outside the tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# The reviewers' screenshot folder on the team's machines; absent elsewhere (CI, laptops).
REVIEWERS_SHOTS = Path("/work/shots")


def reviewers_folder(name: str) -> Path:
    """The reviewers' sub-folder ``name`` (created by keep_shot, only where its parent exists)."""
    return REVIEWERS_SHOTS / name


def keep_shot(path: Path, shots: Path, name: str | None = None) -> Path:
    """Copy a screenshot into the reviewers' folder ``shots`` when its parent exists here.

    Args:
        path: the screenshot, already written into the run's artifacts.
        shots: the reviewers' folder for this test (``reviewers_folder("...")``).
        name: the copy's file name when it differs from ``path.name``.

    Returns:
        ``path``, so a call can wrap the screenshot call.
    """
    if shots.parent.exists():
        shots.mkdir(exist_ok=True)
        shutil.copy(path, shots / (name or path.name))
    return path
