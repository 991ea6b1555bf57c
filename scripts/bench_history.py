#!/usr/bin/env python3
"""History benchmark: 100,000 ended sessions in the archive, a real relay on top of them.

Generates realistic sessions (40 chat messages in Korean and English, notes, 2 files each, 50
agents over 12 months) straight into a data folder's ``history/`` as the relay writes them,
lets a first relay index them (and save its snapshots), then measures on a restarted relay:

- start: process launch to listening (goal <= 3 s);
- history page: ``GET /api/admin/history`` and ``/api/history`` with filters and pages
  (p95 <= 150 ms);
- full-text search: ``q=`` with English and Korean words (p95 <= 300 ms);
- export: 10,000 sessions with transcripts (<= 15 s, relay RSS growth <= 100 MB), five times,
  each after a stretch of chat alone, while a chat pair measures its round trips (p99 during
  the exports vs the stretches alone, pooled);
- a new session's record: ``History.add`` on the same archive in this process (<= 5 ms);
- statistics (AD3): ``GET /api/admin/statistics`` for the last 365 days, everyone and one agent
  (<= 1 s), with the relay's own counting time (``computed_ms``).

    .venv/bin/python scripts/bench_history.py                 # 100,000 sessions
    .venv/bin/python scripts/bench_history.py --sessions 5000 # smoke run
    .venv/bin/python scripts/bench_history.py --work DIR --statistics-only  # on DIR's data

The table goes to stdout (Markdown, for docs/performance.md), progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psutil  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from relay_server.history.history import History, shard_of  # noqa: E402
from relay_server.history.statistics import StatisticsQuery, compute  # noqa: E402

logger = logging.getLogger("bench_history")

YEAR_S = 365 * 86_400
AGENTS = 50
EN = [
    "Could you send me the brochure for the {p} model?",
    "What is the delivery time to {c}?",
    "We need {n} units before the end of the quarter.",
    "Is there a discount for orders over {n} pieces?",
    "The {p} looks great, but the price is a bit high.",
    "Let me share my screen and walk you through the {p} options.",
    "Our warranty covers parts and labour for {n} months.",
    "I will forward the quote to our purchasing team.",
    "Can the {p} integrate with our existing system?",
    "Thanks, that answers my question about the installation.",
]
KO = [
    "{p} 모델 견적서를 보내 주실 수 있나요?",
    "{c}까지 배송은 얼마나 걸리나요?",
    "분기 말까지 {n}대가 필요합니다.",
    "{n}개 이상 주문하면 할인이 되나요?",
    "{p} 제품이 마음에 드는데 가격이 조금 부담됩니다.",
    "화면을 공유해서 {p} 옵션을 설명해 드리겠습니다.",
    "보증 기간은 {n}개월이며 부품과 수리비가 포함됩니다.",
    "구매팀에 견적을 전달하겠습니다.",
    "기존 시스템과 {p} 연동이 가능한가요?",
    "설치 관련 궁금증이 해결되었습니다. 감사합니다.",
]
PRODUCTS = [f"{a}{n}" for a in ("zephyr", "quartz", "nimbus", "atlas", "orion") for n in range(20)]
CITIES = ["Seoul", "Busan", "Incheon", "Daegu", "부산", "대전", "광주", "Ulsan"]
SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "Smith", "Lee", "Park"]
GIVEN = ["민준", "서연", "도윤", "하은", "지호", "수아", "John", "Mary", "Alex", "Yuna"]


def sentence(rng: random.Random) -> str:
    template = rng.choice(KO if rng.random() < 0.5 else EN)
    return template.format(p=rng.choice(PRODUCTS), c=rng.choice(CITIES), n=rng.randint(2, 500))


def make_record(rng: random.Random, n: int, ended_at: float) -> dict:
    agent = f"agent{n % AGENTS:02d}"
    customer = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
    duration = rng.uniform(60, 3600)
    started = ended_at - duration
    messages = []
    for i in range(40):
        role = "agent" if i % 2 else "customer"
        messages.append(
            {
                "id": i + 1,
                "role": role,
                "name": agent if role == "agent" else customer,
                "text": sentence(rng),
                "sent_at": started + i * duration / 40,
            }
        )
    files = [
        {
            "id": f"f{n}-{k}",
            "name": f"{rng.choice(PRODUCTS)}-quote-{k}.pdf",
            "size": rng.randint(10_000, 5_000_000),
            "type": "application/pdf",
            "sha256": f"{rng.getrandbits(256):064x}",
            "sender": rng.choice(("agent", "customer")),
            "state": "received",
            "created_at": started + 60,
        }
        for k in range(2)
    ]
    return {
        "v": 1,
        "id": f"bench-{n:06d}",
        "agent_username": agent,
        "agent": {"name": f"Agent {n % AGENTS:02d}"},
        "state": "ended",
        "customer_name": customer,
        "created_at": started - 30,
        "started_at": started,
        "ended_at": ended_at,
        "ended_by": "agent",
        "duration_s": round(duration, 3),
        "message_count": 40,
        "messages": messages,
        "notes": " ".join(sentence(rng) for _ in range(3)),
        "notes_updated_at": ended_at,
        "files": files,
        "presentations": rng.choice((0, 0, 1, 2)),
        "control_grants": rng.choice((0, 0, 0, 1)),
        "calls": rng.choice((0, 0, 1)),
    }


def generate(history_dir: Path, sessions: int, now: float) -> None:
    """Write the archive's month files as the relay would have appended them."""
    rng = random.Random(15)
    history_dir.mkdir(parents=True)
    step = YEAR_S / sessions
    files: dict[str, object] = {}
    for n in range(sessions):
        ended_at = now - YEAR_S + n * step
        shard = shard_of(ended_at)
        out = files.get(shard)
        if out is None:
            out = files[shard] = open(history_dir / f"{shard}.jsonl", "wb")  # noqa: SIM115
        record = make_record(rng, n, ended_at)
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        if n % 10_000 == 0:
            logger.info("generated %d sessions", n)
    for out in files.values():
        out.close()


