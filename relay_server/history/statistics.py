"""Usage statistics (AD3) over the history index (pure): a period's sessions counted and timed.

One pass over the compact summaries of the months a period touches (never the archive files):
sessions and their duration per day and per agent, the share of sessions that used a
presentation, control, files or a call, and the busiest hours of the week. Days and hours are
the admin's wall-clock time in an IANA time zone, so a day across a change to or from summer
time has 23 or 25 hours and still counts as one day.

Local time without a ``datetime`` per session: the zone's offset is looked up once per
quarter of an hour of UTC (every zone's offset, and every change of it, falls on a quarter
hour since 1970), then a start's local day and hour are integer arithmetic. A year of 100,000
sessions is one Python loop of ~100,000 short iterations (docs/performance.md).

Only sessions a customer joined count, as the history lists only those. Reservations (A11)
are counted from their records by :func:`reservation_counts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relay_server.history.index import Shard
from relay_server.reservations.model import Reservation, ReservationStatus

MAX_PERIOD_DAYS = 366
QUARTER_HOUR_S = 900
DAY_S = 86_400
# 1970-01-01 was a Thursday: day number 0 is weekday 3 (Monday = 0).
EPOCH_WEEKDAY = 3
FEATURES = ("presented", "controlled", "files", "called")
_ZONE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


@dataclass(frozen=True, slots=True)
class StatisticsQuery:
    """A validated statistics request: whole days, both included, in ``time_zone``."""

    first_day: date
    last_day: date
    time_zone: str = "UTC"
    agent: str | None = None  # an agent's username; None = everyone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def bounds(self) -> tuple[float, float]:
        """The period in epoch seconds: local midnight of the first day to the one after the
        last (a midnight that does not exist, skipped by a change of offset, resolves as
        ``zoneinfo`` does: with the offset before the change)."""
        zone = self.zone
        since = datetime.combine(self.first_day, time(0), zone).timestamp()
        until = datetime.combine(self.last_day + timedelta(days=1), time(0), zone).timestamp()
        return since, until


def parse_statistics_query(params: dict[str, str], agent: str | None) -> StatisticsQuery:
    """A :class:`StatisticsQuery` from ``from``, ``to`` (``YYYY-MM-DD``) and ``tz``.

    Raises:
        ValueError: the parameter and what is wrong with it (the route answers 400).
    """
    first = _day(params, "from")
    last = _day(params, "to")
    if last < first:
        raise ValueError("'to' must not be before 'from'")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ValueError(f"the period may be at most {MAX_PERIOD_DAYS} days")
    zone = params.get("tz", "").strip() or "UTC"
    if len(zone) > 64 or not _ZONE_RE.match(zone):
        raise ValueError("'tz' must be an IANA time zone such as Asia/Seoul")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'tz': unknown time zone {zone!r}") from None
    return StatisticsQuery(first, last, zone, agent)


def _day(params: dict[str, str], name: str) -> date:
    raw = params.get(name, "").strip()
    if not raw:
        raise ValueError(f"'{name}' is required (a date, YYYY-MM-DD)")
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"'{name}' must be a date, YYYY-MM-DD, not {raw[:20]!r}") from None


class _LocalClock:
    """A zone's UTC offset (seconds) per quarter hour of UTC, looked up once and kept: a start's
    wall-clock time is then ``int(started) + offset``, its day ``// 86400``, its hour the rest."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.offsets: dict[int, int] = {}

    def offset(self, quarter: int) -> int:
        found = self.offsets.get(quarter)
        if found is None:
            moment = datetime.fromtimestamp(quarter * QUARTER_HOUR_S, UTC).astimezone(self.zone)
            delta = moment.utcoffset()
            found = self.offsets[quarter] = int(delta.total_seconds()) if delta else 0
        return found


