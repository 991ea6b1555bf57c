"""Chat files kept in the store on PostgreSQL, so that the node that takes a session over (its
owner was killed or drained) still serves the files sent before.

A transfer lives in its node's memory and its bytes in that node's spool folder
(:mod:`relay_server.files.spool`); on one node a restart sweeps both. Several nodes share one
database but not a disk: when a file is complete and checked (``ready``: a sent file, a
reservation's material, the old whiteboard's PNG kept on "new board", a favourite document),
its bytes go to the ``shared_files`` table (``chat_files/<session id>/<transfer id>``,
relay_server/store/shared_files.py) with the transfer on the first piece, before anyone is
told it is ready. The node that takes the session over lists the session's files (their
transfers, not their bytes) and fetches a file's bytes into its own spool on its first
download. Uploads and downloads still go to the session's owner (affinity): only a finished
file is in the database, never a transfer under way. The session's end deletes them.

The TinyDB store has no shared files (one node): every method is then a no-op.

gevent: the database calls wait through gevent (psycopg), so callers may yield here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from relay_server.files.spool import FileSpool
from relay_server.files.transfers import FileTransfers, Transfer, TransferState

if TYPE_CHECKING:
    from relay_server.store.shared_files import SharedFiles

SHARED_PREFIX = "chat_files/"  # their names among the store's shared files
_KEPT_STATES = (TransferState.READY, TransferState.RECEIVED)


def shared_name(session_id: str, transfer_id: str = "") -> str:
    return f"{SHARED_PREFIX}{session_id}/{transfer_id}"


def record(transfer: Transfer) -> dict[str, Any]:
    """What the node that takes the session over needs to serve the file again."""
    return {
        "id": transfer.id,
        "session_id": transfer.session_id,
        "sender": transfer.sender,
        "sender_id": transfer.sender_id,
        "name": transfer.name,
        "size": transfer.size,
        "type": transfer.type,
        "sha256": transfer.sha256,
        "created_at": transfer.created_at,
        "state": str(transfer.state),
    }


def from_record(kept: dict[str, Any]) -> Transfer:
    """A kept file as a transfer whose bytes have all arrived."""
    state = TransferState(kept.get("state", TransferState.READY))
    return Transfer(
        str(kept["id"]), str(kept["session_id"]), str(kept["sender"]), str(kept["name"]),
        int(kept["size"]), str(kept["type"]), str(kept["sha256"]), float(kept["created_at"]),
        sender_id=str(kept.get("sender_id", "")),
        state=state if state in _KEPT_STATES else TransferState.READY,
        uploaded=int(kept["size"]),
    )  # fmt: skip


class KeptFiles:
    """A session's finished chat files in the store's shared files (PostgreSQL only)."""

    def __init__(self, shared: SharedFiles | None, spool: FileSpool):
        self.shared = shared
        self.spool = spool

    def keep(self, transfer: Transfer) -> None:
        """The file is complete and checked: its bytes and transfer go to the database, in
        one transaction (call before telling anyone it is ready)."""
        if self.shared is not None and transfer.state in _KEPT_STATES:
            self.shared.put(
                shared_name(transfer.session_id, transfer.id),
                self.spool.path(transfer.id),
                record(transfer),
            )

    def received(self, transfer: Transfer) -> None:
        """The receiver confirmed it: the taker lists it as received too."""
        if self.shared is not None:
            self.shared.set_meta(shared_name(transfer.session_id, transfer.id), record(transfer))

    def forget(self, transfer: Transfer) -> None:
        """Cancelled, or damaged on the way to the receiver: no node serves it any more."""
        if self.shared is not None:
            self.shared.delete(shared_name(transfer.session_id, transfer.id))

    def drop_session(self, session_id: str) -> None:
        """The session ended: its files leave the database."""
        if self.shared is not None:
            self.shared.delete_prefix(shared_name(session_id))

    def listing(self, session_id: str) -> list[Transfer]:
        """The session's kept files as transfers (their bytes stay in the database until
        :meth:`spooled` fetches them)."""
        if self.shared is None:
            return []
        kept = self.shared.metas(shared_name(session_id))
        transfers = [from_record(meta) for meta in kept.values() if meta.get("id")]
        return sorted(transfers, key=lambda transfer: transfer.created_at)

    def listings(self, session_ids: Collection[str]) -> dict[str, list[Transfer]]:
        """:meth:`listing` of several sessions in one query (sessions taken over together)."""
        if self.shared is None:
            return {}
        prefixes = {shared_name(session_id): session_id for session_id in session_ids}
        found = self.shared.metas_of(prefixes)
        return {
            prefixes[prefix]: sorted(
                (from_record(meta) for meta in kept.values() if meta.get("id")),
                key=lambda transfer: transfer.created_at,
            )
            for prefix, kept in found.items()
        }

    def session_of(self, transfer_id: str) -> str | None:
        """The session of a kept file (a download through a node that does not serve its
        session yet: it takes the session over, or answers ``wrong_node``), or None."""
        if self.shared is None or not transfer_id:
            return None
        found = self.shared.find_meta(SHARED_PREFIX, "id", transfer_id)
        return None if found is None else str(found[1].get("session_id", "")) or None

    @staticmethod
    def restore(transfers: list[Transfer], files: FileTransfers) -> None:
        """Put the listed files among this node's transfers (one it already has stays)."""
        for transfer in transfers:
            if files.get(transfer.id) is None:
                files.restore(transfer)

    def spooled(self, transfer: Transfer) -> bool:
        """Are the file's bytes in this node's spool? A kept file taken over from another node
        is fetched from the database first (downloads that start together each fetch into a
        file of their own, moved in place whole: the same bytes). False when neither has it."""
        path = self.spool.path(transfer.id)
        if not path.exists() and self.shared is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.shared.fetch(shared_name(transfer.session_id, transfer.id), path)
        return path.exists()
