"""The mail cores: address rules, header safety, the MIME message, the outbox's states and the
options with their origin and audit trail."""

from __future__ import annotations

import pytest

from relay_server.errors import Refused
from relay_server.mail import commit_journal
from relay_server.mail.addresses import address_problem, check_recipients
from relay_server.mail.outbox import (
    CONTENTS,
    FAILED,
    OUTBOX,
    QUEUED,
    RETRYING,
    SENT,
    UNCERTAIN,
    Outbox,
    OutgoingMail,
    RetryPolicy,
)
from relay_server.mail.pacing import Pace
from relay_server.mail.settings import MAIL_OPTIONS
from relay_server.mail.templates import Attachment, MailContent, build_message, header_text
from relay_server.options.options import Options
from relay_server.store import TinyDBStore

GOOD = ["kim@example.com", "a.b+c@sub.example.co.kr", "x@xn--9n2bp8q.com", "h@예시.한국"]
BAD = [
    ("", "empty"),
    ("no-at-sign", "one @"),
    ("a@@example.com", "one @"),
    ("a@example", "not a valid name"),
    ("a b@example.com", "before @"),
    ("a@example.com\r\nBcc: x@example.com", "line breaks"),
    ("Kim <kim@example.com>", "before @"),
    ("a@-bad-.com", "not a valid name"),
    ("a" * 65 + "@example.com", "before @"),
]


@pytest.mark.parametrize("address", GOOD)
def test_good_addresses_pass(address):
    """Plain, plus-tagged, sub-domain and international addresses are accepted."""
    assert address_problem(address) is None


@pytest.mark.parametrize(("address", "reason"), BAD)
def test_bad_addresses_are_named(address, reason):
    """Each kind of bad address gets a reason that says what is wrong."""
    problem = address_problem(address)
    assert problem is not None and reason in problem


def test_recipient_lists_are_checked_whole():
    """The cap, every bad address with its index, and an address listed twice."""
    with pytest.raises(Refused) as caught:
        check_recipients([{"address": f"u{i}@example.com"} for i in range(201)], ("en", "ko"))
    assert caught.value.code == "too_many_recipients"
    assert len(check_recipients([{"address": f"u{i}@example.com"} for i in range(200)],
                                ("en", "ko"))) == 200  # fmt: skip
    with pytest.raises(Refused) as caught:
        check_recipients(
            [{"address": "ok@example.com"}, {"address": "bad"}, {"address": "OK@example.com"}],
            ("en", "ko"),
        )
    assert caught.value.code == "bad_address"
    assert [bad["index"] for bad in caught.value.details["bad_addresses"]] == [1, 2]
    with pytest.raises(Refused) as caught:
        check_recipients([{"address": "a@example.com", "lang": "fr"}], ("en", "ko"))
    assert caught.value.code == "bad_request"
    assert check_recipients([{"address": " h@예시.한국 ", "lang": "ko"}], ("en", "ko")) == [
        ("h@xn--vv4b11d.xn--3e0b707e", "ko")
    ]


def test_header_text_removes_line_breaks():
    """CR, LF, other control characters and Unicode line separators become single spaces."""
    assert header_text("Eve\r\nBcc: x@example.com\x00\u2028 end") == "Eve Bcc: x@example.com end"


def test_the_message_has_text_html_and_no_injected_header():
    """Text and HTML alternatives, Korean encoded, a CR/LF subject cannot add a header, and an
    attachment (a calendar part) wraps them in multipart/mixed."""
    content = MailContent("초대\r\nBcc: victim@example.com", "본문 text", "<p>본문</p>")
    message = build_message(content, "kim@example.com", "relay@example.com", "Acme\nX: y",
                            "<id@example.com>", 0.0)  # fmt: skip
    raw = message.as_bytes()
    assert message.get_content_type() == "multipart/alternative"
    assert b"\nBcc:" not in raw and b"\nX: y" not in raw
    assert message["Subject"] == "초대 Bcc: victim@example.com"
    assert raw.isascii()
    with_ics = build_message(
        MailContent("s", "t", "<p>h</p>", (Attachment("invite.ics", "text/calendar; method=REQUEST",
                                                       b"BEGIN:VCALENDAR"),)),
        "kim@example.com", "relay@example.com", "Acme", "<id2@example.com>", 0.0,
    )  # fmt: skip
    assert with_ics.get_content_type() == "multipart/mixed"
    parts = [part.get_content_type() for part in with_ics.walk()]
    assert "text/calendar" in parts and "text/html" in parts


