"""Reservations (A11) through a real relay: book, edit, cancel, open, materials, who may see
what, bad input, daylight saving, the invitees' links and a restart."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.relay import ALICE, BOB
from tests.support.reservations import (
    book,
    booking,
    meeting,
    next_dst_start,
    secret_of,
    upload_material,
    wall_clock_in,
)

PDF = b"%PDF-1.4 Zephyr quartz price list\n" * 40


def _login(relay) -> tuple[Api, str, str]:
    api = Api(relay.url)
    return api, api.login(ALICE.username, ALICE.password), api.login(BOB.username, BOB.password)


def test_book_list_edit_cancel_and_another_agent_is_refused(relay):
    """A booking is listed as upcoming with its links; an edit raises the sequence and keeps
    kept invitees' links; another agent gets 403; a cancelled one is past and its link says so."""
    api, alice, bob = _login(relay)
    reservation = book(api, alice)
    assert reservation["status"] == "scheduled" and reservation["sequence"] == 0
    assert reservation["time_zone"] == "Asia/Seoul"
    assert [i["email"] for i in reservation["invitees"]] == ["kim@example.com", "lee@example.com"]
    kim_link = reservation["invitees"][0]["link_url"]
    assert kim_link.startswith(f"{relay.url}/?meet=")  # the address the agent used
    assert len(secret_of(kim_link)) >= 22  # 128 bits or more, url-safe
    assert all("link_secret" not in i for i in reservation["invitees"])
    rid = reservation["id"]

    status, listed, _ = api.request("GET", "/api/reservations?when=upcoming", token=alice)
    assert status == 200 and [r["id"] for r in listed["reservations"]] == [rid]
    assert api.request("GET", "/api/reservations?when=past", token=alice)[1]["reservations"] == []
    assert api.request("GET", "/api/reservations", token=bob)[1]["reservations"] == []

    for method, path in (("GET", ""), ("PUT", ""), ("POST", "/cancel"), ("POST", "/open")):
        status, body, _ = api.request(method, f"/api/reservations/{rid}{path}", {}, bob)
        assert (status, body["error"]["code"]) == (403, "not_your_reservation"), (method, path)
    status, body, _ = api.request("GET", "/api/reservations/nope", token=alice)
    assert (status, body["error"]["code"]) == (404, "reservation_not_found")

    edit = {"title": "Zephyr pricing, second look", "invitees": [
        {"email": "kim@example.com", "name": "Kim Customer", "language": "ko"},
        {"email": "park@example.com", "name": "Park New", "language": "en"},
    ]}  # fmt: skip
    status, body, _ = api.request("PUT", f"/api/reservations/{rid}", edit, alice)
    assert status == 200, body
    edited = body["reservation"]
    assert edited["title"] == "Zephyr pricing, second look" and edited["sequence"] == 1
    by_email = {i["email"]: i for i in edited["invitees"]}
    assert by_email["kim@example.com"]["link_url"] == kim_link  # kept: the same link
    assert by_email["lee@example.com"]["revoked"] is True
    assert meeting(api, by_email["lee@example.com"]["link_url"])[1]["meeting"]["state"] == (
        "revoked"
    )

    status, body, _ = api.request("POST", f"/api/reservations/{rid}/cancel", {}, alice)
    assert status == 200 and body["reservation"]["status"] == "cancelled"
    assert body["reservation"]["sequence"] == 2
    listed = api.request("GET", "/api/reservations?when=past", token=alice)[1]["reservations"]
    assert [r["id"] for r in listed] == [rid]
    assert meeting(api, kim_link)[1]["meeting"]["state"] == "cancelled"
    status, body, _ = api.request("POST", f"/api/meetings/{secret_of(kim_link)}/join", {})
    assert (status, body["error"]["code"]) == (410, "meeting_cancelled")
    status, body, _ = api.request("POST", f"/api/reservations/{rid}/open", {}, alice)
    assert (status, body["error"]["code"]) == (410, "reservation_cancelled")


