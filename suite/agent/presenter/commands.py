"""The presenter's stdin commands: one codec for the agent app (writer) and the runner (reader).

One command a line, words separated by spaces::

    pause | resume | stop
    revoke | revoke mouse | revoke keyboard   take control back: both kinds, or one (P3)
    monitor N                       share monitor N (mss index, 1 = first)
    windows ID,ID | windows all     share only these X window ids (decimal or 0x hex), or all
    draw tool TOOL|none [#rrggbb|-] [WIDTH]
    draw undo | draw clear          the overlay's drawing (P5)
    audio AT_MS BASE64              call audio for the recording (P9): 48 kHz mono s16le PCM
                                    whose first sample was heard at AT_MS (Unix ms)

``suite/agent/app/presentations.py`` writes them with :func:`encode_command`;
``suite/agent/presenter/runner.py`` reads them with :func:`parse_command`. Both directions are
checked (``tests/unit/test_presenter_commands.py``): nothing unchecked reaches the child's
command line (a colour cannot carry a second command).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from suite.strokes import COLOUR_RE, MAX_WIDTH_PX, MIN_WIDTH_PX, Tool


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop showing (P2): viewers keep the last picture."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Show again after a pause."""


@dataclass(frozen=True, slots=True)
class Stop:
    """End the presentation and the process."""


@dataclass(frozen=True, slots=True)
class Revoke:
    """Take control back from the customer (P3): both kinds, or only the mouse or keyboard."""

    mouse: bool = True
    keyboard: bool = True

    def __post_init__(self) -> None:
        if not (self.mouse or self.keyboard):
            raise ValueError("revoke takes back the mouse, the keyboard or both")


@dataclass(frozen=True, slots=True)
class Monitor:
    """Share another monitor (mss index, 1 = first)."""

    index: int


@dataclass(frozen=True, slots=True)
class Windows:
    """Share only these windows; None: the whole monitor."""

    ids: tuple[int, ...] | None


@dataclass(frozen=True, slots=True)
class DrawTool:
    """The agent's drawing tool on the overlay (None puts it down), colour and width."""

    tool: Tool | None
    color: str | None = None
    width: int | None = None

    def __post_init__(self) -> None:
        if self.color is not None and not COLOUR_RE.fullmatch(self.color):
            raise ValueError(f"colour {self.color!r} is not #rrggbb")
        if self.width is not None and not MIN_WIDTH_PX <= self.width <= MAX_WIDTH_PX:
            raise ValueError(f"width {self.width} is out of range")


@dataclass(frozen=True, slots=True)
class DrawUndo:
    """Remove the agent's newest stroke."""


@dataclass(frozen=True, slots=True)
class DrawClear:
    """Remove every stroke, either side's."""


MAX_AUDIO_BYTES = 96_000  # one second of 48 kHz mono 16-bit audio per command


@dataclass(frozen=True, slots=True)
class Audio:
    """A chunk of the call's audio for the recording (P9): 48 kHz mono signed 16-bit
    little-endian samples whose first was heard at ``at_ms`` (Unix time, ms)."""

    at_ms: int
    pcm: bytes

    def __post_init__(self) -> None:
        if not 0 < len(self.pcm) <= MAX_AUDIO_BYTES or len(self.pcm) % 2:
            raise ValueError(f"audio must be 2 to {MAX_AUDIO_BYTES} bytes of 16-bit samples")
        if self.at_ms <= 0:
            raise ValueError("audio needs the time its first sample was heard")


Command = (
    Audio | Pause | Resume | Stop | Revoke | Monitor | Windows | DrawTool | DrawUndo | DrawClear
)
DrawCommand = DrawTool | DrawUndo | DrawClear

_VERBS: dict[type, str] = {
    Pause: "pause", Resume: "resume", Stop: "stop",
    DrawUndo: "draw undo", DrawClear: "draw clear",
}  # fmt: skip
_BARE = {verb: kind for kind, verb in _VERBS.items()}


