"""Fuzz a real relay with hostile input: no traceback in its log, no 500, and afterwards it
still answers /health and a bystander session's chat still delivers.

Seeded and bounded: ``FUZZ_SEED`` (default below) picks every frame and request, and the seed
is in every failure message, so a failure replays with ``FUZZ_SEED=<seed> scripts/test -k
fuzz``. What is sent:

- about 3,000 websocket frames on a live session's four sockets (agent chat, customer chat,
  presenter, viewer): every client message type of ``suite.protocol`` with its fields
  mutated (wrong types, huge and non-finite numbers, NaN as a string and as a token, nested
  lists, 10^5 characters, unicode and lone surrogates, missing and extra fields), sent on its
  channel and on the other, plus raw garbage (invalid UTF-8 in text frames, binary on chat,
  deep nesting, 5,000-digit numbers, broken region frames) and hostile first frames;
- frames that break RFC 6455 itself (unmasked, close codes no peer may send, reserved bits,
  unknown opcodes, fragmented control frames);
- ``HTTP_REQUESTS_PER_ROUTE`` requests to every route of the relay (found in its source),
  with hostile path parameters, authorisations, bodies, ``Range`` headers and query strings.

The relay may close a socket (all its close codes are documented); the fuzzer reconnects.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import socket
import struct
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from suite.protocol import CLIENT_MESSAGES
from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.conversation import Conversation, start_conversation
from tests.support.hostile_values import (
    garbage_binary,
    garbage_text,
    hostile_value,
    mutate,
    to_json,
)
from tests.support.message_templates import TEMPLATES
from tests.support.raw_websocket import OP_CLOSE, OP_PING, OP_TEXT, RawWebSocket
from tests.support.relay import REPO_ROOT, ROOT

SEED = int(os.environ.get("FUZZ_SEED", "1104"))
WS_FRAMES = 3000
RAW_PROTOCOL_ROUNDS = 60
HTTP_REQUESTS_PER_ROUTE = 200
CHAT_FRAMES_PER_SOCKET = 40  # the chat channel allows bursts of 60; a fresh socket, a fresh burst
SCREEN_FRAMES_PER_SOCKET = 150
# Close codes the relay documents (docs/protocol.md) for what the fuzzer does.
FILE_BYTES = bytes(range(256)) * 4
DOCUMENTED_CLOSE_CODES = {1000, 1001, 1002, 1007, 1009, 4000, 4001, 4003, 4004, 4005, 4006}


SCREEN_TYPES = {
    "screen_ack", "paint_report", "present_start", "present_pause", "present_resume",
    "present_stop", "cursor", "request_control", "revoke_control", "mouse_input", "key_input",
    "stroke_begin", "stroke_points", "stroke_end", "undo_stroke", "clear_drawing",
}  # fmt: skip
# Valid on the chat channel, they end the session or remove the customer: mostly sent where
# they are refused, so that the fuzzed session lives long enough to be fuzzed.
DESTRUCTIVE = {"end_session", "remove_customer"}


@dataclass
class Outcome:
    """What the fuzzer saw: closes by code, HTTP statuses, and every 5xx with its request."""

    seed: int
    closes: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    frames: int = 0
    rebuilds: int = 0

    def tell(self) -> str:
        return (
            f"FUZZ_SEED={self.seed}: {self.frames} frames, {self.rebuilds} sessions rebuilt, "
            f"closes {dict(self.closes)}, statuses {dict(sorted(self.statuses.items()))}"
        )


def open_unbounded(ws_url: str) -> ClientConnection:
    """A websocket whose client never stops reading: with the library's default (16 messages
    queued, then it pauses reading) a burst of replies hid the relay's close frame for the
    whole close timeout."""
    return connect(ws_url, open_timeout=10, max_size=2**22, max_queue=None, proxy=None, legacy=True)


class FuzzedSession:
    """A live session's four sockets, reopened when the relay closes one."""

    SOCKETS = (("agent", "chat"), ("customer", "chat"), ("agent", "screen"),
               ("customer", "screen"))  # fmt: skip

    def __init__(self, relay, outcome: Outcome) -> None:
        self.relay = relay
        self.outcome = outcome
        self.talk: Conversation = start_conversation(relay)
        self.sockets: dict[tuple[str, str], ChatClient] = {}
        self.sent: Counter = Counter()

    def socket(self, key: tuple[str, str]) -> ChatClient:
        """The open socket for (role, channel); a fresh one after a close or a full burst."""
        limit = CHAT_FRAMES_PER_SOCKET if key[1] == "chat" else SCREEN_FRAMES_PER_SOCKET
        client = self.sockets.get(key)
        if client is not None and self.sent[key] < limit:
            return client
        if client is not None:
            self._close(key)
        for _ in range(3):
            client = self._open(key)
            if client is not None:
                return client
            self.rebuild()
        raise AssertionError(f"{self.outcome.tell()}: cannot reopen {key}")

    def _open(self, key: tuple[str, str]) -> ChatClient | None:
        role, channel = key
        token = self.talk.token if role == "agent" else self.talk.joined["customer_token"]
        client = ChatClient(self.relay.ws_url, role, self.talk.session_id, token)
        try:
            client.ws = open_unbounded(self.relay.ws_url)
            client.send({**client.hello, "channel": channel})
            first = client.recv()
        except ConnectionClosed as closed:
            self.outcome.closes[closed.rcvd.code if closed.rcvd else None] += 1
            return None
        if first.get("type") != "welcome":
            raise AssertionError(f"{self.outcome.tell()}: {key} got {first} for hello")
        if channel == "screen" and role == "agent":
            client.send({"type": "present_start", "screen_w": 640, "screen_h": 480})
        self.sockets[key] = client
        self.sent[key] = 0
        return client

    def send(self, key: tuple[str, str], frame: Any, text: bool | None = None) -> None:
        """Send one frame on (role, channel); a socket the relay closed is counted and dropped."""
        client = self.socket(key)
        self.sent[key] += 1
        self.outcome.frames += 1
        try:
            assert client.ws is not None
            if isinstance(frame, bytes) and text:
                client.ws.send(frame, text=True)
            else:
                client.ws.send(frame)
            self._drain(client)
        except ConnectionClosed:
            self._closed(key)

    def _drain(self, client: ChatClient) -> None:
        """Read what the relay answered so far, so that its send queue never fills."""
        assert client.ws is not None
        while True:
            try:
                client.ws.recv(timeout=0)
            except TimeoutError:
                return

    def _closed(self, key: tuple[str, str]) -> None:
        client = self.sockets.pop(key)
        assert client.ws is not None
        code = client.ws.close_code
        self.outcome.closes[code] += 1
        client.ws.close()
        if code in (4000, 4004):  # the session ended, or its customer was removed
            self.rebuild()

    def _close(self, key: tuple[str, str]) -> None:
        """Close the socket politely: its close handshake waits for every frame before it."""
        client = self.sockets.pop(key)
        assert client.ws is not None
        client.ws.close()
        code = client.ws.close_code
        if code not in (1000, None):
            self.outcome.closes[code] += 1
            if code in (4000, 4004):
                self.rebuild()

    def rebuild(self) -> None:
        """A new session (the fuzz ended the last one, or removed its customer)."""
        for key in list(self.sockets):
            client = self.sockets.pop(key)
            if client.ws is not None:
                client.ws.close()
        self.outcome.rebuilds += 1
        self.talk = start_conversation(self.relay)

    def close(self) -> None:
        for key in list(self.sockets):
            if key in self.sockets:  # a close that ended the session rebuilt (and closed) the rest
                self._close(key)
        for client in (self.talk.agent, self.talk.customer):
            if client.ws is not None:
                client.ws.close()


