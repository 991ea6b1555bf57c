"""The presenter streams a real X screen through a real relay to a customer's screen socket.

Each test starts its own Xvfb, paints known pixels on it, runs ``python -m
suite.agent.presenter`` against the ``relay`` fixture, and composites the region frames a
customer screen socket receives, the way a viewer paints them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import numpy as np
import pytest

from suite.screen.frames import FrameFlags
from suite.screen.regions import Rect
from tests.support.conversation import Conversation, start_conversation
from tests.support.relay import REPO_ROOT
from tests.support.screen_content import SCREEN_H, SCREEN_W, document, rgb_of
from tests.support.screen_socket import Viewer
from tests.support.x11_paint import RootPainter, add_local_xauth_entry
from tests.support.xvfb import Xvfb

WAIT_S = 15.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture
def display() -> Iterator[Xvfb]:
    with Xvfb(SCREEN_W, SCREEN_H) as xvfb:
        add_local_xauth_entry(xvfb)
        yield xvfb


@pytest.fixture
def session(relay) -> Iterator[tuple[Conversation, str]]:
    conversation = start_conversation(relay)
    yield conversation, relay.url.replace("http", "ws", 1) + "/ws"
    conversation.agent.close()
    conversation.customer.close()


@pytest.fixture
def run_presenter(display, session) -> Iterator:
    """Start the presenter CLI on the test display; stopped (SIGTERM) after the test."""
    processes: list[subprocess.Popen] = []
    conversation, ws_url = session

    def start(*extra: str) -> subprocess.Popen:
        command = [
            sys.executable, "-m", "suite.agent.presenter", "--relay", ws_url,
            f"--token={conversation.token}", f"--session={conversation.session_id}", *extra,
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=display.env(), stdin=subprocess.PIPE, text=True
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def viewer(session) -> Iterator[Viewer]:
    conversation, ws_url = session
    viewer = Viewer(conversation, ws_url, (SCREEN_W, SCREEN_H))
    yield viewer
    viewer.close()


def test_lossless_mode_is_pixel_exact_and_sends_only_changes(display, run_presenter, viewer):
    """With --lossless the first picture is exact, and a small change arrives as a small PNG."""
    painter = RootPainter(display.env())
    truth = document(1)
    painter.paint(truth)
    run_presenter("--lossless", "--no-cursor")
    viewer.wait_for(lambda v: np.array_equal(v.canvas, rgb_of(truth)), what="an exact screen")
    first = viewer.received[0].frame
    assert first.key and first.lossless and (first.w, first.h) == (SCREEN_W, SCREEN_H)

    count = len(viewer.received)
    changed = truth.copy()
    changed[200:230, 100:180] = (0, 0, 255, 255)
    painter.paint(changed[200:230, 100:180], 100, 200)
    viewer.wait_for(lambda v: np.array_equal(v.canvas, rgb_of(changed)), what="the change")
    later = [r.frame for r in viewer.received[count:]]
    assert all(f.lossless and not f.key for f in later)
    assert all(f.w * f.h <= 128 * 128 for f in later), [(f.x, f.y, f.w, f.h) for f in later]
    painter.close()


def test_lossy_picture_is_close_then_refreshed_to_pixel_exact(display, run_presenter, viewer):
    """The first picture: photo-like tiles as JPEG within 30 dB of the screen, text tiles
    exact; then the lossless refresh makes all of it exact."""
    painter = RootPainter(display.env())
    truth = document(2)
    painter.paint(truth)
    run_presenter("--quality", "70", "--no-cursor")
    viewer.wait_for(lambda v: v.received, what="the first frame")
    first = viewer.received[0]
    viewer.wait_for(lambda v: any(not r.frame.lossless for r in v.received), what="a JPEG")
    picture = np.zeros_like(rgb_of(truth))
    for received in viewer.received:
        f = received.frame
        if f.capture_ms == first.frame.capture_ms:
            area = (slice(f.y, f.y + f.h), slice(f.x, f.x + f.w))
            picture[area] = received.pixels
            if f.lossless:
                assert np.array_equal(received.pixels, rgb_of(truth)[area])
    assert psnr(picture, rgb_of(truth)) >= 30.0
    viewer.wait_for(lambda v: v.exact.all(), what="the lossless refresh")
    assert np.array_equal(viewer.canvas, rgb_of(truth))
    took = viewer.received[-1].at - first.at
    assert took < 1.0, f"the refresh took {took:.2f} s"
    painter.close()


def test_colour_depth_reduction_keeps_top_bits(display, run_presenter, viewer):
    """--colors 256 sends RGB 3-3-2: every received value has its low bits cleared."""
    RootPainter(display.env()).paint(document(3))
    run_presenter("--lossless", "--colors", "256", "--no-cursor")
    viewer.wait_for(lambda v: v.received, what="the first frame")
    pixels = viewer.received[0].pixels
    assert not (pixels[..., 0] & 0x1F).any() and not (pixels[..., 1] & 0x1F).any()
    assert not (pixels[..., 2] & 0x3F).any()
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) <= 256


TK_TEXT_CURSOR = (
    "import tkinter; root = tkinter.Tk(); root.geometry('300x200+500+300');"
    "root.configure(cursor='xterm'); root.after(300, lambda: print('ready', flush=True));"
    "root.mainloop()"
)


def test_cursor_messages_follow_the_pointer_and_its_shape(display, run_presenter, viewer):
    """The pointer's position and CSS shape arrive as cursor messages on the viewer's socket."""
    env = display.env()
    RootPainter(env).paint(document(4))
    tk = subprocess.Popen([sys.executable, "-c", TK_TEXT_CURSOR], env=env,
                          stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert tk.stdout.readline().strip() == "ready"
        run_presenter("--lossless")
        viewer.wait_for(lambda v: v.received, what="the first frame")
        subprocess.run(["xdotool", "mousemove", "321", "123"], env=env, check=True)
        viewer.wait_for(
            lambda v: any(t.get("type") == "cursor" and (t["x"], t["y"]) == (321, 123)
                          for t in v.texts),
            what="a cursor message at 321,123",
        )  # fmt: skip
        subprocess.run(["xdotool", "mousemove", "600", "400"], env=env, check=True)
        viewer.wait_for(
            lambda v: any(t.get("type") == "cursor" and (t["x"], t["y"]) == (600, 400)
                          and t.get("shape") == "text" and t["visible"] for t in v.texts),
            what="a text cursor over the Tk window",
        )  # fmt: skip
    finally:
        tk.kill()
        tk.wait()


def test_pause_keeps_the_picture_and_resume_sends_what_changed(display, run_presenter, viewer):
    """Paused: viewers are told and get no frames; resumed: the change arrives."""
    painter = RootPainter(display.env())
    truth = document(6)
    painter.paint(truth)
    presenter = run_presenter("--lossless", "--no-cursor", "--control-stdin")
    viewer.wait_for(lambda v: np.array_equal(v.canvas, rgb_of(truth)), what="the screen")
    presenter.stdin.write("pause\n")
    presenter.stdin.flush()
    viewer.wait_for(
        lambda v: any(t.get("type") == "screen_state" and t["state"] == "paused"
                      for t in v.texts),
        what="screen_state paused",
    )  # fmt: skip
    count = len(viewer.received)
    changed = truth.copy()
    changed[10:50, 10:50] = (0, 255, 0, 255)
    painter.paint(changed[10:50, 10:50], 10, 10)
    with pytest.raises(AssertionError, match="timed out"):
        viewer.wait_for(lambda v: len(v.received) > count, timeout=1.0, what="no frame")
    presenter.stdin.write("resume\n")
    presenter.stdin.flush()
    viewer.wait_for(lambda v: np.array_equal(v.canvas, rgb_of(changed)), what="the change")
    presenter.stdin.write("stop\n")
    presenter.stdin.flush()
    assert presenter.wait(timeout=10) == 0
    viewer.wait_for(
        lambda v: any(t.get("type") == "screen_state" and t["state"] == "stopped"
                      for t in v.texts),
        what="screen_state stopped",
    )  # fmt: skip


def test_a_replaced_presenter_exits_and_does_not_come_back(display, run_presenter, viewer):
    """A second presenter for the session replaces the first (4005), which then exits."""
    RootPainter(display.env()).paint(document(7))
    first = run_presenter("--no-cursor")
    viewer.wait_for(lambda v: v.received, what="the first presenter's frame")
    run_presenter("--no-cursor")
    assert first.wait(timeout=10) == 1


TK_WINDOWS = textwrap.dedent("""
    import sys, tkinter
    root = tkinter.Tk()
    root.withdraw()
    def window(title, geometry, colour, text):
        top = tkinter.Toplevel(root)
        top.title(title)
        top.geometry(geometry)
        canvas = tkinter.Canvas(top, bg=colour, highlightthickness=0)
        canvas.pack(fill="both", expand=True)
        canvas.create_text(150, 100, text=text, fill="white")
        return top
    shared = window("RS shared window", "300x200+100+100", "#2040c0", "shared")
    window("RS secret window", "300x200+520+260", "#ff0000", "secret")
    def commands():
        line = sys.stdin.readline().split()
        if line and line[0] == "move":
            shared.geometry(f"+{line[1]}+{line[2]}")
            root.after(300, lambda: print("moved", flush=True))
        root.after(50, commands)
    root.after(500, lambda: print("ready", flush=True))
    import threading
    def reader():
        for raw in sys.stdin:
            parts = raw.split()
            root.after(0, lambda p=parts: (shared.geometry(f"+{p[1]}+{p[2]}"), shared.update(),
                                           print("moved", flush=True)))
    threading.Thread(target=reader, daemon=True).start()
    root.mainloop()
