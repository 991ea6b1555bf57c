"""Takeovers asked for while one runs are taken over together in the next batch
(``relay_server/web/takeover_gate.py``)."""

from __future__ import annotations

import gevent
import pytest
from gevent.event import Event

from relay_server.errors import Refused
from relay_server.web.takeover_gate import TakeoverGate


class Batches:
    """A batch function that records each batch and waits at ``hold`` until let go."""

    def __init__(self, fail_with: Exception | None = None):
        self.seen: list[list[str]] = []
        self.hold = Event()
        self.fail_with = fail_with

    def __call__(self, session_ids: list[str]) -> dict[str, bool | Refused]:
        self.seen.append(list(session_ids))
        self.hold.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return {sid: (Refused("wrong_node", "elsewhere") if sid == "taken" else True)
                for sid in session_ids}  # fmt: skip


def test_requests_that_arrive_while_a_batch_runs_make_the_next_batch_together():
    batches = Batches()
    gate = TakeoverGate(batches)
    first = gevent.spawn(gate.take_over, "s1")
    gevent.sleep(0)  # s1's batch starts alone: nothing waits to gather one
    later = [gevent.spawn(gate.take_over, sid) for sid in ("s2", "s3", "taken", "s2")]
    again = gevent.spawn(gate.take_over, "s1")  # s1 is under way: it waits for that answer
    gevent.sleep(0)
    assert batches.seen == [["s1"]]
    batches.hold.set()
    gevent.joinall([first, again, *later], raise_error=True)
    assert batches.seen == [["s1"], ["s2", "s3", "taken"]]
    assert first.value is True and again.value is True
    assert [g.value for g in later[:2]] == [True, True] and later[3].value is True
    assert isinstance(later[2].value, Refused)  # a value: the caller raises it


def test_a_batch_that_fails_raises_in_each_of_its_requests_and_the_gate_goes_on():
    batches = Batches(fail_with=RuntimeError("the database is away"))
    gate = TakeoverGate(batches)
    waiters = [gevent.spawn(gate.take_over, sid) for sid in ("s1", "s2")]
    gevent.sleep(0)
    batches.hold.set()
    gevent.joinall(waiters)
    for waiter in waiters:
        with pytest.raises(RuntimeError, match="database is away"):
            waiter.get()
    batches.fail_with = None
    assert gate.take_over("s3") is True  # a new worker for the next request
    assert batches.seen[-1] == ["s3"]
