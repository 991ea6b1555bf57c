"""Local API routes for files both ways (P4) in the desktop app; see docs/agent-local-api.md.

The agent's chat window asks; Python does the file work, because only Python may touch the
disk: a native file dialog picks what to send and :class:`FileTransferClient` streams it
from disk to the relay; a file the customer sent is streamed into the received-files folder
(setting ``received_files_folder``; default ``<Documents>/RemoteSales/Received Files``),
checked (sha256) and renamed so that nothing is overwritten. Both calls block until the
transfer is over (the local server is threaded), so the page gets the outcome as the answer,
while both sides follow the progress through the relay's ``file_progress`` messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottle
import platformdirs

from suite.agent.app.errors import AgentError
from suite.agent.app.settings import LocalSettings
from suite.files.client import FileTransferClient
from suite.files.file_manager import open_in_file_manager
from suite.net.connect import Connector
from suite.net.policy import NetworkPolicy

logger = logging.getLogger(__name__)

FOLDER_SETTING = "received_files_folder"


def default_received_folder() -> Path:
    """``<the user's documents folder>/RemoteSales/Received Files``, like the guide says."""
    return Path(platformdirs.user_documents_dir()) / "RemoteSales" / "Received Files"


def received_folder(settings: LocalSettings) -> Path:
    chosen = settings.get().get(FOLDER_SETTING) or ""
    return Path(chosen).expanduser() if chosen else default_received_folder()


def install_local_file_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    login: Callable[[], dict[str, Any] | None],
    choose_files: Callable[[str], list[Path] | None] | None,
    body: Callable[[], dict[str, Any]],
    session_id_of: Callable[[dict[str, Any]], str],
    open_folder: Callable[[Path], None] = open_in_file_manager,
    connector: Callable[[], Connector] | None = None,
) -> None:
    """Add ``/local/files/*`` to the local API's ``app``.

    Args:
        login: the current relay login (``relay_url``, ``token``), or None.
        choose_files: the native "open files" dialog for a session's window (returns None
            when the agent closed it); None where the app has no windows.
    """

    def transfer_client() -> FileTransferClient:
        current = login()
        if current is None:
            raise AgentError("not_logged_in", "not logged in to a relay", 409)
        # The network settings (A7): the proxy, the CA file, verify_tls.
        if connector is None:
            policy = NetworkPolicy(verify_tls=settings.get()["verify_tls"], proxy_mode="system")
            chosen = Connector(policy)
        else:
            chosen = connector()
        return FileTransferClient(
            current["relay_url"], f"Bearer {current['token']}", connector=chosen
        )

    @app.get("/local/files/folder")
    @json_route
    def get_folder():
        return {"folder": str(received_folder(settings))}

    @app.post("/local/files/open_folder")
    @json_route
    def open_folder_route():
        folder = received_folder(settings)
        folder.mkdir(parents=True, exist_ok=True)
        open_folder(folder)
        return {"folder": str(folder)}

    @app.post("/local/files/send")
    @json_route
    def send():
        session_id = session_id_of(body())
        if choose_files is None:
            raise AgentError("no_dialog", "this app cannot show a file dialog", 501)
        client = transfer_client()
        paths = choose_files(session_id)
        if not paths:
            return {"transfers": [], "cancelled": True}
        sent = []
        for path in paths:
            logger.info("sending %s to session %s", path.name, session_id)
            sent.append(client.send(session_id, Path(path)))
        return {"transfers": sent, "cancelled": False}

    @app.post("/local/files/receive")
    @json_route
    def receive():
        data = body()
        session_id, transfer_id = session_id_of(data), data.get("transfer_id")
        if not isinstance(transfer_id, str) or not 0 < len(transfer_id) <= 64:
            raise AgentError("bad_request", "'transfer_id' must be the transfer's id")
        client = transfer_client()
        # Ask the relay rather than trust the page: name, size and sha256 come from there.
        transfer = client.status(transfer_id)
        if transfer["session_id"] != session_id:
            raise AgentError("transfer_not_found", "no such file transfer in this session", 404)
        folder = received_folder(settings)
        path = client.receive(transfer, folder)
        logger.info("received %s into %s", path.name, folder)
        return {"path": str(path), "name": path.name, "folder": str(folder)}
