"""The outbox across a relay killed with SIGKILL mid-send, against a real SMTP server: every
mail arrives exactly once after the restart, and what is on disk says where each one stood."""

from __future__ import annotations

from pathlib import Path

import psutil

from relay_server.mail import commit_journal
from relay_server.mail.outbox import Outbox
from relay_server.store import TinyDBStore
from tests.support.api import Api
from tests.support.relay import ALICE, RelayProcess, add_agent
from tests.support.smtp_server import RETRY_ARGS, SmtpServer, invite, mail_state, wait_mail_state


def _crash_relay(tmp_path: Path, smtp: SmtpServer) -> tuple[RelayProcess, Api, str, str]:
    data = tmp_path / "data"
    data.mkdir()
    add_agent(data, ALICE)
    relay = RelayProcess(data, tmp_path, [*smtp.relay_args(), *RETRY_ARGS])
    relay.start()
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    return relay, api, token, api.new_support(token)["session_id"]


def _outbox_on_disk(data: Path) -> dict[str, dict]:
    """The outbox as a restarted relay finds it: the store's own replay of its folder, and the
    mail worker's commit journal folded in (as the relay's start does, before its recovery)."""
    store = TinyDBStore(data)
    try:
        outbox = Outbox(store)
        outbox.fold_commit_journal(commit_journal.outcomes(commit_journal.path_in(data)), 0.0)
        return {doc["id"]: outbox.view(doc["id"]) for doc in store.all("outbox")}
    finally:
        store.close()


def test_killed_with_mails_waiting_each_arrives_exactly_once(tmp_path):
    """The relay SIGKILLed with 20 mails waiting for a down server: after the restart every
    mail arrives exactly once (counted by Message-ID at the server)."""
    smtp = SmtpServer()  # not started: every try is refused
    relay, api, token, session_id = _crash_relay(tmp_path, smtp)
    try:
        _, body = invite(api, token, session_id,
                         *[(f"wait{i}@example.com", "en") for i in range(20)])  # fmt: skip
        ids = {mail["message_id"] for mail in body["mails"]}
        wait_mail_state(api, token, body["mails"][-1]["id"], "retrying")
        relay.kill()
        smtp.start()
        relay.start()
        api = Api(relay.url)
        token = api.login(ALICE.username, ALICE.password)
        smtp.wait_for(20)
        for mail in body["mails"]:
            wait_mail_state(api, token, mail["id"], "sent")
        assert smtp.message_id_counts() == {message_id: 1 for message_id in ids}
    finally:
        relay.stop()
        smtp.stop()


def test_killed_before_the_final_dot_the_mail_is_sent_once_after_restart(tmp_path):
    """The relay SIGKILLed while the server holds a transaction at RCPT (before the final
    "."), its ``sending`` mark not on disk (written only with the try's outcome): the server
    took nothing, so the mail is sent again after the restart, once; the mail before it, whose
    ``sent`` is on disk in the mail worker's commit journal (the store's own mark may not be
    yet), stays sent (not ``uncertain``). The mail
    worker (the relay's child that holds the SMTP connection) dies with the relay, while the
    server still holds it: it cannot finish the mail on its own later."""
    smtp = SmtpServer()
    smtp.hold_rcpt_of = "held@example.com"
    smtp.start()
    relay, api, token, session_id = _crash_relay(tmp_path, smtp)
    try:
        _, body = invite(api, token, session_id, ("first@example.com", "en"),
                         ("held@example.com", "en"), ("third@example.com", "en"))  # fmt: skip
        assert smtp.rcpt_held.wait(20)
        assert mail_state(api, token, body["mails"][1]["id"])["state"] == "sending"
        assert relay.process is not None
        workers = psutil.Process(relay.process.pid).children()
        assert len(workers) == 1, workers
        relay.kill()
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == []
        on_disk = _outbox_on_disk(tmp_path / "data")
        assert on_disk[body["mails"][0]["id"]]["state"] == "sent"
        assert on_disk[body["mails"][1]["id"]]["state"] == "queued"
        smtp.hold_rcpt_of = None
        smtp.release_rcpt.set()
        relay.start()
        api = Api(relay.url)
        token = api.login(ALICE.username, ALICE.password)
        for mail in body["mails"]:
            wait_mail_state(api, token, mail["id"], "sent")
        assert smtp.message_id_counts() == {mail["message_id"]: 1 for mail in body["mails"]}
    finally:
        relay.stop()
        smtp.stop()


def test_killed_after_the_final_dot_the_mail_is_never_sent_twice(tmp_path):
    """The ambiguous window: the server has taken the second mail but the relay is SIGKILLed
    before it hears 250. After the restart that mail is failed as "uncertain" (it may have
    gone) and not sent again; every other mail arrives exactly once."""
    smtp = SmtpServer()
    smtp.hold_after = 2
    smtp.start()
    relay, api, token, session_id = _crash_relay(tmp_path, smtp)
    try:
        _, body = invite(api, token, session_id,
                         *[(f"window{i}@example.com", "en") for i in range(4)])  # fmt: skip
        assert smtp.data_held.wait(20)
        relay.kill()
        smtp.hold_after = None
        smtp.release_data.set()
        relay.start()
        api = Api(relay.url)
        token = api.login(ALICE.username, ALICE.password)
        states = {}
        for mail in body["mails"]:
            states[mail["to"]] = wait_mail_state(api, token, mail["id"], "sent", "failed")
        assert states["window1@example.com"]["state"] == "failed"
        assert states["window1@example.com"]["error"] == "uncertain"
        assert all(states[f"window{i}@example.com"]["state"] == "sent" for i in (0, 2, 3))
        # The server took window1 once (before the kill); nothing was sent twice.
        assert smtp.message_id_counts() == {mail["message_id"]: 1 for mail in body["mails"]}
    finally:
        relay.stop()
        smtp.stop()
