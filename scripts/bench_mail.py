#!/usr/bin/env python3
"""Mail benchmark on loopback: 1,000 invitations through the outbox to a real SMTP server, and
the relay's chat latency while it sends compared with idle.

Phase 1 (throughput): one agent queues 1,000 invitations (20 waiting sessions, 50 each: each
recipient gets a personal link of the session, which holds at most 50 open ones) and the
clock runs until the SMTP server (aiosmtpd, tests/support/smtp_server.py) has all 1,000; each
is counted by its Message-ID, so a duplicate or a loss shows; the relay's CPU per mail is
given for all its threads, for its main thread alone (the event loop the chat shares) and for
its children (the mail worker, relay_server/mail/worker.py). The server runs in a niced
process of its own (scripts/relay_bench/smtp_process.py): it stands for a mail server elsewhere.
The relay runs alone on CPU 0; the clients, the SMTP server and the relay's own mail worker (a
process beside the loop, as on any multi-core host) on the other CPUs (``--no-pin``
to leave them free): on 2 cores they would otherwise share the relay's core. The relay's
run-queue wait per round is printed beside the latencies, so a gap that the scheduler makes shows
as such (on a quiet machine it did not: docs/performance.md, *Mail*).
Phase 2 (latency): bench_relay's chat mode (scripts/relay_bench: N agent/customer pairs, each
side sending one message a second, delivery time at the other side) runs in rounds on the same
relay: idle, then while a thread keeps the outbox busy (50 invitations, wait until the server
has them, again) for the whole run; the medians over the rounds are compared. Around each run
the relay's group-commit counters (``/health`` ``store``, under ``--health-details``) give the
round's commits per second, sync and fsync p50/p99, journal bytes per commit, the chat's wait
for its commit and the mail's own waits (scripts/relay_bench/store_stats.py). Beside the
delivery p99 the rounds give its parts: the relay's ping p99 (a pong skips the store and the
fan-out: the loop's and CPU 0's share), the sender's own copy back, and the chat clients' own
loop lag (the bench's share). The bench's inviting thread (it stands for the agent's machine)
runs at nice 10 and ``SCHED_IDLE`` beside the clients (``--inviter-normal-priority``: at
normal priority, as before).

``--before REV`` also runs the relay of git revision REV (``git archive``d beside, this
checkout's virtualenv), alternating with this tree's in every round: before and after under
the same load, in one run.

Goals: 1,000 invitations at the server within 60 s; chat delivery p99 while sending within
±10 % of idle.

    .venv/bin/python scripts/bench_mail.py          # 1,000 mails; 200 pairs, 5 x (10 s + 10 s)
    .venv/bin/python scripts/bench_mail.py --before main   # the same, main's relay beside
    .venv/bin/python scripts/bench_mail.py --quick  # 200 mails; 50 pairs, 5 s + 5 s

The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scripts.relay_bench import store_stats  # noqa: E402
from scripts.relay_bench.chat_mode import run_chat  # noqa: E402
from scripts.relay_bench.http_setup import Api  # noqa: E402
from scripts.relay_bench.relay_process import (  # noqa: E402
    AGENT_PASSWORD,
    AGENT_USERNAME,
    Relay,
    relay_running,
)
from scripts.relay_bench.smtp_process import SmtpProcess, lower_this_thread  # noqa: E402
from scripts.relay_bench.store_stats import CommitRound  # noqa: E402
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


def text(rows: list[Row], name: str) -> str:
    for row in rows:
        if row.metric == name:
            return str(row.value)
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


def loop_cpu_seconds(relay: Relay) -> float:
    """CPU seconds of the relay's main thread so far: its event loop, where the chat runs (not
    the thread pool's syncs)."""
    assert relay.ps is not None
    for thread in relay.ps.threads():
        if thread.id == relay.ps.pid:
            return float(thread.user_time + thread.system_time)
    return 0.0


def children_cpu_seconds(relay: Relay) -> float:
    """CPU seconds of the relay's children so far (its mail worker)."""
    assert relay.ps is not None
    total = 0.0
    for child in relay.ps.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = child.cpu_times()
            total += times.user + times.system
    return total


