"""A call from a network where only an HTTP proxy goes out (CH9, A7): the customer's Chromium
reaches the relay's TURN server over TLS through the proxy's CONNECT, as a company network
with "only 443 through the proxy" allows.

The TURN server is a real coturn with ``tls-listening-port`` (a deployment puts it on 443; here
a free port stands for it); the proxy is a real tinyproxy that allows CONNECT to that port
only. The customer's browser uses the proxy (``--proxy-server``, with loopback not bypassed)
and may not send UDP itself (``disable_non_proxied_udp``, the enterprise policy of such
networks), so its only way out is TURN over TLS inside the tunnel.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.support.calls import coturn_missing, free_port, run_coturn, wait_call, wait_stats
from tests.support.certificates import make_certificates
from tests.support.tinyproxy import start_tinyproxy
from tests.support.ui_pages import agent_login, by_id, customer_join, open_page, start_support
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CONNECTED = (
    "call.phase === 'active' && "
    "Object.values(call.links).some((s) => s === 'connected' || s === 'relaying')"
)


@pytest.mark.engine  # coturn with TLS, tinyproxy, two Chromiums: ~15 s
def test_a_call_through_an_http_proxy_uses_turn_over_tls(browser, relay_factory, tmp_path):
    """The customer behind the proxy gets a relay candidate over TLS through tinyproxy's
    CONNECT to the TURN port (its log shows the tunnel), the call connects with the customer's
    selected pair relayed, and media flows both ways."""
    from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH

    missing = coturn_missing()
    if missing:
        pytest.skip(missing)
    certificates = make_certificates(tmp_path / "certs")
    tls_port = free_port()
    tls = (tls_port, certificates.server_cert, certificates.server_key)
    with run_coturn(tmp_path, tls=tls) as turn:
        proxy = start_tinyproxy(tmp_path / "proxy", [tls_port], username="")
        try:
            relay = relay_factory(
                "--turn-url", f"turns:127.0.0.1:{tls_port}?transport=tcp",
                "--turn-secret", turn.secret, "--turn-ttl", "600",
            )  # fmt: skip
            relay_port = relay.url.rsplit(":", 1)[1]
            behind_proxy = [
                *CHROMIUM_ARGS,
                f"--proxy-server=http://127.0.0.1:{proxy.port}",
                # Chromium never proxies loopback unless told; the pages themselves come
                # straight from the relay (as an intranet relay would).
                f"--proxy-bypass-list=<-loopback>;127.0.0.1:{relay_port}",
                "--webrtc-ip-handling-policy=disable_non_proxied_udp",
                "--ignore-certificate-errors",  # the TURN server's test CA
            ]
            customer_browser = browser.browser_type.launch(
                executable_path=CHROMIUM_PATH, args=behind_proxy
            )
            try:
                agent = open_page(browser, relay.url + "/agent")
                customer = open_page(customer_browser, relay.url + "/")
                agent_login(agent)
                code = start_support(agent)
                customer_join(customer, code)
                by_id(agent, "call-start-audio").click()
                expect(by_id(customer, "call-prompt")).to_be_visible(timeout=15_000)
                by_id(customer, "call-accept").click()
                for page in (agent, customer):
                    wait_call(page, CONNECTED)
                seen = wait_stats(customer, "agent", "b.audioPackets > a.audioPackets")["b"]
                assert seen["localCandidateType"] == "relay", seen
                assert f"127.0.0.1:{tls_port}" in proxy.connects(), proxy.connects()
                print(f"call through the proxy: CONNECTs {proxy.connects()}")
            finally:
                customer_browser.close()
        finally:
            proxy.stop()


@pytest.mark.engine  # the real app, coturn with TLS, tinyproxy: ~20-50 s
@pytest.mark.xfail(
    strict=False,
    reason="the app's TURN over TLS through the proxy was seen in 6 of 9 runs; in the others "
    "the call connected over the app's own TCP candidate first and no CONNECT to the TURN "
    "port came within 10 s, and with the customer on TURN only the call never connected "
    "(not yet explained: the TURN certificate names 127.0.0.1, the URL the machine's other "
    "address)",
)
def test_the_desktop_apps_call_takes_turn_through_its_manual_proxy(
    relay_factory, tmp_path, browser, artifacts_dir
):
    """The agent app with a manual proxy in its network settings and no UDP of its own: its
    QtWebEngine reaches the TURN server over TLS through the proxy (tinyproxy's log holds the
    CONNECT to the TURN port) and the call with a Chromium customer connects."""

    from suite.agent.app.settings import LocalSettings
    from tests.support.agent_app import AgentApp
    from tests.support.desktop_flow import desktop_support_with_customer, driving
    from tests.support.x11_paint import add_local_xauth_entry
    from tests.support.xvfb import Xvfb

    missing = coturn_missing()
    if missing:
        pytest.skip(missing)
    certificates = make_certificates(tmp_path / "certs")
    tls_port = free_port()
    tls = (tls_port, certificates.server_cert, certificates.server_key)
    # Chromium (and Qt's proxy settings) never send loopback through a proxy: the TURN server
    # listens on this machine's other address too, and the relay names that one.
    other_ip = _other_address()
    if other_ip is None:
        pytest.skip("this machine has no address but loopback")
    with (
        run_coturn(tmp_path, tls=tls, also_ip=other_ip) as turn,
        Xvfb(1920, 1080) as xvfb,
    ):
        add_local_xauth_entry(xvfb)
        relay = relay_factory(
            "--turn-url", f"turns:{other_ip}:{tls_port}?transport=tcp",
            "--turn-secret", turn.secret, "--turn-ttl", "600",
        )  # fmt: skip
        relay_port = int(relay.url.rsplit(":", 1)[1])
        proxy = start_tinyproxy(tmp_path / "proxy", [relay_port, tls_port], username="")
        settings = LocalSettings(tmp_path / "config")
        manual = {"mode": "manual", "host": proxy.host, "port": proxy.port}
        settings.update({"network": {"proxy": manual}})
        settings.close()
        flags = " ".join((
            os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""),
            "--use-fake-device-for-media-stream",
            "--webrtc-ip-handling-policy=disable_non_proxied_udp",
            "--ignore-certificate-errors",  # the TURN server's test certificate
        )).strip()  # fmt: skip
        app = AgentApp(
            xvfb, tmp_path, relay_url=relay.url, extra_env={"QTWEBENGINE_CHROMIUM_FLAGS": flags}
        ).start()
        try:
            with driving(app, artifacts_dir, "desktop-call-proxy") as windows:
                support = desktop_support_with_customer(app, windows, browser, relay.url)
                chat, customer = support.chat, support.customer
                chat.wait_for("!document.querySelector('[data-testid=call-start-audio]').disabled")
                chat.click("[data-testid=call-start-audio]")
                expect(by_id(customer, "call-prompt")).to_be_visible(timeout=15_000)
                by_id(customer, "call-accept").click()
                wait_call(customer, CONNECTED)
                wait_until(
                    lambda: f"{other_ip}:{tls_port}" in proxy.connects(),
                    "the app's CONNECT to the TURN port in tinyproxy's log", 10,
                    detail=proxy.connects,
                )  # fmt: skip
                # Only the app has the proxy: the customer's Chromium goes to coturn directly.
                print(f"desktop call through the proxy: CONNECTs {proxy.connects()}")
        finally:
            proxy.stop()


def _other_address() -> str | None:
    """An IPv4 address of this machine other than loopback, or None."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: only the route is looked up
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
