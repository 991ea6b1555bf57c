"""The agent app's file uploader and downloader (P4): streamed from and to disk, resumable.

Blocking (``http.client``); the local API runs them in worker threads. Never more than one
piece of a file (256 KiB) is in memory. Upload: hash the file, offer it (the relay refuses an
oversized or disallowed file here, before any byte moves), then PUT it in chunks at their byte
offsets; after a broken connection ask the relay how much arrived and go on from there.
Download: GET with ``Range`` into ``<name>.<id>.part`` in the received-files folder (going on
from the part file's size after a break; it may start while the sender still uploads), check
the sha256, and only then give the file its final, never-overwriting name
(:func:`suite.files.names.unique_path`) and confirm to the relay.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import mimetypes
import os
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suite.errors import CodedError
from suite.files.names import safe_file_name, unique_path
from suite.net.connect import Connector

logger = logging.getLogger(__name__)

CHUNK_BYTES = 8 * 1024 * 1024  # per PUT: few requests, and a lost one costs little to redo
PIECE_BYTES = 256 * 1024
TIMEOUT_S = 30.0
MAX_RETRIES = 5
RETRY_DELAY_S = 0.2

Progress = Callable[[int, int], None]  # (bytes done, size)


class FileTransferError(CodedError):
    """A transfer was refused or broke for good; ``code`` is the relay's or ours."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while piece := source.read(1024 * 1024):
            digest.update(piece)
    return digest.hexdigest()


