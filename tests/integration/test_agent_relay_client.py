"""The agent's relay client against real relays, a closed port, TLS and impostor servers."""

from __future__ import annotations

import json

import pytest

from suite.agent.app.errors import RelayClientError
from suite.agent.app.relay_client import RelayClient
from suite.protocol import PROTOCOL_VERSION
from tests.support.network import closed_port_url
from tests.support.relay import ALICE


def refusal(call) -> RelayClientError:
    with pytest.raises(RelayClientError) as caught:
        call()
    return caught.value


def test_health_login_logout(relay):
    """A real relay passes the health check, logs alice in, and revokes her token."""
    client = RelayClient(relay.url)
    assert client.check_health()["protocol_version"] == PROTOCOL_VERSION
    answer = client.login(ALICE.username, ALICE.password)
    assert answer["agent"]["name"] == ALICE.name
    assert client.call("GET", "/api/me", token=answer["token"])["agent"]["username"] == "alice"
    client.logout(answer["token"])
    error = refusal(lambda: client.call("GET", "/api/me", token=answer["token"]))
    assert (error.code, error.status) == ("unauthorized", 401)


def test_wrong_password_is_the_relays_bad_credentials(relay):
    """A wrong password comes back as the relay's own code and status."""
    error = refusal(lambda: RelayClient(relay.url).login("alice", "wrong"))
    assert (error.code, error.status) == ("bad_credentials", 401)


def test_closed_port_is_unreachable():
    """Nothing listening: unreachable, with a message that says to check the address."""
    error = refusal(RelayClient(closed_port_url()).check_health)
    assert error.code == "unreachable"
    assert "connection was refused" in error.message and "Check the address" in error.message


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/html", b"<html>a router's page</html>"),
        (404, "text/html", b"not found"),
        (200, "application/json", b'{"status": "ok"}'),
        (500, "application/json", b'{"error": {"code": "boom", "message": "x"}}'),
    ],
)
def test_something_else_answering_is_not_a_relay(impostor, status, content_type, body):
    """A web server that is not a relay is named as such, not as a login failure."""
    error = refusal(RelayClient(impostor(status, content_type, body)).check_health)
    assert error.code == "not_a_relay"


@pytest.mark.parametrize("version", [PROTOCOL_VERSION + 1, PROTOCOL_VERSION - 1])
def test_other_protocol_version_is_version_mismatch(impostor, version):
    """A relay with another protocol version is refused before logging in, saying who to update."""
    body = json.dumps({"status": "ok", "protocol_version": version}).encode()
    error = refusal(RelayClient(impostor(200, "application/json", body)).check_health)
    assert error.code == "version_mismatch"
    assert (error.details["relay_version"], error.details["app_version"]) == (
        version,
        PROTOCOL_VERSION,
    )
    assert ("update this app" if version > PROTOCOL_VERSION else "administrator") in error.message


def test_self_signed_certificate_is_tls_failed(relay_factory, certificate):
    """An untrusted certificate is tls_failed naming why; verify_tls=False accepts it."""
    cert, key = certificate
    relay = relay_factory("--tls-cert", str(cert), "--tls-key", str(key))
    error = refusal(RelayClient(relay.url).check_health)
    assert error.code == "tls_failed"
    assert "self-signed certificate" in error.message, error.message
    unverified = RelayClient(relay.url, verify_tls=False)
    assert unverified.check_health()["status"] == "ok"
    assert unverified.login(ALICE.username, ALICE.password)["token"]
    # Plain http to the TLS port gets no HTTP answer.
    plain = RelayClient(relay.url.replace("https://", "http://"))
    assert refusal(plain.check_health).code in ("unreachable", "not_a_relay")
