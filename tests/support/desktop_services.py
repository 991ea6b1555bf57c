"""What a real Linux desktop runs beside the apps, for the desktop tests that need it: a D-Bus
session bus, a window manager (openbox) and a notification server (notification-daemon), each
started on a test's private Xvfb display and stopped afterwards.

Bare Xvfb has none of them. A window's ``_NET_WM_STATE`` is the window manager's to set (an
app asks with a client message to the root window, which nobody answers without one), and a
notification needs a server on the session bus. Each helper says why it cannot start (a
missing Debian package: scripts/test installs them), so a test can skip only what needs it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 30.0  # ends on readiness; long for loaded parallel runs
NOTIFICATION_DAEMON = "/usr/lib/notification-daemon/notification-daemon"


class ServiceMissing(RuntimeError):
    """A desktop service is not installed or did not start; the message says which and why."""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def session_bus(env: dict[str, str]) -> Iterator[str]:
    """A private D-Bus session bus; yields its address (for DBUS_SESSION_BUS_ADDRESS)."""
    if not shutil.which("dbus-daemon"):
        raise ServiceMissing("dbus-daemon is not installed (Debian: dbus-daemon)")
    folder = Path(tempfile.mkdtemp(prefix="rs-dbus-"))
    process = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1",
         f"--address=unix:path={folder / 'bus'}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        address = process.stdout.readline().decode().strip()
        if not address:
            raise ServiceMissing(f"dbus-daemon did not start (exit {process.poll()})")
        yield address
    finally:
        _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_name(env: dict[str, str], name: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceMissing(f"{name}'s server exited with {process.returncode}")
        owned = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
            env=env, capture_output=True, text=True, timeout=5,
        )  # fmt: skip
        if "boolean true" in owned.stdout:
            return
        time.sleep(0.05)
    raise ServiceMissing(f"nothing owned {name} on the session bus after {START_TIMEOUT_S:g} s")


@contextmanager
def notification_server(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """notification-daemon (GNOME's small one) on ``env``'s DISPLAY and session bus, once it
    owns ``org.freedesktop.Notifications``."""
    if not Path(NOTIFICATION_DAEMON).exists():
        raise ServiceMissing(f"{NOTIFICATION_DAEMON} is missing (Debian: notification-daemon)")
    process = subprocess.Popen(
        [NOTIFICATION_DAEMON, "--replace"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_name(env, "org.freedesktop.Notifications", process)
        yield process
    finally:
        _stop(process)


@contextmanager
def window_manager(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """openbox on ``env``'s DISPLAY, once it has claimed the screen (``_NET_SUPPORTING_WM_CHECK``
    on the root window)."""
    if not shutil.which("openbox"):
        raise ServiceMissing("openbox is not installed (Debian: openbox)")
    process = subprocess.Popen(
        ["openbox", "--sm-disable"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            root = subprocess.run(
                ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env, capture_output=True,
                text=True, timeout=5,
            )  # fmt: skip
            if "window id" in root.stdout:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServiceMissing(f"openbox did not start (exit {process.poll()})")
            time.sleep(0.05)
        yield process
    finally:
        _stop(process)


@contextmanager
def bus_monitor(env: dict[str, str], log: Path) -> Iterator[Path]:
    """``dbus-monitor`` writing every Notify call on the session bus to ``log``."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["dbus-monitor", "--session",
             "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        # Subscribed once it has said anything (its own NameAcquired / NameLost signal).
        deadline = time.monotonic() + START_TIMEOUT_S
        while not log.stat().st_size:
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServiceMissing(f"dbus-monitor did not start (exit {process.poll()})")
            time.sleep(0.05)
        yield log
    finally:
        _stop(process)