def fuzz_frames(session: FuzzedSession, rng: random.Random, count: int) -> None:
    """``count`` hostile frames over the session's four sockets."""
    types = sorted(TEMPLATES)
    for _ in range(count):
        kind = rng.random()
        if kind < 0.75:
            message_type = rng.choice(types)
            channel = "screen" if message_type in SCREEN_TYPES else "chat"
            if rng.random() < 0.15 or (message_type in DESTRUCTIVE and rng.random() < 0.97):
                channel = "chat" if channel == "screen" else "screen"
            role = rng.choice(["agent", "customer"])
            body = mutate(rng, message_type) if rng.random() < 0.9 else {
                "type": message_type, **TEMPLATES[message_type]
            }  # fmt: skip
            session.send((role, channel), to_json(body))
        elif kind < 0.9:
            key = rng.choice(FuzzedSession.SOCKETS)
            frame = garbage_text(rng)
            session.send(key, frame, text=True)
        else:
            key = rng.choice(FuzzedSession.SOCKETS)
            presenter = key == ("agent", "screen")
            session.send(key, garbage_binary(rng, presenter))
        if rng.random() < 0.01:
            hostile_hello(session, rng)


def hello_for(session: FuzzedSession, channel: str) -> dict[str, Any]:
    """A valid customer hello for the fuzzed session."""
    talk = session.talk
    token = talk.joined["customer_token"]
    return {**TEMPLATES["hello"], "type": "hello", "session_id": talk.session_id,
            "token": token, "channel": channel}  # fmt: skip


