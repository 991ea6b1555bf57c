"""Helpers for the viewer tests: a Python presenter on a real relay, images, the viewer page.

The presenter is a plain `websockets` client holding the agent's screen socket, so the tests
choose every frame exactly; the frame header is packed here with `struct` from the table in
docs/protocol.md, independently of the JavaScript parser under test.
"""

from __future__ import annotations

import base64
import io
import json
import math
import queue
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np
from PIL import Image
from playwright.sync_api import Browser, Page

from suite.protocol import Role
from tests.support.api import Api
from tests.support.chat_client import open_socket
from tests.support.phone_layout import PHONE_CONTEXT
from tests.support.screen_content import SCREEN_H, SCREEN_W
from tests.support.screen_socket import screen_hello
from tests.support.ui_pages import DESKTOP
from tests.support.waiting import wait_until

FRAME_HEADER = struct.Struct("<2sBBIdHHHHHHBBH")
ENCODINGS = {"jpeg": 1, "png": 2, "webp": 3}
FLAG_LOSSLESS = 1
FLAG_KEY = 2
VIEWER_PATH = "/view"
SESSION_STORAGE_KEY = "rs.customer.session"
WAIT_S = 10.0
PICTURE_WAIT_S = 15.0
POLL_S = 0.05
POLL_MS = 20


def frame_bytes(
    seq: int,
    x: int,
    y: int,
    image: Image.Image,
    screen: tuple[int, int],
    encoding: str = "png",
    quality: int = 80,
    flags: int | None = None,
    capture_ms: float | None = None,
) -> bytes:
    """One binary region frame: the 32-byte header, then `image` encoded as `encoding`."""
    payload = encode_image(image, encoding, quality)
    if flags is None:
        flags = FLAG_LOSSLESS if encoding == "png" else 0
        if (x, y, image.width, image.height) == (0, 0, *screen):
            flags |= FLAG_KEY
    header = FRAME_HEADER.pack(
        b"RS", 1, 1, seq, time.time() * 1000 if capture_ms is None else capture_ms,
        x, y, image.width, image.height, screen[0], screen[1],
        ENCODINGS[encoding], flags, 0,
    )  # fmt: skip
    return header + payload


def encode_image(image: Image.Image, encoding: str = "png", quality: int = 80) -> bytes:
    """The image bytes a presenter would send (Pillow's encoders are deterministic)."""
    out = io.BytesIO()
    if encoding == "jpeg":
        # 4:4:4: browsers upsample 4:2:0 chroma by replication, Pillow smoothly, so only full
        # chroma lets a test compare the two decoders closely.
        image.convert("RGB").save(out, "JPEG", quality=quality, subsampling=0)
    elif encoding == "webp":
        image.convert("RGB").save(out, "WEBP", quality=quality)
    else:
        image.convert("RGB").save(out, "PNG", compress_level=1)
    return out.getvalue()


def decoded(payload: bytes) -> np.ndarray:
    """Pillow's decoding of image bytes, as an (h, w, 3) uint8 array (the reference)."""
    return np.asarray(Image.open(io.BytesIO(payload)).convert("RGB"))


