"""What a recording is called, whether one runs, and how chat becomes subtitles (pure, P9).

The admin's ``recording.policy`` (``off``, ``agent_choice``, ``always``; the relay's options)
bounds the agent's own setting "Record presentations automatically": :func:`should_record`
decides, :func:`setting_view` says how the app shows that setting. :func:`recording_name`
names the file after the customer and the start time, made safe by
:func:`suite.files.names.safe_file_name`. :class:`Timeline` turns wall time into the
recording's time with paused stretches left out, and :func:`chat_cue` turns one
``chat_message`` into a subtitle cue at its time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite.files.names import safe_file_name
from suite.protocol import MessageType

POLICIES = ("off", "agent_choice", "always")
EXTENSION = ".webm"
# Where recordings go unless the agent's settings say otherwise. Here, not beside the recorder:
# the app's main window reads it, and importing the recorder would load PyAV and the presenter
# at every start.
DEFAULT_FOLDER = Path.home() / "RemoteSales" / "Recordings"
DEFAULT_CUSTOMER = "customer"
CUE_MS = 4000  # how long a chat line stays on screen (until the next one, if sooner)
MAX_CUE_CHARS = 500  # a longer chat line is cut (the transcript in the history keeps it all)


def should_record(policy: Any, agent_wants: bool) -> bool:
    """Whether a presentation is recorded: never when ``off`` (or an unknown policy, so a
    relay that says nothing records nothing), always when ``always``, else the agent's
    setting."""
    if policy == "always":
        return True
    if policy == "agent_choice":
        return agent_wants
    return False


def setting_view(policy: Any, agent_wants: bool) -> dict[str, Any]:
    """How the app shows the setting: ``{policy, shown, editable, on}``; hidden when the
    policy is off, on and locked when it is always."""
    known = policy if policy in POLICIES else "off"
    return {
        "policy": known,
        "shown": known != "off",
        "editable": known == "agent_choice",
        "on": should_record(known, agent_wants),
    }


def recording_name(customer: str, started_at: float) -> str:
    """``<customer> <YYYY-MM-DD HH.MM.SS>.webm`` in local time, safe as one file name.

    Dots stand for colons in the time (Windows forbids ``:``); an empty customer name
    becomes "customer".
    """
    stamp = time.strftime("%Y-%m-%d %H.%M.%S", time.localtime(started_at))
    person = " ".join(str(customer).split()) or DEFAULT_CUSTOMER
    # The stamp and extension survive shortening: cut the person's name, not them.
    person = safe_file_name(person)[:80]
    return safe_file_name(f"{person} {stamp}{EXTENSION}")


def customer_name(session: dict[str, Any]) -> str:
    """Who the recording is of, from an agent's ``welcome.session``: its ``customer_name``,
    else the customers of its roster (joined by ", "), else "customer"."""
    name = session.get("customer_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    names: list[str] = []
    for participant in session.get("participants") or []:
        if isinstance(participant, dict) and participant.get("role") == "customer":
            name = participant.get("name")
            if isinstance(name, str) and name.strip() and name.strip() not in names:
                names.append(name.strip())
    return ", ".join(names) or DEFAULT_CUSTOMER


class Timeline:
    """The recording's clock: milliseconds since the start, paused stretches left out.

    Args:
        start: wall-clock seconds when the recording began.
    """

    def __init__(self, start: float) -> None:
        self.start = start
        self._paused_at: float | None = None
        self._paused_s = 0.0

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self, now: float) -> None:
        if self._paused_at is None:
            self._paused_at = now

    def resume(self, now: float) -> None:
        if self._paused_at is not None:
            self._paused_s += max(0.0, now - self._paused_at)
            self._paused_at = None

    def media_ms(self, now: float) -> int:
        """Where ``now`` falls in the recording (a moment inside a pause: where it began)."""
        until = self._paused_at if self._paused_at is not None else now
        return max(0, round((min(until, now) - self.start - self._paused_s) * 1000))


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: shown from ``start_ms`` to ``end_ms`` of the recording."""

    start_ms: int
    end_ms: int
    text: str


def chat_text(message: dict[str, Any]) -> str | None:
    """``"sender: text"`` for a ``chat_message`` (a file: its name; a link: title and URL),
    or None for anything else. Line breaks stay; an empty line would end a WebVTT cue, so
    blank lines are dropped."""
    if message.get("type") != MessageType.CHAT_MESSAGE:
        return None
    sender = str(message.get("name") or message.get("role") or "?")
    text = str(message.get("text") or "")
    file = message.get("file")
    link = message.get("link")
    if isinstance(file, dict):
        text = f"[{file.get('name', 'file')}]"
    elif isinstance(link, dict) and link.get("title"):
        text = f"{link['title']} {text}"
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n") if line.strip()]
    body = "\n".join(lines)
    if not body:
        return None
    if len(body) > MAX_CUE_CHARS:
        body = body[: MAX_CUE_CHARS - 1] + "…"
    # "-->" inside a cue's text would read as a timing line to some parsers.
    return f"{sender}: {body}".replace("-->", "->")


def chat_cue(message: dict[str, Any], timeline: Timeline) -> Cue | None:
    """The cue for one ``chat_message`` at its ``sent_at`` (the relay's clock), or None."""
    text = chat_text(message)
    sent_at = message.get("sent_at")
    if text is None or isinstance(sent_at, bool) or not isinstance(sent_at, int | float):
        return None
    start = timeline.media_ms(float(sent_at))
    return Cue(start, start + CUE_MS, text)


def webvtt_time(ms: int) -> str:
    hours, rest = divmod(max(0, ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def webvtt(cues: list[Cue]) -> str:
    """The cues as a WebVTT file (the same text the WebM's subtitle track carries)."""
    blocks = ["WEBVTT", ""]
    for cue in cues:
        blocks += [f"{webvtt_time(cue.start_ms)} --> {webvtt_time(cue.end_ms)}", cue.text, ""]
    return "\n".join(blocks)
