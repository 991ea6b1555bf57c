"""The desktop app's lock and text size routes (A8) against a real relay: /local/desk,
/local/lock, /local/unlock, and the text size sent to every window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.settings import LocalSettings
from tests.support.local_api import SECRET, LocalClient, RecordingDesktop
from tests.support.relay import ALICE


@pytest.fixture
def local(tmp_path, relay) -> Iterator[tuple[LocalClient, RecordingDesktop]]:
    settings = LocalSettings(tmp_path / "config")
    settings.update({"relay_url": relay.url})
    desktop = RecordingDesktop()
    server = LocalServer()
    server.start(guard(build_app(settings, desktop), SECRET, server.port))
    yield LocalClient(server.port), desktop
    server.stop()
    settings.close()


def _told(desktop: RecordingDesktop) -> list[str]:
    return [m["kind"] for kind, m in desktop.calls if kind == "broadcast"]


def test_lock_unlock_and_text_size(local) -> None:
    """Signed out there is nothing to lock (409); signed in, a lock and an unlock reach every
    window; a missing password is 400, a wrong one 403 wrong_password with the tries left (the
    windows stay covered), the right one unlocks; a text size change is told to every window;
    logging out while locked uncovers."""
    client, desktop = local
    assert client.request("POST", "/local/lock")[:2][0] == 409
    status, body, _ = client.request(
        "POST", "/local/login", {"username": ALICE.username, "password": ALICE.password}
    )
    assert status == 200, body
    assert client.request("GET", "/local/desk")[1] == {
        "locked": False, "lock_after_s": 0.0, "text_size": 100,
    }  # fmt: skip

    assert client.request("PUT", "/local/settings", {"text_size": 130})[0] == 200
    assert ("broadcast", {"kind": "text_size", "percent": 130, "from": "app"}) in desktop.calls
    assert client.request("PUT", "/local/settings", {"text_size": 120})[0] == 400
    status, body, _ = client.request("PUT", "/local/settings", {"idle_lock_minutes": 15})
    assert status == 200 and client.request("GET", "/local/desk")[1]["lock_after_s"] == 900.0

    assert client.request("POST", "/local/lock")[:2] == (200, {"locked": True})
    assert client.request("GET", "/local/desk")[1]["locked"] is True
    assert client.request("POST", "/local/unlock", {})[0] == 400
    status, body, _ = client.request("POST", "/local/unlock", {"password": "wrong-guess"})
    assert (status, body["error"]["code"], body["error"]["tries_left"]) == (
        403, "wrong_password", 4,
    )  # fmt: skip
    assert client.request("GET", "/local/desk")[1]["locked"] is True
    status, body, _ = client.request("POST", "/local/unlock", {"password": ALICE.password})
    assert (status, body) == (200, {"locked": False})
    assert _told(desktop)[-1] == "unlocked"

    assert client.request("POST", "/local/lock")[0] == 200
    assert client.request("POST", "/local/logout")[0] == 204
    assert client.request("GET", "/local/desk")[1]["locked"] is False
