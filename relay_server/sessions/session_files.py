"""A session's files in its conversation (P4): the chat entry of each new transfer, and the
transfers dropped when the session ends (pure, like the Relay).

:class:`SessionFiles` sits between :class:`relay_server.sessions.seats.Seats` and
:class:`relay_server.sessions.admission.Admission` in the Relay's bases. The transfers' rules
are ``relay_server/files/transfers.py``, their bytes ``relay_server/files/spool.py`` and their
HTTP routes ``relay_server/files/routes.py``; the Relay defines what is declared here.
"""

from __future__ import annotations

from relay_server.files.kept import KeptFiles
from relay_server.files.spool import FileSpool
from relay_server.files.transfers import FINISHED, FileTransfers, Transfer
from relay_server.history.usage import SessionUsage
from relay_server.sessions.seats import Seats
from relay_server.sessions.supports import AGENT_PARTICIPANT_ID, SupportSession
from suite.protocol import ChatMessage, FileCancelled, Role


class SessionFiles(Seats):
    """Files in the conversation: posted as chat entries, dropped with their session."""

    files: FileTransfers
    file_spool: FileSpool
    kept_files: KeptFiles
    usage: SessionUsage

    def post_file(
        self,
        session: SupportSession,
        role: str,
        transfer: Transfer,
        now: float,
        participant: str = "",
    ) -> None:
        """Put a new transfer in the conversation: a chat entry of its sender, stored durably
        like a message (``file`` set, ``text`` the file's name), then sent to everyone.

        The entry is what a reloaded page or a late viewer replays (``welcome.missed``) to put
        the file in its place among the messages; the transfer's state comes from the file
        list (``GET /api/sessions/<id>/files``) and the ``file_*`` messages.
        """
        if role == Role.AGENT:
            name = session.agent.get("name") or session.agent_username
            participant = AGENT_PARTICIPANT_ID
        else:  # the customer who offered it (several per session), as its hello names it
            customer = session.customer(participant)
            name = (customer.name if customer else session.customer_name) or "Customer"
        stored = self._chat(session.id).append(
            role,
            name,
            f"file:{transfer.id}",
            transfer.name,
            now,
            participant,
            file=transfer.chat_file(),
        )
        self.wait_durable()
        self._to_chat_line(session.id, ChatMessage(**stored).to_frame())

    def keep_file(self, transfer: Transfer) -> None:
        """A file is complete and checked (``ready``): on PostgreSQL its bytes go to the
        store, so that a node taking the session over serves it too (relay_server/files/
        kept.py). Call before anyone is told it is ready."""
        self.kept_files.keep(transfer)

    def drop_files(self, session_id: str) -> None:
        """Forget a session's file transfers and delete their spool files (P4), and the
        copies kept in the store.

        Unfinished ones are cancelled ``by`` the relay, and the room is told.
        """
        self.kept_files.drop_session(session_id)
        room = self.rooms.find(session_id)
        self.usage.add_files(session_id, (t.view() for t in self.files.of_session(session_id)))
        for transfer in self.files.forget_session(session_id):
            self.file_spool.delete(transfer.id)
            if transfer.state not in FINISHED:
                transfer.cancel("relay")
                if room is not None:
                    room.broadcast(FileCancelled(transfer=transfer.view()).to_frame())