def _mail(to: str = "kim@example.com") -> OutgoingMail:
    return OutgoingMail("alice", "support:s1", "invitation", to, "en", MailContent("s", "t", "h"))


def test_outbox_states_and_back_off(tmp_path):
    """Queued, then sending; a temporary failure retries after 1, 2, 4 … s; sent is final;
    a mail older than max_age fails as expired."""
    store = TinyDBStore(tmp_path)
    try:
        outbox = Outbox(store, RetryPolicy(first_s=1.0, max_s=4.0, max_age_s=100.0))
        mail_id = outbox.enqueue(_mail(), 0.0, "example.com")
        assert outbox.view(mail_id)["state"] == QUEUED
        assert outbox.next_due(0.0) == mail_id
        waits = []
        now = 0.0
        for _ in range(4):
            outbox.begin(mail_id, now)
            outbox.deferred(mail_id, "451 later", now)
            view = outbox.view(mail_id)
            assert view["state"] == RETRYING and view["answer"] == "451 later"
            waits.append(view["next_try_at"] - now)
            assert outbox.next_due(now) is None
            now = view["next_try_at"]
            assert outbox.next_due(now) == mail_id
        assert waits == [1.0, 2.0, 4.0, 4.0]
        outbox.begin(mail_id, now)
        outbox.sent(mail_id, "250 ok", now)
        assert outbox.view(mail_id)["state"] == SENT and outbox.next_due(1e9) is None
        old = outbox.enqueue(_mail("old@example.com"), 0.0, "example.com")
        outbox.begin(old, 150.0)
        outbox.deferred(old, "451 later", 150.0)
        assert (outbox.view(old)["state"], outbox.view(old)["error"]) == (FAILED, "expired")
        with pytest.raises(Refused):
            outbox.view(mail_id, owner="bob")
    finally:
        store.close()


def test_recover_requeues_before_the_dot_and_never_resends_after(tmp_path):
    """After a crash: a mail in `sending` is queued again; one that reached `committing` is
    failed as uncertain (never sent twice); the states survive the store's reopening."""
    store = TinyDBStore(tmp_path)
    outbox = Outbox(store)
    before_dot = outbox.enqueue(_mail("a@example.com"), 0.0, "example.com")
    after_dot = outbox.enqueue(_mail("b@example.com"), 0.0, "example.com")
    waiting = outbox.enqueue(_mail("c@example.com"), 0.0, "example.com")
    outbox.begin(before_dot, 1.0)
    outbox.begin(after_dot, 1.0)
    outbox.committing(after_dot)
    store.sync()
    store.close()  # as after a kill: the journal holds it all
    store = TinyDBStore(tmp_path)
    try:
        outbox = Outbox(store)
        assert outbox.recover(2.0) == {"requeued": 1, "uncertain": 1}
        assert outbox.view(before_dot)["state"] == QUEUED
        failed = outbox.view(after_dot)
        assert (failed["state"], failed["error"]) == (FAILED, UNCERTAIN)
        due = []
        while (mail_id := outbox.next_due(2.0)) is not None:
            due.append(mail_id)
            outbox.begin(mail_id, 2.0)
            outbox.sent(mail_id, "250", 2.0)
        assert sorted(due) == sorted([before_dot, waiting])
    finally:
        store.close()


