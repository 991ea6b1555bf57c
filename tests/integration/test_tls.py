"""The relay over TLS: https for the API and pages, wss for the chat."""

from __future__ import annotations

import json
import ssl
import urllib.request

import pytest
from websockets.sync.client import connect

from suite.protocol import Role
from tests.support.chat_client import hello_frame


def test_https_and_wss(relay_factory, certificate):
    """The API answers over https and the chat socket is welcomed over wss, with the relay's
    certificate trusted; a client that does not trust it is refused."""
    cert, key = certificate
    relay = relay_factory("--tls-cert", str(cert), "--tls-key", str(key))
    assert relay.url.startswith("https://") and relay.ws_url.startswith("wss://")
    trusted = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen(relay.url + "/health", context=trusted, timeout=10) as response:
        assert json.load(response)["status"] == "ok"
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted = ssl.create_default_context()
        urllib.request.urlopen(relay.url + "/health", context=untrusted, timeout=10)

    # Log in and open a support over https, then say hello over wss.
    def post(path, body, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode()
        url = relay.url + path
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)
        with urllib.request.urlopen(request, context=trusted, timeout=10) as response:
            return json.load(response)

    token = post("/api/login", {"username": "alice", "password": "alice-password-1"})["token"]
    support = post("/api/supports", {}, token)["support"]
    assert support["relay_url"].startswith("https://")
    with connect(relay.ws_url, ssl=trusted) as ws:
        ws.send(hello_frame(Role.AGENT, support["session_id"], token))
        assert json.loads(ws.recv(timeout=5))["type"] == "welcome"
