"""Recording presentations (P9): the real presenter CLI on a 1920x1080 Xvfb records into WebM.

The presenter records beside its stream (the admin's policy from the relay's ``welcome``,
the agent's ``--record``); a customer's viewer page keeps the stream flowing and shows the
"recorded" mark; a customer's chat socket sends the lines that must come back as subtitles.
ffprobe, ffmpeg and PyAV read the file as any player would.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.recordings import (
    RECORD_H,
    RECORD_W,
    decodes_cleanly,
    ffprobe,
    office_screen,
    set_recording_policy,
    started_at,
    subtitle_cues,
    video_frames,
)
from tests.support.relay import ROOT
from tests.support.ui_pages import screenshot
from tests.support.viewer_presenter import psnr, viewer_stats, wait_for_stats
from tests.support.waiting import wait_until
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

WAIT_S = 30.0
MIN_PSNR_DB = 35.0


SHARED_RELAY_AGENTS = (ROOT,)  # the admin who sets the recording policy


@pytest.fixture
def relay(shared_relay):
    """One relay for the module, its admin root, the recording policy set to the agent's choice
    before each test (the policy test leaves it at always); each test opens its own support
    (``session``), presenter and viewers."""
    root = Api(shared_relay.url).login(ROOT.username, ROOT.password)
    set_recording_policy(shared_relay.url, root, "agent_choice")
    return shared_relay


@pytest.fixture
def display() -> Iterator[Xvfb]:
    """A 1920x1080 Xvfb: recordings are made at the agent's real screen size."""
    with Xvfb(RECORD_W, RECORD_H) as xvfb:
        add_local_xauth_entry(xvfb)
        yield xvfb


def recording_file(folder: Path) -> Path:
    found: list[Path] = []

    def one() -> bool:
        found[:] = sorted(folder.glob("*.webm"))
        return len(found) == 1 and found[0].stat().st_size > 0

    wait_until(one, "the recording file appears", WAIT_S)
    return found[0]


def show(page, painter, frame: np.ndarray) -> None:
    """Paint ``frame`` and wait until the viewer painted a capture taken after it (the
    viewer's full-size canvas is too big to read back at every poll)."""
    before = viewer_stats(page)["framesPainted"]
    painter.paint(frame)
    wait_for_stats(page, lambda s: s["framesPainted"] > before, WAIT_S)


def finished_event(log: Path) -> dict:
    for line in log.read_text().splitlines():
        if '"event":"recording_finished"' in line:
            return json.loads(line[line.index("{") :])
    raise AssertionError(f"no recording_finished in {log}")


@pytest.mark.engine  # 1080p VP8, ffprobe and ffmpeg: ~17 s
def test_a_presentation_is_recorded_with_its_chat(
    display, painter, grab_screen, presenter, viewers, session, tmp_path
) -> None:
    """A presentation becomes a WebM file named after the customer: VP8, its duration within 5 %
    of the recording's wall time, every frame counted, a frame as sharp as the screen
    (PSNR >= 35 dB against an mss grab), and the chat lines as subtitles at their times;
    the customer's viewer shows the recorded mark while it runs."""
    folder = tmp_path / "Recordings"
    painter.paint(office_screen(1))
    page = viewers()
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    customer = ChatClient(session.ws_url, "customer", session.session_id, session.customer_token)
    assert customer.connect()["type"] == "welcome"
    process = presenter("--record", f"--recordings-dir={folder}", "--status-stdout")
    assert customer.recv_type("recording_state", WAIT_S)["recording"] is True
    expect(page.locator(".rs-recording-mark")).to_be_visible(timeout=WAIT_S * 1000)
    screenshot(page, "recording-viewer-mark")
    path = recording_file(folder)
    assert path.name.startswith("Kim Customer ") and path.suffix == ".webm"
    wait_for_stats(page, lambda s: s["framesPainted"] > 0, WAIT_S)

    lines = []
    for step, typed in enumerate(("Hello", "Hello, here is", "Hello, here is the offer")):
        show(page, painter, office_screen(2, typed))
        customer.chat(f"question {step}", f"c{step}")
        sent = customer.recv_type("chat_message", WAIT_S)
        lines.append((sent["sent_at"], f"Kim Customer: question {step}"))
    truth_at = time.time()
    truth = grab_screen()  # the screen now: the last typed line, kept until the stop
    wait_until(lambda: time.time() > truth_at + 1.5, "the still screen is recorded", WAIT_S)
    stopped_at = time.time()
    process.stdin.write("stop\n")
    process.stdin.flush()
    assert process.wait(timeout=WAIT_S) == 0
    expect(page.locator(".rs-recording-mark")).to_be_hidden(timeout=WAIT_S * 1000)
    assert customer.recv_type("recording_state", WAIT_S)["recording"] is False

    zero = started_at(path)
    probe = ffprobe(path)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    subtitles = next(s for s in probe["streams"] if s["codec_type"] == "subtitle")
    assert (video["codec_name"], video["width"], video["height"]) == ("vp8", RECORD_W, RECORD_H)
    assert subtitles["codec_name"] == "webvtt"
    wall_s = stopped_at - zero
    assert abs(float(probe["format"]["duration"]) - wall_s) <= 0.05 * wall_s, (probe, wall_s)
    log = next(tmp_path.glob("presenter-*.log"))
    assert int(video["nb_read_frames"]) == finished_event(log)["frames"] >= 4
    assert decodes_cleanly(path) == ""

    frames = video_frames(path)
    at = truth_at - zero
    shown = [image for seconds, image in frames if seconds <= at + 0.5][-1]
    assert psnr(shown, truth) >= MIN_PSNR_DB

    cues = subtitle_cues(path)
    assert [cue.text for cue in cues] == [text for _, text in lines]
    for cue, (sent_at, _) in zip(cues, lines, strict=True):
        assert abs(cue.start_s - (sent_at - zero)) <= 0.05, (cue, sent_at - zero)
    customer.close()


