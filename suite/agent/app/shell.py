"""The agent app's pywebview windows: the main window, one chat window per support, the notice.

The windows show pages served by the local API (``local_api.py``); the per-launch secret goes
to each page in the URL fragment, which is never sent to a server. The local API calls this
class from its server threads (``Desktop`` protocol); pywebview's window methods are safe to
call from any thread once the GUI loop runs.

GUI backends: Qt (PyQt6 + QtWebEngine) on Linux, pywebview's defaults elsewhere (WebView2 on
Windows, WKWebView on macOS). See docs/agent-local-api.md, "Platforms".
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from suite.agent.app.call_gate import CallGate
from suite.agent.app.local_state import Notice

if TYPE_CHECKING:
    from webview import Window
    from webview.guilib import GUIType

logger = logging.getLogger(__name__)

MAIN_SIZE = (1100, 760)
CHAT_SIZE = (960, 720)
NOTICE_SIZE = (380, 300)  # room for the presenting tools (P8)
NOTICE_MARGIN_PX = 16
HELP_SIZE = (800, 640)
APP_TITLE = "RemoteSales"


def gui_backend() -> GUIType | None:
    """The pywebview GUI to use here: ``qt`` on Linux, pywebview's own choice elsewhere."""
    if sys.platform.startswith("linux"):
        return "qt"
    return None


def _opened(window: Window | None) -> Window:
    """The window pywebview created. ``create_window`` gives None when a window opened while
    the GUI runs could not be initialised: say so here rather than fail later on None."""
    if window is None:
        raise RuntimeError("pywebview could not open the window")
    return window


def prepare_environment() -> None:
    """Set what the GUI toolkit reads at load time; call before pywebview is imported.

    pywebview tries GTK first on Linux and logs a long traceback when it is missing, so the
    backend is named. QtWebEngine refuses to start as root unless Chromium's sandbox is off.
    """
    backend = gui_backend()
    if backend:
        os.environ.setdefault("PYWEBVIEW_GUI", backend)
    if backend == "qt" and hasattr(os, "geteuid") and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()


def add_chromium_flags(flags: list[str]) -> None:
    """Append switches to QtWebEngine's Chromium (before the first window is made)."""
    current = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    added = [flag for flag in flags if flag not in current]
    if added:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([*current, *added])


def chromium_language_flags(language: str) -> list[str]:
    """Chromium's own locale for the agent's chosen language (``""``: the system's).

    The pages follow the setting at once, but what Chromium draws itself (a date field's
    "mm/dd/yyyy", the time picker) follows its locale, read once at start: a Korean salesperson
    on an English system saw American dates in the booking form until it follows the setting.
    """
    return [f"--lang={language}"] if language in ("en", "ko") else []


