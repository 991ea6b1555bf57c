"""Pictures loaded onto a whiteboard (CH3): kept in the data folder per session, until the
session ends. An image element names its picture by the id :meth:`BoardImages.put` returns.

On PostgreSQL (several nodes, one database) each picture also goes to the store's shared files
(``whiteboard/<session id>/<image id>``, relay_server/store/shared_files.py) before its id is
answered: the node that takes the session over (its owner died or drained) serves and draws it
from there, keeping a copy in its own folder once read (a picture never changes under its id).
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from relay_server.accounts.photos import PhotoError, sniff
from suite.atomic_files import write_atomically
from suite.whiteboard.model import MAX_IMAGE_BYTES

MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SESSION_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
SHARED_PREFIX = "whiteboard/"  # their names among the store's shared files

if TYPE_CHECKING:
    from relay_server.store.shared_files import SharedFiles


class ImageRefused(ValueError):
    """``code``: ``image_too_large``, ``image_type_not_allowed`` or ``bad_image``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _shared_name(session_id: str, image_id: str = "") -> str:
    return f"{SHARED_PREFIX}{session_id}/{image_id}"


class BoardImages:
    def __init__(self, folder: Path, shared: SharedFiles | None = None):
        self.folder = folder
        self.shared = shared

    def _dir(self, session_id: str) -> Path:
        if not _SESSION_RE.fullmatch(session_id):
            raise ValueError("not a session id")
        return self.folder / session_id

    def put(self, session_id: str, data: bytes) -> tuple[str, int, int]:
        """Keep a picture; returns (image id, width, height).

        Raises:
            ImageRefused: over MAX_IMAGE_BYTES, not PNG/JPEG/WebP, or not a readable picture.
        """
        if len(data) > MAX_IMAGE_BYTES:
            raise ImageRefused(
                "image_too_large", f"a picture may be at most {MAX_IMAGE_BYTES // 2**20} MiB"
            )
        try:
            sniff(data)
        except PhotoError:
            raise ImageRefused(
                "image_type_not_allowed", "a picture must be a PNG, JPEG or WebP image"
            ) from None
        try:
            with Image.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageRefused("image_too_large", "the picture has too many pixels")
                picture.verify()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            if isinstance(error, ImageRefused):
                raise
            raise ImageRefused("bad_image", "the picture cannot be read") from None
        image_id = secrets.token_urlsafe(12)
        folder = self._dir(session_id)
        folder.mkdir(parents=True, exist_ok=True)
        if self.shared is not None:  # before an element can name it: every node reads it
            self.shared.put_bytes(_shared_name(session_id, image_id), data)
        write_atomically(folder / image_id, data)
        return image_id, width, height

    def get(self, session_id: str, image_id: str) -> bytes | None:
        if not _ID_RE.fullmatch(image_id):
            return None
        try:
            path = self._dir(session_id) / image_id
        except ValueError:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        if self.shared is None:
            return None
        found = self.shared.get_bytes(_shared_name(session_id, image_id))
        if found is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, found[0])  # this node's copy from now on
        return found[0]

    def drop(self, session_id: str) -> None:
        """The session ended: its pictures go (from every node's reach: the database)."""
        try:
            shutil.rmtree(self._dir(session_id), ignore_errors=True)
        except ValueError:
            return
        if self.shared is not None:
            self.shared.delete_prefix(_shared_name(session_id))
