"""Usage statistics (AD3) on hand-made history summaries: days and hours in the admin's time
zone across summer-time changes, empty periods, one agent, feature shares, reservations, the
request's validation, and the index's call flag with old snapshots."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from relay_server.calls.calls import Calls
from relay_server.calls.ice_servers import IceConfig
from relay_server.history.archive import Archive
from relay_server.history.history import shard_of
from relay_server.history.index import Shard, Summary, summarize
from relay_server.history.statistics import (
    MAX_PERIOD_DAYS,
    StatisticsQuery,
    compute,
    parse_statistics_query,
    reservation_counts,
)
from relay_server.history.usage import SessionUsage
from relay_server.reservations.model import Reservation, ReservationStatus
from suite.protocol import AnswerCall, Channel, Role, StartCall

NEW_YORK = "America/New_York"


def at(text: str, zone: str = "UTC") -> float:
    """Epoch seconds of a wall-clock time in ``zone`` ("2026-03-08 01:30"); fold 0."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def summary(
    started: float,
    agent: str = "alice",
    duration_s: float = 600.0,
    customers: str = "Kim",
    **flags: bool,
) -> Summary:
    return Summary(
        id=f"s{started}-{agent}",
        agent_username=agent,
        agent_name=agent.title(),
        customers=customers,
        started_at=started,
        ended_at=started + duration_s,
        duration_s=duration_s,
        message_count=3,
        file_count=1 if flags.get("files") else 0,
        presented=flags.get("presented", False),
        controlled=flags.get("controlled", False),
        offset=0,
        length=1,
        called=flags.get("called", False),
    )


def shards_of(*summaries: Summary) -> list[Shard]:
    """The summaries in month shards, as the history keeps them."""
    months: dict[str, list[Summary]] = {}
    for s in summaries:
        months.setdefault(shard_of(s.ended_at), []).append(s)
    return [Shard(name, found) for name, found in sorted(months.items())]


def day_counts(stats: dict) -> dict[str, int]:
    return {d["date"]: d["sessions"] for d in stats["days"] if d["sessions"]}


def hour_cells(stats: dict) -> dict[tuple[int, int], int]:
    return {
        (weekday, hour): count
        for weekday, hours in enumerate(stats["hours"])
        for hour, count in enumerate(hours)
        if count
    }


def test_days_and_hours_are_the_admins_wall_clock_time():
    """23:30 UTC on a Monday is Tuesday 08:30 in Seoul: the session counts on Tuesday at 8."""
    started = at("2026-03-02 23:30")  # a Monday in UTC
    shards = shards_of(summary(started))
    seoul = compute(shards, StatisticsQuery(date(2026, 3, 1), date(2026, 3, 7), "Asia/Seoul"))
    assert day_counts(seoul) == {"2026-03-03": 1}
    assert hour_cells(seoul) == {(1, 8): 1}
    utc = compute(shards, StatisticsQuery(date(2026, 3, 1), date(2026, 3, 7), "UTC"))
    assert day_counts(utc) == {"2026-03-02": 1}
    assert hour_cells(utc) == {(0, 23): 1}


def test_a_half_hour_zone_moves_a_late_session_to_the_next_day():
    """Kolkata is UTC+5:30: 18:45 UTC is 00:15 the next day, hour 0."""
    shards = shards_of(summary(at("2026-06-10 18:45")))
    stats = compute(shards, StatisticsQuery(date(2026, 6, 10), date(2026, 6, 11), "Asia/Kolkata"))
    assert day_counts(stats) == {"2026-06-11": 1}
    assert hour_cells(stats) == {(3, 0): 1}  # Thursday


def test_the_day_summer_time_starts_has_23_hours_and_keeps_its_sessions():
    """New York, 8 March 2026: 01:30 EST and 03:30 EDT are both that day (hours 1 and 3); the
    minute before its midnight and the minute after the next are outside a one-day period."""
    inside = [at("2026-03-08 01:30", NEW_YORK), at("2026-03-08 03:30", NEW_YORK),
              at("2026-03-08 23:59", NEW_YORK)]  # fmt: skip
    outside = [at("2026-03-07 23:59", NEW_YORK), at("2026-03-09 00:00", NEW_YORK)]
    shards = shards_of(*(summary(t) for t in inside + outside))
    query = StatisticsQuery(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK)
    since, until = query.bounds()
    assert until - since == 23 * 3600
    stats = compute(shards, query)
    assert stats["sessions"] == 3 and day_counts(stats) == {"2026-03-08": 3}
    assert hour_cells(stats) == {(6, 1): 1, (6, 3): 1, (6, 23): 1}  # a Sunday


def test_the_day_summer_time_ends_has_25_hours_and_its_repeated_hour_counts_twice():
    """New York, 1 November 2026: 01:30 happens twice (EDT, then EST); both count in hour 1."""
    first = at("2026-11-01 05:30")  # 01:30 EDT
    second = at("2026-11-01 06:30")  # 01:30 EST
    query = StatisticsQuery(date(2026, 11, 1), date(2026, 11, 1), NEW_YORK)
    since, until = query.bounds()
    assert until - since == 25 * 3600
    stats = compute(shards_of(summary(first), summary(second)), query)
    assert day_counts(stats) == {"2026-11-01": 2}
    assert hour_cells(stats) == {(6, 1): 2}