def test_the_workers_commit_journal_decides_after_a_crash_what_the_store_had_waiting(tmp_path):
    """A journaled try writes ``sending`` nowhere but memory (the outcome carries it); after a
    crash the worker's journal says which mails passed their commit point: ``sent`` there is
    sent, ``committing`` there is uncertain (never sent twice), ``answered`` or nothing is
    queued again; a torn last line is skipped, and a mail the store has finished stays so."""
    data = tmp_path / "data"
    store = TinyDBStore(data)
    outbox = Outbox(store)
    ids = {to: outbox.enqueue(_mail(f"{to}@example.com"), 0.0, "example.com")
           for to in ("sent", "committing", "answered", "nothing", "done")}  # fmt: skip
    message = {to: outbox.view(mail_id)["message_id"] for to, mail_id in ids.items()}
    appended = store.appended
    for mail_id in ids.values():
        outbox.begin(mail_id, 1.0, durable=False)
    assert store.appended == appended  # nothing written for the tries' start
    assert outbox.view(ids["nothing"])["state"] == "sending"
    outbox.sent(ids["done"], "250 ok", 1.5)
    store.sync()
    journal = commit_journal.CommitJournal(commit_journal.path_in(data))
    journal.committing(message["sent"])
    journal.sent(message["sent"], "250 taken", 1.2)
    journal.committing(message["committing"])
    journal.committing(message["answered"])
    journal.answered(message["answered"])
    journal.committing(message["done"])
    journal.sent(message["done"], "250 ok", 1.5)
    journal.close()
    with open(commit_journal.path_in(data), "ab") as torn:
        torn.write(b'{"m": "<torn')
    store.close()
    store = TinyDBStore(data)
    try:
        outbox = Outbox(store)
        assert outbox.view(ids["done"])["attempts"] == 1  # begin's fields went with the outcome
        marks = commit_journal.outcomes(commit_journal.path_in(data))
        assert outbox.fold_commit_journal(marks, 2.0) == {"sent": 1, "committing": 1}
        assert outbox.recover(2.0) == {"requeued": 0, "uncertain": 1}
        states = {to: outbox.view(mail_id) for to, mail_id in ids.items()}
        assert (states["sent"]["state"], states["sent"]["answer"]) == (SENT, "250 taken")
        assert (states["committing"]["state"], states["committing"]["error"]) == (
            FAILED, UNCERTAIN)  # fmt: skip
        assert states["answered"]["state"] == QUEUED
        assert states["nothing"]["state"] == QUEUED
        assert states["done"]["state"] == SENT
        due = set()
        while (mail_id := outbox.next_due(2.0)) is not None:
            due.add(mail_id)
            outbox.sent(mail_id, "250", 2.0)
        assert due == {ids["answered"], ids["nothing"]}
    finally:
        store.close()


def test_options_know_their_origin_and_audit_changes(tmp_path):
    """Default < command line < admin; a change writes an audit entry; the password shows
    only as set; the same value again is no change; a bad value changes nothing."""
    store = TinyDBStore(tmp_path)
    try:
        options = Options(store, MAIL_OPTIONS, {"mail.host": "smtp.example.com"})
        view = options.view("mail")
        assert view["host"] == {"value": "smtp.example.com", "source": "command_line"}
        assert view["port"] == {"value": 25, "source": "default"}
        assert view["password"] == {"set": False, "source": "default"}
        changed = options.set({"mail.port": "587", "mail.password": "pw-1"}, "root", 10.0)
        assert sorted(changed) == ["mail.password", "mail.port"]
        assert options.get("mail.port") == 587 and options.source("mail.port").value == "admin"
        audit = {entry["key"]: entry for entry in options.audit("mail.")}
        assert (audit["mail.port"]["old"], audit["mail.port"]["new"]) == (25, 587)
        assert (audit["mail.password"]["old"], audit["mail.password"]["new"]) == (
            "(empty)",
            "(set)",
        )
        assert "pw-1" not in str(options.audit()) and "pw-1" not in str(options.view("mail"))
        assert options.set({"mail.port": 587}, "root", 11.0) == []
        with pytest.raises(Refused) as caught:
            options.set({"mail.host": "ok.example.com", "mail.port": 0}, "root", 12.0)
        assert caught.value.details == {"field": "port", "key": "mail.port"}
        assert options.get("mail.host") == "smtp.example.com"
    finally:
        store.close()


def test_a_rendering_serves_every_recipient_and_refuses_a_header_trick():
    """One rendering, then per recipient only To, Date and Message-ID: the result parses as
    the full message; a recipient or Message-ID with a line break is refused."""
    from email import policy
    from email.parser import BytesParser

    from relay_server.mail.templates import invitation, render

    content = invitation("ko", {"name": "Alice Kim", "company": "Acme"}, "http://r/?code=1",
                         "http://r", "123 456 789")  # fmt: skip
    rendered = render(content, "relay@example.com", "Acme Sales")
    raw = rendered.for_recipient("kim@example.com", "<m1@example.com>", 0.0)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert message["To"] == "kim@example.com" and message["Message-ID"] == "<m1@example.com>"
    assert message["From"] == "Acme Sales <relay@example.com>"
    assert "원격 상담" in message["Subject"]
    parts = {p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()}
    assert "123 456 789" in parts["text/plain"] and "상담 참여하기" in parts["text/html"]
    for to, message_id in (("a@example.com\r\nBcc: b@example.com", "<m@x>"),
                           ("a@example.com", "<m@x>\r\nBcc: b@example.com")):  # fmt: skip
        with pytest.raises(ValueError):
            rendered.for_recipient(to, message_id, 0.0)


