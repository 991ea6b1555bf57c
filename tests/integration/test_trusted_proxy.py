"""Client addresses and invitation links behind (and without) a trusted proxy.

The test plays the proxy: it connects from one loopback address and writes X-Forwarded-*
headers as a client would (left-most entries) and as the proxy would (the appended one).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

WRONG_LOGINS_BEFORE_LOCK = 5


def _request(
    url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(
            method,
            path,
            body=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _wrong_login(url: str, forwarded_for: str) -> tuple[int, dict[str, Any]]:
    return _request(
        url,
        "POST",
        "/api/login",
        {"username": "alice", "password": "not-her-password"},
        {"X-Forwarded-For": forwarded_for},
    )


def test_spoofed_left_most_entries_still_count_for_the_appended_address(relay_factory):
    """A client that writes a new left-most X-Forwarded-For entry each time is still locked
    out under the address the proxy appended; another appended address is not."""
    relay = relay_factory("--trust-proxy")
    statuses = [
        _wrong_login(relay.url, f"198.51.0.{n}, 127.0.0.4")[0]
        for n in range(WRONG_LOGINS_BEFORE_LOCK + 1)
    ]
    assert statuses[: WRONG_LOGINS_BEFORE_LOCK - 1] == [401] * (WRONG_LOGINS_BEFORE_LOCK - 1)
    assert statuses[-1] == 429, statuses
    assert _wrong_login(relay.url, "127.0.0.4")[0] == 429
    assert _wrong_login(relay.url, "198.51.0.99, 127.0.0.5")[0] == 401


def test_hops_pick_the_entry_of_the_outermost_trusted_proxy(relay_factory):
    """With two trusted hops the client is the second entry from the right."""
    relay = relay_factory("--trust-proxy", "--trusted-proxy-hops", "2")
    statuses = [
        _wrong_login(relay.url, f"198.51.0.{n}, 127.0.0.4, 10.0.0.{n}")[0]
        for n in range(WRONG_LOGINS_BEFORE_LOCK + 1)
    ]
    assert statuses[-1] == 429, statuses


def _new_support(url: str, headers: dict[str, str]) -> dict[str, Any]:
    status, body = _request(
        url, "POST", "/api/login", {"username": "alice", "password": "alice-password-1"}
    )
    assert status == 200, body
    status, body = _request(
        url,
        "POST",
        "/api/supports",
        headers={"Authorization": f"Bearer {body['token']}", **headers},
    )
    assert status == 201, body
    return body["support"]


HOSTILE = {
    "X-Forwarded-Proto": "javascript",
    "X-Forwarded-Host": "alert(document.cookie)//evil.example",
}


def test_forwarded_headers_do_not_change_links_without_trust_proxy(relay):
    """Without --trust-proxy, X-Forwarded-Proto/Host never reach relay_url, join_url or the
    invitation."""
    for headers in (HOSTILE, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}):
        support = _new_support(relay.url, headers)
        assert support["relay_url"] == relay.url
        assert support["join_url"] == f"{relay.url}/?code={support['code']}"
        assert "evil" not in support["invitation_text"]
        assert "javascript" not in support["invitation_text"]


def test_forwarded_headers_under_trust_proxy_give_only_http_links(relay_factory):
    """Under --trust-proxy a proxy's https host is used, but a hostile scheme or host is not."""
    relay = relay_factory("--trust-proxy")
    support = _new_support(relay.url, HOSTILE)
    assert support["relay_url"] == relay.url
    assert support["join_url"].startswith(relay.url + "/?code=")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sales.example.com"}
    support = _new_support(relay.url, forwarded)
    assert support["relay_url"] == "https://sales.example.com"
    assert support["join_url"] == f"https://sales.example.com/?code={support['code']}"
