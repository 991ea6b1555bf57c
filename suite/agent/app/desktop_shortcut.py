"""``remotesales-agent --add-desktop-shortcut``: a RemoteSales icon on this person's desktop (D2).

The Debian package puts the app in the applications menu; Debian policy forbids a package to
write into home folders, so the desktop shortcut is each person's choice: this copies the
installed menu entry (``applications/remotesales-agent.desktop`` in the XDG data folders) onto
their desktop folder (``XDG_DESKTOP_DIR`` from ``user-dirs.dirs``, else ``~/Desktop``) and makes
it executable, which file managers (Nautilus, Caja, Nemo, Thunar) want before they launch it.
Removing the package leaves the shortcut, as it leaves the settings.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs

DESKTOP_FILE = "remotesales-agent.desktop"


class ShortcutError(Exception):
    """The shortcut could not be made; the message says why and what to do."""


def installed_entry(environ: dict[str, str] | None = None) -> Path:
    """The menu entry the package installed, searched as the XDG base directory spec says.

    Raises:
        ShortcutError: no data folder holds it (the app was not installed from the package).
    """
    env = os.environ if environ is None else environ
    home = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    others = (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    folders = [home, *(Path(p) for p in others if p)]
    for folder in folders:
        entry = folder / "applications" / DESKTOP_FILE
        if entry.is_file():
            return entry
    searched = ", ".join(str(f / "applications") for f in folders)
    raise ShortcutError(
        f"the menu entry {DESKTOP_FILE} is not installed (searched {searched}); "
        "install the remotesales-agent package first"
    )


def add_desktop_shortcut(entry: Path, desktop: Path | None = None) -> Path:
    """Copy ``entry`` onto the desktop folder (made if missing); an older copy is replaced.

    Returns:
        The shortcut's path.

    Raises:
        ShortcutError: the desktop folder cannot be written.
    """
    folder = desktop if desktop is not None else Path(platformdirs.user_desktop_dir())
    target = folder / DESKTOP_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry, target)
        target.chmod(0o755)
    except OSError as error:
        raise ShortcutError(f"cannot write {target}: {error.strerror or error}") from None
    return target
