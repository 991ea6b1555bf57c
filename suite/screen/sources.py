"""The monitors and open windows the agent can share (P2, P6), for ``GET /local/screens``.

Each window comes with its program's name and a small JPEG thumbnail (a data: URL, at most
``THUMBNAIL_W`` x ``THUMBNAIL_H``, cut from one grab of the whole display), so the picker can
tell two windows with the same title apart. The agent app's own windows (``--private-pid``)
are not listed: they are never shared (docs/architecture.md).

The listing runs in a short-lived child (``python -m suite.screen.sources``, JSON on stdout) with
the presenters' environment: the GUI process opens no X connection of its own, and the list
comes from the same display (``DISPLAY``/``XAUTHORITY``) the presenter children capture.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from suite.errors import CodedError
from suite.screen.errors import ScreenError

LIST_TIMEOUT_S = 10.0
THUMBNAIL_W, THUMBNAIL_H = 192, 120
THUMBNAIL_QUALITY = 70


def list_screens(private_pids: Iterable[int] = ()) -> dict[str, Any]:
    """``{monitors, windows, windows_supported[, windows_error]}`` of this process's display.

    Args:
        private_pids: processes whose windows are left out (the agent app's).
    """
    import mss  # noqa: PLC0415 - only the listing needs it

    from suite.screen.windows_x11 import open_window_list  # noqa: PLC0415

    desktop: Any = None
    try:
        with mss.MSS() as grabber:
            monitors = [
                {"index": index, "width": m["width"], "height": m["height"],
                 "left": m["left"], "top": m["top"]}
                for index, m in enumerate(grabber.monitors) if index > 0
            ]  # fmt: skip
            desktop = grabber.grab(grabber.monitors[0])
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
    private = frozenset(private_pids)
    picture = _picture(desktop)
    try:
        result["windows"] = [
            {"id": info.id, "title": info.title, "app": info.app, "x": info.rect.x,
             "y": info.rect.y, "width": info.rect.w, "height": info.rect.h,
             "thumbnail": _thumbnail(picture, info.rect)}
            for info in window_list.windows() if info.pid is None or info.pid not in private
        ]  # fmt: skip
    finally:
        window_list.close()
    return result


def _picture(desktop: Any) -> Any:
    """The mss shot of the whole display as a Pillow image with its origin, or None."""
    if desktop is None:
        return None
    from PIL import Image  # noqa: PLC0415

    return Image.frombytes("RGB", desktop.size, desktop.rgb), desktop.left, desktop.top


def _thumbnail(picture: Any, rect: Any) -> str | None:
    """A ``data:image/jpeg`` URL of ``rect`` cut from ``picture`` (see _picture), or None."""
    if picture is None:
        return None
    image, left, top = picture
    box = (
        max(rect.x - left, 0), max(rect.y - top, 0),
        min(rect.right - left, image.width), min(rect.bottom - top, image.height),
    )  # fmt: skip
    if box[2] - box[0] < 2 or box[3] - box[1] < 2:
        return None  # off every monitor
    thumbnail = image.crop(box)
    thumbnail.thumbnail((THUMBNAIL_W, THUMBNAIL_H))
    data = io.BytesIO()
    thumbnail.save(data, "JPEG", quality=THUMBNAIL_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(data.getvalue()).decode("ascii")


def screens_in_child(
    env: Mapping[str, str] | None = None, private_pids: Iterable[int] = ()
) -> dict[str, Any]:
    """:func:`list_screens` run in a child with ``env`` (default: this process's), leaving the
    windows of ``private_pids`` out.

    Raises:
        CodedError: ``screens_failed`` (502) when the child fails or answers nonsense.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-m", "suite.screen.sources",
             *(f"--private-pid={pid}" for pid in private_pids)],
            env=dict(env) if env else None,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite.screen.sources")
    parser.add_argument("--private-pid", type=int, action="append", default=[], metavar="PID",
                        help="leave this process's windows out (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    print(json.dumps(list_screens(args.private_pid), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
