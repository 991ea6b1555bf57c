"""The window's urgency hint: flash a chat window that is not the active one.

Qt's ``QApplication.alert(window)`` is the platform's own "this window wants you": on X11 it
asks the window manager for ``_NET_WM_STATE_DEMANDS_ATTENTION`` (taskbars blink or colour the
entry), on Windows it is ``FlashWindowEx``, on macOS the Dock bounces. With a timeout of 0 the
hint stays until the agent activates the window, which clears it.

The local API calls this from a server thread; Qt widgets may only be touched in the GUI
thread, so the work is posted there (a queued signal) and the caller waits for the answer.
Without the Qt backend (pywebview on Windows and macOS uses other GUIs) nothing is flashed
and the answer says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

logger = logging.getLogger(__name__)

GUI_WAIT_S = 2.0

_invoker: Any = None
_invoker_lock = threading.Lock()


def _gui_invoker() -> Any:
    """A QObject living in the GUI thread whose signal runs a callable there."""
    global _invoker
    with _invoker_lock:
        if _invoker is None:
            from qtpy import QtCore, QtWidgets

            class Invoker(QtCore.QObject):
                run = QtCore.Signal(object)

                @QtCore.Slot(object)
                def _run(self, function: Callable[[], None]) -> None:
                    function()

            application = QtWidgets.QApplication.instance()
            if application is None:
                raise RuntimeError("no Qt application to alert a window in")
            invoker = Invoker()
            invoker.moveToThread(application.thread())
            invoker.run.connect(invoker._run, QtCore.Qt.ConnectionType.QueuedConnection)
            _invoker = invoker
        return _invoker


def alert_unless_active(window: Any) -> dict[str, bool | None]:
    """Flash ``window`` (a pywebview window on the Qt backend) unless it is the active one.

    Returns:
        ``{active, alerted}``: ``active`` is whether the agent is looking at the window (then
        nothing is done), None when it cannot be told (no Qt window); ``alerted`` whether the
        urgency hint was asked for.
    """
    native = getattr(window, "native", None)
    if native is None or not hasattr(native, "isActiveWindow"):
        return {"active": None, "alerted": False}
    from qtpy import QtWidgets

    answer: Future[dict[str, bool | None]] = Future()

    def in_gui() -> None:
        try:
            active = bool(native.isActiveWindow())
            if not active:
                QtWidgets.QApplication.alert(native, 0)
            answer.set_result({"active": active, "alerted": not active})
        except Exception as error:  # a window closed meanwhile: answer rather than hang
            answer.set_exception(error)

    _gui_invoker().run.emit(in_gui)
    try:
        return answer.result(timeout=GUI_WAIT_S)
    except Exception:
        logger.exception("the window alert did not run")
        return {"active": None, "alerted": False}


def bring_to_front(window: Any) -> bool:
    """Raise ``window`` and give it the keyboard focus (a click on its notification).

    On X11 ``activateWindow`` asks the window manager (``_NET_ACTIVE_WINDOW``); window managers
    with focus-stealing prevention may flash it instead. Returns False without a Qt window.
    """
    native = getattr(window, "native", None)
    if native is None or not hasattr(native, "activateWindow"):
        return False

    def in_gui() -> None:
        if native.isMinimized():
            native.showNormal()
        native.show()
        native.raise_()
        native.activateWindow()

    _gui_invoker().run.emit(in_gui)
    return True