class RelayUnderTest:
    def __init__(self, data: Path, work: Path):
        self.data, self.work = data, work
        self.process: subprocess.Popen | None = None
        self.url = ""

    def cpu_s(self) -> float:
        """The relay's CPU time so far (user + system), for its start's share of the machine."""
        assert self.process is not None
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def start(self, timeout_s: float) -> float:
        ready = self.work / "ready.json"
        ready.unlink(missing_ok=True)
        started = time.perf_counter()
        log = open(self.work / "relay.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "relay_server", "--host", "127.0.0.1", "--port", "0",
             "--data", str(self.data), "--ready-file", str(ready)],
            cwd=REPO_ROOT, stdout=log, stderr=log,
        )  # fmt: skip
        while not ready.exists():
            if self.process.poll() is not None or time.perf_counter() - started > timeout_s:
                raise SystemExit(f"relay did not start; see {self.work / 'relay.log'}")
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        self.url = json.loads(ready.read_text())["url"]
        return elapsed

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=120)

    def rss_mb(self) -> float:
        assert self.process is not None
        return psutil.Process(self.process.pid).memory_info().rss / 2**20


def request(url: str, token: str | None = None, body: dict | None = None) -> tuple[float, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    request = urllib.request.Request(url, data, headers)
    with urllib.request.urlopen(request, timeout=1800) as answer:  # exports take minutes
        payload = answer.read()
    return time.perf_counter() - started, payload


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94] if len(samples) > 1 else samples[0]


def users_add(data: Path, username: str, password: str, admin: bool) -> None:
    command = [sys.executable, "-m", "relay_server", "users", "--data", str(data), "add",
               username, "--password", password, "--name", username]  # fmt: skip
    if admin:
        command.append("--admin")
    subprocess.run(command, check=True, cwd=REPO_ROOT, capture_output=True)


def chat_pinger(url: str, token: str, stop: threading.Event, samples: list[float]) -> None:
    """One agent alone in a session sends chat and waits for its echo, in a loop."""
    _, body = request(url + "/api/supports", token, {})
    support = json.loads(body)["support"]
    session_id = support["session_id"]
    request(url + "/api/join", body={"code": support["code"], "name": "Bench Customer"})
    ws_url = url.replace("http", "ws", 1) + "/ws"
    with connect(ws_url) as socket:
        socket.send(json.dumps({"type": "hello", "protocol_version": 1, "role": "agent",
                                "session_id": session_id, "token": token}))  # fmt: skip
        socket.recv(timeout=10)
        n = 0
        while not stop.is_set():
            n += 1
            sent = time.perf_counter()
            socket.send(json.dumps({"type": "send_chat", "client_id": f"b{n}", "text": "ping"}))
            while True:
                frame = json.loads(socket.recv(timeout=30))
                if frame.get("type") == "chat_message" and frame.get("client_id") == f"b{n}":
                    break
            samples.append(time.perf_counter() - sent)
            time.sleep(0.05)  # under the chat rate limit (20 messages a second per socket)


