"""``POST /local/presentation``: the local API runs a real presenter child process per session.

The real local API app (windows replaced by a recorder), a real relay, a real presenter child
on a private Xvfb display, and a customer screen socket that watches what the relay sends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading

from suite.agent.app.presentations import presenter_options
from tests.support.conversation import start_conversation
from tests.support.local_api import present
from tests.support.processes import children, gone, wait_gone
from tests.support.relay import REPO_ROOT
from tests.support.screen_socket import ScreenWatcher
from tests.support.waiting import wait_until


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
    wait_until(lambda: presentations.status(sid)["state"] == "idle", "idle after the end")
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


def test_a_presenter_that_does_not_start_in_time_is_stopped_and_the_start_fails(
    app, conversation, monkeypatch
):
    """A presenter that neither presents nor fails within the start wait (its relay accepts
    the connection and never answers) is stopped, and start answers presentation_failed
    instead of calling it live."""
    from suite.agent.app import presentations as presentations_module

    client, presentations, state = app
    sid = conversation.session_id
    monkeypatch.setattr(presentations_module, "START_WAIT_S", 3.0)
    with socket.socket() as silent:  # connections queue in its backlog; nothing answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        state.login = {**state.login, "relay_ws_url": f"ws://127.0.0.1:{port}/ws"}
        before = set(children(os.getpid()))
        status, body = present(client, sid, "start")
        assert (status, body["error"]["code"]) == (502, "presentation_failed"), body
        assert body["error"]["message"] == "the presenter did not start in 3 s"
        assert presentations.status(sid)["state"] == "idle"
        left = [pid for pid in set(children(os.getpid())) - before if not gone(pid)]
        assert left == [], "the presenter still runs"


def test_settings_options():
    """settings.remote_support keys become presenter options; wrong types are left out; a
    preset (or, with nothing stored, the default "balanced") sets its own options."""
    balanced = ["--quality", "70", "--codec", "jpeg", "--colors", "full", "--max-fps", "30"]
    assert presenter_options({}) == balanced
    assert presenter_options({"preset": "balanced", "quality": 20}) == balanced
    assert presenter_options({"preset": "sharp_text"}) == [
        "--quality", "90", "--codec", "jpeg", "--colors", "full", "--max-fps", "10",
    ]  # fmt: skip
    assert presenter_options({"preset": "custom", "max_fps": 12.5}) == ["--max-fps", "12.5"]
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


def _starting_presenter(session_id: str) -> int | None:
    """The pid of this process's presenter child for `session_id` (None: none yet)."""
    for pid in children(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if f"--session={session_id}".encode() in cmdline.read():
                    return pid
        except FileNotFoundError:
            continue
    return None


def test_stop_while_the_presenter_starts_is_kept(app, conversation):
    """Stop pressed while the presenter child is still starting stops it: the start answers
    idle, the child exits and nothing is presented afterwards."""
    client, presentations, _ = app
    sid = conversation.session_id
    started: dict[str, object] = {}
    starter = threading.Thread(target=lambda: started.update(answer=present(client, sid, "start")))
    starter.start()
    pid = wait_until(lambda: _starting_presenter(sid), "the presenter child to be spawned")
    assert presentations.status(sid)["state"] == "idle", "the child had started already"
    idle = {"state": "idle", "monitor": None, "windows": None}
    assert present(client, sid, "stop") == (200, idle)
    starter.join(timeout=15)
    assert started["answer"] == (200, idle)
    wait_gone(pid)
    assert presentations.status(sid)["state"] == "idle"
    assert presentations.pid(sid) is None


def test_call_audio_errors(app, conversation):
    """The call's audio route refuses a bad time or bad samples with a reason, and a session
    without a presenter with not_presenting; nothing records there."""
    client, _, _ = app
    sid = conversation.session_id
    good = {"session_id": sid, "at_ms": 1764930000123, "pcm": "AQD/fw=="}
    status, body, _ = client.request("GET", f"/local/presentation/audio?session_id={sid}")
    assert (status, body) == (200, {"recording": False})
    for bad in (
        {"at_ms": 0}, {"at_ms": True}, {"at_ms": "soon"}, {"pcm": "AQ=="}, {"pcm": "AQD"},
        {"pcm": 5}, {"pcm": ""}, {"pcm": "A" * 128_004}, {"session_id": "bad id"},
    ):  # fmt: skip
        status, body, _ = client.request("POST", "/local/presentation/audio", {**good, **bad})
        assert (status, body["error"]["code"]) == (400, "bad_request"), (bad, body)
    status, body, _ = client.request("POST", "/local/presentation/audio", good)
    assert (status, body["error"]["code"]) == (409, "not_presenting")