""")


def test_window_sharing_masks_everything_else_and_follows_moves(display, run_presenter, viewer):
    """Only the shared window's pixels are ever sent, also after the window moves."""
    env = display.env()
    background = np.full((SCREEN_H, SCREEN_W, 4), 200, np.uint8)
    RootPainter(env).paint(background)
    tk = subprocess.Popen(
        [sys.executable, "-c", TK_WINDOWS], env=env, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert tk.stdout.readline().strip() == "ready"
        listed = subprocess.run(
            [sys.executable, "-m", "suite.agent.presenter", "--list-windows"], env=env,
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        windows = {line.split("\t")[2]: line.split("\t") for line in listed.splitlines()}
        assert {"RS shared window", "RS secret window"} <= windows.keys(), listed
        shared_id, geometry, _ = windows["RS shared window"]
        assert geometry == "300x200+100+100"
        run_presenter("--lossless", "--no-cursor", "--windows", shared_id)
        before = Rect(100, 100, 300, 200)
        inside = (slice(110, 140), slice(110, 200))  # away from the window's text
        viewer.wait_for(lambda v: (v.canvas[inside] == (0x20, 0x40, 0xC0)).all(),
                        what="the shared window")  # fmt: skip
        tk.stdin.write("move 400 50\n")
        tk.stdin.flush()
        assert tk.stdout.readline().strip() == "moved"
        after = Rect(400, 50, 300, 200)
        viewer.wait_for(
            lambda v: (v.canvas[60:90, 410:500] == (0x20, 0x40, 0xC0)).all()
            and not v.canvas[before.y:before.bottom, before.x:400].any(),
            what="the window at its new place and black where it was",
        )  # fmt: skip
        for received in viewer.received:
            f = received.frame
            visible = np.zeros((SCREEN_H, SCREEN_W), bool)
            for rect in (before, after):
                visible[rect.slices()] = True
            region = visible[f.y : f.y + f.h, f.x : f.x + f.w]
            outside = received.pixels[~region]
            assert not outside.any(), f"frame {f.seq} shows pixels outside the shared window"
            red = (received.pixels[..., 0] > 200) & (received.pixels[..., 1] < 50)
            assert not red.any(), f"frame {f.seq} shows the secret window"
    finally:
        tk.kill()
        tk.wait()


def test_frames_carry_the_capture_time(display, run_presenter, viewer):
    """capture_ms is the wall clock at capture: earlier than receipt, within a second."""
    RootPainter(display.env()).paint(document(5))
    started_ms = time.time() * 1000
    run_presenter("--no-cursor")
    viewer.wait_for(lambda v: v.received, what="the first frame")
    frame = viewer.received[0].frame
    assert started_ms <= frame.capture_ms <= time.time() * 1000
    assert frame.seq == 1 and not (frame.flags & ~(FrameFlags.KEY | FrameFlags.LOSSLESS))


def _stats(path, newer_than_ms: float) -> dict:
    """The presenter's counters from its stats file, written after ``newer_than_ms``."""
    import json  # noqa: PLC0415

    def fresh() -> dict | None:
        try:
            stats = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return stats if stats["time_ms"] > newer_than_ms else None

    deadline = time.monotonic() + WAIT_S
    while (stats := fresh()) is None:
        assert time.monotonic() < deadline, "the presenter wrote no stats"
        time.sleep(0.05)
    return stats


def test_still_screen_costs_nothing_and_every_later_change_arrives(
    display, run_presenter, viewer, tmp_path
):
    """With X11 DAMAGE a still screen makes the presenter capture nothing, send 0 bytes and use
    under 2 % of a core (its own os.times), and each later scripted paint still lands exact."""
    painter = RootPainter(display.env())
    truth = document(5)
    painter.paint(truth)
    stats_file = tmp_path / "stats.json"
    run_presenter(f"--stats-file={stats_file}")  # with the cursor, as an agent presents
    viewer.wait_for(lambda v: v.exact.all(), what="the refreshed first picture")
    assert np.array_equal(viewer.canvas, rgb_of(truth))
    received = len(viewer.received)
    before = _stats(stats_file, time.time() * 1000)
    time.sleep(3.0)  # the measured idle window, not a synchronisation
    after = _stats(stats_file, time.time() * 1000)
    seconds = (after["time_ms"] - before["time_ms"]) / 1000
    cpu_pct = 100 * (after["cpu_s"] - before["cpu_s"]) / seconds
    assert after["bytes"] == before["bytes"] and len(viewer.received) == received
    assert after["captures"] - before["captures"] <= 1, "the still screen was polled"
    assert cpu_pct < 2.0, f"idle presenter used {cpu_pct:.1f} % of a core"

    screen = truth.copy()
    rng = np.random.default_rng(5)
    for index in range(6):  # small changes all over the screen, edges and corners included
        x = int(rng.integers(0, SCREEN_W - 40)) if index < 4 else SCREEN_W - 7
        y = int(rng.integers(0, SCREEN_H - 20)) if index < 4 else SCREEN_H - 3 * index
        patch = np.zeros((3 if index >= 4 else 20, 7 if index >= 4 else 40, 4), np.uint8)
        patch[..., index % 3] = 200
        patch[..., 3] = 255
        h, w = patch.shape[:2]
        screen[y : y + h, x : x + w] = patch
        painter.paint(patch, x, y)
        viewer.wait_for(lambda v: np.array_equal(v.canvas, rgb_of(screen)), what=f"change {index}")
    painter.close()
