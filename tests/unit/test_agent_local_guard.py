"""The local API's guard: Host, Origin and token checks (docs/agent-local-api.md, Security)."""

from __future__ import annotations

import pytest

from suite.agent.app.local_guard import check_request

SECRET = "s3cret-token"
PORT = 40123
OWN = f"127.0.0.1:{PORT}"

CASES = [
    # (path, host, origin, token, expected status or None)
    ("/local/settings", OWN, None, SECRET, None),
    ("/local/settings", f"localhost:{PORT}", f"http://localhost:{PORT}", SECRET, None),
    ("/local/settings", OWN, f"http://{OWN}", SECRET, None),
    ("/local/settings", OWN, None, None, 401),
    ("/local/settings", OWN, None, "wrong", 401),
    ("/local/settings", OWN, None, SECRET + "x", 401),
    ("/local/settings", OWN, None, "", 401),
    # DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends its own Host.
    ("/local/settings", f"evil.example:{PORT}", None, SECRET, 403),
    ("/ui/agent/index.html", f"evil.example:{PORT}", None, None, 403),
    ("/local/settings", "127.0.0.1", None, SECRET, 403),
    ("/local/settings", "127.0.0.1:1", None, SECRET, 403),
    ("/local/settings", None, None, SECRET, 403),
    # Another page (or another port on this machine) calling with a guessed token.
    ("/local/settings", OWN, "http://evil.example", SECRET, 403),
    ("/local/settings", OWN, "http://127.0.0.1:1", SECRET, 403),
    ("/local/settings", OWN, f"https://{OWN}", SECRET, 403),
    ("/local/settings", OWN, "null", SECRET, 403),
    # Static files need no token, but the same Host and Origin.
    ("/ui/agent/index.html", OWN, None, None, None),
    ("/ui/agent/main.js", OWN, f"http://{OWN}", None, None),
    ("/ui/agent/main.js", OWN, "http://evil.example", None, 403),
    # Everything that is not /ui/ needs the token, even unknown paths.
    ("/", OWN, None, None, 401),
    ("/uix/../local/settings", OWN, None, None, 401),
]


@pytest.mark.parametrize(("path", "host", "origin", "token", "expected"), CASES)
def test_check_request(path, host, origin, token, expected):
    """Only this launch's own pages, with the secret, get past the guard."""
    refusal = check_request(path, host, origin, token, SECRET, PORT)
    assert (refusal.status if refusal else None) == expected
