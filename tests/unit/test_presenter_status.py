"""The presenter child's status lines to the agent app (suite/agent/presenter/status.py)."""

from __future__ import annotations

import io
import subprocess

from suite.agent.app.presentations import _Child
from suite.agent.presenter.status import StatusWriter, parse_status


def _child() -> _Child:
    return _Child(process=subprocess.Popen(["true"]), monitor=1)


def test_written_events_read_back_one_per_line():
    stream = io.StringIO()
    report = StatusWriter(stream)
    report("control", mouse=True, keyboard=False)
    report("drawing_tool", tool=None)
    lines = stream.getvalue().splitlines()
    assert [parse_status(line) for line in lines] == [
        {"event": "control", "mouse": True, "keyboard": False},
        {"event": "drawing_tool", "tool": None},
    ]


def test_a_closed_stream_is_not_an_error():
    stream = io.StringIO()
    stream.close()
    StatusWriter(stream)("presenting", monitor=1, width=10, height=10)  # the app went away


def test_other_stdout_lines_are_not_status():
    for line in ["", "hello", "[1, 2]", '{"event": "unknown"}', '{"type": "control"}', "{"]:
        assert parse_status(line) is None


def test_the_app_follows_the_childs_state():
    child = _child()
    assert not child.started.is_set()
    child.apply({"event": "presenting", "monitor": 2, "width": 800, "height": 600})
    assert child.started.is_set()
    child.apply({"event": "drawing_tool", "tool": "arrow"})
    assert child.drawing_tool == "arrow"
    child.apply({"event": "drawing_tool", "tool": None})  # Escape on the overlay
    assert child.drawing_tool is None
    child.apply({"event": "control", "mouse": True, "keyboard": "yes"})
    assert child.control == {"mouse": True, "keyboard": False}  # only a real true counts
    child.apply({"event": "overlay_unavailable", "reason": "no Shape extension"})
    assert child.overlay_error == "no Shape extension"
    child.process.wait()
