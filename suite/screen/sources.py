"""The monitors and open windows the agent can share (P2, P6), for ``GET /local/screens``.

The listing runs in a short-lived child (``python -m suite.screen.sources``, JSON on stdout) with
the presenters' environment: the GUI process opens no X connection of its own, and the list
comes from the same display (``DISPLAY``/``XAUTHORITY``) the presenter children capture.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from suite.errors import CodedError
from suite.screen.errors import ScreenError

LIST_TIMEOUT_S = 10.0


def list_screens() -> dict[str, Any]:
    """``{monitors, windows, windows_supported[, windows_error]}`` of this process's display."""
    import mss  # noqa: PLC0415 - only the listing needs it

    from suite.screen.windows_x11 import open_window_list  # noqa: PLC0415

    try:
        with mss.MSS() as grabber:
            monitors = [
                {"index": index, "width": m["width"], "height": m["height"],
                 "left": m["left"], "top": m["top"]}
                for index, m in enumerate(grabber.monitors) if index > 0
            ]  # fmt: skip
    except Exception as exc:  # mss raises ScreenShotError and, without DISPLAY, others
        monitors = []
        monitors_error: str | None = f"cannot open the screen: {exc}"
    else:
        monitors_error = None
    result: dict[str, Any] = {"monitors": monitors, "windows": [], "windows_supported": True}
    if monitors_error:
        result["monitors_error"] = monitors_error
    try:
        window_list = open_window_list()
    except ScreenError as exc:
        result["windows_supported"] = False
        result["windows_error"] = str(exc)
        return result
    try:
        result["windows"] = [
            {"id": info.id, "title": info.title, "x": info.rect.x, "y": info.rect.y,
             "width": info.rect.w, "height": info.rect.h}
            for info in window_list.windows()
        ]  # fmt: skip
    finally:
        window_list.close()
    return result


def screens_in_child(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """:func:`list_screens` run in a child with ``env`` (default: this process's).

    Raises:
        CodedError: ``screens_failed`` (502) when the child fails or answers nonsense.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-m", "suite.screen.sources"], env=dict(env) if env else None,
            capture_output=True, text=True, timeout=LIST_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CodedError("screens_failed", "listing the screens timed out", 502) from None
    try:
        answer = json.loads(done.stdout)
        if done.returncode != 0 or not isinstance(answer, dict):
            raise ValueError
    except ValueError:
        lines = done.stderr.strip().splitlines()
        message = lines[-1] if lines else f"the listing exited with {done.returncode}"
        raise CodedError("screens_failed", message, 502) from None
    return answer


def main() -> int:
    print(json.dumps(list_screens(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
