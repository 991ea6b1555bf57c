"""Every Python connection of the agent follows the network settings (A7): a real TLS relay
whose certificate a throwaway CA signed, a real tinyproxy with Basic auth that allows CONNECT
to the relay's port only, a PAC file served on loopback."""

from __future__ import annotations

import json
import socket
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from websockets.sync.client import connect

from suite.agent.app.errors import RelayClientError
from suite.agent.app.relay_client import RelayClient
from suite.agent.app.relay_tunnel import RelayTunnel
from suite.agent.presenter.channel import ScreenChannel
from suite.files.client import FileTransferClient
from suite.net.connect import POLICY_ENV, Connector
from suite.net.policy import NetworkPolicy
from suite.net.serial_tls import SerialTLSSocket
from suite.protocol import PROTOCOL_VERSION
from tests.support import proxy_fixtures
from tests.support.network import closed_port_url
from tests.support.relay import ALICE, RelayProcess
from tests.support.tinyproxy import TinyProxy
from tests.support.wpad_network import PROXY as WPAD_PROXY
from tests.support.wpad_network import WPAD_HOST, private_network_missing, run_in_private_network

# The proxy's module fixtures (tests/support/proxy_fixtures.py).
certificates = proxy_fixtures.certificates
tls_relay = proxy_fixtures.tls_relay
proxy = proxy_fixtures.proxy


