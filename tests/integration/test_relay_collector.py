"""The relay's collector policy under churn: sockets come and go, memory stays bounded.

A real relay; rounds of 250 websockets opened at once (no hello yet: live sockets all the same)
and closed, while an agent and a customer chat. Each round's growth makes the relay freeze;
every 1,000 closed sockets it runs one full pass (``web/gc_policy.py``; at this size the
minimum of 1,000 closes decides, not the spacing that a pass freeing nothing doubles). What the
frozen generation holds after each full pass, and the relay's RSS, must not grow.
"""

from __future__ import annotations

import re
import time

import psutil

from tests.support.chat_client import open_socket
from tests.support.conversation import start_conversation

ROUNDS = 8
SOCKETS_PER_ROUND = 250
WAIT_S = 15.0
COLLECTOR_LINE = re.compile(r"collector: (freeze|collect) in \d+ ms(?:, (\d+) objects frozen)?")
FREED = re.compile(
    r"collector: collect in \d+ ms, \d+ objects frozen, (\d+) freed"
    r", the next after (\d+)x"
)
RSS_GROWTH_MAX = 12 * 2**20  # less than one round's sockets (~250 x 35 KB x 1.4)


def _collector_lines(relay) -> list[tuple[str, int]]:
    return [(m[1], int(m[2] or 0)) for m in COLLECTOR_LINE.finditer(relay.log_text())]


def _wait_for(relay, action: str, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while sum(a == action for a, _ in _collector_lines(relay)) < count:
        assert time.monotonic() < deadline, f"no {action} #{count}:\n{relay.log_tail()}"
        time.sleep(0.1)


def test_churning_sockets_are_frozen_then_collected_and_memory_stays_bounded(
    relay_factory,
) -> None:
    relay = relay_factory("--max-connections-per-address", "0")
    talk = start_conversation(relay)
    ws_url = relay.url.replace("http", "ws", 1) + "/ws"
    process = psutil.Process(relay.pid)
    rss_after_collect: list[int] = []
    frozen_after_collect: list[int] = []
    for round_no in range(1, ROUNDS + 1):
        freezes = sum(a == "freeze" for a, _ in _collector_lines(relay))
        sockets = [open_socket(ws_url) for _ in range(SOCKETS_PER_ROUND)]
        _wait_for(relay, "freeze", freezes + 1)  # 250 more live sockets: frozen
        for ws in sockets:
            ws.close()
        talk.agent.chat(f"round {round_no}", client_id=f"c{round_no}")
        assert talk.customer.recv_type("chat_message")["text"] == f"round {round_no}"
        if round_no % 4 == 0:  # 1,000 closed since the last full pass
            _wait_for(relay, "collect", round_no // 4)
            rss_after_collect.append(process.memory_info().rss)
            frozen_after_collect.append(
                [n for a, n in _collector_lines(relay) if a == "collect"][-1]
            )
    assert len(frozen_after_collect) == 2
    first, second = frozen_after_collect
    assert second <= first * 1.05, f"frozen objects grew from {first} to {second}"
    assert rss_after_collect[1] - rss_after_collect[0] <= RSS_GROWTH_MAX, rss_after_collect
    # Closed sockets leave nothing in cycles, so each full pass spaces the next one out.
    freed = [(int(m[1]), int(m[2])) for m in FREED.finditer(relay.log_text())]
    assert [spacing for _, spacing in freed] == [2, 4], freed
    assert all(objects < 4 * SOCKETS_PER_ROUND for objects, _ in freed), freed
