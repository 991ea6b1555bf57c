"""The relay's three pages (``/``, ``/agent``, ``/view``): their ``index.html`` with the
page's module graph announced as ``modulepreload`` links (``module_preload``), revalidated
by ETag like the files under ``/ui/``.

A page is built once and kept while none of its files changes (their modification times are
checked at each request: ~140 ``stat`` calls for the agent page, a fraction of a
millisecond), so an edited ``ui/`` file shows at the next reload in development too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import bottle

from relay_server.web.module_preload import with_module_preloads


@dataclass(frozen=True)
class _Built:
    body: bytes
    etag: str
    files: tuple[tuple[Path, int], ...]  # every file read, with its mtime_ns


class PageFiles:
    """Builds and serves ``ui/<page>/index.html`` with its module preloads."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._built: dict[str, _Built] = {}

    def reply(self, path: str) -> bottle.HTTPResponse:
        """``path`` (``agent/index.html``) as a response: 200 with the page, or 304 when the
        request's ``If-None-Match`` names the current one."""
        built = self._built.get(path)
        if built is None or not _unchanged(built.files):
            built = self._build(path)
            self._built[path] = built
        headers = {"ETag": built.etag, "Cache-Control": "no-cache"}
        if built.etag in bottle.request.headers.get("If-None-Match", ""):
            return bottle.HTTPResponse(status=304, headers=headers)
        headers["Content-Type"] = "text/html; charset=utf-8"
        return bottle.HTTPResponse(built.body, 200, headers)

    def _build(self, path: str) -> _Built:
        read_files: list[tuple[Path, int]] = []

        def read(relative: str) -> str:
            file = self._root / relative
            read_files.append((file, file.stat().st_mtime_ns))
            return file.read_text(encoding="utf-8")

        body = with_module_preloads(read(path), read).encode()
        etag = f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'
        return _Built(body, etag, tuple(read_files))


def _unchanged(files: tuple[tuple[Path, int], ...]) -> bool:
    try:
        return all(os.stat(file).st_mtime_ns == mtime for file, mtime in files)
    except OSError:
        return False
