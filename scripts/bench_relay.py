#!/usr/bin/env python3
"""Load and throughput benchmark for one relay process on loopback.

Chat mode: N agent/customer pairs (one support session each, 2N websockets) each side sending one
`send_chat` per second; delivery latency is measured at the *other* side of the session (the
sender's own copy is its acknowledgement and is reported apart). Idle memory is the relay's RSS
once every socket has said hello and gone quiet, minus its RSS before the first socket, divided
by the number of sockets.

Binary mode: one presenter and one viewer on the screen channel of one session (docs/protocol.md,
"Screen channel"); the presenter sends 200 KB full-screen region frames (a valid 32-byte header,
random bytes for the image) with at most --binary-window frames unseen by the viewer, and the
viewer acknowledges each frame on arrival and counts the bytes. The relay's own window per
viewer is 512 KiB, so 2 frames of 200 KB is the default; frames it drops (latest wins) are
reported as not forwarded. It runs twice: against the relay as shipped (FastWebSocket) and
against a relay started with `--stock-websocket` (plain gevent-websocket), so the table shows
the speed-up.

Goals (2-core machine): 2,000 sessions at 1 message/s per side and 10,000 sessions at 0.1
message/s per side (``--sessions 10000 --rate 0.1``), each with p99 <= 50 ms; <= 40 KB per idle
websocket; >= 50 MB/s of binary frames forwarded.

    .venv/bin/python scripts/bench_relay.py                    # 2,000 sessions, 30 s, all modes
    .venv/bin/python scripts/bench_relay.py --quick            # smoke run: 50 sessions, 3 s
    .venv/bin/python scripts/bench_relay.py --mode chat --sessions 10000 --rate 0.1 \
        --client-processes 2 --duration 60          # one node at a sales floor's rate
    .venv/bin/python scripts/bench_relay.py --mode binary --relay-arg=--some-flag
    .venv/bin/python scripts/bench_relay.py --mode chat --store both   # TinyDB vs PostgreSQL

``--loop-probe`` logs the relay's event-loop slices and collector passes of 20 ms or more with
their CPU time and a stack (``relay_bench/loop_probe``; the work directory is kept, and
``loop_probe/summarize.py`` counts them by third of the chat).

``--store postgresql`` (or ``both``: TinyDB first, then PostgreSQL, in the same run) starts a
throwaway PostgreSQL server (tests/support/postgres.py) and runs the chat on a relay with
``--store postgresql://...``; the table adds the PostgreSQL server's own CPU per message and
the ratios of relay CPU per message and p99 to TinyDB's.

The table goes to stdout, progress to stderr. Exits 1 if the relay could not be driven at all
(setup failed); missed goals are shown in the table, not in the exit code, unless --strict.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psutil  # noqa: E402

from scripts.relay_bench.binary_mode import BINARY_FRAME_BYTES, binary_rows, run_binary  # noqa: E402
from scripts.relay_bench.chat_mode import run_chat  # noqa: E402
from scripts.relay_bench.errors import BenchError  # noqa: E402
from scripts.relay_bench.participants import raise_nofile_limit  # noqa: E402
from scripts.relay_bench.relay_process import relay_help, relay_running  # noqa: E402
from scripts.relay_bench.table import Row, render  # noqa: E402

logger = logging.getLogger("bench_relay")


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000, help="agent/customer pairs")
    parser.add_argument("--duration", type=float, default=30.0, help="chat seconds")
    parser.add_argument("--binary-seconds", type=float, default=10.0, help="per binary run")
    parser.add_argument("--binary-window", type=int, default=2, help="frames in flight")
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        help="chat messages per second per side (a sales floor: 0.1)",
    )
    parser.add_argument("--mode", choices=("chat", "binary", "all"), default="all")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="chat client processes (the relay and the clients share the machine's cores)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the stock gevent-websocket binary run"
    )
    parser.add_argument(
        "--relay-arg",
        action="append",
        default=[],
        help="extra argument for the relay (repeat for several)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 50 sessions, 3 s chat, 2 s per binary run"
    )
    parser.add_argument("--strict", action="store_true", help="exit 2 when a goal is missed")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record the relay with py-spy during each run (collapsed stacks in DIR)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument(
        "--loop-probe",
        action="store_true",
        help="log the relay's event-loop slices and collector passes of 20 ms or more, with "
        "their CPU time (relay_bench/loop_probe; implies --keep)",
    )
    parser.add_argument(
        "--store",
        choices=("tinydb", "postgresql", "both"),
        default="tinydb",
        help="the relay's store for the chat run (both: one run on each, compared)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.duration, args.binary_seconds = 50, 3.0, 2.0
    if not args.rate > 0:
        parser.error("--rate is a positive number of messages per second")
    return args


def run_modes(args: argparse.Namespace, work_dir: Path) -> list[Row]:
    """The chat and binary runs on a TinyDB relay (the default)."""
    rows: list[Row] = []
    with relay_running(work_dir, "relay", args.relay_arg) as relay:
        if args.mode in ("chat", "all"):
            rows += run_chat(
                relay, args.sessions, args.duration, args.client_processes, args.profile, args.rate
            )
        if args.mode in ("binary", "all"):
            fast = run_binary(relay, args.binary_seconds, args.binary_window, args.profile, "fast")
            rows += binary_rows("FastWebSocket", fast, goal=True)
    if args.mode in ("binary", "all") and not args.no_baseline:
        if "--stock-websocket" in relay_help():
            with relay_running(work_dir, "stock", [*args.relay_arg, "--stock-websocket"]) as r:
                stock = run_binary(
                    r, args.binary_seconds, args.binary_window, args.profile, "stock"
                )
            rows += binary_rows("stock gevent-websocket", stock, goal=False)
            ratio = f"{fast.mb_per_s / stock.mb_per_s:.1f}x" if stock.mb_per_s else "n/a"
            rows.append(Row("binary", "speed-up FastWebSocket / stock", ratio))
        else:
            rows.append(
                Row(
                    "binary",
                    "stock gevent-websocket",
                    "n/a",
                    "the relay has no --stock-websocket flag",
                )
            )
    rows.append(Row("machine", "load average (1, 5, 15 min) at the end", " / ".join(
        f"{load:.1f}" for load in os.getloadavg()
    )))  # fmt: skip
    return rows


def _postgres_cpu_s(server_pid: int) -> float:
    """CPU seconds of the PostgreSQL server and its backends so far."""
    main = psutil.Process(server_pid)
    total = 0.0
    for process in (main, *main.children(recursive=True)):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _value(rows: list[Row], metric: str) -> str:
    return next((row for row in rows if row.metric == metric), Row("", "", "nan")).value


def _cpu_per_message_ms(rows: list[Row]) -> float:
    cpu = next((row for row in rows if row.metric == "relay CPU (% of one core)"), None)
    return float(cpu.note.split()[0]) if cpu else float("nan")


def _sent(rows: list[Row]) -> int:
    sent = next((row for row in rows if row.metric == "messages/s sent"), None)
    return int(sent.note.split()[0]) if sent else 0


def run_stores(args: argparse.Namespace, work_dir: Path) -> list[Row]:
    """The chat run on PostgreSQL (after TinyDB's with ``--store both``), with ratios."""
    from tests.support.postgres import postgres_missing, running_postgres

    missing = postgres_missing()
    if missing:
        raise BenchError(missing)
    rows: list[Row] = []
    tinydb_rows: list[Row] = []
    if args.store == "both":
        with relay_running(work_dir, "tinydb", args.relay_arg) as relay:
            tinydb_rows = run_chat(
                relay, args.sessions, args.duration, args.client_processes, args.profile, args.rate
            )
        rows += [Row("chat/tinydb", r.metric, r.value, r.note, r.goal, r.ok) for r in tinydb_rows]
    with running_postgres() as server:
        database = server.create_database("bench")
        store_args = server.store_args(database)
        with relay_running(work_dir, "postgresql", args.relay_arg, store_args) as relay:
            pg_before = _postgres_cpu_s(server.process.pid)
            pg_rows = run_chat(
                relay, args.sessions, args.duration, args.client_processes, args.profile, args.rate
            )
            pg_cpu = _postgres_cpu_s(server.process.pid) - pg_before
    rows += [Row("chat/postgresql", r.metric, r.value, r.note, r.goal, r.ok) for r in pg_rows]
    sent = _sent(pg_rows)
    rows.append(
        Row(
            "chat/postgresql",
            "PostgreSQL server CPU per chat message (ms)",
            f"{1000 * pg_cpu / max(sent, 1):.3f}",
            "its backends, over the whole chat run (connecting included)",
        )
    )
    if tinydb_rows:
        ratio = _cpu_per_message_ms(pg_rows) / _cpu_per_message_ms(tinydb_rows)
        rows.append(
            Row(
                "compare",
                "relay CPU per message, PostgreSQL / TinyDB",
                f"{ratio:.2f}x",
                f"{_cpu_per_message_ms(pg_rows):.3f} / {_cpu_per_message_ms(tinydb_rows):.3f} ms",
                goal="<= 2x",
                ok=ratio <= 2.0,
            )
        )
        p99_pg = float(_value(pg_rows, "delivery p99 (ms)"))
        p99_tiny = float(_value(tinydb_rows, "delivery p99 (ms)"))
        rows.append(
            Row(
                "compare",
                "delivery p99, PostgreSQL / TinyDB",
                f"{p99_pg / p99_tiny:.2f}x",
                f"{p99_pg:.1f} / {p99_tiny:.1f} ms",
            )
        )
    rows.append(Row("compare", "load average (1, 5, 15 min) at the end", " / ".join(
        f"{load:.1f}" for load in os.getloadavg()
    )))  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    # The relay's sockets and files; each client process holds its share of the sockets.
    nofile = raise_nofile_limit(2 * args.sessions + 1000)
    if args.mode in ("chat", "all") and nofile < 2 * args.sessions + 100:
        logger.warning("open-file limit %d is too low for %d sockets", nofile, 2 * args.sessions)

    rows: list[Row] = []
    work_dir = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    if args.loop_probe:  # the relay inherits the environment (relay_process.Relay.start)
        args.keep = True
        probe = REPO_ROOT / "scripts" / "relay_bench" / "loop_probe"
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(probe), os.environ.get("PYTHONPATH", "")) if p
        )
        os.environ["RELAY_LOOP_PROBE"] = str(work_dir)
    try:
        if args.store == "tinydb":
            rows += run_modes(args, work_dir)
        else:
            rows += run_stores(args, work_dir)
    except BenchError as exc:
        logger.error("benchmark failed: %s", exc)
        logger.error("work directory kept: %s", work_dir)
        return 1
    if not args.keep:
        subprocess.run(["rm", "-rf", str(work_dir)], check=False)
    elif args.loop_probe:
        logger.info(
            "loop probe: scripts/relay_bench/loop_probe/summarize.py %s --duration %.0f",
            work_dir, args.duration,
        )  # fmt: skip
    else:
        logger.info("work directory kept: %s", work_dir)

    cpus = psutil.cpu_count()
    print(
        f"relay benchmark: {args.sessions} sessions asked, {args.duration:.0f} s chat, "
        f"{BINARY_FRAME_BYTES // 1000} KB binary frames x {args.binary_window} in flight; "
        f"{cpus} CPUs, Python {platform.python_version()}"
    )
    print(render(rows))
    missed = [r for r in rows if r.ok is False]
    return 2 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
