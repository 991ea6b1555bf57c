#!/usr/bin/env python3
"""Plays an attacker guessing access codes from many addresses.

For each case a real relay (`python -m relay_server`) starts on loopback, one agent opens
`--sessions` waiting supports (live codes), and a bystander pair chats in one more session.
Then `--workers` threads guess 9-digit codes for `--seconds`, each address (127.x.y.z, bound
as the client's source address) used for 3 guesses on one keep-alive connection, the most an
address gets without waiting. Every `--canary-every`-th request sends a real live code instead,
a stand-in for a lucky guess: its answer shows what a hit would get (200 joined at once, or
202 knocking: the agent must click Admit).

Measured per case: checked guesses per second (404 answers), throttled answers (429), canary
answers, knocks, joins without admission, relay CPU per request, journal growth, bystander chat
delivery p50/p99 before and during the attack, and one legit customer who mistypes twice then
types the right code during the attack (its agent admits as soon as the knock shows).

P(an attacker joins any of N sessions within 24 h) is computed from the measured rate:
  - without admission (budget 0, the baseline): 1 - (1 - N/10^d)^(rate * 86,400);
  - with the budget B per window W (B at 100 live codes, B*100/N above that): at most
    B * 86,400/W guesses a day are answered while the relay is out of admission mode, so
    P <= B * (86,400/W) * N/10^9 whatever the rate; every other hit only knocks (expected
    knocks a day from guessing: rate * 86,400 * N/10^9).

    .venv/bin/python scripts/bench_join_attack.py               # 3 cases x 20 s
    .venv/bin/python scripts/bench_join_attack.py --quick       # smoke run: 4 s each

The Markdown table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import math
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from websockets.sync.client import connect  # noqa: E402

from relay_server.sessions.join_guard import (  # noqa: E402
    DEFAULT_GUESS_BUDGET,
    DEFAULT_GUESS_WINDOW_S,
    GuessBudget,
)
from scripts.relay_bench.relay_process import (  # noqa: E402
    AGENT_PASSWORD,
    AGENT_USERNAME,
    Relay,
    relay_running,
)

logger = logging.getLogger("bench_join_attack")

DAY_S = 86_400
GUESSES_PER_ADDRESS = 3  # the free wrong codes of an address (join_guard.FREE_WRONG_CODES)
CHAT_INTERVAL_S = 0.05
BEFORE_ATTACK_S = 3.0


@dataclass
class Case:
    name: str
    relay_args: list[str]
    sessions: int
    budget: int  # what the relay was started with (0: no admission mode)
    window_s: float = DEFAULT_GUESS_WINDOW_S

    @property
    def allowed(self) -> int:
        """Wrong codes per window before admission mode at this many live codes."""
        if self.budget <= 0:
            return 0
        return GuessBudget(self.budget, self.window_s).allowed(self.sessions)


@dataclass
class Result:
    case: Case
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    canaries: Counter = field(default_factory=Counter)
    canary_joins_after_budget: int = 0
    wrong_before_admission: int = 0
    relay_cpu_s: float = 0.0
    journal_growth: int = 0
    chat_before: list[float] = field(default_factory=list)
    chat_during: list[float] = field(default_factory=list)
    legit_join_s: float | None = None
    legit_how: str = ""


# -- HTTP helpers ------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection from one source address."""

    def __init__(self, url: str, source: str = "127.0.0.1") -> None:
        host, port = url.split("://", 1)[1].split(":")
        self.connection = http.client.HTTPConnection(
            host, int(port), timeout=30, source_address=(source, 0)
        )

    def call(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else {})

    def close(self) -> None:
        self.connection.close()


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- the parts of one run ----------------------------------------------------------------------


def _hello(ws_url: str, role: str, session_id: str, token: str):
    ws = connect(ws_url, open_timeout=10, legacy=True)
    ws.send(
        json.dumps(
            {
                "type": "hello",
                "protocol_version": 1,
                "role": role,
                "session_id": session_id,
                "token": token,
            }
        )
    )
    return ws


def _bystander(relay: Relay, token: str, stop: threading.Event, phase: list[str], out: Result):
    """A chatting pair: the customer sends, the agent's copy arriving is the latency."""
    api = Client(relay.url)
    support = api.call("POST", "/api/supports", token=token)[1]["support"]
    joined = api.call("POST", "/api/join", {"code": support["code"], "name": "Bystander"})[1]
    api.close()
    agent = _hello(relay.ws_url, "agent", support["session_id"], token)
    customer = _hello(relay.ws_url, "customer", support["session_id"], joined["customer_token"])
    sent: dict[str, tuple[float, str]] = {}

    def read_agent() -> None:
        try:
            for frame in agent:
                message = json.loads(frame)
                if message.get("type") == "chat_message" and message["client_id"] in sent:
                    at, when = sent.pop(message["client_id"])
                    target = out.chat_before if when == "before" else out.chat_during
                    target.append((time.perf_counter() - at) * 1000)
        except Exception:  # the socket closed at the end of the run
            return

    reader = threading.Thread(target=read_agent, daemon=True)
    reader.start()
    n = 0
    while not stop.is_set():
        n += 1
        client_id = f"b{n}"
        sent[client_id] = (time.perf_counter(), phase[0])
        customer.send(json.dumps({"type": "send_chat", "client_id": client_id, "text": f"m{n}"}))
        stop.wait(CHAT_INTERVAL_S)
    time.sleep(0.5)  # the last answers
    agent.close()
    customer.close()