def pin(relay_pids: Sequence[int]) -> str:
    """The relays alone on CPU 0 (one of them works at a time); this process, its chat clients
    and the SMTP server (started before, niced and idle-class) on the others. On a 2-core
    machine the clients and the mail server stand for other machines, which would not take CPU
    from the relay's core."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned: one CPU"
    for pid in relay_pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), {cpus[0]})
    os.sched_setaffinity(0, set(cpus[1:]))
    return f"relay on CPU {cpus[0]}, clients, SMTP server and mail workers on {cpus[1:]}"


def pin_children(relay_pids: Sequence[int]) -> None:
    """The relays' child processes (the mail worker, started at the first mail, inherits the
    relay's CPU) off the relay's CPU: a separate process that any host with two cores or more
    runs beside the relay's loop, not on it. Without this the bench would measure the worker
    and the loop taking turns on one core, which no multi-core host does."""
    cpus = sorted(os.sched_getaffinity(0))  # the other CPUs, once pin() ran
    for pid in relay_pids:
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    for thread in child.threads():
                        os.sched_setaffinity(thread.id, set(cpus))


def export_revision(revision: str, into: Path) -> Path:
    """The source tree of ``revision`` (``git archive``) in ``into``; the relay runs from it
    with this checkout's virtualenv."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", revision],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _runs(values: list[float]) -> str:
    return "runs " + ", ".join(f"{value:.0f}" for value in values)


def _runs1(values: list[float]) -> str:
    return "runs " + ", ".join(f"{value:.1f}" for value in values)


def _pair(values: dict[str, list[float]]) -> str:
    """Medians over the rounds, idle / sending."""
    return f"{statistics.median(values['idle']):.1f} / {statistics.median(values['sending']):.1f}"


def _by_kind() -> dict:
    return {"idle": [], "sending": []}


@dataclass
class Variant:
    """One relay under test (this tree, or ``--before``'s revision) and what it measured."""

    name: str
    relay: Relay
    inviter: Inviter | None = None
    p99: dict[str, list[float]] = field(default_factory=_by_kind)
    p50: dict[str, list[float]] = field(default_factory=_by_kind)
    ping_p99: dict[str, list[float]] = field(default_factory=_by_kind)
    client_lag_p99: dict[str, list[float]] = field(default_factory=_by_kind)
    ack_p99: dict[str, list[float]] = field(default_factory=_by_kind)
    cpu_wait_ms: dict[str, list[float]] = field(default_factory=_by_kind)
    commits: dict[str, list[CommitRound]] = field(default_factory=_by_kind)
    sent_while: int = 0
    # The inviting thread at nice 10 and SCHED_IDLE (False: --inviter-normal-priority).
    lower_inviter: bool = True


def phase_1(variant: Variant, smtp: SmtpProcess, mails: int) -> list[Row]:
    """1,000 invitations queued and counted at the server."""
    relay = variant.relay
    assert variant.inviter is not None
    smtp.clear()
    logger.info("phase 1 (%s): %d invitations", variant.name, mails)
    started = time.monotonic()
    cpu_start, children_start = relay.cpu_seconds(), children_cpu_seconds(relay)
    loop_start = loop_cpu_seconds(relay)
    message_ids = variant.inviter.invite(mails)
    queued_s = time.monotonic() - started
    smtp.wait_for(mails, timeout_s=300)
    elapsed = time.monotonic() - started
    cpu_ms = (relay.cpu_seconds() - cpu_start) * 1000 / mails
    children_ms = (children_cpu_seconds(relay) - children_start) * 1000 / mails
    loop_ms = (loop_cpu_seconds(relay) - loop_start) * 1000 / mails
    counts = smtp.message_id_counts()
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    missing = len(set(message_ids) - set(counts))
    name = variant.name
    return [
        Row(name, "invitations", str(mails), f"queued in {queued_s:.1f} s"),
        Row(name, "all at the server (s)", f"{elapsed:.1f}", f"{mails / elapsed:.0f}/s",
            f"<= {GOAL_SECONDS:.0f}", elapsed <= GOAL_SECONDS),
        Row(name, "relay CPU per mail (ms)", f"{cpu_ms:.2f}",
            "queueing and sending; what other processes load the machine with aside"),
        Row(name, "relay loop CPU per mail (ms)", f"{loop_ms:.2f}",
            "the relay's main thread alone: the event loop the chat shares"),
        Row(name, "mail worker CPU per mail (ms)", f"{children_ms:.2f}",
            "the relay's child processes: building and SMTP, off the relay's loop"),
        Row(name, "duplicates / missing", f"{duplicates} / {missing}", "by Message-ID",
            "0 / 0", duplicates == 0 and missing == 0),
    ]  # fmt: skip