class FileTransferClient:
    """Moves files between this machine and one relay for one participant.

    Args:
        base_url: the relay, ``http(s)://host:port[/path]``.
        authorization: the ``Authorization`` header value (``Bearer <agent token>``, or
            ``Customer <token>`` for tests that play the customer).
        context: TLS context for https relays, when no ``connector`` is given.
        connector: the network settings' way to the relay (A7: proxy, CA file); a connection
            it cannot open raises its ``NetworkError`` (a ``CodedError``) at once.
    """

    def __init__(
        self,
        base_url: str,
        authorization: str,
        context: ssl.SSLContext | None = None,
        timeout_s: float = TIMEOUT_S,
        connector: Connector | None = None,
    ):
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        self._tls = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._tls else 80)
        self._prefix = parts.path
        self._authorization = authorization
        # Whose copy this is: the sender's own download of its file confirms nothing.
        self.role = "agent" if authorization.startswith("Bearer ") else "customer"
        self._context = context
        self._timeout_s = timeout_s
        self._connector = connector

    # -- plumbing --------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        if self._connector is not None:
            scheme = "https" if self._tls else "http"
            return self._connector.http_connection(scheme, self._host, self._port, self._timeout_s)
        if self._tls:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout_s, context=self._context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)

    def _json(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One JSON request; a refusal raises :class:`FileTransferError` with its code."""
        connection = self._connect()
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Authorization": self._authorization}
            if data is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, self._prefix + path, body=data, headers=headers)
            response = connection.getresponse()
            return _answer(response.status, response.read())
        finally:
            connection.close()

    def _retrying(self, action: Callable[[], Any], what: str) -> Any:
        """Run ``action``; after a broken connection, try again (MAX_RETRIES times)."""
        for attempt in range(MAX_RETRIES + 1):
            try:
                return action()
            except (OSError, http.client.HTTPException) as error:
                if attempt == MAX_RETRIES:
                    raise FileTransferError(
                        "unreachable", f"{what}: the relay could not be reached ({error})", 502
                    ) from None
                logger.info("%s: connection broke (%s); resuming", what, error)
                time.sleep(RETRY_DELAY_S * (attempt + 1))
        raise AssertionError("unreachable")

    # -- the API -----------------------------------------------------------------------------

    def offer(self, session_id: str, path: Path, name: str | None = None) -> dict[str, Any]:
        """Announce ``path`` to the other participant; returns the ``transfer``.

        Raises:
            FileTransferError: ``file_too_large``, ``file_type_not_allowed``, ``no_customer``...
        """
        size = path.stat().st_size
        offer = {
            "name": name or path.name,
            "size": size,
            "type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "sha256": sha256_of(path),
        }
        return self._retrying(
            lambda: self._json("POST", f"/api/sessions/{session_id}/files", offer)["transfer"],
            "offer",
        )

    def status(self, transfer_id: str) -> dict[str, Any]:
        return self._retrying(
            lambda: self._json("GET", f"/api/files/{transfer_id}")["transfer"], "status"
        )

    def cancel(self, transfer_id: str) -> dict[str, Any]:
        return self._retrying(
            lambda: self._json("DELETE", f"/api/files/{transfer_id}")["transfer"], "cancel"
        )

    def send(
        self,
        session_id: str,
        path: Path,
        on_progress: Progress | None = None,
        cancelled: threading.Event | None = None,
    ) -> dict[str, Any]:
        """Offer and upload ``path``; returns the transfer once the relay has all of it."""
        transfer = self.offer(session_id, path)
        return self.upload(transfer, path, on_progress, cancelled)

    def upload(
        self,
        transfer: dict[str, Any],
        path: Path,
        on_progress: Progress | None = None,
        cancelled: threading.Event | None = None,
    ) -> dict[str, Any]:
        """Upload the bytes of an offered transfer, going on from what the relay has."""
        size, transfer_id = transfer["size"], transfer["id"]
        offset = transfer.get("uploaded", 0)
        failures = 0
        while offset < size or transfer.get("state") == "offered":
            if cancelled is not None and cancelled.is_set():
                return self.cancel(transfer_id)
            length = min(CHUNK_BYTES, size - offset)
            try:
                transfer = self._put_chunk(transfer_id, path, offset, length)
                failures = 0
            except (OSError, http.client.HTTPException) as error:
                failures += 1
                _back_off(failures, f"upload of {path.name}", offset, error)
                transfer = self.status(transfer_id)
            except FileTransferError as error:
                if error.code == "bad_offset" and "uploaded" in error.details:
                    transfer = {**transfer, "uploaded": error.details["uploaded"]}
                elif error.code == "upload_busy" and failures < MAX_RETRIES:
                    failures += 1  # the relay still writes the broken request: wait for it
                    time.sleep(RETRY_DELAY_S * failures)
                    transfer = self.status(transfer_id)
                else:
                    raise
            offset = transfer["uploaded"]
            if on_progress is not None:
                on_progress(offset, size)
            if size == 0:
                break
        return transfer

    def _put_chunk(self, transfer_id: str, path: Path, offset: int, length: int) -> dict:
        connection = self._connect()
        try:
            connection.putrequest(
                "PUT", f"{self._prefix}/api/files/{transfer_id}/content?offset={offset}"
            )
            connection.putheader("Authorization", self._authorization)
            connection.putheader("Content-Type", "application/octet-stream")
            connection.putheader("Content-Length", str(length))
            connection.endheaders()
            with path.open("rb") as source:
                source.seek(offset)
                left = length
                while left > 0:
                    piece = source.read(min(PIECE_BYTES, left))
                    if not piece:
                        raise FileTransferError(
                            "file_changed", f"{path.name} got shorter while it was sent", 409
                        )
                    connection.send(piece)
                    left -= len(piece)
            response = connection.getresponse()
            return _answer(response.status, response.read())["transfer"]
        finally:
            connection.close()

    def receive(
        self,
        transfer: dict[str, Any],
        folder: Path,
        on_progress: Progress | None = None,
        cancelled: threading.Event | None = None,
    ) -> Path:
        """Download a ready transfer into ``folder``, check it, and confirm it to the relay
        (only the receiver confirms: a sender saving a copy of its own file does not).

        Returns:
            the received file's path (a fresh name: nothing is overwritten).

        Raises:
            FileTransferError: ``checksum_mismatch`` (the part file is deleted, the relay
                marks the transfer failed), a refusal of the relay, or ``unreachable``.
        """
        folder.mkdir(parents=True, exist_ok=True)
        name = safe_file_name(transfer["name"])
        part = folder / f"{name}.{transfer['id'][:8]}.part"
        size = transfer["size"]
        failures = 0
        while True:
            have = part.stat().st_size if part.exists() else 0
            if have >= size:
                break
            if cancelled is not None and cancelled.is_set():
                part.unlink(missing_ok=True)
                # The agent cancels the transfer; a customer only stops its own copy (the
                # relay refuses a customer's cancel of a file it did not send).
                if self.role == "agent":
                    self.cancel(transfer["id"])
                raise FileTransferError("cancelled", f"{name}: cancelled", 409)
            try:
                self._get_range(transfer["id"], part, have, size, on_progress)
                failures = 0
            except FileTransferError:
                part.unlink(missing_ok=True)  # cancelled or failed at the relay: keep nothing
                raise
            except (OSError, http.client.HTTPException) as error:
                failures += 1
                _back_off(failures, f"download of {name}", have, error)
        digest = sha256_of(part)
        own = transfer.get("sender") == self.role
        if digest != transfer["sha256"]:
            part.unlink(missing_ok=True)
            if own:
                raise FileTransferError(
                    "checksum_mismatch", f"{name} arrived damaged (sha256 mismatch)", 422
                )
            try:
                self._json("POST", f"/api/files/{transfer['id']}/received", {"sha256": digest})
            except FileTransferError:
                pass  # the relay answers 422 and tells both sides the transfer failed
            raise FileTransferError(
                "checksum_mismatch",
                f"{name} arrived damaged (sha256 mismatch) and was not kept; ask for it again",
                422,
            )
        final = unique_path(folder, name)
        os.replace(part, final)
        if own:
            return final
        self._retrying(
            lambda: self._json("POST", f"/api/files/{transfer['id']}/received", {"sha256": digest}),
            "confirm",
        )
        return final

    def fetch(self, path: str, folder: Path, name: str) -> Path:
        """GET a relay resource that is not a transfer (``path``, e.g. the whiteboard's BMP) into
        ``folder`` under a fresh ``name`` (``name (1)``... when taken: nothing is overwritten).

        Returns:
            the saved file's path.

        Raises:
            FileTransferError: the relay refused (its code), or ``unreachable``; nothing is kept.
        """
        folder.mkdir(parents=True, exist_ok=True)
        final = unique_path(folder, safe_file_name(name))
        try:
            self._retrying(lambda: self._get_into(path, final), f"download of {name}")
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        return final

    def _get_into(self, path: str, target: Path) -> None:
        connection = self._connect()
        try:
            connection.request(
                "GET", self._prefix + path, headers={"Authorization": self._authorization}
            )
            response = connection.getresponse()
            if response.status != 200:
                _answer(response.status, response.read())
            with target.open("wb") as sink:
                while piece := response.read(PIECE_BYTES):
                    sink.write(piece)
        finally:
            connection.close()

    def _get_range(
        self, transfer_id: str, part: Path, start: int, size: int, on_progress: Progress | None
    ) -> None:
        connection = self._connect()
        try:
            connection.request(
                "GET",
                f"{self._prefix}/api/files/{transfer_id}/content",
                headers={"Authorization": self._authorization, "Range": f"bytes={start}-"},
            )
            response = connection.getresponse()
            if response.status not in (200, 206):
                _answer(response.status, response.read())
            if response.status == 200:
                start = 0  # the relay ignored the range: start over
            with part.open("r+b" if part.exists() else "wb") as sink:
                sink.seek(start)
                sink.truncate()
                done = start
                while piece := response.read(PIECE_BYTES):
                    sink.write(piece)
                    done += len(piece)
                    if on_progress is not None:
                        on_progress(done, size)
            if done < size:
                raise http.client.IncompleteRead(b"", size - done)
        finally:
            connection.close()


def _answer(status: int, raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {}
    if 200 <= status < 300:
        return body
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code", "relay_error")
    message = error.get("message", f"the relay answered {status}")
    details = {k: v for k, v in error.items() if k not in ("code", "message")}
    raise FileTransferError(code, message, status, **details)


def _back_off(failures: int, what: str, at: int, error: Exception) -> None:
    """The connection broke for the ``failures``-th time in a row during ``what`` (at byte
    ``at``): give up after ``MAX_RETRIES``, else wait a little longer each time.

    Raises:
        FileTransferError: ``unreachable`` (502) once the retries are used up.
    """
    if failures > MAX_RETRIES:
        raise FileTransferError("unreachable", f"{what} broke off: {error}", 502) from None
    logger.info("%s broke at %d (%s); resuming", what, at, error)
    time.sleep(RETRY_DELAY_S * failures)