def load_average() -> str:
    """The machine's load (1, 5, 15 min): the benchmark shares its cores with whatever runs."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


DOWNLOAD = """
import shutil, sys, urllib.request
url, token, path = sys.argv[1:]
request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
with urllib.request.urlopen(request, timeout=1800) as answer, open(path, "wb") as out:
    shutil.copyfileobj(answer, out, 1 << 20)
"""


def print_rows(args, size_mb: float, rows: list, load_before: str) -> None:
    print(f"\nbench_history: {args.sessions:,} sessions, archive {size_mb:.0f} MB, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
          f"{load_before} at the start, {load_average()} at the end\n")  # fmt: skip
    print("| measure | goal | measured |\n|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


def measure_export(relay: RelayUnderTest, root: str, args, now: float, rows: list) -> None:
    """The export of the newest ``args.export`` sessions, ``args.rounds`` times, each after
    ``args.idle_s`` of chat alone: idle and export stretches alternate, so the load other
    processes put on the machine weighs on both halves alike, and the chat's round trips are
    pooled over the rounds (a p99 of one 6 s export is its second-worst round trip)."""
    since = int(now - YEAR_S * args.export / args.sessions)
    stop = threading.Event()
    chat: list[float] = []
    pinger = threading.Thread(target=chat_pinger, args=(relay.url, root, stop, chat), daemon=True)
    pinger.start()
    peak = [relay.rss_mb()]
    rss_start = peak[0]
    child_peak = [0.0]
    child_cpu: dict[int, float] = {}
    sampling = threading.Event()

    def sample() -> None:
        assert relay.process is not None
        while not sampling.is_set():
            peak.append(relay.rss_mb())
            for child in psutil.Process(relay.process.pid).children():
                try:  # the export's child process (history/export.py)
                    child_peak.append(child.memory_info().rss / 2**20)
                    times = child.cpu_times()
                    child_cpu[child.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            time.sleep(0.1)

    # The sampler shares this process's interpreter lock with the pinger: it runs through the
    # idle stretches too, so both halves of the comparison pay for it alike.
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    url = f"{relay.url}/api/admin/history/export.xlsx?from={since}"
    idle: list[float] = []
    during: list[float] = []
    idle_p99: list[float] = []
    during_p99: list[float] = []
    elapsed: list[float] = []
    relay_cpu: list[float] = []
    payload = b""
    q = lambda s, n: statistics.quantiles(s, n=100)[n - 1] * 1000  # noqa: E731
    for round_number in range(args.rounds):
        logger.info("export round %d: chat alone, then the export", round_number + 1)
        mark = len(chat)
        time.sleep(args.idle_s)
        idle_round = chat[mark:]
        mark = len(chat)
        cpu = relay.cpu_s()
        # The download runs in a process of its own: reading 14 MB of chunks in this one
        # would share the interpreter lock with the chat pinger's thread and slow the very
        # round trips measured.
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", DOWNLOAD, url, root, target.name], check=True, cwd=REPO_ROOT
            )
            elapsed.append(time.perf_counter() - started)
            payload = Path(target.name).read_bytes()
        during_round = chat[mark:]
        relay_cpu.append(relay.cpu_s() - cpu)
        idle += idle_round
        during += during_round
        if len(idle_round) > 1 and len(during_round) > 1:
            idle_p99.append(q(idle_round, 99))
            during_p99.append(q(during_round, 99))
    sampling.set()
    stop.set()
    sampler.join()
    pinger.join(timeout=30)
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(payload), read_only=True).worksheets[0]
    count = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
    runs = ", ".join(f"{value:.1f}" for value in elapsed)
    rows.append((f"export {count:,} sessions with transcripts (median of {args.rounds})",
                 "<= 15 s", f"{statistics.median(elapsed):.1f} s (runs {runs})"))  # fmt: skip
    rows.append(
        ("relay RSS growth during the exports", "<= 100 MB", f"{max(peak) - rss_start:.0f} MB")
    )
    rows.append(("export child process peak RSS", "-", f"{max(child_peak):.0f} MB"))
    rows.append(("CPU time of an export: child / relay", "-",
                 f"{max(child_cpu.values(), default=0):.1f} s / "
                 f"{statistics.median(relay_cpu):.1f} s (the child's last sample, 0.1 s "
                 "before it ended)"))  # fmt: skip
    if len(idle) > 1 and len(during) > 1:
        change = (q(during, 99) - q(idle, 99)) / q(idle, 99)
        pairs = zip(idle_p99, during_p99, strict=True)
        per_round = " / ".join(f"{a:.1f}-{b:.1f}" for a, b in pairs)
        rows.append(("chat round trip p99, all rounds pooled: idle / during export",
                     "unchanged ±10 %",
                     f"{q(idle, 99):.1f} ms / {q(during, 99):.1f} ms ({change:+.0%}; "
                     f"{len(idle)} / {len(during)} round trips; per round, idle-export: "
                     f"{per_round})"))  # fmt: skip
        rows.append(("chat round trip p50: idle / during export", "-",
                     f"{q(idle, 50):.1f} ms / {q(during, 50):.1f} ms"))  # fmt: skip


def measure_statistics(relay: RelayUnderTest, root: str, rows: list) -> None:
    """A year's usage statistics (AD3) over HTTP: 20 requests for everyone, 20 for one agent."""
    today = datetime.now(UTC).date()
    first = today - timedelta(days=364)
    base = f"{relay.url}/api/admin/statistics?from={first}&to={today}&tz=Asia/Seoul"
    for label, suffix in (("everyone", ""), ("one agent", "&agent=agent07")):
        walls, computed = [], []
        sessions = 0
        for _ in range(20):
            elapsed, body = request(base + suffix, root)
            found = json.loads(body)["statistics"]
            walls.append(elapsed)
            computed.append(found["computed_ms"])
            sessions = found["sessions"]
        rows.append(
            (
                f"statistics of a year, {label} ({sessions:,} sessions; median / p95 of 20)",
                "<= 1 s",
                f"{statistics.median(walls) * 1000:.0f} / {p95(walls) * 1000:.0f} ms over HTTP; "
                f"relay counting {statistics.median(computed):.0f} ms median",
            )
        )


