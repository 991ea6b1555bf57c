"""The relay's transfer rules: offers, the state machine, chunk checks, tickets, ranges."""

from __future__ import annotations

import hashlib

import pytest

from relay_server.errors import Refused
from relay_server.files.transfers import (
    GIB,
    FileRules,
    FileTransfers,
    RangeNotSatisfiable,
    TransferState,
    parse_extensions,
    parse_range,
    parse_size,
)
from relay_server.web.http_bodies import http_status

DATA = b"hello, file"
SHA = hashlib.sha256(DATA).hexdigest()


def offer(**fields):
    return {"name": "a.txt", "size": len(DATA), "type": "text/plain", "sha256": SHA, **fields}


def refusal(action) -> Refused:
    with pytest.raises(Refused) as caught:
        action()
    return caught.value


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"name": ""}, 400, "bad_request"),
        ({"name": 5}, 400, "bad_request"),
        ({"size": -1}, 400, "bad_request"),
        ({"size": True}, 400, "bad_request"),
        ({"size": "10"}, 400, "bad_request"),
        ({"sha256": "abc"}, 400, "bad_request"),
        ({"sha256": SHA.upper()}, 400, "bad_request"),
        ({"size": 2 * GIB + 1}, 413, "file_too_large"),
        ({"name": "tool.exe"}, 415, "file_type_not_allowed"),
        ({"name": "noextension"}, 415, "file_type_not_allowed"),
    ],
)
def test_bad_offers_are_refused(fields, status, code):
    """Malformed, oversized and disallowed offers get a clear refusal before any upload."""
    transfers = FileTransfers(FileRules(allowed_extensions=("txt", "pdf")))
    refused = refusal(lambda: transfers.offer("s1", "agent", offer(**fields), 0.0))
    assert (http_status(refused), refused.code) == (status, code)
    assert transfers.of_session("s1") == []


def test_sizes_past_4_gib_are_plain_numbers():
    """No 32-bit limit: a 5 GiB file fits a 10 GiB rule and the view keeps its exact size."""
    transfers = FileTransfers(FileRules(max_bytes=10 * GIB))
    transfer = transfers.offer("s1", "agent", offer(size=5 * GIB + 3), 0.0)
    assert transfer.view()["size"] == 5 * GIB + 3
    transfer.check_chunk("agent", 0, 1024)


def test_the_too_large_message_names_both_sizes():
    """The refusal says how big the file is and what the relay accepts."""
    refused = refusal(lambda: FileRules(max_bytes=1024 * 1024).check("big.iso", 3 * 1024 * 1024))
    assert "3.0 MiB" in refused.message and "1.0 MiB" in refused.message


def test_the_offered_name_is_made_safe():
    """The relay shows and serves the sanitised name, never a path."""
    transfer = FileTransfers(FileRules()).offer("s1", "customer", offer(name="../../etc/passwd"), 0)
    assert transfer.name == "passwd"
    assert transfer.receiver == "agent"


def test_a_transfer_runs_offered_uploading_ready_received():
    """Chunks in order, sha256 checked at the end, the receiver's confirmation ends it."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    assert transfer.state is TransferState.OFFERED
    transfer.check_chunk("agent", 0, 5)
    transfer.wrote(DATA[:5])
    assert transfer.state is TransferState.UPLOADING
    transfer.check_chunk("agent", 5, len(DATA) - 5)
    transfer.wrote(DATA[5:])
    assert transfer.finish_upload()
    assert transfer.state is TransferState.READY
    transfer.check_download("customer")
    assert transfer.confirm("customer", SHA)
    assert transfer.state is TransferState.RECEIVED


@pytest.mark.parametrize(
    ("role", "offset", "length", "status", "code"),
    [
        ("customer", 0, 4, 403, "not_sender"),
        ("agent", 3, 4, 409, "bad_offset"),
        ("agent", 0, len(DATA) + 1, 413, "past_declared_size"),
        ("agent", 0, 17 * 1024 * 1024, 413, "chunk_too_large"),
    ],
)
def test_bad_chunks_are_refused(role, offset, length, status, code):
    """Wrong sender, a gap or overlap, and bytes past the declared size are refused."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    refused = refusal(lambda: transfer.check_chunk(role, offset, length))
    assert (http_status(refused), refused.code) == (status, code)