def encode_command(command: Command) -> str:
    """The line (without its newline) that :func:`parse_command` reads back as ``command``."""
    verb = _VERBS.get(type(command))
    if verb is not None:
        return verb
    if isinstance(command, Revoke):
        if command.mouse and command.keyboard:
            return "revoke"
        return "revoke mouse" if command.mouse else "revoke keyboard"
    if isinstance(command, Monitor):
        return f"monitor {int(command.index)}"
    if isinstance(command, Windows):
        return "windows " + (",".join(map(str, command.ids)) if command.ids else "all")
    if isinstance(command, Audio):
        return f"audio {int(command.at_ms)} {base64.b64encode(command.pcm).decode('ascii')}"
    if isinstance(command, DrawTool):
        words = ["draw", "tool", str(command.tool) if command.tool is not None else "none"]
        if command.color is not None or command.width is not None:
            words.append(command.color or "-")
        if command.width is not None:
            words.append(str(command.width))
        return " ".join(words)
    raise TypeError(f"not a presenter command: {command!r}")


def parse_command(line: str) -> Command:
    """Read one command line.

    Raises:
        ValueError: an unknown verb, or bad arguments (the message says which).
    """
    words = line.split()
    text = " ".join(words)
    if text in _BARE:
        return _BARE[text]()
    verb, args = (words[0], words[1:]) if words else ("", [])
    if verb == "revoke" and len(args) <= 1:
        kind = args[0] if args else None
        if kind not in (None, "mouse", "keyboard"):
            raise ValueError(f"revoke takes mouse or keyboard, not {kind!r}")
        return Revoke(mouse=kind != "keyboard", keyboard=kind != "mouse")
    if verb == "monitor" and len(args) == 1:
        return Monitor(int(args[0]))
    if verb == "windows" and len(args) == 1:
        if args[0] == "all":
            return Windows(None)
        ids = tuple(int(part, 0) for part in args[0].split(",") if part.strip())
        if not ids:
            raise ValueError("windows needs ids or 'all'")
        return Windows(ids)
    if verb == "audio" and len(args) == 2:
        try:
            pcm = base64.b64decode(args[1], validate=True)
        except binascii.Error as error:
            raise ValueError(f"audio samples are not base64: {error}") from None
        return Audio(int(args[0]), pcm)
    if verb == "draw" and args[:1] == ["tool"] and 2 <= len(args) <= 4:
        tool = None if args[1] == "none" else Tool(args[1])
        colour = args[2] if len(args) > 2 and args[2] != "-" else None
        width = int(args[3]) if len(args) > 3 else None
        return DrawTool(tool, colour, width)
    raise ValueError(f"unknown command {text!r}")


def draw_command(body: dict[str, Any]) -> DrawCommand:
    """The ``draw`` command for a request of the chat window's tools.

    ``{action: "tool", tool: pen|line|rectangle|ellipse|arrow|null, color?, width?}``,
    ``{action: "undo"}`` or ``{action: "clear"}``.

    Raises:
        ValueError: the message names the field that is wrong.
    """
    action = body.get("action")
    if action == "undo":
        return DrawUndo()
    if action == "clear":
        return DrawClear()
    if action != "tool":
        raise ValueError("'action' must be tool, undo or clear")
    tool = body.get("tool")
    if tool is None:
        return DrawTool(None)
    if tool not in set(Tool):
        raise ValueError(f"'tool' must be null or one of {', '.join(Tool)}")
    colour, width = body.get("color"), body.get("width")
    if colour is not None and (not isinstance(colour, str) or not COLOUR_RE.fullmatch(colour)):
        raise ValueError("'color' must be #rrggbb")
    if width is not None and (
        isinstance(width, bool) or not isinstance(width, int)
        or not MIN_WIDTH_PX <= width <= MAX_WIDTH_PX
    ):  # fmt: skip
        raise ValueError(f"'width' must be {MIN_WIDTH_PX}-{MAX_WIDTH_PX}")
    return DrawTool(Tool(tool), colour, width)
