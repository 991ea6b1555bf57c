"""Hostile input against a real relay: each is refused with its documented
error, logged as a refusal without a traceback, and never answered with a 500."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import time
import urllib.parse

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation
from tests.support.raw_websocket import OP_TEXT, RawWebSocket
from tests.support.relay import ROOT


def _post_raw(url: str, path: str, body: bytes, headers: dict[str, str] | None = None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        connection.request("POST", path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def _no_traceback(relay) -> None:
    assert "Traceback" not in relay.log_text(), relay.log_tail()


def test_a_deeply_nested_body_is_refused_with_400_not_500(relay):
    """60,000 `[` as a JSON body (under the 64 KiB limit) is `400 bad_request` in JSON (it was a
    500 text/html from RecursionError), and so are `NaN` and a lone surrogate; the log has a
    refusal line, no traceback."""
    for body in (b"[" * 60_000, b'{"code": NaN}', b'{"name": "\\ud800"}'):
        status, content_type, answer = _post_raw(relay.url, "/api/join", body)
        assert (status, content_type) == (400, "application/json"), answer[:200]
        assert json.loads(answer)["error"]["code"] == "bad_request"
    assert (
        "nested deeper than 32 levels"
        in json.loads(_post_raw(relay.url, "/api/login", b'{"a":' * 10_000)[2])["error"]["message"]
    )
    assert "refused http body" in relay.log_text()
    _no_traceback(relay)


def test_a_deeply_nested_first_frame_closes_with_4006(relay):
    """A first frame of `"[" * 100000` closes the socket with 4006 handshake_failed (it closed
    with 1000 after a RecursionError)."""
    client = ChatClient(relay.ws_url, "customer", "s", "t")
    client.connect_raw()
    client.send("[" * 100_000)
    assert client.close_code() == 4006
    _no_traceback(relay)


def test_a_range_of_five_thousand_digits_is_416_not_500(relay):
    """A 5,000-digit `Range` start is 416 range_not_satisfiable (it was a 500: int()'s digit
    limit); a 5,000-digit end or suffix serves the rest of the file."""
    talk = start_conversation(relay)
    content = bytes(range(256)) * 4
    offer = {"name": "a.bin", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    customer = {"Authorization": "Customer " + talk.joined["customer_token"]}
    status, _, answer = _post_raw(
        relay.url, f"/api/sessions/{talk.session_id}/files", json.dumps(offer).encode(), customer
    )
    assert status == 201, answer
    transfer_id = json.loads(answer)["transfer"]["id"]
    parts = urllib.parse.urlsplit(relay.url)

    def request(method: str, path: str, body: bytes | None = None, **headers: str):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    uploaded = request(
        "PUT", f"/api/files/{transfer_id}/content?offset=0", content, **customer
    )  # fmt: skip
    assert uploaded[0] == 200, uploaded
    path, agent = f"/api/files/{transfer_id}/content", "Bearer " + talk.token
    status, answer = request("GET", path, Authorization=agent, Range="bytes=" + "9" * 5000 + "-")
    assert status == 416 and json.loads(answer)["error"]["code"] == "range_not_satisfiable"
    status, answer = request("GET", path, Authorization=agent, Range="bytes=10-" + "9" * 5000)
    assert (status, answer) == (206, content[10:])
    status, answer = request("GET", path, Authorization=agent, Range="bytes=-" + "9" * 5000)
    assert (status, answer) == (206, content)
    assert "refused range" in relay.log_text()
    _no_traceback(relay)


def test_header_bytes_that_are_not_utf8_are_400_not_500(relay):
    """A `Range` or `Authorization` header holding bytes that are not UTF-8 (here 0xff) is
    `400 bad_request` naming the header (bottle's decoding raised UnicodeDecodeError: a 500)."""
    talk = start_conversation(relay)
    parts = urllib.parse.urlsplit(relay.url)
    for path, headers, named in (
        ("/api/files/nope/content", {"Range": "bytes=\xff-"}, "Range"),
        ("/api/me/preferences", {"Authorization": "Bearer \xff" + talk.token}, "Authorization"),
    ):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        try:
            connection.request("GET", path, headers=headers)  # str headers go out as latin-1
            response = connection.getresponse()
            status, answer = response.status, response.read()
        finally:
            connection.close()
        assert status == 400, answer[:300]
        error = json.loads(answer)["error"]
        assert error["code"] == "bad_request" and named in error["message"], error
    _no_traceback(relay)


def _live_screen(relay):
    """A session with a presenter that has started, and one viewer."""
    talk = start_conversation(relay)
    presenter = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    assert presenter.connect(channel="screen")["type"] == "welcome"
    presenter.send({"type": "present_start", "screen_w": 640, "screen_h": 480})
    viewer = ChatClient(relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"])
    assert viewer.connect(channel="screen")["type"] == "welcome"
    assert viewer.recv_type("screen_state")["state"] == "live"
    return talk, presenter, viewer


def test_a_list_as_tool_and_a_401_digit_coordinate_are_bad_message(relay):
    """`stroke_begin` with a list as `tool`, or a 401-digit coordinate, or a huge number in
    `paint_report`, is answered with `error bad_message` naming the field (they raised
    TypeError / OverflowError, logged with a traceback)."""
    _, _, viewer = _live_screen(relay)
    stroke = {"type": "stroke_begin", "id": "s1", "tool": "pen", "color": "#112233", "width": 3}
    cases = [
        ({**stroke, "tool": ["pen"], "points": [[1, 2]]}, "'tool' must be one of"),
        ({**stroke, "points": [[10**400, 2]]}, "'points' must be within"),
        ({**stroke, "width": 10**400, "points": [[1, 2]]}, "'width' must be 1-64"),
        ({"type": "paint_report", "seq": 1, "capture_ms": 10**400, "painted_ms": 1}, "range"),
        ({"type": "cursor", "x": 10**30, "y": 1, "visible": True}, "out of range"),
    ]
    for message, expected in cases:
        viewer.send(json.dumps(message))
        error = viewer.recv_type("error")
        assert error["code"] == "bad_message" and expected in error["message"], error
    _no_traceback(relay)


def test_a_client_close_code_of_5000_is_answered_with_1002(relay):
    """A close frame with code 5000 (or 1005, or 999) is a protocol error: the relay closes
    with 1002 (it echoed 5000 back)."""
    for code in (5000, 1005, 999):
        with RawWebSocket(relay.ws_url) as ws:
            ws.send_close(code)
            assert ws.close_code() == 1002, code
    with RawWebSocket(relay.ws_url) as ws:
        ws.send_close(4000, b"bye")
        assert ws.close_code() == 4000  # a valid code is still echoed
    _no_traceback(relay)


def test_an_unmasked_client_frame_closes_with_1002(relay):
    """A client frame without a mask closes the socket with 1002, as RFC 6455 section 5.1
    requires (the relay read it as the hello)."""
    talk = start_conversation(relay)
    hello = {"type": "hello", "protocol_version": 1, "role": "customer", "channel": "screen",
             "session_id": talk.session_id, "token": talk.joined["customer_token"]}  # fmt: skip
    with RawWebSocket(relay.ws_url) as ws:
        ws.send_frame(OP_TEXT, json.dumps(hello).encode(), mask=False)
        assert ws.close_code() == 1002
    with RawWebSocket(relay.ws_url) as ws:  # the same hello, masked, is welcome
        ws.send_frame(OP_TEXT, json.dumps(hello).encode())
        opcode, payload = ws.read_frame()
        assert json.loads(payload)["type"] == "welcome"
    _no_traceback(relay)


def test_health_tells_anyone_only_that_the_relay_lives(relay_factory):
    """/health answers anyone `{status, protocol_version}` only; the session and socket counts
    need an admin's bearer token (an agent's is not enough), or the relay option
    --health-details."""
    relay = relay_factory(agents=(ROOT,))
    start_conversation(relay)
    api = Api(relay.url)
    assert api.request("GET", "/health")[1] == {"status": "ok", "protocol_version": 1}
    agent = api.login("alice", "alice-password-1")
    assert "sessions" not in api.request("GET", "/health", token=agent)[1]
    admin = api.login(ROOT.username, ROOT.password)
    details = api.request("GET", "/health", token=admin)[1]
    assert (details["sessions"], details["websockets"]) == (1, 2)
    assert {"version", "uptime_s", "screen"} <= details.keys()
    open_relay = relay_factory("--health-details")
    assert "websockets" in Api(open_relay.url).request("GET", "/health")[1]


def test_the_screen_channel_limits_text_frames(relay):
    """A viewer flooding its screen socket with 2,000 text frames gets `rate_limited` (at most
    10 replies a second), stays connected, and is served again once it slows down."""
    talk, presenter, viewer = _live_screen(relay)
    assert viewer.ws is not None
    started = time.monotonic()
    for _ in range(2000):
        viewer.ws.send('{"type": "screen_ack", "seq": 1}')
    limited = [viewer.recv_type("error")]
    assert limited[0]["code"] == "rate_limited"
    for _ in range(20):  # asked again until the budget has room: a refused frame is dropped
        viewer.send({"type": "request_control"})
        try:
            while (message := viewer.recv(timeout=1))["type"] != "control_state":
                limited += [message] if message["type"] == "error" else []
        except TimeoutError:
            continue
        break
    assert message["type"] == "control_state" and message["requested"]
    assert len(limited) <= 10 * (time.monotonic() - started) + 10
    _no_traceback(relay)


def test_refusals_are_logged_in_one_line_without_a_traceback_and_rate_limited(relay):
    """200 malformed frames in a burst write at most ~10 refusal lines, then a summary of how
    many were left out; none carries a traceback."""
    talk = start_conversation(relay)
    assert talk.customer.ws is not None
    for index in range(200):
        talk.customer.ws.send("{not json " + str(index))
    errors = [talk.customer.recv_type("error") for _ in range(60)]  # the chat burst is 60
    assert {e["code"] for e in errors} <= {"bad_json", "rate_limited"}
    deadline = time.monotonic() + 10
    while "more refusals suppressed" not in relay.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)  # the relay's once-a-second tick writes the summary
    lines = [line for line in relay.log_text().splitlines() if "refused chat frame" in line]
    assert 1 <= len(lines) <= 20, lines  # 10 a second; the burst may straddle two seconds
    summary = re.search(r"(\d+) more refusals suppressed", relay.log_text())
    assert summary and int(summary.group(1)) >= 1
    _no_traceback(relay)


def test_text_that_is_not_utf8_closes_with_1007(relay):
    """Text that is not UTF-8 closes the socket with 1007 and one refusal line."""
    with RawWebSocket(relay.ws_url) as ws:
        ws.send_frame(OP_TEXT, b"\xff\xfe")
        assert ws.close_code() == 1007
    assert "closing with 1007" in relay.log_text()
    _no_traceback(relay)