def chat_round(
    variant: Variant, smtp: SmtpProcess, kind: str, sessions: int, duration_s: float
) -> None:
    """One chat run on ``variant``'s relay, idle or while its outbox keeps sending."""
    relay = variant.relay
    assert relay.process is not None and variant.inviter is not None
    health = Api(relay.url)
    stop = threading.Event()
    counted = [0]
    sender = None
    if kind == "sending":

        def keep_sending() -> None:
            assert variant.inviter is not None
            if variant.lower_inviter:  # the agent's machine, not the clients' (smtp_process.py)
                lower_this_thread()
            cpu_from = time.thread_time()
            while not stop.is_set():
                before = len(smtp.received)
                variant.inviter.invite(BATCH)
                smtp.wait_for(before + BATCH, timeout_s=120)
                counted[0] += BATCH
            logger.info("the inviting thread took %.0f ms of CPU for %d invitations",
                        (time.thread_time() - cpu_from) * 1000, counted[0])  # fmt: skip

        sender = threading.Thread(target=keep_sending, daemon=True)
        sender.start()
    logger.info("phase 2 (%s): chat %s", variant.name, kind)
    waited = run_queue_wait_s(relay.process.pid)
    stats_before, started = store_stats.snapshot(health), time.monotonic()
    rows = run_chat(relay, sessions, duration_s, 1)
    stats_after, elapsed = store_stats.snapshot(health), time.monotonic() - started
    variant.cpu_wait_ms[kind].append((run_queue_wait_s(relay.process.pid) - waited) * 1000)
    if sender is not None:
        stop.set()
        sender.join(180)
        variant.sent_while += counted[0]
    variant.p99[kind].append(metric(rows, "delivery p99 (ms)"))
    variant.p50[kind].append(metric(rows, "delivery p50 (ms)"))
    variant.ping_p99[kind].append(
        float(text(rows, "relay ping RTT p50 / p99 / max (ms)").split(" / ")[1])
    )
    variant.client_lag_p99[kind].append(
        float(text(rows, "bench client loop lag p99 / max (ms)").split(" / ")[0])
    )
    variant.ack_p99[kind].append(metric(rows, "sender ack p99 (ms)"))
    if stats_before is not None and stats_after is not None:
        # The counters span the whole run_chat (session set-up included): the commits of the
        # chat's 10 s and of the set-up around it.
        variant.commits[kind].append(CommitRound.of(stats_before, stats_after, elapsed))


