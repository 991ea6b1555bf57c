"""Reservation mails through a real relay and a real SMTP server on loopback: the
invitation preview, the admin's reminder options, the invitees' links, material files' update
mails, and a refused invitation closing its link (A11, C3)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from icalendar import Calendar

from tests.support.api import Api
from tests.support.relay import ALICE, ROOT, RelayProcess, add_agent
from tests.support.reservations import book, meeting, upload_material, wall_clock_in
from tests.support.smtp_server import (
    RETRY_ARGS,
)
from tests.support.waiting import wait_until


def test_reservation_invitation_preview_shows_what_an_invitee_receives(mail_relay):
    """The reservation preview answers the subject, text, HTML and a .ics that parses, for a
    reservation not saved yet, in the asked language; bad fields are named."""
    api = Api(mail_relay.url)
    token = api.login(ALICE.username, ALICE.password)
    draft = {
        "title": "Demo\r\nBcc: x@example.com",
        "start_utc": "2026-03-29T00:30:00Z",
        "duration_minutes": 180,
        "time_zone": "Europe/Berlin",
        "agenda": ["Prices"],
    }
    status, body, _ = api.request(
        "POST", "/api/reservation_mails/preview",
        {"reservation": draft, "lang": "ko", "kind": "invitation"}, token=token,
    )  # fmt: skip
    assert status == 200, body
    assert body["subject"].startswith("초대: Demo Bcc: x@example.com")
    assert "\n" not in body["subject"]
    assert "01:30–05:30 (Europe/Berlin, UTC+01:00 → UTC+02:00)" in body["text"]
    assert "/?meet=your-personal-link" in body["html"]
    assert body["calendar_type"] == "text/calendar; method=REQUEST"
    event = Calendar.from_ical(body["calendar"]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    status, body, _ = api.request(
        "POST", "/api/reservation_mails/preview",
        {"reservation": {**draft, "time_zone": "Mars/Olympus"}}, token=token,
    )  # fmt: skip
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400, "bad_request", "time_zone",
    )  # fmt: skip
    status, body, _ = api.request("POST", "/api/reservation_mails/preview", {"kind": "x"},
                                  token=token)  # fmt: skip
    assert (status, body["error"]["field"]) == (400, "kind")
    status, _, _ = api.request("POST", "/api/reservation_mails/preview", {"reservation": draft})
    assert status == 401
    status, body, _ = api.request("GET", "/api/reservation_mails/unknown", token=token)
    assert (status, body) == (200, {"mails": []})
    status, _, _ = api.request("GET", "/api/reservation_mails/unknown")
    assert status == 401


def test_admin_sets_reminder_minutes_keep_days_and_ca_file(mail_relay):
    """The admin's mail section holds the reminder lead, the days mail is kept and the CA
    file, each checked, with its source."""
    api = Api(mail_relay.url)
    admin = api.login(ROOT.username, ROOT.password)
    status, body, _ = api.request("GET", "/api/admin/mail", token=admin)
    assert body["settings"]["reminder_minutes"] == {"value": 15, "source": "default"}
    assert body["settings"]["keep_days"]["value"] == 30
    assert body["settings"]["ca_file"]["value"] == ""
    changes = {"reminder_minutes": 30, "keep_days": 7, "ca_file": "/etc/ssl/company-ca.pem"}
    try:
        status, body, _ = api.request("PUT", "/api/admin/mail", changes, token=admin)
        assert status == 200, body
        assert body["settings"]["reminder_minutes"] == {"value": 30, "source": "admin"}
        assert {e["address"] for e in body["audit"]} == {"127.0.0.1"}  # the admin's address
        for bad in ({"reminder_minutes": -1}, {"keep_days": 0}, {"ca_file": "relative.pem"},
                    {"ca_file": "/a\nb"}):  # fmt: skip
            status, body, _ = api.request("PUT", "/api/admin/mail", bad, token=admin)
            assert (status, body["error"]["code"]) == (400, "bad_setting"), (bad, body)
            assert body["error"]["field"] == next(iter(bad))
    finally:
        api.request("PUT", "/api/admin/mail", {"reminder_minutes": 15, "keep_days": 30,
                                               "ca_file": ""}, token=admin)  # fmt: skip


def test_a_reservation_booked_on_the_relay_mails_each_invitee_a_link_that_opens_its_meeting(
    mail_relay, smtp
):
    """Booked through the relay's API: each invitee receives one invitation whose own link (in
    the text, the HTML and the .ics) opens that meeting's page; the cancellation reaches each as
    METHOD:CANCEL with a higher SEQUENCE, and the link then says the meeting was cancelled."""
    smtp.clear()
    api = Api(mail_relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation = book(api, token, start=wall_clock_in(120))
    invitees = reservation["invitees"]
    smtp.wait_for(len(invitees))
    for invitee in invitees:
        [mail] = smtp.messages_to(invitee["email"])
        link = invitee["link_url"]
        assert link in mail.part("plain") and link in mail.part("html")
        method, event = mail.calendar()
        assert (method, str(event["URL"])) == ("REQUEST", link)
        assert (str(event["UID"]), int(event["SEQUENCE"])) == (reservation["uid"], 0)
        status, body = meeting(api, link)
        assert status == 200 and body["meeting"]["title"] == reservation["title"], body
    cancel = f"/api/reservations/{reservation['id']}/cancel"
    status, body, _ = api.request("POST", cancel, {}, token)
    assert status == 200, body
    smtp.wait_for(2 * len(invitees))
    for invitee in invitees:
        first, second = smtp.messages_to(invitee["email"])
        method, event = second.calendar()
        assert (method, str(event["UID"])) == ("CANCEL", reservation["uid"])
        assert int(event["SEQUENCE"]) > 0
        assert meeting(api, invitee["link_url"])[1]["meeting"]["state"] == "cancelled"


def _edit_as_the_app_saves(api: Api, token: str, reservation: dict) -> dict:
    """The agent app's save ends with the edit of every field, unchanged here."""
    fields = ("title", "duration_minutes", "time_zone", "agenda")
    body = {key: reservation[key] for key in fields}
    body["start"] = reservation["start_local"][:16]
    body["invitees"] = [
        {key: invitee[key] for key in ("email", "name", "language")}
        for invitee in reservation["invitees"]
    ]
    status, answer, _ = api.request("PUT", f"/api/reservations/{reservation['id']}", body, token)
    assert status == 200, answer
    return answer["reservation"]


