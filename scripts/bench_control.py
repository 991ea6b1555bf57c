#!/usr/bin/env python3
"""Measure control handover (P3): viewer input -> real relay -> real presenter -> X server.

Under a private Xvfb a relay and the presenter CLI run for real; a websocket client plays the
customer's viewer (it sends exactly what ui/viewer/remote_input.js sends) and a second one the
agent's chat socket (grant). Measured on the X server itself:

  move   time from sending ``mouse_input move`` to XQueryPointer showing the new position
  key    time from sending ``key_input down F5`` to XQueryKeymap showing F5 down (and up)
  flood  1,000 moves sent at once: how many the relay forwards, how many it refuses
         (``rate_limited``), and that the pointer still ends where the last forwarded one says

    scripts/bench_control.py [--samples 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from suite.agent.app.presentations import TOKEN_ENV  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.chat_client import ChatClient  # noqa: E402
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent  # noqa: E402
from tests.support.x11_paint import add_local_xauth_entry  # noqa: E402
from tests.support.xvfb import Xvfb  # noqa: E402

WIDTH, HEIGHT = 1280, 720
TIMEOUT_S = 5.0
PACE_S = 1 / 60  # below the relay's 120 events/s per viewer


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {"n": len(ordered), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "mean_ms": round(statistics.fmean(ordered), 2)}  # fmt: skip


def _wait(condition) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > TIMEOUT_S:
            raise TimeoutError("the X server never showed the input")
    return (time.perf_counter() - start) * 1000.0


def _next(client: ChatClient, kind: str) -> dict[str, Any]:
    """The next text message of ``kind`` (binary screen frames are skipped, kept ones too)."""
    deadline = time.monotonic() + TIMEOUT_S * 2
    while True:
        frame = client.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(frame, bytes):
            continue
        message = json.loads(frame)
        client.received.append(message)
        if message["type"] == kind:
            return message


def run(samples: int, extra: list[str]) -> dict[str, Any]:
    from Xlib import XK  # noqa: PLC0415
    from Xlib import display as xdisplay  # noqa: PLC0415

    work = Path(tempfile.mkdtemp(prefix="bench-control-"))
    data = work / "data"
    data.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    with Xvfb(WIDTH, HEIGHT) as xvfb:
        add_local_xauth_entry(xvfb)
        os.environ.update(xvfb.env())
        relay = RelayProcess(data, work, ["--health-details"])  # /health counters
        relay.start()
        presenter = None
        try:
            api = Api(relay.url)
            token = api.login(DEFAULT_AGENTS[0].username, DEFAULT_AGENTS[0].password)
            support = api.new_support(token)
            joined = api.join(code=support["code"], name="Bench")
            sid = support["session_id"]
            agent = ChatClient(relay.ws_url, "agent", sid, token)
            agent.connect()
            viewer = ChatClient(relay.ws_url, "customer", sid, joined["customer_token"])
            viewer.connect(channel="screen")
            # Like a browser (Chromium sets TCP_NODELAY on every socket): small messages go out
            # at once instead of waiting for the relay's delayed ACK.
            viewer.ws.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            env = {**xvfb.env(), TOKEN_ENV: token}
            presenter = subprocess.Popen(
                [sys.executable, "-m", "suite.agent.presenter", "--relay", relay.ws_url,
                 f"--session={sid}", "--log-level=WARNING", *extra],
                cwd=REPO_ROOT, env=env,
            )  # fmt: skip
            while _next(viewer, "screen_state")["state"] != "live":
                pass
            agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
            while not _next(viewer, "control_state")["mouse"]:
                pass
            x11 = xdisplay.Display(xvfb.display)
            root = x11.screen().root

            def at(x: int, y: int):
                return lambda: (p := root.query_pointer()).root_x == x and p.root_y == y

            # Warm up: the presenter has its control_state once a move shows.
            deadline = time.monotonic() + TIMEOUT_S
            while not at(5, 5)():
                assert time.monotonic() < deadline, "the presenter never injected anything"
                viewer.send({"type": "mouse_input", "action": "move", "x": 5, "y": 5})
                time.sleep(0.05)

            moves = []
            for i in range(samples):
                time.sleep(PACE_S)  # the viewer sends at most ~60 moves a second
                x, y = 100 + i % 900, 100 + (i * 7) % 500
                viewer.send({"type": "mouse_input", "action": "move", "x": x, "y": y})
                try:
                    moves.append(_wait(at(x, y)))
                except TimeoutError:
                    raise TimeoutError(f"move {i} to {x},{y} never showed") from None
            f5 = x11.keysym_to_keycode(XK.string_to_keysym("F5"))

            def f5_down() -> bool:
                return bool(x11.query_keymap()[f5 // 8] >> (f5 % 8) & 1)

            keys = []
            for _ in range(max(20, samples // 5)):
                time.sleep(PACE_S)
                viewer.send({"type": "key_input", "action": "down", "key": "F5", "code": "F5"})
                keys.append(_wait(f5_down))
                viewer.send({"type": "key_input", "action": "up", "key": "F5", "code": "F5"})
                _wait(lambda: not f5_down())
            time.sleep(2.5)  # let the token bucket refill
            viewer.received.clear()
            before = api.request("GET", "/health")[1]["screen"]
            started = time.perf_counter()
            for i in range(1000):
                viewer.send({"type": "mouse_input", "action": "move", "x": 10 + i % 1000,
                             "y": 300})  # fmt: skip
            sent_s = time.perf_counter() - started
            viewer.send({"type": "request_control"})  # a marker: answered after the flood
            while not _next(viewer, "control_state")["requested"]:
                pass
            errors = sum(1 for m in viewer.received if m.get("code") == "rate_limited")
            screen = api.request("GET", "/health")[1]["screen"]
            forwarded = screen["inputs_forwarded"] - before["inputs_forwarded"]
            refused = screen["inputs_refused"] - before["inputs_refused"]
            x11.close()
            return {
                "move": _percentiles(moves),
                "key": _percentiles(keys),
                "flood": {
                    "sent": 1000,
                    "send_s": round(sent_s, 3),
                    "forwarded": forwarded,
                    "refused": refused,
                    "error_replies": errors,
                },  # fmt: skip
            }
        finally:
            if presenter is not None:
                presenter.terminate()
                presenter.wait(timeout=10)
            relay.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--presenter-arg", action="append", default=[], help="passed on to the presenter CLI"
    )
    args = parser.parse_args()
    result = run(args.samples, args.presenter_arg)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