def _attacker(
    relay: Relay,
    worker: int,
    stop: threading.Event,
    codes: list[str],
    canary_every: int,
    out: Result,
    lock: threading.Lock,
) -> None:
    rng = random.Random(worker)
    statuses: Counter = Counter()
    canaries: Counter = Counter()
    address = 0
    requests = 0
    while not stop.is_set():
        address += 1
        source = f"127.{10 + worker}.{address // 250 % 250}.{address % 250 + 1}"
        client = Client(relay.url, source)
        try:
            for _ in range(GUESSES_PER_ADDRESS):
                requests += 1
                canary = canary_every and requests % canary_every == 0
                code = rng.choice(codes) if canary else f"{rng.randrange(10**9):09d}"
                status, body = client.call("POST", "/api/join", {"code": code, "name": "Mallory"})
                if canary:
                    canaries[status] += 1
                    if status == 200:
                        with lock:
                            if out.statuses[404] + statuses[404] >= out.case.allowed > 0:
                                out.canary_joins_after_budget += 1
                else:
                    statuses[status] += 1
                if stop.is_set():
                    break
        except (OSError, http.client.HTTPException) as error:
            statuses[f"error {type(error).__name__}"] += 1
        finally:
            client.close()
        if address % 20 == 0:  # publish often enough for the budget check above
            with lock:
                out.statuses.update(statuses)
                out.canaries.update(canaries)
            statuses.clear()
            canaries.clear()
    with lock:
        out.statuses.update(statuses)
        out.canaries.update(canaries)


def _legit_customer(relay: Relay, token: str, out: Result) -> None:
    """A customer who mistypes twice, then types the right code; its agent admits a knock."""
    api = Client(relay.url)
    support = api.call("POST", "/api/supports", token=token)[1]["support"]
    api.close()
    agent = _hello(relay.ws_url, "agent", support["session_id"], token)

    def admit() -> None:
        try:
            for frame in agent:
                message = json.loads(frame)
                if message.get("type") == "knocks_changed" and message["knocks"]:
                    knock_id = message["knocks"][0]["id"]
                    agent.send(json.dumps({"type": "admit_knock", "knock_id": knock_id}))
        except Exception:
            return

    threading.Thread(target=admit, daemon=True).start()
    code = support["code"]
    customer = Client(relay.url, "127.250.0.1")
    started = time.perf_counter()
    for typo in (f"{(int(code) + 1) % 10**9:09d}", f"{(int(code) + 2) % 10**9:09d}"):
        customer.call("POST", "/api/join", {"code": typo, "name": "Kim"})
    status, body = customer.call("POST", "/api/join", {"code": code, "name": "Kim"})
    if status == 202:
        secret = body["knock_secret"]
        status, body = customer.call("GET", f"/api/knocks/{secret}?wait_s=20")
        state = body["knock"]["state"]
        out.legit_how = "knocked, admitted" if state == "admitted" else f"knocked, {state}"
    else:
        out.legit_how = "joined at once" if status == 200 else f"REFUSED {status}"
    out.legit_join_s = time.perf_counter() - started
    customer.close()
    agent.close()