def test_a_busy_upload_refuses_a_second_writer():
    """While one PUT writes, another one is told to retry instead of interleaving bytes."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    transfer.busy = True
    assert refusal(lambda: transfer.check_chunk("agent", 0, 1)).code == "upload_busy"


def test_a_changed_file_fails_at_the_end_of_the_upload():
    """Bytes that do not hash to the offered sha256 fail the transfer with a reason."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    transfer.wrote(b"x" * len(DATA))
    assert not transfer.finish_upload()
    assert transfer.state is TransferState.FAILED
    assert "sha256" in transfer.error
    assert http_status(refusal(lambda: transfer.check_chunk("agent", len(DATA), 0))) == 410


def test_a_damaged_download_fails_the_transfer():
    """A receiver reporting another sha256 fails the transfer instead of finishing it."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    transfer.wrote(DATA)
    transfer.finish_upload()
    assert refusal(lambda: transfer.confirm("agent", SHA)).code == "not_receiver"
    assert not transfer.confirm("customer", "0" * 64)
    assert transfer.state is TransferState.FAILED


def test_download_waits_for_every_byte():
    """A browser link needs the whole, checked file; the receiver's app may start early, the
    sender only once its upload is complete and checked."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    assert refusal(lambda: transfer.check_download("customer")).code == "not_ready"
    transfer.check_download("customer", early=True)
    assert refusal(lambda: transfer.check_download("agent", early=True)).code == "not_ready"
    assert refusal(lambda: transfer.check_download("stranger")).code == "not_participant"


def test_the_sender_downloads_its_own_file_while_the_session_lives():
    """Once ready (and after the receiver confirmed), both sides may download; only the
    receiver confirms."""
    transfer = FileTransfers(FileRules()).offer("s1", "customer", offer(), 0.0)
    transfer.wrote(DATA)
    assert transfer.finish_upload()
    transfer.check_download("customer")
    assert transfer.confirm("agent", SHA)
    transfer.check_download("customer")
    transfer.check_download("agent")
    assert refusal(lambda: transfer.confirm("customer", SHA)).code == "not_receiver"


def test_an_early_download_never_gets_the_last_byte_before_the_check():
    """While uploading, everything that arrived but the file's last byte may be served."""
    transfer = FileTransfers(FileRules()).offer("s1", "agent", offer(), 0.0)
    assert transfer.servable_end(len(DATA)) == 0
    transfer.wrote(DATA[:4])
    assert transfer.servable_end(len(DATA)) == 4
    assert transfer.servable_end(2) == 2
    transfer.wrote(DATA[4:])
    assert transfer.servable_end(len(DATA)) == len(DATA) - 1
    transfer.finish_upload()
    assert transfer.servable_end(len(DATA)) == len(DATA)


def test_the_sender_or_the_agent_cancels_once():
    """The offering customer cancels its own file, the agent any; a finished transfer cannot
    be cancelled."""
    files = FileTransfers(FileRules())
    transfer = files.offer("s1", "customer", offer(), 0.0, "kim")
    transfer.cancel("customer", "kim")
    assert (transfer.state, transfer.cancelled_by) == (TransferState.CANCELLED, "customer")
    assert refusal(lambda: transfer.cancel("agent", "agent")).code == "already_finished"
    assert refusal(lambda: transfer.check_chunk("customer", 0, 1)).code == "transfer_cancelled"
    agents = files.offer("s1", "agent", offer(), 0.0)
    agents.cancel("agent", "agent")
    assert agents.cancelled_by == "agent"


@pytest.mark.parametrize(
    ("sender", "sender_id", "canceller"),
    [("agent", "", "kim"), ("customer", "lee", "kim"), ("customer", "", "kim")],
)
def test_a_customer_cannot_cancel_another_participants_file(sender, sender_id, canceller):
    """A customer's cancel of the agent's file or another customer's is refused (403
    not_sender) and the transfer goes on; the record keeps who offered it."""
    transfer = FileTransfers(FileRules()).offer("s1", sender, offer(), 0.0, sender_id)
    assert transfer.sender_id == (sender_id or ("agent" if sender == "agent" else ""))
    assert transfer.view()["sender_id"] == transfer.sender_id
    refused = refusal(lambda: transfer.cancel("customer", canceller))
    assert (refused.code, http_status(refused)) == ("not_sender", 403)
    assert (transfer.state, transfer.cancelled_by) == (TransferState.OFFERED, "")


