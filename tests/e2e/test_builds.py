"""The built programs, end to end: the one-file relay and the one-time viewer (D4, D1).

Once per run, ``scripts/build relay viewer`` builds both (reused while the sources do not
change: tests/support/builds.py). Then, as a customer would:

- the built relay runs from a temporary folder, with no source tree on its path, ``cwd``
  elsewhere and an empty PYTHONPATH; agents are created with its own ``users`` command;
- an agent presents (the presenter from source) a known picture painted on one Xvfb display;
- the customer asks the relay for the viewer and downloads it over HTTP; it runs on a second
  Xvfb display, joins with no typing, and shows the agent's screen (an mss grab of its window
  holds the picture);
- the agent ends the session: the viewer closes, its file and its ``_MEI*`` folder are gone;
- a copy of the same download, run afterwards, says the session is over and removes itself.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from suite.agent.app.presentations import TOKEN_ENV
from tests.support.api import Api
from tests.support.builds import Builds, prepare_built_relay, relay_and_viewer
from tests.support.chat_client import end_session_as_agent
from tests.support.relay import REPO_ROOT, RelayProcess
from tests.support.viewer_presenter import start_session
from tests.support.viewer_program import (
    AGENT_SCREEN,
    VIEWER_SCREEN,
    find_quadrants,
    quadrant_picture,
    run_viewer,
    window_names,
)
from tests.support.waiting import wait_until
from tests.support.x11_paint import RootPainter, add_local_xauth_entry
from tests.support.xvfb import Xvfb

pytestmark = [pytest.mark.e2e, pytest.mark.builds, pytest.mark.timeout(900)]

WAIT_S = 30.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="session")
def builds() -> Builds:
    if not sys.platform.startswith("linux"):
        pytest.skip("the build tests run the Linux viewer (GTK/WebKitGTK)")
    if shutil.which("Xvfb") is None:
        reason = "Xvfb is not installed (scripts/test installs it)"
        print(reason)
        pytest.skip(reason)
    built = relay_and_viewer()
    sizes = ", ".join(
        f"{entry['program']} {entry['bytes'] / 1e6:.1f} MB in {entry['build_ms'] / 1000:.1f} s"
        for entry in built.report
    )
    how = "reused" if built.reused else f"built in {built.elapsed_s:.1f} s including set-up"
    if built.waited_s is not None:
        how += f", waited {built.waited_s:.1f} s for the build scripts/test started ahead"
    print(f"\nbuilds ({how}): {sizes}")
    return built


@pytest.fixture
def built_relay(builds: Builds, tmp_path: Path) -> Iterator[RelayProcess]:
    """The one-file relay copied into an empty folder and run from there, without Python's
    paths: it must carry everything, the UI files included."""
    relay = prepare_built_relay(builds.relay, builds.viewer, tmp_path)
    relay.start()
    yield relay
    relay.stop()
    if relay.process is not None and relay.process.returncode not in (0, None):
        print(relay.log_tail())


@pytest.fixture
def agent_display() -> Iterator[Xvfb]:
    with Xvfb(*AGENT_SCREEN) as xvfb:
        add_local_xauth_entry(xvfb)  # python-xlib (the presenter's pointer) needs it
        yield xvfb


@pytest.fixture
def viewer_display() -> Iterator[Xvfb]:
    with Xvfb(*VIEWER_SCREEN) as xvfb:
        yield xvfb


def wait_for(condition, what: str, timeout_s: float = WAIT_S, logs: tuple[Path, ...] = ()):
    """wait_until() that shows the programs' logs when it times out."""
    return wait_until(
        condition, what, timeout_s, 0.1,
        detail=lambda: "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')}" for p in logs
        ),
    )  # fmt: skip


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_one_time_viewer_from_the_built_relay_shows_the_screen_and_removes_itself(
    builds: Builds, built_relay: RelayProcess, agent_display: Xvfb, viewer_display: Xvfb,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Download → run → joins with no typing → shows the agent's screen → session ends → the
    file and its unpack folder are gone; a copy run later says the session is over."""
    monkeypatch.setenv("XAUTHORITY", str(viewer_display.xauthority))  # mss grabs the viewer's
    painter = RootPainter(agent_display.env())
    try:
        painter.paint(quadrant_picture())
    finally:
        painter.close()
    session = start_session(built_relay)
    api = Api(built_relay.url)

    # The customer asks for the viewer and downloads it, as the relay page's link does.
    status, issued, _ = api.request(
        "POST", "/api/viewer/tickets", json={"platform": "linux"}, token=session.customer_token
    )
    assert status == 201, issued
    downloads = tmp_path / "customer" / "Downloads"
    downloads.mkdir(parents=True)
    viewer = downloads / issued["file_name"]
    with _OPENER.open(built_relay.url + issued["download_url"], timeout=30) as response:
        viewer.write_bytes(response.read())
    assert viewer.stat().st_size > builds.viewer.stat().st_size  # the build plus its ticket
    viewer.chmod(viewer.stat().st_mode | stat.S_IXUSR)  # browsers drop the executable bit
    copy = downloads / "RemoteSales-Viewer (copy)"
    shutil.copy2(viewer, copy)
    unpack = tmp_path / "customer" / "tmp"
    unpack.mkdir()

    presenter_log = tmp_path / "presenter.log"
    env = agent_display.env()
    env[TOKEN_ENV] = session.agent_token
    with presenter_log.open("w") as out:
        presenter = subprocess.Popen(
            [sys.executable, "-m", "suite.agent.presenter", "--relay", session.ws_url,
             f"--session={session.session_id}"],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    viewer_log = tmp_path / "viewer.log"
    try:
        launched = time.monotonic()
        launched_wall = time.time()
        process = run_viewer(viewer, viewer_display, unpack, viewer_log)
        logs = (viewer_log, presenter_log)
        wait_for(lambda: list(unpack.glob("_MEI*")), "the viewer to unpack", logs=logs)
        found = wait_for(lambda: find_quadrants(viewer_display), "the agent's screen", logs=logs)
        shown_s = time.monotonic() - launched
        assert "RemoteSales · Agent's screen" in window_names(viewer_display)
        painted = re.search(r"first frame painted at ([0-9.]+)", viewer_log.read_text())
        painted_s = float(painted.group(1)) - launched_wall if painted else float("nan")
        print(
            f"\nviewer: {viewer.stat().st_size / 1e6:.1f} MB; launch to first painted frame "
            f"{painted_s:.2f} s (the page's report), to the picture in an mss grab "
            f"{shown_s:.2f} s; quadrant pixels {found['pixels']}"
        )

        # The agent ends the session: the viewer closes by itself and leaves nothing.
        end_session_as_agent(built_relay.ws_url, session.session_id, session.agent_token)
        assert process.wait(timeout=WAIT_S) == 0, viewer_log.read_text()
    finally:
        stop(presenter)
        if "process" in locals():
            stop(process)
    assert not viewer.exists(), viewer_log.read_text()
    assert list(unpack.iterdir()) == [], "the unpack folder was left behind"
    text = viewer_log.read_text()
    assert "session over (ended)" in text and f"removed {viewer}" in text

    # A copy of the same download, run afterwards: says the session is over, then goes too.
    copy_log = tmp_path / "copy.log"
    again = run_viewer(copy, viewer_display, unpack, copy_log)
    try:
        wait_for(
            lambda: "This session is over." in copy_log.read_text(), "the copy's message",
            logs=(copy_log,),
        )  # fmt: skip
        wait_for(
            lambda: "RemoteSales · Session over" in window_names(viewer_display),
            "the session-over window", logs=(copy_log,),
        )  # fmt: skip
    finally:
        stop(again)  # the customer closes the message (SIGTERM takes the same path as exit)
    assert not copy.exists(), copy_log.read_text()
    assert list(unpack.iterdir()) == [], "the copy's unpack folder was left behind"
    assert os.listdir(downloads) == []


def test_the_built_relay_builds_history_exports_with_itself(built_relay: RelayProcess):
    """The one-file relay runs its export child as itself (export-history) and streams a
    workbook holding the ended session."""
    session = start_session(built_relay)
    end_session_as_agent(built_relay.ws_url, session.session_id, session.agent_token)
    request = urllib.request.Request(
        built_relay.url + "/api/history/export.xlsx?lang=ko",
        headers={"Authorization": f"Bearer {session.agent_token}"},
    )
    with _OPENER.open(request, timeout=120) as response:
        assert response.status == 200
        data = response.read()
    sessions, transcripts = load_workbook(io.BytesIO(data)).worksheets
    assert (sessions.title, transcripts.title) == ("상담 내역", "대화 내용")
    assert sessions["E2"].value == "Kim Customer" and sessions["K2"].value == session.session_id