def hostile_hello(session: FuzzedSession, rng: random.Random) -> None:
    """A fresh socket whose first frame is a mutated hello (or garbage): welcome or a close."""
    talk = session.talk
    good = hello_for(session, rng.choice(["chat", "screen"]))
    first: Any = mutate(rng, "hello") if rng.random() < 0.5 else good
    if isinstance(first, dict) and rng.random() < 0.5:
        first = {**good, **{k: v for k, v in first.items() if k != "type"}}
    frame = to_json(first) if rng.random() < 0.8 else garbage_text(rng)
    client = ChatClient(session.relay.ws_url, "customer", talk.session_id, "")
    try:
        client.ws = open_unbounded(session.relay.ws_url)
        client.ws.send(frame, text=True)  # bytes: a text frame of invalid UTF-8
        client.ws.recv(timeout=5)
        client.ws.close()
        session.outcome.closes[client.ws.close_code] += 1
    except ConnectionClosed as closed:
        session.outcome.closes[closed.rcvd.code if closed.rcvd else None] += 1
    except (TimeoutError, InvalidStatus) as error:
        raise AssertionError(
            f"{session.outcome.tell()}: hello {frame[:200]!r}: {error!r}"
        ) from None
    finally:
        if client.ws is not None:
            client.ws.close()
    # A valid hello took the customer's place: the session's own sockets reopen as needed.
    for key in [k for k in session.sockets if k[0] == "customer"]:
        session.sent[key] = 10**6


RAW_FRAMES: list[Callable[[RawWebSocket], None]] = [
    lambda ws: ws.send_frame(OP_TEXT, b'{"type":"typing","active":true}', mask=False),
    lambda ws: ws.send_frame(OP_PING, b"ping", mask=False),
    lambda ws: ws.send_close(5000),
    lambda ws: ws.send_close(999),
    lambda ws: ws.send_close(1004),
    lambda ws: ws.send_close(1005),
    lambda ws: ws.send_close(1006),
    lambda ws: ws.send_close(1015),
    lambda ws: ws.send_close(2999),
    lambda ws: ws.send_close(65535),
    lambda ws: ws.send_close(1000, b"\xff\xfe"),
    lambda ws: ws.send_frame(OP_CLOSE, b"\x03"),
    lambda ws: ws.send_frame(OP_TEXT, b"{}", rsv=4),
    lambda ws: ws.send_frame(0x3, b"x"),
    lambda ws: ws.send_frame(0xB, b"x"),
    lambda ws: ws.send_frame(OP_PING, b"x", fin=False),
    lambda ws: ws.send_frame(OP_PING, b"x" * 126),
    lambda ws: ws.send_frame(0x0, b"continuation without a start"),
    lambda ws: ws.send_frame(OP_TEXT, b"[", fin=False) or ws.send_frame(OP_TEXT, b"["),
    lambda ws: ws.send_frame(OP_TEXT, b"\xc3", fin=False) or ws.send_frame(0x0, b"\x28"),
    lambda ws: ws.sock.sendall(bytes([0x81, 0xFF]) + struct.pack("!Q", 2**63) + b"mask"),
    lambda ws: ws.sock.sendall(bytes([0x81, 0x7E, 0xFF, 0xFF]) + b"x" * 100),  # unmasked
]
# A frame cut short by the client ending its side of the TCP connection: the relay cannot
# answer with a close frame, it only ends the connection (no traceback either).
CUT_SHORT = 0.05


def fuzz_protocol(relay, session: FuzzedSession, rng: random.Random, outcome: Outcome) -> None:
    """Frames that break RFC 6455, before and after a valid hello: the relay closes."""
    for _ in range(RAW_PROTOCOL_ROUNDS):
        with RawWebSocket(relay.ws_url) as ws:
            if rng.random() < 0.5:
                ws.send_frame(OP_TEXT, json.dumps(hello_for(session, "screen")).encode())
            if rng.random() < CUT_SHORT:
                ws.sock.sendall(bytes([0x81, 0xFE, 0x00, 0x10]) + b"mask" + b"short")
                ws.sock.shutdown(socket.SHUT_WR)
                with contextlib.suppress(ConnectionError):
                    ws.close_code()
                continue
            rng.choice(RAW_FRAMES)(ws)
            try:
                outcome.closes[ws.close_code()] += 1
            except (ConnectionError, TimeoutError):
                outcome.closes["no close frame"] += 1


ROUTE_RE = re.compile(r'@app\.(get|post|put|delete)\("([^"]+)"\)')


