"""The desktop app calls the agent when a chat window is in the background: the
window's urgency hint (``_NET_WM_STATE_DEMANDS_ATTENTION``, read with xprop), a freedesktop
notification on the session bus, and the chime; nothing while the agent looks at the window.

The real app under Xvfb at 1920x1080 with what a Linux desktop runs beside it: a session bus,
a window manager (openbox: the EWMH state is the window manager's to set) and a notification
server (notification-daemon), from tests/support/desktop_services.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpError, CdpPage, by_test_id
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    driving,
    main_page,
    open_support_window,
    private_display,
    sign_in,
)
from tests.support.desktop_services import (
    ServiceMissing,
    bus_monitor,
    notification_server,
    session_bus,
    window_manager,
)
from tests.support.waiting import wait_until  # X properties and bus logs: polled
from tests.support.x11 import find_windows, window_property
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

DEMANDS_ATTENTION = "_NET_WM_STATE_DEMANDS_ATTENTION"


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from private_display()


def activate(env: dict[str, str], window: int) -> None:
    """Bring ``window`` to the front as a click on its taskbar entry does (_NET_ACTIVE_WINDOW)."""
    subprocess.run(["xdotool", "windowactivate", "--sync", str(window)], env=env, check=True,
                   timeout=10)  # fmt: skip


def notification_popups(env: dict[str, str]) -> list[int]:
    """The notification server's popup windows on screen, newest last."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--classname", "notification-daemon"],
        env=env, capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return [int(line) for line in found.stdout.split()]


def click_notifications_until(page: CdpPage, env: dict[str, str], expression: str) -> None:
    """Click the visible notification popups, newest first, until ``expression`` holds in
    ``page``: with several popups stacked (a join, then a message), a click can land on one
    that the server is just closing, and under load a first click may be missed."""
    popups = wait_until(lambda: notification_popups(env), "a notification popup")
    misses = []
    for popup in reversed(popups):
        subprocess.run(
            ["xdotool", "mousemove", "--window", str(popup), "60", "40", "click", "1"],
            env=env, check=False, timeout=10,
        )  # fmt: skip
        try:
            page.wait_for(expression, timeout_s=15)
            return
        except CdpError as error:
            misses.append(f"popup {popup}: {str(error)[:300]}")
    raise AssertionError(f"no click on a notification made this true: {expression}: {misses}")


def active_window(env: dict[str, str]) -> int:
    found = subprocess.run(["xdotool", "getactivewindow"], env=env, capture_output=True,
                           text=True, timeout=10, check=True)  # fmt: skip
    return int(found.stdout.strip())


def attention_log(page: CdpPage) -> list[dict]:
    return page.evaluate("window.__rsTest.attention()")


