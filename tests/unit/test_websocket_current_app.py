"""A closed FastWebSocket builds no class per call for the cyclic collector to free."""

from __future__ import annotations

import gc
import logging
from types import SimpleNamespace

from relay_server.web.websocket_speedups import FastWebSocket


def _socket(application: object = None) -> FastWebSocket:
    stream = SimpleNamespace(read=lambda n: b"", write=lambda data: None)
    handler = SimpleNamespace(
        server=SimpleNamespace(application=application), logger=logging.getLogger("test")
    )
    return FastWebSocket({}, stream, handler)  # type: ignore[arg-type]


def test_closing_twice_reaches_one_shared_app_and_makes_no_class() -> None:
    sockets = [_socket() for _ in range(50)]
    classes_before = sum(isinstance(o, type) for o in gc.get_objects())
    for ws in sockets:
        ws.close()
        ws.close()  # already closed: the library calls current_app.on_close here
    classes_after = sum(isinstance(o, type) for o in gc.get_objects())
    assert sockets[0].current_app is sockets[1].current_app
    assert classes_after - classes_before < 10  # the library's property made one per call


def test_an_application_with_its_own_current_app_keeps_it() -> None:
    app = SimpleNamespace(current_app=SimpleNamespace(on_close=lambda *args: None))
    assert _socket(app).current_app is app.current_app
