"""Bottle routes of the shared whiteboard (CH3): the board as a BMP, and the image a replaced
board leaves in the session's file list.

``GET /api/sessions/<id>/whiteboard.bmp`` renders the board on the relay
(``relay_server/whiteboard/render.py``), so every side saves the identical file. The caller
authenticates as for files: ``Authorization: Bearer <agent token>`` or ``Customer <token>``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable

import bottle

from relay_server.accounts.photos import sniff
from relay_server.errors import Refused
from relay_server.sessions.relay import Relay
from relay_server.sessions.supports import SupportSession
from relay_server.web.authorization import bearer_principal, parse_authorization
from relay_server.web.http_bodies import error_reply, json_route
from relay_server.whiteboard.images import ImageRefused
from relay_server.whiteboard.render import to_bmp, to_png
from suite.protocol import FileOffered, FileReady
from suite.whiteboard.model import MAX_IMAGE_BYTES, Element

logger = logging.getLogger(__name__)


def install_whiteboard_routes(
    app: bottle.Bottle, relay: Relay, clock: Callable[[], float] = time.time
) -> None:
    """Add the whiteboard routes to the relay's Bottle ``app`` and give the boards their
    archive (a replaced board becomes a PNG in the session's file list)."""

    def caller(session_id: str) -> SupportSession:
        header = bottle.request.get_header("Authorization")
        scheme, token = parse_authorization(header)
        if scheme == "Bearer":
            principal = bearer_principal(relay.accounts, header, clock())
            session = relay.directory.sessions.get(session_id)
            if session is None or session.agent_username != principal.username:
                raise Refused("session_not_found", "no such live support session of yours")
            return session
        if scheme == "Customer":
            session = relay.directory.by_customer_token(token) if token else None
            if session is None:
                raise Refused("unauthorized", "this link to the session is no longer valid")
            if session.id != session_id:
                raise Refused("session_not_found", "no such live support session of yours")
            return session
        raise Refused("unauthorized", "send 'Authorization: Bearer <token>' or 'Customer <token>'")

    api = json_route()

    @app.get("/api/sessions/<session_id>/whiteboard.bmp")
    def whiteboard_bmp(session_id: str):
        try:
            session = caller(session_id)
            board = relay.whiteboards.board_of(session.id)
            if board is None:
                raise Refused("whiteboard_not_found", "this session has no whiteboard")
        except Refused as refused:
            return error_reply(refused)
        data = to_bmp(board.elements.values(), pictures(session.id))
        bottle.response.content_type = "image/bmp"
        bottle.response.set_header("Cache-Control", "no-store")
        bottle.response.set_header(
            "Content-Disposition", f'attachment; filename="whiteboard-{board.number}.bmp"'
        )
        return data

    def pictures(session_id: str) -> Callable[[str], bytes | None]:
        return lambda image_id: relay.board_images.get(session_id, image_id)

    @app.put("/api/sessions/<session_id>/whiteboard/images")
    @api
    def put_image(session_id: str):
        session = caller(session_id)
        if bottle.request.content_length > MAX_IMAGE_BYTES:
            raise Refused("image_too_large", f"a picture may be at most {MAX_IMAGE_BYTES} bytes")
        data = bottle.request.body.read(MAX_IMAGE_BYTES + 1)
        try:
            image_id, width, height = relay.board_images.put(session.id, data)
        except ImageRefused as refused:
            raise Refused(refused.code, refused.message) from None
        bottle.response.status = 201
        return {"image": image_id, "width": width, "height": height}

    @app.get("/api/sessions/<session_id>/whiteboard/images/<image_id>")
    def get_image(session_id: str, image_id: str):
        try:
            session = caller(session_id)
            data = relay.board_images.get(session.id, image_id)
            if data is None:
                raise Refused("image_not_found", "no such picture on this whiteboard")
        except Refused as refused:
            return error_reply(refused)
        bottle.response.content_type = sniff(data)[1]
        bottle.response.set_header("Cache-Control", "private, max-age=3600")
        return data

    def archive(session_id: str, number: int, elements: list[Element]) -> None:
        """Keep a replaced board as ``whiteboard-N.png`` in the file list, from the agent."""
        session = relay.directory.sessions.get(session_id)
        if session is None:
            return
        png = to_png(elements, pictures(session_id))
        offer = {
            "name": f"whiteboard-{number}.png",
            "size": len(png),
            "type": "image/png",
            "sha256": hashlib.sha256(png).hexdigest(),
        }
        try:
            transfer = relay.files.offer(session_id, "agent", offer, clock())
        except Refused as refused:  # the operator's file rules refuse PNGs, or too many
            logger.warning("a replaced whiteboard was not kept: %s", refused.message)
            return
        relay.file_spool.create(transfer.id)
        relay.file_spool.append(transfer.id, io.BytesIO(png), len(png), transfer.wrote)
        transfer.finish_upload()
        relay.keep_file(transfer)  # on PostgreSQL: the node taking the session over serves it
        relay.post_file(session, "agent", transfer, clock())
        for message in (FileOffered, FileReady):
            relay._to_chat(session_id, message(transfer=transfer.view()).to_frame())

    relay.whiteboards.archive = archive