def sample_image(width: int, height: int, seed: int = 1, noise: bool = True) -> Image.Image:
    """A picture with sharp edges, gradients, lines and (unless `noise` is false) a corner of
    random pixels: every pixel differs from its neighbours somewhere, so nothing can be faked."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[..., 0] = (xx * 255 // max(1, width - 1)).astype(np.uint8)
    pixels[..., 1] = (yy * 255 // max(1, height - 1)).astype(np.uint8)
    pixels[..., 2] = ((xx // 8 + yy // 8) % 2 * 200 + seed * 17 % 55).astype(np.uint8)
    if noise:
        random = rng.integers(0, 256, (height // 4, width // 4, 3), dtype=np.uint8)
        pixels[: random.shape[0], : random.shape[1]] = random
    pixels[height // 2 : height // 2 + 2, :] = (255, 255, 255)
    pixels[:, width // 3 : width // 3 + 1] = (0, 0, 0)
    return Image.fromarray(pixels, "RGB")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 RGB arrays, in dB (inf when equal)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


@dataclass
class PresentationSession:
    """A support session with a joined customer: what the viewer and the presenter need."""

    relay_url: str
    session_id: str
    agent_token: str
    customer_token: str

    @property
    def ws_url(self) -> str:
        return self.relay_url.replace("http", "ws", 1) + "/ws"


def start_session(relay) -> PresentationSession:
    """alice logs in and opens a support; a customer joins it by code (HTTP only)."""
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    joined = api.join(code=support["code"], name="Kim Customer")
    return PresentationSession(relay.url, support["session_id"], token, joined["customer_token"])


class Presenter:
    """The agent's screen socket, driven by the test; text replies are collected in `received`."""

    def __init__(self, session: PresentationSession) -> None:
        self.session = session
        self.ws = open_socket(session.ws_url)
        self.ws.send(screen_hello(Role.AGENT, session.session_id, session.agent_token))
        self.welcome = json.loads(self.ws.recv(timeout=WAIT_S))
        assert self.welcome["type"] == "welcome", self.welcome
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for message in self.ws:
                if isinstance(message, str):
                    self.received.put(json.loads(message))
        except Exception:  # the socket closed: the test is over or checks the close itself
            pass

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def start(self, screen: tuple[int, int]) -> None:
        self.send({"type": "present_start", "screen_w": screen[0], "screen_h": screen[1]})

    def frame(self, *args: Any, **kwargs: Any) -> None:
        """Send one region frame (arguments as for `frame_bytes`)."""
        self.ws.send(frame_bytes(*args, **kwargs))

    def cursor(self, x: int, y: int, visible: bool = True, shape: str = "default") -> None:
        self.send({"type": "cursor", "x": x, "y": y, "visible": visible, "shape": shape})

    def close(self) -> None:
        self.ws.close()


