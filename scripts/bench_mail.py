#!/usr/bin/env python3
"""Mail benchmark on loopback: 1,000 invitations through the outbox to a real SMTP server, and
the relay's chat latency while it sends compared with idle.

Phase 1 (throughput): one agent queues 1,000 invitations (20 waiting sessions, 50 each: each
recipient gets a personal link of the session, which holds at most 50 open ones) and the
clock runs until the SMTP server (aiosmtpd, tests/support/smtp_server.py) has all 1,000; each
is counted by its Message-ID, so a duplicate or a loss shows. The server runs in a niced
process of its own (scripts/relay_bench/smtp_process.py): it stands for a mail server elsewhere.
The relay runs alone on CPU 0, the clients and the SMTP server on the other CPUs (``--no-pin``
to leave them free): on 2 cores they would otherwise share the relay's core. The relay's
run-queue wait per round is printed beside the latencies, so a gap that the scheduler makes shows
as such (on a quiet machine it did not: docs/performance.md, *Mail*).
Phase 2 (latency): bench_relay's chat mode (scripts/relay_bench: N agent/customer pairs, each
side sending one message a second, delivery time at the other side) runs in rounds on the same
relay: idle, then while a thread keeps the outbox busy (200 invitations, wait until the server
has them, again) for the whole run; the medians over the rounds are compared.

Goals: 1,000 invitations at the server within 60 s; chat delivery p99 while sending within
±10 % of idle.

    .venv/bin/python scripts/bench_mail.py          # 1,000 mails; 200 pairs, 3 x (10 s + 10 s)
    .venv/bin/python scripts/bench_mail.py --quick  # 200 mails; 50 pairs, 5 s + 5 s

The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scripts.relay_bench.chat_mode import run_chat  # noqa: E402
from scripts.relay_bench.http_setup import Api  # noqa: E402
from scripts.relay_bench.relay_process import (  # noqa: E402
    AGENT_PASSWORD,
    AGENT_USERNAME,
    relay_running,
)
from scripts.relay_bench.smtp_process import SmtpProcess  # noqa: E402
from scripts.relay_bench.table import Row, render  # noqa: E402

logger = logging.getLogger("bench_mail")

BATCH = 50  # a session's open personal links: the recipient cap of one request
GOAL_SECONDS = 60.0
GOAL_P99_RATIO = 0.10


class Inviter:
    """The agent's side: invitations in batches of BATCH, a fresh waiting session for each."""

    def __init__(self, url: str) -> None:
        self.api = Api(url)
        self.token = self.api.call(
            "POST", "/api/login", {"username": AGENT_USERNAME, "password": AGENT_PASSWORD}
        )["token"]
        self.sent = 0

    def invite(self, count: int) -> list[str]:
        """Queue ``count`` invitations; returns their Message-IDs."""
        ids: list[str] = []
        while count > 0:
            batch = min(BATCH, count)
            recipients = [
                {"address": f"guest{self.sent + i}@example.com", "lang": "ko" if i % 2 else "en"}
                for i in range(batch)
            ]
            session_id = self.api.call("POST", "/api/supports", token=self.token)["support"][
                "session_id"
            ]
            answer = self.api.call(
                "POST", f"/api/supports/{session_id}/invitation_mails",
                {"recipients": recipients}, token=self.token,
            )  # fmt: skip
            ids += [mail["message_id"] for mail in answer["mails"]]
            self.sent += batch
            count -= batch
        return ids


def metric(rows: list[Row], name: str) -> float:
    for row in rows:
        if row.metric == name:
            return float(row.value)
    raise RuntimeError(f"chat mode gave no {name!r}")


