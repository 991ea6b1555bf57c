"""What a person types as the relay's address becomes the relay's HTTP and websocket URLs."""

from __future__ import annotations

import pytest

from suite.agent.app.errors import RelayClientError
from suite.agent.app.relay_client import parse_relay_address

GOOD = [
    ("relay.example.com", "https://relay.example.com", "wss://relay.example.com/ws"),
    ("  https://relay.example.com/ ", "https://relay.example.com", "wss://relay.example.com/ws"),
    ("http://127.0.0.1:8470", "http://127.0.0.1:8470", "ws://127.0.0.1:8470/ws"),
    ("https://example.com/remotesales/", "https://example.com/remotesales",
     "wss://example.com/remotesales/ws"),
    ("example.com:8443", "https://example.com:8443", "wss://example.com:8443/ws"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "base_url", "ws_url"), GOOD)
def test_parse_relay_address(typed, base_url, ws_url):
    """SSL is the default; the scheme decides ws or wss; a path prefix is kept."""
    address = parse_relay_address(typed)
    assert (address.base_url, address.ws_url) == (base_url, ws_url)


@pytest.mark.parametrize(
    "typed", ["", "   ", "ftp://relay.example.com", "https://", "https://x.com/?a=1", "x.com:port"]
)
def test_parse_relay_address_refuses(typed):
    """Addresses that cannot be a relay are refused with bad_relay_url."""
    with pytest.raises(RelayClientError) as caught:
        parse_relay_address(typed)
    assert caught.value.code == "bad_relay_url"