def relay_routes() -> list[tuple[str, str]]:
    """Every (method, path pattern) the relay's Bottle app declares, from its source files."""
    routes = set()
    for path in (REPO_ROOT / "relay_server").rglob("*.py"):
        for method, pattern in ROUTE_RE.findall(path.read_text()):
            routes.add((method.upper(), pattern))
    return sorted(routes)


HOSTILE_SEGMENTS = [
    "", "x" * 5000, "%00", "..%2F..%2Fetc%2Fpasswd", "%ff%fe", "%F0%9F%98%80", "a%20b",
    "%3Cscript%3E", "..", "-1", "9" * 400, "NaN", "%C0%AE%C0%AE",
]  # fmt: skip
HOSTILE_RANGES = [
    "bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 5000, "bytes=0-" + "9" * 5000,
    "bytes=" + "1" * 19 + "-", "bytes=" + "1" * 20 + "-" + "2" * 20, "bytes=5-1", "bytes=a-b",
    "bytes=0-1,2-3", "bytes=-0", "bytes=0-0", "bytes=999-", "items=0-1", "bytes=\u00b2-",
    "bytes=" + "-" * 100, "bytes = 0 - 10 ", "bytes=1e3-", "bytes=0x10-",
]  # fmt: skip
HOSTILE_QUERIES = [
    "offset=" + "9" * 5000, "offset=-1", "offset=1e999", "offset=NaN", "offset=%C2%B2",
    "offset=0", "ticket=" + "x" * 5000, "ticket=%00", "ticket=", "offset=%D9%A1",
]  # fmt: skip
BODY_FIELDS = [
    "username", "password", "code", "icon", "name", "notes", "ticket", "platform", "sha256",
    "size", "type", "check", "role", "email", "title", "company", "phone",
    # mail: invitations, the admin's SMTP settings and test mail
    "recipients", "lang", "to", "host", "port", "security", "sender_address", "sender_name",
    "clear_password",
]  # fmt: skip


def hostile_body(rng: random.Random, context: dict[str, str]) -> bytes:
    """A request body: broken JSON, deep nesting, huge numbers, or an object of wrong fields."""
    kind = rng.randrange(10)
    if kind < 3:
        return rng.choice([
            b"[" * 100_000, b"{" * 50_000, b'{"a":' * 5000, b"9" * 5000, b"NaN", b"Infinity",
            b'{"code":1e999}', b"\xff\xfe{}", b"{", b"", b"null", b"[]", b'"x"', b"1",
            b'{"name":"\\ud800"}', b"\x00" * 64, b"x" * 70_000, b'{"a":"' + b"x" * 70_000 + b'"}',
        ])  # fmt: skip
    body: dict[str, Any] = {}
    for name in rng.sample(BODY_FIELDS, rng.randint(1, 4)):
        body[name] = hostile_value(rng) if rng.random() < 0.7 else context.get(name, "x")
    text = to_json(body)
    if len(text) > 200_000:
        text = text[:200_000]
    return text.encode("utf-8", "surrogatepass")