def run_queue_wait_s(pid: int) -> float:
    """Seconds the process's threads have waited for a CPU so far (/proc/PID/task/*/schedstat:
    the second field is the time spent runnable on a run queue, in ns)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            pass  # a thread that ended meanwhile
    return total / 1e9


def pin(relay_pid: int) -> str:
    """The relay alone on CPU 0; this process, its chat clients and the SMTP server (started
    before, niced and idle-class) on the others. On a 2-core machine the clients and the mail
    server stand for other machines, which would not take CPU from the relay's core."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned: one CPU"
    for task in Path(f"/proc/{relay_pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {cpus[0]})
    os.sched_setaffinity(0, set(cpus[1:]))
    return f"relay on CPU {cpus[0]}, clients and SMTP server on {cpus[1:]}"


def _runs(values: list[float]) -> str:
    return "runs " + ", ".join(f"{value:.0f}" for value in values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=200, help="chat pairs in phase 2")
    parser.add_argument("--duration", type=float, default=10.0, help="chat seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="idle/sending rounds")
    parser.add_argument("--quick", action="store_true", help="200 mails, 50 pairs, 1 round of 5 s")
    parser.add_argument(
        "--no-pin", action="store_true", help="leave the relay and the clients on any CPU"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.mails, args.sessions, args.duration, args.rounds = 200, 50, 5.0, 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command

    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-mail-") as work,
        SmtpProcess() as smtp,
        relay_running(Path(work), "mail", smtp.relay_args()) as relay,
    ):
        assert relay.process is not None
        pinned = "not pinned (--no-pin)" if args.no_pin else pin(relay.process.pid)
        logger.info("%s", pinned)
        inviter = Inviter(relay.url)
        logger.info("phase 1: %d invitations", args.mails)
        started = time.monotonic()
        cpu_start = relay.cpu_seconds()
        message_ids = inviter.invite(args.mails)
        queued_s = time.monotonic() - started
        smtp.wait_for(args.mails, timeout_s=300)
        elapsed = time.monotonic() - started
        cpu_ms = (relay.cpu_seconds() - cpu_start) * 1000 / args.mails
        counts = smtp.message_id_counts()
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        missing = len(set(message_ids) - set(counts))
        rows += [
            Row("mail", "invitations", str(args.mails), f"queued in {queued_s:.1f} s"),
            Row(
                "mail",
                "all at the server (s)",
                f"{elapsed:.1f}",
                f"{args.mails / elapsed:.0f}/s",
                f"<= {GOAL_SECONDS:.0f}",
                elapsed <= GOAL_SECONDS,
            ),  # fmt: skip
            Row(
                "mail",
                "relay CPU per mail (ms)",
                f"{cpu_ms:.2f}",
                "queueing and sending; what other processes load the machine with aside",
            ),
            Row(
                "mail",
                "duplicates / missing",
                f"{duplicates} / {missing}",
                "by Message-ID",
                "0 / 0",
                duplicates == 0 and missing == 0,
            ),  # fmt: skip
        ]

        # Idle and sending alternate (A B A B ...), and the medians are compared: on a shared
        # machine the load of other processes drifts more than the mail adds.
        smtp.clear()
        idle_p99: list[float] = []
        busy_p99: list[float] = []
        idle_p50: list[float] = []
        busy_p50: list[float] = []
        idle_wait: list[float] = []
        busy_wait: list[float] = []
        sent_while = 0
        for round_number in range(args.rounds):  # 0: mail only
            logger.info("phase 2, round %d: chat idle", round_number + 1)
            waited = run_queue_wait_s(relay.process.pid)
            rows_idle = run_chat(relay, args.sessions, args.duration, 1)
            idle_wait.append((run_queue_wait_s(relay.process.pid) - waited) * 1000)
            idle_p99.append(metric(rows_idle, "delivery p99 (ms)"))
            idle_p50.append(metric(rows_idle, "delivery p50 (ms)"))
            stop = threading.Event()
            counted = [0]

            def keep_sending(stop: threading.Event = stop, counted: list[int] = counted) -> None:
                while not stop.is_set():
                    before = len(smtp.received)
                    inviter.invite(BATCH)
                    smtp.wait_for(before + BATCH, timeout_s=120)
                    counted[0] += BATCH

            logger.info("phase 2, round %d: chat while sending", round_number + 1)
            sender = threading.Thread(target=keep_sending, daemon=True)
            sender.start()
            waited = run_queue_wait_s(relay.process.pid)
            rows_busy = run_chat(relay, args.sessions, args.duration, 1)
            busy_wait.append((run_queue_wait_s(relay.process.pid) - waited) * 1000)
            stop.set()
            sender.join(180)
            sent_while += counted[0]
            busy_p99.append(metric(rows_busy, "delivery p99 (ms)"))
            busy_p50.append(metric(rows_busy, "delivery p50 (ms)"))
        if not args.rounds:
            print(render(rows))
            return 0
        idle, busy = statistics.median(idle_p99), statistics.median(busy_p99)
        change = (busy - idle) / idle if idle else float("nan")
        rows += [
            Row("chat", "sessions", str(args.sessions),
                f"{args.rounds} rounds of idle, sending; {args.duration:.0f} s each"),
            Row("chat", "p99 idle (ms), median", f"{idle:.1f}", _runs(idle_p99)),
            Row("chat", "p99 sending (ms), median", f"{busy:.1f}",
                f"{change:+.0%}; {_runs(busy_p99)}; {sent_while} mails meanwhile",
                f"±{GOAL_P99_RATIO:.0%}", abs(change) <= GOAL_P99_RATIO),
            Row("chat", "p50 idle (ms), median", f"{statistics.median(idle_p50):.1f}",
                _runs(idle_p50)),
            Row("chat", "p50 sending (ms), median", f"{statistics.median(busy_p50):.1f}",
                _runs(busy_p50)),
            Row("relay", "waited for a CPU (ms), idle", f"{statistics.median(idle_wait):.0f}",
                f"a round's run-queue wait of the relay's threads; {_runs(idle_wait)}"),
            Row("relay", "waited for a CPU (ms), sending", f"{statistics.median(busy_wait):.0f}",
                f"{_runs(busy_wait)}; {pinned}"),
        ]  # fmt: skip
        load = os.getloadavg()
        rows.append(Row("machine", "load average (1, 5 min)", f"{load[0]:.1f}, {load[1]:.1f}",
                        f"{os.cpu_count()} cores; others' processes included"))  # fmt: skip
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