def test_bad_input_is_refused_with_clear_codes(relay):
    """Past start, bad title, duration, time zone, too many topics, a bad address and 1,000
    invitees are each refused with their own code; nothing is stored."""
    api, alice, _ = _login(relay)
    cases = [
        ({"start": wall_clock_in(-10)}, 400, "start_in_past"),
        ({"start": "tomorrow at ten"}, 400, "bad_start"),
        ({"title": "   "}, 400, "bad_title"),
        ({"title": "x" * 121}, 400, "bad_title"),
        ({"duration_minutes": 2}, 400, "bad_duration"),
        ({"duration_minutes": 24 * 60}, 400, "bad_duration"),
        ({"duration_minutes": "30"}, 400, "bad_duration"),
        ({"time_zone": "Mars/Olympus"}, 400, "unknown_time_zone"),
        ({"time_zone": "../../etc/passwd"}, 400, "unknown_time_zone"),
        ({"agenda": [f"topic {n}" for n in range(21)]}, 400, "too_many_topics"),
        ({"invitees": [{"email": "kim@example"}]}, 400, "bad_address"),
        ({"invitees": [{"email": "kim@example.com\r\nBcc: x@evil.test"}]}, 400, "bad_address"),
        (
            {"invitees": [{"email": f"c{n}@example.com"} for n in range(1000)]},
            413,
            "too_many_recipients",
        ),
    ]
    for override, status_expected, code in cases:
        status, body, _ = api.request("POST", "/api/reservations", booking(**override), alice)
        assert (status, body["error"]["code"]) == (status_expected, code), override
        assert body["error"]["message"]
    status, body, _ = api.request(
        "POST", "/api/reservations", booking(invitees=[{"email": "a@b.c"}, {"email": "bad"}]), alice
    )
    assert body["error"]["bad_addresses"][0]["index"] == 1
    assert api.request("GET", "/api/reservations?when=all", token=alice)[1]["reservations"] == []


