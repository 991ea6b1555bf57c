"""Files both ways (P4) through a real relay: the agent app's uploader/downloader, raw HTTP.

The agent side is the app's own `FileTransferClient`; the customer side uses the same class
with the customer's token (the browser pages are covered in tests/e2e/test_ui_files.py).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from typing import Any

import pytest

from suite.files.client import FileTransferClient, FileTransferError, sha256_of
from tests.support.conversation import Conversation, start_conversation
from tests.support.cutting_proxy import CuttingProxy
from tests.support.files import MIB, make_file, rss_kib, spooled

RSS_BOUND_MB = 60


def clients(talk: Conversation, url: str) -> tuple[FileTransferClient, FileTransferClient]:
    agent = FileTransferClient(url, f"Bearer {talk.token}")
    customer = FileTransferClient(url, f"Customer {talk.joined['customer_token']}")
    return agent, customer


def raw(
    relay,
    method: str,
    path: str,
    auth: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], bytes]:
    """One HTTP request with any headers; returns (status, JSON body or {}, raw bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    all_headers = dict(headers or {})
    if auth:
        all_headers["Authorization"] = auth
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {}
    return response.status, parsed if isinstance(parsed, dict) else {}, data


def offer_body(data: bytes, name: str = "note.txt") -> bytes:
    sha = hashlib.sha256(data).hexdigest()
    return json.dumps(
        {"name": name, "size": len(data), "type": "text/plain", "sha256": sha}
    ).encode()


@pytest.mark.parametrize("direction", ["agent_to_customer", "customer_to_agent"])
def test_200_mb_crosses_with_matching_sha256_and_bounded_relay_memory(relay, tmp_path, direction):
    """200 MB each way arrives intact; the relay's peak RSS grows by less than 60 MB."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    sender, receiver = (agent, customer) if direction == "agent_to_customer" else (customer, agent)
    source = tmp_path / "big.bin"
    sha = make_file(source, 200 * MIB)
    before = rss_kib(relay.pid)
    started = time.monotonic()
    transfer = sender.send(talk.session_id, source)
    uploaded = time.monotonic()
    received = receiver.receive(transfer, tmp_path / "received")
    done = time.monotonic()
    after = rss_kib(relay.pid)
    growth_mb = (after["VmHWM"] - before["VmRSS"]) / 1024
    print(
        f"\n{direction}: 200 MiB up {uploaded - started:.2f} s, down {done - uploaded:.2f} s; "
        f"relay RSS before {before['VmRSS'] / 1024:.1f} MB, peak after {after['VmHWM'] / 1024:.1f}"
        f" MB (+{growth_mb:.1f} MB; machine shared with other test runs)"
    )
    assert sha256_of(received) == sha == transfer["sha256"]
    assert received.stat().st_size == 200 * MIB
    assert growth_mb < RSS_BOUND_MB
    assert len(spooled(relay)) == 1  # received: kept for either side until the session ends
    assert not list((tmp_path / "received").glob("*.part"))
    ready = talk.agent.recv_type("file_ready", timeout=10)
    assert ready["transfer"]["id"] == transfer["id"]
    final = talk.customer.recv_type("file_received", timeout=10)
    assert final["transfer"]["state"] == "received"


def test_the_chat_channel_follows_a_transfer(relay, tmp_path):
    """Both sides see file_offered, file_progress, file_ready and file_received, in order."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    source = tmp_path / "brochure.pdf"
    make_file(source, 3 * MIB)
    transfer = agent.send(talk.session_id, source)
    customer.receive(transfer, tmp_path / "in")
    for side in (talk.agent, talk.customer):
        offered = side.recv_type("file_offered")["transfer"]
        assert (offered["name"], offered["size"], offered["sender"]) == (
            "brochure.pdf",
            3 * MIB,
            "agent",
        )
        assert side.recv_type("file_progress")["id"] == transfer["id"]
        assert side.recv_type("file_ready")["transfer"]["uploaded"] == 3 * MIB
        assert side.recv_type("file_received")["transfer"]["state"] == "received"


@pytest.mark.parametrize("cut", ["upload", "download"])
def test_a_transfer_cut_by_a_dropped_connection_resumes(relay, tmp_path, cut):
    """The socket drops mid-way; the client resumes from what arrived and the sha256 matches."""
    talk = start_conversation(relay)
    proxy = CuttingProxy(relay.port)
    try:
        agent, customer = clients(talk, proxy.url)
        source = tmp_path / "catalogue.bin"
        sha = make_file(source, 20 * MIB)
        if cut == "upload":
            offered = agent.offer(talk.session_id, source)
            proxy.cut_next(up=5 * MIB + 1234)
            transfer = agent.upload(offered, source)
        else:
            transfer = agent.send(talk.session_id, source)
            proxy.cut_next(down=7 * MIB + 99)
        received = customer.receive(transfer, tmp_path / "in")
    finally:
        proxy.close()
    assert proxy.cuts_done == 1
    assert sha256_of(received) == sha
    assert relay.log_text().count("file offered") == 1


def test_a_path_traversal_name_lands_inside_the_received_folder(relay, tmp_path):
    """`../../etc/passwd` from the customer becomes `passwd` in the folder, never outside."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    folder = tmp_path / "deep" / "Received Files"
    folder.mkdir(parents=True)
    (folder / "passwd").write_bytes(b"an older file with this name")
    evil = tmp_path / "evil.txt"
    evil.write_bytes(b"root::0:0::/:/bin/sh\n")
    transfer = customer.offer(talk.session_id, evil, name="../../etc/passwd")
    assert transfer["name"] == "passwd"
    transfer = customer.upload(transfer, evil)
    received = agent.receive(transfer, folder)
    assert received == folder / "passwd (1)"
    assert received.read_bytes() == b"root::0:0::/:/bin/sh\n"
    assert (folder / "passwd").read_bytes() == b"an older file with this name"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "evil.txt",
        "passwd",
        "passwd (1)",
    ]


def test_oversized_and_disallowed_files_are_refused_before_upload(relay_factory, tmp_path):
    """--max-file-size and --file-types refuse at the offer, clearly; nothing is spooled."""
    relay = relay_factory("--max-file-size", "1M", "--file-types", "pdf,txt")
    talk = start_conversation(relay)
    agent, _ = clients(talk, relay.url)
    big = tmp_path / "big.pdf"
    make_file(big, 2 * MIB)
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ")
    with pytest.raises(FileTransferError) as too_large:
        agent.send(talk.session_id, big)
    assert (too_large.value.status, too_large.value.code) == (413, "file_too_large")
    assert "2.0 MiB" in too_large.value.message and "1.0 MiB" in too_large.value.message
    with pytest.raises(FileTransferError) as not_allowed:
        agent.send(talk.session_id, tool)
    assert (not_allowed.value.status, not_allowed.value.code) == (415, "file_type_not_allowed")
    assert ".pdf" in not_allowed.value.message
    assert spooled(relay) == []
    status, body, _ = raw(
        relay, "GET", f"/api/sessions/{talk.session_id}/files", f"Bearer {talk.token}"
    )
    assert (status, body) == (200, {"transfers": []})


def test_malformed_requests_get_clear_errors(relay, tmp_path):
    """Bad offsets, chunks past the size, wrong tokens, other sessions and wrong parties."""
    talk = start_conversation(relay)
    other = start_conversation(relay, "bob", "bob-password-1")
    agent_auth, customer_auth = f"Bearer {talk.token}", f"Customer {talk.joined['customer_token']}"
    data = b"0123456789"
    status, body, _ = raw(
        relay, "POST", f"/api/sessions/{talk.session_id}/files", agent_auth, offer_body(data)
    )
    assert status == 201, body
    tid = body["transfer"]["id"]
    content = f"/api/files/{tid}/content"

    def put(offset: str, chunk: bytes, auth: str = agent_auth):
        return raw(relay, "PUT", f"{content}?offset={offset}", auth, chunk)

    cases = [
        (put("abc", data), 400, "bad_offset"),
        (put("3", data[3:]), 409, "bad_offset"),
        (put("-1", data), 400, "bad_offset"),
        (put("0", data + b"!"), 413, "past_declared_size"),
        (put("0", data, customer_auth), 403, "not_sender"),
        (put("0", data, "Bearer not-a-token"), 401, "unauthorized"),
        (put("0", data, f"Customer {other.joined['customer_token']}"), 404, "transfer_not_found"),
        (put("0", data, f"Bearer {other.token}"), 404, "transfer_not_found"),
        (put("0", data, ""), 401, "unauthorized"),
        (raw(relay, "POST", f"/api/files/{tid}/ticket", customer_auth), 409, "not_ready"),
        (raw(relay, "GET", f"{content}?ticket=guess"), 401, "bad_ticket"),
        (
            raw(relay, "DELETE", f"/api/files/{tid}", f"Bearer {other.token}"),
            404,
            "transfer_not_found",
        ),
        (
            raw(relay, "DELETE", f"/api/files/{tid}", f"Customer {other.joined['customer_token']}"),
            404,
            "transfer_not_found",
        ),
        (raw(relay, "GET", "/api/files/no-such-id", agent_auth), 404, "transfer_not_found"),
        (
            raw(relay, "POST", f"/api/sessions/{talk.session_id}/files", agent_auth, b"{nope"),
            400,
            "bad_request",
        ),
        (
            raw(
                relay,
                "POST",
                f"/api/sessions/{other.session_id}/files",
                agent_auth,
                offer_body(data),
            ),
            404,
            "session_not_found",
        ),
    ]
    for (status, body, _), expected_status, expected_code in cases:
        assert (status, body["error"]["code"]) == (expected_status, expected_code), body
        assert body["error"]["message"]
    assert put("3", data[3:])[1]["error"]["uploaded"] == 0
    # Half, then the rest: the relay had kept the first half.
    assert put("0", data[:5])[0] == 200
    status, body, _ = put("5", data[5:])
    assert (status, body["transfer"]["state"]) == (200, "ready")
    assert put("10", b"")[1]["error"]["code"] == "already_uploaded"
    # The customer downloads a range; a range past the end is 416.
    status, _, got = raw(relay, "GET", content, customer_auth, headers={"Range": "bytes=4-"})
    assert (status, got) == (206, data[4:])
    status, body, _ = raw(relay, "GET", content, customer_auth, headers={"Range": "bytes=10-"})
    assert (status, body["error"]["code"]) == (416, "range_not_satisfiable")
    status, _, got = raw(relay, "GET", content, agent_auth)  # the sender fetches its own file
    assert (status, got) == (200, data)
    status, body, _ = raw(
        relay, "POST", f"/api/files/{tid}/received", customer_auth, b'{"sha256": "x"}'
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")
    # The customer cannot cancel the agent's file; the agent cancels it, once.
    status, body, _ = raw(relay, "DELETE", f"/api/files/{tid}", customer_auth)
    assert (status, body["error"]["code"]) == (403, "not_sender")
    status, body, _ = raw(relay, "DELETE", f"/api/files/{tid}", agent_auth)
    assert (status, body["transfer"]["cancelled_by"]) == (200, "agent")
    assert talk.customer.recv_type("file_cancelled")["transfer"]["id"] == tid
    assert (
        raw(relay, "DELETE", f"/api/files/{tid}", agent_auth)[1]["error"]["code"]
        == "already_finished"
    )
    assert put("10", b"")[1]["error"]["code"] == "transfer_cancelled"
    assert spooled(relay) == []


def test_a_transfer_is_an_entry_in_the_conversation_and_its_replay(relay, tmp_path):
    """Offering a file puts a chat entry (with `file`) in the transcript, in time order with
    the messages, sent live to both sides and replayed to a reconnecting one."""
    talk = start_conversation(relay)
    agent, _ = clients(talk, relay.url)
    talk.customer.send({"type": "send_chat", "client_id": "c1", "text": "Send me the deck?"})
    asked = talk.agent.recv_type("chat_message")
    assert talk.customer.recv_type("chat_message")["id"] == asked["id"]  # its own echo
    source = tmp_path / "deck.pdf"
    source.write_bytes(b"%PDF deck")
    transfer = agent.send(talk.session_id, source)
    for side in (talk.agent, talk.customer):
        entry = side.recv_type("chat_message")
        assert entry["id"] > asked["id"]
        assert (entry["role"], entry["text"], entry["client_id"]) == (
            "agent", "deck.pdf", f"file:{transfer['id']}",
        )  # fmt: skip
        assert entry["file"] == {
            "id": transfer["id"], "name": "deck.pdf", "size": 9, "type": transfer["type"],
        }  # fmt: skip
        assert side.recv_type("file_offered")["transfer"]["id"] == transfer["id"]
    welcome = talk.reconnect_customer()
    replay = [m for m in welcome["missed"] if m["id"] >= asked["id"]]
    assert [m["text"] for m in replay] == ["Send me the deck?", "deck.pdf"]
    assert replay[1]["file"]["id"] == transfer["id"]


def test_both_sides_download_while_the_session_lives_and_nobody_else(relay, tmp_path):
    """The sender downloads its own file (header, ticket, or the app's client saving a copy)
    before and after the receiver confirmed, without marking it received; strangers and
    anyone after the end get nothing."""
    talk = start_conversation(relay)
    stranger = start_conversation(relay, "bob", "bob-password-1")
    agent, customer = clients(talk, relay.url)
    agent_auth, customer_auth = f"Bearer {talk.token}", f"Customer {talk.joined['customer_token']}"
    source = tmp_path / "form.txt"
    source.write_bytes(b"filled in by the customer")
    transfer = customer.send(talk.session_id, source)
    content = f"/api/files/{transfer['id']}/content"
    status, body, _ = raw(relay, "POST", f"/api/files/{transfer['id']}/ticket", customer_auth)
    assert status == 200, body
    status, _, got = raw(relay, "GET", body["url"])  # the sender's own browser download
    assert (status, got) == (200, source.read_bytes())
    status, body, _ = raw(relay, "GET", f"/api/files/{transfer['id']}", customer_auth)
    assert body["transfer"]["state"] == "ready", "a sender's download is no receipt"
    assert body["transfer"]["downloaded"] == 0
    own_copy = customer.receive(transfer, tmp_path / "mine")  # the sender's app saves a copy
    assert own_copy.read_bytes() == source.read_bytes()
    status, body, _ = raw(relay, "GET", f"/api/files/{transfer['id']}", customer_auth)
    assert body["transfer"]["state"] == "ready", "the sender's copy confirms nothing"
    agent.receive(transfer, tmp_path / "in")  # the receiver confirms the sha256
    for auth in (customer_auth, agent_auth):
        status, _, got = raw(relay, "GET", content, auth)
        assert (status, got) == (200, source.read_bytes()), "still there after the receipt"
    for auth in (f"Bearer {stranger.token}", f"Customer {stranger.joined['customer_token']}"):
        status, body, _ = raw(relay, "GET", content, auth)
        assert (status, body["error"]["code"]) == (404, "transfer_not_found")
        status, body, _ = raw(relay, "POST", f"/api/files/{transfer['id']}/ticket", auth)
        assert (status, body["error"]["code"]) == (404, "transfer_not_found")
    status, ticket, _ = raw(relay, "POST", f"/api/files/{transfer['id']}/ticket", agent_auth)
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    status, body, _ = raw(relay, "GET", content, agent_auth)
    assert (status, body["error"]["code"]) == (404, "transfer_not_found")
    status, body, _ = raw(relay, "GET", content, customer_auth)
    assert (status, body["error"]["code"]) == (404, "transfer_not_found")
    status, body, _ = raw(relay, "GET", ticket["url"])
    assert (status, body["error"]["code"]) == (401, "bad_ticket")
    assert spooled(relay) == []


def test_a_corrupted_upload_fails_visibly(relay):
    """Bytes that do not match the offered sha256: 422, file_failed to both, nothing kept."""
    talk = start_conversation(relay)
    auth = f"Bearer {talk.token}"
    status, body, _ = raw(
        relay, "POST", f"/api/sessions/{talk.session_id}/files", auth, offer_body(b"good bytes")
    )
    tid = body["transfer"]["id"]
    status, body, _ = raw(relay, "PUT", f"/api/files/{tid}/content?offset=0", auth, b"evil bytes")
    assert (status, body["error"]["code"]) == (422, "checksum_mismatch")
    failed = talk.customer.recv_type("file_failed")["transfer"]
    assert failed["state"] == "failed" and "sha256" in failed["error"]
    assert spooled(relay) == []


def test_a_damaged_download_is_not_kept(relay, tmp_path):
    """A receiver whose copy hashes differently fails the transfer and keeps no file."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    source = tmp_path / "a.txt"
    source.write_bytes(b"the real content")
    transfer = agent.send(talk.session_id, source)
    folder = tmp_path / "in"
    folder.mkdir()
    # A part file with wrong bytes of the full size stands for a copy damaged on the way.
    (folder / f"a.txt.{transfer['id'][:8]}.part").write_bytes(b"x" * len(b"the real content"))
    with pytest.raises(FileTransferError) as damaged:
        customer.receive(transfer, folder)
    assert damaged.value.code == "checksum_mismatch"
    assert list(folder.iterdir()) == []
    assert talk.agent.recv_type("file_failed")["transfer"]["state"] == "failed"


def test_a_browser_download_ticket_opens_one_file(relay, tmp_path):
    """A ticket URL downloads without the session token; it marks the file received."""
    talk = start_conversation(relay)
    agent, _ = clients(talk, relay.url)
    source = tmp_path / "견적서.pdf"
    source.write_bytes(b"%PDF-1.4 quote")
    transfer = agent.send(talk.session_id, source)
    customer_auth = f"Customer {talk.joined['customer_token']}"
    status, body, _ = raw(relay, "POST", f"/api/files/{transfer['id']}/ticket", customer_auth)
    assert status == 200 and "ticket=" in body["url"]
    assert talk.joined["customer_token"] not in body["url"]
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    connection.request("GET", body["url"])
    response = connection.getresponse()
    assert response.read() == b"%PDF-1.4 quote"
    assert (
        "filename*=UTF-8''%EA%B2%AC%EC%A0%81%EC%84%9C.pdf"
        in response.headers["Content-Disposition"]
    )
    connection.close()
    assert talk.agent.recv_type("file_received")["transfer"]["id"] == transfer["id"]


def test_spool_files_go_when_the_session_ends_and_at_relay_start(relay, tmp_path):
    """Ending a session deletes its spool files; a restart sweeps any left over."""
    talk = start_conversation(relay)
    agent, _ = clients(talk, relay.url)
    source = tmp_path / "a.bin"
    make_file(source, MIB)
    agent.send(talk.session_id, source)
    assert len(spooled(relay)) == 1
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    assert spooled(relay) == []
    leftover = relay.data_dir / "file_spool" / "orphan.spool"
    leftover.write_bytes(b"from a crash")
    relay.restart()
    assert spooled(relay) == []


def test_removing_the_customer_cancels_their_transfers(relay, tmp_path):
    """The next customer must not get the files: unfinished ones are cancelled by the relay."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    source = tmp_path / "offer.txt"
    source.write_bytes(b"half of it")
    offered = agent.offer(talk.session_id, source)
    talk.agent.send({"type": "remove_customer"})
    cancelled = talk.agent.recv_type("file_cancelled")["transfer"]
    assert (cancelled["id"], cancelled["cancelled_by"]) == (offered["id"], "relay")
    with pytest.raises(FileTransferError) as gone:
        agent.upload(offered, source)
    assert gone.value.code == "transfer_not_found"


def test_an_offer_can_be_checked_before_hashing(relay_factory):
    """`check: true` answers allowed (or the refusal) without a sha256 and records nothing."""
    relay = relay_factory("--max-file-size", "1M")
    talk = start_conversation(relay)
    path, auth = f"/api/sessions/{talk.session_id}/files", f"Bearer {talk.token}"
    small = json.dumps({"name": "../a.txt", "size": 10, "check": True}).encode()
    big = json.dumps({"name": "b.txt", "size": 2 * MIB, "check": True}).encode()
    status, body, _ = raw(relay, "POST", path, auth, small)
    assert (status, body) == (200, {"allowed": True, "name": "a.txt", "size": 10})
    status, body, _ = raw(relay, "POST", path, auth, big)
    assert (status, body["error"]["code"]) == (413, "file_too_large")
    assert raw(relay, "GET", path, auth)[1] == {"transfers": []}


def test_a_download_may_start_while_the_upload_runs(relay, tmp_path):
    """The receiver starts at the offer, gets bytes as they arrive, and the sha256 matches."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    source = tmp_path / "early.bin"
    sha = make_file(source, 30 * MIB)
    offered = customer.offer(talk.session_id, source)
    outcome: dict[str, Any] = {}

    def receive() -> None:
        try:
            outcome["path"] = agent.receive(offered, tmp_path / "in")
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    receiver = threading.Thread(target=receive)
    receiver.start()
    # The receiver is connected and waiting before the first byte is sent.
    assert talk.agent.recv_type("file_offered")["transfer"]["id"] == offered["id"]
    customer.upload(offered, source)
    receiver.join(timeout=60)
    assert "error" not in outcome, outcome
    assert sha256_of(outcome["path"]) == sha


def test_an_early_download_of_a_corrupted_upload_never_completes(relay, tmp_path):
    """The relay holds back the last byte until the sha256 checks out: a bad upload leaves the
    early receiver with a failure and no file, not a complete-looking copy."""
    talk = start_conversation(relay)
    agent, customer = clients(talk, relay.url)
    source = tmp_path / "claims.bin"
    make_file(source, 3 * MIB)
    offered = customer.offer(talk.session_id, source)
    source.write_bytes(b"\0" * 3 * MIB)  # the file changes after it was hashed and offered
    outcome: dict[str, Any] = {}

    def receive() -> None:
        try:
            outcome["path"] = agent.receive(offered, tmp_path / "in")
        except FileTransferError as error:
            outcome["error"] = error

    receiver = threading.Thread(target=receive)
    receiver.start()
    with pytest.raises(FileTransferError) as upload_failed:
        customer.upload(offered, source)
    assert upload_failed.value.code == "checksum_mismatch"
    receiver.join(timeout=60)
    assert outcome["error"].code == "transfer_failed", outcome
    assert list((tmp_path / "in").iterdir()) == []