def chat_rows(variant: Variant, rounds: int, duration_s: float, sessions: int) -> list[Row]:
    name = variant.name
    idle, busy = statistics.median(variant.p99["idle"]), statistics.median(variant.p99["sending"])
    change = (busy - idle) / idle if idle else float("nan")
    rows = [
        Row(name, "chat sessions", str(sessions),
            f"{rounds} rounds of idle, sending; {duration_s:.0f} s each"),
        Row(name, "chat p99 idle (ms), median", f"{idle:.1f}", _runs1(variant.p99["idle"])),
        Row(name, "chat p99 sending (ms), median", f"{busy:.1f}",
            f"{change:+.0%}; {_runs1(variant.p99['sending'])}; "
            f"{variant.sent_while} mails meanwhile",
            f"±{GOAL_P99_RATIO:.0%}", abs(change) <= GOAL_P99_RATIO),
        Row(name, "chat p50 idle / sending (ms), median",
            f"{statistics.median(variant.p50['idle']):.1f} / "
            f"{statistics.median(variant.p50['sending']):.1f}"),
        Row(name, "relay ping p99 (ms), idle / sending", _pair(variant.ping_p99),
            "a ping's pong skips the store and the fan-out: the loop's (and CPU 0's) "
            "share of the chat's p99"),
        Row(name, "sender's own copy back p99 (ms), idle / sending", _pair(variant.ack_p99)),
        Row(name, "bench client loop lag p99 (ms), idle / sending",
            _pair(variant.client_lag_p99),
            "the chat clients' own lateness (they share CPU 1 with the SMTP server and the "
            "mail worker): the bench's share, not the relay's"),
        Row(name, "relay waited for a CPU (ms), idle / sending",
            f"{statistics.median(variant.cpu_wait_ms['idle']):.0f} / "
            f"{statistics.median(variant.cpu_wait_ms['sending']):.0f}",
            f"a round's run-queue wait of the relay's threads; "
            f"idle {_runs(variant.cpu_wait_ms['idle'])}; "
            f"sending {_runs(variant.cpu_wait_ms['sending'])}"),
    ]  # fmt: skip
    for kind in ("idle", "sending"):
        found = variant.commits[kind]
        if not found:
            continue

        def med(values: list[float]) -> float:
            return statistics.median(values)

        def pair(attr: str, found: list[CommitRound] = found) -> str:
            return (f"{med([getattr(c, attr)[0] for c in found]):.2f} / "
                    f"{med([getattr(c, attr)[1] for c in found]):.2f}")  # fmt: skip

        rows += [
            Row(name, f"commits/s, {kind}", f"{med([c.commits_per_s for c in found]):.0f}",
                f"{med([c.changes_per_commit for c in found]):.1f} changes and "
                f"{med([c.bytes_per_commit for c in found]):.0f} journal bytes per commit; "
                f"{sum(c.in_thread for c in found)} synced in a thread"),
            Row(name, f"sync p50 / p99 (ms), {kind}", pair("sync_ms"),
                f"fsync alone {pair('fsync_ms')}; committer's start after a wake-up "
                f"{pair('start_delay_ms')}"),
            Row(name, f"chat wait for its commit p50 / p99 (ms), {kind}",
                pair("wait_other_ms"), "append to the end of the commit that carries it"),
        ]  # fmt: skip
        if kind == "sending":
            rows.append(
                Row(name, "mail's own waits p50 / p99 (ms), sending", pair("wait_mail_ms"),
                    f"{med([c.mail_waits for c in found]):.0f} waits a round, "
                    f"{med([c.mail_asks for c in found]):.0f} of them asked for a commit")
            )  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=200, help="chat pairs in phase 2")
    parser.add_argument("--duration", type=float, default=10.0, help="chat seconds per run")
    parser.add_argument("--rounds", type=int, default=5, help="idle/sending rounds")
    parser.add_argument("--quick", action="store_true", help="200 mails, 50 pairs, 1 round of 5 s")
    parser.add_argument(
        "--before", metavar="REVISION",
        help="also run the relay of this git revision (exported beside), alternating with "
        "this tree's in every round: before and after under the same load",
    )  # fmt: skip
    parser.add_argument(
        "--no-pin", action="store_true", help="leave the relay and the clients on any CPU"
    )
    parser.add_argument(
        "--inviter-normal-priority", action="store_true",
        help="the bench's inviting thread at normal priority beside the chat clients (as "
        "before), instead of nice 10 and SCHED_IDLE",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.mails, args.sessions, args.duration, args.rounds = 200, 50, 5.0, 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command

    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-mail-")))
        smtp = stack.enter_context(SmtpProcess())
        relay_args = [*smtp.relay_args(), "--health-details"]
        roots = [("after", REPO_ROOT)]
        if args.before:
            roots.insert(0, (f"before ({args.before})",
                             export_revision(args.before, work / "before-tree")))  # fmt: skip
        variants = [
            Variant(name, stack.enter_context(
                relay_running(work, name.split()[0], relay_args, root=root)))
            for name, root in roots
        ]  # fmt: skip
        pids = [v.relay.process.pid for v in variants if v.relay.process is not None]
        for variant in variants:
            variant.lower_inviter = not args.inviter_normal_priority
        pinned = "not pinned (--no-pin)" if args.no_pin else pin(pids)
        logger.info("%s", pinned)
        for variant in variants:
            variant.inviter = Inviter(variant.relay.url)
            rows += phase_1(variant, smtp, args.mails)
        if not args.no_pin:
            pin_children(pids)  # their mail workers exist now
        # Idle and sending alternate (A B A B ...), relay by relay within each round, and the
        # medians are compared: on a shared machine the others' load drifts more than the
        # mail adds.
        for round_number in range(args.rounds):
            logger.info("round %d of %d", round_number + 1, args.rounds)
            for variant in variants:
                smtp.clear()
                for kind in ("idle", "sending"):
                    chat_round(variant, smtp, kind, args.sessions, args.duration)
        if args.rounds:
            for variant in variants:
                rows += chat_rows(variant, args.rounds, args.duration, args.sessions)
        load = os.getloadavg()
        note = f"{os.cpu_count()} cores; others' processes included; {pinned}"
        rows.append(
            Row("machine", "load average (1, 5 min)", f"{load[0]:.1f}, {load[1]:.1f}", note)
        )
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
