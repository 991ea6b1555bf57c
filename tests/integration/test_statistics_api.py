"""Usage statistics (AD3) through a real relay: a known past written into its history archive
and real sessions (one with a connected call) counted right, in the admin's time zone; the
Excel export read back; agents and strangers refused."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from relay_server.reservations.model import Reservation, ReservationStatus
from relay_server.reservations.service import RESERVATIONS
from relay_server.store import TinyDBStore
from tests.support.api import Api
from tests.support.conversation import start_conversation
from tests.support.history_records import history_record, seoul, write_history
from tests.support.relay import ALICE, BOB, ROOT, Agent, RelayProcess, add_agent

FORMULA_NAME = '=HYPERLINK("http://x","y")'
MALLORY = Agent("mallory", "mallory-password-1", FORMULA_NAME)
JANUARY = "from=2025-01-01&to=2025-01-31"


def _past() -> list[dict]:
    """January 2025 in Seoul: alice 4 sessions, bob 1, mallory 1, one nobody joined."""
    return [
        history_record("a1", "alice", seoul("2025-01-06 10:00"), 600),
        history_record("a2", "alice", seoul("2025-01-06 10:30"), 1200, presentations=1),
        history_record("a3", "alice", seoul("2025-01-06 14:00"), 1800, files=2, calls=1),
        # Seoul's January, UTC's too (14:30 UTC); the next one is February in Seoul only.
        history_record("a4", "alice", seoul("2025-01-31 23:30"), 600),
        history_record("a5", "alice", seoul("2025-02-01 00:30"), 600),
        history_record("b1", "bob", seoul("2025-01-07 09:15"), 300, control_grants=1),
        history_record("m1", "mallory", seoul("2025-01-08 23:30"), 900),
        history_record("x1", "alice", seoul("2025-01-09 11:00"), 60, customer=""),
    ]


def _reservation(rid: str, start: datetime, status: ReservationStatus) -> dict:
    return Reservation(
        id=rid, agent_id="alice", uid=f"{rid}@relay", title="Demo", start_utc=start,
        duration_minutes=30, time_zone="Asia/Seoul", status=status,
    ).to_record()  # fmt: skip


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """One relay for the module (the real sessions of one test are today, the other tests read
    January 2025): its history holds :func:`_past`, its store two reservations."""
    tmp_path = tmp_path_factory.mktemp("statistics")
    data = tmp_path / "data"
    data.mkdir()
    for agent in (ALICE, BOB, ROOT, MALLORY):
        add_agent(data, agent)
    write_history(data, _past())
    store = TinyDBStore(data)
    start = seoul("2025-01-10 10:00").astimezone(UTC)
    store.insert(RESERVATIONS, _reservation("r1", start, ReservationStatus.DONE))
    store.insert(RESERVATIONS, _reservation("r2", start, ReservationStatus.CANCELLED))
    store.close()
    process = RelayProcess(data, tmp_path)
    process.start()
    yield process
    process.stop()


def _statistics(api: Api, token: str, query: str) -> dict:
    status, body, _ = api.request("GET", f"/api/admin/statistics?{query}", token=token)
    assert status == 200, body
    return body["statistics"]


def _download(api: Api, path: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(api.base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _end(talk) -> None:
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    talk.agent.close()
    talk.customer.close()


def test_the_past_is_counted_in_the_admins_time_zone(relay):
    """January 2025 in Seoul: sessions, durations, agents (by their current names), features,
    the busiest hours and the reservations are the archive's; in UTC one more session counts."""
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)
    stats = _statistics(api, root, f"{JANUARY}&tz=Asia/Seoul")
    assert stats["sessions"] == 6 and stats["tz"] == "Asia/Seoul"
    assert stats["total_duration_s"] == 5400 and stats["average_duration_s"] == 900
    assert [(a["username"], a["name"], a["sessions"]) for a in stats["agents"]] == [
        ("alice", ALICE.name, 4), ("bob", BOB.name, 1), ("mallory", FORMULA_NAME, 1),
    ]  # fmt: skip
    assert {k: v["sessions"] for k, v in stats["features"].items()} == {
        "presented": 1, "controlled": 1, "files": 1, "called": 1,
    }  # fmt: skip
    days = {d["date"]: d["sessions"] for d in stats["days"] if d["sessions"]}
    assert days == {"2025-01-06": 3, "2025-01-07": 1, "2025-01-08": 1, "2025-01-31": 1}
    assert stats["hours"][0][10] == 2 and stats["hours"][0][14] == 1  # Monday
    assert stats["hours"][2][23] == 1  # Wednesday, 23:30 in Seoul
    assert stats["reservations"] == {"kept": 1, "cancelled": 1, "missed": 0, "upcoming": 0}
    utc = _statistics(api, root, f"{JANUARY}&tz=UTC")
    assert utc["sessions"] == 7 and utc["hours"][0][1] == 2  # 10:00 Seoul is 01:00 UTC
    alice = _statistics(api, root, f"{JANUARY}&tz=Asia/Seoul&agent=alice")
    assert alice["sessions"] == 4 and [a["username"] for a in alice["agents"]] == ["alice"]
    assert alice["reservations"]["kept"] == 1