@pytest.mark.engine
def test_a_killed_presenter_leaves_a_playable_recording(
    display, painter, presenter, viewers, session, tmp_path
) -> None:
    """SIGKILL in the middle of a recording: ffprobe still reads a VP8 file and ffmpeg decodes
    every frame that reached the disk (all but the last second at most)."""
    folder = tmp_path / "Recordings"
    painter.paint(office_screen(3))
    page = viewers()
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    process = presenter("--record", f"--recordings-dir={folder}")
    path = recording_file(folder)
    for step in range(6):
        show(page, painter, office_screen(4, "typing " * (step + 1)))
    settled = time.time() + 2.5  # the recorder closes a cluster ~1 s after the last change
    wait_until(lambda: time.time() > settled, "a cluster is written", WAIT_S)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=WAIT_S)

    probe = ffprobe(path)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert video["codec_name"] == "vp8"
    assert int(video["nb_read_frames"]) >= 2  # 6 quick changes, at most 5 frames a second
    assert decodes_cleanly(path) == ""
    assert np.asarray(video_frames(path)[-1][1]).shape == (RECORD_H, RECORD_W, 3)


def finished_file(path: Path) -> bool:
    """Whether ``path`` is a finished recording (its header has the duration)."""
    try:
        return "duration" in ffprobe(path)["format"]
    except AssertionError:  # not readable yet
        return False


@pytest.mark.engine  # two recordings at 1080p: ~12 s
def test_the_admins_policy_change_stops_and_starts_a_running_recording(
    display, painter, presenter, viewers, session, relay, tmp_path
) -> None:
    """The admin turns recording off mid-presentation: the file is finished at once (playable,
    with its duration) and the customer's mark goes while the presentation goes on; turned
    to always, a new recording starts at once without a reconnect."""
    folder = tmp_path / "Recordings"
    root = Api(relay.url).login(ROOT.username, ROOT.password)
    painter.paint(office_screen(5))
    page = viewers()
    wait_for_stats(page, lambda s: s["state"] == "waiting" and s["status"] == "online")
    customer = ChatClient(session.ws_url, "customer", session.session_id, session.customer_token)
    assert customer.connect()["type"] == "welcome"
    process = presenter("--record", f"--recordings-dir={folder}")
    assert customer.recv_type("recording_state", WAIT_S)["recording"] is True
    first = recording_file(folder)
    show(page, painter, office_screen(6, "before the change"))

    set_recording_policy(relay.url, root, "off")
    assert customer.recv_type("recording_state", WAIT_S)["recording"] is False
    wait_until(lambda: finished_file(first), "the recording finished", WAIT_S)
    assert decodes_cleanly(first) == ""
    expect(page.locator(".rs-recording-mark")).to_be_hidden(timeout=WAIT_S * 1000)
    show(page, painter, office_screen(7, "not recorded"))  # the presentation goes on
    assert process.poll() is None

    set_recording_policy(relay.url, root, "always")
    assert customer.recv_type("recording_state", WAIT_S)["recording"] is True
    wait_until(lambda: len(list(folder.glob("*.webm"))) == 2, "a second recording", WAIT_S)
    show(page, painter, office_screen(8, "recorded again"))
    process.stdin.write("stop\n")
    process.stdin.flush()
    assert process.wait(timeout=WAIT_S) == 0
    second = next(path for path in folder.glob("*.webm") if path != first)
    assert finished_file(second) and decodes_cleanly(second) == ""
    customer.close()