def test_old_sent_and_failed_mails_are_dropped_and_stay_dropped(tmp_path):
    """Cleanup drops sent and failed mails finished before the cut-off (and their keys), keeps
    newer ones and everything still waiting, and the drop survives reopening the store."""
    store = TinyDBStore(tmp_path)
    try:
        outbox = Outbox(store)
        ids = {}
        for name, finished in (("old-sent", 10.0), ("old-failed", 20.0), ("new-sent", 500.0)):
            mail = OutgoingMail("alice", "r", "invitation", f"{name}@example.com", "en",
                                MailContent("s", "t", "<p>h</p>"), meta={"key": name})  # fmt: skip
            ids[name] = outbox.enqueue(mail, 0.0, "example.com")
            outbox.begin(ids[name], finished)
            if name == "old-failed":
                outbox.rejected(ids[name], "550 no", finished)
            else:
                outbox.sent(ids[name], "250 ok", finished)
        ids["waiting"] = outbox.enqueue(_mail("waiting@example.com"), 0.0, "example.com")
        assert outbox.drop_finished(before=100.0) == 2
        assert not outbox.has_key("old-sent") and outbox.has_key("new-sent")
        store.sync()
        store.close()
        store = TinyDBStore(tmp_path)
        reopened = Outbox(store)
        for name in ("old-sent", "old-failed"):
            with pytest.raises(Refused):
                reopened.view(ids[name])
        assert reopened.view(ids["new-sent"])["state"] == SENT
        assert reopened.view(ids["waiting"])["state"] == QUEUED
        assert reopened.has_key("new-sent") and not reopened.has_key("old-failed")
    finally:
        store.close()


def test_a_batch_stores_its_content_once_and_each_mail_reads_it_back(tmp_path):
    """Fifty mails of one content (and one of another) store two contents, not fifty-one; each
    mail's content reads back whole after reopening, with its attachment's bytes."""
    store = TinyDBStore(tmp_path)
    try:
        outbox = Outbox(store)
        shared = MailContent("Invitation", "t" * 2000, "<p>" + "h" * 2000 + "</p>")
        other = MailContent(
            "초대", "텍스트", "<p>h</p>", (Attachment("a.ics", "text/calendar", b"\x00ics"),)
        )
        ids = [
            outbox.enqueue(
                OutgoingMail("alice", "r", "invitation", f"p{n}@example.com", "en", shared),
                0.0,
                "example.com",
            )  # fmt: skip
            for n in range(50)
        ]
        ids.append(outbox.enqueue(OutgoingMail("alice", "r", "invitation", "ko@example.com", "ko",
                                               other), 0.0, "example.com"))  # fmt: skip
        store.sync()
        assert len(store.all(CONTENTS)) == 2
        assert store.journal.size_bytes < 2 * 4000 + 51 * 1000  # not 51 copies of 4 KB
        store.close()
        store = TinyDBStore(tmp_path)
        reopened = Outbox(store)
        assert all(reopened.content(mail_id)[1] == shared for mail_id in ids[:50])
        assert reopened.content(ids[50])[1] == other
    finally:
        store.close()


def test_a_mail_queued_with_its_content_inline_is_still_read(tmp_path):
    """A mail stored before contents were shared (subject, text, HTML and attachments in the
    mail itself) is read, sent and dropped as before."""
    store = TinyDBStore(tmp_path)
    try:
        store.insert(OUTBOX, {
            "id": "0123456789abcdef", "message_id": "<x@example.com>", "owner": "alice",
            "ref": "r", "kind": "invitation", "to": "kim@example.com", "lang": "en",
            "reply_to": "", "subject": "s", "text": "t", "html": "<p>h</p>",
            "attachments": [{"filename": "a.ics", "content_type": "text/calendar",
                             "data": "aWNz"}],
            "meta": {}, "state": QUEUED, "committing": False, "attempts": 0,
            "created_at": 0.0, "next_try_at": 0.0, "answer": "", "error": "",
            "finished_at": None,
        })  # fmt: skip
        outbox = Outbox(store)
        _, content = outbox.content("0123456789abcdef")
        assert content == MailContent("s", "t", "<p>h</p>",
                                      (Attachment("a.ics", "text/calendar", b"ics"),))  # fmt: skip
        outbox.begin("0123456789abcdef", 1.0)
        outbox.sent("0123456789abcdef", "250 ok", 1.0)
        assert outbox.drop_finished(before=2.0) == 1
    finally:
        store.close()


