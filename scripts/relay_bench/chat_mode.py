"""Chat mode: start the workers, measure the relay around their run, turn results into rows."""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from scripts.relay_bench.chat_worker import DELIVERY_GRACE_S, ChatResults, chat_worker
from scripts.relay_bench.errors import BenchError
from scripts.relay_bench.http_setup import create_pairs
from scripts.relay_bench.relay_process import Relay, machine_busy_seconds, profiled
from scripts.relay_bench.table import Row

logger = logging.getLogger("bench_relay")

IDLE_SETTLE_S = 2.0
GOAL_P99_MS = 50.0
GOAL_KB_PER_IDLE_WEBSOCKET = 40.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (nan if empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_chat(
    relay: Relay,
    sessions: int,
    duration_s: float,
    processes: int,
    profile_dir: Path | None = None,
    rate: float = 1.0,
) -> list[Row]:
    """Run chat mode on a started relay; return the table rows."""
    rss_start = relay.rss()
    pairs = create_pairs(relay, sessions)
    rss_before_ws = relay.rss()

    context = multiprocessing.get_context("spawn")
    workers = []
    for n in range(processes):
        parent_end, child_end = context.Pipe()
        share = pairs[n::processes]
        proc = context.Process(
            target=chat_worker, args=(child_end, relay.ws_url, share, n), daemon=True
        )
        proc.start()
        workers.append((proc, parent_end))
    try:
        started = time.monotonic()
        connected = failed = 0
        first_error = ""
        for _, pipe in workers:
            _, ok, bad, error = pipe.recv()
            connected, failed = connected + ok, failed + bad
            first_error = first_error or error
        logger.info(
            "%d websockets open (%d failed) in %.1f s",
            connected,
            failed,
            time.monotonic() - started,
        )
        if first_error:
            logger.warning("first connect failure: %s", first_error)
        if connected == 0:
            raise BenchError(f"no websocket could join: {first_error}\n{relay.log_tail()}")

        time.sleep(IDLE_SETTLE_S)  # let the relay finish the handshakes' work before measuring
        rss_idle = relay.rss()

        logger.info("chatting for %.0f s", duration_s)
        relay_cpu_start = relay.cpu_seconds()
        machine_busy_start = machine_busy_seconds()
        run_started = time.monotonic()
        # For the loop probe's summary (relay_bench/loop_probe): when the chat began.
        (relay.log_path.parent / "chat-start").write_text(f"{time.time():.3f}\n")
        with profiled(relay, profile_dir, "chat"):
            for _, pipe in workers:
                pipe.send(("go", duration_s, 1.0 / rate))
            results: list[ChatResults] = [pipe.recv()[1] for _, pipe in workers]
        run_elapsed = time.monotonic() - run_started
        relay_cpu = relay.cpu_seconds() - relay_cpu_start
        machine_busy_end = machine_busy_seconds()
        machine_busy = machine_busy_end[0] - machine_busy_start[0]
        softirq = machine_busy_end[1] - machine_busy_start[1]
        rss_after = relay.rss()

        for _, pipe in workers:
            pipe.send(("close",))
        for proc, pipe in workers:
            if pipe.poll(30):
                pipe.recv()
            proc.join(10)
    finally:
        for proc, _ in workers:
            if proc.is_alive():
                proc.kill()

    delivered = [ms for r in results for ms in r.delivered_ms]
    acked = [ms for r in results for ms in r.acked_ms]
    pings = [ms for r in results for ms in r.ping_ms]
    client_lag = [ms for r in results for ms in r.loop_lag_ms]
    send_late = [ms for r in results for ms in r.send_late_ms]
    thirds: list[list[float]] = [[], [], []]
    for r in results:
        for ms, sent_s in zip(r.delivered_ms, r.delivered_sent_s, strict=True):
            thirds[min(2, max(0, int(3 * sent_s / duration_s)))].append(ms)
    sent = sum(r.sent for r in results)
    undelivered = sum(r.undelivered for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r.errors.items():
            errors[code] = errors.get(code, 0) + n
    closed_early = sum(r.closed_early for r in results)
    client_cpu = sum(r.cpu_s for r in results)
    per_ws_kb = (rss_idle - rss_before_ws) / max(connected, 1) / 1024
    others_cores = max(0.0, machine_busy - softirq - relay_cpu - client_cpu) / run_elapsed
    p99 = percentile(delivered, 0.99)

    rows = [
        Row("chat", "sessions", f"{connected // 2}", f"of {sessions} asked"),
        Row("chat", "websockets open", f"{connected}", f"{failed} failed" if failed else ""),
        Row("chat", "messages/s sent", f"{sent / duration_s:.0f}", f"{sent} in {duration_s:.0f} s"),
        Row(
            "chat",
            "deliveries/s (other side)",
            f"{len(delivered) / duration_s:.0f}",
            f"{undelivered} not delivered {DELIVERY_GRACE_S:.0f} s after the end",
        ),
        Row("chat", "delivery p50 (ms)", f"{percentile(delivered, 0.50):.1f}"),
        Row(
            "chat",
            "delivery p99 (ms)",
            f"{p99:.1f}",
            goal=f"<= {GOAL_P99_MS:.0f}",
            ok=p99 <= GOAL_P99_MS and undelivered == 0,
        ),
        Row("chat", "delivery max (ms)", f"{max(delivered, default=float('nan')):.1f}"),
        Row(
            "chat",
            "delivery p99 by third of the run (ms)",
            " / ".join(f"{percentile(t, 0.99):.0f}" for t in thirds),
            "growth here means per-message cost grows with stored history",
        ),
        Row(
            "chat",
            "relay ping RTT p50 / p99 / max (ms)",
            " / ".join(f"{percentile(pings, q):.1f}" for q in (0.5, 0.99, 1.0)),
            "a pong skips the chat path: high = event loop blocked",
        ),
        Row(
            "chat",
            "bench client loop lag p99 / max (ms)",
            f"{percentile(client_lag, 0.99):.1f} / {max(client_lag, default=float('nan')):.1f}",
            "high = the bench, not the relay, is late",
        ),
        Row(
            "chat",
            "bench send lateness p99 / max (ms)",
            f"{percentile(send_late, 0.99):.1f} / {max(send_late, default=float('nan')):.1f}",
            "each send against its schedule: high = the bench sent in bursts",
        ),
        Row("chat", "sender ack p99 (ms)", f"{percentile(acked, 0.99):.1f}", "own copy back"),
        Row(
            "chat",
            "relay RSS start / idle / end (MB)",
            f"{rss_start / 2**20:.0f} / {rss_idle / 2**20:.0f} / {rss_after / 2**20:.0f}",
        ),
        Row(
            "chat",
            "relay RSS per idle websocket (KB)",
            f"{per_ws_kb:.1f}",
            f"(idle - before sockets) / {connected}",
            goal=f"<= {GOAL_KB_PER_IDLE_WEBSOCKET:.0f}",
            ok=per_ws_kb <= GOAL_KB_PER_IDLE_WEBSOCKET,
        ),
        Row(
            "chat",
            "relay CPU (% of one core)",
            f"{100 * relay_cpu / run_elapsed:.0f}",
            f"{1000 * relay_cpu / max(sent, 1):.3f} ms CPU per chat message",
        ),
        Row(
            "chat",
            "bench client CPU (% of one core)",
            f"{100 * client_cpu / run_elapsed:.0f}",
            f"{processes} process(es)",
        ),
        Row(
            "chat",
            "kernel softirq CPU (cores)",
            f"{softirq / run_elapsed:.2f}",
            "loopback TCP for relay and clients",
        ),
        Row(
            "chat",
            "other processes' CPU (cores)",
            f"{others_cores:.2f}",
            f"of {psutil.cpu_count()} (py-spy counts here); high = the relay was not alone",
        ),
    ]
    if errors:
        rows.append(
            Row(
                "chat", "relay error replies", json.dumps(errors), results[0].first_relay_error[:80]
            )
        )
    if closed_early:
        rows.append(Row("chat", "sockets closed during the run", f"{closed_early}"))
    return rows
