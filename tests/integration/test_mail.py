"""Mail through a real SMTP server on loopback: invitations (A3), faults, the outbox across a
crash, bad input, and the admin's SMTP settings (AD4)."""

from __future__ import annotations

import re
import threading
import time

import psutil
import pytest

from tests.support.api import Api
from tests.support.ports import free_port
from tests.support.relay import ALICE, ROOT
from tests.support.smtp_server import (
    invite,
    wait_mail_state,
)
from tests.support.waiting import wait_until


@pytest.fixture
def session(mail_relay, smtp) -> tuple[Api, str, dict]:
    """Alice's fresh waiting session on the module's relay; the server's mailbox emptied."""
    smtp.clear()
    api = Api(mail_relay.url)
    token = api.login(ALICE.username, ALICE.password)
    return api, token, api.new_support(token)


def test_invitation_arrives_as_text_and_html_in_korean(session, smtp):
    """A Korean invitation arrives with a text and an HTML part, both in Korean, with the
    agent's name and company and a personal link of the recipient's own instead of the code."""
    api, token, support = session
    status, body = invite(api, token, support["session_id"], ("kim@example.com", "ko"),
                          ("lee@example.com", "en"))  # fmt: skip
    assert status == 202, body
    assert [mail["state"] for mail in body["mails"]] in (
        [s1, s2] for s1 in ("queued", "sending", "sent") for s2 in ("queued", "sending", "sent")
    )
    sent = wait_mail_state(api, token, body["mails"][0]["id"], "sent")
    assert sent["answer"].startswith("250")
    smtp.wait_for_address("kim@example.com")
    smtp.wait_for_address("lee@example.com")
    [korean] = smtp.messages_to("kim@example.com")
    assert korean.message_id == body["mails"][0]["message_id"]
    assert korean.message.get_content_type() == "multipart/alternative"
    assert "원격 상담에 초대했습니다" in str(korean.message["Subject"])
    code = f"{support['code'][:3]} {support['code'][3:6]} {support['code'][6:]}"
    links = {}
    for address in ("kim@example.com", "lee@example.com"):
        [mail] = smtp.messages_to(address)
        [link] = set(re.findall(r"/\?invite=([A-Za-z0-9_-]{32,})", mail.part("plain")))
        assert f"/?invite={link}" in mail.part("html")
        assert code not in mail.part("plain") and code not in mail.part("html")
        links[address] = link
    assert links["kim@example.com"] != links["lee@example.com"]
    for subtype in ("plain", "html"):
        part = korean.part(subtype)
        assert "Alice Kim" in part and "Acme" in part and "상담 참여하기" in part
        assert "개인 링크" in part
    [english] = smtp.messages_to("lee@example.com")
    assert "invites you to a live online consultation" in english.part("plain")
    assert "상담" not in english.part("html")


def test_each_mailed_link_is_in_the_people_list_revocable_and_opens_one_seat(session, smtp):
    """Every mailed recipient has an open personal link labelled with their address in the
    session's list; a revoked one no longer opens the session, the other seats its holder."""
    api, token, support = session
    session_id = support["session_id"]
    status, body = invite(api, token, session_id, ("one@example.com", "en"),
                          ("two@example.com", "en"))  # fmt: skip
    assert status == 202, body
    assert [mail["link"]["state"] for mail in body["mails"]] == ["open", "open"]
    status, listed, _ = api.request("GET", f"/api/supports/{session_id}/links", token=token)
    by_label = {link["label"]: link for link in listed["invitations"]}
    assert {by_label[a]["state"] for a in ("one@example.com", "two@example.com")} == {"open"}
    secrets = {}
    for address in ("one@example.com", "two@example.com"):
        mail = smtp.wait_for_address(address)
        secrets[address] = re.findall(r"/\?invite=([A-Za-z0-9_-]{32,})", mail.part("plain"))[0]
    link_id = by_label["one@example.com"]["id"]
    status, _, _ = api.request("DELETE", f"/api/supports/{session_id}/links/{link_id}",
                               token=token)  # fmt: skip
    assert status == 200
    status, refused, _ = api.request(
        "POST", "/api/join", {"invitation": secrets["one@example.com"], "name": "One"}
    )
    assert (status, refused["error"]["code"]) == (410, "invitation_revoked"), refused
    status, joined, _ = api.request(
        "POST", "/api/join", {"invitation": secrets["two@example.com"], "name": "Two"}
    )
    assert status == 200, joined
    status, mails, _ = api.request(
        "GET", f"/api/supports/{session_id}/invitation_mails", token=token
    )
    assert {m["to"]: m["link"]["state"] for m in mails["mails"]} == {
        "one@example.com": "revoked", "two@example.com": "used",
    }  # fmt: skip


