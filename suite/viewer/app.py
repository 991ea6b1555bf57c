"""The one-time viewer program: read the ticket from its own file, redeem it, show the screen.

Start-up, in order (docs/builds.md has the whole flow):

1. Read the ticket appended to the executable (``ticket_trailer``). None: say so and stop,
   keeping the file (a build straight from ``dist/`` carries no ticket).
2. Arm self-deletion, then redeem the ticket at the relay. Refused (session over, already
   used, expired): show that clearly, and remove the file on exit. Relay unreachable: say so
   and keep the file, so that the customer can try again.
3. Open a native window on the relay's own viewer page (``/view/native``), handing it the session in
   the URL fragment (never sent to a server). The page is loaded from the relay rather than
   bundled: it always matches the relay's protocol version, and the file stays small.
4. When the page reports the session over, close after a few seconds; on any exit the file is
   removed and the bootloader removes its unpack folder.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlencode

from suite.files.client import FileTransferClient, FileTransferError
from suite.net.connect import environment_connector
from suite.net.policy import NetworkError, Proxy
from suite.viewer.page_proxy import follow_route
from suite.viewer.received_files import ReceivedFiles
from suite.viewer.redeem import RelayUnreachable, Seat, TicketRefusedByRelay, redeem
from suite.viewer.self_delete import SelfDeleter, frozen_target
from suite.viewer.ticket_trailer import TrailerError, read_trailer

if TYPE_CHECKING:
    from webview.guilib import GUIType

logger = logging.getLogger("remotesales-viewer")

VIEWER_TITLE = "RemoteSales · Agent's screen"
OVER_TITLE = "RemoteSales · Session over"
PROBLEM_TITLE = "RemoteSales · Viewer"
CLOSE_AFTER_S = 5.0
# Exit statuses: scripts and tests tell the outcomes apart.
EXIT_OK, EXIT_NO_TICKET, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 2, 3, 4

_OVER_TEXT = {
    "session_over": (
        "This session is over.",
        "상담이 종료되었습니다.",
    ),
    "ticket_used": (
        "This viewer was already used. To watch again, download a new viewer from the chat.",
        "이미 사용된 뷰어입니다. 다시 보려면 채팅에서 새 뷰어를 내려받으세요.",
    ),
    "ticket_expired": (
        "This viewer has expired. Download a new one from the chat.",
        "뷰어의 유효 기간이 지났습니다. 채팅에서 새 뷰어를 내려받으세요.",
    ),
}
_OVER_DEFAULT = (
    "This viewer is no longer valid: the session is over or the download expired.",
    "이 뷰어는 더 이상 사용할 수 없습니다. 상담이 끝났거나 내려받은 뷰어의 유효 기간이 지났습니다.",
)
_GONE = (
    "This viewer deletes itself from your computer when you close this window.",
    "이 창을 닫으면 뷰어가 컴퓨터에서 자동으로 삭제됩니다.",
)


def page_route(relay_url: str) -> Proxy | None:
    """The proxy the viewer's policy takes to the relay (None: direct). A PAC that cannot be
    read leaves the page direct, as the viewer's own connections then fail with their own
    message."""
    try:
        return environment_connector().routes(relay_url)[0]
    except NetworkError as error:
        logger.warning("the page's proxy: %s", error.message)
        return None


def gui_backend() -> GUIType | None:
    """GTK (the system's WebKitGTK) on Linux; pywebview's default (WebView2, WKWebView) else."""
    chosen = os.environ.get("RS_VIEWER_GUI")
    if chosen:
        return cast("GUIType", chosen)  # pywebview names an unknown one when it starts
    return "gtk" if sys.platform.startswith("linux") else None


class ViewerBridge:
    """What the viewer page may ask of the native program (``window.pywebview.api``).

    pywebview calls these from its own thread; each one logs its failures (pywebview would
    otherwise hand a bare exception text to the page).
    """

    def __init__(
        self,
        close_after_s: float,
        received: ReceivedFiles,
        started: float,
        files: FileTransferClient | None = None,
        relay_url: str = "",
        session_id: str = "",
    ):
        self._relay_url = relay_url.rstrip("/")
        self._session_id = session_id
        self._window = None
        self._files = files
        self._close_after_s = close_after_s
        self._received = received
        self._started = started
        self._first_frame_logged = False
        self.over_kind: str | None = None

    def attach(self, window) -> None:
        self._window = window

    def session_over(self, kind: str) -> None:
        """The page shows an end notice: close the window (and so remove the file) shortly."""
        if self.over_kind is not None:
            return
        self.over_kind = str(kind)
        logger.info("session over (%s); closing in %.0f s", kind, self._close_after_s)
        timer = threading.Timer(self._close_after_s, self.close)
        timer.daemon = True
        timer.start()

    def close(self) -> None:
        if self._window is not None:
            self._window.destroy()

    def toggle_fullscreen(self) -> None:
        if self._window is not None:
            self._window.toggle_fullscreen()

    def call_support(self, report: dict[str, Any]) -> None:
        """CH9: what the page found its engine can do for calls (logged once at start-up)."""
        webrtc = bool(isinstance(report, dict) and report.get("webrtc"))
        if webrtc:
            logger.info("the engine has WebRTC: calls are held in the viewer")
        else:
            logger.info("the engine has no RTCPeerConnection: calls open in the system browser")

    def open_call_in_browser(self, url: str) -> bool:
        """CH9: this program's WebKitGTK has no WebRTC, so the customer's call opens in the
        system browser: ``url`` is the relay's one-time handoff link to the customer's page
        (``<relay>/#handoff=...``). Anything else is refused. Returns whether a browser opened.
        """
        prefix = f"{self._relay_url}/#handoff="
        if not self._relay_url or not isinstance(url, str) or not url.startswith(prefix):
            logger.warning("refused to open a link that is not the relay's call handoff")
            return False
        import webbrowser

        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            logger.exception("the system browser did not open")
            return False
        logger.info("call handed to the system browser (%s)", "opened" if opened else "no browser")
        return bool(opened)

    def first_frame(self) -> None:
        if not self._first_frame_logged:
            self._first_frame_logged = True
            logger.info(
                "first frame painted at %.3f (%.2f s after start-up)",
                time.time(),
                time.time() - self._started,
            )

    def receive_file(self, transfer: dict[str, Any]) -> str:
        """Fetch a file the agent sent (the page passes the relay's transfer object) into the
        received-files folder; returns where it went. Streams, resumes, checks the sha256.

        Raises:
            ValueError: ``transfer`` is not a transfer object, or no relay client is set.
            FileTransferError: the relay refused it, or it arrived damaged (nothing is kept).
        """
        if self._files is None:
            raise ValueError("this viewer has no relay connection for files")
        checked = _transfer_fields(transfer)
        try:
            path = self._files.receive(checked, self._received.folder)
        except (FileTransferError, OSError):
            logger.exception("could not receive %s", checked["name"])
            raise
        logger.info("saved a received file to %s", path)
        return str(path)

    def save_whiteboard_bmp(self, board: int) -> str:
        """CH3: save the relay's BMP of the whiteboard (board number ``board``) into the
        received-files folder as ``whiteboard-<board>.bmp``; returns where it went, which the
        page shows (WebKitGTK would save a page download somewhere without saying where).

        Raises:
            ValueError: ``board`` is not a board number, or no relay client is set.
            FileTransferError: the relay refused (no board open, access lost) or is unreachable.
        """
        if self._files is None or not self._session_id:
            raise ValueError("this viewer has no relay connection for the whiteboard")
        if isinstance(board, bool) or not isinstance(board, int) or board < 1:
            raise ValueError("a whiteboard is named by its number (1, 2, ...)")
        path = f"/api/sessions/{quote(self._session_id, safe='')}/whiteboard.bmp"
        try:
            saved = self._files.fetch(path, self._received.folder, f"whiteboard-{board}.bmp")
        except (FileTransferError, OSError):
            logger.exception("could not save the whiteboard")
            raise
        logger.info("saved the whiteboard to %s", saved)
        return str(saved)

    def open_received_folder(self) -> None:
        try:
            self._received.open_folder()
        except OSError:
            logger.exception("could not open the received-files folder")
            raise


SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _transfer_fields(transfer: Any) -> dict[str, Any]:
    """The fields of a relay transfer object the download needs, checked (from the page)."""
    if not isinstance(transfer, dict):
        raise ValueError("a transfer must be an object")
    transfer_id, name = transfer.get("id"), transfer.get("name")
    size, digest = transfer.get("size"), transfer.get("sha256")
    if not isinstance(transfer_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", transfer_id):
        raise ValueError("a transfer needs its id")
    if not isinstance(name, str) or not name:
        raise ValueError("a transfer needs its name")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError("a transfer needs its size")
    if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
        raise ValueError("a transfer needs its sha256")
    return {"id": transfer_id, "name": name, "size": size, "sha256": digest}


def message_page(title: str, lines: tuple[str, str], extra: tuple[str, str] | None) -> str:
    """A small self-contained page (no scripts) with the message in English and Korean."""
    body = "".join(
        f'<p lang="{lang}">{html.escape(text)}</p>'
        for pair in (lines, extra)
        if pair
        for lang, text in zip(("en", "ko"), pair, strict=True)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><style>body{{font:16px/1.5 system-ui,sans-serif;"
        "margin:0;display:grid;place-items:center;height:100vh;background:#f6f7f9;color:#1d2430}"
        "main{max-width:32rem;padding:2rem;text-align:center}p:first-child{font-size:1.25rem;"
        f"font-weight:600}}</style></head><body><main>{body}</main></body></html>"
    )


def viewer_url(relay_url: str, seat: Seat) -> str:
    """The relay's viewer page; the session rides in the fragment, which is never sent."""
    fragment = urlencode(
        {"rs-native": "1", "session_id": seat.session_id, "customer_token": seat.customer_token}
    )
    return f"{relay_url.rstrip('/')}/view/native#{fragment}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="remotesales-viewer", description="RemoteSales one-time viewer."
    )
    parser.add_argument(
        "--ticket-from",
        type=Path,
        help="read the ticket from this file instead of this program (development)",
    )
    parser.add_argument(
        "--close-after",
        type=float,
        default=float(os.environ.get("RS_VIEWER_CLOSE_AFTER_S", CLOSE_AFTER_S)),
        help="seconds the end notice stays before the window closes",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    started = time.time()
    logging.basicConfig(
        level=logging.INFO, format="remotesales-viewer: %(message)s", stream=sys.stderr
    )
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logger.info("python started at %.3f", started)
    ticket_file = args.ticket_from or Path(sys.executable)
    try:
        payload = read_trailer(ticket_file)
    except (TrailerError, OSError) as error:
        logger.error("no session ticket in %s: %s", ticket_file, error)
        return show_message(
            PROBLEM_TITLE,
            (
                "This viewer carries no session ticket. Download it again from the chat.",
                "이 뷰어에는 상담 정보가 없습니다. 채팅에서 뷰어를 다시 내려받으세요.",
            ),
            None,
            EXIT_NO_TICKET,
        )
    relay_url = payload["relay_url"]
    deleter = SelfDeleter(frozen_target())
    deleter.arm()
    try:
        seat = redeem(relay_url, payload["ticket"])
    except TicketRefusedByRelay as refused:
        lines = _OVER_TEXT.get(refused.code, _OVER_DEFAULT)
        logger.error("the relay refused this viewer (%s): %s", refused.code, lines[0])
        gone = _GONE if deleter.target is not None else None
        return show_message(OVER_TITLE, lines, gone, EXIT_REFUSED)
    except RelayUnreachable as error:
        deleter.disarm()
        logger.error("%s; run this viewer again when the connection is back", error)
        return show_message(
            PROBLEM_TITLE,
            (
                f"Cannot reach {relay_url}. Check your internet connection and run this viewer"
                " again.",
                f"{relay_url}에 연결할 수 없습니다. "
                "인터넷 연결을 확인한 뒤 뷰어를 다시 실행하세요.",
            ),
            None,
            EXIT_UNREACHABLE,
        )
    logger.info(
        "joined session %s of %s at %.3f",
        seat.session_id,
        seat.agent_name or "the agent",
        time.time(),
    )
    files = FileTransferClient(
        relay_url, f"Customer {seat.customer_token}", connector=environment_connector()
    )
    bridge = ViewerBridge(
        args.close_after,
        ReceivedFiles(),
        started,
        files,
        relay_url=relay_url,
        session_id=seat.session_id,
    )
    import webview

    window = webview.create_window(
        VIEWER_TITLE,
        viewer_url(relay_url, seat),
        js_api=bridge,
        width=1280,
        height=800,
        min_size=(480, 320),
    )
    if window is None:  # only a window created after start() can fail to initialise
        raise RuntimeError("pywebview could not create the viewer window")
    bridge.attach(window)
    if gui_backend() == "gtk":  # A7: the page goes the way the viewer's own connections go
        network = environment_connector().policy
        window.events.before_show += follow_route(page_route(relay_url), network.ca_file)
    # Start-up milestones, as wall-clock times (scripts/bench_builds.py reads them).
    window.events.shown += lambda: logger.info("window shown at %.3f", time.time())
    window.events.loaded += lambda: logger.info("page loaded at %.3f", time.time())
    webview.start(gui=gui_backend(), private_mode=True)
    logger.info("window closed")
    deleter.delete()
    return EXIT_OK


def show_message(title: str, lines: tuple[str, str], extra, status: int) -> int:
    """Show a message window until the customer closes it; returns ``status``."""
    import webview

    webview.create_window(title, html=message_page(title, lines, extra), width=560, height=320)
    webview.start(gui=gui_backend(), private_mode=True)
    return status
