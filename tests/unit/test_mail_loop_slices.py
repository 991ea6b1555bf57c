"""Mail's steps in the relay's loop yield once they have run for their slice
(``relay_server/mail/loop_slices.py``)."""

from __future__ import annotations

import time

import gevent

from relay_server.mail.loop_slices import LoopSlice


def _busy(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def test_a_long_step_lets_another_greenlet_run_between_its_items_and_a_short_one_does_not():
    ran: list[int] = []
    other = gevent.spawn(lambda: ran.append(1))
    step = LoopSlice(slice_s=0.2)
    step.check()  # fresh: well within its slice
    assert ran == [] and step.yields == 0
    _busy(0.25)
    step.check()  # past its slice: the other greenlet runs here
    assert ran == [1] and step.yields == 1
    step.check()  # the slice starts again after the yield
    assert step.yields == 1
    other.join()


def test_start_begins_a_new_slice_after_a_wait_of_the_greenlets_own():
    step = LoopSlice(slice_s=0.2)
    _busy(0.25)
    step.start()
    step.check()
    assert step.yields == 0