def test_mail_states_are_listed_for_the_session(session, smtp):
    """The sender sees every invitation of the session with its state; others see none."""
    api, token, support = session
    invite(api, token, support["session_id"], ("list@example.com", "en"))
    smtp.wait_for_address("list@example.com")
    status, body, _ = api.request(
        "GET", f"/api/supports/{support['session_id']}/invitation_mails", token=token
    )
    assert status == 200
    assert [m["to"] for m in body["mails"]] == ["list@example.com"]
    admin = api.login(ROOT.username, ROOT.password)
    status, body, _ = api.request("GET", f"/api/mails/{body['mails'][0]['id']}", token=admin)
    assert (status, body["error"]["code"]) == (404, "mail_not_found")


def test_bad_addresses_are_each_named_and_nothing_is_queued(session, smtp):
    """One bad address refuses the whole list, names each bad one with its reason, and
    nothing is queued."""
    api, token, support = session
    status, body = invite(
        api, token, support["session_id"], ("good@example.com", "en"), ("no-at-sign", "en"),
        ("two@@example.com", "ko"), ("x@example.com\r\nBcc: victim@example.com", "en"),
        ("good@example.com", "ko"),
    )  # fmt: skip
    assert status == 400, body
    error = body["error"]
    assert error["code"] == "bad_address"
    assert [(bad["index"], bad["reason"]) for bad in error["bad_addresses"]] == [
        (1, "an address has one @, like kim@example.com"),
        (2, "an address has one @, like kim@example.com"),
        (3, "line breaks and control characters are not allowed"),
        (4, "listed twice"),
    ]
    status, body, _ = api.request(
        "GET", f"/api/supports/{support['session_id']}/invitation_mails", token=token
    )
    assert body["mails"] == []


def test_a_thousand_recipients_get_the_cap_error(session):
    """1,000 (or 51) recipients in one request are refused whole with too_many_recipients and
    the cap: a live session's 50 open personal links (200 pass a plain list:
    tests/unit/test_mail_core.py)."""
    api, token, support = session
    many = [(f"user{i}@example.com", "en") for i in range(1000)]
    status, body = invite(api, token, support["session_id"], *many)
    assert status == 413, body
    assert body["error"]["code"] == "too_many_recipients"
    assert body["error"]["max_recipients"] == 50
    status, body = invite(api, token, support["session_id"], *many[:51])
    assert (status, body["error"]["code"]) == (413, "too_many_recipients")
    status, links, _ = api.request(
        "GET", f"/api/supports/{support['session_id']}/links", token=token
    )
    assert links["invitations"] == []  # no link was issued for a refused list
    status, body, _ = api.request(
        "GET", f"/api/supports/{support['session_id']}/invitation_mails", token=token
    )
    assert body["mails"] == []


