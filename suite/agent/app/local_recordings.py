"""The local API's recordings (P9, docs/agent-local-api.md): the list and opening one.

``GET /local/recordings[?session_id=ID]`` lists the ``.webm`` files of the recordings folder
(``settings.recording.folder``, default ``~/RemoteSales/Recordings``) with what their tags
say: customer, session, start, duration, size. ``POST /local/recordings/open {name}`` opens
one with the system's player (xdg-open, ``open``, ``os.startfile``): only a name from that
listing, inside that folder, never a path that came from a page or a customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottle

from suite.agent.app.errors import AgentError
from suite.agent.app.settings import LocalSettings
from suite.files.file_manager import open_path
from suite.recording.rules import DEFAULT_FOLDER, EXTENSION

logger = logging.getLogger(__name__)

MAX_LISTED = 500  # newest first


def recordings_folder(settings: LocalSettings) -> Path:
    folder = (settings.get().get("recording") or {}).get("folder") or ""
    return Path(folder).expanduser() if folder else DEFAULT_FOLDER


def recording_options(settings: LocalSettings) -> list[str]:
    """The presenter's recording options from ``settings.recording`` (P9)."""
    recording = settings.get().get("recording") or {}
    args = [f"--recordings-dir={recordings_folder(settings)}"]
    if recording.get("automatic") is True:
        args.append("--record")
    return args


def describe(path: Path) -> dict[str, Any]:
    """One list entry: ``{name, customer, session_id, started_at, duration_s, size}``; a file
    PyAV cannot read still shows (its tags null), a killed recording has no duration."""
    entry: dict[str, Any] = {
        "name": path.name, "customer": None, "session_id": None,
        "started_at": None, "duration_s": None, "size": path.stat().st_size,
    }  # fmt: skip
    try:
        import av  # noqa: PLC0415 - only listing needs it

        with av.open(str(path)) as container:
            tags = {key.lower(): value for key, value in container.metadata.items()}
            if container.duration:
                entry["duration_s"] = round(container.duration / 1_000_000, 1)
    except Exception as exc:  # a file being written, or not ours: listed without details
        logger.info("recording %s unreadable: %s", path.name, exc)
        return entry
    entry["customer"] = tags.get("title")
    entry["session_id"] = tags.get("session_id")
    try:
        entry["started_at"] = float(tags["started_at"])
    except (KeyError, ValueError):
        entry["started_at"] = path.stat().st_mtime
    return entry


def list_recordings(folder: Path, session_id: str | None = None) -> list[dict[str, Any]]:
    """The folder's recordings, newest first (a missing folder: none)."""
    if not folder.is_dir():
        return []
    files = sorted(
        (p for p in folder.iterdir() if p.suffix == EXTENSION and p.is_file()),
        key=lambda p: p.stat().st_mtime, reverse=True,
    )[:MAX_LISTED]  # fmt: skip
    entries = [describe(path) for path in files]
    if session_id:
        entries = [e for e in entries if e["session_id"] == session_id]
    return entries


def install_recording_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    body: Callable[[], dict[str, Any]],
    open_file: Callable[[Path], None] = open_path,
) -> None:
    """Add ``/local/recordings`` and ``/local/recordings/open`` to the local API's ``app``."""

    @app.get("/local/recordings")
    @json_route
    def recordings():
        folder = recordings_folder(settings)
        session_id = bottle.request.query.session_id or None
        recording = settings.get().get("recording") or {}
        return {
            "folder": str(folder),
            "automatic": recording.get("automatic") is True,
            "recordings": list_recordings(folder, session_id),
        }

    @app.post("/local/recordings/open")
    @json_route
    def open_recording():
        name = body().get("name")
        folder = recordings_folder(settings)
        if not isinstance(name, str) or not name.endswith(EXTENSION):
            raise AgentError("bad_request", "'name' must be the name of a recording (.webm)")
        listed = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        if name not in listed or Path(name).name != name:
            raise AgentError("not_found", f"no recording {name!r} in {folder}", 404)
        open_file(folder / name)
        return {"opened": name}
