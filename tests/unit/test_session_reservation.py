"""`session.reservation` (suite/protocol/session_reservation.py): what the relay writes reads
back the same, the customer's copy leaves out the agent's count, and a malformed one names
its field."""

from __future__ import annotations

import pytest

from relay_server.reservations import rules
from suite.protocol import ProtocolError, SessionReservation, session_reservation
from suite.protocol.session_reservation import InviteeState, SessionInvitee

INVITEES = (
    SessionInvitee("Kim Customer", "kim@example.com", InviteeState.JOINED),
    SessionInvitee("", "lee@example.com", InviteeState.WAITING),
)
MEETING = SessionReservation(
    "r1", "Price review", ("Prices", "Delivery"), "2026-12-06T09:00:00+00:00", 2, INVITEES
)


def test_the_agents_copy_round_trips_and_the_customers_has_no_count():
    """to_body() and parse() agree; for_customer() drops `invited` and `invitees`."""
    body = MEETING.to_body()
    assert body == {
        "id": "r1",
        "title": "Price review",
        "agenda": ["Prices", "Delivery"],
        "start_utc": "2026-12-06T09:00:00+00:00",
        "invited": 2,
        "invitees": [
            {"name": "Kim Customer", "email": "kim@example.com", "state": "joined"},
            {"name": "", "email": "lee@example.com", "state": "waiting"},
        ],
    }
    assert SessionReservation.parse(body) == MEETING
    customer = MEETING.for_customer().to_body()
    assert "invited" not in customer and "invitees" not in customer
    assert SessionReservation.parse(customer).invited is None
    assert SessionReservation.parse(customer).invitees is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"title": None}, "'title'"),
        ({"title": "x" * 121}, "'title'"),
        ({"agenda": "Prices"}, "'agenda'"),
        ({"agenda": ["x"] * 21}, "'agenda'"),
        ({"agenda": [1]}, "'agenda'"),
        ({"start_utc": 5}, "'start_utc'"),
        ({"invited": True}, "'invited'"),
        ({"invitees": {}}, "'invitees'"),
        ({"invitees": [{}] * 201}, "'invitees'"),
        ({"invitees": ["kim@example.com"]}, "'invitees'"),
        ({"invitees": [{"name": "", "email": "k@x.io", "state": "gone"}]}, "'state'"),
        ({"invitees": [{"name": 5, "email": "k@x.io", "state": "joined"}]}, "'name'"),
        ({"invitees": [{"name": "", "email": None, "state": "joined"}]}, "'email'"),
    ],
)
def test_a_malformed_reservation_names_its_field(change, named):
    """Each wrong field is refused with its name in the message."""
    with pytest.raises(ProtocolError, match=named):
        SessionReservation.parse({**MEETING.to_body(), **change})


def test_the_limits_are_the_bookings():
    """What the relay accepts in a booking always fits the wire object."""
    assert session_reservation.MAX_TITLE_CHARS == rules.MAX_TITLE_CHARS
    assert session_reservation.MAX_AGENDA_TOPICS == rules.MAX_AGENDA_TOPICS
    assert session_reservation.MAX_TOPIC_CHARS == rules.MAX_TOPIC_CHARS
    assert session_reservation.MAX_INVITEES == rules.MAX_INVITEES
    assert session_reservation.MAX_INVITEE_NAME_CHARS == rules.MAX_INVITEE_NAME_CHARS
