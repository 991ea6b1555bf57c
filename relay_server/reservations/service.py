"""Reservations (A11) on the relay: booked, edited, cancelled, opened; kept in the store.

:class:`Reservations` keeps every reservation in the store's ``reservations`` table (they
survive a restart), their material files in ``<data>/reservation_materials/`` (until the
meeting is done or cancelled), and opens one through the :class:`Relay` (a support session in
the waiting state, the materials in its file list from the start). Invitees' links are
``<relay>/?meet=<secret>`` (:func:`meeting_url`); meeting_links.py answers their pages and
seats their holder.

The materials' mail: invitees hear of material files added to or removed from a reservation
they were invited to (the mails list the files) in one "updated" mail per save, not one per
file. An upload or removal only notes the list as the invitees last heard it
(``materials_heard``, durable with the change). The agent app's save uploads its files one by
one and ends with the edit (``PUT``): :meth:`edit` tells the invitees everything at once, the
files with the other fields. A client that changes files without an edit is told by
:meth:`flush_materials` once no file has changed for ``materials_quiet_s`` (a timer, set
again by each change and at start-up). Either way ``sequence`` rises, as for every other
edit: the mailer's keys are per sequence, and a calendar takes the higher ``SEQUENCE`` as the
newer version (RFC 5546) although the .ics itself lists no files.

The mail seam: ``on_change(reservation, change, previous)`` is called after every change is
durable (``previous`` is the state before an update or cancellation, None at creation); the
default does nothing. The mailer plugs in there and builds each invitee's link with
:func:`meeting_url`. ``link_changed(reservation_id)`` wakes the invitees' pages that wait.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from relay_server.accounts.registry import Principal
from relay_server.errors import Refused
from relay_server.files.spool import FileSpool
from relay_server.files.transfers import parse_offer
from relay_server.reservations import rules
from relay_server.reservations.model import (
    Invitee,
    Material,
    Reservation,
    ReservationChange,
    ReservationStatus,
)
from relay_server.sessions.relay import Relay
from suite.protocol.session_reservation import InviteeState, SessionInvitee, SessionReservation

logger = logging.getLogger(__name__)

RESERVATIONS = "reservations"
SECRET_BYTES = 24  # 192 bits, as the personal links (at least 128)
MATERIALS_QUIET_S = 60.0  # a file change without an edit is mailed after this quiet time

OnChange = Callable[[Reservation, ReservationChange, Reservation | None], None]


def meeting_url(relay_url: str, invitee: Invitee) -> str:
    """The personal link of ``invitee``: what the mailer puts in its invitation
    (``relay_url``: ``--public-url``, or the address the agent booked through)."""
    return f"{relay_url.rstrip('/')}/?meet={invitee.link_secret}"


def _no_change(reservation: Reservation, change: ReservationChange, previous: Any) -> None:
    return None


class Reservations:
    """Every agent's reservations, durable, and the invitees' links into them."""

    def __init__(
        self,
        relay: Relay,
        on_change: OnChange = _no_change,
        materials_quiet_s: float = MATERIALS_QUIET_S,
        call_later: Callable[[float, Callable[[], None]], object] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        """``call_later(delay_s, fn)``: the shell's timer for the materials' mail (module
        docstring); without it only an edit tells the invitees of file changes."""
        self.relay = relay
        self.materials_quiet_s = materials_quiet_s
        self.call_later = call_later
        self.clock = clock
        self._flush_set: set[str] = set()  # reservations whose materials' timer is set
        self.store = relay.store
        self.on_change = on_change
        self.link_changed: Callable[[str], None] = lambda reservation_id: None
        self.materials = FileSpool(relay.store.folder / "reservation_materials")
        self._by_id: dict[str, Reservation] = {}
        self._doc_ids: dict[str, int] = {}
        self._by_secret: dict[str, str] = {}  # an invitee's link secret -> reservation id
        self._by_session: dict[str, str] = {}  # an opened one's session id -> reservation id
        for doc in self.store.all(RESERVATIONS):
            reservation = Reservation.from_record(doc)
            self._by_id[reservation.id] = reservation
            self._doc_ids[reservation.id] = doc.doc_id
            self._index(reservation)
        relay.session_ended = self.session_ended
        relay.reservation_of = self.of_session
        for reservation in list(self._by_id.values()):  # ended while the relay was down
            if reservation.status is ReservationStatus.OPEN:
                if reservation.session_id not in relay.directory.sessions:
                    self._finish(reservation, ReservationStatus.DONE)

    def start(self) -> None:
        """Set the timers of material changes not yet mailed (before a stop: module
        docstring); call once the mail hook is plugged in."""
        for reservation in list(self._by_id.values()):
            if reservation.materials_heard is not None:
                self._flush_later(reservation.id, reservation.materials_changed_at)

    # -- the agent's side ------------------------------------------------------------------

    def create(self, principal: Principal, body: dict[str, Any], now: float) -> Reservation:
        """Book a reservation from ``body`` (title, start, duration_minutes, time_zone,
        agenda, invitees). Raises Refused naming the first bad field."""
        zone = rules.parse_time_zone(body.get("time_zone"))
        reservation_id = secrets.token_urlsafe(12)
        invitees = rules.parse_invitees(body.get("invitees", []))
        for invitee in invitees:
            invitee.link_secret = secrets.token_urlsafe(SECRET_BYTES)
        reservation = Reservation(
            id=reservation_id,
            agent_id=principal.username,
            uid=f"{reservation_id}@remotesales",
            title=rules.parse_title(body.get("title")),
            start_utc=rules.parse_start(body.get("start"), zone, now),
            duration_minutes=rules.parse_duration(body.get("duration_minutes")),
            time_zone=zone.key,
            agenda=rules.parse_agenda(body.get("agenda", [])),
            invitees=invitees,
            created_at=now,
            updated_at=now,
        )
        self.save(reservation)
        self.on_change(reservation, ReservationChange.CREATED, None)
        return reservation

    def edit(
        self, principal: Principal, reservation_id: str, body: dict[str, Any], now: float
    ) -> Reservation:
        """Change the fields present in ``body``; invitees are the whole new list (those kept
        keep their link, new ones get one, removed ones are revoked)."""
        previous = self.owned(principal, reservation_id)
        if previous.status is not ReservationStatus.SCHEDULED:
            raise Refused("reservation_not_editable", f"this reservation is {previous.status}")
        heard = previous.materials_heard
        # Changes go to a copy that replaces the kept one only once all of them are valid.
        reservation = copy.deepcopy(previous)
        zone = rules.parse_time_zone(body.get("time_zone", reservation.time_zone))
        changed = ReservationChange.UPDATED
        if "title" in body:
            reservation.title = rules.parse_title(body["title"])
        if "start" in body or zone.key != previous.time_zone:
            # Without a new start, the same wall-clock time in the new zone.
            wall_clock = previous.local_start().replace(tzinfo=None).isoformat()
            start = rules.parse_start(body.get("start", wall_clock), zone, None)
            if start != previous.start_utc:
                rules.check_not_past(start, now)
            reservation.start_utc = start
            reservation.time_zone = zone.key
        if "duration_minutes" in body:
            reservation.duration_minutes = rules.parse_duration(body["duration_minutes"])
        if "agenda" in body:
            reservation.agenda = rules.parse_agenda(body["agenda"])
        added: list[Invitee] = []
        removed: list[Invitee] = []
        if "invitees" in body:
            wanted = rules.parse_invitees(body["invitees"])
            reinvite = rules.reinvited(body["invitees"], wanted)
            added, removed = self._merge_invitees(reservation, wanted, reinvite)
        # The files changed since the invitees last heard are told with this edit (module
        # docstring): ``told`` is the reservation as they know it.
        told = copy.deepcopy(previous)
        if heard is not None:
            told.materials = heard
            reservation.materials_heard = None
        files_changed = _file_ids(told) != _file_ids(reservation)
        if reservation.to_record() == previous.to_record():
            return previous  # nothing to tell anyone
        core = ("title", "start_utc", "duration_minutes", "time_zone", "agenda")
        told_core = any(getattr(previous, f) != getattr(reservation, f) for f in core)
        if not files_changed and not told_core and not added and not removed:
            self.save(reservation)  # only the note of files changed and changed back
            return reservation
        reservation.sequence += 1
        reservation.updated_at = now
        self.save(reservation)
        self.link_changed(reservation.id)
        if told_core or files_changed:
            self.on_change(reservation, changed, told)
        if added:
            self.on_change(reservation, ReservationChange.INVITEES_ADDED, previous)
        if removed:
            self.on_change(reservation, ReservationChange.INVITEES_REMOVED, previous)
        return reservation

    def _merge_invitees(
        self, reservation: Reservation, wanted: list[Invitee], reinvite: set[str]
    ) -> tuple[list[Invitee], list[Invitee]]:
        """Kept addresses keep their link; new ones, revoked ones listed again, and bounced
        ones the agent asked to ``reinvite`` get a fresh link (and so an invitation)."""
        current = {i.email.lower(): i for i in reservation.invitees}
        wanted_keys = {i.email.lower() for i in wanted}
        added, removed = [], []
        for invitee in wanted:
            key = invitee.email.lower()
            kept = current.get(key)
            # A bounced invitee stays listed (its badge says so) and is mailed nothing more
            # until the agent re-invites it: one save, not a save without it and one with it.
            again = kept is not None and kept.undelivered and key in reinvite
            if kept is not None and not kept.revoked and not again:
                kept.name, kept.language = invitee.name, invitee.language
                continue
            if kept is not None:  # back on the list: a fresh link, the old one stays dead
                reservation.invitees.remove(kept)
            invitee.link_secret = secrets.token_urlsafe(SECRET_BYTES)
            reservation.invitees.append(invitee)
            added.append(invitee)
        for key, invitee in current.items():
            if key not in wanted_keys and not invitee.revoked:
                invitee.revoked = True  # kept, so its link says it was withdrawn
                removed.append(invitee)
        return added, removed

    def close_undelivered_link(self, reservation_id: str, address: str) -> bool:
        """The invitation mailed to ``address`` will never arrive: that invitee's link, if still
        unused, is closed (nobody should hold a seat nobody was told about), as an instant
        meeting's personal link is. True when it was closed; the reservation's invitee then
        reads ``undelivered: true`` and its page says the invitation was withdrawn."""
        reservation = self._by_id.get(reservation_id)
        for invitee in reservation.invitees if reservation else []:
            if invitee.email.lower() != address.lower() or invitee.revoked:
                continue
            if invitee.undelivered or invitee.joined_at is not None:
                return False
            invitee.undelivered = True
            assert reservation is not None
            self.save(reservation)
            self.link_changed(reservation.id)
            return True
        return False

    def cancel(self, principal: Principal, reservation_id: str, now: float) -> Reservation:
        """Cancelled: its links stop working and its materials are deleted."""
        reservation = self.owned(principal, reservation_id)
        if reservation.status is not ReservationStatus.SCHEDULED:
            raise Refused("reservation_not_editable", f"this reservation is {reservation.status}")
        previous = copy.deepcopy(reservation)
        reservation.sequence += 1
        reservation.updated_at = now
        self._finish(reservation, ReservationStatus.CANCELLED)
        self.on_change(reservation, ReservationChange.CANCELLED, previous)
        return reservation

    def every(self) -> list[Reservation]:
        """Every reservation the relay holds (the reminders look at them)."""
        return list(self._by_id.values())

    def owned(self, principal: Principal, reservation_id: str) -> Reservation:
        """Raises Refused ``reservation_not_found`` (404) or ``not_your_reservation`` (403)."""
        reservation = self._by_id.get(reservation_id)
        if reservation is None:
            raise Refused("reservation_not_found", "no such reservation")
        if reservation.agent_id != principal.username:
            raise Refused("not_your_reservation", "this reservation belongs to another agent")
        return reservation

    def list(
        self, principal: Principal, when: str, zone: ZoneInfo, now: float, relay_url: str = ""
    ) -> list[dict]:
        """The agent's reservations in the list ``when``, soonest first (past: latest first),
        each with ``overlaps`` set when its time overlaps another of the agent's."""
        mine = [r for r in self._by_id.values() if r.agent_id == principal.username]
        overlapping = rules.overlapping(mine)
        chosen = [r for r in mine if rules.matches(r, when, now, zone)]
        chosen.sort(key=lambda r: r.start_utc, reverse=when == "past")
        return [self.view(r, relay_url, overlaps=r.id in overlapping) for r in chosen]

    def view(
        self, reservation: Reservation, relay_url: str = "", overlaps: bool | None = None
    ) -> dict[str, Any]:
        """What the agent sees: the record, the local start, the window and the links
        (on ``--public-url`` when set, else on ``relay_url``, the address the agent used)."""
        opens_at, closes_at = rules.open_window(reservation)
        relay_url = (self.relay.options.public_url or relay_url).rstrip("/")
        if overlaps is None:
            mine = [r for r in self._by_id.values() if r.agent_id == reservation.agent_id]
            overlaps = reservation.id in rules.overlapping(mine)
        record = reservation.to_record()
        del record["materials_heard"], record["materials_changed_at"]  # the mail's own
        record["end_utc"] = reservation.end_utc.isoformat()
        record["start_local"] = reservation.local_start().isoformat()
        record.update(opens_at=opens_at, closes_at=closes_at, overlaps=overlaps)
        record["invitees"] = [
            {
                **{k: v for k, v in invitee.items() if k != "link_secret"},
                "link_url": meeting_url(relay_url, reservation.invitees[index]),
            }
            for index, invitee in enumerate(record["invitees"])
        ]
        return record

    # -- materials ---------------------------------------------------------------------------

    def add_material(
        self,
        principal: Principal,
        reservation_id: str,
        offer: dict[str, Any],
        source: BinaryIO,
        now: float,
    ) -> Material:
        """Store one material file from ``source`` (``offer``: name, size, type, sha256):
        the file rules, the sanitised name and the sha256 check of every file on the relay.

        Raises:
            Refused: the file rules' codes, ``too_many_materials``, ``checksum_mismatch``,
                ``bad_request`` (the body ended early), ``reservation_not_editable``.
        """
        reservation = self.owned(principal, reservation_id)
        if reservation.status is not ReservationStatus.SCHEDULED:
            raise Refused("reservation_not_editable", f"this reservation is {reservation.status}")
        name, size, _mime, sha256 = parse_offer(offer, self.relay.files.rules)
        if len(reservation.materials) >= rules.MAX_MATERIALS:
            raise Refused("too_many_materials", f"at most {rules.MAX_MATERIALS} files")
        file_id = secrets.token_urlsafe(16)
        hasher = hashlib.sha256()
        self.materials.create(file_id)
        wrote = self.materials.append(file_id, source, size, hasher.update)
        if wrote != size or hasher.hexdigest() != sha256:
            self.materials.delete(file_id)
            if wrote != size:
                raise Refused("bad_request", f"the body ended after {wrote} of {size} bytes")
            raise Refused("checksum_mismatch", "the file's sha256 does not match the offer")
        with self.materials.path(file_id).open("rb") as stored:
            os.fsync(stored.fileno())
        material = Material(file_id, name, size, sha256)
        self._note_files_heard(reservation, now)
        reservation.materials.append(material)
        reservation.updated_at = now
        self.save(reservation)
        self._flush_later(reservation.id, now)
        return material

    def remove_material(
        self, principal: Principal, reservation_id: str, file_id: str, now: float
    ) -> Reservation:
        reservation = self.owned(principal, reservation_id)
        if reservation.status is not ReservationStatus.SCHEDULED:
            raise Refused("reservation_not_editable", f"this reservation is {reservation.status}")
        kept = [m for m in reservation.materials if m.file_id != file_id]
        if len(kept) == len(reservation.materials):
            raise Refused("material_not_found", "no such file in this reservation")
        self._note_files_heard(reservation, now)
        reservation.materials = kept
        reservation.updated_at = now
        self.save(reservation)
        self._flush_later(reservation.id, now)
        self.materials.delete(file_id)
        return reservation

    def flush_materials(self, reservation_id: str, now: float) -> bool:
        """Tell the invitees of file changes no edit has told (module docstring) once they
        are ``materials_quiet_s`` old; True when an update went out."""
        self._flush_set.discard(reservation_id)
        reservation = self._by_id.get(reservation_id)
        if reservation is None or reservation.materials_heard is None:
            return False
        if reservation.status is not ReservationStatus.SCHEDULED:
            reservation.materials_heard = None  # opened or over: nothing more to mail
            self.save(reservation)
            return False
        if now - reservation.materials_changed_at < self.materials_quiet_s:
            self._flush_later(reservation_id, reservation.materials_changed_at)
            return False
        told = copy.deepcopy(reservation)
        told.materials = reservation.materials_heard
        reservation.materials_heard = None
        if _file_ids(told) == _file_ids(reservation):  # changed and changed back
            self.save(reservation)
            return False
        reservation.sequence += 1
        reservation.updated_at = now
        self.save(reservation)
        self.link_changed(reservation.id)
        self.on_change(reservation, ReservationChange.UPDATED, told)
        return True

    def _note_files_heard(self, reservation: Reservation, now: float) -> None:
        if reservation.materials_heard is None:
            reservation.materials_heard = list(reservation.materials)
        reservation.materials_changed_at = now

    def _flush_later(self, reservation_id: str, changed_at: float) -> None:
        """One timer a reservation: one set earlier sets itself again when it finds a later
        change (:meth:`flush_materials`), and finds nothing to do after an edit told all."""
        if self.call_later is None or reservation_id in self._flush_set:
            return
        self._flush_set.add(reservation_id)
        delay_s = max(0.0, changed_at + self.materials_quiet_s - self.clock())
        self.call_later(delay_s, lambda: self._flush_now(reservation_id))

    def _flush_now(self, reservation_id: str) -> None:
        try:
            self.flush_materials(reservation_id, self.clock())
        except Exception:  # a bug: logged, the next change or start-up tries again
            logger.exception("materials' update failed", extra={"reservation": reservation_id})

    # -- opening and the end -----------------------------------------------------------------

    def open(
        self, principal: Principal, reservation_id: str, now: float, relay_url: str
    ) -> dict[str, Any]:
        """Open the meeting: a support session in the waiting state with the materials in
        its file list; the invitees' waiting pages enter. Opening an open one again answers
        its session."""
        reservation = self.owned(principal, reservation_id)
        live = self.relay.directory.sessions.get(reservation.session_id)
        if reservation.status is ReservationStatus.OPEN and live is not None:
            view = self.view(reservation, relay_url)
            return {"reservation": view, "support": self.relay.support_view(live)}
        rules.check_can_open(reservation, now)
        support = self.relay.new_support(principal, now, relay_url)
        session = self.relay.directory.sessions[support["session_id"]]
        for material in reservation.materials:
            transfer = self.relay.files.add_ready(
                session.id, "agent", material.name, material.size, material.sha256, now
            )
            self.relay.file_spool.copy_in(self.materials.path(material.file_id), transfer.id)
            self.relay.keep_file(transfer)  # on PostgreSQL: any node taking it over has it
            self.relay.post_file(session, "agent", transfer, now)
        reservation.status = ReservationStatus.OPEN
        reservation.session_id = session.id
        reservation.updated_at = now
        self.save(reservation)
        self.link_changed(reservation.id)
        logger.info("reservation opened", extra={"session_id": session.id})
        return {"reservation": self.view(reservation, relay_url), "support": support}

    def of_session(self, session_id: str) -> SessionReservation | None:
        """The Relay's ``session.reservation``: the open reservation of ``session_id``."""
        found = self._by_id.get(self._by_session.get(session_id, ""))
        if found is None or found.session_id != session_id:
            return None
        if found.status is not ReservationStatus.OPEN:
            return None
        links = sum(not (i.revoked or i.undelivered) for i in found.invitees)  # still lead in
        start = found.start_utc.isoformat()
        # The agent's waiting panel leads with these: withdrawn ones are off the list.
        invitees = tuple(
            SessionInvitee(invitee.name, invitee.email, _invitee_state(invitee))
            for invitee in found.invitees
            if not invitee.revoked
        )
        return SessionReservation(
            found.id, found.title, tuple(found.agenda), start, links, invitees
        )

    def session_ended(self, session_id: str, now: float) -> None:
        """The Relay's hook: an opened reservation's session ended. It is done once an
        invitee came in; ended before anyone did (the agent closed the waiting support), it is
        scheduled again: the invitees keep waiting and the agent may open it once more."""
        self._by_session.pop(session_id, None)
        for reservation in self._by_id.values():
            if reservation.session_id == session_id and (
                reservation.status is ReservationStatus.OPEN
            ):
                reservation.updated_at = now
                if any(invitee.joined_at is not None for invitee in reservation.invitees):
                    self._finish(reservation, ReservationStatus.DONE)
                else:
                    reservation.status = ReservationStatus.SCHEDULED
                    reservation.session_id = ""
                    self.save(reservation)
                    self.link_changed(reservation.id)
                return

    def _finish(self, reservation: Reservation, status: ReservationStatus) -> None:
        """Done or cancelled: stored, materials deleted, waiting pages told."""
        reservation.status = status
        reservation.materials_heard = None  # nothing more to mail about its files
        self.save(reservation)
        for material in reservation.materials:
            self.materials.delete(material.file_id)
        self.link_changed(reservation.id)

    # -- the invitees' side ------------------------------------------------------------------

    def by_secret(self, secret: str) -> tuple[Reservation, Invitee]:
        """Raises Refused ``meeting_not_found`` (404) for an unknown link."""
        reservation = self._by_id.get(self._by_secret.get(secret, ""))
        for invitee in reservation.invitees if reservation else []:
            if invitee.link_secret == secret:
                return reservation, invitee  # type: ignore[return-value]
        raise Refused("meeting_not_found", "This invitation link is not valid.")

    # -- the store ---------------------------------------------------------------------------

    def reload(self, doc_ids: Sequence[int] | None) -> None:
        """Another node changed these reservations (all for ``None``; the store has read
        them again): take them into the index, a removed one out of it."""
        by_doc = {doc_id: reservation_id for reservation_id, doc_id in self._doc_ids.items()}
        wanted = list({*by_doc, *(doc.doc_id for doc in self.store.all(RESERVATIONS))}) \
            if doc_ids is None else doc_ids  # fmt: skip
        for doc_id in wanted:
            old = self._by_id.pop(by_doc.get(doc_id, ""), None)
            if old is not None:
                self._doc_ids.pop(old.id, None)
                for invitee in old.invitees:
                    self._by_secret.pop(invitee.link_secret or "", None)
            doc = self.store.get(RESERVATIONS, doc_id)
            if doc is not None:
                reservation = Reservation.from_record(doc)
                self._by_id[reservation.id] = reservation
                self._doc_ids[reservation.id] = doc_id
                self._index(reservation)

    def _index(self, reservation: Reservation) -> None:
        for invitee in reservation.invitees:
            if invitee.link_secret:
                self._by_secret[invitee.link_secret] = reservation.id
        if reservation.session_id:
            self._by_session[reservation.session_id] = reservation.id

    def save(self, reservation: Reservation, durable: bool = True) -> None:
        self._by_id[reservation.id] = reservation
        self._index(reservation)
        record = reservation.to_record()
        doc_id = self._doc_ids.get(reservation.id)
        if doc_id is None:
            self._doc_ids[reservation.id] = self.store.insert(RESERVATIONS, record)
        else:
            self.store.update(RESERVATIONS, doc_id, record)
        if durable:
            self.relay.wait_durable()


def _file_ids(reservation: Reservation) -> list[str]:
    return [material.file_id for material in reservation.materials]


def _invitee_state(invitee: Invitee) -> InviteeState:
    if invitee.joined_at is not None:
        return InviteeState.JOINED
    return InviteeState.UNDELIVERED if invitee.undelivered else InviteeState.WAITING