def test_header_injection_in_the_agent_name_adds_no_header(session, smtp):
    """CR/LF in the agent's name (in the subject) adds no header and no recipient."""
    api, token, support = session
    status, body, _ = api.request(
        "PUT", "/api/me", {"name": "Eve\r\nBcc: victim@example.com\r\nX-Evil: 1"}, token=token
    )
    try:
        if status == 200:
            invite(api, token, support["session_id"], ("target@example.com", "en"))
            received = smtp.wait_for_address("target@example.com")
            assert received.rcpt_tos == ["target@example.com"]
            assert received.message["Bcc"] is None and received.message["X-Evil"] is None
            assert "\n" not in str(received.message["Subject"])
            assert "Eve Bcc: victim@example.com X-Evil: 1" in str(received.message["Subject"])
        else:
            assert status == 400, body  # refused at the profile: nothing can reach a header
    finally:
        api.request("PUT", "/api/me", {"name": ALICE.name}, token=token)


def test_temporary_failures_are_retried_until_taken(session, smtp):
    """A 451 twice: the mail shows retrying with the server's answer, then arrives on the
    third try."""
    api, token, support = session
    smtp.fail_next("later@example.com", 2)
    _, body = invite(api, token, support["session_id"], ("later@example.com", "en"))
    mail_id = body["mails"][0]["id"]
    retrying = wait_mail_state(api, token, mail_id, "retrying", "sent")
    if retrying["state"] == "retrying":
        assert retrying["answer"].startswith("451") and retrying["next_try_at"] is not None
    sent = wait_mail_state(api, token, mail_id, "sent")
    assert sent["attempts"] == 3
    assert len(smtp.messages_to("later@example.com")) == 1


def test_permanent_failure_is_failed_with_the_answer(session, smtp):
    """A 550 to the recipient: failed (rejected) with the server's words, never retried."""
    api, token, support = session
    smtp.refuse_recipient("nobody@example.com")
    _, body = invite(api, token, support["session_id"], ("nobody@example.com", "en"))
    failed = wait_mail_state(api, token, body["mails"][0]["id"], "failed")
    assert failed["error"] == "rejected"
    assert "550 5.1.1 No such user" in failed["answer"]
    assert failed["attempts"] == 1


def test_mail_waits_while_the_server_is_down_and_goes_when_it_is_back(session, smtp):
    """The SMTP server down: the mail waits (retrying, "connection refused") and is
    delivered once the server listens again, on the same port."""
    api, token, support = session
    smtp.stop()
    try:
        _, body = invite(api, token, support["session_id"], ("patient@example.com", "ko"))
        mail_id = body["mails"][0]["id"]
        retrying = wait_mail_state(api, token, mail_id, "retrying")
        assert "connection refused" in retrying["answer"]
    finally:
        smtp.start()
    wait_mail_state(api, token, mail_id, "sent", timeout_s=30)
    assert len(smtp.messages_to("patient@example.com")) == 1


