"""The one-time viewer's call fallback (CH9): its WebKitGTK has no WebRTC, so Answer opens the
customer's page in the system browser, in the same seat, and the call is held there.

The real program is probed under Xvfb (from source, with the system's WebKitGTK): its page
reports that the engine cannot call. The flow itself runs the same viewer page in Chromium
without RTCPeerConnection and with a recording stand-in for the program's bridge
(tests/support/viewer_presenter.py), through the real relay; the link it hands the bridge is
then opened in a real Chromium page, as the system browser would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.calls import REMOTE_VIDEO_PLAYS, wait_call, wait_stats
from tests.support.ui_pages import agent_login, by_id, customer_join, open_page, start_support
from tests.support.viewer_presenter import PresentationSession, open_native
from tests.support.waiting import wait_until
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
CONNECTED = (
    "call.phase === 'active' && "
    "Object.values(call.links).some((s) => s === 'connected' || s === 'relaying')"
)
SYSTEM_GI = "/usr/lib/python3/dist-packages"  # Debian's PyGObject (python3-gi) for WebKitGTK


def test_answer_in_the_viewer_without_webrtc_holds_the_call_in_the_browser(browser, relay):
    """The viewer without WebRTC offers "Answer in browser"; it asks the relay for a one-time
    link into its seat and hands it to the program; that link opens the customer's page in
    the browser signed in to the same seat, which answers the call: media flows both ways and
    the viewer says the call is elsewhere. The link works once."""
    agent = open_page(browser, relay.url + "/agent")
    agent_login(agent)
    code = start_support(agent)
    customer = open_page(browser, relay.url + "/")
    customer_join(customer, code)
    seat = json.loads(customer.evaluate("sessionStorage.getItem('rs.customer.session')"))
    session = PresentationSession(relay.url, seat["session_id"], "", seat["customer_token"])
    viewer = open_native(browser, session, webrtc=False)
    pages = [agent, customer, viewer]
    try:
        viewer.wait_for_function("() => window.__rsViewer.stats().status === 'online'")
        by_id(agent, "call-start-video").click()
        expect(by_id(viewer, "call-prompt")).to_be_visible(timeout=10_000)
        expect(by_id(viewer, "call-accept")).to_have_text("Answer in browser")
        by_id(viewer, "call-accept").click()
        wait_until(
            lambda: [
                c for c in viewer.evaluate("window.__bridgeCalls") if c[0] == "open_call_in_browser"
            ],
            "the bridge to be asked to open the browser",
        )
        calls = viewer.evaluate("window.__bridgeCalls")
        [url] = [c[1] for c in calls if c[0] == "open_call_in_browser"]
        assert url.startswith(relay.url + "/#handoff=") and "&call=" in url
        expect(by_id(viewer, "call-message")).to_contain_text("opening in your web browser")

        # The system browser opens the link: the same seat, and it answers the call there.
        handed = open_page(browser, url)
        pages.append(handed)
        assert "handoff" not in handed.url  # the ticket left the address at once
        for page in (agent, handed):
            wait_call(page, CONNECTED)
            page.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=15_000)
        flowing = "b.framesDecoded > a.framesDecoded && b.audioPackets > a.audioPackets"
        wait_stats(handed, "agent", flowing)
        state = handed.evaluate("JSON.parse(sessionStorage.getItem('rs.customer.session'))")
        assert state["customer_token"] == seat["customer_token"]  # the viewer's seat
        wait_call(viewer, "call.phase === 'elsewhere'")

        again = open_page(browser, url)  # used once
        pages.append(again)
        expect(by_id(again, "join-error")).to_contain_text("already used")
    finally:
        for page in pages:
            page.context.close()


def test_the_viewer_programs_engine_has_no_webrtc_and_says_so(tmp_path: Path, relay_factory):
    """The real one-time viewer program (from source, the system's WebKitGTK under Xvfb) joins
    with a downloaded ticket and its page reports that the engine has no RTCPeerConnection, so
    its calls open in the system browser."""
    probe = subprocess.run(
        [sys.executable, "-c", "import gi"],
        env={**os.environ, "PYTHONPATH": SYSTEM_GI},
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("Debian's python3-gi is not installed")
    builds = tmp_path / "builds"
    builds.mkdir()
    (builds / "remotesales-viewer-linux").write_bytes(b"a stand-in build: the source runs")
    relay = relay_factory("--viewer-dir", str(builds))
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    joined = api.join(code=support["code"], name="Kim Customer")
    status, issued, _ = api.request(
        "POST", "/api/viewer/tickets", json={"platform": "linux"}, token=joined["customer_token"]
    )
    assert status == 201, issued
    downloaded = tmp_path / "RemoteSales-Viewer"
    with urllib.request.urlopen(relay.url + issued["download_url"], timeout=30) as response:
        downloaded.write_bytes(response.read())
    display = Xvfb().start()
    log = tmp_path / "viewer.log"
    try:
        env = display.env(
            {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{SYSTEM_GI}",
                "HOME": str(tmp_path),
                "RS_VIEWER_GUI": "gtk",
                "LANG": "C.UTF-8",
            }
        )
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "suite.viewer", "--ticket-from", str(downloaded)],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_until(
                lambda: "calls open in the system browser" in log.read_text(errors="replace"),
                "the viewer's engine report",
                timeout_s=60,
            )
            assert "no RTCPeerConnection" in log.read_text(errors="replace")
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        display.stop()
