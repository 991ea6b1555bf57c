"""Local API route of the history's Excel export (A10) in the desktop app; see
docs/agent-local-api.md.

The page cannot hand a download to the app's web view, so Python saves it: the relay's
``/api/history/export.xlsx`` (with the page's filters) is streamed into
a temporary file, then moved into ``<Documents>/RemoteSales/Exports/`` under a name that
overwrites nothing, and the page is told the path.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottle
import platformdirs

from suite.agent.app.errors import AgentError
from suite.agent.app.relay_client import RelayClient

logger = logging.getLogger(__name__)

EXPORT_PATH_RE = re.compile(r"^/api/history/export\.xlsx(\?[A-Za-z0-9_.~%&=+-]*)?$")


def exports_folder() -> Path:
    """``<the user's documents folder>/RemoteSales/Exports``."""
    return Path(platformdirs.user_documents_dir()) / "RemoteSales" / "Exports"


def install_history_routes(
    app: bottle.Bottle,
    json_route: Callable[[Callable], Callable],
    login: Callable[[], dict[str, Any] | None],
    client: Callable[[], RelayClient],
    body: Callable[[], dict[str, Any]],
    folder: Callable[[], Path] = exports_folder,
) -> None:
    @app.post("/local/history/export")
    @json_route
    def export_history():
        path = body().get("path")
        if not isinstance(path, str) or not EXPORT_PATH_RE.match(path):
            raise AgentError("bad_request", "'path' must be /api/history/export.xlsx?<filters>")
        current = login()
        if not current:
            raise AgentError("not_logged_in", "log in to the relay first", 401)
        # Into a temporary file first: a refused export leaves nothing in the documents folder.
        handle, name = tempfile.mkstemp(suffix=".xlsx.part")
        os.close(handle)
        partial = Path(name)
        try:
            answer = client().save(path, {"Authorization": f"Bearer {current['token']}"}, partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if answer.status != 200:
            partial.unlink(missing_ok=True)
            try:
                error = answer.json()["error"]
                code, message = str(error["code"]), str(error["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "server_error", f"the relay answered {answer.status}"
            raise AgentError(code, message, answer.status)
        target_dir = folder()
        target_dir.mkdir(parents=True, exist_ok=True)
        stem = time.strftime("history-%Y%m%d-%H%M%S")
        target = target_dir / f"{stem}.xlsx"
        number = 1
        while target.exists():
            number += 1
            target = target_dir / f"{stem} ({number}).xlsx"
        shutil.move(partial, target)
        logger.info("history export saved", extra={"path": str(target)})
        return {"path": str(target)}
