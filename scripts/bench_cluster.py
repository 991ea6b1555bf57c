#!/usr/bin/env python3
"""What the Redis hub costs a relay node: round trips and latency of each hub operation, and
the delay a chat frame takes from one node to another through pub/sub.

It starts a throwaway redis-server (tests/support/redis_server.py) and three RedisHub
connections as three nodes would hold, then, for ``--sessions`` sessions:

- takes each session for node 1, and renews node 1's lease (a tick);
- claims one access code per session, and a burst of claims from three nodes at once;
- counts wrong codes (``hit``) as the join guard does;
- publishes one chat frame per session and side from node 1 to nodes 2 and 3 (each follows
  every session), timing publish → delivery on the other nodes (p50, p99, max);
- counts the Redis round trips each chat message costs (goal <= 2).

With ``--relays``, real relays instead (``scripts/relay_bench/cluster_mode.py``): chat on one
node on PostgreSQL, then on three nodes on one PostgreSQL database and Redis behind HAProxy,
delivery p50/p99 and relay CPU per message of each, then one node killed and the time until
each of its sessions chats again (both sides reconnecting at once), the failover's timeline and
where the CPU went meanwhile (``scripts/relay_bench/failover.py``). The table goes to stdout.

    .venv/bin/python scripts/bench_cluster.py                 # 1,000 sessions
    .venv/bin/python scripts/bench_cluster.py --sessions 100  # quick
    .venv/bin/python scripts/bench_cluster.py --relays --sessions 100 --seconds 20
    .venv/bin/python scripts/bench_cluster.py --relays --no-one-node --clients 0.1 lease
    .venv/bin/python scripts/bench_cluster.py --relays --no-one-node --sides sequential concurrent
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relay_server.hub.redis_hub import RedisHub  # noqa: E402
from tests.support.redis_server import redis_missing, run_redis  # noqa: E402


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median = statistics.median(ordered)
    return f"p50 {median * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--relays", action="store_true", help="chat and failover on real relays")
    parser.add_argument("--seconds", type=float, default=20.0, help="--relays: chat this long")
    parser.add_argument("--rate", type=float, default=1.0, help="--relays: messages/s per side")
    parser.add_argument(
        "--clients", nargs="+", default=["lease"], metavar="KIND",
        help="--relays: a three-node run for each: 'lease' (retry as the product: backoff, "
             "and wrong_node's lease hint) or a number (retry every that many seconds)",
    )  # fmt: skip
    parser.add_argument(
        "--sides", nargs="+", default=["concurrent"], choices=["concurrent", "sequential"],
        help="--relays: how a killed node's session's two sides reconnect, a three-node run "
             "for each: 'concurrent' (at once, as the product's two machines) or "
             "'sequential' (the customer's once the agent's is welcomed: the bench before)",
    )  # fmt: skip
    parser.add_argument("--no-one-node", action="store_true",
                        help="--relays: skip the one-node baseline")  # fmt: skip
    args = parser.parse_args()
    problem = redis_missing()
    if problem:
        print(f"bench_cluster: {problem}", file=sys.stderr)
        return 1
    if args.relays:
        return relays(args)
    n = args.sessions
    rows: list[tuple[str, str]] = []
    with run_redis() as server:
        nodes = [RedisHub(server.url(), f"node-{i}", server.password) for i in (1, 2, 3)]
        one = nodes[0]
        ids = [f"session-{i:05d}" for i in range(n)]

        started = time.perf_counter()
        for session_id in ids:
            one.take_session(session_id, 3.0)
        rows.append(
            (
                "take a session's lease",
                f"{(time.perf_counter() - started) / n * 1e6:.0f} µs each, 1 round trip",
            )
        )
        before = one.round_trips()
        started = time.perf_counter()
        one.heartbeat(3.0)
        took = time.perf_counter() - started
        rows.append(
            (
                f"renew the node's lease ({n} sessions; a tick)",
                f"{took * 1000:.2f} ms, {one.round_trips() - before} round trip",
            )
        )

        claimed: list[str] = []
        started = time.perf_counter()
        for i in range(n):
            if one.claim("code", f"{i:09d}", ids[i], 600):
                claimed.append(ids[i])
        rows.append(
            (
                "claim an access code",
                f"{(time.perf_counter() - started) / n * 1e6:.0f} µs each, 1 round trip",
            )
        )
        winners: list[tuple[int, str]] = []
        lock = threading.Lock()

        def burst(hub: RedisHub) -> None:
            for i in range(200):
                if hub.claim("icon", str(i), hub.node_id, 60):
                    with lock:
                        winners.append((i, hub.node_id))

        threads = [threading.Thread(target=burst, args=(hub,)) for hub in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        unique = len({i for i, _ in winners}) == len(winners) == 200
        rows.append(
            ("3 nodes claim the same 200 icons at once", f"{len(winners)} won, unique: {unique}")
        )

        started = time.perf_counter()
        for i in range(n):
            one.hit(f"wrong:10.0.{i // 256}.{i % 256}", 600, time.time())
        rows.append(
            (
                "count a wrong code (hit)",
                f"{(time.perf_counter() - started) / n * 1e6:.0f} µs each, 1 round trip",
            )
        )

        sent: dict[str, float] = {}
        delays: list[float] = []
        done = threading.Event()
        expected = 2 * n * 2  # each message reaches two other nodes

        def delivered(session_id: str, message_id: str, frame: str) -> None:
            delays.append(time.perf_counter() - sent[message_id])
            if len(delays) >= expected:
                done.set()

        for hub in nodes[1:]:
            hub.on_delivery(delivered)
            for session_id in ids:
                hub.follow(session_id)
        time.sleep(0.5)  # the subscriptions settle (SUBSCRIBE replies are not waited on)
        before = one.round_trips()
        for side in ("agent", "customer"):
            for session_id in ids:
                message_id = f"{session_id}:{side}"
                sent[message_id] = time.perf_counter()
                one.publish(session_id, message_id, '{"type":"chat_message","text":"hello"}')
                time.sleep(0.0005)  # ~2,000 messages/s: a steady rate, not one burst
        trips = (one.round_trips() - before) / (2 * n)
        done.wait(30)
        rows.append(("Redis round trips per chat message", f"{trips:.2f} (goal <= 2)"))
        rows.append(
            (
                f"chat frame node 1 -> nodes 2, 3 ({len(delays)} of {expected})",
                _ms(delays) if delays else "none",
            )
        )
        for hub in nodes:
            hub.close()
    print(f"| bench_cluster, {n} sessions | |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


def cpu_line(cpu: dict[str, float]) -> str:
    """The failover's CPU seconds (kill -> last resume) as one line, the budget last."""
    parts = [f"{name} {value:.2f}" for name, value in cpu.items() if name not in ("wall", "budget")]
    budget = f"budget {cpu['wall']:.2f} s x {os.cpu_count()} cores = {cpu['budget']:.2f}"
    return "cpu_s (kill -> last resume): " + ", ".join(parts) + "; " + budget


def relays(args: argparse.Namespace) -> int:
    import tempfile

    from scripts.relay_bench.cluster_mode import run_relays

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as work:
        clients = [None if kind == "lease" else float(kind) for kind in args.clients]
        results = run_relays(Path(work), args.sessions, args.seconds, args.rate, clients,
                             one=not args.no_one_node, sides=tuple(args.sides))  # fmt: skip
    keys = ["run", "sessions", "unconnected", "nodes", "sent", "delivered", "p50_ms", "p99_ms",
            "cpu_ms_per_message", "killed_sessions", "resume_p50_s", "resume_max_s"]  # fmt: skip
    print("| " + " | ".join(keys) + " |\n|" + " --- |" * len(keys))
    for result in results:
        cells = [result.get(key, "–") for key in keys]
        print("| " + " | ".join(f"{c:.2f}" if isinstance(c, float) else str(c) for c in cells))
    for result in results:
        if "timeline" in result:
            print(f"\n{result['run']}: after the kill (s): " + ", ".join(
                f"{key} {value}" for key, value in result["timeline"].items()))  # fmt: skip
        if result.get("cpu_s"):
            print(cpu_line(result["cpu_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
