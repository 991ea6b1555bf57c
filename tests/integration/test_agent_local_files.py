"""The desktop app's /local/files/* routes over real HTTP, with a real relay behind them.

Only the native file dialog and the file manager are stand-ins (the OS's edge); the local
server, the routes, the uploader, the downloader and the relay are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.settings import LocalSettings
from suite.files.client import FileTransferClient, sha256_of
from tests.support.api import Api
from tests.support.files import make_file
from tests.support.local_api import SECRET, LocalClient, RecordingDesktop
from tests.support.relay import ALICE

MIB = 1024 * 1024


class DialogDesktop(RecordingDesktop):
    """The windows, with a file dialog that answers what the test chose."""

    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[Path] | None = None

    def choose_files(self, session_id: str) -> list[Path] | None:
        self.calls.append(("choose_files", session_id))
        return self.chosen


@pytest.fixture
def desktop() -> DialogDesktop:
    return DialogDesktop()


@pytest.fixture
def settings(tmp_path) -> Iterator[LocalSettings]:
    settings = LocalSettings(tmp_path / "config")
    settings.update({"received_files_folder": str(tmp_path / "Documents" / "Received Files")})
    yield settings
    settings.close()


@pytest.fixture
def local(settings, desktop) -> Iterator[LocalClient]:
    server = LocalServer()
    server.start(guard(build_app(settings, desktop), SECRET, server.port))
    yield LocalClient(server.port)
    server.stop()


def session_with_customer(local: LocalClient, relay) -> tuple[str, str, dict]:
    status, login, _ = local.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200, login
    api = Api(relay.url)
    support = api.new_support(login["token"])
    joined = api.join(code=support["code"], name="Kim")
    return support["session_id"], login["token"], joined


def test_send_file_through_the_native_dialog(local, relay, desktop, tmp_path):
    """The dialog's files are streamed to the relay; the customer gets the same bytes."""
    session_id, _, joined = session_with_customer(local, relay)
    source = tmp_path / "catalogue.pdf"
    sha = make_file(source, 5 * MIB)
    desktop.chosen = [source]
    status, body, _ = local.request("POST", "/local/files/send", {"session_id": session_id})
    assert status == 200, body
    assert [t["state"] for t in body["transfers"]] == ["ready"]
    assert ("choose_files", session_id) in desktop.calls
    customer = FileTransferClient(relay.url, f"Customer {joined['customer_token']}")
    received = customer.receive(body["transfers"][0], tmp_path / "customer")
    assert sha256_of(received) == sha


def test_a_closed_dialog_sends_nothing(local, relay, desktop):
    session_id, _, _ = session_with_customer(local, relay)
    desktop.chosen = None
    status, body, _ = local.request("POST", "/local/files/send", {"session_id": session_id})
    assert (status, body) == (200, {"transfers": [], "cancelled": True})


def test_an_oversized_file_is_refused_with_the_relays_message(
    local, relay_factory, desktop, tmp_path
):
    """The relay's refusal (413 file_too_large) reaches the page before any byte moved."""
    relay = relay_factory("--max-file-size", "1M")
    session_id, _, _ = session_with_customer(local, relay)
    big = tmp_path / "big.iso"
    make_file(big, 2 * MIB)
    desktop.chosen = [big]
    status, body, _ = local.request("POST", "/local/files/send", {"session_id": session_id})
    assert (status, body["error"]["code"]) == (413, "file_too_large")
    assert "1.0 MiB" in body["error"]["message"]


def test_received_files_land_in_the_folder_without_overwriting(local, relay, settings, tmp_path):
    """A customer's file is saved into the received-files folder under a safe, fresh name."""
    session_id, _, joined = session_with_customer(local, relay)
    folder = Path(settings.get()["received_files_folder"])
    folder.mkdir(parents=True)
    (folder / "passwd").write_bytes(b"keep me")
    evil = tmp_path / "evil"
    evil.write_bytes(b"customer bytes")
    customer = FileTransferClient(relay.url, f"Customer {joined['customer_token']}")
    transfer = customer.upload(customer.offer(session_id, evil, name="../../etc/passwd"), evil)
    status, body, _ = local.request(
        "POST", "/local/files/receive", {"session_id": session_id, "transfer_id": transfer["id"]}
    )
    assert status == 200, body
    assert Path(body["path"]) == folder / "passwd (1)"
    assert (folder / "passwd (1)").read_bytes() == b"customer bytes"
    assert (folder / "passwd").read_bytes() == b"keep me"
    status, body, _ = local.request("GET", "/local/files/folder")
    assert body == {"folder": str(folder)}


def test_receive_refuses_bad_requests(local, relay):
    """No transfer id, an unknown one, or not logged in: clear errors."""
    status, body, _ = local.request("POST", "/local/files/receive", {"session_id": "abc"})
    assert (status, body["error"]["code"]) == (400, "bad_request")
    status, body, _ = local.request(
        "POST", "/local/files/receive", {"session_id": "abc", "transfer_id": "x"}
    )
    assert (status, body["error"]["code"]) == (409, "not_logged_in")
    session_id, _, _ = session_with_customer(local, relay)
    status, body, _ = local.request(
        "POST", "/local/files/receive", {"session_id": session_id, "transfer_id": "nope"}
    )
    assert (status, body["error"]["code"]) == (404, "transfer_not_found")
