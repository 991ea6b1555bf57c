"""Run the real one-time viewer program with a way for a test to look into its page.

``python -m tests.support.viewer_driver PORT_FILE -- <the program's arguments>`` runs
``suite.viewer.app.main`` unchanged, except that ``webview.start`` also starts a small server on
127.0.0.1 (its port written to PORT_FILE) that evaluates JavaScript in the program's window
(pywebview's ``evaluate_js``, the same call the program's own bridge is built on) and returns
the result: what Playwright is to the Chromium pages, for WebKitGTK. Input still comes from
outside, as real X events (xdotool), so the page sees what a customer's mouse would give it.

:class:`ViewerDriver` is the test's side: ``evaluate(js)`` and waiting on an expression.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.xvfb import Xvfb

logger = logging.getLogger(__name__)


class _Handler(socketserver.StreamRequestHandler):
    """One JSON line in ({"js": ...}), one JSON line out ({"result": ...} or {"error": ...})."""

    def handle(self) -> None:
        import webview

        for line in self.rfile:
            try:
                script = json.loads(line)["js"]
                result = {"result": webview.windows[0].evaluate_js(script)}
            except Exception as error:  # reported to the test, which fails with it
                result = {"error": f"{type(error).__name__}: {error}"}
            self.wfile.write(json.dumps(result).encode() + b"\n")
            self.wfile.flush()


def _serve(port_file: Path) -> None:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port_file.write_text(str(server.server_address[1]))


def main(argv: list[str]) -> int:
    port_file = Path(argv[0])
    program_args = argv[2:] if argv[1:2] == ["--"] else argv[1:]
    import webview

    from suite.viewer import app

    start = webview.start

    def start_with_driver(*args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("func", _serve)
        kwargs.setdefault("args", (port_file,))
        start(*args, **kwargs)

    webview.start = start_with_driver
    return app.main(program_args)


class ViewerDriver:
    """The test's end: evaluate JavaScript in the program's page, and real X input into its
    window (found by ``title`` on ``display``; no window manager, so no frame around it)."""

    def __init__(self, port_file: Path, display: Xvfb, title: str, timeout_s: float = 60.0) -> None:
        self.display = display
        self.title = title
        deadline = time.monotonic() + timeout_s
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline:
                raise TimeoutError("the viewer program did not start its driver")
            time.sleep(0.05)
        self._socket = socket.create_connection(("127.0.0.1", int(port_file.read_text())))
        self._socket.settimeout(30)
        self._reader = self._socket.makefile("rb")

    def evaluate(self, script: str) -> Any:
        """The value of ``script`` (an expression) in the page; raises on a JS error."""
        self._socket.sendall(json.dumps({"js": script}).encode() + b"\n")
        reply = json.loads(self._reader.readline())
        if "error" in reply:
            raise RuntimeError(f"in the viewer program: {reply['error']}")
        return reply["result"]

    def wait_for(self, script: str, what: str, timeout_s: float = 30.0) -> Any:
        """Wait until ``script`` is truthy in the page; returns its value."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                value = self.evaluate(script)
            except RuntimeError:
                value = None  # the page may be (re)loading
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"the viewer program: timed out waiting for {what}")
            time.sleep(0.05)

    def _xdotool(self, *args: str) -> str:
        return subprocess.run(
            ["xdotool", *args], env=self.display.env(), capture_output=True, text=True,
            timeout=20, check=True,
        ).stdout  # fmt: skip

    def window_origin(self) -> tuple[int, int]:
        """Where the program's window is on the screen."""
        found = self._xdotool("search", "--name", f"^{re.escape(self.title)}$")
        window = found.split()[0]
        geometry = self._xdotool("getwindowgeometry", window)
        x, y = re.search(r"Position: (-?\d+),(-?\d+)", geometry).groups()  # type: ignore[union-attr]
        return int(x), int(y)

    def screen_point(self, selector: str, x: float | None = None, y: float | None = None):
        """A point of the element ``selector`` on the screen: (x, y) CSS pixels from its
        corner, or its centre."""
        rect = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()"
        )
        left, top = self.window_origin()
        px = rect[0] + (rect[2] / 2 if x is None else x)
        py = rect[1] + (rect[3] / 2 if y is None else y)
        return round(left + px), round(top + py)

    def click(self, selector: str) -> None:
        """A real left click (X events) on the element's centre."""
        x, y = self.screen_point(selector)
        self._xdotool("mousemove", str(x), str(y), "click", "1")

    def drag(self, selector: str, points: list[tuple[int, int]]) -> None:
        """Press, move through ``points`` (CSS pixels from the element's corner), release."""
        screen = [self.screen_point(selector, x, y) for x, y in points]
        args = ["mousemove", str(screen[0][0]), str(screen[0][1]), "mousedown", "1"]
        for x, y in screen[1:]:
            args += ["sleep", "0.03", "mousemove", str(x), str(y)]
        self._xdotool(*args, "sleep", "0.05", "mouseup", "1")

    def key(self, *keys: str) -> None:
        self._xdotool("key", *keys)

    def window_names(self) -> list[str]:
        found = subprocess.run(
            ["xdotool", "search", "--name", ".", "getwindowname", "%@"],
            env=self.display.env(), capture_output=True, text=True, timeout=20,
        )  # fmt: skip
        return found.stdout.splitlines()

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
