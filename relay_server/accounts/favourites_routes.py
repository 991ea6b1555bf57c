"""HTTP routes of an agent's favourites (A9, CH7): ``/api/me/favourites/...``, and sending a
favourite document into a live session as a chat file.

A thin shell over :class:`favourites.Favourites`: each route authenticates the bearer token,
changes the account's favourites and answers once the change is durable. A document is
uploaded as the raw request body (``?name=``, ``Content-Type``, ``Content-Length``) under the
relay's file rules (size cap, allowed extensions) and the per-agent quota. Contract in
docs/protocol.md, *Favourites*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, BinaryIO

import bottle
import gevent

from relay_server.accounts.favourites import FAVOURITES, Favourites
from relay_server.accounts.favourites_rules import FavouritesError
from relay_server.errors import Refused
from relay_server.files.transfers import MAX_TYPE_CHARS
from relay_server.hub.changes import Listen
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route
from suite.files.names import safe_file_name
from suite.protocol import FileFailed, FileOffered, FileReady

logger = logging.getLogger(__name__)

MAX_LINKS_BODY_BYTES = 512 * 1024
MAX_SMALL_BODY_BYTES = 8 * 1024


def install_favourites_routes(
    app: bottle.Bottle,
    relay: Relay,
    clock: Callable[[], float],
    listen: Listen | None = None,
) -> Favourites:
    """Add the routes to the relay's Bottle ``app``; returns the store-backed favourites."""
    favourites = Favourites(relay.store, relay.store.folder / "favourites")
    if listen is not None:  # several nodes: another node changed rows of the table
        listen(FAVOURITES, favourites.changed)
    api = json_route()

    def username() -> str:
        return bearer_principal(
            relay.accounts, bottle.request.get_header("Authorization"), clock()
        ).username

    def refused(error: FavouritesError) -> Refused:
        return Refused(error.code, error.message)

    @app.get("/api/me/favourites")
    @api
    def get_favourites():
        return favourites.view(username())

    @app.put("/api/me/favourites/links")
    @api
    def put_links():
        who = username()
        body = json_body(MAX_LINKS_BODY_BYTES)
        try:
            saved = favourites.put_links(who, body.get("links"), clock())
        except FavouritesError as error:
            raise refused(error) from None
        relay.wait_durable()
        return saved

    @app.post("/api/me/favourites/documents")
    @api
    def add_document():
        who = username()
        name = bottle.request.query.getunicode("name", "") or ""
        if not name.strip() or len(name) > 1000:
            raise Refused("bad_request", "give the document's name as '?name=' (1-1000 characters)")
        length_header = bottle.request.environ.get("CONTENT_LENGTH", "")
        if not length_header.isdigit():
            raise Refused("length_required", "a document upload needs a Content-Length header")
        size = int(length_header)
        mime = (bottle.request.content_type or "application/octet-stream").split(";")[0].strip()
        if len(mime) > MAX_TYPE_CHARS:
            raise Refused("bad_request", f"the Content-Type must be at most {MAX_TYPE_CHARS}")
        relay.files.rules.check(safe_file_name(name), size)  # the same limits as chat files
        try:
            favourites.check_room(who, size)  # before reading a byte
            document = favourites.add_document(
                who,
                name,
                mime,
                bottle.request.environ["wsgi.input"],
                size,
                clock(),
                pause=lambda: gevent.sleep(0),
            )
        except FavouritesError as error:
            raise refused(error) from None
        relay.wait_durable()
        bottle.response.status = 201
        return {"document": document}

    @app.patch("/api/me/favourites/documents/<document_id>")
    @api
    def rename_document(document_id: str):
        who = username()
        body = json_body(MAX_SMALL_BODY_BYTES)
        try:
            document = favourites.rename_document(who, document_id, body.get("name"), clock())
        except FavouritesError as error:
            raise refused(error) from None
        relay.wait_durable()
        return {"document": document}

    @app.put("/api/me/favourites/documents/order")
    @api
    def order_documents():
        who = username()
        body = json_body(MAX_LINKS_BODY_BYTES)
        try:
            saved = favourites.order_documents(who, body.get("order"), clock())
        except FavouritesError as error:
            raise refused(error) from None
        relay.wait_durable()
        return saved

    @app.delete("/api/me/favourites/documents/<document_id>")
    @api
    def remove_document(document_id: str):
        who = username()
        try:
            favourites.remove_document(who, document_id, clock())
        except FavouritesError as error:
            raise refused(error) from None
        relay.wait_durable()

    @app.post("/api/sessions/<session_id>/favourites/<document_id>")
    @api
    def send_document(session_id: str, document_id: str):
        """The relay copies the document into the session's files: a chat file of the agent,
        ready at once (its sha256 is the one computed when it was kept)."""
        who = username()
        session = relay.directory.sessions.get(session_id)
        if session is None or session.agent_username != who:
            raise Refused("session_not_found", "no such live support session of yours")
        if not session.customers:
            raise Refused("no_customer", "no customer has joined this session yet")
        try:
            document = favourites.document(who, document_id)
            source = favourites.open(document_id)  # from the database if another node has it
        except FavouritesError as error:
            raise refused(error) from None
        with source:
            return send_kept(session, document, source)

    def send_kept(session: Any, document: dict[str, Any], source: BinaryIO) -> dict[str, Any]:
        """Copy the open kept document into the session's files and announce it."""
        offer = {k: document[k] for k in ("name", "size", "type", "sha256")}
        transfer = relay.files.offer(session.id, "agent", offer, clock())
        relay.post_file(session, "agent", transfer, clock())
        broadcast(session.id, FileOffered(transfer=transfer.view()).to_frame())
        relay.file_spool.create(transfer.id)
        relay.file_spool.append(transfer.id, source, transfer.size, transfer.wrote)
        if transfer.uploaded == transfer.size and transfer.finish_upload():
            relay.keep_file(transfer)  # on PostgreSQL: a node taking the session over has it
            broadcast(session.id, FileReady(transfer=transfer.view()).to_frame())
        else:  # the kept file changed on disk: never send damaged bytes
            if transfer.uploaded != transfer.size:
                transfer.fail("the kept document is shorter than recorded")
            relay.file_spool.delete(transfer.id)
            broadcast(session.id, FileFailed(transfer=transfer.view()).to_frame())
            raise Refused("checksum_mismatch", "the kept document is damaged; add it again")
        logger.info(
            "favourite sent",
            extra={"session_id": session.id, "transfer": transfer.id, "size": transfer.size},
        )
        bottle.response.status = 201
        return {"transfer": transfer.view()}

    def broadcast(session_id: str, frame: str) -> None:
        """To the chat sockets and the customer's viewers, as the file routes do."""
        room = relay.rooms.find(session_id)
        if room is not None:
            room.broadcast(frame)
        for member in relay.screens.viewers_of(session_id):
            member.send(frame)

    return favourites
