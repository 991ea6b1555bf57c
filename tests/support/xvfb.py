"""Start a private Xvfb display for desktop tests; never rely on the caller's DISPLAY.

Xvfb picks a free display number itself (``-displayfd``) and listens on its unix socket only
(``-nolisten tcp``). Access needs the MIT cookie in an Xauthority file made here; the file
holds one "wildcard" entry (any host, any display number) because the number is only known
once Xvfb has started. Programs that insist on an Xauthority file (python-xlib, so pyautogui)
find it through ``XAUTHORITY`` in :meth:`Xvfb.env`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import struct
import subprocess
import tempfile
from pathlib import Path

START_TIMEOUT_S = 30.0  # ends on readiness; long for loaded parallel runs
STOP_TIMEOUT_S = 5.0
FAMILY_WILD = 0xFFFF
COOKIE_NAME = b"MIT-MAGIC-COOKIE-1"


class XvfbError(RuntimeError):
    """Xvfb is missing or did not start; the message says what it printed."""


def write_xauthority(path: Path, cookie: bytes) -> None:
    """Write an Xauthority file whose single entry matches every host and display number.

    The format (libXau): family, then address, display number, auth name and auth data, each
    as a big-endian 16-bit length followed by the bytes. An empty number matches any display.
    """

    def counted(value: bytes) -> bytes:
        return struct.pack(">H", len(value)) + value

    entry = struct.pack(">H", FAMILY_WILD) + counted(b"") + counted(b"")
    entry += counted(COOKIE_NAME) + counted(cookie)
    path.write_bytes(entry)
    path.chmod(0o600)


class Xvfb:
    """One Xvfb server; use as a context manager or call start() and stop()."""

    def __init__(self, width: int = 1920, height: int = 1080, depth: int = 24) -> None:
        self.screen = f"{width}x{height}x{depth}"
        self.display = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="rs-xvfb-"))
        self.xauthority = self._dir / "Xauthority"
        self._log_path = self._dir / "xvfb.log"

    def start(self) -> Xvfb:
        """Start Xvfb and wait until it has reported its display number.

        Raises:
            XvfbError: Xvfb is not installed, exited, or said nothing within START_TIMEOUT_S.
        """
        binary = shutil.which("Xvfb")
        if binary is None:
            raise XvfbError(
                "Xvfb is not installed (Debian: apt-get install xvfb; scripts/test does)"
            )
        write_xauthority(self.xauthority, secrets.token_bytes(16))
        read_fd, write_fd = os.pipe()
        command = [binary, "-displayfd", str(write_fd), "-screen", "0", self.screen,
                   "-nolisten", "tcp", "-auth", str(self.xauthority), "-noreset"]  # fmt: skip
        with self._log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        os.close(write_fd)
        try:
            number = self._read_display_number(read_fd)
        finally:
            os.close(read_fd)
        self.display = f":{number}"
        return self

    def _read_display_number(self, read_fd: int) -> int:
        # Xvfb writes "N\n" to the fd once it accepts connections, or closes it when it dies.
        import selectors

        chunks = b""
        with selectors.DefaultSelector() as selector:
            selector.register(read_fd, selectors.EVENT_READ)
            while not chunks.endswith(b"\n"):
                if not selector.select(timeout=START_TIMEOUT_S):
                    self.stop()
                    raise XvfbError(f"Xvfb did not start in {START_TIMEOUT_S:.0f} s\n{self.log()}")
                chunk = os.read(read_fd, 64)
                if not chunk:
                    self.stop()
                    raise XvfbError(f"Xvfb exited before it was ready\n{self.log()}")
                chunks += chunk
        return int(chunks.strip())

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for programs that should draw on this display (and no other)."""
        env = dict(os.environ if base is None else base)
        env["DISPLAY"] = self.display
        env["XAUTHORITY"] = str(self.xauthority)
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def log(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop Xvfb (SIGTERM, then SIGKILL) and remove its files."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Xvfb:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
