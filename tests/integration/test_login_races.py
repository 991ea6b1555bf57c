"""Login throttling under concurrent attempts, against a real relay.

The password check yields to a thread pool; the throttle must hold each attempt while it
runs, or a burst of wrong passwords is checked in full and a right one in the burst logs in.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from tests.support.api import Api, post_json_from
from tests.support.waiting import wait_until

BURST = 20


def _login(url: str, username: str, password: str, source_ip: str = "127.0.0.1"):
    return post_json_from(
        url, "/api/login", {"username": username, "password": password}, source_ip
    )


def _burst(calls) -> list:
    """Run ``calls`` in threads released together; returns their results in order."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        barrier.wait()
        delay, call = calls[index]
        time.sleep(delay)
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return results


def test_concurrent_wrong_passwords_get_five_checks_and_the_right_one_waits(relay):
    calls = [
        (0.0, lambda n=n: _login(relay.url, "alice", f"wrong-guess-{n}")) for n in range(BURST)
    ]
    # The right password comes while the wrong ones are in flight (or just after): either way
    # the account's five attempts are spent and it must wait.
    calls.append((0.3, lambda: _login(relay.url, "alice", "alice-password-1")))
    results = _burst(calls)
    codes = Counter(body["error"]["code"] for _, body in results[:BURST])
    assert codes["bad_credentials"] <= 5, codes
    assert codes["bad_credentials"] + codes["throttled"] == BURST, codes
    for status, body in results[:BURST]:
        if body["error"]["code"] == "throttled":
            assert status == 429 and 0 < body["error"]["retry_after_s"] <= 600
    status, body = results[BURST]
    assert status == 429 and body["error"]["code"] == "throttled", body
    assert _login(relay.url, "alice", "alice-password-1")[0] == 429  # still locked afterwards


def test_concurrent_failures_over_many_ids_slow_that_ip_down_not_lock_it(relay):
    """A burst of wrong logins over many IDs from one address gets at most five checks; alice's
    right password from there is slowed down by seconds (never locked), elsewhere not at all."""
    calls = [
        (0.0, lambda n=n: _login(relay.url, f"nobody{n}", "wrong-password")) for n in range(BURST)
    ]
    results = _burst(calls)
    codes = Counter(body["error"]["code"] for _, body in results[:BURST])
    assert codes["bad_credentials"] <= 5 and codes["throttled"] >= BURST - 5, codes
    for _, body in results:
        if body["error"]["code"] == "throttled":
            assert 0 < body["error"]["retry_after_s"] <= 5, body  # a slowdown, not a lock
    status, body = _login(relay.url, "alice", "alice-password-1", source_ip="127.0.0.2")
    assert status == 200 and body["token"], "another IP logs in at once"
    assert Api(relay.url).request("GET", "/api/me", token=body["token"])[0] == 200

    def answered():  # the address waits what the relay says (seconds), then alice gets in
        status, body = _login(relay.url, "alice", "alice-password-1")
        if status != 429:
            return status, body
        assert 0 < body["error"]["retry_after_s"] <= 5, body
        time.sleep(body["error"]["retry_after_s"])
        return None

    status, body = wait_until(answered, "alice's login past the slowdown", 30, 0)
    assert status == 200, body
