"""Local API routes for the agent's favourite folders and programs (A9, CH7); see
docs/agent-local-api.md.

A folder or a program is a path on this PC: it is kept in the app's settings file (setting
``favourites``), never on the relay, where it would mean nothing on another PC. The chat's
Favourites menu opens one for presenting it with ``POST /local/open_favourite {id}``: the id of
a favourite stored here, never a path, so nothing that arrives over the network (a customer's
message, a page's script) can make the app open a path the agent did not store.
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

logger = logging.getLogger(__name__)

SETTING = "favourites"


def install_favourite_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    body: Callable[[], dict[str, Any]],
    choose_path: Callable[[str], Path | None] | None = None,
    opener: Callable[[Path], None] = open_path,
) -> None:
    """Add ``/local/favourites`` and ``/local/open_favourite`` to the local API's ``app``.

    Args:
        choose_path: the native dialog picking a folder (``"folder"``) or a program
            (``"program"``); None where the app has no windows.
        opener: the platform opener (``suite.files.file_manager.open_path``).
    """

    @app.get("/local/favourites")
    @json_route
    def get_favourites():
        return {"favourites": settings.get()[SETTING]}

    @app.put("/local/favourites")
    @json_route
    def put_favourites():
        saved = settings.update({SETTING: body().get("favourites")})
        return {"favourites": saved[SETTING]}

    @app.post("/local/favourites/choose")
    @json_route
    def choose():
        kind = body().get("kind")
        if kind not in ("folder", "program"):
            raise AgentError("bad_request", "'kind' must be 'folder' or 'program'")
        if choose_path is None:
            raise AgentError("no_dialog", "this app cannot show a file dialog", 501)
        chosen = choose_path(kind)
        return {"path": str(chosen) if chosen else "", "cancelled": chosen is None}

    @app.post("/local/open_favourite")
    @json_route
    def open_favourite():
        favourite_id = body().get("id")
        if not isinstance(favourite_id, str):
            raise AgentError("bad_request", "'id' must be the id of a stored favourite")
        stored = {f["id"]: f for f in settings.get()[SETTING]}
        favourite = stored.get(favourite_id)
        if favourite is None:
            raise AgentError("favourite_not_found", "no such favourite folder or program", 404)
        path = Path(favourite["path"]).expanduser()
        if not path.exists():
            raise AgentError(
                "path_missing",
                f"{path} is not there any more; change the favourite in Settings",
                404,
            )
        logger.info("opening favourite %s (%s)", favourite_id, favourite["kind"])
        opener(path)
        return {"opened": favourite_id}
