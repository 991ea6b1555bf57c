"""The platform opener: a folder in the file manager, a program or document with its own
application (``os.startfile`` on Windows, ``open`` on macOS, ``xdg-open`` elsewhere).

Used for the received-files folder by the agent app (``suite/agent/app/local_files.py``) and by
the one-time viewer (``suite/viewer/received_files.py``), and for the agent's favourite folders
and programs (``suite/agent/app/local_favourites.py``: only paths the agent stored there).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def open_in_file_manager(folder: Path) -> None:
    """Open ``folder`` (which must exist) in the file manager; returns at once."""
    open_path(folder)


def open_path(path: Path) -> None:
    """Open ``path`` (which must exist) as the desktop would on a double click; returns at
    once. Callers pass only paths of their own, never one that came over the network."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606 - our own path
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen(  # noqa: S603 - a fixed program and our own folder
            [opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