def test_material_files_changed_in_a_save_send_one_update_per_invitee(mail_relay, smtp):
    """Files added to a reservation already mailed (two uploads, then the edit that ends the
    agent app's save): each invitee gets ONE update listing both files, its .ics one SEQUENCE
    up; a second save removing one file: one more update per invitee without it. Nothing
    more follows."""
    smtp.clear()
    api = Api(mail_relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation = book(api, token, start=wall_clock_in(180))
    invitees = [invitee["email"] for invitee in reservation["invitees"]]
    smtp.wait_for(len(invitees))
    for name in ("price-list.pdf", "delivery-terms.txt"):
        status, body = upload_material(api, token, reservation["id"], name, name.encode() * 50)
        assert status == 201, body
    saved = _edit_as_the_app_saves(api, token, body["reservation"])
    assert saved["sequence"] == 1
    smtp.wait_for(2 * len(invitees))
    for address in invitees:
        _, update = smtp.messages_to(address)
        method, event = update.calendar()
        assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", saved["uid"], 1)
        assert "price-list.pdf" in update.part("plain")
        assert "delivery-terms.txt" in update.part("plain")
    lee = smtp.messages_to("lee@example.com")[1]
    assert str(lee.message["Subject"]).startswith("Updated:")
    assert "What changed: the material files." in lee.part("plain")
    removed = saved["materials"][0]["file_id"]
    status, body, _ = api.request(
        "DELETE", f"/api/reservations/{reservation['id']}/materials/{removed}", None, token
    )
    assert status == 200, body
    saved = _edit_as_the_app_saves(api, token, body["reservation"])
    assert saved["sequence"] == 2
    smtp.wait_for(3 * len(invitees))
    for address in invitees:
        third = smtp.messages_to(address)[2]
        assert int(third.calendar()[1]["SEQUENCE"]) == 2
        assert "price-list.pdf" not in third.part("plain")
        assert "delivery-terms.txt" in third.part("plain")
    time.sleep(1.0)
    assert len(smtp.received) == 3 * len(invitees)


def test_material_files_changed_without_an_edit_are_mailed_once_after_the_quiet_time(
    smtp, tmp_path
):
    """Uploads with no edit after them (an API client), the relay SIGKILLed right after:
    once restarted, each invitee gets one update listing both files when the quiet time has
    passed since the last change, and nothing more."""
    smtp.clear()
    data = tmp_path / "data"
    data.mkdir()
    add_agent(data, ALICE)
    quiet = ["--materials-mail-quiet", "2"]
    relay = RelayProcess(data, tmp_path, [*smtp.relay_args(), *RETRY_ARGS, *quiet])
    relay.start()
    try:
        api = Api(relay.url)
        token = api.login(ALICE.username, ALICE.password)
        reservation = book(api, token, start=wall_clock_in(180))
        invitees = [invitee["email"] for invitee in reservation["invitees"]]
        smtp.wait_for(len(invitees))
        for name in ("a.pdf", "b.pdf"):
            status, body = upload_material(api, token, reservation["id"], name, b"%PDF-1.4")
            assert status == 201, body
        relay.kill()
        assert len(smtp.received) == len(invitees)  # the quiet time had not passed
        relay.restart()
        smtp.wait_for(2 * len(invitees))
        for address in invitees:
            _, update = smtp.messages_to(address)
            assert int(update.calendar()[1]["SEQUENCE"]) == 1
            assert "a.pdf" in update.part("plain") and "b.pdf" in update.part("plain")
        time.sleep(3.0)
        assert len(smtp.received) == 2 * len(invitees)
    finally:
        relay.stop()


def test_a_refused_reservation_invitation_closes_that_invitees_link(mail_relay, smtp):
    """A 550 for one invitee's reservation invitation closes that invitee's link (its page says
    withdrawn, the reservation's invite list says the mail did not arrive) and only that one."""
    smtp.clear()
    smtp.refuse_recipient("lost@example.com")
    api = Api(mail_relay.url)
    token = api.login(ALICE.username, ALICE.password)
    invitees = [
        {"email": "lost@example.com", "name": "Lost Buyer", "language": "en"},
        {"email": "kept@example.com", "name": "Kept Buyer", "language": "ko"},
    ]
    reservation = book(api, token, start=wall_clock_in(120), invitees=invitees)
    smtp.wait_for_address("kept@example.com")

    def closed() -> dict | None:
        status, body, _ = api.request("GET", f"/api/reservations/{reservation['id']}", token=token)
        assert status == 200, body
        by_email = {i["email"]: i for i in body["reservation"]["invitees"]}
        return by_email if by_email["lost@example.com"].get("undelivered") else None

    by_email = wait_until(closed, "the refused invitee's link closed")
    assert not by_email["kept@example.com"].get("undelivered")
    assert meeting(api, by_email["lost@example.com"]["link_url"])[1]["meeting"]["state"] == (
        "revoked"
    )
    assert meeting(api, by_email["kept@example.com"]["link_url"])[1]["meeting"]["state"] == (
        "early"
    )
