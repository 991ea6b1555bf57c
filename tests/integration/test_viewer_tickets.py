"""One-time viewer tickets on a real relay: issue, download with the ticket inside, redeem once.

The relay runs with ``--viewer-dir`` on a folder holding a stand-in "build" (known bytes): these
tests check what the relay does with it. tests/e2e/test_builds.py runs the real built viewer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from suite.viewer.redeem import RelayUnreachable, TicketRefusedByRelay
from suite.viewer.redeem import redeem as viewer_redeem
from suite.viewer.ticket_trailer import parse_trailer
from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.relay import REPO_ROOT, RelayProcess

FAKE_BUILD = b"\x7fELF fake viewer build " * 1000
WINDOWS_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Customer:
    session_id: str
    token: str
    agent_token: str


@pytest.fixture
def viewer_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "viewers"
    folder.mkdir()
    (folder / "remotesales-viewer-linux").write_bytes(FAKE_BUILD)
    return folder


@pytest.fixture
def relay(relay_factory, viewer_dir: Path) -> RelayProcess:
    return relay_factory("--viewer-dir", str(viewer_dir))


def join(api: Api) -> Customer:
    agent_token = api.login("alice", "alice-password-1")
    support = api.new_support(agent_token)
    joined = api.join(code=support["code"], name="Kim")
    return Customer(joined["session_id"], joined["customer_token"], agent_token)


def issue(api: Api, customer: Customer, platform: str = "linux") -> dict:
    status, body, _ = api.request(
        "POST", "/api/viewer/tickets", json={"platform": platform}, token=customer.token
    )
    assert status == 201, body
    return body


def download(relay: RelayProcess, path: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with _OPENER.open(relay.url + path, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), dict(error.headers)


def redeem(api: Api, ticket: str) -> tuple[int, dict]:
    status, body, _ = api.request("POST", "/api/viewer/redeem", json={"ticket": ticket})
    return status, body


def ticket_of(relay: RelayProcess, issued: dict) -> str:
    status, data, _ = download(relay, issued["download_url"])
    assert status == 200
    return parse_trailer(data[-4096:])["ticket"]


def test_the_download_is_the_build_with_a_ticket_that_redeems_once(relay, api) -> None:
    """The file is the build's bytes plus a trailer naming this relay; its ticket works once,
    then neither the ticket nor the download link works again."""
    customer = join(api)
    issued = issue(api, customer)
    assert issued["file_name"] == "RemoteSales-Viewer" and issued["size"] == len(FAKE_BUILD)
    status, data, headers = download(relay, issued["download_url"])
    assert status == 200
    assert data.startswith(FAKE_BUILD) and len(data) == int(headers["Content-Length"])
    assert headers["Content-Disposition"] == 'attachment; filename="RemoteSales-Viewer"'
    assert headers["Cache-Control"] == "no-store"
    trailer = parse_trailer(data[len(FAKE_BUILD) :])
    assert trailer["relay_url"] == relay.url
    assert trailer["ticket"] not in issued["download_url"]

    status, seat = redeem(api, trailer["ticket"])
    assert status == 200, seat
    assert seat == {
        "session_id": customer.session_id,
        "customer_token": customer.token,
        "agent_name": "Alice Kim",
    }
    status, body = redeem(api, trailer["ticket"])
    assert (status, body["error"]["code"]) == (410, "ticket_used")
    status, raw, _ = download(relay, issued["download_url"])
    assert status == 410 and b"ticket_used" in raw


def test_the_redeemed_token_opens_the_screen_channel(relay, api) -> None:
    """What the viewer gets is enough to open the customer's screen socket in that session."""
    customer = join(api)
    status, seat = redeem(api, ticket_of(relay, issue(api, customer)))
    assert status == 200
    viewer = ChatClient(relay.ws_url, "customer", seat["session_id"], seat["customer_token"])
    try:
        welcome = viewer.connect(channel="screen")
        assert welcome["type"] == "welcome", welcome
        assert viewer.recv_type("screen_state")["state"] == "waiting"
    finally:
        viewer.close()


@pytest.mark.parametrize("how", ["end_session", "remove_customer"])
def test_a_session_that_is_over_refuses_its_tickets(relay, api, how: str) -> None:
    """After the session ends, or its customer is removed, its downloads and tickets are
    refused with session_over, even a ticket that was already used."""
    customer = join(api)
    used = ticket_of(relay, issue(api, customer))
    assert redeem(api, used)[0] == 200
    fresh = issue(api, customer)
    fresh_ticket = ticket_of(relay, fresh)
    agent = ChatClient(relay.ws_url, "agent", customer.session_id, customer.agent_token)
    try:
        assert agent.connect()["type"] == "welcome"
        agent.send({"type": how})
        agent.recv_type("session_ended" if how == "end_session" else "customer_removed")
    finally:
        agent.close()
    for ticket in (used, fresh_ticket):
        status, body = redeem(api, ticket)
        assert (status, body["error"]["code"]) == (410, "session_over")
        assert "session" in body["error"]["message"]
    status, raw, _ = download(relay, fresh["download_url"])
    assert status == 410 and b"session_over" in raw


