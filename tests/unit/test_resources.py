"""Where the bundled ``ui/`` files are found: a checkout, or a PyInstaller bundle's folder."""

from __future__ import annotations

import sys
from pathlib import Path

from suite.resources import project_root, ui_dir

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_serves_its_own_ui_folder():
    assert project_root() == REPO_ROOT
    assert (ui_dir() / "agent" / "index.html").is_file()


def test_a_pyinstaller_bundle_serves_the_ui_it_unpacked(monkeypatch, tmp_path):
    # The bootloader unpacks the bundle's data (build/*.spec puts ui/ there) and sets _MEIPASS.
    (tmp_path / "ui" / "agent").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert project_root() == tmp_path
    assert ui_dir() == tmp_path / "ui"
