"""Where the one-time viewer saves the files the agent sends, and how it shows that folder.

The viewer page asks the program to fetch a ready transfer (``ui/viewer/native_shell.js`` →
``ViewerBridge.receive_file``); the program streams it from the relay with the same client the
agent app uses (``suite.files.client``: resumable, sha256-checked, a ``.part`` file
renamed only when the hash matches, never overwriting; names made safe by
``suite.files.names``), into this folder.
"""

from __future__ import annotations

from pathlib import Path

from suite.files.file_manager import open_in_file_manager


def default_folder() -> Path:
    """``~/Downloads/RemoteSales`` (the folder people look in for downloads)."""
    return Path.home() / "Downloads" / "RemoteSales"


class ReceivedFiles:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or default_folder()

    def open_folder(self) -> None:
        """Show the folder in the platform's file manager."""
        self.folder.mkdir(parents=True, exist_ok=True)
        open_in_file_manager(self.folder)
