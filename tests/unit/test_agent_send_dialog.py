"""The desktop Send-file dialog opens in the user's Documents folder (pure: a recording window
stands in for pywebview's)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from suite.agent.app.shell import AgentShell, send_dialog_folder


class RecordingWindow:
    """Records what the shell asks pywebview's file dialog for."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_file_dialog(self, dialog_type: int, **options: Any) -> list[str]:
        self.calls.append({"type": dialog_type, **options})
        return ["/tmp/a.pdf"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".config").mkdir()
    return tmp_path


def test_the_xdg_documents_folder_is_where_the_dialog_opens(home: Path) -> None:
    """XDG user dirs name the Documents folder (here a Korean one): the dialog opens there."""
    documents = home / "문서"
    documents.mkdir()
    (home / ".config" / "user-dirs.dirs").write_text('XDG_DOCUMENTS_DIR="$HOME/문서"\n')
    assert send_dialog_folder() == documents


def test_without_a_documents_folder_the_dialog_opens_at_home(home: Path) -> None:
    """No user-dirs file and no ~/Documents: the home folder, never the working directory."""
    workdir = home / "checkout"
    workdir.mkdir()
    assert send_dialog_folder() == home
    (home / "Documents").mkdir()
    assert send_dialog_folder() == home / "Documents"


def test_choose_files_passes_the_documents_folder_to_the_dialog(home: Path) -> None:
    """The shell's Send-file dialog is given the folder (it opened in the program's folder)."""
    (home / "Documents").mkdir()
    shell = object.__new__(AgentShell)
    window = RecordingWindow()
    shell._webview = SimpleNamespace(FileDialog=SimpleNamespace(OPEN=10))
    shell._lock = threading.RLock()
    shell._chats = {"s1": window}
    shell.main = RecordingWindow()
    assert shell.choose_files("s1") == [Path("/tmp/a.pdf")]
    assert window.calls == [
        {"type": 10, "directory": str(home / "Documents"), "allow_multiple": True}
    ]
