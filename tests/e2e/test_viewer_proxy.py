"""The one-time viewer's WebKitGTK page goes the way the network choice says (A7): through the
proxy of ``$REMOTESALES_NETWORK`` (a real tinyproxy with Basic auth that allows CONNECT only
to the relay's TLS port) and its CA file, not the system's proxy and store.

The program runs from source with Debian's PyGObject, as tests/e2e/test_viewer_whiteboard.py
runs it; the desktop's own proxy settings name nothing, so a page that ignored the choice would
go straight to the relay and tinyproxy would see none of its requests.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from suite.agent.app.relay_client import RelayClient
from suite.net.connect import POLICY_ENV
from suite.net.policy import NetworkPolicy
from tests.support.certificates import make_certificates
from tests.support.relay import ALICE
from tests.support.tinyproxy import start_tinyproxy, start_tls_relay
from tests.support.viewer_driver import ViewerDriver
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEM_GI = "/usr/lib/python3/dist-packages"  # Debian's PyGObject (python3-gi) for WebKitGTK
TITLE = "RemoteSales · Agent's screen"  # suite/viewer/app.py VIEWER_TITLE


@pytest.mark.engine  # the viewer program (WebKitGTK), a TLS relay and tinyproxy: ~20 s
def test_the_viewer_page_follows_the_network_choice(tmp_path: Path):
    """With a manual proxy (user and password) and a CA file as the viewer's network choice,
    its page and its websocket reach a TLS relay only through tinyproxy's CONNECT (its log
    holds the tunnels; the proxy login answered), the relay's certificate is trusted through
    the CA file, and the page goes online."""
    if subprocess.run([sys.executable, "-c", "import gi"], env={**os.environ,
                      "PYTHONPATH": SYSTEM_GI}, capture_output=True).returncode:  # fmt: skip
        pytest.skip("Debian's python3-gi is not installed")
    certificates = make_certificates(tmp_path / "certs")
    builds = tmp_path / "builds"
    builds.mkdir()
    (builds / "remotesales-viewer-linux").write_bytes(b"a stand-in build: the source runs")
    relay = start_tls_relay(tmp_path / "relay", certificates, ["--viewer-dir", str(builds)])
    proxy = start_tinyproxy(tmp_path / "proxy", [relay.port])
    display = Xvfb().start()
    process = None
    try:
        trusted = NetworkPolicy(ca_file=str(certificates.ca_cert), proxy_mode="none")
        client = RelayClient(relay.url, policy=trusted)
        token = client.login(ALICE.username, ALICE.password)["token"]
        support = client.call("POST", "/api/supports", token=token)["support"]
        joined = client.call("POST", "/api/join", {"code": support["code"], "name": "Kim"})
        issued = client.call(
            "POST", "/api/viewer/tickets", {"platform": "linux"}, token=joined["customer_token"]
        )
        ticket = tmp_path / "RemoteSales-Viewer"
        context = ssl.create_default_context(cafile=str(certificates.ca_cert))
        with urllib.request.urlopen(relay.url + issued["download_url"], context=context) as got:
            ticket.write_bytes(got.read())
        policy = NetworkPolicy(
            ca_file=str(certificates.ca_cert), proxy_mode="manual", proxy_host=proxy.host,
            proxy_port=proxy.port, proxy_username=proxy.username, proxy_password=proxy.password,
        )  # fmt: skip
        port_file = tmp_path / "driver-port"
        env = display.env({
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{SYSTEM_GI}",
            "HOME": str(tmp_path), "RS_VIEWER_GUI": "gtk", "LANG": "C.UTF-8",
            POLICY_ENV: policy.to_json(),
        })  # fmt: skip
        log = tmp_path / "viewer.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.viewer_driver", str(port_file), "--",
                 "--ticket-from", str(ticket)],
                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            driver = ViewerDriver(port_file, display, TITLE)
            driver.wait_for("window.__rsViewer?.stats().status === 'online'", "the page online")
        except BaseException:
            print(log.read_text(errors="replace"))
            raise
        seen = proxy.requests()
        # The ticket redemption, the page, its scripts and its websocket: all tunnels.
        assert len(seen) >= 3 and set(seen) == {f"CONNECT 127.0.0.1:{relay.port}"}, seen
        text = log.read_text(errors="replace")
        assert "chains to the CA file" in text and "connects through" in text, text
        print(f"viewer through the proxy: {len(seen)} tunnels")
        driver.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        display.stop()
        proxy.stop()
        relay.stop()
