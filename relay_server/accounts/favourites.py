"""An agent's favourite links and documents, stored with the account on the relay (A9, CH7).

One document per account in the store's ``favourites`` table: ``{username, links, documents,
updated_at}``; ``documents`` holds each kept file's ``{id, name, size, type, sha256,
added_at}`` and its bytes are ``<data folder>/favourites/<id>.bin`` (ids are random, so one
agent cannot name another's file). The rules are in ``favourites_rules.py``, the routes in
``favourites_routes.py``.

Several nodes (a PostgreSQL store): the node that receives a document also stores its bytes
in the database (``store.shared_files``, relay_server/store/shared_files.py, named
``favourites/<id>``), so any node serving the agent can send it: a node without its own copy
fetches it into its folder on first use (:meth:`Favourites.open`). A removed document goes
from the database and, once the other nodes hear of the change, from their folders.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from relay_server.accounts.favourites_rules import (
    FavouritesError,
    check_document_room,
    check_links,
    new_id,
    reorder,
)
from relay_server.store import Store
from suite.files.names import safe_file_name

FAVOURITES = "favourites"
PIECE_BYTES = 256 * 1024
SHARED_PREFIX = "favourites/"  # their names among the store's shared files


class Favourites:
    """Links and documents per account, over the store and a folder of files."""

    def __init__(self, store: Store, folder: Path):
        self.store = store
        self.shared = store.shared_files
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._doc_ids: dict[str, int] = {
            doc["username"]: doc.doc_id for doc in store.all(FAVOURITES)
        }
        kept = self._sweep()
        if self.shared is not None:
            self.shared.sweep(SHARED_PREFIX, [SHARED_PREFIX + k for k in kept])

    def _sweep(self, uploads_running: bool = False) -> set[str]:
        """Delete files no account lists (an upload cut off by a restart; a document another
        node removed), but not those being written when ``uploads_running``; returns the ids
        of the listed documents."""
        kept = {d["id"] for doc in self.store.all(FAVOURITES) for d in doc["documents"]}
        for path in self.folder.iterdir():
            if uploads_running and path.suffix != ".bin":
                continue  # a .part being uploaded, a copy being fetched
            if path.stem not in kept:
                path.unlink(missing_ok=True)
        return kept

    def changed(self, doc_ids: list[int] | None) -> None:
        """Several nodes: another node wrote these rows (the store has read them again; all
        for ``None``): an account's first row written there is found here too."""
        if doc_ids is None:
            self._doc_ids = {doc["username"]: doc.doc_id for doc in self.store.all(FAVOURITES)}
        else:
            for doc_id in doc_ids:
                doc = self.store.get(FAVOURITES, doc_id)
                if doc is not None:
                    self._doc_ids.setdefault(doc["username"], doc_id)
                else:
                    self._doc_ids = {u: i for u, i in self._doc_ids.items() if i != doc_id}
        self._sweep(uploads_running=True)  # this node's copies of documents removed there

    def _doc(self, username: str) -> dict[str, Any]:
        doc_id = self._doc_ids.get(username)
        doc = self.store.get(FAVOURITES, doc_id) if doc_id is not None else None
        return dict(doc) if doc else {"links": [], "documents": []}

    def _write(self, username: str, fields: dict[str, Any], now: float) -> None:
        fields = {**fields, "updated_at": now}
        doc_id = self._doc_ids.get(username)
        if doc_id is None:
            base = {"username": username, "links": [], "documents": []}
            self._doc_ids[username] = self.store.insert(FAVOURITES, {**base, **fields})
        else:
            self.store.update(FAVOURITES, doc_id, fields)

    def path(self, document_id: str) -> Path:
        return self.folder / f"{document_id}.bin"

    def view(self, username: str) -> dict[str, Any]:
        """``{links, documents}`` of the account."""
        doc = self._doc(username)
        return {"links": doc["links"], "documents": doc["documents"]}

    # -- links -----------------------------------------------------------------------------

    def put_links(self, username: str, value: Any, now: float) -> dict[str, Any]:
        """Replace the list of links (add, rename, reorder, remove).

        Raises:
            FavouritesError: a bad list (nothing is stored).
        """
        self._write(username, {"links": check_links(value)}, now)
        return self.view(username)

    # -- documents -------------------------------------------------------------------------

    def document(self, username: str, document_id: str) -> dict[str, Any]:
        """One of the account's documents.

        Raises:
            FavouritesError: ``favourite_not_found`` (also for another agent's id).
        """
        for document in self._doc(username)["documents"]:
            if document["id"] == document_id:
                return dict(document)
        raise FavouritesError("favourite_not_found", "no such favourite document of yours")

    def check_room(self, username: str, size: int) -> None:
        check_document_room(self._doc(username)["documents"], size)

    def add_document(
        self,
        username: str,
        name: str,
        mime: str,
        source: BinaryIO,
        size: int,
        now: float,
        pause: Callable[[], None] = lambda: None,
    ) -> dict[str, Any]:
        """Keep a file: its bytes are read from ``source`` (exactly ``size`` of them), hashed,
        written to a temporary file and moved in place; the list changes only then.

        Raises:
            FavouritesError: ``favourites_full``; ``bad_request`` when the body ends short.
        """
        documents = self._doc(username)["documents"]
        check_document_room(documents, size)
        document_id = new_id()
        final = self.path(document_id)
        part = final.with_suffix(".part")
        hasher = hashlib.sha256()
        done = 0
        try:
            with part.open("wb") as out:
                while done < size:
                    try:
                        piece = source.read(min(PIECE_BYTES, size - done))
                    except (OSError, ValueError):
                        piece = b""
                    if not piece:
                        break
                    out.write(piece)
                    hasher.update(piece)
                    done += len(piece)
                    pause()
                out.flush()
                os.fsync(out.fileno())
            if done != size:
                raise FavouritesError(
                    "bad_request", f"the upload ended after {done} of {size} bytes; send it again"
                )
            # Another upload may have filled the quota while this one ran.
            documents = self._doc(username)["documents"]
            check_document_room(documents, size)
            os.replace(part, final)
        finally:
            part.unlink(missing_ok=True)
        if self.shared is not None:  # before the list names it: every node can then read it
            self.shared.put(SHARED_PREFIX + document_id, final)
        document = {
            "id": document_id,
            "name": safe_file_name(name),
            "size": size,
            "type": mime,
            "sha256": hasher.hexdigest(),
            "added_at": now,
        }
        self._write(username, {"documents": [*documents, document]}, now)
        return document

    def rename_document(self, username: str, document_id: str, name: Any, now: float) -> dict:
        if not isinstance(name, str) or not name.strip() or len(name) > 1000:
            raise FavouritesError("bad_request", "'name' must be 1-1000 characters")
        documents = self._doc(username)["documents"]
        self.document(username, document_id)
        renamed = [
            {**d, "name": safe_file_name(name)} if d["id"] == document_id else d for d in documents
        ]
        self._write(username, {"documents": renamed}, now)
        return self.document(username, document_id)

    def order_documents(self, username: str, ids: Any, now: float) -> dict[str, Any]:
        documents = reorder(self._doc(username)["documents"], ids)
        self._write(username, {"documents": documents}, now)
        return self.view(username)

    def remove_document(self, username: str, document_id: str, now: float) -> None:
        self.document(username, document_id)
        documents = [d for d in self._doc(username)["documents"] if d["id"] != document_id]
        self._write(username, {"documents": documents}, now)
        self.path(document_id).unlink(missing_ok=True)
        if self.shared is not None:
            self.shared.delete(SHARED_PREFIX + document_id)

    def open(self, document_id: str) -> BinaryIO:
        """The kept document's bytes: this node's copy, fetched first from the store's shared
        files when this node has none (another node received it).

        Raises:
            FavouritesError: ``favourite_not_found``: its bytes are nowhere (add it again).
        """
        path = self.path(document_id)
        if not path.exists() and self.shared is not None:
            self.shared.fetch(SHARED_PREFIX + document_id, path)
        try:
            return path.open("rb")  # a BinaryIO (BufferedReader)
        except FileNotFoundError:
            raise FavouritesError(
                "favourite_not_found", "the kept document's file is missing; add it again"
            ) from None

    def read(self, document_id: str) -> Iterator[bytes]:
        with self.open(document_id) as source:
            while piece := source.read(PIECE_BYTES):
                yield piece
