"""The agent app's HTTP client for the relay: health check, login, logout, raw requests.

No GUI and no Bottle here: the local API (``local_api.py``) calls it and turns its
:class:`RelayClientError` into JSON errors. Every way of not getting an answer has its own
code so the login form can say what to do:

========================  ==========================================================
``unreachable``           nothing answered at the address (wrong address, relay down,
                          no network, a timeout)
``tls_failed``            the TLS handshake failed; for a certificate that could not be
                          verified the message names the reason ("self-signed
                          certificate", "Hostname mismatch", ...)
``not_a_relay``           something answered ``/health`` that is not a RemoteSales relay
``version_mismatch``      a relay that speaks another protocol version
(the relay's own codes)   ``bad_credentials``, ``account_disabled``, ``throttled``, ...
========================  ==========================================================

Several relay nodes behind a balancer: a request that reaches a node which does not own its
session is answered ``409 wrong_node`` naming the session, and nothing was changed there; the
client asks again with ``?session=<id>`` (the balancer's affinity key) after a short pause, up
to :data:`WRONG_NODE_TRIES` times, as the pages do (``ui/common/http.js``); from the second
answer on, when the owner's lease ends (``lease_left_ms``, ``suite/protocol/wrong_node.py``).
A streamed body cannot be sent twice: that answer is returned as it came.

``unreachable`` and ``tls_failed`` carry a ``cause`` (``suite.net.policy.CAUSES``: dns, refused,
timeout, proxy_auth, untrusted, hostname, ...) for "Test connection" in Settings › Network.
Every connection follows the network settings through ``suite.net.connect.Connector``.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, Protocol

from suite.agent.app.errors import RelayClientError
from suite.net.connect import CONNECT_TIMEOUT_S, Connector, opener
from suite.net.policy import NetworkError, NetworkPolicy
from suite.protocol import PROTOCOL_VERSION
from suite.protocol.wrong_node import lease_hint_of_error, wrong_node_delay_s


class Readable(Protocol):
    """A request body read as it is sent (a streamed upload)."""

    def read(self, size: int = -1, /) -> bytes: ...


logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
WRONG_NODE_TRIES = 8  # answers followed at most, as ui/common/http.js
WRONG_NODE_PAUSE_S = 0.15  # times the number of tries so far


@dataclass(frozen=True)
class RelayAddress:
    """Where a relay is: ``base_url`` for HTTP (no trailing slash) and ``ws_url`` for /ws."""

    base_url: str
    ws_url: str

    @property
    def is_tls(self) -> bool:
        return self.base_url.startswith("https://")


def parse_relay_address(text: str) -> RelayAddress:
    """Turn what a person typed ("relay.example.com", "http://10.0.0.5:8470/") into URLs.

    An address without a scheme gets ``https://``: SSL is the default, plain http must be
    asked for. A path is kept (a relay behind a reverse proxy at ``/remotesales``).

    Raises:
        RelayClientError: ``bad_relay_url`` when it is empty, has another scheme, no host,
            or a query.
    """
    text = text.strip()
    if not text:
        raise RelayClientError(
            "bad_relay_url", "enter the relay's address, e.g. https://relay.example.com"
        )
    if "://" not in text:
        text = "https://" + text
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise RelayClientError(
            "bad_relay_url",
            f"the relay's address must start with https:// or http://, not {parts.scheme}://",
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise RelayClientError("bad_relay_url", f"the port in {text!r} is not a number") from None
    if not parts.hostname:
        raise RelayClientError("bad_relay_url", f"{text!r} has no host name")
    if parts.query or parts.fragment:
        raise RelayClientError("bad_relay_url", "the relay's address must not have ?query or #part")
    path = parts.path.rstrip("/")
    base_url = f"{parts.scheme}://{parts.netloc}{path}"
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return RelayAddress(base_url, f"{ws_scheme}://{parts.netloc}{path}/ws")


@dataclass(frozen=True)
class RelayResponse:
    """One HTTP answer from the relay, whatever its status."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class RelayClient:
    """Talks to one relay over HTTP(S) with urllib (blocking; call it from a worker thread).

    Args:
        base_url: the relay's address as returned by :func:`parse_relay_address`.
        verify_tls: check the relay's certificate (the ``verify_tls`` setting). Turning it off
            is for test relays with self-signed certificates only.
        timeout_s: per request.
    """

    def __init__(
        self,
        base_url: str,
        verify_tls: bool = True,
        timeout_s: float = REQUEST_TIMEOUT_S,
        policy: NetworkPolicy | None = None,
    ):
        self.address = parse_relay_address(base_url)
        self.timeout_s = timeout_s
        # The network settings (A7) decide the route and the TLS checks; without them, the
        # environment's proxy and the system's certificate store (``verify_tls`` aside).
        if policy is None:
            policy = NetworkPolicy(verify_tls=verify_tls, proxy_mode="system")
        self.policy = policy
        self.verify_tls = policy.verify_tls
        self.connector = Connector(policy, timeout_s=min(timeout_s, CONNECT_TIMEOUT_S))
        self._opener = opener(self.connector)
        self.wrong_node_followed = 0  # 409 wrong_node answers followed (several nodes)

    @property
    def base_url(self) -> str:
        return self.address.base_url

    def request(
        self,
        method: str,
        path: str,
        body: bytes | Readable | None = None,
        headers: dict[str, str] | None = None,
    ) -> RelayResponse:
        """Send one request to ``base_url + path``; any HTTP status is an answer. A stream
        ``body`` is sent as read (give its ``Content-Length`` in ``headers``). A ``409
        wrong_node`` is followed through the balancer (module docstring).

        Raises:
            RelayClientError: ``unreachable`` or ``tls_failed`` when no HTTP answer came.
        """
        tries = 1
        while True:
            response = self._request_once(method, path, body, headers)
            session_id = wrong_node_session(response)
            resendable = body is None or isinstance(body, bytes)
            if session_id is None or not resendable or tries >= WRONG_NODE_TRIES:
                return response
            self.wrong_node_followed += 1
            logger.info("relay node does not own the session; asking through the balancer",
                        extra={"session": session_id, "try": tries})  # fmt: skip
            path = with_session_hint(path, session_id)
            # From the second answer on: when the owner's lease ends (protocol/wrong_node.py).
            hint = lease_hint_of_error(_error_object(response))
            time.sleep(wrong_node_delay_s(hint, tries - 1, WRONG_NODE_PAUSE_S * tries,
                                          random.random()))  # fmt: skip
            tries += 1

    def _request_once(
        self,
        method: str,
        path: str,
        body: bytes | Readable | None,
        headers: dict[str, str] | None,
    ) -> RelayResponse:
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=headers or {}, method=method
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                return RelayResponse(response.status, response.headers, _read(response))
        except urllib.error.HTTPError as error:
            with error:
                return RelayResponse(error.code, error.headers, _read(error))
        except NetworkError as error:
            raise self._from_network(error) from None
        except urllib.error.URLError as error:
            raise self._network_error(error.reason) from None
        except (OSError, http.client.HTTPException) as error:
            raise self._network_error(error) from None

    def save(
        self, path: str, headers: dict[str, str], target: Path, timeout_s: float = 600.0
    ) -> RelayResponse:
        """GET ``path`` and stream a 200 answer's body into ``target`` (any size: exports);
        another status is answered as :meth:`request` does, and ``target`` is not written.
        ``timeout_s`` is long: the relay builds an export before its first byte.

        Raises:
            RelayClientError: as :meth:`request`.
        """
        request = urllib.request.Request(self.base_url + path, headers=headers, method="GET")
        try:
            with self._opener.open(request, timeout=timeout_s) as response:
                with open(target, "wb") as out:
                    while chunk := response.read(256 * 1024):
                        out.write(chunk)
                return RelayResponse(response.status, response.headers, b"")
        except urllib.error.HTTPError as error:
            with error:
                return RelayResponse(error.code, error.headers, _read(error))
        except NetworkError as error:
            raise self._from_network(error) from None
        except urllib.error.URLError as error:
            raise self._network_error(error.reason) from None
        except (OSError, http.client.HTTPException) as error:
            raise self._network_error(error) from None

    def _from_network(self, error: NetworkError) -> RelayClientError:
        """The connection policy's error as the client's (same code, cause and reason)."""
        return RelayClientError(error.code, error.message, status=502, **error.details)

    def _network_error(self, reason: object) -> RelayClientError:
        where = self.base_url
        if isinstance(reason, ssl.SSLCertVerificationError):
            why = reason.verify_message or reason.reason or str(reason)
            return RelayClientError(
                "tls_failed",
                f"the certificate of {where} could not be verified: {why}. Check the address; "
                "if the relay uses its own certificate, install it or ask your administrator",
                status=502,
                reason=why,
            )
        if isinstance(reason, ssl.SSLError):
            why = reason.reason or str(reason)
            return RelayClientError(
                "tls_failed",
                f"the secure connection to {where} failed ({why}); if the relay does not use SSL, "
                "use an http:// address",
                status=502,
                reason=why,
            )
        if isinstance(reason, TimeoutError | socket.timeout):
            why = f"no answer within {self.timeout_s:g} s"
        elif isinstance(reason, socket.gaierror):
            why = "the host name is unknown"
        elif isinstance(reason, ConnectionRefusedError):
            why = "the connection was refused"
        elif isinstance(reason, http.client.HTTPException | ConnectionResetError):
            why = "the server closed the connection without an answer"
            if not self.address.is_tls:
                why += " (if the relay uses SSL, use an https:// address)"
        else:
            why = str(reason) or type(reason).__name__
        return RelayClientError(
            "unreachable",
            f"cannot reach the relay at {where}: {why}. Check the address and your network",
            status=502,
            reason=why,
        )

    def call(
        self, method: str, path: str, payload: Any = None, token: str | None = None
    ) -> dict[str, Any] | None:
        """Call a JSON endpoint; returns the decoded object, or None for 204.

        Raises:
            RelayClientError: no answer (see :meth:`request`), ``not_a_relay`` for an answer
                that is not our JSON, or the relay's own error code and status.
        """
        headers = {"Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.request(method, path, data, headers)
        if response.status == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if 200 <= response.status < 300 and isinstance(body, dict):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            details = {k: v for k, v in error.items() if k not in ("code", "message")}
            raise RelayClientError(
                error["code"], str(error.get("message", error["code"])), response.status, **details
            )
        raise RelayClientError(
            "not_a_relay",
            f"{self.base_url} answered {path} with HTTP {response.status} and no RemoteSales "
            "reply: is this the relay's address?",
            status=502,
        )

    def check_health(self) -> dict[str, Any]:
        """Ask ``/health`` and make sure this is a relay speaking our protocol version.

        Raises:
            RelayClientError: ``unreachable``, ``tls_failed``, ``not_a_relay`` or
                ``version_mismatch`` (with ``relay_version`` and ``app_version``).
        """
        try:
            health = self.call("GET", "/health")
        except RelayClientError as error:
            if error.code in ("unreachable", "tls_failed"):
                raise
            raise self._not_a_relay() from None
        if not isinstance(health, dict) or health.get("status") != "ok":
            raise self._not_a_relay()
        version = health.get("protocol_version")
        if not isinstance(version, int):
            raise self._not_a_relay()
        if version != PROTOCOL_VERSION:
            newer = (
                "the relay is newer: update this app"
                if version > PROTOCOL_VERSION
                else ("the relay is older: ask your administrator to update it")
            )
            raise RelayClientError(
                "version_mismatch",
                f"the relay speaks protocol version {version}, this app version "
                f"{PROTOCOL_VERSION}; {newer}",
                status=502,
                relay_version=version,
                app_version=PROTOCOL_VERSION,
            )
        return health

    def _not_a_relay(self) -> RelayClientError:
        return RelayClientError(
            "not_a_relay",
            f"something answered at {self.base_url}, but it is not a RemoteSales relay: "
            "check the address",
            status=502,
        )

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Log in; returns ``{token, expires_at, agent}``.

        Raises:
            RelayClientError: network codes, or ``bad_credentials`` (401), ``account_disabled``
                (403), ``throttled`` (429, ``retry_after_s``), ``bad_request`` (400).
        """
        answer = self.call("POST", "/api/login", {"username": username, "password": password})
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str):
            raise self._not_a_relay()
        return answer

    def logout(self, token: str) -> None:
        """Revoke ``token`` on the relay (the agent's live sessions go on)."""
        self.call("POST", "/api/logout", token=token)


def _read(response: Any) -> bytes:
    data = response.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise RelayClientError(
            "not_a_relay", f"the answer is over {MAX_RESPONSE_BYTES} bytes", status=502
        )
    return data


def with_session_hint(path: str, session_id: str) -> str:
    """``path`` with ``?session=<id>`` (the balancer's affinity key), unless it has one."""
    query = urllib.parse.urlsplit(path).query
    if "session" in urllib.parse.parse_qs(query):
        return path
    hint = urllib.parse.urlencode({"session": session_id})
    return f"{path}{'&' if '?' in path else '?'}{hint}"


def _error_object(response: RelayResponse) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def wrong_node_session(response: RelayResponse) -> str | None:
    """The session a ``409 wrong_node`` answer names (to ask its owner), else None."""
    if response.status != 409:
        return None
    error = _error_object(response)
    if error is None or error.get("code") != "wrong_node":
        return None
    session_id = error.get("session_id")
    return session_id if isinstance(session_id, str) and session_id else None
