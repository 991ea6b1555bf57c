"""Responses on a kept-alive HTTP connection leave the relay at once.

gevent writes a response's head and body in two sends; with Nagle's algorithm on, the body
waited for the client's delayed ACK of the head (~40 ms on Linux), so every response after a
connection's first took ~44 ms on loopback, and a page's ~160 files over Chromium's six
connections took seconds. The relay turns Nagle off on every accepted connection.
"""

from __future__ import annotations

import http.client
import statistics
import time
import urllib.parse

# Linux delays an ACK by 40 ms at least (TCP_DELACK_MIN); a response held back by Nagle's
# algorithm takes that long, one that is sent at once ~1 ms (loaded machine: a few).
HELD_BACK_MS = 40
FILES = ("/ui/common/dom.js", "/ui/agent/main.js", "/ui/common/tokens.css", "/agent")


def test_responses_on_a_kept_alive_connection_do_not_wait_for_the_clients_ack(relay):
    """Thirty GETs of the pages' files on one connection: the median answer comes well under
    the client's delayed-ACK time (it came at ~44 ms each with Nagle's algorithm on)."""
    parts = urllib.parse.urlsplit(relay.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    times_ms = []
    try:
        for index in range(30):
            start = time.perf_counter()
            connection.request("GET", FILES[index % len(FILES)])
            response = connection.getresponse()
            assert response.status == 200 and response.read()
            assert response.getheader("Connection", "").lower() != "close"
            times_ms.append((time.perf_counter() - start) * 1000)
    finally:
        connection.close()
    # The first answers come before the client's delayed ACKs begin (quick-ACK mode).
    assert statistics.median(times_ms[3:]) < HELD_BACK_MS / 2, times_ms
