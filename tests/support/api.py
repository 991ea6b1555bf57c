"""A small HTTP client for the relay's JSON API (docs/protocol.md), built on urllib."""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from json import dumps, loads
from typing import Any

from relay_server.accounts.agent_data_rules import DEFAULT_PREFERENCES

REQUEST_TIMEOUT_S = 10.0

# Tests talk to loopback only: ignore any proxy set in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ApiError(AssertionError):
    """The relay answered a helper call with an unexpected status."""


class Api:
    """Calls the relay at `base_url`; `request()` returns 4xx/5xx answers instead of raising."""

    def __init__(self, base_url: str, context: ssl.SSLContext | None = None) -> None:
        """``context`` verifies an https relay (or balancer) against a test CA."""
        self.base_url = base_url.rstrip("/")
        self._opener = _OPENER
        if context is not None:
            handlers = (
                urllib.request.ProxyHandler({}),
                urllib.request.HTTPSHandler(context=context),
            )
            self._opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], Message]:
        """Send one request (``headers``: more of them, e.g. ``X-Forwarded-For``).

        Returns:
            (status, body, headers): body is the decoded JSON object, `{}` for an empty body, or
            `{"_text": ...}` when the body is not JSON; headers look up names case-insensitively.
        """
        data = None
        headers = {"Accept": "application/json", **(headers or {})}
        if json is not None:
            data = dumps(json).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
                return response.status, _decode(response.read()), response.headers
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _decode(error.read()), error.headers

    def _expect(self, expected: int, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        status, body, _ = self.request(method, path, **kwargs)
        if status != expected:
            raise ApiError(f"{method} {path}: expected {expected}, got {status}: {body}")
        return body

    def login(self, username: str, password: str) -> str:
        """Log in as an agent and return the bearer token."""
        body = self._expect(
            200, "POST", "/api/login", json={"username": username, "password": password}
        )
        return body["token"]

    def new_support(self, token: str) -> dict[str, Any]:
        """Create a support session for the agent and return its `support` object."""
        return self._expect(201, "POST", "/api/supports", token=token)["support"]

    def restore_agent_data(self, token: str, profile: dict[str, str] | None = None) -> None:
        """Put the signed-in agent's data back as a fresh relay has it: preferences (language,
        idle time, alerts) at their defaults, no short messages, no favourites, no photo, and
        ``profile`` (e.g. ``{"title": "Sales Manager", "phone": ""}``) if given. For the tests
        of a module on one relay (tests/conftest.py ``shared_relay``)."""
        self._expect(200, "PUT", "/api/me/preferences", json=DEFAULT_PREFERENCES, token=token)
        self._expect(200, "PUT", "/api/me/short_messages", json={"short_messages": []}, token=token)
        body = self._expect(200, "PUT", "/api/me/favourites/links", json={"links": []}, token=token)
        paths = [f"/api/me/favourites/documents/{document['id']}" for document in body["documents"]]
        for path in [*paths, "/api/me/photo"]:
            status, answer, _ = self.request("DELETE", path, token=token)
            if status not in (200, 204):
                raise ApiError(f"DELETE {path}: got {status}: {answer}")
        if profile is not None:
            self._expect(200, "PUT", "/api/me", json=profile, token=token)

    def join(
        self, code: str | None = None, icon: int | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """Join as a customer by code or icon; returns `{session_id, customer_token, agent}`."""
        payload: dict[str, Any] = {}
        if code is not None:
            payload["code"] = code
        if icon is not None:
            payload["icon"] = icon
        if name is not None:
            payload["name"] = name
        return self._expect(200, "POST", "/api/join", json=payload)


def _decode(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        body = loads(raw)
    except ValueError:
        return {"_text": raw.decode(errors="replace")}
    return body if isinstance(body, dict) else {"_json": body}


def post_json_from(
    url: str,
    path: str,
    body: dict[str, Any],
    source_ip: str,
    timeout_s: float = 60.0,
    token: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as JSON to ``url + path`` from ``source_ip``: any 127.x address is this
    machine's loopback, so a test can be another client IP for the relay's per-IP limits."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout_s, source_address=(source_ip, 0)
    )
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request("POST", path, body=dumps(body), headers=headers)
        response = connection.getresponse()
        return response.status, loads(response.read() or b"{}")
    finally:
        connection.close()