def statistics_cpu(data: Path, rows: list) -> None:
    """A year's statistics in this process: CPU time (process_time), which a loaded machine
    does not inflate as it does wall-clock time."""
    history = History(data / "history")
    today = datetime.now(UTC).date()
    query = StatisticsQuery(today - timedelta(days=364), today, "Asia/Seoul")
    cpu = []
    for _ in range(10):
        started = time.process_time()
        found = compute(history.shards, query)
        cpu.append(time.process_time() - started)
    history.archive.close()
    rows.append((f"statistics of a year, everyone: CPU in-process ({found['sessions']:,} "
                 "sessions; median / max of 10)", "<= 1 s",
                 f"{statistics.median(cpu) * 1000:.0f} / {max(cpu) * 1000:.0f} ms"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--export", type=int, default=10_000, help="sessions in the export")
    parser.add_argument("--work", type=Path, default=None, help="keep the data folder here")
    parser.add_argument(
        "--export-only", action="store_true", help="measure only the export and chat during it"
    )
    parser.add_argument(
        "--statistics-only", action="store_true", help="measure only a year's statistics"
    )
    parser.add_argument(
        "--idle-s", type=float, default=6.0, help="chat measured alone before each export"
    )
    parser.add_argument("--rounds", type=int, default=5, help="idle stretch + export, repeated")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-history-"))
    data = work / "data"
    now = time.time()
    rows: list[tuple[str, str, str]] = []
    if not (data / "history").exists():
        logger.info("generating %d sessions in %s", args.sessions, data)
        generate(data / "history", args.sessions, now)
        users_add(data, "root", "root-password-1", admin=True)
        users_add(data, "agent07", "agent-password-1", admin=False)
    size_mb = sum(p.stat().st_size for p in (data / "history").glob("*.jsonl")) / 2**20
    logger.info("archive: %.0f MB", size_mb)
    load_before = load_average()
    relay = RelayUnderTest(data, work)
    if args.statistics_only:
        relay.start(timeout_s=1800)
        login = {"username": "root", "password": "root-password-1"}
        root = json.loads(request(relay.url + "/api/login", body=login)[1])["token"]
        measure_statistics(relay, root, rows)
        relay.stop()
        statistics_cpu(data, rows)
        print_rows(args, size_mb, rows, load_before)
        return
    if args.export_only:
        relay.start(timeout_s=1800)
        login = {"username": "root", "password": "root-password-1"}
        root = json.loads(request(relay.url + "/api/login", body=login)[1])["token"]
        measure_export(relay, root, args, now, rows)
        relay.stop()
        print_rows(args, size_mb, rows, load_before)
        return
    first = relay.start(timeout_s=1800)
    logger.info("first start (indexing the files): %.1f s", first)
    relay.stop()
    starts, cpus = [], []
    for _ in range(3):
        starts.append(relay.start(timeout_s=120))
        cpus.append(relay.cpu_s())
        if len(starts) < 3:
            relay.stop()
    start_s = statistics.median(starts)
    rows.append(("relay start, 100k sessions (median of 3)", "<= 3 s", f"{start_s:.2f} s"))
    rows.append(("relay CPU time to listening (median of 3)", "-",
                 f"{statistics.median(cpus):.2f} s"))  # fmt: skip
    rows.append(("first start: index built from the files", "-", f"{first:.1f} s"))
    rss_idle = relay.rss_mb()
    rows.append(("relay RSS after start", "-", f"{rss_idle:.0f} MB"))

    _, body = request(
        relay.url + "/api/login", body={"username": "root", "password": "root-password-1"}
    )
    root = json.loads(body)["token"]
    _, body = request(
        relay.url + "/api/login", body={"username": "agent07", "password": "agent-password-1"}
    )
    agent = json.loads(body)["token"]
    rng = random.Random(7)

    page_times = []
    for i in range(200):
        params: dict[str, str] = {"page": str(rng.randint(1, 40)), "per_page": "25"}
        if i % 4 == 1:
            params["presented"] = "yes"
        if i % 4 == 2:
            params["agent"] = f"agent{rng.randrange(AGENTS):02d}"
        if i % 4 == 3:
            params["from"] = str(int(now - rng.randint(30, 300) * 86_400))
            params["min_duration_s"] = "300"
        base = "/api/admin/history" if i % 2 == 0 else "/api/history"
        token = root if i % 2 == 0 else agent
        elapsed, _ = request(f"{relay.url}{base}?{urllib.parse.urlencode(params)}", token)
        page_times.append(elapsed)
    rows.append(
        ("history page p95 (200 requests)", "<= 150 ms", f"{p95(page_times) * 1000:.0f} ms")
    )

    search_times = []
    words = ["brochure", "warranty", "견적서", "배송은", "zephyr7", "할인이", "quartz3 discount",
             "installation", "구매팀에", "nimbus12"]  # fmt: skip
    for i in range(200):
        params = {"q": words[i % len(words)], "page": "1"}
        if i % 3 == 0:
            params["agent"] = f"agent{rng.randrange(AGENTS):02d}"
        elapsed, _ = request(
            f"{relay.url}/api/admin/history?{urllib.parse.urlencode(params)}", root
        )
        search_times.append(elapsed)
    rows.append(
        ("full-text search p95 (200 queries)", "<= 300 ms", f"{p95(search_times) * 1000:.0f} ms")
    )

    measure_statistics(relay, root, rows)
    measure_export(relay, root, args, now, rows)
    relay.stop()

    history = History(data / "history")
    add_times = []
    rng2 = random.Random(3)
    for n in range(200):
        record = make_record(rng2, args.sessions + n, time.time())
        started = time.perf_counter()
        history.add(record)
        add_times.append(time.perf_counter() - started)
    history.archive.close()
    rows.append(("new session's record written (append + fsync + index), p95", "<= 5 ms",
                 f"{p95(add_times) * 1000:.2f} ms"))  # fmt: skip
    statistics_cpu(data, rows)

    print_rows(args, size_mb, rows, load_before)


if __name__ == "__main__":
    main()
