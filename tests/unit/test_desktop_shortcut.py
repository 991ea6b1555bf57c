"""The desktop shortcut the agent app adds on request (D2): found entry, copied, executable."""

from __future__ import annotations

from pathlib import Path

import pytest

from suite.agent.app.desktop_shortcut import (
    DESKTOP_FILE,
    ShortcutError,
    add_desktop_shortcut,
    installed_entry,
)


def _entry(folder: Path, text: str) -> Path:
    path = folder / "applications" / DESKTOP_FILE
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_the_entry_is_found_in_the_data_folders_in_order(tmp_path: Path) -> None:
    """XDG_DATA_HOME comes first, then XDG_DATA_DIRS from left to right."""
    system = _entry(tmp_path / "usr/share", "system")
    local = _entry(tmp_path / "usr/local/share", "local")
    env = {"XDG_DATA_HOME": str(tmp_path / "home-data"),
           "XDG_DATA_DIRS": f"{tmp_path / 'usr/local/share'}:{tmp_path / 'usr/share'}"}  # fmt: skip
    assert installed_entry(env) == local
    own = _entry(tmp_path / "home-data", "own")
    assert installed_entry(env) == own
    env["XDG_DATA_DIRS"] = str(tmp_path / "usr/share")
    env["XDG_DATA_HOME"] = str(tmp_path / "nowhere")
    assert installed_entry(env) == system


def test_a_missing_entry_says_to_install_the_package(tmp_path: Path) -> None:
    """Without an installed menu entry the error names the folders searched and the fix."""
    env = {"XDG_DATA_HOME": str(tmp_path / "a"), "XDG_DATA_DIRS": str(tmp_path / "b")}
    with pytest.raises(ShortcutError) as raised:
        installed_entry(env)
    message = str(raised.value)
    assert str(tmp_path / "b" / "applications") in message
    assert "install the remotesales-agent package first" in message


def test_the_shortcut_is_a_copy_made_executable_and_replaces_an_older_one(tmp_path: Path) -> None:
    """The desktop folder is made if missing; a second call overwrites the first copy."""
    entry = _entry(tmp_path / "share", "[Desktop Entry]\nName=RemoteSales Agent\n")
    desktop = tmp_path / "Desktop"
    shortcut = add_desktop_shortcut(entry, desktop)
    assert shortcut == desktop / DESKTOP_FILE
    assert shortcut.read_text() == entry.read_text() and shortcut.stat().st_mode & 0o111
    entry.write_text("[Desktop Entry]\nName=RemoteSales Agent 2\n")
    assert add_desktop_shortcut(entry, desktop).read_text().endswith("Agent 2\n")


def test_an_unwritable_desktop_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A desktop path that is a file cannot hold the shortcut: the error names it."""
    entry = _entry(tmp_path / "share", "[Desktop Entry]\n")
    blocker = tmp_path / "Desktop"
    blocker.write_text("not a folder")
    with pytest.raises(ShortcutError, match="cannot write .*Desktop"):
        add_desktop_shortcut(entry, blocker)
