"""Drive the real pages of a QtWebEngine (pywebview Qt) window over the DevTools protocol.

The app under test is started with ``QTWEBENGINE_REMOTE_DEBUGGING=127.0.0.1:<port>``; every
window's page is then a DevTools target. Playwright's ``connect_over_cdp`` cannot attach to
QtWebEngine ("Browser context management is not supported": Qt does not implement
``Browser.setDownloadBehavior`` and browser contexts), so this module speaks the protocol to
each page's own websocket: evaluate JavaScript, wait for conditions inside the page, send
real mouse and keyboard input, take screenshots.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

DEFAULT_TIMEOUT_S = 15.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CdpError(AssertionError):
    """The page threw, a wait timed out, or DevTools refused a command."""


def list_targets(port: int) -> list[dict[str, Any]]:
    """The DevTools targets (one ``type: "page"`` per window) at ``port``; [] if not up yet."""
    try:
        with _NO_PROXY.open(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
            return json.load(response)
    except OSError:
        return []


def wait_for_target(
    port: int, matches: Callable[[dict[str, Any]], bool], timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """Wait until a page target for which ``matches(target)`` is true exists.

    DevTools has no event for "a window opened" that we can subscribe to without a browser
    session, so this polls ``/json/list`` against a deadline.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        for target in list_targets(port):
            if target.get("type") == "page" and matches(target):
                return target
        if time.monotonic() > deadline:
            urls = [t.get("url") for t in list_targets(port)]
            raise CdpError(f"no matching DevTools page within {timeout_s:g} s; pages: {urls}")
        time.sleep(0.1)


class CdpPage:
    """One page (window) driven over its DevTools websocket; close() when done."""

    def __init__(self, target: dict[str, Any]) -> None:
        self.target = target
        self._ids = itertools.count(1)
        self._stack = ExitStack()
        self._ws: ClientConnection = self._stack.enter_context(
            connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        )

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> CdpPage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, method: str, timeout_s: float = DEFAULT_TIMEOUT_S, **params: Any) -> Any:
        """Send one command and return its ``result``; events that arrive meanwhile are dropped."""
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CdpError(f"{method}: no answer within {timeout_s:g} s")
            reply = json.loads(self._ws.recv(timeout=remaining))
            if reply.get("id") != message_id:
                continue
            if "error" in reply:
                raise CdpError(f"{method}: {reply['error']}")
            return reply.get("result", {})

    def evaluate(self, expression: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
        """Evaluate ``expression`` in the page (promises are awaited) and return its value."""
        result = self.send(
            "Runtime.evaluate",
            timeout_s=timeout_s + 1,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
            userGesture=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"the page threw: {text}\nin: {expression[:300]}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
        """Wait inside the page until ``expression`` is truthy and return its value.

        The poll runs in the page (every animation frame's worth of time), so nothing is
        missed between round trips.
        """
        script = f"""new Promise((resolve, reject) => {{
            const deadline = Date.now() + {int(timeout_s * 1000)};
            const tick = () => {{
                let value = null;
                try {{ value = ({expression}); }} catch (error) {{ value = null; }}
                if (value) {{ resolve(value); }}
                else if (Date.now() > deadline) {{ reject(new Error("timed out waiting")); }}
                else {{ setTimeout(tick, 25); }}
            }};
            tick();
        }})"""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.evaluate(script, timeout_s=timeout_s + 1)
            except CdpError as error:
                # A window that is still loading its page (or reloads) loses the evaluation's
                # context; wait again in the new document until the deadline.
                navigated = "context was destroyed" in str(error) or "Cannot find" in str(error)
                if not navigated or time.monotonic() > deadline:
                    raise CdpError(f"waited {timeout_s:g} s for: {expression}\n{error}") from None

    def wait_for_selector(self, selector: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """Wait until an element matching ``selector`` is in the page and visible."""
        self.wait_for(visible_js(selector), timeout_s)

    def text(self, selector: str) -> str:
        return self.evaluate(f"document.querySelector({json.dumps(selector)})?.textContent ?? ''")

    def click(self, selector: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """Click the middle of the element with real mouse events (as a person would)."""
        self.wait_for_selector(selector, timeout_s)
        box = self.evaluate(
            f"""(() => {{
                const el = document.querySelector({json.dumps(selector)});
                el.scrollIntoView({{block: "center", inline: "center"}});
                const r = el.getBoundingClientRect();
                return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
            }})()"""
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left" if kind != "mouseMoved" else "none",
                clickCount=1 if kind != "mouseMoved" else 0,
            )

    def double_click(self, selector: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """Double-click the middle of the element with real mouse events (a ``dblclick``)."""
        self.click(selector, timeout_s)
        box = self.evaluate(
            f"""(() => {{
                const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
                return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
            }})()"""
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left",
                clickCount=2,
            )  # fmt: skip

    def fill(self, selector: str, text: str) -> None:
        """Focus the field, select what it holds and type ``text`` over it."""
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select?.()")
        self.send("Input.insertText", text=text)

    def press(self, key: str) -> None:
        """Press and release one key: ``Enter``, ``Tab``, ``Escape``."""
        codes = {"Enter": (13, "\r"), "Tab": (9, ""), "Escape": (27, "")}
        virtual, text = codes[key]
        common = {"key": key, "code": key, "windowsVirtualKeyCode": virtual}
        self.send("Input.dispatchKeyEvent", type="keyDown", text=text, **common)
        self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of what the window shows.

        ``optimizeForSpeed``: the same pixels (PNG is lossless, checked), a lighter zlib level
        and a file ~30 % larger: 12 captures of the 1100x760 main window took 0.97 s on average
        instead of 1.21 s on a loaded machine, and the desktop tests take ~80 of them.
        """
        data = self.send("Page.captureScreenshot", format="png", optimizeForSpeed=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def visible_js(selector: str) -> str:
    """A JavaScript expression: the element matching ``selector`` exists and is shown."""
    return (
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        " return !!el && !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)"
        " && getComputedStyle(el).visibility !== 'hidden'; })()"
    )


def by_test_id(name: str) -> str:
    """The CSS selector of ``data-testid="name"``."""
    return f'[data-testid="{name}"]'