def test_real_sessions_count_today_with_their_call(relay):
    """Two real sessions today, one with a call the customer answered: both are counted on
    today's date, one of them as a session with a call."""
    talk = start_conversation(relay)
    talk.agent.send({"type": "start_call", "media": "audio"})
    call_id = talk.customer.recv_type("call_state")["call_id"]
    talk.customer.send({"type": "answer_call", "call_id": call_id, "accept": True})
    while talk.agent.recv_type("call_state")["state"] != "active":
        pass
    _end(talk)
    _end(start_conversation(relay, BOB.username, BOB.password))
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    period = f"from={today - timedelta(days=1)}&to={today}&tz=Asia/Seoul"
    stats = _statistics(api, root, period)
    assert stats["sessions"] == 2
    assert stats["features"]["called"] == {"sessions": 1, "share": 0.5}
    assert sorted(a["username"] for a in stats["agents"]) == ["alice", "bob"]


def test_the_export_is_a_workbook_of_the_same_numbers(relay):
    """The .xlsx has one sheet per chart with the JSON's numbers, Korean headers when asked,
    and an agent's name that looks like a formula stays text."""
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)
    path = f"/api/admin/statistics/export.xlsx?{JANUARY}&tz=Asia/Seoul"
    status, data = _download(api, path, root)
    assert status == 200
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Summary", "Per day", "Per agent", "Features used", "Busiest hours", "Reservations",
    ]  # fmt: skip
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows()}
    assert summary["Sessions"] == 6 and summary["Total duration"] == timedelta(seconds=5400)
    days = {
        r[0].date().isoformat(): r[1]
        for r in book["Per day"].iter_rows(min_row=2, values_only=True)
    }
    assert len(days) == 31 and days["2025-01-06"] == 3
    agents = list(book["Per agent"].iter_rows(min_row=2))
    assert [r[2].value for r in agents] == [4, 1, 1]
    formula = agents[2][0]
    assert (formula.value, formula.data_type, formula.quotePrefix) == (FORMULA_NAME, "s", True)
    monday = [c.value for c in book["Busiest hours"][2]]
    assert monday[0] == "Monday" and monday[1 + 10] == 2
    outcomes = dict(book["Reservations"].iter_rows(min_row=2, values_only=True))
    assert outcomes == {"Kept": 1, "Cancelled": 1, "Missed": 0, "Upcoming": 0}
    status, korean = _download(api, path + "&lang=ko", root)
    assert status == 200 and load_workbook(io.BytesIO(korean)).sheetnames[0] == "요약"


def test_agents_and_strangers_cannot_reach_the_statistics(relay):
    """An agent's token is 403 not_admin, none is 401, and bad parameters are 400 with the
    parameter named; the export refuses the same way."""
    api = Api(relay.url)
    alice = api.login(ALICE.username, ALICE.password)
    root = api.login(ROOT.username, ROOT.password)
    status, body, _ = api.request("GET", f"/api/admin/statistics?{JANUARY}", token=alice)
    assert (status, body["error"]["code"]) == (403, "not_admin")
    assert api.request("GET", f"/api/admin/statistics?{JANUARY}")[0] == 401
    assert _download(api, f"/api/admin/statistics/export.xlsx?{JANUARY}", alice)[0] == 403
    assert _download(api, f"/api/admin/statistics/export.xlsx?{JANUARY}", None)[0] == 401
    for query, word in (
        ("to=2025-01-31", "'from'"),
        ("from=2025-01-31&to=2025-01-01", "'to'"),
        ("from=2024-01-01&to=2025-12-31", "366"),
        (f"{JANUARY}&tz=Nowhere/City", "'tz'"),
        (f"{JANUARY}&agent=no%20such", "'agent'"),
    ):
        status, body, _ = api.request("GET", f"/api/admin/statistics?{query}", token=root)
        assert status == 400 and body["error"]["code"] == "bad_request", query
        assert word in body["error"]["message"], query
    status, _ = _download(api, "/api/admin/statistics/export.xlsx?to=2025-01-01", root)
    assert status == 400


def test_without_reservations_the_statistics_say_none_yet(tmp_path):
    """A relay that has never stored a reservation answers ``reservations: null``."""
    data = tmp_path / "data"
    data.mkdir()
    add_agent(data, ROOT)
    process = RelayProcess(data, tmp_path)
    process.start()
    try:
        api = Api(process.url)
        stats = _statistics(api, api.login(ROOT.username, ROOT.password), JANUARY)
        assert stats["reservations"] is None and stats["sessions"] == 0
    finally:
        process.stop()
