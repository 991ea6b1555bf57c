"""Show a folder in the platform's file manager (Explorer, Finder, xdg-open).

Used for the received-files folder by the agent app (``suite/agent/app/local_files.py``) and by
the one-time viewer (``suite/viewer/received_files.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def open_in_file_manager(folder: Path) -> None:
    """Open ``folder`` (which must exist) in the file manager; returns at once."""
    if sys.platform == "win32":
        os.startfile(folder)  # type: ignore[attr-defined]  # noqa: S606 - our own folder
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen(  # noqa: S603 - a fixed program and our own folder
            [opener, str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