def test_admin_mail_settings_hide_the_password_and_audit_changes(mail_relay, smtp):
    """The admin sets the SMTP settings: the password is never returned, empty leaves it
    unchanged, every change has an audit entry (who, old, new; never the password), bad values
    get bad_setting naming the field, and an agent is refused."""
    api = Api(mail_relay.url)
    admin = api.login(ROOT.username, ROOT.password)
    status, body, _ = api.request("GET", "/api/admin/mail", token=admin)
    assert status == 200
    assert body["settings"]["host"] == {"value": "127.0.0.1", "source": "command_line"}
    assert body["settings"]["sender_name"] == {"value": "RemoteSales", "source": "default"}
    status, body, _ = api.request(
        "PUT", "/api/admin/mail",
        {"username": "relay-user", "password": "s3cret-Passw0rd", "sender_name": "Acme Sales"},
        token=admin,
    )  # fmt: skip
    assert status == 200, body
    assert "s3cret-Passw0rd" not in str(body)
    assert body["settings"]["password"] == {"set": True, "source": "admin"}
    audit = {entry["key"]: entry for entry in body["audit"]}
    assert audit["mail.password"]["old"] == "(empty)" and audit["mail.password"]["new"] == "(set)"
    assert audit["mail.sender_name"]["old"] == "RemoteSales"
    assert audit["mail.sender_name"]["new"] == "Acme Sales"
    assert audit["mail.sender_name"]["actor"] == "root"
    status, body, _ = api.request("PUT", "/api/admin/mail", {"password": ""}, token=admin)
    assert body["settings"]["password"]["set"] is True
    for bad, field in (({"port": 70000}, "port"), ({"security": "ssl3"}, "security"),
                       ({"sender_name": "A\r\nBcc: x@example.com"}, "sender_name"),
                       ({"sender_address": "not an address"}, "sender_address"),
                       ({"colour": "red"}, "colour")):  # fmt: skip
        status, body, _ = api.request("PUT", "/api/admin/mail", bad, token=admin)
        assert (status, body["error"]["code"], body["error"]["field"]) == (
            400, "bad_setting", field), body  # fmt: skip
    agent = api.login(ALICE.username, ALICE.password)
    status, body, _ = api.request("GET", "/api/admin/mail", token=agent)
    assert (status, body["error"]["code"]) == (403, "not_admin")
    # aiosmtpd offers no AUTH: the test mail reports that answer; without a user it is taken.
    status, body, _ = api.request("POST", "/api/admin/mail/test", {"to": "t@example.com"},
                                  token=admin)  # fmt: skip
    assert status == 200 and body["delivered"] is False and "AUTH" in body["answer"], body
    api.request("PUT", "/api/admin/mail", {"username": "", "clear_password": True}, token=admin)
    status, body, _ = api.request("POST", "/api/admin/mail/test", {"to": "t2@example.com"},
                                  token=admin)  # fmt: skip
    assert body["delivered"] is True and body["answer"].startswith("250"), body
    received = smtp.wait_for_address("t2@example.com")
    assert str(received.message["From"]) == "Acme Sales <relay@example.com>"


def test_the_test_mail_is_sent_by_a_worker_of_its_own_with_clear_errors(mail_relay, smtp):
    """The admin's test mail is built and sent by a mail worker started for it (a child
    process of the relay, gone after the answer), not on the relay's loop: held by the server
    at RCPT, the worker is there and the relay answers the admin meanwhile. A host where
    nothing listens and a refused login each come back as the server's own problem."""
    api = Api(mail_relay.url)
    admin = api.login(ROOT.username, ROOT.password)
    relay_process = psutil.Process(mail_relay.pid)

    def workers() -> set[int]:
        return {
            child.pid
            for child in relay_process.children()
            if "mail-worker" in " ".join(child.cmdline())
        }

    before = workers()  # the outbox's own worker, if earlier mail started it
    smtp.hold_rcpt_of = "held@example.com"
    answers: list[dict] = []
    sending = threading.Thread(
        target=lambda: answers.append(
            api.request("POST", "/api/admin/mail/test", {"to": "held@example.com"},
                        token=admin)[1]
        )
    )  # fmt: skip
    sending.start()
    try:
        assert smtp.rcpt_held.wait(20), "the test mail never reached RCPT"
        wait_until(lambda: workers() - before, "a mail worker of the test mail's own", 10)
        started = time.monotonic()
        status, _, _ = api.request("GET", "/api/admin/mail", token=admin)
        assert status == 200 and time.monotonic() - started < 2.0
        assert sending.is_alive()  # still held: the answer waits for the server
    finally:
        smtp.release_rcpt.set()
        sending.join(30)
        smtp.hold_rcpt_of = None
        smtp.rcpt_held.clear()
        smtp.release_rcpt.clear()
    assert answers and answers[0]["delivered"] is True, answers
    assert smtp.wait_for_address("held@example.com").message["Subject"].startswith("RemoteSales")
    wait_until(lambda: not workers() - before, "the test mail's worker gone", 10)

    nobody = free_port()
    api.request("PUT", "/api/admin/mail", {"port": nobody}, token=admin)
    try:
        status, body, _ = api.request("POST", "/api/admin/mail/test", {"to": "t@example.com"},
                                      token=admin)  # fmt: skip
        assert status == 200 and body["delivered"] is False, body
        assert (
            body["answer"] == f"no mail server answers at 127.0.0.1:{nobody} (connection refused)"
        )
        api.request("PUT", "/api/admin/mail", {"port": smtp.port, "username": "u",
                                                "password": "p"}, token=admin)  # fmt: skip
        status, body, _ = api.request("POST", "/api/admin/mail/test", {"to": "t@example.com"},
                                      token=admin)  # fmt: skip
        assert body["delivered"] is False and "AUTH" in body["answer"], body
    finally:
        api.request("PUT", "/api/admin/mail", {"port": smtp.port, "username": "",
                                                "clear_password": True}, token=admin)  # fmt: skip
    assert not smtp.messages_to("t@example.com")


