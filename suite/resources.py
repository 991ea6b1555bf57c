"""Where the suite's bundled files are, from a checkout and from a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def project_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def ui_dir() -> Path:
    """The ``ui/`` folder (HTML, CSS, ES modules) shared by every page and window."""
    return project_root() / "ui"
