"""Start the real agent desktop app (``python -m suite.agent``) under a test's Xvfb.

The app runs as a subprocess, the way a person starts it, with its settings in a temporary
folder and QtWebEngine's DevTools server on a free port so tests can drive its windows with
tests/support/cdp.py. (Qt refuses port 0, so the port is picked here by tests/support/ports.py,
reserved among parallel test processes; the app's log line "DevTools listening on ..."
confirms Chromium got it.)
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.ports import free_port
from tests.support.relay import REPO_ROOT
from tests.support.xvfb import Xvfb

# Generous: a parallel run on a loaded machine starts Qt slowly; the wait ends on readiness.
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
DEVTOOLS_RE = re.compile(rb"DevTools listening on ws://127\.0\.0\.1:(\d+)/")


class AgentAppError(AssertionError):
    """The app did not start or stop as expected; the message holds its log."""


class AgentApp:
    """One run of the agent app; ``start()``, drive it, then ``stop()`` (SIGTERM)."""

    def __init__(
        self,
        xvfb: Xvfb,
        work_dir: Path,
        relay_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        program: list[str] | None = None,
    ) -> None:
        self.xvfb = xvfb
        # The command that starts the app: the source tree's by default; a built or installed
        # program (tests/e2e/test_agent_package.py) runs from the work folder instead.
        self.program = program
        self.work_dir = work_dir
        self.extra_env = dict(extra_env or {})  # e.g. DBUS_SESSION_BUS_ADDRESS
        self.config_dir = work_dir / "config"
        self.log_path = work_dir / "agent.log"
        self._ready_file = work_dir / "agent-ready.json"
        self.relay_url = relay_url
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.devtools_port = 0

    def start(self) -> AgentApp:
        command = [*(self.program or [sys.executable, "-m", "suite.agent"]),
                   "--config-dir", str(self.config_dir),
                   "--ready-file", str(self._ready_file)]  # fmt: skip
        if self.relay_url:
            command += ["--relay-url", self.relay_url]
        env = self.xvfb.env()
        # Notifications go to the test's own session bus (extra_env) or nowhere: never to the
        # desktop of the person running the tests.
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        # A home of its own (received files, recordings, shortcuts, Qt's caches): never the
        # home of the person running the tests, and no two apps of parallel workers share one.
        home = self.work_dir / "home"
        home.mkdir(exist_ok=True)
        env["HOME"] = str(home)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_DOCUMENTS_DIR"):
            env.pop(name, None)
        env.update(self.extra_env)
        env["PYTHONUNBUFFERED"] = "1"
        env["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{free_port()}"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.work_dir if self.program else REPO_ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT_S
        # The app's documented readiness signal is its ready file; poll it against a deadline.
        while not (self._ready_file.exists() and self.devtools_port):
            if self.process.poll() is not None:
                raise AgentAppError(
                    f"the agent app exited with {self.process.returncode}\n{self.log()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AgentAppError(
                    f"the agent app was not ready in {READY_TIMEOUT_S:g} s\n{self.log()}"
                )
            found = DEVTOOLS_RE.search(self.log_path.read_bytes())
            if found:
                self.devtools_port = int(found.group(1))
            time.sleep(0.05)
        ready = json.loads(self._ready_file.read_text())
        self.url = ready["url"]
        return self

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit code (SIGKILL after STOP_TIMEOUT_S: a failure)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AgentAppError(
                    f"no exit {STOP_TIMEOUT_S:g} s after {sig!r}\n{self.log()}"
                ) from None
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return f"--- agent app log ({self.log_path}) ---\n{text[-20000:]}"
