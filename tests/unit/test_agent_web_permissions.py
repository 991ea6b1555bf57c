"""Which browser features the agent app's pages may use (suite/agent/app/web_permissions.py)."""

from __future__ import annotations

import pytest

from suite.agent.app.web_permissions import allows, origin_of

LOCAL = "http://127.0.0.1:40123"


def test_origin_of_normalises_case_and_default_ports():
    assert origin_of("HTTP://LocalHost/ui/x.html#token=1") == "http://localhost:80"
    assert origin_of("https://relay.example") == "https://relay.example:443"
    assert origin_of("about:blank") == ""
    assert origin_of("") == ""


@pytest.mark.parametrize(
    "feature", ["ClipboardReadWrite", "MediaAudioCapture", "MediaVideoCapture"]
)
def test_the_apps_own_pages_get_the_clipboard_camera_and_microphone(feature):
    assert allows(f"{LOCAL}/ui/agent/index.html#token=s", feature, LOCAL)


@pytest.mark.parametrize(
    "page",
    [
        "http://127.0.0.1:40124/",  # another local port
        "http://localhost:40123/",  # same port, another host name (DNS rebinding)
        "https://127.0.0.1:40123/",
        "https://relay.example/",
        "about:blank",
    ],
)
def test_other_origins_get_nothing(page):
    assert not allows(page, "ClipboardReadWrite", LOCAL)
    assert not allows(page, "MediaVideoCapture", LOCAL)


@pytest.mark.parametrize(
    "feature", ["Geolocation", "Notifications", "MouseLock", "LocalFontsAccess"]
)
def test_features_the_app_does_not_use_are_refused_even_locally(feature):
    assert not allows(f"{LOCAL}/ui/agent/index.html", feature, LOCAL)


def test_no_local_url_grants_nothing():
    assert not allows("about:blank", "ClipboardReadWrite", "")