def screen_png(env: dict[str, str], path: Path) -> None:
    """The whole X screen (windows, notification popups) as a PNG, with mss in a child."""
    script = (
        "import mss, mss.tools, sys\n"
        "with mss.mss() as s:\n"
        "    shot = s.grab(s.monitors[1])\n"
        "    mss.tools.to_png(shot.rgb, shot.size, output=sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], env=env, check=True, timeout=30)


def test_a_message_to_a_background_chat_window_flashes_it_and_notifies(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """While the agent looks at the chat window a customer's message calls nothing; with the
    main window in front the next one sets the chat window's DEMANDS_ATTENTION state, sends a
    Notify (who, what) to the desktop's notification server and plays the chime; activating
    the chat window clears the state; so does a click on the notification, which raises and
    focuses the chat window."""
    from tests.support.ui_pages import customer_join, open_page, send_chat

    with ExitStack() as stack:
        try:
            address = stack.enter_context(session_bus(xvfb.env()))
            env = {**xvfb.env(), "DBUS_SESSION_BUS_ADDRESS": address}
            stack.enter_context(window_manager(env))
        except ServiceMissing as error:
            pytest.skip(f"no desktop to flash a window on: {error}")
        try:
            stack.enter_context(notification_server(env))
            no_server = None
        except ServiceMissing as error:
            no_server = str(error)
            print(f"the notification assertion is skipped: {no_server}")
        monitor = stack.enter_context(bus_monitor(env, tmp_path / "notify-calls.log"))

        app = AgentApp(xvfb, tmp_path, relay_url=relay.url,
                       extra_env={"DBUS_SESSION_BUS_ADDRESS": address}).start()  # fmt: skip
        with driving(app, artifacts_dir, "desktop-attention") as windows:
            main = main_page(app)
            windows.pages.append(main)
            sign_in(main)
            # Settings › Alerts in the app: Try it sends a notification even in front.
            main.click(by_test_id("settings-button"))
            main.click(by_test_id("tab-alerts"))
            main.wait_for_selector(by_test_id("attention-settings"))
            main.click(by_test_id("attention-try"))
            main.wait_for("window.__rsTest.attention().length === 1")
            main.screenshot(artifacts_dir / "desktop-attention-settings-1100x760.png")
            if no_server is None:
                wait_until(
                    lambda: "RemoteSales alerts are on" in monitor.read_text(errors="replace"),
                    "Try it's Notify call",
                )
                # Close Try it's popup (notification 1) as an agent would, so that the click
                # below lands on the message's popup, not on this one (which opens Settings).
                subprocess.run(
                    ["dbus-send", "--session", "--dest=org.freedesktop.Notifications",
                     "--type=method_call", "--print-reply", "/org/freedesktop/Notifications",
                     "org.freedesktop.Notifications.CloseNotification", "uint32:1"],
                    env=env, check=True, timeout=10, capture_output=True,
                )  # fmt: skip
                wait_until(lambda: not notification_popups(env), "Try it's popup to close")
            main.click(by_test_id("home-button"))
            chat = open_support_window(app, main, windows.pages)
            code = chat.wait_for(ACCESS_CODE_JS)
            customer = open_page(browser, relay.url + "/")
            windows.customers.append(customer)
            customer_join(customer, code, name="Chris Park")
            chat.wait_for_selector(by_test_id("chat-input"))
            # The chat window is titled by its customer (set once the customer has joined).
            [chat_window] = wait_until(
                lambda: find_windows(env, "^Chris Park · RemoteSales$"), "the chat window's title"
            )
            [main_window] = find_windows(env, "^RemoteSales$")

            def chat_state() -> str:
                return window_property(env, chat_window, "_NET_WM_STATE")

            # The join's call is logged once the app has answered it (two local requests):
            # counted before that, it would be taken for the next message's.
            chat.wait_for(
                "window.__rsTest.attention().some((call) => call.event === 'customer_joined')"
            )

            # The agent looks at the chat: a message there calls nothing.
            activate(env, chat_window)
            chat.wait_for("document.hasFocus()")
            wait_until(lambda: DEMANDS_ATTENTION not in chat_state(), "the join's flash to clear")
            seen = len(attention_log(chat))
            send_chat(customer, "First question")
            chat.wait_for(f"window.__rsTest.attention().length > {seen}")
            looking = attention_log(chat)[seen]
            assert looking["event"] == "message" and looking["away"] is False, looking
            assert not looking["sounded"] and not looking["notified"]
            assert DEMANDS_ATTENTION not in chat_state()
            chat.screenshot(artifacts_dir / "desktop-attention-chat-1920.png")

            # The agent works in the main window: the next message calls from behind it.
            activate(env, main_window)
            chat.wait_for("!document.hasFocus()")
            send_chat(customer, "Can we talk price?")
            chat.wait_for(f"window.__rsTest.attention().length > {seen + 1}")
            away = attention_log(chat)[seen + 1]
            assert away["event"] == "message" and away["away"] is True, away
            assert away["sounded"] is True
            wait_until(lambda: DEMANDS_ATTENTION in chat_state(), "DEMANDS_ATTENTION on the chat")
            assert DEMANDS_ATTENTION not in window_property(env, main_window, "_NET_WM_STATE")
            if no_server is None:
                assert away["notified"] is True, (away, app.log())
                calls = wait_until(
                    lambda: (
                        "Can we talk price?" in monitor.read_text(errors="replace")
                        and monitor.read_text(errors="replace")
                    ),
                    "a Notify call on the session bus",
                )
                assert 'string "New message from Chris Park"' in calls, calls
                assert 'string "RemoteSales"' in calls, calls
                screen_png(env, artifacts_dir / "desktop-attention-screen-notification.png")
                # A click on the notification raises and focuses that support's chat window.
                click_notifications_until(chat, env, "document.hasFocus()")
                assert active_window(env) == chat_window
                wait_until(lambda: DEMANDS_ATTENTION not in chat_state(), "the flash to clear")
                assert "clicked: opening" in app.log()
            else:
                print(f"not asserted: a system notification ({no_server})")
                assert away["notified"] is False

            # Coming back to the chat window clears its flash.
            activate(env, chat_window)
            wait_until(lambda: DEMANDS_ATTENTION not in chat_state(), "the flash to clear")
            windows.close()
            assert app.stop() == 0