def test_a_ticket_opens_only_its_own_session(relay, api) -> None:
    """Two customers in two sessions: each ticket gives its own session and token only."""
    first, second = join(api), join(api)
    first_ticket = ticket_of(relay, issue(api, first))
    second_ticket = ticket_of(relay, issue(api, second))
    assert redeem(api, second_ticket)[1]["session_id"] == second.session_id
    status, seat = redeem(api, first_ticket)
    assert (seat["session_id"], seat["customer_token"]) == (first.session_id, first.token)


def test_guessed_tickets_are_unknown_and_throttled(relay, api) -> None:
    """Wrong tickets answer ticket_unknown; after 20 from one address, even a right one waits."""
    customer = join(api)
    good = ticket_of(relay, issue(api, customer))
    for n in range(20):
        status, body = redeem(api, f"guess-{n}-{good[:20]}")
        assert (status, body["error"]["code"]) == (404, "ticket_unknown")
    status, body, headers = api.request("POST", "/api/viewer/redeem", json={"ticket": good})
    assert (status, body["error"]["code"]) == (429, "throttled")
    assert int(headers["Retry-After"]) > 0
    status, raw, _ = download(relay, "/viewer/download/not-a-real-download-id")
    assert status == 404 and b"ticket_unknown" in raw


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not json", 400, "bad_request"),
        (b"[1]", 400, "bad_request"),
        (b"{}", 400, "bad_request"),
        (b'{"ticket": 5}', 400, "bad_request"),
        (b'{"ticket": "' + b"x" * 300 + b'"}', 400, "bad_request"),
        (b'{"ticket": "' + b"x" * 5000 + b'"}', 413, "too_large"),
    ],
)
def test_malformed_redeem_requests_get_clear_errors(relay, body, status, code) -> None:
    request = urllib.request.Request(
        relay.url + "/api/viewer/redeem", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as caught:
        _OPENER.open(request, timeout=10)
    assert caught.value.code == status
    assert json.loads(caught.value.read())["error"]["code"] == code


def test_only_a_joined_customer_gets_tickets(relay, api) -> None:
    """No token, an agent's token or a made-up one: 401; a bad platform name: 400."""
    customer = join(api)
    for token in (None, customer.agent_token, "made-up"):
        status, body, _ = api.request(
            "POST", "/api/viewer/tickets", json={"platform": "linux"}, token=token
        )
        assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, body, _ = api.request(
        "POST", "/api/viewer/tickets", json={"platform": "amiga"}, token=customer.token
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")


def test_no_build_for_the_customers_platform_is_explained(relay, api) -> None:
    """A Windows customer (from the User-Agent) hears that there is no viewer app for Windows
    here, which builds there are, and to use the browser viewer."""
    customer = join(api)
    request = urllib.request.Request(
        relay.url + "/api/viewer/tickets", data=b"{}", method="POST",
        headers={"Authorization": f"Bearer {customer.token}", "User-Agent": WINDOWS_UA},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as caught:
        _OPENER.open(request, timeout=10)
    error = json.loads(caught.value.read())["error"]
    assert caught.value.code == 404 and error["code"] == "no_viewer_build"
    assert "windows" in error["message"] and "browser viewer" in error["message"]
    assert "available: linux" in error["message"]


def test_a_relay_without_viewer_builds_offers_none(relay_factory) -> None:
    plain = relay_factory()
    api = Api(plain.url)
    customer = join(api)
    status, body, _ = api.request(
        "POST", "/api/viewer/tickets", json={"platform": "linux"}, token=customer.token
    )
    assert (status, body["error"]["code"]) == (404, "no_viewer_build")


def test_a_missing_viewer_dir_stops_the_relay_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "relay_server", "--data", str(tmp_path / "data"), "--port", "0",
         "--viewer-dir", str(tmp_path / "nowhere")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--viewer-dir" in result.stderr and "not a folder" in result.stderr


def test_the_native_viewer_page_allows_the_programs_bridge_and_nothing_more(relay) -> None:
    """/view/native is the viewer page with 'unsafe-eval' (WebKitGTK's evaluate_javascript);
    /view keeps the strict policy."""
    status, page, headers = download(relay, "/view/native")
    assert status == 200 and b"/ui/viewer/main.js" in page
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-eval';" in policy and "frame-ancestors 'none'" in policy
    status, _, headers = download(relay, "/view")
    assert status == 200 and "unsafe-eval" not in headers["Content-Security-Policy"]


def test_the_viewer_programs_redeem_call_against_the_relay(relay, api) -> None:
    """suite/viewer/redeem.py: a seat for a fresh ticket, TicketRefusedByRelay with the relay's
    code for a used one, RelayUnreachable when nothing listens (the file is then kept)."""
    customer = join(api)
    ticket = ticket_of(relay, issue(api, customer))
    seat = viewer_redeem(relay.url, ticket)
    assert (seat.session_id, seat.customer_token) == (customer.session_id, customer.token)
    with pytest.raises(TicketRefusedByRelay) as refused:
        viewer_redeem(relay.url, ticket)
    assert refused.value.code == "ticket_used"
    with pytest.raises(RelayUnreachable):
        viewer_redeem("http://127.0.0.1:9", ticket, timeout_s=5)