class AgentShell:
    """Owns the windows of one launch and implements ``local_api.Desktop``.

    Args:
        base_url: the local server, e.g. ``http://127.0.0.1:40123``.
        secret: the per-launch token handed to the pages in the URL fragment.
        on_loaded: called (from a pywebview thread) once the main window's page has loaded.
        calls: the supports in a call (CH9): only their chat windows get the camera and mic.
    """

    def __init__(
        self,
        base_url: str,
        secret: str,
        on_loaded: Callable[[], None] | None = None,
        language: Callable[[], str] = lambda: "",
        calls: CallGate | None = None,
    ) -> None:
        import webview  # imported late: prepare_environment() must run first

        self._webview = webview
        self.calls = calls if calls is not None else CallGate()
        self._media_handler = False
        if gui_backend() == "qt":
            from suite.agent.app.web_permissions import install_qt_handler

            install_qt_handler(base_url, in_call=self._page_in_call)
            self._media_handler = True
        self.base_url = base_url
        self._secret = secret
        self._on_loaded = on_loaded
        self._language = language  # what new windows open in (window_sync.js keeps them in step)
        # Called with the session id when its chat window closes (the notice forgets it).
        self.on_chat_closed: Callable[[str], None] | None = None
        self._lock = threading.RLock()
        self._chats: dict[str, Any] = {}
        self._notice: Any = None
        self._help: Any = None
        self._quitting = False
        self.main = _opened(webview.create_window(
            APP_TITLE, self.page_url("agent/index.html", desktop="1"),
            width=MAIN_SIZE[0], height=MAIN_SIZE[1], min_size=(720, 560),
        ))  # fmt: skip
        self.main.events.loaded += self._main_loaded
        self.main.events.closed += self._main_closed

    def page_url(self, page: str, **fragment: str) -> str:
        """A page under /ui/ with the secret (and ``fragment``) in the URL fragment."""
        language = self._language()
        if language:
            fragment = {**fragment, "lang": language}
        parts = [f"token={self._secret}", *(f"{key}={value}" for key, value in fragment.items())]
        return f"{self.base_url}/ui/{page}#{'&'.join(parts)}"

    def run(self) -> None:
        """Run the GUI loop until the main window is closed or :meth:`quit` is called."""
        self._webview.start(gui=gui_backend(), private_mode=True)

    def quit(self) -> None:
        """Close every window; ``run()`` then returns. Safe from any thread but the GUI's."""
        with self._lock:
            self._quitting = True
            others = [*self._chats.values(), self._notice, self._help]
        for window in others:
            if window is not None:
                _destroy(window)
        _destroy(self.main)

    # ----- events -----

    def _main_loaded(self) -> None:
        # `loaded` fires again after each navigation (a reload); report the first one only.
        callback, self._on_loaded = self._on_loaded, None
        if callback is not None:
            callback()

    def _main_closed(self) -> None:
        # The main window is the app: closing it closes the chats and the notice too.
        if not self._quitting:
            logger.info("main window closed: closing the others")
            threading.Thread(target=self.quit, name="quit", daemon=True).start()

    # ----- Desktop (called by the local API) -----

    def open_chat(self, session_id: str) -> None:
        with self._lock:
            window = self._chats.get(session_id)
            if window is not None:
                window.restore()
                window.show()
                return
            window = _opened(self._webview.create_window(
                f"{APP_TITLE} · Chat", self.page_url("agent/index.html", session=session_id),
                width=CHAT_SIZE[0], height=CHAT_SIZE[1], min_size=(640, 480),
            ))  # fmt: skip
            self._chats[session_id] = window

        def forget() -> None:
            with self._lock:
                if self._chats.get(session_id) is window:
                    del self._chats[session_id]
            if self.on_chat_closed is not None and not self._quitting:
                self.on_chat_closed(session_id)

        window.events.closed += forget
        logger.info("chat window opened for session %s", session_id)

    def show_notice(self, notice: Notice) -> None:
        sessions = notice.sessions
        with self._lock:
            window = self._notice
            if window is None and not sessions:
                return
            if window is None:
                # The page asks GET /local/notice when it loads, so a new window needs no push.
                x, y = self._notice_position()
                self._notice = window = _opened(self._webview.create_window(
                    f"{APP_TITLE} · Connected", self.page_url("agent/notice.html"),
                    width=NOTICE_SIZE[0], height=NOTICE_SIZE[1], on_top=True,
                    resizable=False, x=x, y=y,
                ))  # fmt: skip

                def forget() -> None:
                    with self._lock:
                        if self._notice is window:
                            self._notice = None

                window.events.closed += forget
                return
        # The page gets every change, the last empty one too, so it never shows stale sessions
        # when the window is shown again.
        payload = f"{json.dumps(sessions)}, {notice.revision}"
        _run_js(window, f"window.rsNotice && window.rsNotice.update({payload})")
        if sessions:
            window.show()
        else:
            window.hide()

    def _notice_position(self) -> tuple[int | None, int | None]:
        """(x, y) of the notice: the top right corner of the first screen; (None, None), where
        the window manager places it, without screen information."""
        try:
            screen = self._webview.screens[0]
        except Exception:  # no screen information: let the window manager place it
            return None, None
        return max(0, screen.width - NOTICE_SIZE[0] - NOTICE_MARGIN_PX), NOTICE_MARGIN_PX

    def end_from_notice(self, session_id: str) -> bool:
        with self._lock:
            window = self._chats.get(session_id)
        if window is None:
            return False
        window.restore()
        window.show()
        _run_js(window, "window.rsDesktop && window.rsDesktop.endSession()")
        return True

    def close_chat(self, session_id: str) -> bool:
        """Close the support's chat window (its end card's button) and bring the main window
        forward; False when that support has no chat window."""
        from suite.agent.app.window_alert import bring_to_front

        with self._lock:
            window = self._chats.get(session_id)
            main = self.main
        if window is None:
            return False
        _destroy(window)
        if not bring_to_front(main):
            main.restore()
            main.show()
        return True

    def call_from_notice(self, session_id: str, media: str) -> bool:
        """The notice's Call (CH9): raise the support's chat window and start a call there
        (the page decides: in the window, or in the system browser)."""
        with self._lock:
            window = self._chats.get(session_id)
        if window is None:
            return False
        window.restore()
        window.show()
        _run_js(window, f"window.rsDesktop && window.rsDesktop.startCall({json.dumps(media)})")
        return True

    def call_attention(self, session_id: str) -> dict[str, bool | None]:
        """Flash the session's chat window (the main window if it has none) unless the agent
        is looking at it: ``{active, alerted}`` (suite/agent/app/window_alert.py)."""
        from suite.agent.app.window_alert import alert_unless_active

        with self._lock:
            window = self._chats.get(session_id) or self.main
        return alert_unless_active(window)

    def broadcast(self, message: dict[str, Any]) -> None:
        """Hand ``message`` to every window's page (ui/agent/window_sync.js): one sign-in, one
        language and the account's data across the main window, the chats, notice and help."""
        with self._lock:
            windows = [self.main, *self._chats.values(), self._notice, self._help]
        script = f"window.rsAppEvents && window.rsAppEvents.receive({json.dumps(message)})"
        for window in windows:
            if window is not None:
                try:
                    _run_js(window, script)
                except Exception:  # a window closing meanwhile; the others still hear it
                    logger.debug("window %s missed a message", window.uid, exc_info=True)

    def set_chat_title(self, session_id: str, title: str) -> bool:
        """Name the session's chat window (its customer); False when it has no window."""
        with self._lock:
            window = self._chats.get(session_id)
        if window is None:
            return False
        window.set_title(title)
        return True

    def set_notice_title(self, title: str) -> bool:
        """Name the notice window in the agent's language; False when it is not open."""
        with self._lock:
            window = self._notice
        if window is None:
            return False
        window.set_title(title)
        return True

    def focus_chat(self, session_id: str) -> None:
        """Raise and focus the support's chat window (the main window when it has none): the
        agent clicked its system notification."""
        from suite.agent.app.window_alert import bring_to_front

        with self._lock:
            window = self._chats.get(session_id) or self.main
        if not bring_to_front(window):
            window.restore()
            window.show()

    def open_url(self, url: str) -> None:
        logger.info("opening %s in the system browser", url)
        webbrowser.open(url)

    def open_in_browser(self, url: str) -> bool:
        """Open ``url`` in the system browser (``webbrowser`` follows ``$BROWSER``) without
        logging it: a sign-in handoff link carries its ticket in the fragment."""
        try:
            return bool(webbrowser.open(url))
        except webbrowser.Error:
            logger.warning("no system browser could be started", exc_info=True)
            return False

    def media_support(self) -> dict[str, Any]:
        """Whether the windows can use the camera and the microphone in a call (CH9): only
        where this app answers the engine's media permission requests (Qt WebEngine)."""
        if self._media_handler:
            return {"available": True, "reason": None}
        return {
            "available": False,
            "reason": f"camera and microphone access is not wired for this window system "
            f"({sys.platform})",
        }

    def _page_in_call(self, page: Any) -> bool:
        """Whether ``page`` (a QWebEnginePage) is the chat window of a support in a call.
        Asked in the GUI thread by the permission handler (web_permissions.py)."""
        with self._lock:
            chats = list(self._chats.items())
        for session_id, window in chats:
            native = getattr(window, "native", None)
            view = getattr(native, "webview", None)
            if view is not None and view.page() is page:
                return self.calls.active(session_id)
        return False

    def open_help(self) -> None:
        with self._lock:
            if self._help is not None:
                self._help.show()
                return
            self._help = window = _opened(self._webview.create_window(
                f"{APP_TITLE} · Help", self.page_url("agent/help.html"),
                width=HELP_SIZE[0], height=HELP_SIZE[1],
            ))  # fmt: skip

        def forget() -> None:
            with self._lock:
                if self._help is window:
                    self._help = None

        window.events.closed += forget

    def choose_files(self, session_id: str) -> list[Path] | None:
        """The native "open files" dialog over the session's chat window (P4: send file).

        Returns the chosen files, or None when the agent closed the dialog.
        """
        with self._lock:
            window = self._chats.get(session_id) or self.main
        chosen = window.create_file_dialog(
            self._webview.FileDialog.OPEN,
            directory=str(send_dialog_folder()),
            allow_multiple=True,
        )
        return [Path(p) for p in chosen] if chosen else None

    def choose_path(self, kind: str) -> Path | None:
        """The native dialog picking a favourite folder (``kind`` "folder") or program (A9),
        over the main window (Settings); None when the agent closed it."""
        dialog = (
            self._webview.FileDialog.FOLDER if kind == "folder" else self._webview.FileDialog.OPEN
        )
        chosen = self.main.create_file_dialog(dialog, directory=str(Path.home()))
        return Path(chosen[0]) if chosen else None

    def chat_sessions(self) -> list[str]:
        """The sessions that have a chat window open (for logs and tests)."""
        with self._lock:
            return list(self._chats)


def send_dialog_folder() -> Path:
    """Where the Send-file dialog opens: the user's Documents folder (XDG user dirs on Linux,
    the known folder on Windows and macOS, through platformdirs), else the home folder.

    Never the program's working directory (a Qt dialog without a folder opens there).
    """
    documents = Path(platformdirs.user_documents_dir())
    return documents if documents.is_dir() else Path.home()


def _run_js(window: Any, script: str) -> None:
    """Run ``script`` in the window's page as the embedder.

    Not ``evaluate_js``: pywebview wraps that in ``eval()``, which the pages' Content-Security-
    Policy (``script-src 'self'``, no ``'unsafe-eval'``) refuses. ``run_js`` hands the script to
    the engine as is, and scripts injected by the embedder are not subject to the page's CSP.
    """
    window.run_js(script)


def _destroy(window: Any) -> None:
    try:
        window.destroy()
    except Exception:  # already closed, or the GUI loop is gone
        logger.debug("window %s was already gone", getattr(window, "uid", "?"), exc_info=True)