# -- the outbox across a crash: own relays, SIGKILLed ----------------------------------------


def test_new_settings_apply_to_waiting_mail_without_a_restart(session, smtp):
    """The admin points the relay at a port where nothing listens: the invitation waits with
    "connection refused"; the admin sets the right port back and the waiting mail goes at
    once, without a restart, with the new sender name."""
    from tests.support.network import closed_port_url

    api, token, support = session
    admin = api.login(ROOT.username, ROOT.password)
    dead_port = int(closed_port_url().rsplit(":", 1)[1])
    status, body, _ = api.request("PUT", "/api/admin/mail", {"port": dead_port}, token=admin)
    assert status == 200, body
    try:
        _, body = invite(api, token, support["session_id"], ("moved@example.com", "en"))
        mail_id = body["mails"][0]["id"]
        retrying = wait_mail_state(api, token, mail_id, "retrying")
        assert f"127.0.0.1:{dead_port}" in retrying["answer"]
        assert "connection refused" in retrying["answer"]
    finally:
        status, body, _ = api.request(
            "PUT", "/api/admin/mail", {"port": smtp.port, "sender_name": "Moved Sales"},
            token=admin,
        )  # fmt: skip
        assert status == 200, body
    sent = wait_mail_state(api, token, mail_id, "sent", timeout_s=5)
    assert sent["attempts"] >= 2
    received = smtp.wait_for_address("moved@example.com")
    assert str(received.message["From"]) == "Moved Sales <relay@example.com>"


def test_bad_mail_options_on_the_command_line_are_refused(tmp_path):
    """A bad --smtp-port or --mail-from stops the relay at once with the reason (exit 2)."""
    import subprocess
    import sys

    from tests.support.relay import REPO_ROOT

    for args, reason in ((["--smtp-port", "0"], "a port is a number from 1 to 65535"),
                         (["--mail-from", "not-an-address"], "one @")):  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "relay_server", "--data", str(tmp_path / "data"), *args],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, result
        assert reason in result.stderr


def test_a_refused_invitation_closes_its_personal_link(session, smtp):
    """A 550 for an invitation: its personal link is revoked (nobody holds a seat nobody was
    told about): the agent's mail list and the session's links both say revoked."""
    api, token, support = session
    smtp.refuse_recipient("gone@example.com")
    _, body = invite(api, token, support["session_id"], ("gone@example.com", "en"))
    mail_id = body["mails"][0]["id"]
    # The answer reads the link after the request's commit, while the sender may already have
    # had its 550 (the mail leaves as soon as its link is durable).
    assert body["mails"][0]["link"]["state"] in ("open", "revoked")
    wait_mail_state(api, token, mail_id, "failed")
    status, listed, _ = api.request(
        "GET", f"/api/supports/{support['session_id']}/invitation_mails", token=token
    )
    assert status == 200, listed
    mail = next(m for m in listed["mails"] if m["id"] == mail_id)
    assert mail["link"]["state"] == "revoked"
    status, links, _ = api.request(
        "GET", f"/api/supports/{support['session_id']}/links", token=token
    )
    assert status == 200, links
    link = next(i for i in links["invitations"] if i["id"] == mail["link"]["id"])
    assert link["state"] == "revoked"
