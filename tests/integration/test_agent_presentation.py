"""``POST /local/presentation``: the local API runs a real presenter child process per session.

The real local API app (windows replaced by a recorder), a real relay, a real presenter child
on a private Xvfb display, and a customer screen socket that watches what the relay sends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import LocalState
from suite.agent.app.presentations import Presentations, presenter_options
from suite.agent.app.settings import LocalSettings
from suite.screen.frames import RegionFrame
from tests.integration.conversation import Conversation, start_conversation
from tests.integration.test_agent_local_api import SECRET, LocalClient, RecordingDesktop
from tests.support.chat_client import open_socket
from tests.support.relay import ALICE, REPO_ROOT
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

WAIT_S = 15.0


class ScreenWatcher:
    """A customer's screen socket: keeps the text messages, counts (and acks) region frames."""

    def __init__(self, conversation: Conversation, ws_url: str) -> None:
        self.ws = open_socket(ws_url)
        self.ws.send(json.dumps({
            "type": "hello", "protocol_version": 1, "role": "customer",
            "session_id": conversation.session_id,
            "token": conversation.joined["customer_token"], "channel": "screen",
        }))  # fmt: skip
        welcome = json.loads(self.ws.recv(timeout=5))
        assert welcome["type"] == "welcome", welcome
        self.texts: list[dict[str, Any]] = []
        self.frames = 0
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for message in self.ws:
                with self._cond:
                    if isinstance(message, str):
                        self.texts.append(json.loads(message))
                    else:
                        frame = RegionFrame.parse(message)
                        self.frames += 1
                        self.ws.send(json.dumps({"type": "screen_ack", "seq": frame.seq}))
                    self._cond.notify_all()
        except Exception:  # closed at the end of the test
            with self._cond:
                self._cond.notify_all()

    def states(self) -> list[str]:
        return [t["state"] for t in self.texts if t.get("type") == "screen_state"]

    def wait_for(self, predicate, what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), WAIT_S):
                raise AssertionError(f"timed out waiting for {what}; got {self.texts[-10:]}")

    def close(self) -> None:
        self.ws.close()


