"""The JSON-route and security-header helper the relay and the agent app share (suite/http_json.py).

Driven through the Bottle app's WSGI interface, without a server.
"""

from __future__ import annotations

import io
import json
import logging
from wsgiref.util import setup_testing_defaults

import bottle

from suite import http_json


class Nope(Exception):
    """A refusal of the app under test."""


def reply(error: Nope) -> dict:
    bottle.response.status = 409
    return {"error": {"code": "nope", "message": str(error)}}


def call(app: bottle.Bottle, path: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict = {"PATH_INFO": path, "wsgi.errors": io.StringIO()}
    setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=dict(headers))

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def app_with(log_failures: logging.Logger | None) -> bottle.Bottle:
    app = bottle.Bottle()
    route = http_json.json_route((Nope,), reply, log_failures=log_failures)
    http_json.add_security_headers(app, http_json.RELAY_CONNECT_SRC)
    app.get("/ok")(route(lambda: {"text": "안녕"}))
    app.get("/nothing")(route(lambda: None))

    def refuse():
        raise Nope("not now")

    def fail():
        raise RuntimeError("a bug")

    app.get("/refused")(route(refuse))
    app.get("/failed")(route(fail))
    return app


def test_results_are_uncached_json_with_the_security_headers():
    """A result is JSON (UTF-8, not escaped), never cached, with the shared CSP; None is 204."""
    status, headers, body = call(app_with(None), "/ok")
    assert status.startswith("200")
    assert json.loads(body) == {"text": "안녕"}
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    for name, value in http_json.security_headers(http_json.RELAY_CONNECT_SRC).items():
        assert headers[name] == value
    status, _, body = call(app_with(None), "/nothing")
    assert (status[:3], body) == ("204", b"")


def test_refusals_answer_through_the_apps_reply():
    """A listed exception becomes the app's own status and error body."""
    status, headers, body = call(app_with(None), "/refused")
    assert status.startswith("409")
    assert json.loads(body) == {"error": {"code": "nope", "message": "not now"}}
    assert headers["Cache-Control"] == "no-store"


def test_other_failures_are_logged_and_answered_500_in_json(caplog):
    """With a logger, a bug answers 500 ``internal`` in JSON and its traceback is logged."""
    with caplog.at_level(logging.ERROR, logger="test_http_json"):
        status, _, body = call(app_with(logging.getLogger("test_http_json")), "/failed")
    assert status.startswith("500")
    assert json.loads(body)["error"]["code"] == "internal"
    assert "RuntimeError: a bug" in caplog.text
