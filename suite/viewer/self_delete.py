"""The one-time viewer removes its own executable when it is done (P10).

How each platform does it (docs/builds.md says more):

- **Linux**: a running program's file may be unlinked; the kernel keeps the inode until the
  last process lets go. The viewer unlinks ``sys.executable`` as it exits; the PyInstaller
  bootloader (the parent process) then removes the ``/tmp/_MEIxxxxxx`` folder it unpacked to.
  Never earlier: the bootloader and the child read the archive from the file while starting
  (deleting at start-up makes the bootloader abort), and Python may import lazily from it.
- **macOS**: the same for a bare one-file binary; for an ``.app`` bundle the whole bundle
  folder is removed.
- **Windows**: a running ``.exe`` cannot be deleted (the bootloader parent is still running
  it). The viewer starts a detached, window-less ``cmd.exe`` that retries ``del`` for up to
  60 s until the parent has exited; the bootloader removes its ``_MEIxxxxxx`` folder itself.

``atexit`` does not run on SIGTERM, so ``arm()`` also installs handlers for SIGTERM, SIGHUP
and SIGINT that delete and exit (PyGObject wakes Python for signals while GTK's loop runs).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

WINDOWS_RETRIES = 30


def frozen_target() -> Path | None:
    """What to delete in a frozen build: the executable, or its ``.app`` bundle on macOS."""
    if not getattr(sys, "frozen", False):
        return None
    path = Path(sys.executable).resolve()
    if sys.platform == "darwin":
        for parent in path.parents:
            if parent.suffix == ".app":
                return parent
    return path


class SelfDeleter:
    """Deletes ``target`` once, at exit, on a signal, or when asked.

    Args:
        target: the file (or macOS bundle) to remove; None disables deleting (a run from
            source has no executable of its own to remove).
    """

    def __init__(self, target: Path | None):
        self.target = target
        self.enabled = False
        self._done = False
        self._lock = threading.Lock()

    def arm(self) -> None:
        """From now on, exiting in any way (normal, SIGTERM, SIGHUP, Ctrl-C) deletes the target."""
        self.enabled = True
        atexit.register(self.delete)
        for name in ("SIGTERM", "SIGHUP", "SIGINT"):
            signum = getattr(signal, name, None)
            if signum is not None:
                signal.signal(signum, self._on_signal)

    def disarm(self) -> None:
        """Keep the file (e.g. the relay could not be reached: the customer may retry)."""
        self.enabled = False

    def _on_signal(self, signum, frame) -> None:
        logger.info("signal %d: removing this viewer and exiting", signum)
        self.delete()
        logging.shutdown()
        # The bootloader parent sees the child exit and removes its unpack folder.
        os._exit(128 + signum)

    def delete(self) -> bool:
        """Remove the target now (once); True when it is gone or there is nothing to remove."""
        with self._lock:
            if not self.enabled or self._done or self.target is None:
                return True
            self._done = True
            try:
                remove(self.target)
            except OSError as error:
                logger.error("could not remove %s: %s", self.target, error)
                return False
            logger.info("removed %s", self.target)
            return True


def remove(target: Path) -> None:
    """Remove ``target`` the way this platform allows (see the module docstring)."""
    if sys.platform == "win32":
        _remove_later_on_windows(target)
    elif target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)


def _remove_later_on_windows(target: Path) -> None:
    # The exe stays locked until the bootloader parent exits; a detached cmd.exe retries.
    quoted = f'"{target}"'
    script = (
        f"for /l %i in (1,1,{WINDOWS_RETRIES}) do @("
        f"ping -n 3 127.0.0.1 >nul & del /f /q {quoted} >nul 2>&1 & "
        f"if not exist {quoted} exit /b 0)"
    )
    flags = 0x00000008 | 0x00000200 | 0x08000000  # DETACHED_PROCESS, NEW_PROCESS_GROUP, NO_WINDOW
    subprocess.Popen(
        ["cmd.exe", "/d", "/c", script],
        creationflags=flags,
        close_fds=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