def open_viewer(
    browser: Browser,
    session: PresentationSession,
    viewport: dict[str, int] = DESKTOP,
    device_scale_factor: float = 1,
    query: str = "",
    locale: str = "en-US",
    phone: bool = False,
) -> Page:
    """The viewer page in its own context, with the customer's session in sessionStorage.

    The relay page puts the session there and window.open copies it; here an init script
    does the same before the viewer's modules run. ``phone``: a 390x844 touch phone instead
    of ``viewport`` (tests/support/phone_layout.py).
    """
    size: dict[str, Any] = {**PHONE_CONTEXT} if phone else {"viewport": viewport}
    context = browser.new_context(device_scale_factor=device_scale_factor, locale=locale, **size)
    stored = json.dumps(
        {
            "session_id": session.session_id,
            "customer_token": session.customer_token,
            "last_seen_id": 0,
            "agent": {"name": "Alice"},
        }
    )
    context.add_init_script(
        f"window.sessionStorage.setItem({json.dumps(SESSION_STORAGE_KEY)}, {json.dumps(stored)});"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    page.goto(session.relay_url + VIEWER_PATH + query)
    return page


def viewer_stats(page: Page) -> dict[str, Any]:
    return page.evaluate("window.__rsViewer.stats()")


def wait_for_stats(
    page: Page, condition: Callable[[dict[str, Any]], bool], timeout_s: float = WAIT_S
) -> dict[str, Any]:
    """Poll the viewer's stats until `condition(stats)` holds; return them.

    (page.wait_for_function would eval a string, which the relay's CSP rightly refuses.)
    """
    seen: dict[str, Any] = {}

    def reached() -> bool:
        seen["stats"] = viewer_stats(page)
        return bool(condition(seen["stats"]))

    wait_until(
        reached, "the viewer's stats", timeout_s, POLL_MS / 1000,
        pause=lambda seconds: page.wait_for_timeout(seconds * 1000),
        detail=lambda: f"its stats: {seen['stats']}",
    )  # fmt: skip
    return seen["stats"]


def canvas_pixels(page: Page, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The viewer's picture in a rectangle, as an (h, w, 3) uint8 array."""
    result = page.evaluate(f"window.__rsViewer.canvasPixels({x}, {y}, {w}, {h})")
    rgba = np.frombuffer(base64.b64decode(result["rgba"]), np.uint8).reshape(h, w, 4)
    return rgba[..., :3]


def layer_rgba(page: Page, x: int, y: int) -> tuple[int, ...]:
    return tuple(page.evaluate(f"window.__rsViewer.drawingPixel({x}, {y})"))


def wait_layer(page: Page, x: int, y: int, expected: tuple[int, ...]) -> None:
    """Poll the viewer's drawing layer at screen pixel (x, y) until it shows `expected`."""
    wait_until(
        lambda: layer_rgba(page, x, y) == expected, f"the layer at ({x}, {y}) to be {expected}",
        PICTURE_WAIT_S, 0.03, pause=lambda seconds: page.wait_for_timeout(seconds * 1000),
        detail=lambda: f"it is {layer_rgba(page, x, y)}",
    )  # fmt: skip


def command(process: subprocess.Popen, line: str) -> None:
    """Write one command line (pause, resume, monitor 2, ...) to a presenter CLI's stdin."""
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def snapshot(page: Page) -> tuple[dict[str, Any], np.ndarray | None]:
    """The viewer's stats and, once something is painted, its whole picture, read in one go
    (one evaluate: no frame can be painted between the two)."""
    result = page.evaluate(
        f"""() => {{
            const stats = window.__rsViewer.stats();
            if (!stats.framesPainted) return {{ stats }};
            const pixels = window.__rsViewer.canvasPixels(0, 0, {SCREEN_W}, {SCREEN_H});
            return {{ stats, pixels }};
        }}"""
    )
    if "pixels" not in result:
        return result["stats"], None
    rgba = np.frombuffer(base64.b64decode(result["pixels"]["rgba"]), np.uint8)
    return result["stats"], rgba.reshape(SCREEN_H, SCREEN_W, 4)[..., :3]


def wait_for_picture(
    page: Page, expected: np.ndarray, timeout_s: float = PICTURE_WAIT_S
) -> dict[str, Any]:
    """Poll until the viewer's canvas equals `expected` exactly; return the stats then."""
    seen: dict[str, Any] = {}

    def shown() -> bool:
        seen["stats"], seen["pixels"] = snapshot(page)
        return seen["pixels"] is not None and np.array_equal(seen["pixels"], expected)

    def detail() -> str:
        pixels = seen["pixels"]
        if pixels is None:
            return f"nothing painted; {seen['stats']}"
        differing = np.count_nonzero((pixels != expected).any(axis=2))
        psnr_db = psnr(pixels, expected)
        return f"{differing} pixels differ, PSNR {psnr_db:.1f} dB; {seen['stats']}"

    wait_until(shown, "the viewer to show the picture", timeout_s, POLL_S, detail=detail)
    return seen["stats"]


# The recorder pywebview's bridge would be; it announces itself the way pywebview does.
FAKE_BRIDGE = """
window.__bridgeCalls = [];
const answers = {
  receive_file: "/home/kim/Downloads/RemoteSales/offer.pdf",
  open_call_in_browser: true,
};
const record = (name) => (...args) => {
  window.__bridgeCalls.push([name, ...args]);
  return Promise.resolve(answers[name] ?? null);
};
const names = ["session_over", "close", "toggle_fullscreen", "first_frame",
  "receive_file", "open_received_folder", "open_call_in_browser", "call_support"];
window.pywebview = { api: Object.fromEntries(names.map((name) => [name, record(name)])) };
"""


# The engine of the one-time viewer on Debian (WebKitGTK 2.50 built without WebRTC) has no
# RTCPeerConnection; tests/e2e/test_viewer_call_fallback.py probes the real one.
WITHOUT_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"


def open_native(browser, session, fragment: bool = True, webrtc: bool = True) -> Page:
    """The one-time viewer's page (`/view/native`) with a recording stand-in for its bridge
    (``webrtc=False``: in an engine without WebRTC, as the program's WebKitGTK here)."""
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    context.add_init_script(FAKE_BRIDGE)
    if not webrtc:
        context.add_init_script(WITHOUT_WEBRTC)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    query = urlencode(
        {
            "rs-native": "1",
            "session_id": session.session_id,
            "customer_token": session.customer_token,
        }
    )
    page.goto(f"{session.relay_url}/view/native" + (f"#{query}" if fragment else ""))
    return page
