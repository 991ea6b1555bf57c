"""Which browser features the agent app's pages may use (suite/agent/app/web_permissions.py,
call_gate.py)."""

from __future__ import annotations

import os

import pytest

from suite.agent.app.call_gate import MAX_CALLS, CallGate
from suite.agent.app.web_permissions import allows, origin_of

LOCAL = "http://127.0.0.1:40123"


def test_origin_of_normalises_case_and_default_ports():
    assert origin_of("HTTP://LocalHost/ui/x.html#token=1") == "http://localhost:80"
    assert origin_of("https://relay.example") == "https://relay.example:443"
    assert origin_of("about:blank") == ""
    assert origin_of("") == ""


def test_the_apps_own_pages_get_the_clipboard():
    """Copy invitation works in every window of the app, in a call or not."""
    assert allows(f"{LOCAL}/ui/agent/index.html#token=s", "ClipboardReadWrite", LOCAL)
    assert allows(f"{LOCAL}/ui/agent/index.html", "ClipboardReadWrite", LOCAL, in_call=True)


@pytest.mark.parametrize(
    "feature", ["MediaAudioCapture", "MediaVideoCapture", "MediaAudioVideoCapture"]
)
def test_camera_and_microphone_only_in_a_call(feature):
    """CH9: the app's own page gets the camera and microphone only while its support is in a
    call the agent started or accepted; outside a call the same page is refused."""
    page = f"{LOCAL}/ui/agent/index.html#session=abc"
    assert not allows(page, feature, LOCAL)
    assert allows(page, feature, LOCAL, in_call=True)


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
    """A foreign origin gets nothing, even while a call is on."""
    assert not allows(page, "ClipboardReadWrite", LOCAL)
    assert not allows(page, "MediaVideoCapture", LOCAL, in_call=True)
    assert not allows(page, "MediaAudioCapture", LOCAL, in_call=True)


@pytest.mark.parametrize(
    "feature", ["Geolocation", "Notifications", "MouseLock", "LocalFontsAccess"]
)
def test_features_the_app_does_not_use_are_refused_even_locally(feature):
    assert not allows(f"{LOCAL}/ui/agent/index.html", feature, LOCAL, in_call=True)


def test_no_local_url_grants_nothing():
    assert not allows("about:blank", "ClipboardReadWrite", "")


def test_the_call_gate_opens_per_support_and_closes_at_the_end():
    """A call started in one support opens the gate for that support only; ending it (or an
    end for a support without a call) leaves it closed."""
    gate = CallGate()
    assert not gate.active("s1") and not gate.active(None)
    gate.start("s1", now=1.0)
    gate.start("s1", now=2.0)  # a second start (accept after start) changes nothing
    assert gate.active("s1") and not gate.active("s2")
    assert gate.sessions() == ["s1"]
    assert gate.end("s1") is True
    assert gate.end("s1") is False
    assert not gate.active("s1") and gate.sessions() == []


def test_the_call_gate_is_bounded():
    """A page gone wild cannot grow the gate without bound."""
    gate = CallGate()
    for index in range(MAX_CALLS):
        gate.start(f"s{index}", now=0.0)
    with pytest.raises(ValueError, match=f"at most {MAX_CALLS}"):
        gate.start("one-more", now=0.0)
    gate.start("s0", now=1.0)  # one already in a call is no new entry


def test_pywebviews_switch_that_grants_every_page_the_camera_is_kept_out(monkeypatch):
    """pywebview's Qt backend appends --use-fake-ui-for-media-stream (every page of every
    origin gets the camera and microphone unasked) as it makes each window: the flag is dropped
    there and from the environment; the other flags go through."""
    from types import SimpleNamespace

    from suite.agent.app import web_permissions

    appended: list[tuple[str, tuple[str, ...]]] = []
    qt = SimpleNamespace(
        environ_append=lambda key, *values, sep=" ": appended.append((key, values))
    )
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --use-fake-ui-for-media-stream")
    web_permissions._keep_media_requests_asked(qt)
    assert web_permissions.FAKE_MEDIA_UI_FLAG == "--use-fake-ui-for-media-stream"
    assert os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] == "--no-sandbox"
    qt.environ_append(
        "QTWEBENGINE_CHROMIUM_FLAGS",
        "--use-fake-ui-for-media-stream",
        "--enable-features=AutoplayIgnoreWebAudio",
    )
    qt.environ_append("QTWEBENGINE_CHROMIUM_FLAGS", "--use-fake-ui-for-media-stream")
    assert appended == [
        ("QTWEBENGINE_CHROMIUM_FLAGS", ("--enable-features=AutoplayIgnoreWebAudio",))
    ]
