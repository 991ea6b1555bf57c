"""Recording in the real desktop agent app under Xvfb (P9), end to end: the agent's "Record
presentations automatically" ticked in the app's settings, a presentation from the chat
window, a voice call during it, and the file in the app's recordings list.

The app runs with fake media devices (QTWEBENGINE_CHROMIUM_FLAGS
``--use-fake-device-for-media-stream``): its microphone beeps, and so does the Chromium
customer's, so the call's audio in the recording is not silence. The relay hands out a real
coturn's credentials, as in a deployment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from suite.agent.app.settings import LocalSettings
from tests.support.agent_app import AgentApp
from tests.support.api import Api
from tests.support.calls import run_coturn, wait_call
from tests.support.cdp import by_test_id
from tests.support.desktop_flow import (
    desktop_support_with_customer,
    driving,
    keep_shot,
    present_whole_screen,
    xauth_display,
)
from tests.support.recordings import (
    AUDIO_RATE,
    audio_samples,
    decodes_cleanly,
    ffprobe,
    loudness,
    set_recording_policy,
)
from tests.support.relay import ROOT
from tests.support.ui_pages import by_id
from tests.support.waiting import wait_until
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ["RS_SHOTS_DIR"]) if os.environ.get("RS_SHOTS_DIR") else None
FAKE_MEDIA = "--use-fake-device-for-media-stream"
CALL_ACTIVE_JS = "(() => { const c = window.__rsTest.call(); return c && c.phase === 'active'; })()"


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows (python-xlib may open it: the
    wallpaper and the window list, as on a desktop)."""
    yield from xauth_display()


def open_recordings(main) -> None:
    """The main window's Settings, its remote-support tab (the recording settings and list)."""
    main.click(by_test_id("settings-button"))
    main.click(by_test_id("tab-remote"))
    main.wait_for_selector(by_test_id("recording-settings"))


@pytest.mark.engine  # the app, a presenter, a call and VP8 + Opus: ~30 s
def test_a_recorded_presentation_with_a_call_in_the_real_app(
    xvfb, relay_factory, tmp_path, browser, artifacts_dir: Path
) -> None:
    """With "Record automatically" ticked in the app, a presentation from its chat window is
    recorded into the folder it names: ffprobe opens the file (VP8 video, Opus audio, the chat
    as subtitles), the call's audio is in it, as long as the video and loud while the call
    ran, and the app's recordings list shows it."""
    with run_coturn(tmp_path) as turn:
        relay = relay_factory(*turn.relay_args, agents=(ROOT,))
        set_recording_policy(
            relay.url, Api(relay.url).login(ROOT.username, ROOT.password), "agent_choice"
        )
        folder = tmp_path / "Recordings"
        settings = LocalSettings(tmp_path / "config")
        settings.update({"recording": {"automatic": False, "folder": str(folder)}})
        settings.close()
        flags = f"{os.environ.get('QTWEBENGINE_CHROMIUM_FLAGS', '')} {FAKE_MEDIA}".strip()
        app = AgentApp(
            xvfb, tmp_path, relay_url=relay.url,
            extra_env={"QTWEBENGINE_CHROMIUM_FLAGS": flags},
        ).start()  # fmt: skip
        with driving(app, artifacts_dir, "desktop-recording") as windows:
            support = desktop_support_with_customer(app, windows, browser, relay.url)
            main, chat, customer = support.main, support.chat, support.customer
            # The agent ticks "Record presentations automatically" (the settings' own toggle).
            open_recordings(main)
            main.click(by_test_id("record-automatic"))
            wait_until(
                lambda: LocalSettings(tmp_path / "config").get()["recording"]["automatic"],
                "the app to keep the setting", 10,
            )  # fmt: skip

            present_whole_screen(chat, customer, windows)
            chat.wait_for(f"!document.querySelector('{by_test_id('call-start-audio')}').disabled")
            chat.click(by_test_id("call-start-audio"))
            expect(by_id(customer, "call-prompt")).to_be_visible(timeout=15_000)
            by_id(customer, "call-accept").click()
            wait_call(customer, "call.phase === 'active'")
            chat.wait_for(CALL_ACTIVE_JS, timeout_s=20)
            # The chat window sends the call's sound to the recording: 3 s of it.
            chat.wait_for("window.__rsTest.callAudioChunks() >= 15", timeout_s=30)
            chat.click(by_test_id("call-hangup"))
            wait_call(customer, "call.phase === 'ended'")
            chat.click(by_test_id("present-stop"))
            # The chat says when the recording started and stopped (English, then Korean).
            chat.wait_for("document.body.textContent.includes('Recording stopped.')", 20)
            shots = [chat.screenshot(artifacts_dir / "desktop-chat-recording-notes-en.png")]
            chat.evaluate(
                "(() => { const s = document.getElementById('language-select'); s.value = 'ko';"
                " s.dispatchEvent(new Event('change')); })()"
            )
            chat.wait_for("document.body.textContent.includes('녹화를 마쳤습니다.')", 10)
            shots.append(chat.screenshot(artifacts_dir / "desktop-chat-recording-notes-ko.png"))

            wait_until(lambda: sorted(folder.glob("*.webm")), "the recording file", 20)
            path = sorted(folder.glob("*.webm"))[0]
            streams = {}

            def playable() -> bool:
                try:
                    probe = ffprobe(path)
                except AssertionError:
                    return False
                streams.update({s["codec_type"]: s for s in probe["streams"]})
                return "duration" in probe["format"]  # the header is finished

            wait_until(playable, "the recording to be finished", 20)
            assert path.name.startswith("Chris Park ")
            assert streams["video"]["codec_name"] == "vp8"
            assert streams["audio"]["codec_name"] == "opus"
            assert "subtitle" in streams
            assert decodes_cleanly(path) == ""
            duration = float(ffprobe(path)["format"]["duration"])
            samples = audio_samples(path)
            assert abs(len(samples) / AUDIO_RATE - duration) <= 0.05 * duration, (
                len(samples), duration,
            )  # fmt: skip
            # The fake microphones beep: the call's stretch is not silence.
            loudest = max(
                loudness(samples, start / 2, start / 2 + 0.5)
                for start in range(int(duration * 2))
            )  # fmt: skip
            assert loudest > 0.01, loudest
            print(f"desktop recording: {duration:.2f} s, audio {len(samples) / AUDIO_RATE:.2f} s, "
                  f"loudest 0.5 s {loudest:.3f} RMS, {path.stat().st_size} bytes")  # fmt: skip

            # The app's list shows the recording (in Korean now: the chat window chose it).
            # Wait for the new document: the old one's Settings button could be found, then
            # gone when clicked (a loaded run).
            main.evaluate("window.__beforeReload = true; location.reload()")
            main.wait_for("!window.__beforeReload && document.readyState === 'complete'")
            open_recordings(main)
            main.wait_for(
                f"document.querySelectorAll('{by_test_id('recording-row')}').length === 1"
            )
            assert "Chris Park" in main.text(by_test_id("recordings-list"))
            main.evaluate(
                f"document.querySelector('{by_test_id('recordings-list')}').scrollIntoView()"
            )
            shot = main.screenshot(artifacts_dir / "desktop-recordings-list-ko.png")
            if SHOTS is not None:
                for kept in (*shots, shot):
                    keep_shot(kept, SHOTS)
            windows.close()
            assert app.stop() == 0