def compute(
    shards: Sequence[Shard], query: StatisticsQuery, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """The statistics of ``query``'s period (the ``statistics`` object of docs/protocol.md).

    Args:
        shards: the history's months, oldest first.
        names: agents' display names by username (the latest); a summary's own name is used
            for an agent not in it (a deleted account).
    """
    since, until = query.bounds()
    clock = _LocalClock(query.zone)
    offsets = clock.offsets
    first_number = (query.first_day - date(1970, 1, 1)).days
    first_weekday = (first_number + EPOCH_WEEKDAY) % 7
    day_count = query.days
    day_sessions = [0] * day_count
    day_seconds = [0.0] * day_count
    heat = [0] * (7 * 24)  # weekday * 24 + hour
    per_agent: dict[str, list[Any]] = {}  # username -> [name, sessions, seconds]
    presented = controlled = files = called = 0
    # Per agent and month, so the agent's row is added to once per month, not per session.
    for shard in shards:
        if shard.max_started < since or shard.min_started >= until:
            continue
        inside = since <= shard.min_started and shard.max_started < until
        summaries = shard.summaries
        for username, owned in shard.by_agent.items():
            if query.agent is not None and username != query.agent:
                continue
            count = 0
            seconds_sum = 0.0
            for local in owned & shard.listed:
                summary = summaries[local]
                started = summary.started_at
                if not inside and not since <= started < until:
                    continue
                quarter = int(started // QUARTER_HOUR_S)
                offset = offsets.get(quarter)
                if offset is None:
                    offset = clock.offset(quarter)
                wall = int(started) + offset
                index = wall // DAY_S - first_number
                if not 0 <= index < day_count:
                    continue  # within a second of a skipped midnight: the period's own rule
                seconds = summary.duration_s
                day_sessions[index] += 1
                day_seconds[index] += seconds
                heat[(index + first_weekday) % 7 * 24 + wall % DAY_S // 3600] += 1
                count += 1
                seconds_sum += seconds
                presented += summary.presented
                controlled += summary.controlled
                files += summary.file_count > 0
                called += summary.called
            if count:
                agent = per_agent.get(username)
                if agent is None:
                    agent = per_agent[username] = [summaries[next(iter(owned))].agent_name, 0, 0.0]
                agent[1] += count
                agent[2] += seconds_sum
    total = sum(day_sessions)
    total_seconds = sum(day_seconds)
    features = {"presented": presented, "controlled": controlled, "files": files,
                "called": called}  # fmt: skip
    names = names or {}
    agents = [
        {
            "username": username,
            "name": names.get(username) or name or username,
            "sessions": sessions,
            "total_duration_s": round(seconds, 1),
            "average_duration_s": round(seconds / sessions, 1),
        }
        for username, (name, sessions, seconds) in per_agent.items()
    ]
    agents.sort(key=lambda a: (-a["sessions"], a["username"]))
    return {
        "from": query.first_day.isoformat(),
        "to": query.last_day.isoformat(),
        "tz": query.time_zone,
        "agent": query.agent,
        "sessions": total,
        "total_duration_s": round(total_seconds, 1),
        "average_duration_s": round(total_seconds / total, 1) if total else 0.0,
        "days": [
            {
                "date": (query.first_day + timedelta(days=i)).isoformat(),
                "sessions": day_sessions[i],
                "total_duration_s": round(day_seconds[i], 1),
                "average_duration_s": round(day_seconds[i] / day_sessions[i], 1)
                if day_sessions[i]
                else 0.0,
            }
            for i in range(day_count)
        ],
        "agents": agents,
        "features": {
            name: {"sessions": count, "share": round(count / total, 4) if total else 0.0}
            for name, count in features.items()
        },
        "hours": [heat[day * 24 : day * 24 + 24] for day in range(7)],  # Monday first
    }


def reservation_counts(
    reservations: Iterable[Reservation], query: StatisticsQuery, now: float
) -> dict[str, int] | None:
    """Reservations starting in ``query``'s period: kept, cancelled, missed and upcoming.

    Kept: the agent opened it (its session is live or ended). Missed: still scheduled after its
    end went by. Upcoming: scheduled, not over yet.

    Returns:
        None when there is no reservation at all (the page says "no reservations yet");
        otherwise the counts (all zero when none starts in the period).
    """
    since, until = query.bounds()
    counts = {"kept": 0, "cancelled": 0, "missed": 0, "upcoming": 0}
    seen = False
    for reservation in reservations:
        seen = True
        if query.agent is not None and reservation.agent_id != query.agent:
            continue
        start = reservation.start_utc.timestamp()
        if not since <= start < until:
            continue
        status = reservation.status
        if status in (ReservationStatus.OPEN, ReservationStatus.DONE):
            counts["kept"] += 1
        elif status is ReservationStatus.CANCELLED:
            counts["cancelled"] += 1
        elif reservation.end_utc.timestamp() <= now:
            counts["missed"] += 1
        else:
            counts["upcoming"] += 1
    return counts if seen else None
