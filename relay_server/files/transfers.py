"""File transfers between the agent and the customer of a session (pure: no sockets, no disk).

A transfer goes ``offered`` → ``uploading`` → ``ready`` → ``received``, or ends ``cancelled``
or ``failed``. The sender offers name, size, type and sha256 first, so that an oversized or
disallowed file is refused before a byte moves; it then uploads the bytes in order (each
chunk says at which offset it starts, and must start where the relay's copy ends, so a
sender that lost its connection asks how much arrived and goes on from there); the relay
checks size and sha256 when the last byte arrives; the receiver downloads (with HTTP
``Range`` to resume) and confirms the sha256 it computed itself.

The spool files live in :mod:`relay_server.files.spool`; the Bottle routes in
:mod:`relay_server.files.routes` call this module and move bytes.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from relay_server.errors import Refused
from suite.files.names import safe_file_name

GIB = 1024**3
DEFAULT_MAX_FILE_BYTES = 2 * GIB
MAX_CHUNK_BYTES = 16 * 1024 * 1024
MAX_TYPE_CHARS = 120
TICKET_LIFETIME_S = 600.0
PROGRESS_INTERVAL_S = 0.25
MAX_OPEN_TRANSFERS = 8  # unfinished transfers per session: bounds what one session spools
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class TransferState(StrEnum):
    OFFERED = "offered"  # announced, no byte yet
    UPLOADING = "uploading"
    READY = "ready"  # every byte at the relay, sha256 checked: the receiver may download
    RECEIVED = "received"  # the receiver confirmed the sha256: done
    CANCELLED = "cancelled"
    FAILED = "failed"


FINISHED = frozenset((TransferState.RECEIVED, TransferState.CANCELLED, TransferState.FAILED))


@dataclass(frozen=True, slots=True)
class FileRules:
    """The relay's options for files: a size cap and, optionally, allowed extensions.

    Args:
        max_bytes: largest file accepted (Python ints: no 32-bit limit anywhere).
        allowed_extensions: lower-case extensions without the dot (``("pdf", "png")``);
            empty means every type is allowed.
    """

    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    allowed_extensions: tuple[str, ...] = ()

    def check(self, name: str, size: int) -> None:
        """Refuse a file before its upload.

        Raises:
            Refused: 413 ``file_too_large`` or 415 ``file_type_not_allowed``.
        """
        if size > self.max_bytes:
            raise Refused(
                "file_too_large",
                f"'{name}' is {human_size(size)}; this relay accepts files up to "
                f"{human_size(self.max_bytes)}",
            )
        if self.allowed_extensions:
            extension = name.rpartition(".")[2].lower() if "." in name else ""
            if extension not in self.allowed_extensions:
                allowed = ", ".join(f".{e}" for e in self.allowed_extensions)
                raise Refused(
                    "file_type_not_allowed",
                    f"'{name}' is not an allowed type; this relay accepts {allowed}",
                )


def human_size(size: int) -> str:
    """1536 → ``1.5 KiB``: sizes people read in messages."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_size(text: str) -> int:
    """``"2G"``, ``"500M"``, ``"64k"`` or a plain byte count → bytes (for the CLI flag).

    Raises:
        ValueError: not a size.
    """
    match = re.fullmatch(r"\s*(\d+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not match:
        raise ValueError(f"not a size: {text!r} (e.g. 2G, 500M, 1048576)")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": GIB, "t": 1024**4}[match[2].lower()]
    return int(match[1]) * factor


def parse_extensions(text: str) -> tuple[str, ...]:
    """``".pdf, PNG,jpg"`` → ``("pdf", "png", "jpg")`` (for the CLI flag)."""
    return tuple(
        sorted({part.strip().lstrip(".").lower() for part in text.split(",") if part.strip()})
    )


@dataclass(slots=True)
class Transfer:
    """One file on its way from ``sender`` to the other participant of ``session_id``."""

    id: str
    session_id: str
    sender: str  # "agent" or "customer"
    name: str  # already made safe with safe_file_name
    size: int
    type: str
    sha256: str
    created_at: float
    # Who offered it: the agent's participant id ("agent") or that customer's; several
    # customers share the role "customer", so only this tells which of them may write or
    # cancel it.
    sender_id: str = ""
    state: TransferState = TransferState.OFFERED
    uploaded: int = 0
    downloaded: int = 0  # the furthest byte the relay has served to the receiver
    error: str = ""
    cancelled_by: str = ""
    hasher: Any = field(default_factory=hashlib.sha256, repr=False)
    busy: bool = False  # a PUT is writing right now
    last_progress_at: float = 0.0

    @property
    def receiver(self) -> str:
        return "customer" if self.sender == "agent" else "agent"

    def chat_file(self) -> dict[str, Any]:
        """The ``file`` of the transfer's chat entry: what stays true for its whole life."""
        return {"id": self.id, "name": self.name, "size": self.size, "type": self.type}

    def view(self) -> dict[str, Any]:
        """The ``transfer`` object of the HTTP API and the ``file_*`` messages."""
        view = {
            "id": self.id,
            "session_id": self.session_id,
            "sender": self.sender,
            "sender_id": self.sender_id,
            "name": self.name,
            "size": self.size,
            "type": self.type,
            "sha256": self.sha256,
            "state": str(self.state),
            "uploaded": self.uploaded,
            "downloaded": self.downloaded,
            "created_at": self.created_at,
        }
        if self.error:
            view["error"] = self.error
        if self.cancelled_by:
            view["cancelled_by"] = self.cancelled_by
        return view

    def check_chunk(self, role: str, offset: int, length: int) -> None:
        """May ``role`` write ``length`` bytes at ``offset`` now?

        Raises:
            Refused: 403 ``not_sender``, 410 for a finished transfer, 409 ``upload_busy``
                (another upload of it runs), 409 ``bad_offset`` (the body says where to
                resume: ``uploaded``), 413 ``past_declared_size``, 413 ``chunk_too_large``.
        """
        if role != self.sender:
            raise Refused("not_sender", f"only the {self.sender} uploads this file")
        self._require_open()
        if self.state is TransferState.READY:
            raise Refused("already_uploaded", "every byte of this file has arrived")
        if self.busy:
            raise Refused("upload_busy", "another upload of this file is running; retry")
        if offset != self.uploaded:
            raise Refused(
                "bad_offset",
                f"the upload must go on at byte {self.uploaded}, not {offset}",
            )
        if length > MAX_CHUNK_BYTES:
            raise Refused(
                "chunk_too_large", f"a chunk may be at most {human_size(MAX_CHUNK_BYTES)}"
            )
        if offset + length > self.size:
            raise Refused(
                "past_declared_size",
                f"this chunk ends at byte {offset + length}, past the declared size {self.size}",
            )

    def wrote(self, data: bytes) -> None:
        """Account for bytes appended to the spool file (in order)."""
        self.hasher.update(data)
        self.uploaded += len(data)
        if self.state is TransferState.OFFERED:
            self.state = TransferState.UPLOADING

    def finish_upload(self) -> bool:
        """After the last byte: READY when the sha256 matches, else FAILED. Returns ok."""
        assert self.uploaded == self.size
        if self.hasher.hexdigest() != self.sha256:
            self.fail("the file changed on the way: its sha256 does not match the offer")
            return False
        self.state = TransferState.READY
        return True

    def check_download(self, role: str, early: bool = False) -> None:
        """Raises Refused unless ``role`` may download the file now.

        Both participants download while the session lives: the receiver, and the sender its
        own upload (once it is complete and checked), e.g. to open what it sent from the chat.

        Args:
            early: the receiver may start while the upload still runs (see
                :meth:`servable_end`); otherwise the file must be complete and checked.
        """
        if role not in (self.sender, self.receiver):
            raise Refused("not_participant", "only the session's participants download this file")
        if self.state in (TransferState.CANCELLED, TransferState.FAILED):
            self._require_open()
        if early and role == self.receiver and self.state in (
            TransferState.OFFERED, TransferState.UPLOADING,
        ):  # fmt: skip
            return
        if self.state not in (TransferState.READY, TransferState.RECEIVED):
            raise Refused("not_ready", "the file has not fully arrived at the relay yet")

    def servable_end(self, end: int) -> int:
        """How far (exclusive) a download may be served now, for a range ending at ``end``.

        While the upload runs, every byte that arrived except the file's last one: that byte
        is held back until the relay has checked the sha256, so a download that started early
        can never complete with bytes the relay would reject (it stops short instead).
        """
        if self.state in (TransferState.READY, TransferState.RECEIVED):
            return end
        return min(end, self.uploaded, self.size - 1)

    def confirm(self, role: str, sha256: Any) -> bool:
        """The receiver reports the sha256 it computed. Returns whether it matched.

        Raises:
            Refused: 403 ``not_receiver`` (the sender's own copies confirm nothing), not
                ready, or not a sha256.
        """
        if role != self.receiver:
            raise Refused("not_receiver", f"only the {self.receiver} confirms this file")
        self.check_download(role)
        if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
            raise Refused("bad_request", "'sha256' must be 64 lower-case hex digits")
        if sha256 != self.sha256:
            self.fail("the received copy is damaged: its sha256 does not match")
            return False
        self.state = TransferState.RECEIVED
        return True

    def check_sender(self, participant: str) -> None:
        """Is ``participant`` the one who offered it?

        Raises:
            Refused: 403 ``not_sender``.
        """
        if participant != self.sender_id:
            raise Refused("not_sender", "another participant offered this file")

    def cancel(self, role: str, participant: str = "") -> None:
        """``role`` cancels an unfinished transfer: the agent (or the relay) any, a customer
        only one that ``participant`` (its participant id) offered itself.

        Raises:
            Refused: 403 ``not_sender`` (a customer and another participant's file), 409
                ``already_finished``.
        """
        if role == "customer" and (self.sender != "customer" or participant != self.sender_id):
            raise Refused("not_sender", "only the participant who sent this file can cancel it")
        if self.state in FINISHED:
            raise Refused("already_finished", f"this transfer is already {self.state}")
        self.state = TransferState.CANCELLED
        self.cancelled_by = role

    def fail(self, reason: str) -> None:
        self.state = TransferState.FAILED
        self.error = reason

    def progress_due(self, now: float) -> bool:
        """Progress messages at most every PROGRESS_INTERVAL_S (always at the end)."""
        if now - self.last_progress_at >= PROGRESS_INTERVAL_S:
            self.last_progress_at = now
            return True
        return False

    def _require_open(self) -> None:
        if self.state is TransferState.CANCELLED:
            raise Refused("transfer_cancelled", f"the {self.cancelled_by} cancelled it")
        if self.state is TransferState.FAILED:
            raise Refused("transfer_failed", self.error)
        if self.state is TransferState.RECEIVED:
            raise Refused("transfer_finished", "this file was already received")


def parse_offer(
    body: dict[str, Any], rules: FileRules, check_only: bool = False
) -> tuple[str, int, str, str]:
    """Check an offer's fields and the relay's rules; returns (safe name, size, type, sha256).

    With ``check_only`` the sha256 may be missing: a sender asks whether a file would be
    accepted before spending time on hashing it (a browser hashes ~100 MB/s).

    Raises:
        Refused: 400 ``bad_request`` naming the field, 413/415 from :meth:`FileRules.check`.
    """
    name, size = body.get("name"), body.get("size")
    mime, sha256 = body.get("type") or "application/octet-stream", body.get("sha256")
    if not isinstance(name, str) or not name.strip() or len(name) > 1000:
        raise Refused("bad_request", "an offer requires 'name' (1-1000 characters)")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Refused("bad_request", "'size' must be a whole number of bytes (0 or more)")
    if not isinstance(mime, str) or len(mime) > MAX_TYPE_CHARS:
        raise Refused("bad_request", f"'type' must be text of at most {MAX_TYPE_CHARS}")
    if check_only and sha256 is None:
        sha256 = ""
    elif not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise Refused("bad_request", "'sha256' must be 64 lower-case hex digits")
    safe = safe_file_name(name)
    rules.check(safe, size)
    return safe, size, mime, sha256


class FileTransfers:
    """Every transfer of the live sessions, and the download tickets for browsers."""

    def __init__(self, rules: FileRules | Callable[[], FileRules]):
        # A getter reads the admin's current limits at each offer (AD4: no restart).
        self._rules = rules if callable(rules) else (lambda: rules)
        self._transfers: dict[str, Transfer] = {}
        # ticket -> (transfer id, expiry, role of the participant it was issued to)
        self._tickets: dict[str, tuple[str, float, str]] = {}

    @property
    def rules(self) -> FileRules:
        """The file limits now."""
        return self._rules()

    def offer(
        self, session_id: str, sender: str, body: dict[str, Any], now: float, sender_id: str = ""
    ) -> Transfer:
        """Record an offer by ``sender`` (its role); ``sender_id`` is the offering customer's
        participant id (the agent's is its role).

        Raises:
            Refused: a bad or refused offer (see :func:`parse_offer`), or 429
                ``too_many_transfers`` while MAX_OPEN_TRANSFERS of the session are unfinished.
        """
        name, size, mime, sha256 = parse_offer(body, self.rules)  # the limits of this moment
        open_count = sum(t.state not in FINISHED for t in self.of_session(session_id))
        if open_count >= MAX_OPEN_TRANSFERS:
            raise Refused(
                "too_many_transfers",
                f"{open_count} files are still on their way; wait for one to finish or cancel one",
            )
        return self._add(Transfer(secrets.token_urlsafe(16), session_id, sender, name, size,
                                  mime, sha256, now, _sender_id(sender, sender_id)))  # fmt: skip

    def add_ready(
        self, session_id: str, sender: str, name: str, size: int, sha256: str, now: float
    ) -> Transfer:
        """A file already on the relay (a reservation's material, A11): ready at once; the
        caller puts its bytes at the spool path of the returned transfer's id."""
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        transfer = Transfer(secrets.token_urlsafe(16), session_id, sender, name, size, mime,
                            sha256, now, _sender_id(sender, ""), state=TransferState.READY,
                            uploaded=size)  # fmt: skip
        return self._add(transfer)

    def restore(self, transfer: Transfer) -> None:
        """A finished file of a session taken over from another node (relay_server/files/
        kept.py): its bytes come from the store."""
        self._add(transfer)

    def _add(self, transfer: Transfer) -> Transfer:
        self._transfers[transfer.id] = transfer
        return transfer

    def find(self, transfer_id: str, session_id: str) -> Transfer:
        """The transfer, only when it belongs to ``session_id``.

        Raises:
            Refused: 404 ``transfer_not_found`` (also for another session's transfer: it
                does not exist as far as this caller may know).
        """
        transfer = self._transfers.get(transfer_id)
        if transfer is None or transfer.session_id != session_id:
            raise Refused("transfer_not_found", "no such file transfer in this session")
        return transfer

    def get(self, transfer_id: str) -> Transfer | None:
        return self._transfers.get(transfer_id)

    def of_session(self, session_id: str) -> list[Transfer]:
        return [t for t in self._transfers.values() if t.session_id == session_id]

    def forget_session(self, session_id: str) -> list[Transfer]:
        """Drop a session's transfers (it ended); returns them so their spools go too."""
        gone = self.of_session(session_id)
        for transfer in gone:
            del self._transfers[transfer.id]
        gone_ids = {t.id for t in gone}
        self._tickets = {k: v for k, v in self._tickets.items() if v[0] not in gone_ids}
        return gone

    def issue_ticket(self, transfer: Transfer, role: str, now: float) -> tuple[str, float]:
        """A short-lived URL token that allows ``role`` to download this one file, and its
        expiry (the role decides whether the download counts as the receiver's)."""
        self._tickets = {k: v for k, v in self._tickets.items() if v[1] > now}
        ticket = secrets.token_urlsafe(24)
        expires_at = now + TICKET_LIFETIME_S
        self._tickets[ticket] = (transfer.id, expires_at, role)
        return ticket, expires_at

    def redeem(self, ticket: str, transfer_id: str, now: float) -> tuple[Transfer, str]:
        """The transfer a ticket opens, and the role it was issued to.

        Raises:
            Refused: 401 ``bad_ticket`` (unknown, expired, or for another file).
        """
        found = self._tickets.get(ticket)
        if found is None or found[0] != transfer_id or found[1] <= now:
            raise Refused("bad_ticket", "this download link has expired; ask for a new one")
        transfer = self._transfers.get(transfer_id)
        if transfer is None:
            raise Refused("transfer_not_found", "no such file transfer")
        return transfer, found[2]


# ASCII digits only (``\d`` would take other scripts' digits too), at most 19 of them: a
# position past 10**19 bytes is read as 10**19 (past the end of any file), so a 5,000-digit
# number neither reaches int()'s digit limit (ValueError) nor costs its quadratic time.
_RANGE_RE = re.compile(r"\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*")
MAX_RANGE_DIGITS = 19


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= MAX_RANGE_DIGITS else 10**MAX_RANGE_DIGITS


class RangeNotSatisfiable(ValueError):
    """A ``Range`` header that asks for bytes the file does not have (answer 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Parse an HTTP ``Range`` header for a file of ``size`` bytes.

    Only one range is supported (``bytes=0-``, ``bytes=100-199``, ``bytes=-500``): enough to
    resume a download, and what every browser sends. A header that is not a byte range is
    ignored (the whole file is sent), as RFC 9110 allows.

    Returns:
        ``(start, end)`` with ``end`` exclusive, or None for the whole file.

    Raises:
        RangeNotSatisfiable: the range starts at or past the end of the file.
    """
    if not header:
        return None
    match = _RANGE_RE.fullmatch(header)
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:  # suffix: the last N bytes
        length = _position(match[2])
        if length == 0:
            raise RangeNotSatisfiable(f"bytes=-{match[2][:20]} asks for nothing")
        return max(0, size - length), size
    start = _position(match[1])
    end = _position(match[2]) + 1 if match[2] else size
    if start >= size:
        raise RangeNotSatisfiable(f"the file has {size} bytes; the range starts at {start}")
    if end <= start:
        return None  # an invalid last-byte-pos: ignore the header
    return start, min(end, size)


def _sender_id(sender: str, sender_id: str) -> str:
    """The agent's participant id is its role ("agent"); a customer's is given."""
    return sender_id or (sender if sender == "agent" else "")