def run_case(case: Case, args: argparse.Namespace, work_dir: Path) -> Result:
    out = Result(case)
    with relay_running(work_dir, case.name.replace(" ", "-"), case.relay_args) as relay:
        api = Client(relay.url)
        token = api.call(
            "POST", "/api/login", {"username": AGENT_USERNAME, "password": AGENT_PASSWORD}
        )[1]["token"]
        codes = [
            api.call("POST", "/api/supports", token=token)[1]["support"]["code"]
            for _ in range(case.sessions)
        ]
        api.close()
        logger.info("%s: %d waiting sessions", case.name, len(codes))
        journal = relay.data_dir / "journal.jsonl"
        stop_chat = threading.Event()
        phase = ["before"]
        bystander = threading.Thread(
            target=_bystander, args=(relay, token, stop_chat, phase, out), daemon=True
        )
        bystander.start()
        time.sleep(BEFORE_ATTACK_S)  # the bystander's "before" sample
        phase[0] = "during"
        journal_before = journal.stat().st_size if journal.exists() else 0
        cpu_before = relay.cpu_seconds()
        stop = threading.Event()
        lock = threading.Lock()
        workers = [
            threading.Thread(
                target=_attacker,
                args=(relay, w, stop, codes, args.canary_every, out, lock),
                daemon=True,
            )
            for w in range(args.workers)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        # The legit customer comes once the attack has spent the budget (if there is one).
        deadline = time.perf_counter() + args.seconds / 2
        while time.perf_counter() < deadline and out.statuses[404] < 1.2 * DEFAULT_GUESS_BUDGET:
            stop.wait(0.1)
        _legit_customer(relay, token, out)
        stop.wait(max(0.0, args.seconds - (time.perf_counter() - started)))
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        out.seconds = time.perf_counter() - started
        out.relay_cpu_s = relay.cpu_seconds() - cpu_before
        journal_after = journal.stat().st_size if journal.exists() else 0
        out.journal_growth = journal_after - journal_before
        stop_chat.set()
        bystander.join(timeout=10)
    logger.info("%s: %s, canaries %s", case.name, dict(out.statuses), dict(out.canaries))
    return out


# -- the table ---------------------------------------------------------------------------------


def p_join_day(result: Result, digits: int = 9) -> float:
    """P(the attacker joins some session within 24 h without anyone's click)."""
    rate = result.statuses[404] / result.seconds
    per_guess = result.case.sessions / 10**digits
    if result.case.budget > 0:
        return min(1.0, result.case.allowed * DAY_S / result.case.window_s * per_guess)
    return 1 - math.exp(rate * DAY_S * math.log1p(-per_guess))


def table(results: list[Result]) -> str:
    base = results[-1]  # the baseline is measured last, in the same run
    rows: list[tuple[str, ...]] = []

    def row(metric: str, values: list[str], ratio: str = "") -> None:
        rows.append((metric, *values, ratio))

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2g}x" if b else ""

    rates = [r.statuses[404] / r.seconds for r in results]
    requests = [sum(v for k, v in r.statuses.items() if isinstance(k, int)) for r in results]
    row("live codes", [str(r.case.sessions) for r in results])
    row("checked wrong codes / s (404)", [f"{x:,.0f}" for x in rates], ratio(rates[0], rates[-1]))
    row("throttled answers / s (429)", [f"{r.statuses[429] / r.seconds:,.0f}" for r in results])
    row(
        "canary hits: joined at once (200) / knocked (202)",
        [f"{r.canaries[200]} / {r.canaries[202]}" for r in results],
    )
    row(
        "canary joins after the budget was spent",
        [str(r.canary_joins_after_budget) for r in results],
    )
    cpu = [
        1000 * r.relay_cpu_s / max(1, n + sum(r.canaries.values()))
        for r, n in zip(results, requests, strict=True)
    ]
    row("relay CPU per request, ms", [f"{x:.2f}" for x in cpu], ratio(cpu[0], cpu[-1]))
    growth = [r.journal_growth / max(1, n) for r, n in zip(results, requests, strict=True)]
    row("journal bytes per request (bystander chat included)", [f"{x:.1f}" for x in growth])
    for label, pick in (("p50", 0.5), ("p99", 0.99)):
        before = [_percentile(r.chat_before, pick) for r in results]
        during = [_percentile(r.chat_during, pick) for r in results]
        row(f"bystander chat {label} before attack, ms", [f"{x:.1f}" for x in before])
        row(
            f"bystander chat {label} during attack, ms",
            [f"{x:.1f}" for x in during],
            ratio(during[0], during[-1]),
        )
    row(
        "legit customer, 2 typos then the code: s to join",
        [f"{r.legit_join_s:.2f} ({r.legit_how})" if r.legit_join_s else "-" for r in results],
    )
    p9 = [p_join_day(r) for r in results]
    row("P(attacker joins within 24 h), 9 digits", [f"{x:.2g}" for x in p9], ratio(p9[0], p9[-1]))
    p6 = 1 - math.exp(rates[-1] * DAY_S * math.log1p(-base.case.sessions / 10**6))
    row(
        "P(join within 24 h), 6 digits at the baseline rate",
        ["" for _ in results[:-1]] + [f"{p6:.2g}"],
    )
    knocks = [
        rate * DAY_S * r.case.sessions / 10**9 for rate, r in zip(rates, results, strict=True)
    ]
    row("knocks a day from guessing (agent must click)", [f"{x:.2g}" for x in knocks])
    header = ("metric", *(r.case.name for r in results), "shipped / baseline")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="attack time per case")
    parser.add_argument("--sessions", type=int, default=100, help="live codes (waiting sessions)")
    parser.add_argument("--large", type=int, default=1000, help="live codes of the O(1) case")
    parser.add_argument("--workers", type=int, default=8, help="attacker threads")
    parser.add_argument(
        "--canary-every", type=int, default=50, help="a real code every n requests per thread"
    )
    parser.add_argument("--quick", action="store_true", help="4 s per case, 200 live codes large")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.large = 4.0, 200
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    budget = DEFAULT_GUESS_BUDGET
    cases = [
        Case("shipped (budget 400/h)", [], args.sessions, budget),
        Case(f"shipped, {args.large} live codes", [], args.large, budget),
        Case("baseline: no budget", ["--guess-budget", "0"], args.sessions, 0),
    ]
    with tempfile.TemporaryDirectory(prefix="bench-join-attack-") as work:
        results = [run_case(case, args, Path(work)) for case in cases]
    print(
        f"{args.seconds:.0f} s of attack per case, {args.workers} attacker threads, "
        f"{GUESSES_PER_ADDRESS} guesses per address, canary every {args.canary_every}\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
