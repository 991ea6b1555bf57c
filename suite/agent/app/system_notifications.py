"""The desktop's own notifications: freedesktop notifications over D-Bus.

A chat window that is not active asks the app to call the agent (``POST /local/attention``);
on Linux the app sends ``org.freedesktop.Notifications.Notify`` on the session bus with
jeepney (pure Python, no C library). Whatever shows it (GNOME Shell, KDE, xfce4-notifyd,
dunst, notification-daemon) is the desktop's choice. Nothing here is required: without
jeepney, without a session bus or without a notification server the app still sounds and
flashes the window, and :meth:`SystemNotifier.notify` says why nothing was shown.

Clicking a notification (its "default" action) raises that support's chat window: the server
answers with an ``ActionInvoked`` signal. Servers send it to the connection that sent the
``Notify`` (notification-daemon does, GNOME Shell does), so the notifier keeps one long-lived
connection (jeepney's threading router) for its calls and listens on it in a thread of its own.

Windows and macOS have no D-Bus; there the notifier reports "not supported on this platform"
(their toast / Notification Center are not wired yet).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from queue import Full
from typing import Any

logger = logging.getLogger(__name__)

APP_NAME = "RemoteSales"
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
CALL_TIMEOUT_S = 2.0
EXPIRE_MS = -1  # the server's default display time
URGENCY_NORMAL = 1  # freedesktop hint "urgency": 0 low, 1 normal, 2 critical
DEFAULT_ACTION = "default"  # the action a click on the notification's body invokes
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 500


class NotificationUnavailable(Exception):
    """No notification could be shown here; the message says why (for logs and Settings)."""


def notify_message(
    title: str, body: str, replaces_id: int = 0, app_name: str = APP_NAME
) -> tuple[str, tuple[Any, ...]]:
    """The D-Bus signature and arguments of one ``Notify`` call (pure; see the spec's
    ``Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout)``).

    The body is plain text: servers that render markup would read ``<b>`` in a customer's
    message as bold, so ``&``, ``<`` and ``>`` are escaped.
    """
    plain = body[:MAX_BODY_CHARS].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    hints = {"urgency": ("y", URGENCY_NORMAL), "category": ("s", "im.received")}
    args: tuple[Any, ...] = (
        app_name,
        replaces_id,
        "",
        title[:MAX_TITLE_CHARS],
        plain,
        [DEFAULT_ACTION, "Open"],  # a click on the body opens the support's chat window
        hints,
        EXPIRE_MS,
    )
    return "susssasa{sv}i", args


class SystemNotifier:
    """Sends notifications to the desktop; one per key (a support) replaces the previous one,
    so ten messages from one customer leave one notification, not ten. Thread-safe.

    Args:
        on_click: called with a notification's key (the support's session id) when the agent
            clicks it; from the notifier's listening thread.
    """

    def __init__(self, on_click: Callable[[str], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self._logged: str | None = None
        self.on_click = on_click
        self._router: Any = None  # jeepney.io.threading.DBusRouter, opened on first use

    def notify(self, key: str, title: str, body: str) -> int:
        """Show ``title`` and ``body``; returns the server's notification id.

        Raises:
            NotificationUnavailable: no jeepney, no session bus, no notification server, or
                it refused; the reason is logged once per distinct reason.
        """
        with self._lock:
            replaces = self._ids.get(key, 0)
        try:
            notification_id = self._send(title, body, replaces)
        except NotificationUnavailable as error:
            if str(error) != self._logged:
                self._logged = str(error)
                logger.warning("system notifications unavailable: %s", error)
            raise
        with self._lock:
            self._ids[key] = notification_id
        logger.info("system notification %d shown for %s", notification_id, key)
        return notification_id

    def status(self) -> dict[str, Any]:
        """``{available, reason}``: whether a notification server answers on the session bus."""
        try:
            name = self._server_name()
        except NotificationUnavailable as error:
            return {"available": False, "reason": str(error)}
        return {"available": True, "reason": None, "server": name}

    # ----- D-Bus -----

    def clicked(self, notification_id: int, action: str) -> str | None:
        """The server said the agent clicked notification ``notification_id``: the key it was
        shown for (and ``on_click`` is told), or None for another app's or an old one."""
        if action != DEFAULT_ACTION:
            return None
        with self._lock:
            key = next((k for k, nid in self._ids.items() if nid == notification_id), None)
        if key is not None:
            logger.info("system notification %d clicked: opening %s", notification_id, key)
            if self.on_click is not None:
                self.on_click(key)
        return key

    def close(self) -> None:
        """Close the connection (the app quits, or the bus broke) and end the listening."""
        with self._lock:
            router, self._router = self._router, None
        if router is not None:
            try:
                router.rs_queue.put_nowait(None)  # wakes the listening thread, which returns
            except Full:  # full of clicks: the thread sees that its router is gone
                pass
            router.close()
            router.conn.close()

    def _open_router(self) -> Any:
        """The long-lived connection (opened once; again after it broke), with a thread that
        hears ``ActionInvoked``."""
        with self._lock:
            if self._router is not None:
                return self._router
        from queue import Queue

        from jeepney import MatchRule, message_bus
        from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection

        connection = open_dbus_connection(bus="SESSION")
        router = DBusRouter(connection)
        rule = MatchRule(
            type="signal", interface=BUS_NAME, member="ActionInvoked", path=OBJECT_PATH
        )
        queue: Queue[Any] = Queue(maxsize=64)
        router.rs_queue = queue
        try:
            Proxy(message_bus, router, timeout=CALL_TIMEOUT_S).AddMatch(rule)
            router.filter(rule, queue=queue)
        except BaseException:
            router.close()
            connection.close()
            raise
        threading.Thread(
            target=self._listen, args=(router, queue), name="notification-clicks", daemon=True
        ).start()
        with self._lock:
            self._router = router
        return router

    def _listen(self, router: Any, queue: Any) -> None:
        while True:
            signal = queue.get()
            if signal is None or router is not self._router:
                return
            try:
                notification_id, action = signal.body
                self.clicked(int(notification_id), str(action))
            except Exception:  # a bad signal or a window gone: never end the listening
                logger.exception("a notification click could not be handled")

    def _call(self, method: str, signature: str | None = None, args: tuple[Any, ...] = ()) -> Any:
        if not sys.platform.startswith("linux"):
            raise NotificationUnavailable(f"no system notifications on {sys.platform} yet")
        try:
            from jeepney import DBusAddress, new_method_call
            from jeepney.io.common import RouterClosed
            from jeepney.wrappers import DBusErrorResponse, unwrap_msg
        except ImportError:
            raise NotificationUnavailable("the jeepney package is not installed") from None
        address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        message = new_method_call(address, method, signature, args)
        try:
            router = self._open_router()
            reply = router.send_and_get_reply(message, timeout=CALL_TIMEOUT_S)
        except KeyError:  # jeepney: DBUS_SESSION_BUS_ADDRESS is not set
            raise NotificationUnavailable("no D-Bus session bus is running") from None
        except (OSError, TimeoutError, RouterClosed) as error:
            self.close()  # the bus went away: a later call opens a new connection
            raise NotificationUnavailable(
                f"the D-Bus session bus did not answer: {error}"
            ) from None
        try:
            return unwrap_msg(reply)
        except DBusErrorResponse as error:
            if error.name == "org.freedesktop.DBus.Error.ServiceUnknown":
                raise NotificationUnavailable("no notification server is running") from None
            raise NotificationUnavailable(f"the notification server refused: {error}") from None

    def _send(self, title: str, body: str, replaces_id: int) -> int:
        signature, args = notify_message(title, body, replaces_id)
        (notification_id,) = self._call("Notify", signature, args)
        return int(notification_id)

    def _server_name(self) -> str:
        name, vendor, version, _spec = self._call("GetServerInformation")
        return f"{name} {version} ({vendor})"
