"""``remotesales-agent`` / ``python -m suite.agent``: the agent desktop app.

Starts the local API on 127.0.0.1 (random port, per-launch secret), opens the main window
and runs the GUI loop until the main window is closed or SIGTERM/SIGINT arrives; then stops
the server, revokes the relay login and exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from suite.agent.app.errors import AgentError
from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import LocalState, log_out
from suite.agent.app.network_settings import AgentNetwork
from suite.agent.app.presentations import Presentations
from suite.agent.app.presenting_desktop import PresentingDesktop
from suite.agent.app.relay_client import RelayClient, parse_relay_address
from suite.agent.app.relay_tunnel import RelayTunnel
from suite.agent.app.settings import LocalSettings
from suite.agent.app.shell import (
    AgentShell,
    add_chromium_flags,
    chromium_language_flags,
    prepare_environment,
)
from suite.agent.app.signal_watch import SignalWatch
from suite.agent.app.system_notifications import SystemNotifier
from suite.atomic_files import write_atomically
from suite.net.policy import NetworkPolicy, NetworkSettingsError, chromium_proxy_flags

logger = logging.getLogger("suite.agent")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="remotesales-agent", description="RemoteSales agent: chat and present to customers."
    )
    parser.add_argument(
        "--relay-url",
        help="the relay's address to fill in on the login form (saved in the settings)",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        help="folder for settings.json (default: $REMOTESALES_CONFIG_DIR, else the OS one)",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        help="write {url, port, pid} here once the main window has loaded (for scripts and tests)",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument(
        "--add-desktop-shortcut",
        action="store_true",
        help="put a RemoteSales shortcut on your desktop (from the installed menu entry) and exit",
    )
    return parser.parse_args(argv)


def add_shortcut() -> int:
    """``--add-desktop-shortcut``: report the shortcut made, or why not (exit status 2)."""
    from suite.agent.app.desktop_shortcut import (
        ShortcutError,
        add_desktop_shortcut,
        installed_entry,
    )

    try:
        print(f"Desktop shortcut added: {add_desktop_shortcut(installed_entry())}")
    except ShortcutError as error:
        print(f"remotesales-agent: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.add_desktop_shortcut:
        return add_shortcut()
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    prepare_environment()
    try:
        settings = LocalSettings(args.config_dir)
        if args.relay_url:
            settings.update({"relay_url": parse_relay_address(args.relay_url).base_url})
    except (AgentError, OSError, ValueError) as error:
        print(f"remotesales-agent: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2

    # A7: QtWebEngine's own network (WebRTC's TURN over TCP/TLS) follows the proxy choice; its
    # switches are read once, so a change applies at the next start.
    try:
        stored = settings.get()
        policy = NetworkPolicy.from_settings(stored["network"], stored["verify_tls"])
        add_chromium_flags(chromium_proxy_flags(policy))
    except NetworkSettingsError as error:
        logger.warning("the windows keep the system's proxy: %s", error.message)
    # Chromium's date and time fields in the agent's language (a change applies at the next
    # start, as the proxy switches do).
    add_chromium_flags(chromium_language_flags(settings.get()["language"]))
    secret = secrets.token_urlsafe(32)
    state = LocalState()
    server = LocalServer()

    def loaded() -> None:
        logger.info("main window loaded from %s", server.url)
        if args.ready_file:
            ready = {"url": server.url, "port": server.port, "pid": os.getpid()}
            write_atomically(args.ready_file, json.dumps(ready).encode())

    shell = AgentShell(
        server.url,
        secret,
        on_loaded=loaded,
        language=lambda: settings.get()["language"],
        calls=state.calls,
    )
    # A chat window closed without reporting "no sessions" must not leave its line in the notice,
    # and its presenter (if any) stops with it.
    # A8: the wallpaper and window outlines while presenting, put back when it stops (and now,
    # if a previous run died while presenting).
    desktop_look = PresentingDesktop(lambda: settings.get()["presenting_desktop"], settings.folder)
    desktop_look.recover()
    presentations = Presentations(desktop=desktop_look)

    def chat_closed(session_id: str) -> None:
        # stop() waits for the child; not on the GUI's thread.
        threading.Thread(target=presentations.stop, args=(session_id,), daemon=True).start()
        state.calls.end(session_id)  # CH9: a closed window's call is over, and so is its mic
        shell.show_notice(state.set_notice(session_id, []))
        # The main window's "opened in its own window" goes with it.
        shell.broadcast({"kind": "chat_closed", "session_id": session_id, "from": "app"})

    shell.on_chat_closed = chat_closed
    # A click on a system notification raises that support's chat window.
    notifier = SystemNotifier(on_click=shell.focus_chat)
    # A7: every connection follows the network settings; the windows' websocket through the
    # app's loopback tunnel (suite/agent/app/relay_tunnel.py).
    network = AgentNetwork(settings)
    tunnel = RelayTunnel(network.connector)
    app = build_app(
        settings, shell, state=state, presentations=presentations, notifier=notifier,
        network=network, tunnel=tunnel,
    )  # fmt: skip
    server.start(guard(app, secret, server.port))
    logger.info("local API on %s", server.url)

    def on_signal(signum: int) -> None:
        # May run on the GUI thread; closing windows from there would wait on that same
        # thread, so hand it to another one.
        logger.info("%s: closing", signal.Signals(signum).name)
        threading.Thread(target=shell.quit, name="quit", daemon=True).start()

    # SIGTERM is acted on at once, not at the GUI loop's next turn into Python.
    signals = SignalWatch([signal.SIGTERM], on_signal).start()
    try:
        shell.run()
    finally:
        signals.close()
        server.stop()
        tunnel.close()
        presentations.stop_all()
        notifier.close()
        log_out(state, lambda url: RelayClient(url, timeout_s=3, policy=network.policy()))
        settings.close()
        logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