def gone(pid: int) -> bool:
    """The process has exited (a zombie left to an init that does not reap counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pid: int, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not gone(pid):
        assert time.monotonic() < deadline, f"process {pid} is still running"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def display() -> Iterator[Xvfb]:
    with Xvfb(640, 480) as xvfb:
        add_local_xauth_entry(xvfb)
        yield xvfb


@pytest.fixture
def conversation(relay) -> Iterator[Conversation]:
    conversation = start_conversation(relay)
    yield conversation
    conversation.agent.close()
    conversation.customer.close()


@pytest.fixture
def app(tmp_path, display, relay) -> Iterator[tuple[LocalClient, Presentations, LocalState]]:
    """The local API, logged in to the relay as Alice, with presenters on the test display."""
    settings = LocalSettings(tmp_path / "config")
    state = LocalState()
    presentations = Presentations(env=display.env())
    server = LocalServer()
    routes = build_app(settings, RecordingDesktop(), state=state, presentations=presentations)
    server.start(guard(routes, SECRET, server.port))
    client = LocalClient(server.port)
    status, body, _ = client.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200, body
    yield client, presentations, state
    presentations.stop_all()
    server.stop()
    settings.close()


def present(client: LocalClient, session_id: str, action: str, **extra: Any) -> tuple[int, Any]:
    status, body, _ = client.request(
        "POST", "/local/presentation", {"session_id": session_id, "action": action, **extra}
    )
    return status, body


def test_start_pause_resume_stop(app, conversation, relay):
    """start: the customer sees `live` and frames; pause: `paused`; stop: the child is gone."""
    client, presentations, _ = app
    sid = conversation.session_id
    watcher = ScreenWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    status, body, _ = client.request("GET", f"/local/presentation?session_id={sid}")
    assert (status, body) == (200, {"state": "idle", "monitor": None, "windows": None})

    assert present(client, sid, "start") == (200, {"state": "live", "monitor": 1, "windows": None})
    pid = presentations.pid(sid)
    assert pid is not None
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        assert conversation.token.encode() not in cmdline.read(), "the token is on the process list"
    watcher.wait_for(lambda w: "live" in w.states() and w.frames > 0, "live and a frame")
    # A second start is harmless: the same child goes on.
    assert present(client, sid, "start") == (200, {"state": "live", "monitor": 1, "windows": None})
    assert presentations.pid(sid) == pid

    assert present(client, sid, "pause") == (
        200,
        {"state": "paused", "monitor": 1, "windows": None},
    )
    watcher.wait_for(lambda w: w.states()[-1:] == ["paused"], "paused")
    status, body, _ = client.request("GET", f"/local/presentation?session_id={sid}")
    assert (status, body) == (200, {"state": "paused", "monitor": 1, "windows": None})

    assert present(client, sid, "resume") == (200, {"state": "live", "monitor": 1, "windows": None})
    watcher.wait_for(lambda w: w.states()[-1:] == ["live"], "live again")

    assert present(client, sid, "stop") == (
        200,
        {"state": "idle", "monitor": None, "windows": None},
    )
    assert gone(pid), "the presenter still runs after stop"
    watcher.wait_for(lambda w: w.states()[-1:] == ["stopped"], "stopped")
    status, body, _ = client.request("GET", f"/local/presentation?session_id={sid}")
    assert (status, body) == (200, {"state": "idle", "monitor": None, "windows": None})
    assert present(client, sid, "stop") == (
        200,
        {"state": "idle", "monitor": None, "windows": None},
    )
    watcher.close()


def test_the_presenter_stops_when_the_session_ends_or_the_app_quits(app, conversation, relay):
    """The relay ends the session: the child exits by itself. stop_all (app exit) stops the rest;
    the session leaving the notice list stops it too."""
    client, presentations, _ = app
    sid = conversation.session_id
    status, body = present(client, sid, "start")
    assert status == 200, body
    pid = presentations.pid(sid)
    conversation.agent.send({"type": "end_session"})
    wait_gone(pid)
    # A leader thread shows "Z" while its other threads still exit: poll the API, too.
    deadline = time.monotonic() + WAIT_S
    while presentations.status(sid)["state"] != "idle":
        assert time.monotonic() < deadline, "still presenting after the session ended"
        time.sleep(0.05)
    status, body, _ = client.request("GET", f"/local/presentation?session_id={sid}")
    assert body == {"state": "idle", "monitor": None, "windows": None}

    other = start_conversation(relay)
    try:
        status, body = present(client, other.session_id, "start")
        assert status == 200, body
        pid = presentations.pid(other.session_id)
        presentations.stop_all()
        assert gone(pid)

        status, body = present(client, other.session_id, "start")
        assert status == 200, body
        pid = presentations.pid(other.session_id)
        entry = {"session_id": other.session_id, "customer_name": "Kim", "started_at": 1}
        notice = {"source": other.session_id, "sessions": [entry]}
        assert client.request("POST", "/local/notice", notice)[0] == 204
        assert not gone(pid)
        notice["sessions"] = []
        assert client.request("POST", "/local/notice", notice)[0] == 204
        assert gone(pid)
    finally:
        other.agent.close()
        other.customer.close()


def test_errors(app, conversation):
    """Bad requests, control without a presenter, and a child that fails to start."""
    client, presentations, state = app
    sid = conversation.session_id
    assert present(client, sid, "rewind")[0] == 400
    assert present(client, sid, "start", monitor=0)[0] == 400
    assert present(client, "bad id", "start")[0] == 400
    assert client.request("GET", "/local/presentation")[0] == 400
    status, body = present(client, sid, "pause")
    assert (status, body["error"]["code"]) == (409, "not_presenting")

    state.login = {**state.login, "token": "not-a-token"}  # the relay refuses the socket
    status, body = present(client, sid, "start")
    assert (status, body["error"]["code"]) == (502, "presentation_failed"), body
    assert body["error"]["message"] == "the relay refused the agent's token: log in again"
    assert presentations.status(sid)["state"] == "idle"

    state.login = None
    status, body = present(client, sid, "start")
    assert (status, body["error"]["code"]) == (409, "not_logged_in")


def test_settings_options():
    """settings.remote_support keys become presenter options; wrong types are left out."""
    assert presenter_options({}) == []
    assert presenter_options(
        {"quality": 50, "codec": "webp", "colors": "65k", "max_fps": 30, "lossless": True}
    ) == ["--quality", "50", "--codec", "webp", "--colors", "65k", "--max-fps", "30", "--lossless"]
    assert presenter_options({"quality": "high", "lossless": 1, "max_fps": True}) == []


ORPHAN_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from suite.agent.app.presentations import Presentations
    presentations = Presentations()
    presentations.start(sys.argv[1], sys.argv[2], sys.argv[3])
    print(presentations.pid(sys.argv[1]), flush=True)
    time.sleep(60)
    """
)


def test_no_orphan_when_the_app_is_killed(display, conversation, relay):
    """SIGKILL to the app: its presenter sees end-of-file on stdin and stops by itself."""
    ws_url = relay.url.replace("http", "ws", 1) + "/ws"
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, conversation.session_id, ws_url,
         conversation.token],
        cwd=REPO_ROOT, env=display.env(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not gone(pid)
    finally:
        parent.kill()
        parent.wait()
    wait_gone(pid, timeout=10)
