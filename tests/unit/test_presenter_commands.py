"""The presenter's stdin commands: what the agent app writes is what the runner reads."""

from __future__ import annotations

import pytest

from suite.agent.presenter.commands import (
    MAX_AUDIO_BYTES,
    Audio,
    DrawClear,
    DrawTool,
    DrawUndo,
    Monitor,
    Pause,
    Resume,
    Revoke,
    Stop,
    Windows,
    encode_command,
    parse_command,
)
from suite.agent.presenter.runner import COMMAND_HANDLERS
from suite.strokes import Tool

COMMANDS = [
    (Pause(), "pause"),
    (Resume(), "resume"),
    (Stop(), "stop"),
    (Revoke(), "revoke"),
    (Revoke(mouse=True, keyboard=False), "revoke mouse"),
    (Revoke(mouse=False, keyboard=True), "revoke keyboard"),
    (Monitor(2), "monitor 2"),
    (Windows((16, 17)), "windows 16,17"),
    (Windows(None), "windows all"),
    (DrawTool(Tool.PEN), "draw tool pen"),
    (DrawTool(None), "draw tool none"),
    (DrawTool(Tool.LINE, "#112233", 8), "draw tool line #112233 8"),
    (DrawTool(Tool.ARROW, None, 8), "draw tool arrow - 8"),
    (DrawTool(Tool.ELLIPSE, "#aabbcc"), "draw tool ellipse #aabbcc"),
    (DrawUndo(), "draw undo"),
    (DrawClear(), "draw clear"),
    (Audio(1764930000123, b"\x01\x00\xff\x7f"), "audio 1764930000123 AQD/fw=="),
]


@pytest.mark.parametrize(("command", "line"), COMMANDS)
def test_each_command_encodes_to_its_line_and_parses_back(command, line):
    """Both directions, every command: encode gives the documented line, parse gives it back."""
    assert encode_command(command) == line
    assert parse_command(line) == command
    assert parse_command(f"  {line}\n") == command


def test_window_ids_may_be_hex_as_xwininfo_prints_them():
    """The command line's window ids accept 0x hex (the app writes decimal)."""
    assert parse_command("windows 0x10,17") == Windows((16, 17))


@pytest.mark.parametrize(
    "line",
    [
        "",
        "fly away",
        "monitor",
        "monitor two",
        "windows",
        "windows nonsense",
        "windows ,",
        "draw",
        "draw tool",
        "draw tool spray",
        "draw tool pen #1234",
        "draw tool pen #112233 0",
        "draw tool pen #112233 4 extra",
        "draw paint",
        "pause now",
        "revoke both",
        "revoke mouse keyboard",
        "audio",
        "audio 1764930000123",
        "audio 1764930000123 AQD",  # base64 cut short
        "audio 1764930000123 AQ==",  # one byte: half a sample
        "audio 0 AQD/fw==",  # no time
        "audio soon AQD/fw==",
        "audio 1764930000123 AQD/fw== pause",
    ],
)
def test_bad_lines_are_refused_with_a_reason(line):
    """A line that is not one command is a ValueError (the runner logs it and goes on)."""
    with pytest.raises(ValueError):
        parse_command(line)


def test_a_bad_colour_cannot_be_written_either():
    """The writer checks too: a colour carrying another command never reaches the child."""
    with pytest.raises(ValueError):
        encode_command(DrawTool(Tool.PEN, "#112233 undo"))


def test_the_runner_has_one_handler_per_command():
    """Every command of the codec has its runner method (none falls through)."""
    assert set(COMMAND_HANDLERS) == {type(command) for command, _ in COMMANDS}


def test_a_revoke_of_nothing_cannot_be_made():
    """Taking back neither kind is no command (the local API refuses it first)."""
    with pytest.raises(ValueError):
        Revoke(mouse=False, keyboard=False)


def test_audio_over_one_second_is_refused_on_both_sides():
    """An audio command carries at most one second of 48 kHz mono 16-bit samples."""
    with pytest.raises(ValueError):
        Audio(1, bytes(MAX_AUDIO_BYTES + 2))
    assert len(Audio(1, bytes(MAX_AUDIO_BYTES)).pcm) == MAX_AUDIO_BYTES