def test_an_empty_period_is_all_zeros_with_every_day_listed():
    """No session in the period: zero totals and shares, one row per day, no agents."""
    shards = shards_of(summary(at("2026-01-15 10:00")))
    stats = compute(shards, StatisticsQuery(date(2026, 2, 1), date(2026, 2, 28), "Asia/Seoul"))
    assert stats["sessions"] == 0 and stats["total_duration_s"] == 0
    assert stats["average_duration_s"] == 0 and stats["agents"] == []
    assert len(stats["days"]) == 28 and stats["days"][0]["date"] == "2026-02-01"
    assert all(d["sessions"] == 0 and d["average_duration_s"] == 0 for d in stats["days"])
    assert all(f == {"sessions": 0, "share": 0.0} for f in stats["features"].values())
    assert sum(map(sum, stats["hours"])) == 0
    assert compute([], StatisticsQuery(date(2026, 2, 1), date(2026, 2, 1)))["sessions"] == 0


def test_totals_averages_agents_and_feature_shares():
    """Two agents, four sessions: per-agent counts and durations, names from the accounts,
    busiest first; shares of sessions with each feature; a session no customer joined is
    not counted."""
    base = at("2026-04-06 09:00")
    shards = shards_of(
        summary(base, "alice", 600, presented=True, files=True),
        summary(base + 3600, "alice", 1200, controlled=True, called=True),
        summary(base + 7200, "alice", 300, presented=True, called=True),
        summary(base + 86_400, "bob", 900),
        summary(base + 90_000, "bob", 5000, customers=""),  # cancelled while waiting
    )
    stats = compute(
        shards, StatisticsQuery(date(2026, 4, 6), date(2026, 4, 12)), {"alice": "Alice Kim"}
    )
    assert stats["sessions"] == 4
    assert stats["total_duration_s"] == 3000 and stats["average_duration_s"] == 750
    assert stats["agents"] == [
        {"username": "alice", "name": "Alice Kim", "sessions": 3, "total_duration_s": 2100,
         "average_duration_s": 700},
        {"username": "bob", "name": "Bob", "sessions": 1, "total_duration_s": 900,
         "average_duration_s": 900},
    ]  # fmt: skip
    assert stats["features"] == {
        "presented": {"sessions": 2, "share": 0.5},
        "controlled": {"sessions": 1, "share": 0.25},
        "files": {"sessions": 1, "share": 0.25},
        "called": {"sessions": 2, "share": 0.5},
    }
    assert day_counts(stats) == {"2026-04-06": 3, "2026-04-07": 1}
    monday = stats["days"][0]
    assert monday["total_duration_s"] == 2100 and monday["average_duration_s"] == 700


def test_one_agent_counts_only_their_sessions():
    """The agent filter: only bob's sessions, bob alone in the per-agent list."""
    base = at("2026-05-04 09:00")
    shards = shards_of(summary(base, "alice"), summary(base + 60, "bob"), summary(base + 99, "bob"))
    stats = compute(shards, StatisticsQuery(date(2026, 5, 1), date(2026, 5, 31), agent="bob"))
    assert stats["sessions"] == 2 and [a["username"] for a in stats["agents"]] == ["bob"]
    nobody = compute(shards, StatisticsQuery(date(2026, 5, 1), date(2026, 5, 31), agent="carol"))
    assert nobody["sessions"] == 0


