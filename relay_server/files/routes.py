"""Bottle routes for files both ways (P4): offer, chunked upload, ranged download, confirm.

The contract is the *Files* section of ``docs/protocol.md``. The rules live in
:mod:`relay_server.files.transfers` (pure) and the bytes in :mod:`relay_server.files.spool`;
these routes authenticate the caller, move bytes piece by piece (never a whole body in
memory: the upload is read from ``wsgi.input``, the download is a generator), and tell both
participants on the session's chat channel (``file_*`` messages).

Callers authenticate with ``Authorization: Bearer <agent token>`` or ``Authorization:
Customer <customer token>``; a browser's download link carries a short-lived ``ticket``
instead, which opens one file and nothing else.
"""

from __future__ import annotations

import itertools
import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import bottle
import gevent
from gevent.event import Event

from relay_server.errors import Refused
from relay_server.files.transfers import (
    RangeNotSatisfiable,
    Transfer,
    TransferState,
    parse_offer,
    parse_range,
)
from relay_server.sessions.relay import Relay
from relay_server.sessions.supports import AGENT_PARTICIPANT_ID, SupportSession, customer_id
from relay_server.web.authorization import bearer_principal, parse_authorization
from relay_server.web.http_bodies import error_reply, json_body, json_route, refused_input
from relay_server.web.proxy_headers import AFFINITY_HEADER
from suite.protocol import (
    FileCancelled,
    FileFailed,
    FileOffered,
    FileProgress,
    FileReady,
    FileReceived,
)

TransferMessage = FileOffered | FileReady | FileReceived | FileCancelled | FileFailed

logger = logging.getLogger(__name__)

MAX_OFFER_BODY_BYTES = 8 * 1024
UPLOAD_WAIT_S = 30.0  # an early download waits this long for the next bytes, then ends short


