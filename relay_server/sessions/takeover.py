"""Sessions of several relay nodes: which node serves a session, and taking one over when its
node died or drained (docs/architecture.md, *When the owner dies*); pure, like the Relay.

:class:`Takeover` sits between :class:`relay_server.sessions.admission.Admission` and
:class:`relay_server.sessions.relay.Relay`: at start a node restores only the live sessions no
live node owns; a request for a session it lacks takes it over from the store when the
owner's lease in the hub is gone (:meth:`Takeover.ensure_owned`), else it is refused
``wrong_node``; a draining node drops its lease first (:meth:`Takeover.hand_over_all`). The
Relay defines what is declared here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from relay_server.errors import Refused
from relay_server.files.kept import KeptFiles
from relay_server.files.spool import FileSpool
from relay_server.files.transfers import FileTransfers
from relay_server.hub import Hub, HubError
from relay_server.sessions.access_codes import CodeError
from relay_server.sessions.admission import Admission
from relay_server.sessions.chat_log import ChatLog, chat_table
from relay_server.sessions.supports import SupportSession
from relay_server.store import Document
from relay_server.whiteboard.boards import Whiteboards
from suite.protocol import CloseCode
from suite.protocol.wrong_node import LEASE_LEFT_FIELD, WRONG_NODE

logger = logging.getLogger(__name__)

LIVE_SESSIONS = "live_sessions"
# A session's takeover: True (taken over now), False (nothing to take), or the refusal.
TakeoverOutcome = bool | Refused
# The node's lease in the hub (it owns its sessions while it lives), renewed every
# LEASE_RENEW_S by a greenlet of its own (web/server.py): a killed node's sessions come free
# 2.0-2.5 s after the kill. A node is taken over only once it missed renewals for
# SESSION_LEASE_S - LEASE_RENEW_S = 2 s (as with the former 3 s lease renewed each 1 s
# tick); one that stalled longer is fenced (docs/architecture.md, *When the owner dies*).
SESSION_LEASE_S = 2.5
LEASE_RENEW_S = 0.5
# A refusal for a session its owner took (or created) within FRESH_OWNER_MS tells the client to
# come back in RETRY_FRESH_OWNER_MS, not at the owner's lease end: the balancer learns the owner
# from its first answer, a moment away. The failover's common case: a dead node's session's two
# sides come back within the jitter, reach two survivors, and the one not taking it over
# refuses with the new owner's fresh ~2.3 s lease (docs/protocol.md, *The session's owner*).
FRESH_OWNER_MS = 5000
RETRY_FRESH_OWNER_MS = 300


class Takeover(Admission):
    """Which node serves a session; a dead or drained node's sessions taken over here."""

    hub: Hub
    whiteboards: Whiteboards
    files: FileTransfers
    file_spool: FileSpool
    kept_files: KeptFiles
    _chats: dict[str, ChatLog]
    _live_doc_ids: dict[str, int]
    take_over_one: Callable[[str], TakeoverOutcome]  # take_over_alone, or the shell's gate

    def _restore_unowned(self, live: list[Document]) -> None:
        """At start: restore the live sessions no live node owns (on one node: all). With
        several nodes they are taken over together, fenced first (:meth:`take_over_sessions`):
        their last owner may only have stalled past its lease and must not write over them
        when it wakes."""
        # A session a live node owns stays its own (several nodes on one database).
        if self.hub.kind == "local":
            owners = self.hub.take_sessions([doc["id"] for doc in live], SESSION_LEASE_S)
            for doc in live:
                if owners[doc["id"]] == self.hub.node_id:
                    self._restore(doc)
        else:
            self.take_over_sessions([doc["id"] for doc in live])
        if self._live_doc_ids:
            logger.info("restored %d live sessions", len(self._live_doc_ids))

    def _restore(self, doc: Document) -> SupportSession:
        session = SupportSession.from_record(doc)
        self.directory.restore(session)
        self._live_doc_ids[session.id] = doc.doc_id
        return session

    def ensure_owned(self, session_id: str) -> bool:
        """Serve ``session_id`` here: a live session of this node, or one whose node died or
        drained (its lease in the hub is gone), taken over from the store (docs/architecture.md,
        *When the owner dies*). Returns True when it was taken over just now.

        Nothing happens for a session this node has or the store does not (ended, unknown):
        the request goes on and answers as it would on one node.

        Raises:
            Refused: ``wrong_node`` (409): another live node owns it; the client retries
                through the balancer, which sends it there.
            HubError: the hub cannot be asked (the routes answer ``hub_unavailable``).
            StoreError: the database cannot be asked.
        """
        if session_id in self.directory.sessions or self.hub.kind == "local":
            return False
        # The hub first: a client retrying while the owner lives costs no database read.
        # The answer says when the owner's lease ends: a dead owner's clients come back then.
        owner, lease_left_ms, owned_ms = self.hub.owner_lease(session_id)
        if owner is not None and owner != self.hub.node_id:
            if owned_ms < FRESH_OWNER_MS:
                lease_left_ms = min(lease_left_ms, RETRY_FRESH_OWNER_MS)
            raise _wrong_node(session_id, owner, lease_left_ms)
        outcome = self.take_over_one(session_id)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def take_over_alone(self, session_id: str) -> TakeoverOutcome:
        """One session taken over by itself: :attr:`take_over_one` unless the relay's shell
        puts a gate there that joins the takeovers asked for meanwhile into one batch
        (web/takeover_gate.py)."""
        return self.take_over_sessions([session_id])[session_id]

    def take_over_sessions(self, session_ids: list[str]) -> dict[str, TakeoverOutcome]:
        """Take these sessions over from the store, together: a dead node's clients come back
        within a few hundred milliseconds of each other, and each step is one round trip for
        all of them (the rows, the hub's owners, the fence, the rows again, the boards, the
        kept files, the chats), not one per session. Each session's outcome: True (taken over
        now), False (nothing to take: this node has it, or the store does not), or the
        ``wrong_node`` refusal (another live node owns it).

        Raises:
            HubError, StoreError: for all of them (nothing was restored).
        """
        outcome: dict[str, TakeoverOutcome] = dict.fromkeys(session_ids, False)
        wanted = [sid for sid in outcome if sid not in self.directory.sessions]
        steps = _StepTimes()
        docs = self.store.lookup_many(LIVE_SESSIONS, "id", wanted, fresh=True) if wanted else {}
        wanted = [sid for sid in wanted if sid in docs]
        if not wanted:
            return outcome
        steps.done("rows")
        owners = self.hub.take_sessions(wanted, SESSION_LEASE_S)
        steps.done("hub")
        ours = []
        for sid in wanted:
            if owners[sid] == self.hub.node_id:
                ours.append(sid)
            else:  # another node took it meanwhile: it is live
                outcome[sid] = _wrong_node(sid, owners[sid], None)
        if not ours:
            return outcome
        # Fencing: from here on the old owners' commits skip these sessions' rows (a node
        # that stalled past its lease and wakes); what they committed before is read after.
        self.store.fence(ours)
        steps.done("fence")
        docs.update(self.store.lookup_many(LIVE_SESSIONS, "id", ours, fresh=True))
        steps.done("rows_again")
        # The boards as the old owners last flushed them, the files sent before
        # (files/kept.py), the chats: no socket of these sessions is here yet to change them.
        self.whiteboards.take_over(ours)
        steps.done("boards")
        kept = self.kept_files.listings(ours)
        steps.done("files")
        self.store.reload([chat_table(sid) for sid in ours])
        steps.done("chats")
        # From here to the end nothing yields: each session is restored once.
        for sid in ours:
            if sid in self.directory.sessions:  # restored meanwhile (a start-up restore)
                continue
            self._chats.pop(sid, None)
            self.kept_files.restore(kept.get(sid, []), self.files)
            self._restore(docs[sid])
            outcome[sid] = True
            logger.info("took session %s over", sid,
                        extra={"session_id": sid, "together": len(ours)})  # fmt: skip
        steps.done("restore")
        logger.info("took %d sessions over together in %.0f ms", len(ours), steps.total_ms(),
                    extra={"steps_ms": steps.ms})  # fmt: skip
        return outcome

    def _session_by_code(self, code: str, now: float) -> SupportSession:
        """The session of ``code``, taken over first when its node is gone (the code is
        claimed in the hub under the session's id)."""
        try:
            return self.directory.session_by_code(code, now)
        except CodeError as error:
            holder = self.hub.holder("code", code) if self.hub.kind != "local" else None
            if error.problem != "invalid_code" or holder is None:
                raise
            if not self.ensure_owned(holder):
                raise
            return self.directory.session_by_code(code, now)

    @staticmethod
    def _unless_hub_fails(action: Callable[..., None], *args: Any) -> None:
        """Do what the hub can also let expire (a release, a renewal): a hub that fails is
        logged, and the rest of the caller's work goes on."""
        try:
            action(*args)
        except HubError as error:
            logger.warning("%s", error)

    def fenced_out(self, session_ids: set[str]) -> None:
        """A commit of this node skipped these sessions' rows: another node took them over
        while this one stalled. They are dropped here (not ended); their sockets close
        ``1001 wrong_node`` and reconnect to the new owner through the balancer."""
        for session_id in session_ids:
            if self.directory.forget(session_id) is None:
                continue
            self._chats.pop(session_id, None)
            self._live_doc_ids.pop(session_id, None)
            self.whiteboards.drop_here(session_id)
            for transfer in self.files.forget_session(session_id):  # the store keeps its own
                self.file_spool.delete(transfer.id)
            reason = f"wrong_node: {session_id} is served by another relay node"
            self.rooms.close_room(session_id, CloseCode.GOING_AWAY, reason)
            self.screens.end(session_id, CloseCode.GOING_AWAY, reason)
            logger.warning("session %s was taken over by another node; dropped here",
                           session_id, extra={"session_id": session_id})  # fmt: skip

    def renew_lease(self) -> None:
        """Renew this node's lease in the hub (every :data:`LEASE_RENEW_S`; one round trip
        whatever its number of sessions). A hub that fails is logged: the lease may lapse and
        another node take the sessions over, which fencing keeps safe."""
        self._unless_hub_fails(self.hub.heartbeat, SESSION_LEASE_S)

    def hand_over_all(self) -> None:
        """A draining node (SIGTERM) drops its lease: another node takes its sessions over
        at once instead of after :data:`SESSION_LEASE_S`."""
        self._unless_hub_fails(self.hub.leave)


class _StepTimes:
    """How long each step of a takeover took (ms), for its log line."""

    def __init__(self) -> None:
        self._at = time.perf_counter()
        self.ms: dict[str, float] = {}

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.ms[step] = round((now - self._at) * 1000, 1)
        self._at = now

    def total_ms(self) -> float:
        return sum(self.ms.values())


def _wrong_node(session_id: str, owner: str, lease_left_ms: int | None) -> Refused:
    """``409 wrong_node``; ``lease_left_ms`` (when known): the owner's lease's remaining ms,
    when a client should try again (suite/protocol/wrong_node.py)."""
    details: dict = {"session_id": session_id, "node": owner}
    if lease_left_ms is not None:
        details[LEASE_LEFT_FIELD] = lease_left_ms
    return Refused(
        WRONG_NODE,
        "this session is served by another relay node; retry through the balancer",
        details=details,
    )