def test_another_sessions_transfer_is_not_found():
    """A transfer id from another session is 404, as if it did not exist."""
    transfers = FileTransfers(FileRules())
    transfer = transfers.offer("s1", "agent", offer(), 0.0)
    assert transfers.find(transfer.id, "s1") is transfer
    assert refusal(lambda: transfers.find(transfer.id, "s2")).code == "transfer_not_found"


def test_tickets_open_one_file_for_a_while():
    """A ticket opens its own transfer until it expires, and no other transfer."""
    transfers = FileTransfers(FileRules())
    first = transfers.offer("s1", "agent", offer(), 0.0)
    second = transfers.offer("s1", "agent", offer(), 0.0)
    ticket, expires_at = transfers.issue_ticket(first, "customer", 100.0)
    assert transfers.redeem(ticket, first.id, 101.0) == (first, "customer")
    assert refusal(lambda: transfers.redeem(ticket, second.id, 101.0)).code == "bad_ticket"
    assert refusal(lambda: transfers.redeem(ticket, first.id, expires_at)).code == "bad_ticket"
    assert refusal(lambda: transfers.redeem("guess", first.id, 101.0)).code == "bad_ticket"


def test_forgetting_a_session_drops_its_transfers_and_tickets():
    """When a session ends its transfers go (the relay then deletes their spool files)."""
    transfers = FileTransfers(FileRules())
    transfer = transfers.offer("s1", "agent", offer(), 0.0)
    other = transfers.offer("s2", "agent", offer(), 0.0)
    ticket, _ = transfers.issue_ticket(transfer, "agent", 0.0)
    assert transfers.forget_session("s1") == [transfer]
    assert transfers.get(transfer.id) is None and transfers.get(other.id) is other
    assert refusal(lambda: transfers.redeem(ticket, transfer.id, 1.0)).code == "bad_ticket"


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("", 100, None),
        ("bytes=0-", 100, (0, 100)),
        ("bytes=10-19", 100, (10, 20)),
        ("bytes=90-200", 100, (90, 100)),
        ("bytes=-30", 100, (70, 100)),
        ("bytes=-300", 100, (0, 100)),
        ("bytes=20-10", 100, None),
        ("items=0-5", 100, None),
        ("bytes=0-5,10-20", 100, None),
        ("bytes=3000000000-", 5 * GIB, (3000000000, 5 * GIB)),
        ("bytes=10-" + "9" * 5000, 100, (10, 100)),  # 5,000 digits: never int()'s limit
        ("bytes=-" + "9" * 5000, 100, (0, 100)),
        ("bytes=\u0661-", 100, None),  # other scripts' digits are not a range
        ("bytes=\u00b2-", 100, None),
    ],
)
def test_parse_range(header, size, expected):
    """Single byte ranges (start, start-end, suffix) resume downloads; others send it all."""
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    "header", ["bytes=100-", "bytes=150-160", "bytes=-0", "bytes=" + "9" * 5000 + "-"]
)
def test_unsatisfiable_ranges(header):
    """A range at or past the end of the file is 416."""
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


@pytest.mark.parametrize(
    ("text", "size"),
    [("2G", 2 * GIB), ("500M", 500 * 1024**2), ("64k", 65536), ("10GiB", 10 * GIB), ("7", 7)],
)
def test_parse_size(text, size):
    """The --max-file-size flag takes bytes or K/M/G/T."""
    assert parse_size(text) == size


def test_parse_size_refuses_nonsense():
    with pytest.raises(ValueError):
        parse_size("lots")


def test_parse_extensions():
    """The --file-types flag takes a comma list, with or without dots, any case."""
    assert parse_extensions(".PDF, png,,jpg ") == ("jpg", "pdf", "png")
    assert parse_extensions("") == ()


def test_a_session_has_at_most_a_few_unfinished_transfers():
    """Offers beyond MAX_OPEN_TRANSFERS unfinished ones are refused; finishing one frees a place."""
    from relay_server.files.transfers import MAX_OPEN_TRANSFERS

    transfers = FileTransfers(FileRules())
    opened = [transfers.offer("s1", "agent", offer(), 0.0) for _ in range(MAX_OPEN_TRANSFERS)]
    refused = refusal(lambda: transfers.offer("s1", "customer", offer(), 0.0))
    assert (http_status(refused), refused.code) == (429, "too_many_transfers")
    transfers.offer("s2", "agent", offer(), 0.0)  # other sessions are not affected
    opened[0].cancel("agent")
    transfers.offer("s1", "customer", offer(), 0.0)