def install_file_routes(
    app: bottle.Bottle, relay: Relay, clock: Callable[[], float] = time.time
) -> None:
    """Add the file routes to the relay's Bottle ``app``."""
    files, spool = relay.files, relay.file_spool

    def offer_body() -> dict[str, Any]:
        return json_body(MAX_OFFER_BODY_BYTES)

    def caller(session_id: str) -> tuple[str, SupportSession]:
        """Who calls, as ``(role, session)``; the session must be live and theirs."""
        header = bottle.request.get_header("Authorization")
        scheme, token = parse_authorization(header)
        if scheme == "Bearer":
            principal = bearer_principal(relay.accounts, header, clock())
            session = relay.directory.sessions.get(session_id)
            if session is None or session.agent_username != principal.username:
                raise Refused("session_not_found", "no such live support session of yours")
            return "agent", session
        if scheme == "Customer":
            session = relay.directory.by_customer_token(token) if token else None
            if session is None:
                raise Refused("unauthorized", "this link to the session is no longer valid")
            if session.id != session_id:
                raise Refused("session_not_found", "no such live support session of yours")
            return "customer", session
        raise Refused("unauthorized", "send 'Authorization: Bearer <token>' or 'Customer <token>'")

    # Several customers per session share the role "customer": each transfer keeps the
    # participant that offered it (``sender_id``), so another customer of the session can
    # neither write into it nor cancel it.
    def caller_participant() -> str:
        scheme, token = parse_authorization(bottle.request.get_header("Authorization"))
        return customer_id(token) if scheme == "Customer" and token else AGENT_PARTICIPANT_ID

    def transfer_for_caller(transfer_id: str) -> tuple[str, Transfer]:
        """The transfer and the caller's role; another session's transfer is 'not found'."""
        found = files.get(transfer_id)
        if found is None and (session_id := relay.kept_files.session_of(transfer_id)):
            # A file kept in the store whose session this node does not serve: taken over
            # here when its node is gone (else 409 wrong_node); the balancer learns it.
            relay.ensure_owned(session_id)
            found = files.get(transfer_id)
            if found is not None:
                bottle.response.set_header(AFFINITY_HEADER, transfer_id)
        # Authenticate against the transfer's session when it exists; an unknown id still
        # needs a valid caller first so that probing ids without a token learns nothing.
        if found is None:
            scheme, _ = parse_authorization(bottle.request.get_header("Authorization"))
            if scheme not in ("Bearer", "Customer"):
                caller("")
            raise Refused("transfer_not_found", "no such file transfer in this session")
        try:
            role, session = caller(found.session_id)
        except Refused as refused:
            if refused.code == "session_not_found":
                raise Refused(
                    "transfer_not_found", "no such file transfer in this session"
                ) from None
            raise
        return role, files.find(transfer_id, session.id)

    # Downloads that started before the upload ended wait on their transfer's Event; each
    # write sets it and puts a fresh one in its place, so no wake-up is ever lost.
    arrivals: dict[str, Event] = {}

    def wake_downloads(transfer: Transfer) -> None:
        waiting = arrivals.pop(transfer.id, None)
        if waiting is not None:
            waiting.set()

    def broadcast(session_id: str, frame: str) -> None:
        """To both chat sockets, and to the customer's viewers (files can be dropped there)."""
        room = relay.rooms.find(session_id)
        if room is not None:
            room.broadcast(frame)
        for member in relay.screens.viewers_of(session_id):
            member.send(frame)

    def tell(transfer: Transfer, message: type[TransferMessage]) -> None:
        broadcast(transfer.session_id, message(transfer=transfer.view()).to_frame())

    def progress(transfer: Transfer) -> None:
        update = FileProgress(transfer.id, transfer.uploaded, transfer.downloaded, transfer.size)
        broadcast(transfer.session_id, update.to_frame())

    api = json_route()

    @app.post("/api/sessions/<session_id>/files")
    @api
    def offer(session_id: str):
        role, session = caller(session_id)
        if not session.customers:
            raise Refused("no_customer", "no customer has joined this session yet")
        offer = offer_body()
        if offer.get("check") is True:  # "would you take it?" before the sender hashes it
            name, size, _, _ = parse_offer(offer, files.rules, check_only=True)
            return {"allowed": True, "name": name, "size": size}
        transfer = files.offer(session.id, role, offer, clock(), caller_participant())
        logger.info(
            "file offered",
            extra={"session_id": session.id, "transfer": transfer.id, "size": transfer.size},
        )
        # The file's place in the conversation: a chat entry, stored like a message, so a
        # late or reconnecting side gets it in its replay (its state comes from the list).
        relay.post_file(session, role, transfer, clock(), caller_participant())
        tell(transfer, FileOffered)
        # Behind several relays, the balancer sends /api/files/<id>/... here, to the bytes.
        bottle.response.set_header(AFFINITY_HEADER, transfer.id)
        bottle.response.status = 201
        return {"transfer": transfer.view()}

    @app.get("/api/sessions/<session_id>/files")
    @api
    def list_files(session_id: str):
        _, session = caller(session_id)
        return {"transfers": [t.view() for t in files.of_session(session.id)]}

    @app.get("/api/files/<transfer_id>")
    @api
    def status(transfer_id: str):
        return {"transfer": transfer_for_caller(transfer_id)[1].view()}

    @app.put("/api/files/<transfer_id>/content")
    @api
    def upload(transfer_id: str):
        role, transfer = transfer_for_caller(transfer_id)
        transfer.check_sender(caller_participant())
        try:
            offset = int(bottle.request.query.get("offset", ""))
        except ValueError:
            raise Refused(
                "bad_offset", "give the chunk's byte '?offset=' as a number", status=400
            ) from None
        length_header = bottle.request.environ.get("CONTENT_LENGTH", "")
        if not length_header.isdigit():
            raise Refused("length_required", "a chunk needs a Content-Length header")
        length = int(length_header)
        if offset < 0:
            raise Refused("bad_offset", "the offset cannot be negative", status=400)
        try:
            transfer.check_chunk(role, offset, length)
        except Refused as refused:
            if refused.code != "bad_offset":
                raise
            raise Refused(
                refused.code, refused.message,
                details={"uploaded": transfer.uploaded},  # where the resumed upload must start
            ) from None  # fmt: skip
        transfer.busy = True

        def wrote(piece: bytes) -> None:
            transfer.wrote(piece)
            wake_downloads(transfer)
            if transfer.progress_due(clock()):
                progress(transfer)
            gevent.sleep(0)  # a fast sender must not hold the event loop for a whole chunk

        try:
            spool.append(transfer.id, bottle.request.environ["wsgi.input"], length, wrote)
        finally:
            transfer.busy = False
        if transfer.state is TransferState.CANCELLED:  # cancelled while the chunk came in
            spool.delete(transfer.id)
            raise Refused("transfer_cancelled", f"the {transfer.cancelled_by} cancelled it")
        if transfer.uploaded == transfer.size:
            progress(transfer)
            ok = transfer.finish_upload()
            if ok:  # on PostgreSQL, in the store before anyone hears it is ready
                relay.keep_file(transfer)
            wake_downloads(transfer)  # early downloads get the last byte, or stop short
            if ok:
                tell(transfer, FileReady)
            else:
                spool.delete(transfer.id)
                tell(transfer, FileFailed)
                raise Refused("checksum_mismatch", transfer.error)
        return {"transfer": transfer.view()}

    @app.get("/api/files/<transfer_id>/content")
    def download(transfer_id: str):
        ticket = bottle.request.query.get("ticket", "")
        try:
            if ticket:
                transfer, role = files.redeem(ticket, transfer_id, clock())
            else:
                role, transfer = transfer_for_caller(transfer_id)
            # The app's downloader may start while the upload runs; a browser link waits.
            transfer.check_download(role, early=not ticket)
            # A file sent before this node took the session over: its bytes from the store.
            if transfer.state in (TransferState.READY, TransferState.RECEIVED):
                relay.kept_files.spooled(transfer)
            byte_range = parse_range(bottle.request.get_header("Range"), transfer.size)
        except Refused as refused:
            return error_reply(refused)
        except RangeNotSatisfiable as error:
            refused_input("range", str(error))
            bottle.response.set_header("Content-Range", f"bytes */{transfer.size}")
            return error_reply(Refused("range_not_satisfiable", str(error)))
        start, end = byte_range or (0, transfer.size)
        bottle.response.status = 206 if byte_range else 200
        if byte_range:
            bottle.response.set_header("Content-Range", f"bytes {start}-{end - 1}/{transfer.size}")
        bottle.response.set_header("Accept-Ranges", "bytes")
        bottle.response.set_header("Content-Length", str(end - start))
        bottle.response.set_header("Content-Type", "application/octet-stream")
        bottle.response.set_header("Cache-Control", "no-store")
        bottle.response.set_header("Content-Disposition", _attachment(transfer.name))
        # A download that ends short (cancelled, failed, sender stalled) must look broken to
        # the client at once: closing the connection does that; keep-alive would leave it
        # waiting for the promised bytes until its timeout.
        bottle.response.set_header("Connection", "close")
        if bottle.request.method == "HEAD":
            return ""
        return _stream(
            transfer,
            start,
            end,
            by_receiver_ticket=bool(ticket) and role == transfer.receiver,
            by_receiver=role == transfer.receiver,
        )

    def open_pieces(transfer_id: str, start: int, end: int):
        """The spool's piece reader, with the file opened now (so a deleted one fails here)."""
        reader = spool.read(transfer_id, start, end)
        first = next(reader, None)
        if first is None:
            return iter(())
        return itertools.chain((first,), reader)

    def _stream(
        transfer: Transfer, start: int, end: int, by_receiver_ticket: bool, by_receiver: bool
    ):
        """The bytes ``start``..``end``; only the receiver's download moves ``downloaded``
        (the sender fetching its own copy is no progress of the transfer)."""
        position = start
        while position < end:
            if transfer.state in (TransferState.CANCELLED, TransferState.FAILED):
                return  # the response ends short: the receiver sees an incomplete download
            arrived = arrivals.setdefault(transfer.id, Event())
            limit = transfer.servable_end(end)
            if position >= limit:
                if not arrived.wait(timeout=UPLOAD_WAIT_S):
                    return  # the sender stalled; the receiver retries from where it is
                continue
            try:
                pieces = open_pieces(transfer.id, position, limit)
            except FileNotFoundError:  # cancelled or ended meanwhile
                return
            for piece in pieces:
                yield piece
                position += len(piece)
                if by_receiver and position > transfer.downloaded:
                    transfer.downloaded = position
                    if transfer.progress_due(clock()) or position == transfer.size:
                        progress(transfer)
        if transfer.state not in (TransferState.OFFERED, TransferState.UPLOADING):
            arrivals.pop(transfer.id, None)  # nobody needs to wait for this one any more
        if (
            by_receiver_ticket
            and position == transfer.size
            and transfer.state is TransferState.READY
        ):
            # A browser cannot check the sha256 of a download it saves itself: the relay
            # checked it on upload and served every byte; that is as far as it can go.
            transfer.state = TransferState.RECEIVED
            relay.kept_files.received(transfer)
            tell(transfer, FileReceived)

    @app.post("/api/files/<transfer_id>/ticket")
    @api
    def ticket(transfer_id: str):
        role, transfer = transfer_for_caller(transfer_id)
        transfer.check_download(role)
        token, expires_at = files.issue_ticket(transfer, role, clock())
        query = urllib.parse.urlencode({"ticket": token})
        return {"url": f"/api/files/{transfer.id}/content?{query}", "expires_at": expires_at}

    @app.post("/api/files/<transfer_id>/received")
    @api
    def received(transfer_id: str):
        role, transfer = transfer_for_caller(transfer_id)
        if transfer.confirm(role, offer_body().get("sha256")):
            # The spool stays until the session ends: both sides may download it again.
            relay.kept_files.received(transfer)
            tell(transfer, FileReceived)
            return {"transfer": transfer.view()}
        spool.delete(transfer.id)
        relay.kept_files.forget(transfer)
        tell(transfer, FileFailed)
        raise Refused("checksum_mismatch", transfer.error)

    @app.delete("/api/files/<transfer_id>")
    @api
    def cancel(transfer_id: str):
        role, transfer = transfer_for_caller(transfer_id)
        # The agent may cancel any file; a customer only its own: the agent's file is there
        # for every customer of the session, and another customer's is not theirs to stop.
        transfer.cancel(role, caller_participant())
        wake_downloads(transfer)
        spool.delete(transfer.id)
        relay.kept_files.forget(transfer)
        tell(transfer, FileCancelled)
        return {"transfer": transfer.view()}


def _attachment(name: str) -> str:
    """A Content-Disposition that keeps non-ASCII names (RFC 6266 ``filename*``)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