def test_times_across_a_dst_change_keep_the_wall_clock(relay):
    """In America/New_York, 10:00 the day before and the day after the spring change are 15:00
    and 14:00 UTC; 02:30 on the change day does not exist and is refused."""
    api, alice, _ = _login(relay)
    change = next_dst_start("America/New_York")
    before = (change - timedelta(days=1)).replace(hour=10)
    after = (change + timedelta(days=1)).replace(hour=10)
    zone = "America/New_York"
    first = book(api, alice, start=before.isoformat(), time_zone=zone, invitees=[])
    second = book(api, alice, start=after.isoformat(), time_zone=zone, invitees=[])
    start_first = datetime.fromisoformat(first["start_utc"])
    start_second = datetime.fromisoformat(second["start_utc"])
    offset_first = before.replace(tzinfo=ZoneInfo(zone)).utcoffset()
    assert start_first.astimezone(UTC).hour == (10 - offset_first.total_seconds() // 3600) % 24
    assert start_second.astimezone(UTC).hour == start_first.astimezone(UTC).hour - 1
    assert first["start_local"].startswith(before.isoformat()[:16])
    assert second["start_local"].startswith(after.isoformat()[:16])
    gap = change.replace(hour=2, minute=30)
    status, body, _ = api.request(
        "POST", "/api/reservations", booking(start=gap.isoformat(), time_zone=zone), alice
    )
    assert (status, body["error"]["code"]) == (400, "bad_start")
    assert "does not exist" in body["error"]["message"]


def test_overlaps_are_allowed_and_flagged(relay):
    """Two bookings at overlapping times are both kept and both flagged; a third later one
    is not."""
    api, alice, _ = _login(relay)
    a = book(api, alice, start=wall_clock_in(60), duration_minutes=60, invitees=[])
    b = book(api, alice, start=wall_clock_in(90), duration_minutes=30, invitees=[])
    c = book(api, alice, start=wall_clock_in(180), duration_minutes=30, invitees=[])
    listed = api.request("GET", "/api/reservations", token=alice)[1]["reservations"]
    flags = {r["id"]: r["overlaps"] for r in listed}
    assert flags == {a["id"]: True, b["id"]: True, c["id"]: False}
    assert [r["id"] for r in listed] == [a["id"], b["id"], c["id"]]


def test_early_link_waits_and_an_early_open_is_refused(relay):
    """Two hours ahead, the link's page is early and the agent's open is 409 with opens_at;
    a join through the link is refused as not open; an unknown link is 404."""
    api, alice, _ = _login(relay)
    reservation = book(api, alice, start=wall_clock_in(120))
    link = reservation["invitees"][0]["link_url"]
    status, body = meeting(api, link)
    assert status == 200
    page = body["meeting"]
    assert page["state"] == "early" and page["title"] == "Zephyr quartz pricing"
    assert page["agent"]["name"] == ALICE.name and page["agent"]["company"] == "Acme"
    assert page["agenda"] == ["Prices", "Delivery"] and body["invitee"]["language"] == "ko"
    status, body, _ = api.request("POST", f"/api/reservations/{reservation['id']}/open", {}, alice)
    assert (status, body["error"]["code"]) == (409, "reservation_too_early")
    assert body["error"]["opens_at"] > time.time() + 3600
    status, body, _ = api.request("POST", f"/api/meetings/{secret_of(link)}/join", {})
    assert (status, body["error"]["code"]) == (409, "meeting_not_open")
    status, body, _ = api.request("GET", "/api/meetings/" + "x" * 32)
    assert (status, body["error"]["code"]) == (404, "meeting_not_found")


def test_open_wakes_the_waiting_link_seats_once_and_shares_the_materials(relay):
    """A waiting link's long poll returns when the agent opens; the invitee joins without a
    code, sees the material in the file list with its sha256; the link is used after; the
    session's end makes the reservation done; a restart keeps all of it."""
    api, alice, _ = _login(relay)
    reservation = book(api, alice)
    rid = reservation["id"]
    status, body = upload_material(api, alice, rid, "../../Price list.pdf", PDF)
    assert status == 201, body
    assert body["material"]["name"] == "Price list.pdf"
    assert body["material"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    status, body = upload_material(api, alice, rid, "bad.pdf", PDF, sha256="0" * 64)
    assert (status, body["error"]["code"]) == (422, "checksum_mismatch")
    kim_link = reservation["invitees"][0]["link_url"]
    assert meeting(api, kim_link)[1]["meeting"]["state"] == "waiting"

    woke: dict = {}

    def wait() -> None:
        started = time.monotonic()
        woke["answer"] = meeting(api, kim_link, wait_s=20)
        woke["after_s"] = time.monotonic() - started

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)  # let the long poll start waiting (the test still passes if it did not)
    status, opened, _ = api.request("POST", f"/api/reservations/{rid}/open", {}, alice)
    assert status == 200, opened
    waiter.join(timeout=20)
    assert woke["answer"][1]["meeting"]["state"] == "open"
    assert woke["after_s"] < 10  # woken by the open, not by the poll's timeout
    session_id = opened["support"]["session_id"]
    assert opened["reservation"]["status"] == "open"
    assert opened["reservation"]["session_id"] == session_id

    status, joined, _ = api.request("POST", f"/api/meetings/{secret_of(kim_link)}/join", {})
    assert status == 200, joined
    assert joined["session_id"] == session_id
    status, body, _ = api.request("POST", f"/api/meetings/{secret_of(kim_link)}/join", {})
    assert (status, body["error"]["code"]) == (410, "meeting_link_used")

    customer = ChatClient(relay.ws_url, "customer", session_id, joined["customer_token"])
    welcome = customer.connect()
    assert welcome["type"] == "welcome"
    agent = ChatClient(relay.ws_url, "agent", session_id, alice)
    agent.connect()
    status, files, _ = api.request("GET", f"/api/sessions/{session_id}/files", token=alice)
    assert status == 200, files
    (transfer,) = files["transfers"]
    assert transfer["name"] == "Price list.pdf" and transfer["state"] == "ready"
    assert transfer["sender"] == "agent" and transfer["sha256"] == hashlib.sha256(PDF).hexdigest()

    relay.restart()
    api = Api(relay.url)
    alice = api.login(ALICE.username, ALICE.password)
    assert (
        api.request("GET", f"/api/reservations/{rid}", token=alice)[1]["reservation"]["status"]
        == "open"
    )
    agent = ChatClient(relay.ws_url, "agent", session_id, alice)
    agent.connect()
    agent.send({"type": "end_session"})
    agent.recv_type("session_ended")
    agent.close()
    customer.close()
    got = api.request("GET", f"/api/reservations/{rid}", token=alice)[1]["reservation"]
    assert got["status"] == "done"
    assert meeting(api, reservation["invitees"][1]["link_url"])[1]["meeting"]["state"] == "over"
    listed = api.request("GET", "/api/reservations?when=past", token=alice)[1]["reservations"]
    assert [r["id"] for r in listed] == [rid]
    assert not list((relay.data_dir / "reservation_materials").glob("*.spool"))


def test_a_support_ended_before_anyone_came_can_be_opened_again(relay):
    """The agent ends the opened reservation's support while no invitee has come: it is
    scheduled again, its link waits, and Open makes a new session with the material again."""
    api, alice, _ = _login(relay)
    reservation = book(api, alice)
    rid = reservation["id"]
    assert upload_material(api, alice, rid, "brochure.pdf", PDF)[0] == 201
    first = api.request("POST", f"/api/reservations/{rid}/open", {}, alice)[1]["support"]
    agent = ChatClient(relay.ws_url, "agent", first["session_id"], alice)
    agent.connect()
    agent.send({"type": "end_session"})
    agent.recv_type("session_ended")
    agent.close()
    got = api.request("GET", f"/api/reservations/{rid}", token=alice)[1]["reservation"]
    assert (got["status"], got["session_id"]) == ("scheduled", "")
    assert meeting(api, reservation["invitees"][0]["link_url"])[1]["meeting"]["state"] == (
        "waiting"
    )
    status, again, _ = api.request("POST", f"/api/reservations/{rid}/open", {}, alice)
    assert status == 200 and again["support"]["session_id"] != first["session_id"]
    path = f"/api/sessions/{again['support']['session_id']}/files"
    files = api.request("GET", path, token=alice)[1]["transfers"]
    assert [t["name"] for t in files] == ["brochure.pdf"]


def test_the_opened_meetings_session_names_its_reservation(relay):
    """An opened reservation's session carries `reservation` (title, agenda, start) in every
    welcome: the agent's with how many links still lead in and each invitee's state, the
    invitee's without; a support
    made with New support has none; a relay restart keeps it, and it is gone once the meeting
    is scheduled again."""
    api, alice, _ = _login(relay)
    reservation = book(api, alice, agenda=["Prices", "Delivery", "계약 조건"])
    rid = reservation["id"]
    opened = api.request("POST", f"/api/reservations/{rid}/open", {}, alice)[1]
    session_id = opened["support"]["session_id"]
    expected = {
        "id": rid,
        "title": "Zephyr quartz pricing",
        "agenda": ["Prices", "Delivery", "계약 조건"],
        "start_utc": reservation["start_utc"],
    }
    kim = {"name": "Kim Customer", "email": "kim@example.com"}
    lee = {"name": "Lee Buyer", "email": "lee@example.com", "state": "waiting"}
    waiting = [{**kim, "state": "waiting"}, lee]
    agent = ChatClient(relay.ws_url, "agent", session_id, alice)
    assert agent.connect()["session"]["reservation"] == {
        **expected, "invited": 2, "invitees": waiting,
    }  # fmt: skip
    link = reservation["invitees"][0]["link_url"]
    joined = api.request("POST", f"/api/meetings/{secret_of(link)}/join", {})[1]
    customer = ChatClient(relay.ws_url, "customer", session_id, joined["customer_token"])
    assert customer.connect()["session"]["reservation"] == expected
    # The customer's arrival updates the agent's session: the meeting is still named.
    updated = agent.recv_type("session_updated")
    assert updated["session"]["reservation"]["title"] == "Zephyr quartz pricing"
    # ... and says which invitee came in (the agent's waiting panel and meeting panel).
    assert updated["session"]["reservation"]["invitees"] == [{**kim, "state": "joined"}, lee]
    customer.close()
    agent.close()

    status, plain = api.request("POST", "/api/supports", {}, alice)[:2]
    assert status == 201, plain
    other = ChatClient(relay.ws_url, "agent", plain["support"]["session_id"], alice)
    assert other.connect()["session"]["reservation"] is None
    other.close()

    relay.restart()
    api = Api(relay.url)
    alice = api.login(ALICE.username, ALICE.password)
    agent = ChatClient(relay.ws_url, "agent", session_id, alice)
    assert agent.connect()["session"]["reservation"] == {
        **expected, "invited": 2, "invitees": [{**kim, "state": "joined"}, lee],
    }  # fmt: skip
    agent.close()