def fill_path(rng: random.Random, pattern: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if rng.random() < 0.35:
            return rng.choice(HOSTILE_SEGMENTS)
        return urllib.parse.quote(context.get(name, "x"), safe="")

    return re.sub(r"<([^>]+)>", value, pattern)


def authorisation(rng: random.Random, method: str, pattern: str, context: dict[str, str]):
    """An Authorization header: a real token where it cannot end the fuzz, or garbage."""
    destructive = pattern in ("/api/logout",) or method == "DELETE"
    choices = [
        None, "Bearer garbage", "Customer garbage", "Bearer " + "x" * 10_000,
        "Basic YWxpY2U6eA==", "Bearer", "Customer ", "bearer " + context["agent_token"],
    ]  # fmt: skip
    if not destructive:
        choices += [
            "Bearer " + context["agent_token"], "Bearer " + context["admin_token"],
            "Customer " + context["customer_token"], "Bearer " + context["customer_token"],
        ]  # fmt: skip
    return rng.choice(choices)


def fuzz_http(relay, rng: random.Random, context: dict[str, str], outcome: Outcome) -> None:
    """``HTTP_REQUESTS_PER_ROUTE`` hostile requests to every route; a 5xx is recorded."""
    parts = urllib.parse.urlsplit(relay.url)
    routes = relay_routes()
    assert len(routes) >= 30, routes  # the source scan still finds the routes
    for method, pattern in routes:
        for _ in range(HTTP_REQUESTS_PER_ROUTE):
            path = fill_path(rng, pattern, context)
            if rng.random() < 0.3:
                path += "?" + rng.choice(HOSTILE_QUERIES)
            headers = {"Connection": "close"}
            auth = authorisation(rng, method, pattern, context)
            if auth is not None:
                headers["Authorization"] = auth
            if rng.random() < 0.3:
                headers["Range"] = rng.choice(HOSTILE_RANGES)
            if rng.random() < 0.2:
                headers["Content-Type"] = rng.choice(
                    ["application/json", "text/plain", "multipart/form-data; boundary=x", "\u00ff"]
                )
            body = hostile_body(rng, context) if method in ("POST", "PUT") else None
            if body is not None and rng.random() < 0.1 and len(body) > 10:
                # A Content-Length shorter than the body: the rest is junk after the request.
                headers["Content-Length"] = str(len(body) // 2)
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (ConnectionError, http.client.HTTPException) as error:
                # The relay may close instead of answering a broken request; it never 500s.
                status = type(error).__name__
            finally:
                connection.close()
            outcome.statuses[status] += 1
            if isinstance(status, int) and status >= 500:
                outcome.server_errors.append(
                    f"{status} {method} {path[:120]} {headers!r:.200} body {body!r:.200}"
                )


def prepare_http_context(relay, outcome: Outcome) -> dict[str, str]:
    """Tokens and ids for the HTTP fuzz: a session with a customer and two file offers."""
    talk = start_conversation(relay)
    api = Api(relay.url)
    admin_token = api.login(ROOT.username, ROOT.password)
    context = {
        "agent_token": talk.token, "admin_token": admin_token,
        "customer_token": talk.joined["customer_token"], "session_id": talk.session_id,
        "username": "bob", "code": talk.support["code"], "transfer_id": "missing",
        "download_id": "x" * 43,
    }  # fmt: skip
    parts = urllib.parse.urlsplit(relay.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    offer = {"name": "fuzz.txt", "size": len(FILE_BYTES), "type": "text/plain",
             "sha256": hashlib.sha256(FILE_BYTES).hexdigest()}  # fmt: skip
    connection.request(
        "POST", f"/api/sessions/{talk.session_id}/files", body=json.dumps(offer),
        headers={"Authorization": "Customer " + context["customer_token"]},
    )  # fmt: skip
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status == 201, (outcome.tell(), answer)
    context["transfer_id"] = transfer_id = answer["transfer"]["id"]
    # Uploaded whole, so that a download starts at once (an early one waits for the bytes).
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    connection.request(
        "PUT", f"/api/files/{transfer_id}/content?offset=0", body=FILE_BYTES,
        headers={"Authorization": "Customer " + context["customer_token"]},
    )  # fmt: skip
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert answer["transfer"]["state"] == "ready", (outcome.tell(), answer)
    return context


def test_hostile_frames_and_requests_raise_nothing_in_the_relay(relay_factory):
    """3,000 seeded hostile frames on every message type and field, RFC 6455 violations and
    hostile requests to every route leave no traceback in the relay's log and no 500, and the
    relay still answers /health and delivers a bystander session's chat."""
    relay = relay_factory(agents=(ROOT,))
    rng = random.Random(SEED)
    outcome = Outcome(SEED)
    print(f"fuzzing the relay with FUZZ_SEED={SEED}")
    assert set(TEMPLATES) == set(CLIENT_MESSAGES), "a client message type has no template"
    # alice: the admin routes are fuzzed with an admin's token on bob's account, not hers.
    bystander = start_conversation(relay)
    started = time.monotonic()

    session = FuzzedSession(relay, outcome)
    fuzz_frames(session, rng, WS_FRAMES)
    frames_s = time.monotonic() - started
    fuzz_protocol(relay, session, rng, outcome)
    session.close()  # each close handshake waits until the relay has read every frame
    ws_s = time.monotonic() - started
    fuzz_http(relay, rng, prepare_http_context(relay, outcome), outcome)
    print(
        f"{outcome.tell()}; frames {frames_s:.1f} s, websocket part {ws_s:.1f} s, "
        f"all {time.monotonic() - started:.1f} s"
    )

    assert not outcome.server_errors, f"{outcome.tell()}\n" + "\n".join(outcome.server_errors)
    unexpected = set(outcome.closes) - DOCUMENTED_CLOSE_CODES
    assert not unexpected, f"{outcome.tell()}: undocumented close codes {unexpected}"
    status, health, _ = Api(relay.url).request("GET", "/health")
    assert (status, health.get("status")) == (200, "ok"), outcome.tell()
    bystander.customer.chat("still there?", "bystander-1")
    assert bystander.agent.recv_type("chat_message")["text"] == "still there?", outcome.tell()
    log = relay.log_text()
    assert "Traceback" not in log, f"{outcome.tell()}: the relay logged a traceback"
