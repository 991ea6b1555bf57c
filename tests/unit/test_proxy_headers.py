"""Client addresses and base URLs from a WSGI environ, with and without trusted proxies."""

from __future__ import annotations

import pytest

from relay_server.web.proxy_headers import base_url, client_ip

PEER = {"REMOTE_ADDR": "127.0.0.9", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8470"}


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        (None, 1, "127.0.0.9"),
        ("198.51.0.7, 127.0.0.4", 0, "127.0.0.9"),  # not trusted: the peer
        ("198.51.0.7, 127.0.0.4", 1, "127.0.0.4"),  # the entry the proxy appended
        ("198.51.0.7,127.0.0.4", 1, "127.0.0.4"),
        ("127.0.0.4", 1, "127.0.0.4"),
        ("198.51.0.7, 127.0.0.4, 10.0.0.1", 2, "127.0.0.4"),
        ("127.0.0.4", 3, "127.0.0.4"),  # fewer entries than hops: the left-most
        ("198.51.0.7, not-an-ip", 1, "127.0.0.9"),
        ("198.51.0.7, 2001:db8::1", 1, "2001:db8::1"),
        (" , ", 1, "127.0.0.9"),
    ],
)
def test_client_ip_is_the_entry_the_trusted_proxy_appended(forwarded_for, hops, expected):
    """The N-th X-Forwarded-For entry from the right for N trusted hops; the peer otherwise."""
    environ = dict(PEER)
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    assert client_ip(environ, hops) == expected


@pytest.mark.parametrize(
    ("headers", "hops", "expected"),
    [
        ({"HTTP_HOST": "relay.example:8470"}, 0, "http://relay.example:8470"),
        ({"HTTP_HOST": "[::1]:8470"}, 0, "http://[::1]:8470"),
        (
            {"HTTP_HOST": "h:1", "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "x.y"},
            0,
            "http://h:1",
        ),
        (
            {"HTTP_HOST": "h:1", "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "x.y"},
            1,
            "https://x.y",
        ),
        ({"HTTP_HOST": "h:1", "HTTP_X_FORWARDED_PROTO": "javascript"}, 1, "http://h:1"),
        ({"HTTP_HOST": "h:1", "HTTP_X_FORWARDED_HOST": "alert(1)//"}, 1, "http://h:1"),
        ({"HTTP_HOST": "javascript:alert(1)//"}, 0, "http://127.0.0.1:8470"),
        ({"HTTP_HOST": "a b"}, 1, "http://127.0.0.1:8470"),
        ({"HTTP_HOST": "evil.example\n"}, 0, "http://127.0.0.1:8470"),
        ({"HTTP_HOST": "h", "wsgi.url_scheme": "javascript"}, 0, "http://h"),
        ({"HTTP_HOST": "h", "wsgi.url_scheme": "https"}, 0, "https://h"),
    ],
)
def test_base_url_is_http_or_https_with_a_plain_host(headers, hops, expected):
    """X-Forwarded-Proto/Host count only from trusted proxies; never a bad scheme or host."""
    assert base_url({**PEER, **headers}, hops) == expected
