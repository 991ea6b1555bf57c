"""Where the viewer saves files the agent sends, and how it opens that folder.

The integration point for file transfer (issue P4, built elsewhere): the viewer page hands
received bytes to the native bridge (``ui/viewer/native_shell.js`` → ``ViewerBridge.
save_received_file``), which calls ``ReceivedFiles.save``; ``open_folder`` shows them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}
_RESERVED |= {f"lpt{i}" for i in range(1, 10)}


def default_folder() -> Path:
    """``~/Downloads/RemoteSales`` (the folder people look in for downloads)."""
    return Path.home() / "Downloads" / "RemoteSales"


def safe_name(name: str) -> str:
    """A file name that is safe on every platform: no folders, no control or reserved characters.

    Raises:
        ValueError: nothing usable is left of ``name``.
    """
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().strip(".")
    if not base:
        raise ValueError(f"no usable file name in {name!r}")
    stem, dot, suffix = base.rpartition(".")
    if (dot and stem and stem.lower() in _RESERVED) or (not dot and base.lower() in _RESERVED):
        base = f"_{base}"
    if len(base) > MAX_NAME_CHARS:
        keep = suffix[:16] if dot else ""
        base = base[: MAX_NAME_CHARS - len(keep) - 1] + ("." + keep if keep else "")
    return base


class ReceivedFiles:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or default_folder()

    def save(self, name: str, data: bytes) -> Path:
        """Write ``data`` under a safe, new name (``a.pdf``, ``a (1).pdf``, ...); returns where."""
        self.folder.mkdir(parents=True, exist_ok=True)
        base = safe_name(name)
        stem, dot, suffix = base.rpartition(".")
        if not dot or not stem:
            stem, suffix = base, ""
        for n in range(1000):
            candidate = base if n == 0 else f"{stem} ({n}){'.' + suffix if suffix else ''}"
            path = self.folder / candidate
            try:
                with open(path, "xb") as file:  # "x": never overwrite an earlier file
                    file.write(data)
                return path
            except FileExistsError:
                continue
        raise OSError(f"too many files named {base!r} in {self.folder}")

    def open_folder(self) -> None:
        """Show the folder in the platform's file manager."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if sys.platform == "win32":
            os.startfile(self.folder)  # type: ignore[attr-defined]
        else:
            opener = "open" if sys.platform == "darwin" else "xdg-open"
            subprocess.Popen([opener, str(self.folder)], start_new_session=True)