@pytest.fixture(scope="module")
def pac_url(proxy) -> Iterator[str]:
    """A PAC file on loopback: the proxy for 127.0.0.1 (the relay), DIRECT for others."""
    script = (
        "function FindProxyForURL(url, host) {\n"
        f'  if (host == "127.0.0.1") return "PROXY 127.0.0.1:{proxy.port}; DIRECT";\n'
        '  return "DIRECT";\n}\n'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
            self.send_header("Content-Length", str(len(script)))
            self.end_headers()
            self.wfile.write(script)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/proxy.pac"
    server.shutdown()
    server.server_close()


def manual(proxy: TinyProxy, ca: Path | None, password: str | None = None) -> NetworkPolicy:
    return NetworkPolicy(
        verify_tls=True, ca_file=str(ca or ""), proxy_mode="manual", proxy_host=proxy.host,
        proxy_port=proxy.port, proxy_username=proxy.username,
        proxy_password=proxy.password if password is None else password,
    )  # fmt: skip


def refusal(call) -> RelayClientError:
    with pytest.raises(RelayClientError) as caught:
        call()
    return caught.value


def test_login_and_api_through_the_proxy(tls_relay, proxy, certificates):
    """Health, login and an API call go through tinyproxy's CONNECT with Basic auth."""
    before = len(proxy.connects())
    client = RelayClient(tls_relay.url, policy=manual(proxy, certificates.ca_cert))
    assert client.check_health()["protocol_version"] == PROTOCOL_VERSION
    token = client.login(ALICE.username, ALICE.password)["token"]
    assert client.call("GET", "/api/me", token=token)["agent"]["username"] == "alice"
    target = f"127.0.0.1:{tls_relay.port}"
    assert proxy.connects()[before:] == [target] * 3


def test_wrong_proxy_password_and_unreachable_proxy_have_their_own_causes(
    tls_relay, proxy, certificates
):
    """A refused proxy login and a proxy nobody answers for are told apart."""
    wrong = RelayClient(tls_relay.url, policy=manual(proxy, certificates.ca_cert, "wrong"))
    error = refusal(wrong.check_health)
    assert (error.code, error.details["cause"]) == ("unreachable", "proxy_auth"), error.message
    assert "user name or password" in error.message
    gone_port = int(closed_port_url().rsplit(":", 1)[1])
    policy = NetworkPolicy(proxy_mode="manual", proxy_host="127.0.0.1", proxy_port=gone_port)
    error = refusal(RelayClient(tls_relay.url, policy=policy).check_health)
    assert error.details["cause"] == "proxy_unreachable", error.message
    assert f"127.0.0.1:{gone_port}" in error.message


def test_the_proxy_allows_only_the_relays_port(tls_relay, proxy, certificates):
    """CONNECT to another port is refused by the proxy, and said so (proxy_refused)."""
    other = closed_port_url().replace("http://", "https://")
    error = refusal(RelayClient(other, policy=manual(proxy, certificates.ca_cert)).check_health)
    assert error.details["cause"] == "proxy_refused", error.message
    assert "HTTP 403" in error.message


def test_self_signed_relay_refused_until_its_ca_file_is_set(tls_relay, certificates, tmp_path):
    """Without the CA file the relay is untrusted (the message says to set it); with the CA
    file it is accepted; a certificate for another name is a host-name problem; a CA file that
    is not PEM is named."""
    error = refusal(
        RelayClient(tls_relay.url, policy=NetworkPolicy(proxy_mode="none")).check_health
    )
    assert (error.code, error.details["cause"]) == ("tls_failed", "untrusted")
    assert "not trusted" in error.message and "CA file" in error.message
    trusted = NetworkPolicy(ca_file=str(certificates.ca_cert), proxy_mode="none")
    assert RelayClient(tls_relay.url, policy=trusted).check_health()["status"] == "ok"
    by_name = tls_relay.url.replace("127.0.0.1", "localhost")
    error = refusal(RelayClient(by_name, policy=trusted).check_health)
    assert error.details["cause"] == "hostname", error.message
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate")
    bad = NetworkPolicy(ca_file=str(junk), proxy_mode="none")
    error = refusal(RelayClient(tls_relay.url, policy=bad).check_health)
    assert error.details["cause"] == "ca_file", error.message


def test_pac_picks_the_proxy_for_the_relay_and_direct_for_others(
    tls_relay, proxy, certificates, pac_url
):
    """The PAC file (evaluated by pypac) sends the relay's host through the proxy, others
    DIRECT; a login through it reaches the relay via CONNECT."""
    policy = NetworkPolicy(
        ca_file=str(certificates.ca_cert), proxy_mode="pac", pac_url=pac_url,
        proxy_username=proxy.username, proxy_password=proxy.password,
    )  # fmt: skip
    connector = Connector(policy)
    [route, fallback] = connector.routes(tls_relay.url + "/health")
    assert (route.host, route.port, fallback) == ("127.0.0.1", proxy.port, None)
    assert connector.routes("https://intranet.example/") == [None]
    before = len(proxy.connects())
    assert RelayClient(tls_relay.url, policy=policy).login(ALICE.username, ALICE.password)
    assert len(proxy.connects()) == before + 1


def test_unreadable_pac_is_pac_failed(tls_relay):
    """A PAC address where nothing answers is named as the PAC's problem."""
    policy = NetworkPolicy(proxy_mode="pac", pac_url=closed_port_url() + "/proxy.pac")
    error = refusal(RelayClient(tls_relay.url, policy=policy).check_health)
    assert error.details["cause"] == "pac_failed", error.message


def _session(relay: RelayProcess, policy: NetworkPolicy) -> tuple[str, str, str]:
    client = RelayClient(relay.url, policy=policy)
    token = client.login(ALICE.username, ALICE.password)["token"]
    support = client.call("POST", "/api/supports", token=token)["support"]
    joined = client.call("POST", "/api/join", {"code": support["code"], "name": "Kim"})
    return token, support["session_id"], joined["customer_token"]


def test_file_and_websockets_through_the_proxy(tls_relay, proxy, certificates, tmp_path):
    """A file offer and upload, the windows' websocket tunnel and the presenter's socket
    policy all go through the proxy: hello is welcomed and every connection is a CONNECT."""
    policy = manual(proxy, certificates.ca_cert)
    token, session_id, _customer = _session(tls_relay, policy)
    before = len(proxy.connects())
    source = tmp_path / "offer.pdf"
    source.write_bytes(b"%PDF-1.4 brochure " * 1000)
    files = FileTransferClient(tls_relay.url, f"Bearer {token}", connector=Connector(policy))
    transfer = files.send(session_id, source)
    assert transfer["uploaded"] == source.stat().st_size
    assert len(proxy.connects()) > before

    # The agent window's websocket: the page talks plain ws to the app's loopback tunnel.
    tunnel = RelayTunnel(lambda: Connector(policy))
    try:
        page_url = tunnel.target(tls_relay.ws_url)
        assert page_url.startswith("ws://127.0.0.1:")
        before = len(proxy.connects())
        with connect(page_url, open_timeout=10) as ws:
            ws.send(json.dumps({
                "type": "hello", "protocol_version": PROTOCOL_VERSION, "role": "agent",
                "session_id": session_id, "token": token, "last_seen_id": 0,
            }))  # fmt: skip
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        assert proxy.connects()[before:] == [f"127.0.0.1:{tls_relay.port}"]
        # Without the per-launch key in the path, nothing is carried.
        with socket.create_connection(("127.0.0.1", tunnel.port)) as raw:
            raw.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.1 404")
    finally:
        tunnel.close()
    # The presenter child reads the same policy from its environment.
    assert NetworkPolicy.from_json(policy.to_json()) == policy
    assert POLICY_ENV == "REMOTESALES_NETWORK"


def test_the_presenters_screen_socket_is_welcomed_over_tls_through_the_proxy(
    tls_relay, proxy, certificates, monkeypatch
):
    """The presenter's wss:// screen socket (policy from $REMOTESALES_NETWORK) goes through the
    proxy and is welcomed, on a SerialTLSSocket (suite/net/serial_tls.py)."""
    policy = manual(proxy, certificates.ca_cert)
    token, session_id, _customer = _session(tls_relay, policy)
    monkeypatch.setenv(POLICY_ENV, policy.to_json())
    before = len(proxy.connects())
    channel = ScreenChannel(tls_relay.url, token, session_id)
    try:
        # websockets' current API: no "connect() must be used as a context manager" warning.
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            assert channel.open()["type"] == "welcome"
        assert channel._ws is not None and isinstance(channel._ws.socket, SerialTLSSocket)
    finally:
        channel.close()
    assert proxy.connects()[before:] == [f"127.0.0.1:{tls_relay.port}"]


def test_the_one_time_viewer_redeems_through_the_connector(
    tls_relay, proxy, certificates, monkeypatch
):
    """The viewer's ticket redemption goes through the same connector (here the policy of
    $REMOTESALES_NETWORK, a manual proxy with the CA file): the relay answers the ticket."""
    from suite.viewer.redeem import TicketRefusedByRelay, redeem

    monkeypatch.setenv(POLICY_ENV, manual(proxy, certificates.ca_cert).to_json())
    before = len(proxy.connects())
    with pytest.raises(TicketRefusedByRelay):
        redeem(tls_relay.url, "not-a-real-ticket")
    assert proxy.connects()[before:] == [f"127.0.0.1:{tls_relay.port}"]


def test_wpad_by_dns_finds_the_pac_file(tmp_path):
    """With the proxy on automatic and no PAC address, the agent finds the PAC file by WPAD
    (http://wpad.<its domain>/wpad.dat, in a private network where that name resolves) and
    sends the relay through the proxy it names, other hosts DIRECT; with no wpad.dat there
    the failure is pac_failed, naming WPAD."""
    reason = private_network_missing()
    if reason:
        pytest.skip(reason)
    found = run_in_private_network(tmp_path)
    assert found.get("routes") == {"relay": [list(WPAD_PROXY)], "other": [None]}, found
    assert found["asked"][0] == f"{WPAD_HOST}/wpad.dat"
    missing = run_in_private_network(tmp_path, serve_pac=False)
    assert missing["error"]["cause"] == "pac_failed", missing
    assert "WPAD" in missing["error"]["message"]