def test_a_period_cutting_through_a_month_counts_only_its_days():
    """Shards are months; a period from the 10th to the 20th skips the rest of the month."""
    shards = shards_of(*(summary(at(f"2026-07-{d:02d} 12:00")) for d in range(1, 32)))
    stats = compute(shards, StatisticsQuery(date(2026, 7, 10), date(2026, 7, 20)))
    assert stats["sessions"] == 11 and len(stats["days"]) == 11


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"to": "2026-01-31"}, "'from' is required"),
        ({"from": "2026-1-5", "to": "2026-01-31"}, "'from' must be a date"),
        ({"from": "2026-02-30", "to": "2026-03-31"}, "'from' must be a date"),
        ({"from": "2026-02-01", "to": "2026-01-31"}, "'to' must not be before 'from'"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, f"at most {MAX_PERIOD_DAYS} days"),
        ({"from": "2026-01-01", "to": "2026-01-02", "tz": "../../etc/passwd"}, "IANA"),
        ({"from": "2026-01-01", "to": "2026-01-02", "tz": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_a_bad_request_says_which_parameter_and_why(params, message):
    """Dates, their order, the period's length and the time zone are checked with a message."""
    with pytest.raises(ValueError, match=message):
        parse_statistics_query(params, None)


def test_a_good_request_parses_with_utc_as_the_default_zone():
    """from/to/tz become the query; a leap year's whole year (366 days) is allowed."""
    query = parse_statistics_query({"from": "2024-01-01", "to": "2024-12-31"}, "alice")
    assert (query.days, query.time_zone, query.agent) == (366, "UTC", "alice")
    seoul = parse_statistics_query(
        {"from": "2026-01-01", "to": "2026-01-01", "tz": "Asia/Seoul"}, None
    )
    assert seoul.bounds() == (
        at("2026-01-01 00:00", "Asia/Seoul"),
        at("2026-01-02 00:00", "Asia/Seoul"),
    )


def reservation(start: datetime, status: ReservationStatus, agent: str = "alice") -> Reservation:
    return Reservation(
        id=f"r-{start.timestamp()}-{status}",
        agent_id=agent,
        uid="uid",
        title="Demo",
        start_utc=start,
        duration_minutes=30,
        time_zone="Asia/Seoul",
        status=status,
    )


def test_reservations_kept_cancelled_missed_and_upcoming():
    """Opened or done is kept; cancelled; still scheduled after its end is missed, before it
    upcoming; other agents' and other periods' reservations are left out."""
    day = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    now = (day + timedelta(days=3)).timestamp()
    found = [
        reservation(day, ReservationStatus.DONE),
        reservation(day, ReservationStatus.OPEN),
        reservation(day, ReservationStatus.CANCELLED),
        reservation(day + timedelta(days=1), ReservationStatus.SCHEDULED),  # over: missed
        reservation(day + timedelta(days=5), ReservationStatus.SCHEDULED),  # upcoming
        reservation(day, ReservationStatus.DONE, agent="bob"),
        reservation(day - timedelta(days=40), ReservationStatus.DONE),
    ]
    query = StatisticsQuery(date(2026, 6, 1), date(2026, 6, 30), "Asia/Seoul", "alice")
    assert reservation_counts(found, query, now) == {
        "kept": 2, "cancelled": 1, "missed": 1, "upcoming": 1,
    }  # fmt: skip
    everyone = StatisticsQuery(date(2026, 6, 1), date(2026, 6, 30), "Asia/Seoul")
    assert reservation_counts(found, everyone, now)["kept"] == 3
    assert reservation_counts([], everyone, now) is None  # "no reservations yet"
    empty = reservation_counts(found, StatisticsQuery(date(2027, 1, 1), date(2027, 1, 2)), now)
    assert empty == {"kept": 0, "cancelled": 0, "missed": 0, "upcoming": 0}


def test_a_connected_call_is_in_the_record_and_the_summary(tmp_path):
    """The call core tells the usage when a call connects (not when it only rang); the record's
    ``calls`` becomes the summary's ``called``, which a snapshot saves and loads."""
    usage = SessionUsage()

    class Socket:
        channel = Channel.CHAT

        def __init__(self, role: Role, customer_id: str = "") -> None:
            self.role, self.customer_id, self.session_id = role, customer_id, "s1"
            self.frames: list[dict] = []

        def send(self, frame: str) -> None:
            self.frames.append(json.loads(frame))

    agent, customer = Socket(Role.AGENT), Socket(Role.CUSTOMER, "c1")
    calls = Calls(lambda session_id: [agent, customer], IceConfig())
    calls.on_connected = lambda session_id: usage.count(session_id, "calls")
    calls.handle(agent, [("c1", "Kim")], "Lee", StartCall("voice"), 1.0)
    assert usage.pop("s1")["calls"] == 0  # ringing is not a call yet
    call_id = customer.frames[-1]["call_id"]
    calls.handle(customer, [("c1", "Kim")], "Lee", AnswerCall(call_id, True), 2.0)
    record = {"id": "s1", "customer_name": "Kim", "started_at": 1.0, **usage.pop("s1")}
    assert record["calls"] == 1
    called = summarize(record, 0, 10)
    assert called.called is True

    archive = Archive(tmp_path)
    line = json.dumps(record).encode() + b"\n"
    (tmp_path / "2026-01.jsonl").write_bytes(line)
    shard, _ = archive.load("2026-01")
    archive.write_snapshot(shard)
    reloaded, tail = Archive(tmp_path).load("2026-01")
    assert tail == 0 and reloaded.summaries[0].called is True


def test_an_old_snapshot_row_without_the_call_column_reads_as_no_call(tmp_path):
    """Snapshots saved before calls were recorded have one column less: they load as they are
    (no rebuild), every session without a call, as their records say."""
    record = {"id": "old", "customer_name": "Kim", "started_at": 5.0, "ended_at": 65.0}
    line = json.dumps(record).encode() + b"\n"
    (tmp_path / "2026-01.jsonl").write_bytes(line)
    archive = Archive(tmp_path)
    shard, _ = archive.load("2026-01")
    archive.write_snapshot(shard)
    meta_path = tmp_path / "2026-01.snapshot.json"
    meta = json.loads(meta_path.read_bytes())
    meta["rows"] = [row[:-1] for row in meta["rows"]]  # as written before the column existed
    meta_path.write_text(json.dumps(meta))
    reloaded, tail = Archive(tmp_path).load("2026-01")
    assert tail == 0  # the snapshot was used, not the file
    assert reloaded.summaries[0].id == "old" and reloaded.summaries[0].called is False