def test_a_shared_content_goes_with_its_last_mail(tmp_path):
    """Cleanup removes a shared content only when no mail uses it any more, also across a
    reopening of the store."""
    store = TinyDBStore(tmp_path)
    try:
        outbox = Outbox(store)
        first, second = (outbox.enqueue(_mail(f"p{n}@example.com"), 0.0, "example.com")
                         for n in range(2))  # fmt: skip
        outbox.begin(first, 1.0)
        outbox.sent(first, "250 ok", 1.0)
        assert outbox.drop_finished(before=5.0) == 1
        assert len(store.all(CONTENTS)) == 1  # the second mail still uses it
        store.sync()
        store.close()
        store = TinyDBStore(tmp_path)
        outbox = Outbox(store)
        assert outbox.content(second)[1] == MailContent("s", "t", "h")
        outbox.begin(second, 6.0)
        outbox.sent(second, "250 ok", 6.0)
        assert outbox.drop_finished(before=10.0) == 1
        assert store.all(CONTENTS) == []
        # A content left without mails (a crash between the two removals) goes at recovery.
        store.insert(CONTENTS, {"sha256": "0" * 64, "subject": "s", "text": "t", "html": "h",
                                "attachments": []})  # fmt: skip
        outbox = Outbox(store)
        outbox.recover(11.0)
        assert store.all(CONTENTS) == []
    finally:
        store.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_personal_link_written_over_its_stand_in_equals_a_full_rendering(lang):
    """Writing each recipient's secret over the stand-in of a message serialised once gives
    the same bytes as serialising that recipient's own content, wherever quoted-printable's
    soft line breaks fall (relay addresses of every length from 0 to 79 extra characters)."""
    import re
    import secrets as random_secrets

    from relay_server.mail.templates import invitation, render, stand_in, substitute, with_value

    agent = {"name": "Alice Kim", "company": "Acme", "email": "alice@acme.test"}

    def same(message: bytes) -> bytes:  # the MIME boundary is random per rendering
        return re.sub(rb"={15}\d+==", b"BOUNDARY", message)

    broken_inside = 0
    for extra in range(80):
        relay = f"https://relay{'x' * extra}.example.com"
        secret = random_secrets.token_urlsafe(24)
        content = invitation(lang, agent, f"{relay}/?invite={stand_in(len(secret))}", relay)
        once = render(content, "relay@example.com", "RS").for_recipient("k@e.com", "<1@e>", 0.0)
        fast = substitute(once, content, secret)
        own = with_value(content, len(secret), secret)
        full = render(own, "relay@example.com", "RS").for_recipient("k@e.com", "<1@e>", 0.0)
        assert fast is not None and same(fast) == same(full), extra
        broken_inside += secret.encode() not in fast
    assert broken_inside > 0  # some cases had a soft line break inside the secret


def test_a_stand_in_that_is_not_alone_is_not_written_over():
    """When the stand-in also appears elsewhere (an agent named XXXX...) or the value has
    characters quoted-printable changes, substitution declines and the sender renders fully."""
    from relay_server.mail.templates import invitation, render, stand_in, substitute

    token = stand_in(32)
    content = invitation("en", {"name": token}, f"https://r.example.com/?invite={token}",
                         "https://r.example.com")  # fmt: skip
    once = render(content, "relay@example.com", "RS").for_recipient("k@e.com", "<1@e>", 0.0)
    assert substitute(once, content, "a" * 31 + "=") is None
    assert substitute(once, content, "") is None
    fine = invitation("en", {"name": "Kim"}, f"https://r.example.com/?invite={token}",
                      "https://r.example.com")  # fmt: skip
    once = render(fine, "relay@example.com", "RS").for_recipient("k@e.com", "<1@e>", 0.0)
    tampered = once.replace(b"Kim", token.encode(), 1)
    assert substitute(tampered, fine, "b" * 32) is None


def test_the_pace_slows_while_the_loop_lags_and_comes_back_when_it_does_not():
    """Sleeps that end late (the relay's loop busy) widen the gap between tries step by step
    up to the slowest pace; sleeps on time bring it back to the fastest, never beyond."""
    pace = Pace(max_per_s=50.0, min_per_s=20.0)
    assert pace.gap_s == pytest.approx(0.02)
    pace.note_sleep(0.02, 0.0215)  # 1.5 ms late: on time
    assert pace.gap_s == pytest.approx(0.02) and pace.slowed == 0
    pace.note_sleep(0.02, 0.03)  # 10 ms late
    assert pace.gap_s == pytest.approx(0.025) and pace.slowed == 1
    for _ in range(20):
        pace.note_sleep(0.02, 0.05)
    assert pace.gap_s == pytest.approx(0.05)  # 20 a second at the slowest
    for _ in range(50):
        pace.note_sleep(0.02, 0.02)
    assert pace.gap_s == pytest.approx(0.02)
    unpaced = Pace(max_per_s=0.0)
    unpaced.note_sleep(0.0, 1.0)
    assert unpaced.gap_s == 0.0
