"""RefusalLog: one line per refusal, at most N a second, then the count of those left out."""

from __future__ import annotations

from relay_server.web.refusals import RefusalLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_are_capped_per_second_and_the_rest_counted():
    """25 refusals in one second write 10 lines; the next line says 15 were suppressed, and a
    flush after a quiet second writes the count when nothing follows."""
    clock, lines = Clock(), []
    log = RefusalLog(10, clock, lambda message, *args, extra: lines.append(message % args))
    written = [log.refused("chat frame", f"bad_json {i}", ip="127.0.0.1") for i in range(25)]
    assert written == [True] * 10 + [False] * 15
    assert lines[-1] == "refused chat frame: bad_json 9"
    clock.now += 1.0
    assert log.refused("http body", "not JSON")
    assert lines[-1] == "refused http body: not JSON (15 more refusals suppressed before this one)"
    for _ in range(12):
        log.refused("range", "x" * 500)
    assert len(lines[-1]) < 200  # what the client sent is cut
    log.flush()  # same second: nothing yet
    assert len(lines) == 20
    clock.now += 1.0
    log.flush()
    assert lines[-1] == "3 more refusals suppressed"
    assert (log.total, log.suppressed) == (38, 0)
