"""The suite's one version number comes from pyproject.toml (suite/version.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from suite.version import UNKNOWN_VERSION, VERSION, read_version

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version_is_pyprojects():
    """VERSION (what the relay's /health reports) is pyproject.toml's version."""
    with PYPROJECT.open("rb") as file:
        assert VERSION == tomllib.load(file)["project"]["version"]


def test_without_metadata_the_version_is_read_from_pyproject(monkeypatch, tmp_path):
    """A bundle without package metadata reads the pyproject.toml it carries, else 'unknown'."""
    from importlib import metadata

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    bundled = tmp_path / "pyproject.toml"
    bundled.write_text('[project]\nname = "remotesales"\nversion = "9.8.7"\n')
    assert read_version(bundled) == "9.8.7"
    assert read_version(tmp_path / "missing.toml") == UNKNOWN_VERSION
