"""The relay's HTTP handler empties each request's environ once its response is written."""

from __future__ import annotations

import gc

import bottle

from relay_server.web.http_server import TimedConnectionMixin


class _Answered:
    """Stands for gevent's handler: its response runs bottle's request views over the environ."""

    environ: dict | None = None

    def handle_one_response(self) -> None:
        request = bottle.BaseRequest(self.environ)
        assert request.headers["X-Test"] == "1" and request.query["q"] == "x"


Handler = type("Handler", (TimedConnectionMixin, _Answered), {})


def _handled(environ: dict) -> None:
    handler = Handler.__new__(Handler)
    handler.environ = environ
    handler._requests_done = 0
    handler.handle_one_response()
    assert handler._requests_done == 1


def test_bottles_views_of_a_request_leave_no_cycle_once_the_response_is_written() -> None:
    gc.collect()
    environ = {"HTTP_X_TEST": "1", "QUERY_STRING": "q=x", "REQUEST_METHOD": "GET"}
    _handled(environ)
    assert environ == {}
    del environ
    assert gc.collect() == 0  # nothing left in cycles: freed by reference counts


def test_without_it_bottle_leaves_a_cycle_the_collector_must_free() -> None:
    gc.collect()
    environ = {"HTTP_X_TEST": "1", "QUERY_STRING": "q=x", "REQUEST_METHOD": "GET"}
    _Answered.handle_one_response(type("H", (), {"environ": environ})())  # type: ignore[arg-type]
    assert "bottle.request.headers" in environ
    del environ
    assert gc.collect() > 0
