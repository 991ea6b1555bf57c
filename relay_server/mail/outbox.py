"""The durable outbox: every mail the relay sends, its state and its tries (domain, over the store).

A mail is a document of table ``outbox``, written (and made durable by the caller's
``wait_durable``) before the request that queued it is answered. Its life::

    queued ──► sending ──► sent
       ▲          │  └───► failed  (rejected: the server's 5xx; uncertain: see below;
       │          ▼                 expired: still temporary after MAX_AGE_S)
       └─── retrying (next_try_at: back-off after a 4xx, a refused connection, a timeout)

``sending`` is made durable before the SMTP transaction starts, and again with
``committing: true`` right before the final ``.`` of the DATA phase (the moment the server
may take the mail); ``sent`` is made durable right after the server's ``250``. After a crash
(:meth:`Outbox.recover` at start-up): a mail ``sending`` but not ``committing`` never reached
the point where a server delivers (RFC 5321 4.1.1.4: a transaction without its final ``.`` is
void), so it is queued again; a mail that was ``committing`` may or may not have been taken,
and SMTP gives no way to ask, so it is **not** sent again (never twice): it becomes
``failed`` with error ``uncertain`` and says so to its sender, who can send it again by hand.
docs/architecture.md, *Mail*, explains the window.

A mail's content (subject, text, HTML, attachments) is a document of table
``outbox_contents``, stored once for every mail that carries the same one (a batch of
invitations in one language: the personal link is written over a stand-in when each is
sent), and referred to by its SHA-256 (``content``). A batch of 50 invitations wrote 150 KB
to the journal in one commit with the content in every mail; the chat's messages waited for
that commit. Mails queued before contents were shared carry their content inline; both are
read.

The public API for other features (reservations will send invitations, updates and
reminders through it): :meth:`Outbox.enqueue` an :class:`OutgoingMail`, get its id; read its
state with :meth:`Outbox.view` or :meth:`Outbox.views`.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from relay_server.errors import Refused
from relay_server.mail.templates import Attachment, MailContent
from relay_server.store import Document, Store

OUTBOX = "outbox"
CONTENTS = "outbox_contents"  # one document per distinct content (module docstring)
CONTENT_FIELDS = ("subject", "text", "html", "attachments")
QUEUED, SENDING, SENT, RETRYING, FAILED = "queued", "sending", "sent", "retrying", "failed"
STATES = (QUEUED, SENDING, SENT, RETRYING, FAILED)
# Why a mail failed (its ``error``); the server's own words are in ``answer``.
REJECTED, UNCERTAIN, EXPIRED = "rejected", "uncertain", "expired"
UNCERTAIN_ANSWER = (
    "the relay stopped while the mail server was taking this mail; it may have been "
    "delivered, so it is not sent again (send it again if it did not arrive)"
)
RETRY_FIRST_S = 30.0
RETRY_MAX_S = 3600.0
MAX_AGE_S = 24 * 3600.0  # a mail still not taken after this is failed (expired)
MAX_ANSWER_CHARS = 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Back-off after a temporary failure: ``first_s``, doubling up to ``max_s``."""

    first_s: float = RETRY_FIRST_S
    max_s: float = RETRY_MAX_S
    max_age_s: float = MAX_AGE_S

    def delay_s(self, attempts: int) -> float:
        return float(min(self.max_s, self.first_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A mail to queue: one recipient, its content already in the recipient's language.

    Args:
        owner: the account the mail belongs to (only it sees the mail's state).
        ref: what it is about, for listing (``support:<session id>``; reservations will use
            their own).
        kind: ``invitation``, ``test``... (for logs and lists).
        reply_to: the agent's address, so answers reach a person; empty for none.
        meta: what the feature notes with the mail; ``meta["value"]`` is written over the
            content's stand-in (``templates.stand_in``) for this recipient only (a personal
            link's secret), ``meta["key"]`` makes it queued once (:meth:`Outbox.has_key`).
    """

    owner: str
    ref: str
    kind: str
    to: str
    lang: str
    content: MailContent
    reply_to: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def new_message_id(domain: str, key: str = "") -> str:
    """A stable Message-ID, made once when a mail is queued and kept for every try; a mail
    queued once by its ``meta["key"]`` gets one made from the key, so that two nodes that
    both queued it (a race past a claim's lease) send one message as far as the recipient's
    mail program is concerned."""
    unique = hashlib.sha256(key.encode()).hexdigest()[:32] if key else secrets.token_hex(16)
    return f"<{unique}@{domain or 'remotesales.invalid'}>"


# How long a node holds a mail it sends (row_claims): longer than any SMTP conversation and
# its retries' pauses, so that no other node sends it meanwhile.
CLAIM_S = 600.0


class Outbox:
    """The mails over the store, with an in-memory index of what is due when.

    Every method that changes a mail leaves the change for the caller to make durable
    (``wait_durable``), as every writer of the store does.
    """

    def __init__(
        self,
        store: Store,
        policy: RetryPolicy | None = None,
        node: str = "",
        claim_s: float = CLAIM_S,
    ):
        self.store = store
        self.policy = policy or RetryPolicy()
        self.node = node  # the hub's name of this node: a mail it queues names it
        self.claim_s = claim_s  # how long a claim holds (``--mail-claim``; CLAIM_S)
        self._orphans: set[str] = set()  # a dead node's mails it was sending: see adopt()
        self._inserted_at: dict[str, int] = {}  # mail -> the store's sequence of its insert
        self._mails: dict[str, dict[str, Any]] = {}
        self._doc_ids: dict[str, int] = {}
        self._due: list[tuple[float, int, str]] = []
        self._sequence = 0
        self._keys: set[str] = set()  # meta["key"] of every mail: see has_key()
        # Shared contents by SHA-256: the stored fields, their doc id, how many mails use them.
        self._contents: dict[str, dict[str, Any]] = {}
        self._content_ids: dict[str, int] = {}
        self._content_users: dict[str, int] = {}
        self._last_content: tuple[MailContent | None, str] = (None, "")
        self._unwritten: dict[str, dict[str, Any]] = {}  # begin(durable=False): see there
        self.on_enqueued: Callable[[], None] = lambda: None  # the sender's wake-up
        # A mail that will never arrive (rejected, or too old to retry): the feature that
        # queued it learns the mail id (an invitation's personal link is closed).
        self.on_undelivered: Callable[[str], None] = lambda mail_id: None
        mails = store.all(OUTBOX)  # before the contents: a mail's content is written first
        for doc in store.all(CONTENTS):
            self._remember_content(doc)
        for doc in mails:
            self._learn(doc)

    # -- start-up --------------------------------------------------------------------------

    def recover(self, now: float) -> dict[str, int]:
        """After a start: requeue what never reached its final ``.``, fail what might have,
        and make waiting mail due now.

        Returns counts ``{"requeued": n, "uncertain": m}``; call ``wait_durable`` next.
        """
        counts = {"requeued": 0, "uncertain": 0}
        for sha256 in [key for key, users in self._content_users.items() if users <= 0]:
            # Its last mail was dropped but a crash came before the content's own removal.
            self._drop_content(sha256)
        for mail_id, mail in list(self._mails.items()):
            if mail["state"] == SENDING and not self.claim(mail_id):
                continue  # several nodes on one database: another node is sending it now
            if mail["state"] == SENDING and mail.get("committing"):
                self._change(mail_id, state=FAILED, committing=False, error=UNCERTAIN,
                             answer=UNCERTAIN_ANSWER, finished_at=now)  # fmt: skip
                counts["uncertain"] += 1
            elif mail["state"] == SENDING:
                self._change(mail_id, state=QUEUED, next_try_at=now)
                counts["requeued"] += 1
            elif mail["state"] == RETRYING and mail["next_try_at"] > now:
                # A restart often follows a fix (network, settings): waiting mail tries now.
                self._change(mail_id, next_try_at=now)
            if self._mails[mail_id]["state"] in (QUEUED, RETRYING):
                self._schedule(mail_id, self._mails[mail_id]["next_try_at"])
        return counts

    # -- the public API --------------------------------------------------------------------

    def enqueue(self, mail: OutgoingMail, now: float, message_domain: str) -> str:
        """Queue ``mail``; returns its id. Durable after the caller's ``wait_durable``."""
        mail_id = secrets.token_hex(8)
        doc = {
            "id": mail_id,
            "message_id": new_message_id(message_domain, str(mail.meta.get("key") or "")),
            "owner": mail.owner,
            "ref": mail.ref,
            "kind": mail.kind,
            "to": mail.to,
            "lang": mail.lang,
            "reply_to": mail.reply_to,
            "content": self._share_content(mail.content),
            "meta": dict(mail.meta),
            "state": QUEUED,
            "committing": False,
            "attempts": 0,
            "created_at": now,
            "next_try_at": now,
            "answer": "",
            "error": "",
            "finished_at": None,
            "node": self.node,
        }
        self._doc_ids[mail_id] = self.store.insert(OUTBOX, doc)
        self._inserted_at[mail_id] = self.store.appended
        self._mails[mail_id] = doc
        if mail.meta.get("key"):
            self._keys.add(mail.meta["key"])
        self._schedule(mail_id, now)
        self.on_enqueued()
        return mail_id

    def learn_others(self) -> None:
        """Several nodes: read the outbox again and learn the mails other nodes queued since
        (their keys, for :meth:`has_key`; their views); this node's own are kept as it has
        them, and nothing learnt is scheduled here (a dead node's mails: :meth:`adopt`)."""
        self.store.refresh(OUTBOX, None)
        for doc in self.store.all(OUTBOX):
            if doc["id"] not in self._mails:
                self._learn(doc)

    def _learn(self, doc: Any) -> None:
        """A stored mail into this outbox's memory: its view, row, key and content's users."""
        self._mails[doc["id"]] = dict(doc)
        self._doc_ids[doc["id"]] = doc.doc_id
        if (doc.get("meta") or {}).get("key"):
            self._keys.add(doc["meta"]["key"])
        if doc.get("content") in self._content_users:
            self._content_users[doc["content"]] += 1

    def has_key(self, key: str) -> bool:
        """Whether a mail with ``meta["key"] == key`` was ever queued (kept until cleaned up):
        a feature that may be asked twice to send the same mail (a reservation's change seen
        again after a restart) queues it once."""
        return key in self._keys

    def view(self, mail_id: str, owner: str | None = None) -> dict[str, Any]:
        """A mail's state as the API shows it.

        Raises:
            Refused: ``mail_not_found`` (also for another owner's mail).
        """
        mail = self._mails.get(mail_id)
        if mail is None or (owner is not None and mail["owner"] != owner):
            raise Refused("mail_not_found", "no such mail")
        return mail_view(mail)

    def meta(self, mail_id: str) -> dict[str, Any]:
        """What the feature that queued the mail noted with it (``OutgoingMail.meta``)."""
        mail = self._mails.get(mail_id)
        return dict(mail.get("meta") or {}) if mail else {}

    def ref(self, mail_id: str) -> str:
        """What the mail is about (``OutgoingMail.ref``), "" for an unknown mail."""
        mail = self._mails.get(mail_id)
        return str(mail.get("ref") or "") if mail else ""

    def views(self, owner: str, ref: str) -> list[dict[str, Any]]:
        """Every mail of ``owner`` about ``ref``, oldest first."""
        found = [m for m in self._mails.values() if m["owner"] == owner and m["ref"] == ref]
        found.sort(key=lambda mail: mail["created_at"])
        return [mail_view(mail) for mail in found]

    def content(self, mail_id: str) -> tuple[dict[str, Any], MailContent]:
        """The stored mail and its content, for the sender."""
        mail = self._mails[mail_id]
        stored = self._content_of(mail["content"]) if "content" in mail else mail  # or inline
        attachments = tuple(
            Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
            for a in stored["attachments"]
        )
        return mail, MailContent(stored["subject"], stored["text"], stored["html"], attachments)

    def stored_content(self, mail_id: str) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
        """The stored mail, its content's key (None: the mail carries its own) and the
        content's stored fields (attachments in base64), for the sender: nothing decoded."""
        mail = self._mails[mail_id]
        if "content" in mail:
            return mail, mail["content"], self._content_of(mail["content"])
        return mail, None, {key: mail[key] for key in CONTENT_FIELDS}

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for mail in self._mails.values():
            counts[mail["state"]] += 1
        return counts

    # -- the sender's side -----------------------------------------------------------------

    def next_due(self, now: float) -> str | None:
        """The id of a mail due now (queued or retrying), or None."""
        while self._due:
            due_at, _, mail_id = self._due[0]
            mail = self._mails.get(mail_id)
            if mail is None or mail["state"] not in (QUEUED, RETRYING):
                heapq.heappop(self._due)
                continue
            if mail["next_try_at"] != due_at:  # rescheduled since: a newer entry stands
                heapq.heappop(self._due)
                continue
            if due_at > now:
                return None
            return mail_id
        return None

    def next_wake_at(self) -> float | None:
        """When the earliest waiting mail is due (None: nothing waits)."""
        while self._due:
            due_at, _, mail_id = self._due[0]
            mail = self._mails.get(mail_id)
            if mail is not None and mail["state"] in (QUEUED, RETRYING):
                if mail["next_try_at"] == due_at:
                    return due_at
            heapq.heappop(self._due)
        return None

    def stored(self, mail_id: str) -> bool:
        """Whether the mail's insert is durable: a claim needs its row in the database (the
        sender waits for the commit of a mail queued an instant ago)."""
        inserted_at = self._inserted_at.get(mail_id)
        if inserted_at is not None and self.store.synced < inserted_at:
            return False
        self._inserted_at.pop(mail_id, None)
        return True

    def claim(self, mail_id: str) -> bool:
        """Take the mail for this node's sender (several nodes on one database: exactly one
        sends it); False, and forgotten here, when another node has it or has sent it.
        The sender asks again right before the final ``.``: a node that stalled past its
        lease finds its mail adopted by another (:meth:`adopt`) and sends nothing."""
        if self.store.claim(OUTBOX, self._doc_ids[mail_id], self.claim_s):
            return True
        self._unwritten.pop(mail_id, None)
        self._mails.pop(mail_id, None)
        self._doc_ids.pop(mail_id, None)
        return False

    # -- several nodes: a dead node's mails --------------------------------------------------

    def waiting_nodes(self) -> set[str]:
        """The nodes named by the mails known here that still wait (queued, retrying,
        sending): at start, those not alive in the hub died with mails to send."""
        waiting = (QUEUED, RETRYING, SENDING)
        return {m["node"] for m in self._mails.values() if m.get("node") and m["state"] in waiting}

    @property
    def orphans(self) -> int:
        """A dead node's mails that were ``sending``, waiting for their claim to expire."""
        return len(self._orphans)

    def adopt(self, dead: set[str], now: float) -> dict[str, int]:
        """Take over the waiting mails of nodes that died (their lease in the hub expired),
        each claimed in the store so that exactly one node sends it.

        ``queued`` and ``retrying`` mails at once (the dead nodes' claims count as expired:
        a node that only stalled asks for its claim again before it sends, and finds it
        gone). A mail that was ``sending`` may be a stalled node's conversation still in
        progress: it is taken only when its claim expires by itself (:data:`CLAIM_S`; call
        again with no ``dead`` while :attr:`orphans`), then requeued, or failed as
        ``uncertain`` if it was past its commit point, as :meth:`recover` does.

        Returns counts ``{"adopted", "requeued", "uncertain", "waiting"}``; call
        ``wait_durable`` next.
        """
        counts = {"adopted": 0, "requeued": 0, "uncertain": 0, "waiting": 0}
        self.store.refresh(OUTBOX, None)  # the dead node's mails this node never read
        for doc in self.store.all(OUTBOX):
            mail_id = doc["id"]
            if doc.get("node") not in dead and mail_id not in self._orphans:
                continue
            if doc["state"] not in (QUEUED, RETRYING, SENDING):
                self._orphans.discard(mail_id)
                continue
            sending = doc["state"] == SENDING
            if not self.store.claim(OUTBOX, doc.doc_id, self.claim_s, () if sending else dead):
                if sending and doc.get("node") != self.node:
                    self._orphans.add(mail_id)  # its claim may yet expire
                continue
            self._orphans.discard(mail_id)
            if mail_id not in self._mails:
                if (doc.get("meta") or {}).get("key"):
                    self._keys.add(doc["meta"]["key"])
                if doc.get("content") in self._content_users:
                    self._content_users[doc["content"]] += 1
            self._mails[mail_id] = dict(doc)
            self._doc_ids[mail_id] = doc.doc_id
            self._change(mail_id, node=self.node)
            counts["adopted"] += 1
            if sending and doc.get("committing"):
                self._change(mail_id, state=FAILED, committing=False, error=UNCERTAIN,
                             answer=UNCERTAIN_ANSWER, finished_at=now)  # fmt: skip
                counts["uncertain"] += 1
                continue
            if sending:
                self._change(mail_id, state=QUEUED, next_try_at=now)
                counts["requeued"] += 1
            self._schedule(mail_id, self._mails[mail_id]["next_try_at"])
        counts["waiting"] = len(self._orphans)
        return counts

    def begin(self, mail_id: str, now: float, durable: bool = True) -> None:
        """The sender starts a try: ``sending``.

        ``durable=False`` (the mail worker keeps the commit point in its own journal): the
        mark is made in memory only (the sender's view) and written with the try's outcome,
        one journal line a try instead of two; a crash before the outcome leaves the mail
        as it was on disk, which recovery queues again unless the worker's journal says it
        reached its commit point (:meth:`fold_commit_journal`)."""
        attempts = self._mails[mail_id]["attempts"] + 1
        fields = {"state": SENDING, "committing": False, "attempts": attempts, "last_try_at": now}
        if durable:
            self._change(mail_id, **fields)
            return
        self._mails[mail_id].update(fields)
        self._unwritten[mail_id] = fields

    def fold_commit_journal(self, marks: dict[str, dict[str, Any]], now: float) -> dict[str, int]:
        """At start, before :meth:`recover`: what the mail worker's commit journal
        (``mail/commit_journal.py``: the last mark by Message-ID) says of mails the store
        still has waiting. ``sent`` there: sent; ``committing``: past the commit point
        (recover makes it ``uncertain``); anything else: the store's state stands.

        Returns counts ``{"sent": n, "committing": m}``; call ``wait_durable`` next."""
        counts = {"sent": 0, "committing": 0}
        by_message = {
            mail["message_id"]: mail_id for mail_id, mail in self._mails.items()
            if mail["state"] in (QUEUED, SENDING, RETRYING)
        }  # fmt: skip
        for message_id, mark in marks.items():
            mail_id = by_message.get(message_id)
            if mail_id is None:
                continue
            if mark.get("s") == "sent":
                self._change(mail_id, state=SENT, committing=False, error="",
                             answer=_short(str(mark.get("a", ""))),
                             finished_at=float(mark.get("t") or now))  # fmt: skip
                counts["sent"] += 1
            elif mark.get("s") == "committing":
                self._change(mail_id, state=SENDING, committing=True)
                counts["committing"] += 1
        return counts

    def committing(self, mail_id: str) -> None:
        """The message is written; only the final ``.`` is left (make durable before it)."""
        self._change(mail_id, committing=True)

    def sent(self, mail_id: str, answer: str, now: float) -> None:
        self._change(mail_id, state=SENT, committing=False, answer=_short(answer), error="",
                     finished_at=now)  # fmt: skip

    def deferred(self, mail_id: str, answer: str, now: float) -> None:
        """A temporary failure: retry after the back-off, or fail once the mail is too old."""
        mail = self._mails[mail_id]
        if now - mail["created_at"] >= self.policy.max_age_s:
            self._change(mail_id, state=FAILED, committing=False, error=EXPIRED,
                         answer=_short(answer), finished_at=now)  # fmt: skip
            self.on_undelivered(mail_id)
            return
        next_try_at = now + self.policy.delay_s(mail["attempts"])
        self._change(mail_id, state=RETRYING, committing=False, answer=_short(answer),
                     next_try_at=next_try_at)  # fmt: skip
        self._schedule(mail_id, next_try_at)

    def rejected(self, mail_id: str, answer: str, now: float) -> None:
        """A permanent failure (the server's 5xx for this mail): never tried again."""
        self._change(mail_id, state=FAILED, committing=False, error=REJECTED,
                     answer=_short(answer), finished_at=now)  # fmt: skip
        self.on_undelivered(mail_id)

    def uncertain(self, mail_id: str, answer: str, now: float) -> None:
        """The connection broke after the final ``.``: maybe taken, so never sent again."""
        self._change(mail_id, state=FAILED, committing=False, error=UNCERTAIN,
                     answer=_short(f"{UNCERTAIN_ANSWER} ({answer})"), finished_at=now)  # fmt: skip

    def drop_finished(self, before: float) -> int:
        """Forget ``sent`` and ``failed`` mails that finished before ``before`` (the admin's
        ``mail.keep_days``); returns how many. Their keys go too: the features that used them
        never ask again about something that old. Call ``wait_durable`` next."""
        old = [
            mail_id for mail_id, mail in self._mails.items()
            if mail["state"] in (SENT, FAILED) and (mail.get("finished_at") or 0.0) < before
        ]  # fmt: skip
        for mail_id in old:
            mail = self._mails.pop(mail_id)
            self.store.remove(OUTBOX, self._doc_ids.pop(mail_id))
            self._keys.discard((mail.get("meta") or {}).get("key") or "")
            sha256 = mail.get("content")
            if sha256 in self._content_users:
                self._content_users[sha256] -= 1
                if self._content_users[sha256] <= 0:  # no mail of this node uses it any more
                    self._drop_content(sha256)
        return len(old)

    def retry_waiting_now(self, now: float) -> int:
        """Make every ``retrying`` mail due now (the admin changed the mail settings)."""
        waiting = [i for i, mail in self._mails.items() if mail["state"] == RETRYING]
        for mail_id in waiting:
            self._change(mail_id, next_try_at=now)
            self._schedule(mail_id, now)
        return len(waiting)

    # -- inside ----------------------------------------------------------------------------

    def _remember_content(self, doc: Document) -> None:
        self._contents[doc["sha256"]] = {key: doc[key] for key in CONTENT_FIELDS}
        self._content_ids[doc["sha256"]] = doc.doc_id
        self._content_users.setdefault(doc["sha256"], 0)

    def _content_of(self, sha256: str) -> dict[str, Any]:
        """A shared content; read from the store when another relay node wrote it."""
        if sha256 not in self._contents:
            doc = self.store.lookup(CONTENTS, "sha256", sha256, fresh=True)
            if doc is None:
                raise KeyError(f"mail content {sha256} is not stored")
            self._remember_content(doc)
        return self._contents[sha256]

    def _drop_content(self, sha256: str) -> None:
        """Remove a content no mail of this node uses, unless a mail of another relay node
        (several on one database) still does."""
        del self._contents[sha256], self._content_users[sha256]
        doc_id = self._content_ids.pop(sha256)
        if self.store.lookup(OUTBOX, "content", sha256, fresh=True) is None:
            self.store.remove(CONTENTS, doc_id)

    def _share_content(self, content: MailContent) -> str:
        """The SHA-256 of ``content``, stored once in :data:`CONTENTS` for all its mails."""
        if content is self._last_content[0]:  # a batch queues one content many times
            sha256 = self._last_content[1]
            if sha256 in self._contents:
                self._content_users[sha256] += 1
                return sha256
        fields = {
            "subject": content.subject,
            "text": content.text,
            "html": content.html,
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "data": base64.b64encode(a.data).decode("ascii"),
                }
                for a in content.attachments
            ],
        }
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
        sha256 = hashlib.sha256(canonical).hexdigest()
        if sha256 not in self._contents:
            self._content_ids[sha256] = self.store.insert(CONTENTS, {"sha256": sha256, **fields})
            self._contents[sha256] = fields
            self._content_users[sha256] = 0
        self._content_users[sha256] += 1
        self._last_content = (content, sha256)
        return sha256

    def _schedule(self, mail_id: str, due_at: float) -> None:
        self._sequence += 1
        heapq.heappush(self._due, (due_at, self._sequence, mail_id))

    def _change(self, mail_id: str, **fields: Any) -> None:
        self._mails[mail_id].update(fields)
        unwritten = self._unwritten.pop(mail_id, None)
        if unwritten:  # begin(durable=False)'s fields go with this change
            fields = {**unwritten, **fields}
        self.store.update(OUTBOX, self._doc_ids[mail_id], fields)


def _short(answer: str) -> str:
    answer = " ".join(answer.split())
    return answer if len(answer) <= MAX_ANSWER_CHARS else answer[: MAX_ANSWER_CHARS - 1] + "…"


def mail_view(mail: dict[str, Any]) -> dict[str, Any]:
    """``{id, to, lang, kind, state, attempts, created_at, next_try_at, answer, error,
    finished_at, message_id}``: what a sender sees of a mail."""
    view = {
        key: mail.get(key)
        for key in ("id", "to", "lang", "kind", "state", "attempts", "created_at", "answer",
                    "error", "finished_at", "message_id")
    }  # fmt: skip
    view["next_try_at"] = mail["next_try_at"] if mail["state"] == RETRYING else None
    return view
