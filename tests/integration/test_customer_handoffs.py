"""The customer's call handoff (CH9): the one-time viewer, whose engine cannot call, asks the
relay for a one-time link into its seat and hands it to the system browser (real relay)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from suite.viewer.app import ViewerBridge
from suite.viewer.received_files import ReceivedFiles
from tests.support.api import Api
from tests.support.chat_client import end_session_as_agent


def _seat(api: Api) -> tuple[str, dict]:
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    return token, api.join(code=support["code"], name="Kim Customer")


def test_a_seats_link_works_once_and_brings_the_same_customer_token(relay, api: Api) -> None:
    """The ticket is issued for a seated customer's token and redeemed once for that same seat
    (token and participant id); a second try is 410 handoff_used, a made-up one 404."""
    _, joined = _seat(api)
    status, issued, _ = api.request(
        "POST", "/api/customer-handoffs", json={"customer_token": joined["customer_token"]}
    )
    assert status == 201, issued
    assert issued["url"] == f"{relay.url}/#handoff={issued['ticket']}"
    assert issued["session_id"] == joined["session_id"] and issued["lifetime_s"] == 60
    status, seat, _ = api.request(
        "POST", "/api/customer-handoffs/redeem", json={"ticket": issued["ticket"]}
    )
    assert status == 200, seat
    assert seat["customer_token"] == joined["customer_token"]
    assert seat["session_id"] == joined["session_id"]
    assert seat["participant_id"] == joined["participant_id"]
    status, again, _ = api.request(
        "POST", "/api/customer-handoffs/redeem", json={"ticket": issued["ticket"]}
    )
    assert (status, again["error"]["code"]) == (410, "handoff_used")
    status, unknown, _ = api.request(
        "POST", "/api/customer-handoffs/redeem", json={"ticket": "x" * 43}
    )
    assert (status, unknown["error"]["code"]) == (404, "handoff_unknown")


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({}, 400, "bad_request"),
        ({"customer_token": 7}, 400, "bad_request"),
        ({"customer_token": "not-a-seat"}, 401, "unauthorized"),
    ],
)
def test_only_a_seated_customer_gets_a_link(api: Api, body, status, code) -> None:
    """No token, a mistyped one or a token that seats nobody: refused, with a clear code."""
    got, answer, _ = api.request("POST", "/api/customer-handoffs", json=body)
    assert (got, answer["error"]["code"]) == (status, code)


def test_a_link_of_an_ended_session_says_so(relay, api: Api) -> None:
    """The session ended between the viewer's click and the browser: 410 handoff_session_over."""
    token, joined = _seat(api)
    _, issued, _ = api.request(
        "POST", "/api/customer-handoffs", json={"customer_token": joined["customer_token"]}
    )
    end_session_as_agent(relay.ws_url, joined["session_id"], token)
    status, answer, _ = api.request(
        "POST", "/api/customer-handoffs/redeem", json={"ticket": issued["ticket"]}
    )
    assert (status, answer["error"]["code"]) == (410, "handoff_session_over")


def test_the_viewer_program_opens_only_the_relays_handoff_link(tmp_path: Path, monkeypatch) -> None:
    """ViewerBridge.open_call_in_browser hands the relay's handoff link to the system browser
    ($BROWSER, here a script that records it) and refuses any other address."""
    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    bridge = ViewerBridge(
        5.0, ReceivedFiles(tmp_path / "Received"), 0.0, relay_url="https://r.example/"
    )
    assert bridge.open_call_in_browser("https://evil.example/#handoff=x") is False
    assert bridge.open_call_in_browser("https://r.example/view#handoff=x") is False
    link = "https://r.example/#handoff=abc&call=c1"
    assert bridge.open_call_in_browser(link) is True
    assert opened.read_text().splitlines() == [link]
    assert os.environ["BROWSER"] == str(script)
