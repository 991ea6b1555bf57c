"""The suite's version, in one place: the installed package's metadata (from ``pyproject.toml``).

A checkout that was never installed, and a PyInstaller bundle (which carries no package
metadata; ``build/relay.spec`` bundles ``pyproject.toml`` instead), read ``pyproject.toml``
beside the code. Nowhere else writes the number down.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from suite.resources import project_root

DISTRIBUTION = "remotesales"
UNKNOWN_VERSION = "unknown"


def read_version(pyproject: Path | None = None) -> str:
    """The installed distribution's version, else ``pyproject.toml``'s, else ``"unknown"``."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    path = pyproject or project_root() / "pyproject.toml"
    try:
        with path.open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, ValueError, KeyError):
        return UNKNOWN_VERSION


VERSION: str = read_version()
