"""A real X window that records the input it gets: the target of the control tests (P3).

Run it on a test display: ``python -m tests.support.input_target --geometry 400x300+200+150``.
A Tk text box fills the window and keeps the keyboard focus; every key press, button press
and release and wheel step, and the text box's content after each key, is printed as one JSON
line on stdout (``{"event": "ready"}`` first). :class:`InputTarget` runs it and reads them.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

WAIT_S = 10.0


def main(argv: list[str] | None = None) -> int:
    import tkinter  # noqa: PLC0415  (only in the child)

    parser = argparse.ArgumentParser()
    parser.add_argument("--geometry", default="400x300+200+150")
    args = parser.parse_args(argv)
    root = tkinter.Tk()
    root.title("rs-input-target")
    root.geometry(args.geometry)
    text = tkinter.Text(root, font=("DejaVu Sans", 14))
    text.pack(fill="both", expand=True)

    def say(**fields: Any) -> None:
        print(json.dumps(fields, ensure_ascii=False), flush=True)

    def report_text() -> None:
        say(event="text", text=text.get("1.0", "end-1c"))

    def on_key(event: Any) -> None:
        say(event="key", keysym=event.keysym, char=event.char, state=event.state)
        root.after(1, report_text)

    def on_button(event: Any, kind: str) -> None:
        say(event=kind, num=event.num, x_root=event.x_root, y_root=event.y_root)

    root.bind_all("<KeyPress>", on_key)
    root.bind_all("<ButtonPress>", lambda e: on_button(e, "press"))
    root.bind_all("<ButtonRelease>", lambda e: on_button(e, "release"))

    def ready() -> None:
        text.focus_force()
        say(event="ready", x=root.winfo_rootx(), y=root.winfo_rooty(),
            w=root.winfo_width(), h=root.winfo_height())  # fmt: skip

    root.after(300, ready)
    root.mainloop()
    return 0


class InputTarget:
    """The target window as a child process; ``events`` collects what it printed."""

    def __init__(self, env: dict[str, str], geometry: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.input_target", f"--geometry={geometry}"],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8",
        )  # fmt: skip
        self.events: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ready = self.wait_for(lambda e: e["event"] == "ready")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.events.append(event)
            self._queue.put(event)

    def wait_for(self, condition, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """The first event from now on (or already queued) that meets ``condition``."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                event = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                stderr = ""
                if self.process.poll() is not None and self.process.stderr is not None:
                    stderr = self.process.stderr.read()
                raise AssertionError(
                    f"the target window never saw that; it saw {self.events[-10:]} {stderr}"
                ) from None
            if condition(event):
                return event

    def text(self) -> str:
        """The text box's content as last reported."""
        texts = [e["text"] for e in self.events if e["event"] == "text"]
        return texts[-1] if texts else ""

    def count(self, kind: str) -> int:
        return sum(1 for e in self.events if e["event"] == kind)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    sys.exit(main())
